"""Webcam or video file -> MediaPipe Pose -> :class:`SkeletonFrame` (MEDIAPIPE_POSE layout).

Capture (OpenCV) and pose estimation each run on their own thread (:mod:`.threaded`).
Cameras: lossy queues that drop the oldest frame when a stage falls behind (counted in
``dropped_frames``), timestamps from ``time.monotonic`` (seconds since the first frame).
Files: nothing is dropped and frames go as fast as they are processed; ``pace=True`` plays
them at the file's frame rate (then late frames are dropped, like a camera). File timestamps
come from ``CAP_PROP_POS_MSEC`` relative to the first frame (made strictly increasing).

Every frame carries its BGR ``image`` for a GUI overlay. Legacy MediaPipe Pose tracks one
person: frames hold 0 or 1 bodies, ``max_people == 1`` and ``warning`` says so (also logged
once when the source opens).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from skelapp.core.layouts import MEDIAPIPE_POSE
from skelapp.core.skeleton import SkeletonFrame

from .base import MissingDependencyError, SourceError
from .mediapipe_pose import DEFAULT_HFOV_DEG, MediaPipePose, PoseResult, landmarks_to_camera
from .threaded import ThreadedSource

log = logging.getLogger(__name__)

ONE_PERSON_WARNING = (
    "MediaPipe Pose (legacy) tracks one person: with several people in view only one body "
    "per frame is reported"
)


def import_cv2():
    """The ``cv2`` module or :class:`MissingDependencyError` naming the ``video`` extra."""
    try:
        import cv2
    except ImportError as e:
        raise MissingDependencyError("video/camera input", "video", "cv2") from e
    return cv2


def empty_frame(t: float, index: int, image: np.ndarray | None, layout=MEDIAPIPE_POSE) -> SkeletonFrame:
    """A frame with no bodies (nobody in view)."""
    v = layout.num_joints
    return SkeletonFrame(np.zeros((0, v, 3), np.float32), np.zeros((0, v), np.float32), t, index,
                         layout, (), np.zeros((0, v, 2), np.float32), image)


class MediaPipeSource(ThreadedSource):
    """A two-thread source whose frames come from single-person MediaPipe Pose (webcam, video,
    Azure Kinect colour): the layout and one-person warning, and the estimator's life cycle.
    ``estimator`` builds the pose estimator (default :class:`MediaPipePose`)."""

    layout = MEDIAPIPE_POSE
    max_people = 1
    warning = ONE_PERSON_WARNING
    stable_ids = False

    def __init__(self, estimator: Callable[[], object] | None = None) -> None:
        super().__init__()
        self._make_estimator = estimator or MediaPipePose
        self._estimator = None

    def close(self) -> None:
        super().close()  # stops and joins the threads
        if self._estimator is not None and hasattr(self._estimator, "close"):
            self._estimator.close()
            self._estimator = None


class WebcamSource(MediaPipeSource):
    """Frames from a camera index or a video file, through single-person MediaPipe Pose.

    ``mirrored``: the image is a mirror image (selfie-view webcam, Kinect v2 colour): left/right
    labels are swapped back and x is mirrored; ``image_xy`` stays in the image's pixels.
    ``hfov_deg``: assumed horizontal field of view, used to place the body in depth.
    ``stride``/``max_frames`` (files): estimate every ``stride``-th frame / stop after that many
    frames (tests, quick checks). ``estimator`` builds the pose estimator (default MediaPipe).
    """

    def __init__(
        self,
        index_or_path: int | str | Path,
        mirrored: bool = False,
        pace: bool = False,
        hfov_deg: float = DEFAULT_HFOV_DEG,
        queue_size: int = 2,
        stride: int = 1,
        max_frames: int | None = None,
        keep_image: bool = True,
        estimator: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(estimator)
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        self.is_camera = isinstance(index_or_path, (int, np.integer))
        self.target: int | Path = int(index_or_path) if self.is_camera else Path(index_or_path)
        self.mirrored = bool(mirrored)
        self.pace, self.hfov_deg, self.stride, self.max_frames = pace, hfov_deg, stride, max_frames
        self.keep_image = keep_image
        self.live = self.is_camera or pace
        self.queue_size = max(1, queue_size) if self.live else 4
        self.name = f"camera:{self.target}" if self.is_camera else f"video:{self.target.name}"
        self.nominal_fps = 30.0
        self.image_size: tuple[int, int] = (0, 0)  # (width, height) once open
        self.timings: dict[str, float] = {"decode": 0.0, "pose": 0.0, "convert": 0.0}  # seconds, summed
        self._cap = None
        self._cv2 = None
        self._clock: dict = {}

    @property
    def what(self) -> str:
        return f"camera {self.target}" if self.is_camera else str(self.target)

    def open(self) -> None:
        if self._cap is not None:
            return
        cv2 = self._cv2 = import_cv2()
        if not self.is_camera and not self.target.is_file():
            raise SourceError(f"{self.target}: no such video file")
        cap = cv2.VideoCapture(self.target if self.is_camera else str(self.target))
        if not cap.isOpened():
            cap.release()
            if self.is_camera:
                raise SourceError(f"camera {self.target}: no camera at this index (or it is in use)")
            raise SourceError(f"{self.target}: OpenCV cannot open this video")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.nominal_fps = float(fps) if np.isfinite(fps) and 1.0 <= fps <= 1000.0 else 30.0
        self.image_size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if self._estimator is None:
            try:
                self._estimator = self._make_estimator()
            except Exception:
                cap.release()
                raise
        self._cap = cap
        self._clock = {"start": None, "first_ms": None, "last_t": -1.0, "index": 0, "grabbed": 0}
        log.info("%s: %s", self.name, self.warning)

    # -- capture thread --------------------------------------------------------------------
    def _read(self) -> tuple[float, np.ndarray] | None:
        cv2, cap, c = self._cv2, self._cap, self._clock
        if self.max_frames is not None and c["index"] >= self.max_frames:
            return None
        while not self.is_camera and c["grabbed"] % self.stride:
            if not cap.grab():
                return None
            c["grabbed"] += 1
        t0 = time.perf_counter()
        ok, bgr = cap.read()
        self.timings["decode"] += time.perf_counter() - t0
        c["grabbed"] += 1
        now = time.monotonic()
        if c["start"] is None:
            c["start"] = now
        if not ok or bgr is None:
            if self.is_camera:
                raise SourceError(f"{self.what}: stopped delivering frames (disconnected?)")
            if c["index"] == 0:
                raise SourceError(f"{self.what}: no decodable frames")
            return None
        if self.is_camera:
            t = now - c["start"]
        else:
            ms = cap.get(cv2.CAP_PROP_POS_MSEC)
            if c["first_ms"] is None:
                c["first_ms"] = ms
            t = (ms - c["first_ms"]) / 1000.0 if np.isfinite(ms) else -1.0
            if t <= c["last_t"]:  # some containers report 0 / repeat near the end
                t = c["last_t"] + self.stride / self.nominal_fps
            if self.pace:
                while not self._stop_event.is_set() and time.monotonic() < c["start"] + t:
                    time.sleep(min(0.01, c["start"] + t - time.monotonic()))
        c["last_t"] = t
        c["index"] += 1
        return t, bgr

    # -- pose thread -----------------------------------------------------------------------
    def _process(self, t: float, bgr: np.ndarray, index: int) -> SkeletonFrame:
        t0 = time.perf_counter()
        result = self._estimator.estimate(bgr)
        t1 = time.perf_counter()
        frame = self.to_frame(result, bgr, t, index)
        self.timings["pose"] += t1 - t0
        self.timings["convert"] += time.perf_counter() - t1
        return frame

    def to_frame(self, result: PoseResult | None, bgr: np.ndarray, t: float, index: int) -> SkeletonFrame:
        """One :class:`SkeletonFrame` (0 or 1 bodies) from an estimator result."""
        image = bgr if self.keep_image else None
        if result is None:
            return empty_frame(t, index, image)
        h, w = bgr.shape[:2]
        joints, xy, conf = landmarks_to_camera(result, (w, h), self.mirrored, self.hfov_deg)
        return SkeletonFrame(joints[None], conf[None], t, index, MEDIAPIPE_POSE, (0,), xy[None], image)

    def close(self) -> None:
        super().close()  # joins the threads, closes the estimator
        if self._cap is not None and not any(th.is_alive() for th in self._threads):
            self._cap.release()
            self._cap = None
