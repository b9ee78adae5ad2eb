"""Resampling: streaming == offline == linear interpolation, 30->15 fps, irregular timestamps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.layouts import CANONICAL
from skelapp.core.ntu_skeleton import read_ntu_skeleton
from skelapp.core.resample import StreamResampler, resample_sequence
from skelapp.core.skeleton import SkeletonSequence


def _seq(ts, seed=0, bodies=1) -> SkeletonSequence:
    rng = np.random.default_rng(seed)
    t = len(ts)
    joints = rng.normal(0, 1, (t, bodies, 20, 3)).astype(np.float32)
    xy = rng.uniform(0, 100, (t, bodies, 20, 2)).astype(np.float32)
    return SkeletonSequence(joints, np.ones((t, bodies, 20)), np.asarray(ts, float), CANONICAL,
                            tuple(range(bodies)), xy, fps=30.0)


def _interp(seq: SkeletonSequence, grid: np.ndarray, arr: np.ndarray) -> np.ndarray:
    flat = arr.reshape(len(seq), -1).astype(np.float64)
    out = np.stack([np.interp(grid, seq.timestamps, flat[:, i]) for i in range(flat.shape[1])], 1)
    return out.reshape(len(grid), *arr.shape[1:])


def _stream(seq: SkeletonSequence, fps: float, m: int = 0):
    r = StreamResampler(fps)
    out = []
    for t in range(len(seq)):
        out += r.push(float(seq.timestamps[t]), seq.joints[t, m], seq.confidence[t, m])
    return out


def test_30_to_15_halves_frames_on_real_file(ntu_dir: Path):
    seq = read_ntu_skeleton(ntu_dir / "S001C001P001R001A001.skeleton")
    half = resample_sequence(seq, 15.0)
    assert len(half) == (len(seq) + 1) // 2 == 52 and half.fps == 15.0
    np.testing.assert_allclose(half.joints, seq.joints[::2], atol=1e-6)
    np.testing.assert_allclose(half.image_xy, seq.image_xy[::2], atol=1e-3)
    np.testing.assert_allclose(np.diff(half.timestamps), 1 / 15)
    assert half.body_ids == seq.body_ids and half.meta["action"] == 1


@pytest.mark.parametrize("fps", [7.0, 15.0, 30.0, 60.0])
def test_stream_equals_offline_equals_interp_irregular(fps):
    ts = np.cumsum(np.r_[0.3, np.random.default_rng(3).uniform(0.001, 0.2, 60)])  # irregular, offset start
    seq = _seq(ts, bodies=2)
    off = resample_sequence(seq, fps)
    grid = ts[0] + np.arange(int(np.floor((ts[-1] - ts[0]) * fps + 1e-6)) + 1) / fps
    assert len(off) == len(grid)
    np.testing.assert_allclose(off.timestamps, grid - ts[0], atol=1e-9)
    np.testing.assert_allclose(off.joints, _interp(seq, grid, seq.joints), atol=1e-5)
    np.testing.assert_allclose(off.image_xy, _interp(seq, grid, seq.image_xy), atol=1e-3)
    for m in range(2):
        st = _stream(seq, fps, m)
        np.testing.assert_allclose([s[0] for s in st], grid, atol=1e-9)
        np.testing.assert_array_equal(np.stack([s[1] for s in st]), off.joints[:, m])


def test_sparse_timestamps_fill_gaps_and_confidence_is_min():
    seq = _seq([0.0, 1.0])
    seq.confidence[1, 0, :5] = 0.5
    st = _stream(seq, 10.0)
    assert len(st) == 11
    mid = st[5]
    np.testing.assert_allclose(mid[1], (seq.joints[0, 0] + seq.joints[1, 0]) / 2, atol=1e-6)
    assert mid[2][0] == 0.5 and mid[2][10] == 1.0
    assert st[-1][2][0] == 0.5  # exactly on a sample: that sample's confidence


def test_duplicate_and_out_of_order_samples_are_ignored():
    r = StreamResampler(10.0)
    j = np.zeros((20, 3), np.float32)
    c = np.ones(20, np.float32)
    assert len(r.push(1.0, j, c)) == 1
    assert r.push(1.0, j + 1, c) == [] and r.push(0.5, j + 1, c) == []
    out = r.push(1.2, j + 2, c)
    assert [round(o[0], 9) for o in out] == [1.1, 1.2]
    np.testing.assert_allclose(out[0][1], 1.0)
    r.reset()
    assert r.push(5.0, j, c)[0][0] == 5.0
    with pytest.raises(ValueError):
        StreamResampler(0)


def test_upsampling_15_to_30():
    seq = _seq(np.arange(10) / 15)
    up = resample_sequence(seq, 30.0)
    assert len(up) == 19
    np.testing.assert_allclose(up.joints[::2], seq.joints, atol=1e-6)
    np.testing.assert_allclose(up.joints[1], (seq.joints[0] + seq.joints[1]) / 2, atol=1e-6)
