"""MediaPipe pose helpers: translation fit, axis convention, mirroring by geometry, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from skelapp.core.conversion import facing_direction, to_canonical
from skelapp.core.layouts import CANONICAL, MEDIAPIPE_POSE
from skelapp.core.skeleton import SkeletonSequence
from skelapp.devices.base import MissingDependencyError
from skelapp.devices.mediapipe_pose import (
    MediaPipePose,
    PoseResult,
    estimate_translation,
    focal_from_hfov,
    import_mediapipe,
    landmarks_to_camera,
)

W, H, HFOV = 1280, 720, 70.0
IDX = MEDIAPIPE_POSE.index


def _standing_person_world() -> np.ndarray:
    """33 landmarks in MediaPipe world metres (x image-right, y down, z away), facing the camera:
    the subject's left side is on the image's right (+x)."""
    w = np.zeros((33, 3), np.float64)
    for side, sx in (("left", 1.0), ("right", -1.0)):
        w[IDX(f"shoulder_{side}")] = (0.18 * sx, -0.5, 0.0)
        w[IDX(f"elbow_{side}")] = (0.25 * sx, -0.25, 0.05)
        w[IDX(f"wrist_{side}")] = (0.3 * sx, 0.0, -0.1)
        for p in ("pinky", "index", "thumb"):
            w[IDX(f"{p}_{side}")] = (0.32 * sx, 0.07, -0.12)
        w[IDX(f"hip_{side}")] = (0.1 * sx, 0.0, 0.0)
        w[IDX(f"knee_{side}")] = (0.11 * sx, 0.45, -0.02)
        w[IDX(f"ankle_{side}")] = (0.12 * sx, 0.9, 0.02)
        w[IDX(f"heel_{side}")] = (0.12 * sx, 0.95, 0.06)
        w[IDX(f"foot_index_{side}")] = (0.13 * sx, 0.97, -0.12)
        w[IDX(f"ear_{side}")] = (0.07 * sx, -0.68, 0.05)
        w[IDX(f"eye_{side}")] = (0.035 * sx, -0.7, -0.08)
        w[IDX(f"eye_inner_{side}")] = (0.02 * sx, -0.7, -0.08)
        w[IDX(f"eye_outer_{side}")] = (0.05 * sx, -0.7, -0.07)
        w[IDX(f"mouth_{side}")] = (0.025 * sx, -0.62, -0.08)
    w[IDX("nose")] = (0.0, -0.66, -0.1)
    return w


def _project(world: np.ndarray, t: np.ndarray) -> np.ndarray:
    f = focal_from_hfov(W, HFOV)
    p = world + t
    return np.stack([f * p[:, 0] / p[:, 2] + W / 2, f * p[:, 1] / p[:, 2] + H / 2], axis=1)


def _result(world: np.ndarray, t=(0.3, -0.1, 3.0)) -> PoseResult:
    return PoseResult(world.astype(np.float32), _project(world, np.asarray(t)).astype(np.float32),
                      np.ones(33, np.float32))


def _mirror_image_result(r: PoseResult) -> PoseResult:
    """What MediaPipe sees in the horizontally flipped image: x flipped, and the side that now
    appears as the left is labelled left (i.e. labels swapped relative to the real person)."""
    flip = MEDIAPIPE_POSE.flip_index
    world = r.world[flip].copy()
    world[:, 0] *= -1
    xy = r.image_px[flip].copy()
    xy[:, 0] = W - xy[:, 0]
    return PoseResult(world, xy, r.visibility[flip].copy())


def test_focal_from_hfov():
    assert focal_from_hfov(1000, 90.0) == pytest.approx(500.0)


def test_estimate_translation_recovers_projection():
    world = _standing_person_world()
    t_true = np.array([0.4, -0.2, 3.5])
    f = focal_from_hfov(W, HFOV)
    t = estimate_translation(world, _project(world, t_true), np.ones(33), f, (W / 2, H / 2))
    np.testing.assert_allclose(t, t_true, atol=1e-6)
    assert estimate_translation(world, _project(world, t_true), np.zeros(33), 500.0, (W / 2, H / 2)) is None


def test_camera_convention_and_pixels():
    r = _result(_standing_person_world())
    joints, xy, conf = landmarks_to_camera(r, (W, H), hfov_deg=HFOV)
    assert joints.shape == (33, 3) and xy.shape == (33, 2) and conf.shape == (33,)
    assert joints[IDX("nose"), 1] > joints[IDX("hip_left"), 1] + 0.5  # +y up
    assert joints[IDX("hip_left"), 2] == pytest.approx(3.0, abs=1e-3)  # +z into the scene, metres
    # subject faces the sensor: their left is on the sensor's right (-x), facing points at it (-z)
    assert joints[IDX("shoulder_left"), 0] < joints[IDX("shoulder_right"), 0]
    seq = to_canonical(SkeletonSequence.from_joints(joints[None], MEDIAPIPE_POSE))
    assert facing_direction(seq.joints[0, 0])[2] < -0.9
    np.testing.assert_allclose(xy, r.image_px)  # pixels untouched


def test_mirrored_input_recovers_the_real_person():
    """A mirror image read with mirrored=True gives the same 3D skeleton as the real image."""
    real = _result(_standing_person_world())
    j_real, _, _ = landmarks_to_camera(real, (W, H), hfov_deg=HFOV)
    mirror = _mirror_image_result(real)
    j_fixed, xy_fixed, _ = landmarks_to_camera(mirror, (W, H), mirrored=True, hfov_deg=HFOV)
    np.testing.assert_allclose(j_fixed, j_real, atol=1e-4)
    # image_xy stays in the mirror image's pixels, labelled anatomically
    np.testing.assert_allclose(xy_fixed[IDX("wrist_left")], mirror.image_px[IDX("wrist_right")])
    j_wrong, _, _ = landmarks_to_camera(mirror, (W, H), mirrored=False, hfov_deg=HFOV)
    assert np.abs(j_wrong - j_real).max() > 0.2


def test_model_complexity_other_than_one_refused():
    with pytest.raises(ValueError, match="model_complexity"):
        MediaPipePose(model_complexity=2)


def test_missing_mediapipe_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe.python.solutions", None)
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(MissingDependencyError, match=r"skelapp\[video\]"):
        import_mediapipe()


def test_missing_cv2_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(MissingDependencyError, match=r"'cv2'.*skelapp\[video\]"):
        import_mediapipe()


@pytest.mark.realdata
def test_real_frame(data_dir):
    cv2 = pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    cap = cv2.VideoCapture(str(data_dir / "videos" / "gymtrainer_squat.mp4"))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    est = MediaPipePose(static_image_mode=True)
    try:
        r = est.estimate(bgr)
        assert est.estimate(np.zeros((240, 320, 3), np.uint8)) is None  # nobody
    finally:
        est.close()
    assert r is not None and r.world.shape == (33, 3) and r.image_px.shape == (33, 2)
    h, w = bgr.shape[:2]
    assert (r.image_px[:, 0] > -50).all() and (r.image_px[:, 0] < w + 50).all()
    joints, _, _ = landmarks_to_camera(r, (w, h))
    assert joints[IDX("nose"), 1] > joints[IDX("ankle_left"), 1] + 0.8  # standing, +y up
    assert CANONICAL.num_joints == 20
