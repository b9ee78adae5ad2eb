"""Azure Kinect: depth sampling / back-projection math (synthetic pinhole), pyk4a playback of the
real recording, no-device and missing-dependency errors, and Azure CSV replay through the CLI."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from skelapp.core.layouts import MEDIAPIPE_POSE
from skelapp.devices.base import MissingDependencyError, SourceError
from skelapp.devices.kinect import (
    backproject_pinhole,
    depth_to_color,
    fill_missing,
    import_pyk4a,
    landmarks_to_depth_joints,
    opencv_to_skelapp,
    sample_depth,
    splat_depth,
)
from skelapp.devices.mediapipe_pose import PoseResult

FX, FY, CX, CY, W, H = 600.0, 600.0, 320.0, 240.0, 640, 480


def test_sample_depth_median_ignores_invalid():
    d = np.zeros((H, W), np.uint16)
    d[100:105, 200:205] = 2000
    d[102, 202] = 9000  # one outlier
    got = sample_depth(d, np.array([[202, 102], [10, 10], [-50, 3], [np.nan, 1], [639.4, 479.4]]), radius=2)
    assert got[0] == 2000 and got[1] == 0 and got[2] == 0 and got[3] == 0 and got[4] == 0


def test_backproject_and_axes():
    uv = np.array([[CX, CY], [CX + 60, CY - 30]])
    p = backproject_pinhole(uv, np.array([2000.0, 3000.0]), FX, FY, CX, CY)
    np.testing.assert_allclose(p, [[0, 0, 2], [0.3, -0.15, 3]])
    np.testing.assert_allclose(opencv_to_skelapp(p[1]), [-0.3, 0.15, 3])  # image right -> -x, up -> +y


def test_software_depth_to_color_identity_calibration():
    yy, xx = np.mgrid[0:H, 0:W]
    rays = np.stack([(xx - CX) / FX, (yy - CY) / FY], -1)
    depth = np.full((H, W), 2500, np.uint16)
    depth[:, :10] = 0

    def project(p):
        return np.stack([FX * p[:, 0] / p[:, 2] + CX, FY * p[:, 1] / p[:, 2] + CY], 1)

    out = depth_to_color(depth, rays, np.eye(3), np.zeros(3), project, (W, H))
    assert out.shape == (H, W) and out.dtype == np.uint16
    assert (out[:, 10:] == 2500).all() and (out[:, :10] == 0).all()
    shifted = depth_to_color(depth, rays, np.eye(3), np.array([0.1, 0, 0]), project, (W, H))
    assert (shifted[:, 40:] == 2500).all() and (shifted[:, :30] == 0).all()  # 0.1 m -> 24 px
    assert splat_depth(np.array([[1, 1], [1, 1]]), np.array([900.0, 800.0]), (4, 4))[1, 1] == 800


def test_landmarks_to_depth_joints_synthetic():
    rng = np.random.default_rng(0)
    world = rng.normal(0, 0.3, (33, 3)).astype(np.float32)
    t = np.array([0.2, 0.1, 2.0])
    cam = world + t
    px = np.stack([FX * cam[:, 0] / cam[:, 2] + CX, FY * cam[:, 1] / cam[:, 2] + CY], 1).astype(np.float32)
    depth = np.zeros((H, W), np.uint16)
    for (u, v), z in zip(px[:20], cam[:20, 2], strict=True):  # only 20 landmarks have depth
        depth[int(round(v)) - 1:int(round(v)) + 2, int(round(u)) - 1:int(round(u)) + 2] = int(round(z * 1000))
    res = PoseResult(world, px, np.ones(33, np.float32))

    def to_3d(uv, d):
        return backproject_pinhole(np.array([uv]), np.array([d]), FX, FY, CX, CY)[0] * 1000.0

    hfov = float(np.degrees(2 * np.arctan(W / 2 / FX)))
    j, xy, conf = landmarks_to_depth_joints(res, (W, H), depth, to_3d, hfov, radius=1)
    expect = opencv_to_skelapp(cam)
    good = conf[:20] == 1.0
    assert good.sum() >= 17  # a few windows overlap a nearer landmark
    np.testing.assert_allclose(j[:20][good], expect[:20][good], atol=0.01)
    filled = conf == 0.5  # no depth under them (random landmarks may fall in another's window)
    assert filled[20:].sum() >= 10 and not filled[:20].any()
    np.testing.assert_allclose(j[filled], expect[filled], atol=0.02)  # MediaPipe's metric model, shifted
    jm, xym, _ = landmarks_to_depth_joints(res, (W, H), depth, to_3d, hfov, mirrored=True, radius=1)
    flip = MEDIAPIPE_POSE.flip_index
    np.testing.assert_allclose(jm, j[flip] * [-1, 1, 1], atol=1e-5)
    np.testing.assert_allclose(xym, xy[flip])


def test_fill_missing():
    model = np.zeros((4, 3))
    joints = np.array([[1, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0]], float)
    out = fill_missing(joints, np.array([True, True, False, False]), model)
    np.testing.assert_allclose(out[2:], 1.0)


def test_missing_pyk4a_names_kinect_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyk4a", None)
    with pytest.raises(MissingDependencyError, match=r"skelapp\[kinect\]"):
        import_pyk4a()
    from skelapp.devices.factory import SourceSpec, build_source
    from skelapp.devices.kinect import KinectSource

    with pytest.raises(MissingDependencyError, match="kinect"):
        KinectSource().open()
    assert build_source(SourceSpec("kinect", mirrored=True)).mirrored


def test_no_device_connected():
    pyk4a = pytest.importorskip("pyk4a")
    from skelapp.devices.kinect import KinectSource

    if pyk4a.connected_device_count() > 0:
        pytest.skip("an Azure Kinect is connected")
    with pytest.raises(SourceError, match="no Azure Kinect connected"):
        KinectSource().open()


class _FakeDevice:
    """A device that delivers 3 captures, then fails like an unplugged sensor."""

    def __init__(self):
        self.n = 0

    def get_capture(self, timeout=0):
        time.sleep(0.03)  # ~30 fps: the consumer keeps up, so no frame is dropped
        self.n += 1
        if self.n > 3:
            raise RuntimeError("device disconnected")
        cap = type("Cap", (), {})()
        cap.color = np.full((48, 64, 4), 100, np.uint8)
        cap.depth = None
        cap.color_timestamp_usec = 1_000_000 + 33_333 * self.n
        return cap

    def stop(self):
        pass


def test_unplug_mid_stream_after_good_frames():
    pytest.importorskip("cv2")
    from skelapp.devices.kinect import KinectSource

    class NoBody:
        def estimate(self, bgr):
            return None

    src = KinectSource(estimator=NoBody)
    src._device, src._estimator = _FakeDevice(), NoBody()  # bypass open(): no hardware here
    got = []
    with pytest.raises(SourceError, match="stopped delivering frames"):
        for f in src.frames():
            got.append(f)
    src.close()
    assert [f.num_bodies for f in got] == [0, 0, 0]
    np.testing.assert_allclose([f.timestamp for f in got], [0, 1 / 30, 2 / 30], atol=1e-4)


@pytest.fixture
def recording(data_dir):
    pytest.importorskip("pyk4a")
    pytest.importorskip("cv2")
    return data_dir / "azure_kinect" / "pyk4a_recording" / "recording.mkv"


@pytest.mark.realdata
def test_playback_decodes_with_calibration_no_person(recording):
    from skelapp.devices.kinect import KinectPlaybackSource

    class NoBody:
        def estimate(self, bgr):
            return None

    with KinectPlaybackSource(recording, estimator=NoBody) as src:
        import pyk4a

        k = src.calibration.get_camera_matrix(pyk4a.CalibrationType.COLOR)
        frames = list(src.frames())
        assert src.nominal_fps == 5.0
    assert 500 < k[0, 0] < 700 and abs(k[0, 2] - 640) < 20  # 720p colour intrinsics
    assert len(frames) >= 1 and all(f.num_bodies == 0 for f in frames)
    assert frames[0].image.shape == (720, 1280, 3) and frames[0].timestamp == 0.0


@pytest.mark.realdata
def test_playback_with_mediapipe_depth_is_sane(recording):
    """The clip shows a desk and a mug (a drawn figure on it may be detected): any joints found
    must lie at the measured depth of the scene, within a couple of metres."""
    pytest.importorskip("mediapipe")
    from skelapp.devices.kinect import KinectPlaybackSource

    with KinectPlaybackSource(recording) as src:
        frames = list(src.frames())
        assert src.depth_path in ("sdk", "software")
    for f in frames:
        assert f.num_bodies <= 1
        if f.num_bodies:
            z = f.joints[0, :, 2]
            assert z.size and (z > 0.1).all() and (z < 3.0).all()


def test_playback_missing_file(tmp_path):
    pytest.importorskip("pyk4a")
    pytest.importorskip("cv2")
    from skelapp.devices.kinect import KinectPlaybackSource

    with pytest.raises(SourceError, match="nope.mkv"):
        KinectPlaybackSource(tmp_path / "nope.mkv").open()


@pytest.mark.realdata
def test_cli_replays_azure_csv(data_dir, tmp_path):
    from _onnx_model import cached_model

    from skelapp.app.prediction_log import read_jsonl
    from skelapp.app.run import main

    csv_path = data_dir / "azure_kinect" / "gymtrainer_body_tracking_csv" / "bodyweight_squat_side_view.csv"
    log = tmp_path / "csv.jsonl"
    args = ["--replay", str(csv_path), "--headless", "--fast", "--quiet", "--log", str(log)]
    assert main([*args, "--model", str(cached_model(10))]) == 0
    recs = read_jsonl(log)
    assert recs[-1]["type"] == "summary" and recs[-1]["frames"] == 326 and recs[-1]["error"] is None
