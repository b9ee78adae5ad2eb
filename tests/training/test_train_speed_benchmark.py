"""benchmarks/train_speed.py runs end to end (on the tiny synthetic set) and prints its figures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "train_speed.py"


def test_train_speed_benchmark(tiny_ucla, tmp_path, capsys) -> None:
    spec = importlib.util.spec_from_file_location("train_speed", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    small = json.dumps({"channels": [8, 16], "dilations": [1, 2], "window": 8})
    args = ["--data", str(tiny_ucla), "--epochs", "1", "--cache-dir", str(tmp_path), "--model", small,
            "--json"]
    assert mod.main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, "--json prints the summary only (no per-epoch training lines)"
    res = json.loads(lines[0])
    assert set(res["configs"]) == {"fp32:raw", "bf16:raw", "bf16:augmented"}
    assert [r["resolved"] for r in res["configs"].values()] == ["fp32", "bf16", "bf16"]
    assert all(r["seconds_per_epoch"] > 0 for r in res["configs"].values())
    assert all(r["peak_rss_mb"] is None or r["peak_rss_mb"] > 50 for r in res["configs"].values())
    pad = res["padding"]
    assert 1.0 <= pad["augmented"] < pad["raw"]
