"""ReplaySource: pacing, fast, loop, pause, protocol, errors naming the file."""

from __future__ import annotations

import time

import numpy as np
import pytest

from skelapp.core.formats import save_recording
from skelapp.core.layouts import KINECT_V1
from skelapp.core.skeleton import SkeletonSequence
from skelapp.devices.base import SkeletonSource, SourceError
from skelapp.devices.replay import ReplaySource


@pytest.fixture
def recording(tmp_path):
    rng = np.random.default_rng(0)
    seq = SkeletonSequence.from_joints(rng.normal(0, 0.3, (10, 20, 3)), KINECT_V1, fps=50.0)
    return save_recording(seq, tmp_path / "r.skel.npz")


def test_protocol_and_metadata(recording):
    src = ReplaySource(recording)
    assert isinstance(src, SkeletonSource)
    assert src.nominal_fps == 50.0 and src.layout is KINECT_V1 and src.mirrored is False
    assert src.name == "replay:r.skel.npz" and not src.stable_ids


def test_paced_at_recording_fps_with_speed(recording):
    t0 = time.perf_counter()
    with ReplaySource(recording, speed=2.0) as src:
        frames = list(src.frames())
    took = time.perf_counter() - t0
    assert len(frames) == 10 and [f.index for f in frames] == list(range(10))
    assert 0.08 <= took < 0.5  # 9 periods of 20 ms at double speed = 90 ms


def test_fast_and_loop(recording):
    src = ReplaySource(recording, fast=True, loop=True)
    src.open()
    out = []
    for f in src.frames():
        out.append(f)
        if len(out) == 25:
            src.close()
    assert len(out) == 25
    ts = np.array([f.timestamp for f in out])
    assert np.all(np.diff(ts) > 0) and [f.index for f in out] == list(range(25))
    assert ts[10] == pytest.approx(0.2)  # second pass continues one frame after the first's end


def test_pause_holds_the_stream(recording):
    src = ReplaySource(recording, speed=1.0)
    it = src.frames()
    next(it)
    src.pause()
    got = []
    t0 = time.perf_counter()
    import threading

    threading.Timer(0.15, src.resume).start()
    got.append(next(it))
    assert time.perf_counter() - t0 >= 0.14 and got[0].index == 1
    src.close()


def test_missing_file_names_it(tmp_path):
    with pytest.raises(SourceError, match="nope.skeleton"):
        ReplaySource(tmp_path / "nope.skeleton").open()


def test_corrupt_file_names_it(tmp_path):
    bad = tmp_path / "bad.skeleton"
    bad.write_text("12\n1\nnot a body header\n")
    with pytest.raises(SourceError) as e:
        ReplaySource(bad).open()
    assert "bad.skeleton" in str(e.value) and "\n" not in str(e.value)


def test_ntu_file(ntu_dir):
    src = ReplaySource(ntu_dir / "S001C001P001R001A050.skeleton", fast=True)
    with src:
        frames = list(src.frames())
    assert src.stable_ids and src.nominal_fps == 30.0 and src.layout.name == "ntu25"
    assert len(frames) == 74 and frames[0].num_bodies == 2
