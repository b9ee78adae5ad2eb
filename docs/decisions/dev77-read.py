"""Read dev77's rule on the ten sealed runs (docs/decisions/dev77-runs.jsonl; base seeds 0 and 1 are
dev74's bf16 runs, read from runs/dev74 when present, else the values recorded in dev74.md).
Run from the repository root after dev77-seal.py: python docs/decisions/dev77-read.py"""
import json
import statistics
from pathlib import Path

DEV74 = {"base_s0": (79.17, 73.4), "base_s1": (81.94, 74.8)}  # dev74.md: top-1, early-40
rows = {json.loads(line)["run"]: json.loads(line)
        for line in Path("docs/decisions/dev77-runs.jsonl").read_text().splitlines() if line.strip()}
scores = {name: (r["top1"], r["early"]["0.4"]) for name, r in rows.items()}
for seed in (0, 1):
    f = Path(f"runs/dev74/bf16_s{seed}/result.json")
    if f.exists():
        t = json.loads(f.read_text())["test"]
        scores[f"base_s{seed}"] = (t["top1"], t["early"]["0.4"])
    else:
        scores[f"base_s{seed}"] = DEV74[f"base_s{seed}"]
arms = {arm: [scores.get(f"{arm}_s{s}") for s in range(5)] for arm in ("base", "ep100")}
missing = [f"{a}_s{s}" for a, v in arms.items() for s, x in enumerate(v) if x is None]
if missing:
    raise SystemExit(f"not all ten runs are sealed; missing: {', '.join(missing)}")
mean = {a: (statistics.mean(x[0] for x in v), statistics.mean(x[1] for x in v)) for a, v in arms.items()}
for a, v in arms.items():
    print(f"{a:6s} top-1 " + " / ".join(f"{x[0]:.2f}" for x in v) + f"  mean {mean[a][0]:.2f}"
          f"   early-40 " + " / ".join(f"{x[1]:.1f}" for x in v) + f"  mean {mean[a][1]:.2f}")
(bt, be), (et, ee) = mean["base"], mean["ep100"]
if et < bt + 0.5 and ee < be + 1.0:
    verdict = "50 epochs: train_default.sh drops to 50 (the shipped model retrained at 50 later)"
elif et >= bt + 1.0 and ee >= be - 1.0:
    verdict = "100 epochs stay, confirmed"
else:
    verdict = "100 epochs stay, undecided"
print(f"rule: ep100 {et:.2f} vs base {bt:.2f} (+{et - bt:.2f}); early-40 {ee:.2f} vs {be:.2f} -> {verdict}")
