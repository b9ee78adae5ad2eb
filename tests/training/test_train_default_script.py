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
def test_train_default_script(tiny_ucla, tmp_path) -> None:
    env = {**os.environ, "EPOCHS": "1", "SEEDS": "0 1", "CACHE": str(tmp_path / "cache"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    out = tmp_path / "default"
    done = subprocess.run(["bash", str(SCRIPT), str(tiny_ucla), str(out)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rec = StreamingRecognizer(out / "model.onnx", prefer_gpu=False)
    meta = dict(rec.session.get_modelmeta().custom_metadata_map)
    assert json.loads(meta["skelapp.streams"]) == ["joint", "bone", "joint", "bone"]
    assert len(rec.info.state_shapes) == 28
    for run, stream, seed in (("joint", "joint", 0), ("bone", "bone", 0), ("joint_s1", "joint", 1),
                              ("bone_s1", "bone", 1)):
        cfg = json.loads((out / run / "config.json").read_text())
        assert cfg["model_config"]["stream"] == stream and cfg["split"]["val"] == 0
        assert cfg["train_config"]["seed"] == seed
    assert "Top-1" in (out / "eval" / "model_card.md").read_text()
