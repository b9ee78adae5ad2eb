"""The bundled default model: small, self-describing, and it recognises real unseen-view clips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skelapp.core.descriptions import load_descriptions
from skelapp.core.normalize import compute_features
from skelapp.core.nw_ucla import read_nw_ucla
from skelapp.core.recognizer import StreamingRecognizer, default_model_path
from skelapp.training.datasets import NW_UCLA_ACTIONS, NW_UCLA_LABELS, parse_nw_ucla_name, prepare


def test_bundled_model_is_small_and_describes_itself() -> None:
    path = default_model_path()
    assert path is not None and path.name == "model.onnx"
    assert path.stat().st_size <= 15 * 2**20
    rec = StreamingRecognizer(path, prefer_gpu=False)
    assert rec.labels == NW_UCLA_LABELS
    meta = dict(rec.session.get_modelmeta().custom_metadata_map)
    assert float(meta["skelapp.ort_vs_torch_max_abs_diff"]) < 1e-4
    assert rec.feature_config.fps == 15.0
    # every class the app can show has a written description
    descriptions = load_descriptions("nw-ucla")
    assert all(label in descriptions for label in rec.labels)
    # which input streams it combines: scripts/train_default.sh's joint + bone streams of seeds 0 and 1
    assert json.loads(meta["skelapp.streams"]) == ["joint", "bone", "joint", "bone"]
    assert len(rec.info.state_shapes) == 4 * 7


@pytest.mark.realdata
def test_bundled_model_recognises_the_unseen_view(data_dir) -> None:
    """Every 4th clip of NW-UCLA view 3 (never used in training), streamed frame by frame."""
    rec = StreamingRecognizer(default_model_path(), prefer_gpu=False)
    files = sorted((data_dir / "nw_ucla" / "all_sqe").glob("a*_v03.json"))[::4]
    assert len(files) == 116
    hits, early_hits = 0, 0
    for f in files:
        joints, conf = prepare(read_nw_ucla(f), rec.feature_config, f.name)
        feats = compute_features(joints, conf, rec.feature_config)
        rec.reset(0)
        probs = [rec.step({0: x})[0] for x in feats]
        target = NW_UCLA_ACTIONS.index(parse_nw_ucla_name(f.stem)["action"])
        hits += int(np.argmax(probs[-1]) == target)
        early_hits += int(np.argmax(probs[max(0, int(0.4 * len(probs)) - 1)]) == target)
    # chance is 10 %; the model card reports the full-split numbers
    assert hits / len(files) > 0.8
    assert early_hits / len(files) > 0.5
