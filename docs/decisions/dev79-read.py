"""dev79 (docs/decisions/dev79.md): prints the fine-tuned runs' dev top-1 and early-40 and the
verdict against the fixed bars: the first stage (seeds 0, 1), or all five seeds once seeds 2-4
exist. Usage (repo root): python docs/decisions/dev79-read.py [RUNS] [--five]"""

import json
import sys
from pathlib import Path

args = [a for a in sys.argv[1:] if a != "--five"]
five = "--five" in sys.argv
runs = Path(args[0] if args else "runs/dev79")
seeds = (0, 1, 2, 3, 4) if five else (0, 1)
res = {}
for s in seeds:
    path = runs / f"ft_s{s}" / "result.json"
    if not path.exists():
        sys.exit(f"{path} missing: nothing is read before all runs of the stage have finished")
    test = json.loads(path.read_text())["test"]
    res[s] = (test["top1"], test["early"]["0.4"])
    print(f"seed {s}: top-1 {res[s][0]:.2f}, early-40 {res[s][1]:.2f}")
top1 = sum(r[0] for r in res.values()) / len(res)
early = sum(r[1] for r in res.values()) / len(res)
bar, floor = (82.07, 73.29) if five else (81.56, 73.1)
ok = top1 >= bar and early >= floor
verdict = ("adopted" if five else "first stage passed") if ok else "rejected"
print(f"mean top-1 {top1:.2f} (bar {bar}), early-40 {early:.2f} (floor {floor}): {verdict}")
