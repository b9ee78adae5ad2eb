"""WebcamSource: threading, queues, timestamps, errors (fakes), and real videos (few frames)."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from skelapp.core.layouts import MEDIAPIPE_POSE
from skelapp.devices.base import MissingDependencyError, SkeletonSource, SourceError
from skelapp.devices.mediapipe_pose import PoseResult

cv2 = pytest.importorskip("cv2")
from skelapp.devices.webcam import WebcamSource  # noqa: E402

IDX = MEDIAPIPE_POSE.index


class FakeEstimator:
    """Returns a fixed standing body for bright frames, nobody for dark ones."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay, self.calls, self.closed = delay, 0, False

    def estimate(self, bgr):
        self.calls += 1
        time.sleep(self.delay)
        if bgr.mean() < 20:
            return None
        h, w = bgr.shape[:2]
        world = np.zeros((33, 3), np.float32)
        world[:, 1] = np.linspace(-0.8, 0.9, 33)
        world[:, 0] = np.where([n.endswith("_left") for n in MEDIAPIPE_POSE.joint_names], 0.15, -0.15)
        px = np.stack([w / 2 + 300 * world[:, 0], h / 2 + 300 * world[:, 1]], 1).astype(np.float32)
        return PoseResult(world, px, np.full(33, 0.9, np.float32))

    def close(self):
        self.closed = True


@pytest.fixture
def video(tmp_path):
    """A 20-frame 160x120 MJPG video at 25 fps: frames 5..9 are black (nobody)."""
    path = tmp_path / "clip.avi"
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (160, 120))
    for i in range(20):
        wr.write(np.full((120, 160, 3), 0 if 5 <= i < 10 else 200, np.uint8))
    wr.release()
    return path


def test_file_source_lossless_with_timestamps(video):
    est = FakeEstimator()
    src = WebcamSource(video, estimator=lambda: est)
    assert isinstance(src, SkeletonSource) and src.layout is MEDIAPIPE_POSE and not src.mirrored
    assert src.max_people == 1 and "one person" in src.warning
    with src:
        assert src.nominal_fps == pytest.approx(25.0) and src.image_size == (160, 120)
        frames = list(src.frames())
    assert est.closed and len(frames) == 20 and src.dropped_frames == 0
    assert [f.index for f in frames] == list(range(20))
    ts = np.array([f.timestamp for f in frames])
    assert ts[0] == 0.0 and (np.diff(ts) > 0).all()
    np.testing.assert_allclose(ts, np.arange(20) / 25.0, atol=2e-3)
    bodies = [f.num_bodies for f in frames]
    assert bodies == [1] * 5 + [0] * 5 + [1] * 10
    f = frames[0]
    assert f.joints.shape == (1, 33, 3) and f.confidence.shape == (1, 33) and f.image_xy.shape == (1, 33, 2)
    assert f.body_ids == (0,) and f.image.shape == (120, 160, 3) and f.confidence.max() == pytest.approx(0.9)
    empty = frames[6]
    assert empty.joints.shape == (0, 33, 3) and empty.body_ids == () and empty.image is not None


def test_stride_max_frames_and_mirroring(video):
    plain = list(WebcamSource(video, stride=3, max_frames=4, estimator=FakeEstimator).frames())
    assert len(plain) == 4
    np.testing.assert_allclose([f.timestamp for f in plain], [0, 0.12, 0.24, 0.36], atol=2e-3)
    with WebcamSource(video, mirrored=True, max_frames=1, estimator=FakeEstimator) as src:
        mirrored = next(iter(src.frames()))
    assert src.mirrored
    a, b = plain[0], mirrored
    flip = MEDIAPIPE_POSE.flip_index
    np.testing.assert_allclose(b.joints[0], a.joints[0][flip] * [-1, 1, 1], atol=1e-5)
    np.testing.assert_allclose(b.image_xy[0], a.image_xy[0][flip])  # same pixels, labels swapped


def test_pace_plays_at_file_rate(video):
    t0 = time.monotonic()
    with WebcamSource(video, pace=True, max_frames=10, estimator=FakeEstimator) as src:
        n = len(list(src.frames()))
    assert n >= 8 and time.monotonic() - t0 >= 0.3  # 9 periods of 40 ms


class FakeCamera:
    """A camera delivering *n* frames at ~1 kHz, then failing (unplugged)."""

    instances: list = []

    def __init__(self, index, n=60):
        self.index, self.n, self.i = index, n, 0
        FakeCamera.instances.append(self)

    def isOpened(self):  # noqa: N802 - OpenCV's API
        return self.index == 0

    def get(self, prop):
        props = {cv2.CAP_PROP_FPS: 30.0, cv2.CAP_PROP_FRAME_WIDTH: 64, cv2.CAP_PROP_FRAME_HEIGHT: 48}
        return props.get(prop, 0)

    def read(self):
        time.sleep(0.001)
        self.i += 1
        if self.i > self.n:
            return False, None
        return True, np.full((48, 64, 3), 200, np.uint8)

    def grab(self):
        return self.read()[0]

    def release(self):
        pass


def test_camera_drops_oldest_and_errors_after_good_frames(monkeypatch):
    monkeypatch.setattr(cv2, "VideoCapture", FakeCamera)
    src = WebcamSource(0, estimator=lambda: FakeEstimator(delay=0.01))
    assert src.name == "camera:0" and not src.mirrored
    got = []
    with src, pytest.raises(SourceError, match="camera 0"):
        for f in src.frames():
            got.append(f)
    assert 0 < len(got) < 60 and src.dropped_frames > 0
    assert len(got) + src.dropped_frames <= 60
    ts = [f.timestamp for f in got]
    assert all(b > a for a, b in zip(ts, ts[1:], strict=False))  # monotonic clock


def test_bad_camera_index(monkeypatch):
    monkeypatch.setattr(cv2, "VideoCapture", FakeCamera)
    with pytest.raises(SourceError, match="camera 7"):
        WebcamSource(7, estimator=FakeEstimator).open()


def test_bad_files(tmp_path):
    with pytest.raises(SourceError, match="nope.mp4"):
        WebcamSource(tmp_path / "nope.mp4", estimator=FakeEstimator).open()
    junk = tmp_path / "junk.avi"
    junk.write_text("not a video at all\n" * 10)
    # fails at open, or at the first frame
    with pytest.raises(SourceError, match="junk.avi"), WebcamSource(junk, estimator=FakeEstimator) as src:
        list(src.frames())


def test_missing_cv2_names_the_video_extra(monkeypatch, video):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(MissingDependencyError, match=r"skelapp\[video\]"):
        WebcamSource(video, estimator=FakeEstimator).open()


def test_factory_builds_it(video):
    from skelapp.devices.factory import SourceSpec, build_source

    src = build_source(SourceSpec("video", str(video), mirrored=True))
    assert isinstance(src, WebcamSource) and src.mirrored and src.name == "video:clip.avi"
    assert build_source(SourceSpec("video", str(video))).mirrored is False


# -- real videos (MediaPipe; a few frames each) ----------------------------------------------

@pytest.fixture
def videos(data_dir):
    pytest.importorskip("mediapipe")
    return data_dir / "videos"


@pytest.mark.realdata
def test_ntu_video_first_frames(videos):
    with WebcamSource(videos / "S001C001P001R001A001_rgb.avi", mirrored=True, max_frames=10) as src:
        frames = list(src.frames())
        assert src.image_size == (1920, 1080) and src.nominal_fps == pytest.approx(30.0)
    assert len(frames) == 10 and all(f.num_bodies == 1 for f in frames)
    f = frames[-1]
    assert f.image.shape == (1080, 1920, 3)
    assert 600 < f.image_xy[0, IDX("nose"), 0] < 1400 and f.confidence[0, IDX("nose")] > 0.5
    head, ankle = f.joints[0, IDX("nose")], f.joints[0, IDX("ankle_left")]
    assert head[1] - ankle[1] > 1.0 and 1.0 < head[2] < 10.0  # standing, metres, in front


@pytest.mark.realdata
def test_squat_hip_goes_down_and_up(videos):
    with WebcamSource(videos / "gymtrainer_squat.mp4", stride=4) as src:
        frames = list(src.frames())
        assert src.image_size == (720, 1280)
    assert len(frames) == 22
    assert sum(f.num_bodies for f in frames) >= 0.8 * len(frames)
    hips = [IDX("hip_left"), IDX("hip_right")]
    hip_px = np.array([f.image_xy[0, hips, 1].mean() if f.num_bodies else np.nan for f in frames])
    lowest = int(np.nanargmax(hip_px))  # image y grows downwards
    assert 0 < lowest < len(frames) - 1
    assert hip_px[lowest] - np.nanmin(hip_px[:lowest]) > 80  # goes down ...
    assert hip_px[lowest] - np.nanmin(hip_px[lowest:]) > 80  # ... and comes back up


@pytest.mark.realdata
def test_two_people_one_body_and_warning(videos):
    with WebcamSource(videos / "pyskl_ntu_sample_2person.avi", stride=5) as src:
        frames = list(src.frames())
    assert src.max_people == 1 and "one person" in src.warning
    assert len(frames) == 15 and max(f.num_bodies for f in frames) == 1
    assert sum(f.num_bodies for f in frames) >= 10


@pytest.mark.realdata
def test_cli_video_headless_end_to_end(videos, tmp_path, capsys):
    from _onnx_model import cached_model

    from skelapp.app.prediction_log import read_jsonl
    from skelapp.app.run import main

    log = tmp_path / "x.jsonl"
    rc = main(["--video", str(videos / "gymtrainer_squat.mp4"), "--headless", "--fast", "--quiet",
               "--model", str(cached_model(10)), "--log", str(log)])
    assert rc == 0, capsys.readouterr().err
    recs = read_jsonl(log)
    assert recs[0]["type"] == "start" and recs[0]["source"] == "video:gymtrainer_squat.mp4"
    assert any(r["type"] == "update" for r in recs)
    s = recs[-1]
    assert s["type"] == "summary" and s["error"] is None and s["frames"] == 85
