"""StreamingRecognizer: streaming == offline, batching, state reset, clear load errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _onnx_model import cached_model, make_gru_model

from skelapp.core.normalize import FeatureConfig, compute_features
from skelapp.core.recognizer import ModelError, StreamingRecognizer, parse_model_info, softmax


@pytest.fixture(scope="module")
def rec() -> StreamingRecognizer:
    return StreamingRecognizer(cached_model(10))


def _clip(t: int, seed: int = 0, cfg: FeatureConfig | None = None) -> np.ndarray:
    """Features of a smooth random 20-joint motion (what the featurizer really produces)."""
    rng = np.random.default_rng(seed)
    joints = np.cumsum(rng.normal(0, 0.01, (t, 20, 3)), axis=0) + rng.normal(0, 0.2, (1, 20, 3))
    joints[:, 2] += (0, 0.5, 0)  # shoulder centre above the hip: a usable torso
    return compute_features(joints.astype(np.float32), np.ones((t, 20), np.float32), cfg or FeatureConfig())


def test_streaming_equals_offline_on_every_prefix(rec):
    x = _clip(70, cfg=rec.feature_config)
    stream = np.stack([rec.step({"a": x[t]})["a"] for t in range(len(x))])
    for n in (1, 5, 33, 70):  # the offline model on the whole prefix, from a zero state
        np.testing.assert_allclose(stream[:n], rec.run_offline(x[:n]), atol=1e-4, rtol=0)
    assert rec.provider == rec.session.get_providers()[0]


def test_batched_tracks_equal_single_tracks(rec):
    xa, xb = _clip(20, 1, rec.feature_config), _clip(20, 2, rec.feature_config)
    got_a, got_b = [], []
    for t in range(20):
        feats = {"ba": xa[t], "bb": xb[t]} if t % 3 else {"ba": xa[t]}  # bb skips some steps
        out = rec.step(feats)
        got_a.append(out["ba"])
        if "bb" in out:
            got_b.append(out["bb"])
    np.testing.assert_allclose(np.stack(got_a), rec.run_offline(xa), atol=1e-4)
    xb_seen = np.stack([xb[t] for t in range(20) if t % 3])
    np.testing.assert_allclose(np.stack(got_b), rec.run_offline(xb_seen), atol=1e-4)


def test_reset_starts_a_track_fresh(rec):
    x = _clip(12, 3, rec.feature_config)
    for t in range(6):
        rec.step({"r": x[t]})
    rec.reset("r")
    again = np.stack([rec.step({"r": x[t]})["r"] for t in range(6, 12)])
    np.testing.assert_allclose(again, rec.run_offline(x[6:]), atol=1e-4)
    rec.drop("r")
    assert "r" not in rec.tracks


def test_metadata_read(rec):
    assert rec.num_classes == 10 and len(rec.labels) == 10
    assert rec.info.layout == "canonical20"
    assert rec.info.typical_durations == [3.0] * 10
    p = softmax(rec.step({"m": np.zeros((20, rec.feature_config.channels), np.float32)})["m"])
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-6


def test_gru_fallback_model_and_fixed_batch(tmp_path):
    cfg = FeatureConfig(fps=10.0, velocity=False)
    r = StreamingRecognizer(make_gru_model(tmp_path / "g.onnx", 4, config=cfg, fixed_batch=True))
    assert not r.dynamic_batch and r.feature_config == cfg
    x = _clip(15, 4, cfg)
    a = [r.step({1: x[t], 2: x[t]}) for t in range(15)]
    np.testing.assert_allclose(np.stack([o[1] for o in a]), r.run_offline(x), atol=1e-4)
    np.testing.assert_allclose(np.stack([o[2] for o in a]), np.stack([o[1] for o in a]), atol=1e-6)


def test_typical_durations_from_metadata():
    meta = {"skelapp.labels": '["a", "b"]', "skelapp.feature_config": "{}", "skelapp.layout": "canonical20",
            "skelapp.state_shapes": "[]", "skelapp.typical_durations": json.dumps({"b": 1.5})}
    assert parse_model_info(meta, "m.onnx").typical_durations == [3.0, 1.5]


def _one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_missing_model(tmp_path):
    with pytest.raises(ModelError) as e:
        StreamingRecognizer(tmp_path / "nope.onnx")
    assert "not found" in _one_line(e) and "nope.onnx" in str(e.value)


def test_corrupt_model(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not an onnx file" * 10)
    with pytest.raises(ModelError) as e:
        StreamingRecognizer(bad)
    assert _one_line(e).startswith(f"cannot load ONNX model {bad}")


def test_truncated_model(tmp_path):
    good = cached_model(10).read_bytes()
    bad = tmp_path / "trunc.onnx"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelError) as e:
        StreamingRecognizer(bad)
    assert "trunc.onnx" in _one_line(e)


def test_wrong_layout_metadata(tmp_path):
    p = make_gru_model(tmp_path / "l.onnx", 3, layout="ntu25")
    with pytest.raises(ModelError) as e:
        StreamingRecognizer(p)
    assert "model expects canonical20" in _one_line(e) and "ntu25" in str(e.value)


def test_wrong_input_shape(tmp_path):
    # metadata says 6 channels, graph takes 3: not a usable skelapp model
    p = make_gru_model(tmp_path / "c.onnx", 3, config=FeatureConfig(velocity=False))
    import onnx

    m = onnx.load(str(p))
    for prop in m.metadata_props:
        if prop.key == "skelapp.feature_config":
            prop.value = json.dumps(FeatureConfig(velocity=True).to_dict())
    onnx.save(m, str(p))
    with pytest.raises(ModelError) as e:
        StreamingRecognizer(p)
    assert "model expects canonical20 features [B, T, 20, 6]" in _one_line(e)


def test_not_a_skelapp_model(tmp_path):
    import onnx

    p = make_gru_model(tmp_path / "n.onnx", 3)
    m = onnx.load(str(p))
    del m.metadata_props[:]
    onnx.save(m, str(p))
    with pytest.raises(ModelError) as e:
        StreamingRecognizer(p)
    assert "not a skelapp model" in _one_line(e)
