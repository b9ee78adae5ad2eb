"""scripts/train_default.sh, the one command that reproduces the bundled model, end to end
(1 epoch on the tiny synthetic NW-UCLA set)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skelapp.core.recognizer import StreamingRecognizer

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_default.sh"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("seeds", [None, "0 1"], ids=["default", "two-seeds"])
def test_train_default_script(tiny_ucla, tmp_path, seeds) -> None:
    """Default: the seed-0 joint + bone pair (the shipped model); SEEDS adds a pair per seed."""
    env = {**os.environ, "EPOCHS": "1", "CACHE": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SEEDS", None)
    if seeds:
        env["SEEDS"] = seeds
    out = tmp_path / "default"
    done = subprocess.run(["bash", str(SCRIPT), str(tiny_ucla), str(out)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rec = StreamingRecognizer(out / "model.onnx", prefer_gpu=False)
    meta = dict(rec.session.get_modelmeta().custom_metadata_map)
    runs = [("joint", "joint", 0), ("bone", "bone", 0)]
    if seeds:
        runs += [("joint_s1", "joint", 1), ("bone_s1", "bone", 1)]
    assert json.loads(meta["skelapp.streams"]) == [stream for _, stream, _ in runs]
    assert len(rec.info.state_shapes) == 7 * len(runs)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted([r for r, _, _ in runs] + ["eval"])
    for run, stream, seed in runs:
        cfg = json.loads((out / run / "config.json").read_text())
        assert cfg["model_config"]["stream"] == stream and cfg["split"]["val"] == 0
        assert cfg["train_config"]["seed"] == seed and cfg["train_config"]["epochs"] == 1
    assert "Top-1" in (out / "eval" / "model_card.md").read_text()
