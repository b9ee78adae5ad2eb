"""Resample skeleton streams to a fixed frame rate by their timestamps.

The model runs at one frame rate (``FeatureConfig.fps``); every source is linearly
interpolated onto the grid ``t0 + k / fps``. :func:`resample_sequence` is the offline form;
:class:`StreamResampler` the streaming form (same output, frame by frame).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .skeleton import SkeletonSequence


class StreamResampler:
    """One track: push ``(t, joints (V,3), confidence (V,))``, get the grid samples now due."""

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.period = 1.0 / fps
        self.reset()

    def reset(self) -> None:
        self._prev: tuple[float, np.ndarray, np.ndarray] | None = None
        self._next_t: float | None = None
        self._k = 0
        self._t0 = 0.0

    def push(
        self, t: float, joints: np.ndarray, conf: np.ndarray
    ) -> list[tuple[float, np.ndarray, np.ndarray]]:
        out = []
        if self._prev is None:
            self._t0, self._k = t, 1
            self._prev = (t, joints, conf)
            return [(t, np.asarray(joints, np.float32), np.asarray(conf, np.float32))]
        t_prev, j_prev, c_prev = self._prev
        if t <= t_prev:
            return out  # out-of-order or duplicate timestamp: ignore
        eps = 1e-9
        while True:
            g = self._t0 + self._k * self.period
            if g > t + eps:
                break
            w = (g - t_prev) / (t - t_prev)
            j = (1 - w) * j_prev + w * joints
            c = np.minimum(c_prev, conf) if 0 < w < 1 else (conf if w >= 1 else c_prev)
            out.append((g, j.astype(np.float32), np.asarray(c, np.float32)))
            self._k += 1
        self._prev = (t, joints, conf)
        return out


def resample_sequence(seq: SkeletonSequence, fps: float) -> SkeletonSequence:
    """Offline resampling of every body slot to *fps* (same result as :class:`StreamResampler`)."""
    if len(seq) == 0:
        raise ValueError("cannot resample an empty sequence")
    outs = []
    times = None
    for m in range(seq.num_bodies):
        r = StreamResampler(fps)
        samples = []
        for t in range(len(seq)):
            samples += r.push(float(seq.timestamps[t]), seq.joints[t, m], seq.confidence[t, m])
        outs.append(samples)
        if times is None:
            times = np.array([s[0] for s in samples])
    joints = np.stack([np.stack([s[1] for s in o]) for o in outs], axis=1)
    conf = np.stack([np.stack([s[2] for s in o]) for o in outs], axis=1)
    xy = None
    if seq.image_xy is not None:
        grid = times
        flat = seq.image_xy.reshape(len(seq), -1)
        xy = np.stack([np.interp(grid, seq.timestamps, flat[:, i]) for i in range(flat.shape[1])], 1)
        xy = xy.reshape(len(grid), *seq.image_xy.shape[1:])
    return replace(
        seq, joints=joints, confidence=conf, timestamps=times - times[0], image_xy=xy, fps=fps,
        meta=dict(seq.meta),
    )
