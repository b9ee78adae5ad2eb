"""Copy each finished dev77 run's scores into docs/decisions/dev77-runs.jsonl without printing them
(the rule reads nothing before all ten runs exist, and runs/ does not survive a new machine).
Run from the repository root: python docs/decisions/dev77-seal.py"""
import json
import statistics
from pathlib import Path

rows = {}
out = Path("docs/decisions/dev77-runs.jsonl")
if out.exists():
    rows = {json.loads(l)["run"]: l for l in out.read_text().splitlines() if l.strip()}
srcs = [Path(f"runs/dev77/{n}") for n in ("ep100_s0", "ep100_s1", "ep100_s2", "ep100_s3", "ep100_s4",
                                          "base_s2", "base_s3", "base_s4")]
for d in srcs:
    f = d / "result.json"
    if not f.exists() or d.name in rows:
        continue
    r = json.loads(f.read_text())
    secs = [h["seconds"] for h in r["history"]]
    rows[d.name] = json.dumps({"run": d.name, "epochs": len(r["history"]), "top1": r["test"]["top1"],
                               "early": r["test"]["early"], "unseen": r["test"].get("unseen"),
                               "s_per_epoch_median": statistics.median(secs),
                               "peak_rss_mb": max(h["peak_rss_mb"] for h in r["history"]),
                               "train_config": r["meta"]["train_config"]})
out.write_text("".join(v + "\n" for _, v in sorted(rows.items())))
print(f"{len(rows)} runs sealed in {out}")
