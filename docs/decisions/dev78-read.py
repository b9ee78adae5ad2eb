"""dev78's first stage (docs/decisions/dev78.md): prints both runs' dev top-1 and early-40 and the
verdict against the fixed bar. Usage (repo root): python docs/decisions/dev78-read.py [RUNS]"""

import json
import sys
from pathlib import Path

runs = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/dev78")
res = {}
for s in (0, 1):
    path = runs / f"dpath_s{s}" / "result.json"
    if not path.exists():
        sys.exit(f"{path} missing: nothing is read before both runs have finished")
    test = json.loads(path.read_text())["test"]
    res[s] = (test["top1"], test["early"]["0.4"])
    print(f"seed {s}: top-1 {res[s][0]:.2f}, early-40 {res[s][1]:.2f}")
top1 = sum(r[0] for r in res.values()) / 2
early = sum(r[1] for r in res.values()) / 2
ok = top1 >= 81.56 and early >= 73.1
print(f"mean top-1 {top1:.2f} (bar 81.56), early-40 {early:.2f} (floor 73.1): "
      + ("first stage passed" if ok else "rejected"))
