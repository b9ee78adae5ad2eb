"""MediaPipe Pose (legacy ``mp.solutions.pose``) as a single-person 3D pose estimator.

Only ``model_complexity=1`` ships inside the mediapipe wheel; 0 and 2 would be downloaded
at first use, which fails offline, so the estimator refuses them.

Coordinates. MediaPipe's world landmarks are metres, centred on the mid-hip, in an image-aligned
frame (x to the image right, y down, z away from the camera). :func:`landmarks_to_camera` turns
them into skelapp camera space (+x sensor's left, +y up, +z into the scene):
``(x, y, z) -> (-x, -y, z)``, then adds the body's position, which MediaPipe does not give:
:func:`estimate_translation` finds the translation that best projects the metric skeleton onto
the 2D landmarks through a pinhole camera with an assumed field of view across the longer image
side (``hfov_deg``). The depth is only as good as that FOV guess and MediaPipe's metric scale
(on the NTU clip: 7 % too far), but the motion (walking, squatting) is kept.

Mirrored input (Kinect v2 colour, a selfie-view webcam): MediaPipe assumes a real camera, so in a
mirror image its "left" landmarks land on the subject's right. With ``mirrored=True`` the labels
are swapped back and x is mirrored, giving the real person, anatomically labelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skelapp.core.conversion import mirror_joints, opencv_to_skelapp
from skelapp.core.layouts import MEDIAPIPE_POSE

from .base import MissingDependencyError

NUM_LANDMARKS = MEDIAPIPE_POSE.num_joints
DEFAULT_HFOV_DEG = 65.0  # typical webcam; Kinect v2 colour is 84.1, Azure Kinect 720p colour 90
FALLBACK_DEPTH_M = 2.5  # hip-centre depth used when the projection fit is degenerate


@dataclass
class PoseResult:
    """Raw output for one person: ``world`` (33, 3) MediaPipe world metres, ``image_px`` (33, 2)
    pixels of the input image, ``visibility`` (33,) in [0, 1]."""

    world: np.ndarray
    image_px: np.ndarray
    visibility: np.ndarray


def focal_from_hfov(width: int, hfov_deg: float, height: int = 0) -> float:
    """Pinhole focal length in pixels for a field of view *hfov_deg* across the image's longer
    side (the horizontal one for landscape images; portrait phone videos use the height)."""
    return 0.5 * max(width, height) / np.tan(np.radians(hfov_deg) / 2.0)


def estimate_translation(
    world: np.ndarray,
    image_px: np.ndarray,
    weights: np.ndarray,
    focal: float,
    center: tuple[float, float],
) -> np.ndarray | None:
    """Translation ``t`` (metres, OpenCV frame) so that ``world + t`` projects onto *image_px*.

    Linear least squares on ``u (Z + tz) = f (X + tx) + cx (Z + tz)`` (same for v), weighted
    by *weights*. Returns ``None`` if fewer than 4 usable points or the fit lands behind the camera.
    """
    w = np.asarray(weights, np.float64)
    ok = w > 0.3
    if ok.sum() < 4:
        return None
    p = np.asarray(world, np.float64)[ok]
    du = np.asarray(image_px, np.float64)[ok, 0] - center[0]
    dv = np.asarray(image_px, np.float64)[ok, 1] - center[1]
    n = len(p)
    a = np.zeros((2 * n, 3))
    b = np.zeros(2 * n)
    a[:n, 0], a[:n, 2], b[:n] = focal, -du, du * p[:, 2] - focal * p[:, 0]
    a[n:, 1], a[n:, 2], b[n:] = focal, -dv, dv * p[:, 2] - focal * p[:, 1]
    sw = np.sqrt(np.concatenate([w[ok], w[ok]]))
    t, *_ = np.linalg.lstsq(a * sw[:, None], b * sw, rcond=None)
    if not np.isfinite(t).all() or t[2] <= 0.3:
        return None
    return t


def landmarks_to_camera(
    result: PoseResult,
    image_size: tuple[int, int],
    mirrored: bool = False,
    hfov_deg: float = DEFAULT_HFOV_DEG,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(joints (33, 3), image_xy (33, 2), confidence (33,))`` in skelapp camera space.

    *image_size* is ``(width, height)``. ``image_xy`` stays in the pixels of the image as given
    (so it overlays on it); with *mirrored* only the labels are swapped.
    """
    width, height = image_size
    focal = focal_from_hfov(width, hfov_deg, height)
    t = estimate_translation(result.world, result.image_px, result.visibility, focal, (width / 2, height / 2))
    if t is None:  # degenerate fit: put the hips on the ray through their pixel, nominal depth
        hips = result.image_px[[MEDIAPIPE_POSE.index("hip_left"), MEDIAPIPE_POSE.index("hip_right")]].mean(0)
        z = FALLBACK_DEPTH_M
        t = np.array([(hips[0] - width / 2) * z / focal, (hips[1] - height / 2) * z / focal, z])
    cam = np.asarray(result.world, np.float64) + t  # OpenCV frame: x right, y down, z forward
    joints = opencv_to_skelapp(cam)
    xy = np.asarray(result.image_px, np.float32)
    conf = np.clip(np.asarray(result.visibility, np.float32), 0.0, 1.0)
    if mirrored:
        flip = MEDIAPIPE_POSE.flip_index
        joints = mirror_joints(joints, MEDIAPIPE_POSE)
        xy, conf = xy[flip], conf[flip]
    return joints.astype(np.float32), xy.copy(), conf.copy()


class MediaPipePose:
    """Thin wrapper over ``mp.solutions.pose.Pose`` (tracks at most one person).

    ``estimate(bgr)`` returns a :class:`PoseResult` or ``None`` when nobody is found.
    Not thread safe: use one instance per thread.
    """

    max_people = 1

    def __init__(
        self,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
        static_image_mode: bool = False,
    ) -> None:
        if model_complexity != 1:
            raise ValueError(
                "only model_complexity=1 ships with mediapipe; 0 and 2 need a download at first use"
            )
        mp_pose, self._cv2 = import_mediapipe()
        self._pose = mp_pose.Pose(
            static_image_mode=static_image_mode,
            model_complexity=model_complexity,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def estimate(self, bgr: np.ndarray) -> PoseResult | None:
        h, w = bgr.shape[:2]
        rgb = self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        res = self._pose.process(rgb)
        if res.pose_landmarks is None or res.pose_world_landmarks is None:
            return None
        img = res.pose_landmarks.landmark
        world = res.pose_world_landmarks.landmark
        return PoseResult(
            world=np.array([[p.x, p.y, p.z] for p in world], np.float32),
            image_px=np.array([[p.x * w, p.y * h] for p in img], np.float32),
            visibility=np.array([p.visibility for p in img], np.float32),
        )

    def close(self) -> None:
        self._pose.close()


def import_mediapipe():
    """``(mp.solutions.pose, cv2)`` or :class:`MissingDependencyError` naming the ``video`` extra."""
    try:
        import cv2
    except ImportError as e:
        raise MissingDependencyError("MediaPipe pose estimation", "video", "cv2") from e
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as e:
        raise MissingDependencyError("MediaPipe pose estimation", "video", "mediapipe") from e
    return mp_pose, cv2
