"""skelapp bench: JSON and table output, clear error without a model."""

from __future__ import annotations

import json

from _onnx_model import cached_model

from skelapp.app.cli import main


def test_bench_json(capsys):
    rc = main(["bench", "--model", str(cached_model(10)), "--json", "--frames", "30", "--window", "16"])
    assert rc == 0
    r = json.loads(capsys.readouterr().out)
    for k in ("per_frame_ms_median", "per_frame_ms_p95", "throughput_fps", "window_ms_median",
              "speedup_vs_window", "pipeline_ms_median", "provider"):
        assert k in r
    assert r["provider"] == "CPUExecutionProvider" and r["frames"] == 30 and r["window_frames"] == 16
    assert 0 < r["per_frame_ms_median"] <= r["per_frame_ms_p95"] and r["speedup_vs_window"] > 0


def test_bench_table(capsys):
    assert main(["bench", "--model", str(cached_model(10)), "--frames", "10", "--window", "8"]) == 0
    out = capsys.readouterr().out
    assert "streaming step (T=1)" in out and "speedup streaming vs window" in out


def test_bench_missing_model(tmp_path, capsys):
    assert main(["bench", "--model", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("skelapp bench: error: model file not found") and "\n" not in err
