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
@pytest.mark.parametrize(("seeds", "streams", "cotrain", "model", "pretrain", "threads", "mask", "dropout"),
                         [(None, None, None, None, "1", None, None, None),
                          ("0", None, "", "{}", "0", None, None, "0.1"),
                          ("0", "joint_bone", None, None, "1", "2", "0.75", None)],
                         ids=["default", "one-seed-alone-pooled", "fused-one-seed-two-threads-mask75"])
def test_train_default_script(tiny_data, tmp_path, seeds, streams, cotrain, model, pretrain,
                              threads, mask, dropout) -> None:
    """Default: joint + bone streams of seeds 0 and 1 (the shipped model, dev63), co-trained with MSR
    Action3D's training clips and with the body-part readout; SEEDS lists the seeds (one run per stream
    each), STREAMS picks them, COTRAIN= (empty) trains on NW-UCLA alone and MODEL='{}' keeps the
    mean-over-joints readout. PRETRAIN_EPOCHS > 0 pretrains one network per stream kind without labels,
    which every run of that kind starts from, hiding MASK_RATIO of the joint pieces (default 0.5).
    THREADS sets each run's CPU threads (default 1). The fine-tunes run with DROPOUT (default 0, dev104),
    the pretraining with MODEL's (0.1 by default)."""
    env = {**os.environ, "EPOCHS": "1", "CACHE": str(tmp_path / "cache"), "PRETRAIN_EPOCHS": pretrain,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name, value in (("SEEDS", seeds), ("STREAMS", streams), ("COTRAIN", cotrain), ("MODEL", model),
                        ("RESUME", None), ("THREADS", threads),
                        ("MASK_RATIO", mask), ("DROPOUT", dropout)):
        env.pop(name, None)
        if value is not None:
            env[name] = value
    out = tmp_path / "default"
    done = subprocess.run(["bash", str(SCRIPT), str(tiny_data), str(out)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rec = StreamingRecognizer(out / "model.onnx", prefer_gpu=False)
    meta = dict(rec.session.get_modelmeta().custom_metadata_map)
    kinds = (streams or "joint bone").split()
    seed_list = [int(s) for s in (seeds or "0 1").split()]
    runs = [(f"{k}{f'_s{s}' if s else ''}", k, s) for s in seed_list for k in kinds]
    assert json.loads(meta["skelapp.streams"]) == [stream for _, stream, _ in runs]
    assert len(rec.info.state_shapes) == 7 * len(runs)
    pretrained = [f"pretrain_{k}" for k in kinds] if pretrain != "0" else []
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted([r for r, _, _ in runs] + ["eval",
                                                                                            *pretrained])
    for kind in kinds if pretrained else []:
        cfg = json.loads((out / f"pretrain_{kind}" / "config.json").read_text())
        assert cfg["objective"] == "masked" and cfg["model_config"]["stream"] == kind
        assert cfg["train_config"]["threads"] == int(threads or 1)
        assert cfg["train_config"]["mask_ratio"] == float(mask or 0.5)
        assert cfg["model_config"]["dropout"] == 0.1 and cfg["model_config"]["readout"] == "parts"
        assert json.loads((out / f"pretrain_{kind}" / "result.json").read_text())["objective"] == "masked"
    for run, stream, seed in runs:
        cfg = json.loads((out / run / "config.json").read_text())
        assert cfg["model_config"]["stream"] == stream and cfg["split"]["val"] == 0
        assert cfg["train_config"]["seed"] == seed and cfg["train_config"]["epochs"] == 1
        assert cfg["train_config"]["threads"] == int(threads or 1)
        assert cfg["train_config"]["cotrain"] == ([] if cotrain == "" else ["msr-action3d"])
        assert cfg["model_config"]["readout"] == ("joints" if model == "{}" else "parts")
        assert cfg["model_config"]["dropout"] == float(dropout or 0.0)
        init = str(out / f"pretrain_{stream}" / "last.pt") if pretrained else ""
        assert cfg["train_config"]["init"] == init
        assert cfg["objective"] == "classify"
    assert "Top-1" in (out / "eval" / "model_card.md").read_text()
    if seeds is None:  # RESUME=1 continues each run from its last.pt (here: already at its last epoch)
        again = subprocess.run(["bash", str(SCRIPT), str(tiny_data), str(out)], capture_output=True,
                               text=True, env={**env, "RESUME": "1", "TRAIN_ONLY": "1"}, timeout=600)
        assert again.returncode == 0, again.stderr[-2000:]
        for run, _, _ in runs:
            assert f"resumed from {out / run / 'last.pt'} at epoch 1" in (out / f"{run}.log").read_text()
            assert len(json.loads((out / run / "history.json").read_text())) == 1
