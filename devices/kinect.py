"""Azure Kinect (pyk4a): MediaPipe 2D landmarks on the colour image + depth -> 3D joints.

Per frame: colour image -> MediaPipe Pose 2D landmarks; depth transformed to the colour camera
(the SDK's transformation engine, or :func:`depth_to_color` in numpy/OpenCV when the engine is
unavailable, e.g. no GPU/OpenGL); the median of the valid (non-zero) depths in a small window
around each landmark (:func:`sample_depth`); back-projection through the colour calibration
(``calibration.convert_2d_to_3d``, distortion included) -> metres, axes turned into skelapp's
(+x sensor's left, +y up, +z into the scene: ``(x, y, z) -> (-x, -y, z)``). Landmarks without
depth take MediaPipe's metric skeleton shifted onto the depth-measured ones, at half confidence.

This is not the Body Tracking SDK: one person (legacy MediaPipe), MEDIAPIPE_POSE layout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from skelapp.core.layouts import MEDIAPIPE_POSE
from skelapp.core.skeleton import SkeletonFrame

from .base import MissingDependencyError, SourceError
from .mediapipe_pose import MediaPipePose, PoseResult, landmarks_to_camera
from .threaded import ThreadedSource
from .webcam import ONE_PERSON_WARNING, empty_frame, import_cv2

DEPTH_WINDOW = 3  # half-size of the depth sampling window, colour pixels


# -- pure geometry -------------------------------------------------------------------------
def sample_depth(depth_mm: np.ndarray, uv: np.ndarray, radius: int = DEPTH_WINDOW) -> np.ndarray:
    """Median of the valid (> 0) depths in a ``(2r+1)^2`` window around each pixel ``uv (N, 2)``;
    0 where the window has none or lies outside the image."""
    h, w = depth_mm.shape[:2]
    out = np.zeros(len(uv), np.float64)
    for i, (u, v) in enumerate(np.asarray(uv, np.float64)):
        if not (np.isfinite(u) and np.isfinite(v)):
            continue
        x, y = int(round(u)), int(round(v))
        win = depth_mm[max(y - radius, 0):min(y + radius + 1, h), max(x - radius, 0):min(x + radius + 1, w)]
        valid = win[win > 0]
        if valid.size:
            out[i] = float(np.median(valid))
    return out


def backproject_pinhole(uv: np.ndarray, depth_mm: np.ndarray, fx: float, fy: float, cx: float,
                        cy: float) -> np.ndarray:
    """``(N, 3)`` metres in the OpenCV camera frame (x right, y down, z forward), no distortion."""
    z = np.asarray(depth_mm, np.float64) / 1000.0
    uv = np.asarray(uv, np.float64)
    return np.stack([(uv[:, 0] - cx) * z / fx, (uv[:, 1] - cy) * z / fy, z], axis=1)


def opencv_to_skelapp(points: np.ndarray) -> np.ndarray:
    """OpenCV camera frame -> skelapp camera space: ``(x, y, z) -> (-x, -y, z)``."""
    p = np.array(points, np.float64, copy=True)
    p[..., :2] *= -1.0
    return p


def splat_depth(uv: np.ndarray, z_mm: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A ``(height, width)`` uint16 depth image holding, per pixel, the nearest of the points
    ``uv (N, 2)`` with depth ``z_mm`` that round onto it (0 = no point)."""
    w, h = size
    x, y = np.rint(uv[:, 0]).astype(np.int64), np.rint(uv[:, 1]).astype(np.int64)
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h) & (z_mm > 0) & np.isfinite(z_mm)
    flat = np.full(w * h, np.inf)
    np.minimum.at(flat, y[ok] * w + x[ok], z_mm[ok])
    flat[~np.isfinite(flat)] = 0
    return flat.reshape(h, w).astype(np.uint16)


def depth_to_color(depth_mm: np.ndarray, rays: np.ndarray, rotation: np.ndarray, translation_m: np.ndarray,
                   project: Callable[[np.ndarray], np.ndarray], color_size: tuple[int, int]) -> np.ndarray:
    """Depth image -> colour camera (software version of ``k4a_transformation_depth_image_to_color_camera``).

    *rays* ``(H, W, 2)``: undistorted normalised coordinates of every depth pixel; *rotation*,
    *translation_m*: depth -> colour extrinsics; *project*: ``(N, 3)`` colour-camera metres ->
    ``(N, 2)`` colour pixels (distortion included).
    """
    z = depth_mm.astype(np.float64).ravel() / 1000.0
    ok = z > 0
    r = rays.reshape(-1, 2)[ok]
    p = np.stack([r[:, 0] * z[ok], r[:, 1] * z[ok], z[ok]], axis=1) @ np.asarray(rotation).T
    p += np.asarray(translation_m, np.float64).reshape(1, 3)
    front = p[:, 2] > 0.05
    p = p[front]
    return splat_depth(project(p), p[:, 2] * 1000.0, color_size)


def fill_missing(joints: np.ndarray, valid: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Joints without depth (``~valid``) from *model* (same frame) shifted by the median offset
    between the two on the valid joints (or unshifted when none is valid)."""
    out = np.array(joints, np.float64, copy=True)
    shift = np.median(joints[valid] - model[valid], axis=0) if valid.any() else np.zeros(3)
    out[~valid] = model[~valid] + shift
    return out


def landmarks_to_depth_joints(
    result: PoseResult, image_size: tuple[int, int], depth_color_mm: np.ndarray | None,
    to_3d: Callable[[tuple[float, float], float], np.ndarray], focal_hfov_deg: float,
    mirrored: bool = False, radius: int = DEPTH_WINDOW,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(joints (33, 3) skelapp metres, image_xy (33, 2), confidence (33,))`` from one
    MediaPipe result and a depth image aligned with the colour image.

    *to_3d* maps a colour pixel and depth (mm) to colour-camera OpenCV millimetres.
    """
    model, _, _ = landmarks_to_camera(result, image_size, False, focal_hfov_deg)
    conf = np.clip(np.asarray(result.visibility, np.float64), 0.0, 1.0)
    joints, valid = model.astype(np.float64), np.zeros(len(model), bool)
    if depth_color_mm is not None:
        d = sample_depth(depth_color_mm, result.image_px, radius)
        for i in np.flatnonzero(d > 0):
            try:
                uv = (float(result.image_px[i, 0]), float(result.image_px[i, 1]))
                p = np.asarray(to_3d(uv, float(d[i])))
            except ValueError:  # outside the calibration model
                continue
            joints[i], valid[i] = opencv_to_skelapp(p / 1000.0), True
        joints = fill_missing(joints, valid, model)
    conf = np.where(valid, conf, 0.5 * conf)
    xy = np.asarray(result.image_px, np.float32)
    if mirrored:
        flip = MEDIAPIPE_POSE.flip_index
        joints, xy, conf = joints[flip], xy[flip], conf[flip]
        joints[:, 0] *= -1.0
    return joints.astype(np.float32), xy.copy(), conf.astype(np.float32)


# -- pyk4a ---------------------------------------------------------------------------------
def import_pyk4a():
    """The ``pyk4a`` module or :class:`MissingDependencyError` naming the ``kinect`` extra."""
    try:
        import pyk4a
    except ImportError as e:
        raise MissingDependencyError("Azure Kinect input", "kinect", "pyk4a") from e
    return pyk4a


class _KinectBase(ThreadedSource):
    """Shared per-frame processing for the live device and recordings."""

    layout = MEDIAPIPE_POSE
    max_people = 1
    warning = ONE_PERSON_WARNING
    stable_ids = False
    nominal_fps = 30.0

    def __init__(self, mirrored: bool = False, radius: int = DEPTH_WINDOW,
                 estimator: Callable[[], object] | None = None) -> None:
        super().__init__()
        self.mirrored, self.radius = bool(mirrored), radius
        self._make_estimator = estimator or MediaPipePose
        self._estimator = None
        self._calibration = None
        self._software_depth = None  # (rays, R, t, project) once the SDK transformation failed
        self._t0: float | None = None
        self.depth_path = "sdk"  # or "software" / "none"

    def _setup(self, calibration, fps: float) -> None:
        self._calibration = calibration
        self.nominal_fps = fps
        if self._estimator is None:
            self._estimator = self._make_estimator()

    def _capture_to_raw(self, capture) -> tuple[float, tuple] | None:
        cv2 = import_cv2()
        color = capture.color
        if color is None:
            return None
        if color.ndim == 1:  # MJPG
            bgr = cv2.imdecode(color, cv2.IMREAD_COLOR)
        elif color.shape[2] == 4:
            bgr = np.ascontiguousarray(color[:, :, :3])
        else:
            bgr = color
        if bgr is None:
            raise SourceError(f"{self.name}: cannot decode the colour image")
        depth = None
        if capture.depth is not None:
            if self.depth_path == "sdk":
                try:
                    depth = capture.transformed_depth
                except Exception:  # noqa: BLE001 - engine unavailable: fall back below
                    depth = None
                if depth is None:
                    self.depth_path = "software"
            if depth is None and self.depth_path == "software":
                depth = self._software(capture.depth, (bgr.shape[1], bgr.shape[0]))
        ts = capture.color_timestamp_usec / 1e6
        if self._t0 is None:
            self._t0 = ts
        return ts - self._t0, (bgr, depth)

    def _software(self, depth: np.ndarray, color_size: tuple[int, int]) -> np.ndarray:
        cv2 = import_cv2()
        pyk4a = import_pyk4a()
        if self._software_depth is None:
            cal, ct = self._calibration, pyk4a.CalibrationType
            h, w = depth.shape
            grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), -1).reshape(-1, 1, 2).astype(np.float64)
            rays = cv2.undistortPoints(grid, cal.get_camera_matrix(ct.DEPTH),
                                       cal.get_distortion_coefficients(ct.DEPTH)).reshape(h, w, 2)
            rot, trans = cal.get_extrinsic_parameters(ct.DEPTH, ct.COLOR)
            kc, dc = cal.get_camera_matrix(ct.COLOR), cal.get_distortion_coefficients(ct.COLOR)

            def project(p):
                uv = cv2.projectPoints(p.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), kc, dc)[0]
                return uv.reshape(-1, 2)

            self._software_depth = (rays, rot, trans, project)
        rays, rot, trans, project = self._software_depth
        return depth_to_color(depth, rays, rot, trans, project, color_size)

    def _process(self, t: float, raw: tuple, index: int) -> SkeletonFrame:
        bgr, depth = raw
        result = self._estimator.estimate(bgr)
        if result is None:
            return empty_frame(t, index, bgr)
        pyk4a = import_pyk4a()
        cal, color = self._calibration, pyk4a.CalibrationType.COLOR
        h, w = bgr.shape[:2]
        fx = float(cal.get_camera_matrix(color)[0, 0])
        hfov = float(np.degrees(2 * np.arctan(0.5 * max(w, h) / fx)))
        joints, xy, conf = landmarks_to_depth_joints(
            result, (w, h), depth, lambda uv, d: cal.convert_2d_to_3d(uv, d, color), hfov, self.mirrored,
            self.radius)
        return SkeletonFrame(joints[None], conf[None], t, index, MEDIAPIPE_POSE, (0,), xy[None], bgr)

    def close(self) -> None:
        super().close()
        if self._estimator is not None and hasattr(self._estimator, "close"):
            self._estimator.close()
            self._estimator = None


class KinectSource(_KinectBase):
    """A live Azure Kinect (colour 720p BGRA + NFOV unbinned depth, 30 fps)."""

    def __init__(self, device_id: int = 0, mirrored: bool = False, **kw) -> None:
        super().__init__(mirrored=mirrored, **kw)
        self.device_id = device_id
        self.name = f"kinect:{device_id}"
        self._device = None

    def open(self) -> None:
        if self._device is not None:
            return
        pyk4a = import_pyk4a()
        import_cv2()
        n = pyk4a.connected_device_count()
        if n == 0:
            raise SourceError("no Azure Kinect connected (pyk4a.connected_device_count() == 0)")
        if self.device_id >= n:
            raise SourceError(f"Azure Kinect {self.device_id}: only {n} device(s) connected")
        cfg = pyk4a.Config(color_resolution=pyk4a.ColorResolution.RES_720P,
                           color_format=pyk4a.ImageFormat.COLOR_BGRA32,
                           depth_mode=pyk4a.DepthMode.NFOV_UNBINNED, camera_fps=pyk4a.FPS.FPS_30,
                           synchronized_images_only=True)
        device = pyk4a.PyK4A(cfg, device_id=self.device_id)
        try:
            device.start()
        except Exception as e:  # noqa: BLE001 - pyk4a raises K4AException
            raise SourceError(f"Azure Kinect {self.device_id}: cannot start: {e}") from None
        self._device = device
        self._setup(device.calibration, 30.0)

    def _read(self):
        try:
            capture = self._device.get_capture(timeout=2000)
        except Exception as e:  # noqa: BLE001 - unplugged / timeout
            raise SourceError(f"Azure Kinect {self.device_id}: stopped delivering frames ({e})") from None
        return self._capture_to_raw(capture) or self._read()

    def close(self) -> None:
        super().close()
        if self._device is not None and not any(th.is_alive() for th in self._threads):
            with contextlib.suppress(Exception):  # already gone
                self._device.stop()
            self._device = None


class KinectPlaybackSource(_KinectBase):
    """An Azure Kinect ``.mkv`` recording (colour + depth tracks), played as fast as processed."""

    live = False
    queue_size = 4

    def __init__(self, path: str | Path, mirrored: bool = False, **kw) -> None:
        super().__init__(mirrored=mirrored, **kw)
        self.path = Path(path)
        self.name = f"kinect_playback:{self.path.name}"
        self._playback = None

    def open(self) -> None:
        if self._playback is not None:
            return
        pyk4a = import_pyk4a()
        import_cv2()
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        pb = pyk4a.PyK4APlayback(self.path)
        try:
            pb.open()
            calibration = pb.calibration
            fps = {0: 5.0, 1: 15.0, 2: 30.0}.get(int(pb.configuration["camera_fps"]), 30.0)
        except Exception as e:  # noqa: BLE001 - K4AException, bad file
            raise SourceError(f"{self.path}: cannot open Azure Kinect recording: {e}") from None
        self._playback = pb
        self._setup(calibration, fps)

    @property
    def calibration(self):
        self.open()
        return self._calibration

    def _read(self):
        while True:
            try:
                capture = self._playback.get_next_capture()
            except EOFError:
                return None
            except Exception as e:  # noqa: BLE001
                raise SourceError(f"{self.path}: cannot read recording: {e}") from None
            item = self._capture_to_raw(capture)
            if item is not None:
                return item

    def close(self) -> None:
        super().close()
        if self._playback is not None and not any(th.is_alive() for th in self._threads):
            self._playback.close()
            self._playback = None

