"""Azure Kinect: depth sampling / back-projection / plausibility math (synthetic pinhole), pyk4a
playback of the real recording, no-device and missing-dependency errors, Azure CSV replay via the CLI."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from skelapp.core.conversion import opencv_to_skelapp
from skelapp.core.layouts import MEDIAPIPE_POSE
from skelapp.devices.base import MissingDependencyError, SourceError
from skelapp.devices.depth_sampling import (
    backproject_pinhole,
    depth_to_color,
    fill_missing,
    plausible_body,
    sample_depth,
    sample_depth_epipolar,
    splat_depth,
    torso_length,
)
from skelapp.devices.kinect import import_pyk4a, landmarks_to_depth_joints
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
    def depth_at(uv):
        return sample_depth(depth, uv, radius=1)

    j, xy, conf, has_depth = landmarks_to_depth_joints(res, (W, H), depth_at, to_3d, hfov)
    np.testing.assert_array_equal(has_depth, conf == 1.0)
    expect = opencv_to_skelapp(cam)
    good = conf[:20] == 1.0
    assert good.sum() >= 17  # a few windows overlap a nearer landmark
    np.testing.assert_allclose(j[:20][good], expect[:20][good], atol=0.01)
    filled = conf == 0.5  # no depth under them (random landmarks may fall in another's window)
    assert filled[20:].sum() >= 10 and not filled[:20].any()
    np.testing.assert_allclose(j[filled], expect[filled], atol=0.02)  # MediaPipe's metric model, shifted
    jm, xym, _, _ = landmarks_to_depth_joints(res, (W, H), depth_at, to_3d, hfov, mirrored=True)
    flip = MEDIAPIPE_POSE.flip_index
    np.testing.assert_allclose(jm, j[flip] * [-1, 1, 1], atol=1e-5)
    np.testing.assert_allclose(xym, xy[flip])


def _pinhole(f: float, cx: float, cy: float):
    def project(p):
        p = np.asarray(p, np.float64)
        return np.stack([f * p[:, 0] / p[:, 2] + cx, f * p[:, 1] / p[:, 2] + cy], 1)

    def rays(uv):
        uv = np.asarray(uv, np.float64)
        return np.stack([(uv[..., 0] - cx) / f, (uv[..., 1] - cy) / f], -1)

    return project, rays


def _rot_y(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def test_epipolar_sampler_matches_full_transform():
    """Synthetic depth camera (320x288, f 250) offset and turned from a colour camera (640x480,
    f 500): sampling the raw depth per pixel gives what the whole-image re-projection gives."""
    dw, dh = 320, 288
    project_d, rays_d = _pinhole(250.0, 160.0, 144.0)
    project_c, rays_c = _pinhole(500.0, 320.0, 240.0)
    rot, t = _rot_y(1.5), np.array([-0.032, 0.002, 0.004])  # depth -> colour
    depth = np.full((dh, dw), 2500, np.uint16)
    depth[100:200, 100:180] = 1200  # a box in front of a wall
    depth[:, :8] = 0  # invalid border
    drays = rays_d(np.stack(np.meshgrid(np.arange(dw), np.arange(dh)), -1).astype(np.float64))
    aligned = depth_to_color(depth, drays, rot, t, project_c, (640, 480))
    rng = np.random.default_rng(1)
    uv = np.stack([rng.uniform(0, 640, 200), rng.uniform(0, 480, 200)], 1)
    uv[0] = [np.nan, 5]
    uv[1] = [-500, -500]  # far outside both images
    got = sample_depth_epipolar(depth, uv, rays_c(uv), drays, rot, t, project_d, project_c, radius=3)
    ref = sample_depth(aligned, uv, radius=3)
    assert got[0] == 0 and got[1] == 0
    both = (got > 0) & (ref > 0)
    assert both.sum() > 120 and ((got > 0) ^ (ref > 0)).sum() <= 12  # edges of the valid area
    near = np.abs(got[both] - ref[both]) <= 0.01 * ref[both]
    assert near.mean() > 0.9  # the rest sit on the box's edge (median of a mixed window)
    assert set(np.round(got[both][near] / 100)) <= {12, 13, 25, 26}  # box 1.2 m, wall 2.5 m (+ tilt)


def test_epipolar_sampler_empty_inputs():
    project, rays = _pinhole(250.0, 160.0, 144.0)
    depth = np.zeros((288, 320), np.uint16)
    drays = rays(np.stack(np.meshgrid(np.arange(320), np.arange(288)), -1).astype(np.float64))
    uv = np.array([[100.0, 100.0], [np.nan, np.nan]])
    got = sample_depth_epipolar(depth, uv, rays(uv), drays, np.eye(3), np.zeros(3), project, project)
    np.testing.assert_array_equal(got, 0)
    assert sample_depth_epipolar(depth, uv[1:], rays(uv[1:]), drays, np.eye(3), np.zeros(3), project,
                                 project).tolist() == [0]


def test_plausible_body_torso_and_depth_count():
    joints = np.zeros((33, 3))
    joints[[11, 12], 1] = 0.5  # shoulders 0.5 m above the hips: a person
    valid = np.ones(33, bool)
    assert plausible_body(joints, valid) and torso_length(joints, valid) == pytest.approx(0.5)
    assert not plausible_body(joints * 0.06, valid)  # 3 cm torso: the figure on the mug
    assert not plausible_body(joints * 3.0, valid)  # 1.5 m torso
    few = np.zeros(33, bool)
    few[[11, 12, 23, 24]] = True
    assert not plausible_body(joints, few)  # too few landmarks with depth
    no_hips = valid.copy()
    no_hips[[23, 24]] = False
    assert torso_length(joints, no_hips) is None and plausible_body(joints * 0.06, no_hips)  # unmeasurable
    one_side = valid.copy()
    one_side[[12, 24]] = False
    assert torso_length(joints, one_side) == pytest.approx(0.5)


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
def test_playback_with_mediapipe_rejects_the_mug_figure(recording):
    """The clip shows a desk and a mug with a cartoon on it: MediaPipe detects the cartoon, its
    torso measured in depth is a few cm, so the frame has no body."""
    pytest.importorskip("mediapipe")
    from skelapp.devices.kinect import KinectPlaybackSource

    with KinectPlaybackSource(recording) as src:
        frames = list(src.frames())
        assert src.depth_path in ("sdk", "software")
        assert src.rejected_bodies == len(frames)  # MediaPipe did "see" someone in every frame
    assert len(frames) >= 1 and all(f.num_bodies == 0 for f in frames)


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
