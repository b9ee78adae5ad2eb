"""benchmarks/train_speed.py runs end to end (on the tiny synthetic sets) and prints its figures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "train_speed.py"
SMALL = json.dumps({"channels": [8, 16], "dilations": [1, 2], "window": 8, "readout": "parts"})


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("train_speed", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_json(bench, capsys, args: list[str]) -> dict:
    assert bench.main([*args, "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, "--json prints the summary only (no per-epoch training lines)"
    return json.loads(lines[0])


def test_train_speed_benchmark_in_process(bench, tiny_data, tmp_path, capsys) -> None:
    res = run_json(bench, capsys, ["--data", str(tiny_data), "--epochs", "1", "--cache-dir", str(tmp_path),
                                   "--model", SMALL, "--side-by-side", "1"])
    assert res["cotrain"] == ["msr-action3d"], "the script's co-training is the default"
    assert all(r["fps"] == 15 for r in res["configs"].values()), "the recipe's frame rate is the default"
    assert set(res["configs"]) == {"fp32:raw", "bf16:raw", "bf16:augmented"}
    assert [r["resolved"] for r in res["configs"].values()] == ["fp32", "bf16", "bf16"]
    for r in res["configs"].values():
        assert r["seconds_per_epoch"] > 0
        # four streams, one at a time: 4 x 50 epochs
        assert r["default_model_fine_tunes_min"] == pytest.approx(200 * r["seconds_per_epoch"] / 60, abs=0.4)
        assert len(r["peak_rss_mb"]) == 1
        assert all(m is None or m > 50 for m in r["peak_rss_mb"])
    pad = res["padding"]
    assert 1.0 <= pad["augmented"] < pad["raw"]


def test_train_speed_benchmark_side_by_side(bench, tiny_data, tmp_path, capsys) -> None:
    """Two training processes at once, as scripts/train_default.sh runs them: two rounds for four
    streams, and each process's own peak memory."""
    res = run_json(bench, capsys, ["--data", str(tiny_data), "--epochs", "1", "--cache-dir", str(tmp_path),
                                   "--model", SMALL, "--configs", "fp32:raw", "--cotrain",
                                   "--features", '{"facing": true, "fps": 10}'])
    assert res["side_by_side"] == 2 and res["cotrain"] == []
    r = res["configs"]["fp32:raw"]
    assert r["resolved"] == "fp32" and r["seconds_per_epoch"] > 0
    assert r["fps"] == 10, "the training processes ran at the --features frame rate"
    assert r["default_model_fine_tunes_min"] == pytest.approx(100 * r["seconds_per_epoch"] / 60, abs=0.4)
    assert len(r["peak_rss_mb"]) == 2
    assert all(m is None or m > 50 for m in r["peak_rss_mb"])


def test_train_speed_benchmark_matches_the_default_script(bench) -> None:
    """The benchmark's recipe constants are the ones scripts/train_default.sh trains with."""
    script = (BENCH.parents[1] / "scripts" / "train_default.sh").read_text()
    model = {k: v for k, v in bench.SHIPPED_MODEL.items() if k != "dropout"}
    assert f"PARTS_READOUT='{json.dumps(model)}'" in script
    assert f'DROPOUT="${{DROPOUT:-{bench.SHIPPED_MODEL["dropout"]}}}"' in script
    assert f'EPOCHS="${{EPOCHS:-{bench.DEFAULT_EPOCHS}}}"' in script
    assert 'COTRAIN="${COTRAIN-msr-action3d}"' in script
    assert 'SEEDS="${SEEDS:-0 1}"' in script and 'STREAMS="${STREAMS:-joint bone}"' in script
    assert bench.DEFAULT_STREAMS == 2 * 2
