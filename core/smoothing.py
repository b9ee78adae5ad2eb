"""Turn per-frame class probabilities of one track into stable, segmented labels.

Per track (one :class:`PredictionSmoother` each), at the model's frame rate:

* probabilities are smoothed with an EMA (restarted when an action segment starts);
* motion energy (EMA of the mean speed of the 5 fastest joints, m/s, :class:`MotionMeter`)
  starts an action *segment* when it stays above ``motion_threshold`` for ``start_frames``;
  a segment ends after ``idle_seconds`` of low motion unless a committed label is still held
  confidently (then after three times that). Every ``idle_seconds`` of quiet the smoother asks
  for a model-state reset, so each action starts from a (nearly) fresh state;
* the label has hysteresis: a class becomes the label once its smoothed probability stays at
  or above ``enter_threshold`` (and ``switch_margin`` above the current label) for
  ``min_frames``; it is dropped when it falls below ``exit_threshold``. Without a label the
  track shows ``idle_label`` (no action, or not confident yet);
* a label is *committed* (no longer tentative) once its probability stayed at or above
  ``commit_threshold`` for ``commit_frames`` frames; it stays committed until it changes;
* ``observed`` = time since segment start / the label's typical duration, clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SmoothingConfig:
    ema_alpha: float = 0.3  # weight of the newest probabilities
    enter_threshold: float = 0.5
    exit_threshold: float = 0.3
    switch_margin: float = 0.1
    min_frames: int = 3
    commit_threshold: float = 0.6
    commit_frames: int = 8
    motion_threshold: float = 0.12  # m/s
    motion_alpha: float = 0.3
    start_frames: int = 2
    idle_seconds: float = 1.5
    idle_label: str = "idle"
    default_duration_s: float = 3.0

    def __post_init__(self) -> None:
        if not self.exit_threshold < self.enter_threshold:
            raise ValueError("exit_threshold must be below enter_threshold")


class MotionMeter:
    """EMA of the mean speed (m/s) of the ``k`` fastest confident joints between samples."""

    def __init__(self, fps: float, alpha: float = 0.3, k: int = 5) -> None:
        self.fps, self.alpha, self.k = fps, alpha, k
        self.reset()

    def reset(self) -> None:
        self._prev: tuple[np.ndarray, np.ndarray] | None = None  # joints, confident mask
        self.energy = 0.0

    def push(self, joints: np.ndarray, confidence: np.ndarray) -> float:
        ok = confidence > 0
        if not ok.any():
            self._prev = None
            return self.energy
        if self._prev is not None:
            both = ok & self._prev[1]
            if both.any():
                speed = np.linalg.norm(joints[both] - self._prev[0][both], axis=1) * self.fps
                raw = float(np.sort(speed)[-self.k :].mean())
                self.energy = (1 - self.alpha) * self.energy + self.alpha * raw
        self._prev = (np.array(joints, np.float64), ok)
        return self.energy


@dataclass
class SmoothedStep:
    """One smoother output."""

    label: str
    label_index: int  # -1 for the idle label
    committed: bool
    observed: float
    segment_id: int  # -1 outside an action segment
    probabilities: np.ndarray  # smoothed, model order
    reset_model: bool = False  # caller should zero the track's model state now
    segment_started: bool = False
    segment_ended: bool = False


class PredictionSmoother:
    def __init__(
        self,
        labels: list[str],
        fps: float,
        config: SmoothingConfig | None = None,
        durations: list[float] | None = None,
    ) -> None:
        self.labels = list(labels)
        self.fps = fps
        self.cfg = config or SmoothingConfig()
        self.durations = list(durations) if durations else [self.cfg.default_duration_s] * len(labels)
        self._segments = 0
        self._ema: np.ndarray | None = None
        self._end_segment()
        self._moving_run = 0
        self._quiet_run = 0

    def _end_segment(self) -> None:
        self.segment_id = -1
        self._seg_start = 0.0
        self._label = -1
        self._cand, self._cand_run = -1, 0
        self._commit_run, self._committed = 0, False

    def update(self, t: float, probs: np.ndarray, motion: float) -> SmoothedStep:
        cfg = self.cfg
        probs = np.asarray(probs, np.float64)
        idle_frames = max(1, round(cfg.idle_seconds * self.fps))
        moving = motion >= cfg.motion_threshold
        self._moving_run = self._moving_run + 1 if moving else 0
        self._quiet_run = 0 if moving else self._quiet_run + 1
        started = ended = reset = False
        if self.segment_id < 0 and self._moving_run >= cfg.start_frames:
            self.segment_id, self._segments = self._segments, self._segments + 1
            self._seg_start = t
            self._ema = None
            started = True
        a = cfg.ema_alpha
        self._ema = probs.copy() if self._ema is None else (1 - a) * self._ema + a * probs
        if self.segment_id >= 0:
            self._update_label(self._ema)
        if self._quiet_run and self._quiet_run % idle_frames == 0:
            held = self._label >= 0 and self._committed and self._ema[self._label] >= cfg.enter_threshold
            if self.segment_id >= 0 and (not held or self._quiet_run >= 3 * idle_frames):
                self._end_segment()
                ended = True
            if self.segment_id < 0:
                reset = True
        lab = self._label
        observed = 0.0
        if self.segment_id >= 0:
            dur = self.durations[lab] if lab >= 0 else self.cfg.default_duration_s
            observed = float(np.clip((t - self._seg_start + 1.0 / self.fps) / max(dur, 1e-6), 0.0, 1.0))
        return SmoothedStep(
            label=self.labels[lab] if lab >= 0 else cfg.idle_label,
            label_index=lab,
            committed=self._committed,
            observed=observed,
            segment_id=self.segment_id,
            probabilities=self._ema.copy(),
            reset_model=reset,
            segment_started=started,
            segment_ended=ended,
        )

    def _update_label(self, p: np.ndarray) -> None:
        cfg = self.cfg
        if self._label >= 0 and p[self._label] < cfg.exit_threshold:
            self._label, self._committed, self._commit_run = -1, False, 0
        best = int(np.argmax(p))
        cur = p[self._label] if self._label >= 0 else 0.0
        if best != self._label and p[best] >= cfg.enter_threshold and (
            self._label < 0 or p[best] >= cur + cfg.switch_margin
        ):
            self._cand_run = self._cand_run + 1 if best == self._cand else 1
            self._cand = best
            if self._cand_run >= cfg.min_frames:
                self._label, self._committed, self._commit_run = best, False, 0
                self._cand, self._cand_run = -1, 0
        else:
            self._cand, self._cand_run = -1, 0
        if self._label >= 0 and not self._committed:
            self._commit_run = self._commit_run + 1 if p[self._label] >= cfg.commit_threshold else 0
            self._committed = self._commit_run >= cfg.commit_frames
