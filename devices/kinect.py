"""Azure Kinect (pyk4a): MediaPipe 2D landmarks on the colour image + depth -> 3D joints.

Per frame: colour image -> MediaPipe Pose 2D landmarks; the depth under each landmark, either
from the SDK's depth image transformed to the colour camera (median over a small window,
:func:`~.depth_sampling.sample_depth`) or, when the SDK's transformation engine is unavailable
(no GPU/OpenGL), straight from the raw depth image by re-projecting only the depth pixels near
each landmark's epipolar segment (:func:`~.depth_sampling.sample_depth_epipolar`, ~20 ms instead
of ~160 ms for a whole-image software transform); back-projection through the colour calibration
(``calibration.convert_2d_to_3d``, distortion included) -> metres, axes turned into skelapp's
(+x sensor's left, +y up, +z into the scene: ``(x, y, z) -> (-x, -y, z)``). Landmarks without
depth take MediaPipe's metric skeleton shifted onto the depth-measured ones, at half confidence.
A detection whose depth skeleton is not human-sized (:func:`~.depth_sampling.plausible_body`:
too few landmarks with depth, or a torso outside 0.2-1.0 m, e.g. a figure printed on a mug) is
dropped: the frame has no body.

This is not the Body Tracking SDK: one person (legacy MediaPipe), MEDIAPIPE_POSE layout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from skelapp.core.conversion import mirror_joints, opencv_to_skelapp
from skelapp.core.layouts import MEDIAPIPE_POSE
from skelapp.core.skeleton import SkeletonFrame

from .base import MissingDependencyError, SourceError
from .depth_sampling import (
    DEPTH_WINDOW,
    fill_missing,
    plausible_body,
    sample_depth,
    sample_depth_epipolar,
)
from .mediapipe_pose import PoseResult, landmarks_to_camera
from .webcam import MediaPipeSource, empty_frame, import_cv2

DepthAt = Callable[[np.ndarray], np.ndarray]  # colour pixels (N, 2) -> colour-camera depth mm (N,), 0 = none


def landmarks_to_depth_joints(
    result: PoseResult, image_size: tuple[int, int], depth_at: DepthAt | None,
    to_3d: Callable[[tuple[float, float], float], np.ndarray], focal_hfov_deg: float,
    mirrored: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(joints (33, 3) skelapp metres, image_xy (33, 2), confidence (33,), has_depth (33,))``
    from one MediaPipe result and *depth_at* (None: no depth this frame).

    *to_3d* maps a colour pixel and depth (mm) to colour-camera OpenCV millimetres.
    """
    model, _, _ = landmarks_to_camera(result, image_size, False, focal_hfov_deg)
    conf = np.clip(np.asarray(result.visibility, np.float64), 0.0, 1.0)
    joints, valid = model.astype(np.float64), np.zeros(len(model), bool)
    if depth_at is not None:
        d = np.asarray(depth_at(np.asarray(result.image_px, np.float64)))
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
        joints = mirror_joints(joints, MEDIAPIPE_POSE)
        xy, conf, valid = xy[flip], conf[flip], valid[flip]
    return joints.astype(np.float32), xy.copy(), conf.astype(np.float32), valid


# -- pyk4a ---------------------------------------------------------------------------------
def import_pyk4a():
    """The ``pyk4a`` module or :class:`MissingDependencyError` naming the ``kinect`` extra."""
    try:
        import pyk4a
    except ImportError as e:
        raise MissingDependencyError("Azure Kinect input", "kinect", "pyk4a") from e
    return pyk4a


class _KinectBase(MediaPipeSource):
    """Shared per-frame processing for the live device and recordings."""

    nominal_fps = 30.0

    def __init__(self, mirrored: bool = False, radius: int = DEPTH_WINDOW,
                 estimator: Callable[[], object] | None = None) -> None:
        super().__init__(estimator)
        self.mirrored, self.radius = bool(mirrored), radius
        self._calibration = None
        self._software_depth = None  # raw-depth sampling set-up once the SDK transformation failed
        self.rejected_bodies = 0  # detections dropped as not human-sized (plausible_body)
        self._t0: float | None = None
        self.depth_path = "sdk"  # or "software" (raw depth sampled per landmark)

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
        depth, aligned = None, False
        if capture.depth is not None:
            if self.depth_path == "sdk":
                try:
                    depth = capture.transformed_depth
                except Exception:  # noqa: BLE001 - engine unavailable: sample the raw depth instead
                    depth = None
                if depth is None:
                    self.depth_path = "software"
                aligned = depth is not None
            if depth is None and self.depth_path == "software":
                depth = capture.depth  # sampled per landmark in _process, only when someone is seen
        ts = capture.color_timestamp_usec / 1e6
        if self._t0 is None:
            self._t0 = ts
        return ts - self._t0, (bgr, depth, aligned)

    def _depth_sampler(self, depth: np.ndarray | None, aligned: bool) -> DepthAt | None:
        """Colour pixels -> depth (mm) for this frame's depth image (colour-aligned or raw)."""
        if depth is None:
            return None
        if aligned:
            return lambda uv: sample_depth(depth, uv, self.radius)
        cv2 = import_cv2()
        pyk4a = import_pyk4a()
        cal, ct = self._calibration, pyk4a.CalibrationType
        if self._software_depth is None or self._software_depth[0].shape[:2] != depth.shape:
            h, w = depth.shape
            grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), -1).reshape(-1, 1, 2).astype(np.float64)
            kd, dd = cal.get_camera_matrix(ct.DEPTH), cal.get_distortion_coefficients(ct.DEPTH)
            rays = cv2.undistortPoints(grid, kd, dd).reshape(h, w, 2)
            rot, trans = cal.get_extrinsic_parameters(ct.DEPTH, ct.COLOR)
            kc, dc = cal.get_camera_matrix(ct.COLOR), cal.get_distortion_coefficients(ct.COLOR)

            def projector(k, dist):
                def project(p):
                    uv = cv2.projectPoints(np.asarray(p, np.float64).reshape(-1, 1, 3), np.zeros(3),
                                           np.zeros(3), k, dist)[0]
                    return uv.reshape(-1, 2)
                return project

            def color_rays(uv):
                return cv2.undistortPoints(uv.reshape(-1, 1, 2), kc, dc).reshape(-1, 2)

            self._software_depth = (rays, rot, trans, projector(kd, dd), projector(kc, dc), color_rays)
        rays, rot, trans, project_depth, project_color, color_rays = self._software_depth

        def depth_at(uv: np.ndarray) -> np.ndarray:
            uv = np.asarray(uv, np.float64)
            cr = np.full(uv.shape, np.nan)
            fin = np.isfinite(uv).all(1)
            if fin.any():
                cr[fin] = color_rays(uv[fin])
            return sample_depth_epipolar(depth, uv, cr, rays, rot, trans, project_depth, project_color,
                                         self.radius)

        return depth_at

    def _process(self, t: float, raw: tuple, index: int) -> SkeletonFrame:
        bgr, depth, aligned = raw
        result = self._estimator.estimate(bgr)
        if result is None:
            return empty_frame(t, index, bgr)
        pyk4a = import_pyk4a()
        cal, color = self._calibration, pyk4a.CalibrationType.COLOR
        h, w = bgr.shape[:2]
        fx = float(cal.get_camera_matrix(color)[0, 0])
        hfov = float(np.degrees(2 * np.arctan(0.5 * max(w, h) / fx)))
        joints, xy, conf, has_depth = landmarks_to_depth_joints(
            result, (w, h), self._depth_sampler(depth, aligned),
            lambda uv, d: cal.convert_2d_to_3d(uv, d, color), hfov, self.mirrored)
        if depth is not None and not plausible_body(joints, has_depth):
            self.rejected_bodies += 1
            return empty_frame(t, index, bgr)
        return SkeletonFrame(joints[None], conf[None], t, index, MEDIAPIPE_POSE, (0,), xy[None], bgr)


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
        while True:  # skip captures without a colour/depth pair
            try:
                capture = self._device.get_capture(timeout=2000)
            except Exception as e:  # noqa: BLE001 - unplugged / timeout
                raise SourceError(
                    f"Azure Kinect {self.device_id}: stopped delivering frames ({e})") from None
            raw = self._capture_to_raw(capture)
            if raw:
                return raw

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

