"""StreamProcessor: per-body updates at the model's fps, batched tracks, model-state resets."""

from __future__ import annotations

import numpy as np
import pytest
from _onnx_model import cached_model, make_gru_model

from skelapp.core.conversion import to_canonical
from skelapp.core.layouts import CANONICAL, NTU25
from skelapp.core.normalize import FeatureConfig, compute_features
from skelapp.core.recognizer import StreamingRecognizer, softmax
from skelapp.core.resample import resample_sequence
from skelapp.core.skeleton import SkeletonFrame, SkeletonSequence
from skelapp.core.smoothing import SmoothingConfig
from skelapp.core.stream_processor import StreamProcessor, prepare_frame
from skelapp.core.tracking import BodyTracker


@pytest.fixture(scope="module")
def rec() -> StreamingRecognizer:
    return StreamingRecognizer(cached_model(10))


def _walker(t: int, fps: float, bodies: int = 2, still_from: int | None = None) -> SkeletonSequence:
    """*bodies* people 1.5 m apart waving their arms (NTU layout, 25 joints)."""
    rng = np.random.default_rng(0)
    base = rng.normal(0, 0.2, (25, 3))
    base[NTU25.index("spine_base")] = 0
    base[NTU25.index("spine_shoulder")] = (0, 0.5, 0)
    j = np.zeros((t, bodies, 25, 3), np.float32)
    for m in range(bodies):
        for k in range(t):
            kk = min(k, still_from) if still_from is not None else k
            j[k, m] = base + (1.5 * m - 0.75, 0, 3.0)
            j[k, m, 4:12, 1] += 0.3 * np.sin(2 * np.pi * kk / fps)
    ids = tuple(72057594037927936 + m for m in range(bodies))  # Kinect-style 64-bit tracking ids
    return SkeletonSequence.from_joints(j, NTU25, fps=fps, body_ids=ids)


def _run(proc: StreamProcessor, seq: SkeletonSequence, stable_ids: bool = True):
    tracker = BodyTracker(use_source_ids=stable_ids)
    ups = []
    for f in seq.frames():
        ups += proc.process(prepare_frame(f, tracker))
    return ups


def test_one_update_per_resampled_frame_per_body(rec):
    seq = _walker(60, 30.0)
    ups = _run(StreamProcessor(rec), seq)
    for body in (0, 1):
        mine = [u for u in ups if u.body_id == body]
        assert len(mine) == 30  # 2 s at the model's 15 fps
        np.testing.assert_allclose([u.time for u in mine], np.arange(30) / 15.0, atol=1e-9)
        assert [u.frame_index for u in mine] == list(range(0, 60, 2))
    u = ups[-1]
    assert len(u.top) == 3 and len(u.probabilities) == 10 and u.latency_ms >= 0
    assert u.top[0].probability == max(u.probabilities)


def test_logits_equal_offline_model_on_resampled_features(rec):
    # no resets (motion never stops), EMA alpha 1 -> smoothed probabilities are the model's
    seq = _walker(60, 30.0, bodies=1)
    ups = _run(StreamProcessor(rec, SmoothingConfig(ema_alpha=1.0)), seq)
    canon = resample_sequence(to_canonical(seq), 15.0)
    feats = compute_features(canon.joints[:, 0], canon.confidence[:, 0], rec.feature_config)
    want = softmax(rec.run_offline(feats).astype(np.float64))
    np.testing.assert_allclose([u.probabilities for u in ups], want, atol=1e-4)


@pytest.mark.parametrize("extra", ["body_frame", "acceleration"])
def test_a_nine_channel_model_gets_the_same_features_live_as_offline(tmp_path, extra):
    """A model trained with ``body_frame`` or ``acceleration`` reads 9 channels per joint; the live
    path computes them frame by frame, as training did for whole clips. Body-frame directions stay
    the same when the camera is tilted; the walker's swinging limbs do accelerate."""
    cfg = FeatureConfig(facing=True, **{extra: True})
    rec = StreamingRecognizer(make_gru_model(tmp_path / "m.onnx", 10, config=cfg))
    assert rec.feature_config == cfg and rec.feature_config.channels == 9
    seq = _walker(60, 30.0, bodies=1)
    proc = StreamProcessor(rec, SmoothingConfig(ema_alpha=1.0))
    ups = _run(proc, seq)
    canon = resample_sequence(to_canonical(seq), 15.0)
    feats = compute_features(canon.joints[:, 0], canon.confidence[:, 0], cfg)
    np.testing.assert_allclose(proc.history(0)[0], feats, atol=1e-6)
    np.testing.assert_allclose([u.probabilities for u in ups],
                               softmax(rec.run_offline(feats).astype(np.float64)), atol=1e-4)
    if extra == "acceleration":
        assert np.abs(feats[..., 6:]).max() > 0
        return
    a = np.deg2rad(20)  # the same recording from a camera tilted by 20 degrees
    tilt = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]], np.float32)
    tilted = SkeletonSequence(seq.joints @ tilt.T, seq.confidence, seq.timestamps, NTU25, seq.body_ids)
    proc_tilted = StreamProcessor(rec, SmoothingConfig(ema_alpha=1.0))
    _run(proc_tilted, tilted)
    np.testing.assert_allclose(proc_tilted.history(0)[0][..., 6:], feats[..., 6:], atol=1e-5)


def test_track_history_holds_the_model_input_frames(rec):
    seq = _walker(120, 30.0, bodies=2)  # 4 s -> 60 model frames per body
    proc = StreamProcessor(rec, history_seconds=2.0)  # keeps the newest 30
    _run(proc, seq)
    canon = resample_sequence(to_canonical(seq), 15.0)
    for body in (0, 1):
        want = compute_features(canon.joints[:, body], canon.confidence[:, body], rec.feature_config)
        got, times = proc.history(body)
        assert got.shape == (30, 20, rec.feature_config.channels)
        np.testing.assert_allclose(got, want[-30:], atol=1e-6)
        np.testing.assert_allclose(times, np.arange(30, 60) / 15.0, atol=1e-9)
        last5, _ = proc.history(body, 5)
        assert np.shares_memory(last5, got) and np.array_equal(last5, got[-5:])
    with pytest.raises(KeyError, match="no active track 7"):
        proc.history(7)


def test_model_state_reset_after_idle(rec):
    cfg = SmoothingConfig(ema_alpha=1.0, idle_seconds=0.5)
    seq = _walker(90, 30.0, bodies=1, still_from=30)  # moves 1 s, then stands still
    ups = _run(StreamProcessor(rec, cfg), seq)
    assert ups[3].segment_id == 0 and ups[-1].segment_id == -1
    # after a reset the model restarts from zero state: compare with offline on the tail
    canon = resample_sequence(to_canonical(seq), 15.0)
    feats = compute_features(canon.joints[:, 0], canon.confidence[:, 0], rec.feature_config)
    probs = np.array([u.probabilities for u in ups])
    full = softmax(rec.run_offline(feats).astype(np.float64))
    assert not np.allclose(probs[-1], full[-1], atol=1e-4)  # state was reset at some point
    resets = [k for k in range(1, len(ups)) if np.allclose(
        probs[k:], softmax(rec.run_offline(feats[k:]).astype(np.float64)), atol=1e-4)]
    assert resets, "no model reset found"


def test_centroid_tracking_for_sources_without_ids(rec):
    seq = _walker(30, 30.0)
    seq = SkeletonSequence(seq.joints, seq.confidence, seq.timestamps, NTU25, (0, 0))  # no usable ids
    ups = _run(StreamProcessor(rec), seq, stable_ids=False)
    assert sorted({u.body_id for u in ups}) == [0, 1]


def test_ended_tracks_free_their_state(rec):
    proc = StreamProcessor(rec)
    tracker = BodyTracker(max_missing_s=0.2)
    j = np.zeros((1, 20, 3), np.float32)
    j[0, 2, 1] = 0.5
    for k in range(10):
        present = k < 3
        f = SkeletonFrame(j, np.full((1, 20), float(present), np.float32), k / 15.0, k, CANONICAL, (1,))
        proc.process(prepare_frame(f, tracker))
    assert proc.tracks == [] and 0 not in rec.tracks


def test_two_person_ntu_file(ntu_dir, rec):
    from skelapp.core.formats import read_skeleton_file

    seq = read_skeleton_file(ntu_dir / "S017C003P020R002A055.skeleton")
    ups = _run(StreamProcessor(rec), seq)
    bodies = sorted({u.body_id for u in ups})
    assert bodies == [0, 1]
    for b in bodies:
        assert len([u for u in ups if u.body_id == b]) >= 30
