"""PredictionSmoother: EMA, hysteresis, idle, segments, model resets, commit, observed."""

from __future__ import annotations

import numpy as np
import pytest

from skelapp.core.smoothing import MotionMeter, PredictionSmoother, SmoothingConfig

FPS = 10.0
LABELS = ["wave", "clap", "kick"]


def _p(i: int, level: float = 0.9) -> np.ndarray:
    p = np.full(3, (1 - level) / 2)
    p[i] = level
    return p


def _run(sm: PredictionSmoother, probs: list[np.ndarray], motion: list[float], t0: float = 0.0):
    return [sm.update(t0 + k / FPS, p, m) for k, (p, m) in enumerate(zip(probs, motion, strict=True))]


def test_thresholds_validated():
    with pytest.raises(ValueError):
        SmoothingConfig(enter_threshold=0.3, exit_threshold=0.4)


def test_no_motion_is_idle_and_resets_the_model_periodically():
    sm = PredictionSmoother(LABELS, FPS, SmoothingConfig(idle_seconds=1.0))
    out = _run(sm, [_p(0)] * 25, [0.0] * 25)
    assert {s.label for s in out} == {"idle"} and {s.segment_id for s in out} == {-1}
    assert [k for k, s in enumerate(out) if s.reset_model] == [9, 19]  # every 10 quiet frames
    assert all(s.observed == 0 for s in out)


def test_action_segment_label_commit_and_end():
    cfg = SmoothingConfig(min_frames=3, commit_frames=4, idle_seconds=1.0, start_frames=2)
    sm = PredictionSmoother(LABELS, FPS, cfg, durations=[2.0, 3.0, 3.0])
    out = _run(sm, [_p(0)] * 20 + [_p(0, 0.34)] * 15, [1.0] * 20 + [0.0] * 15)
    assert out[0].segment_id == -1 and out[1].segment_started and out[1].segment_id == 0
    labels = [s.label for s in out[:20]]
    assert labels[:3] == ["idle"] * 3 and labels[3:] == ["wave"] * 17  # 3 frames above enter
    committed = [s.committed for s in out[:20]]
    assert committed.index(True) == 6 and all(committed[6:])  # 4 frames above commit
    assert out[19].observed == pytest.approx(0.95) and 0 < out[5].observed < out[10].observed < 1
    assert out[10].observed == pytest.approx((1.0 - 0.1 + 0.1) / 2.0)  # (t - start + 1 frame) / 2 s
    ended = [k for k, s in enumerate(out) if s.segment_ended]
    assert ended == [29] and out[29].reset_model and out[29].label == "idle" and out[29].segment_id == -1


def test_hysteresis_holds_label_through_dips_and_needs_margin_to_switch():
    cfg = SmoothingConfig(ema_alpha=1.0, enter_threshold=0.5, exit_threshold=0.3, min_frames=2)
    sm = PredictionSmoother(LABELS, FPS, cfg)
    seq = [_p(0)] * 5 + [np.array([0.4, 0.45, 0.15])] * 4 + [np.array([0.48, 0.52, 0.0])] * 4
    out = _run(sm, seq, [1.0] * len(seq))
    # wave dips to 0.4 (above exit), clap at 0.45 is below enter: keep wave
    assert [s.label for s in out[5:9]] == ["wave"] * 4
    # clap 0.52 >= enter but not wave + margin (0.58): still wave
    assert [s.label for s in out[9:]] == ["wave"] * 4
    out2 = _run(sm, [np.array([0.1, 0.8, 0.1])] * 3, [1.0] * 3, t0=2.0)
    # wave falls below exit at once (idle); clap needs min_frames=2 above enter
    assert [s.label for s in out2] == ["idle", "clap", "clap"] and not out2[1].committed


def test_flickering_input_gives_a_stable_label():
    rng = np.random.default_rng(0)
    sm = PredictionSmoother(LABELS, FPS)
    # mostly wave, but a fifth of the frames spike to clap (noisy per-frame output)
    probs = [_p(1, 0.8) if rng.random() < 0.2 else _p(0, 0.8) for _ in range(100)]
    out = _run(sm, probs, [1.0] * 100)
    changes = [(a.label, b.label) for a, b in zip(out, out[1:], strict=False) if a.label != b.label]
    assert changes == [("idle", "wave")]


def test_low_confidence_drops_the_label():
    cfg = SmoothingConfig(ema_alpha=1.0, min_frames=1)
    sm = PredictionSmoother(LABELS, FPS, cfg)
    out = _run(sm, [_p(2)] * 4 + [np.array([0.4, 0.4, 0.2])] * 2, [1.0] * 6)
    assert [s.label for s in out] == ["idle", "kick", "kick", "kick", "idle", "idle"]
    assert out[-1].segment_id == 0  # still moving: same segment, just no confident label


def test_new_segment_restarts_ema_and_ids():
    cfg = SmoothingConfig(idle_seconds=0.5, min_frames=1)
    sm = PredictionSmoother(LABELS, FPS, cfg)
    a = _run(sm, [_p(0)] * 10 + [np.full(3, 1 / 3)] * 5, [1.0] * 10 + [0.0] * 5)
    b = _run(sm, [_p(1)] * 10, [1.0] * 10, t0=2.0)
    assert a[-1].segment_ended and b[1].segment_id == 1 and b[1].segment_started
    assert b[1].probabilities[1] == pytest.approx(0.9)  # EMA restarted: no trace of "wave"
    assert b[-1].label == "clap"


def test_motion_meter_speed_of_fastest_joints():
    m = MotionMeter(fps=10.0, alpha=1.0, k=5)
    j = np.zeros((20, 3), np.float32)
    c = np.ones(20, np.float32)
    assert m.push(j, c) == 0.0
    j2 = j.copy()
    j2[:5, 0] = 0.1  # 5 joints move 0.1 m in 0.1 s
    assert m.push(j2, c) == pytest.approx(1.0)
    assert m.push(j2, np.zeros(20, np.float32)) == pytest.approx(1.0)  # absent: keeps value
