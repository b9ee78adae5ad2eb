"""Reads one stage of a decision rule: each run's dev top-1 and early-40 (from its result.json), their
means and the verdict against the rule's fixed bar (top-1) and floor (early-40). Refuses to print
anything until every run of the stage has finished, so that no score is seen before the stage is
complete. Usage (repo root):
    python docs/decisions/read_stage.py --bar 83.54 --floor 75.19 runs/dev80/ft75_s0 runs/dev80/ft75_s1"""

import argparse
import json
import sys
from pathlib import Path

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("runs", nargs="+", type=Path, help="run directories of the stage (each with result.json)")
p.add_argument("--bar", type=float, required=True, help="the mean top-1 the stage must reach")
p.add_argument("--floor", type=float, required=True, help="the mean early-40 the stage must reach")
a = p.parse_args()
missing = [str(r / "result.json") for r in a.runs if not (r / "result.json").exists()]
if missing:
    sys.exit(f"missing {', '.join(missing)}: nothing is read before every run of the stage has finished")
scores = []
for run in a.runs:
    test = json.loads((run / "result.json").read_text())["test"]
    scores.append((test["top1"], test["early"]["0.4"]))
    print(f"{run}: top-1 {scores[-1][0]:.2f}, early-40 {scores[-1][1]:.2f}")
top1 = sum(s[0] for s in scores) / len(scores)
early = sum(s[1] for s in scores) / len(scores)
verdict = "passed" if top1 >= a.bar and early >= a.floor else "not passed"
print(f"mean top-1 {top1:.2f} (bar {a.bar}), early-40 {early:.2f} (floor {a.floor}): {verdict}")
