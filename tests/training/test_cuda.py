"""Training on a GPU: a run on CUDA resumes there and its checkpoints load and export on the CPU.
Skipped without CUDA, and by default also with it (tests/conftest.py hides the GPU from the suite):
run ``SKELAPP_TEST_CUDA=1 python -m pytest tests/training/test_cuda.py`` on a GPU machine."""

from __future__ import annotations

import json

import pytest
import torch
from _helpers import SMALL

from skelapp.training.checkpoints import load_checkpoint
from skelapp.training.cli import export_main, train_main

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device (or SKELAPP_TEST_CUDA=1 not set)")


def test_cuda_run_resumes_and_its_checkpoint_loads_and_exports_on_the_cpu(tiny_ucla, tmp_path,
                                                                           capsys) -> None:
    out = tmp_path / "run"
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--device", "cuda",
              "--no-lst"]  # not about LST: runs where the bundled text encoder is not installed
    assert train_main([*common, "--epochs", "1"]) == 0
    ck = torch.load(out / "last.pt", map_location="cpu", weights_only=False)
    assert ck["cuda_rng"] is not None and ck["meta"]["train_config"]["device"] == "cuda"
    assert train_main([*common, "--epochs", "2", "--resume"]) == 0  # the RNG states saved on the GPU
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == [1, 2]
    model, _ = load_checkpoint(out / "last.pt")
    assert {p.device.type for p in model.parameters()} == {"cpu"}
    capsys.readouterr()
    assert export_main(["--checkpoint", str(out / "last.pt"), "--out", str(tmp_path / "m.onnx"),
                        "--data", str(tiny_ucla), "--cache-dir", str(tmp_path / "cache")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["max_abs_diff_ort_vs_torch"] < 1e-4
