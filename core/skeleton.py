"""Array-backed skeleton data: a whole sequence, and one frame from a live source."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .layouts import JointLayout


@dataclass
class SkeletonSequence:
    """A recording: ``joints`` is ``(T, M, V, 3)`` float32 (frames, bodies, joints, xyz metres).

    ``confidence`` is ``(T, M, V)`` in [0, 1] (Kinect tracking state 2 -> 1.0, 1 (inferred)
    -> 0.5, 0 -> 0.0); a body absent in a frame has confidence 0 and joints 0 there.
    ``timestamps`` are seconds from the first frame. ``image_xy`` (optional) holds
    ``(T, M, V, 2)`` colour-image pixel coordinates. ``body_ids`` names each body slot.
    """

    joints: np.ndarray
    confidence: np.ndarray
    timestamps: np.ndarray
    layout: JointLayout
    body_ids: tuple[int, ...]
    image_xy: np.ndarray | None = None
    source: str = ""
    fps: float = 30.0
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.joints = np.asarray(self.joints, dtype=np.float32)
        if self.joints.ndim != 4 or self.joints.shape[-1] != 3:
            raise ValueError(f"joints must be (T, M, V, 3), got {self.joints.shape}")
        t, m, v, _ = self.joints.shape
        if v != self.layout.num_joints:
            raise ValueError(
                f"joints have {v} joints but layout {self.layout.name} has "
                f"{self.layout.num_joints}"
            )
        self.confidence = np.asarray(self.confidence, dtype=np.float32)
        if self.confidence.shape != (t, m, v):
            raise ValueError(f"confidence must be {(t, m, v)}, got {self.confidence.shape}")
        self.timestamps = np.asarray(self.timestamps, dtype=np.float64)
        if self.timestamps.shape != (t,):
            raise ValueError(f"timestamps must be ({t},), got {self.timestamps.shape}")
        if t > 1 and np.any(np.diff(self.timestamps) <= 0):
            raise ValueError("timestamps must increase strictly")
        if len(self.body_ids) != m:
            raise ValueError(f"{m} body slots but {len(self.body_ids)} body ids")
        self.body_ids = tuple(int(b) for b in self.body_ids)
        if self.image_xy is not None:
            self.image_xy = np.asarray(self.image_xy, dtype=np.float32)
            if self.image_xy.shape != (t, m, v, 2):
                raise ValueError(f"image_xy must be {(t, m, v, 2)}, got {self.image_xy.shape}")

    @classmethod
    def from_joints(
        cls,
        joints: np.ndarray,
        layout: JointLayout,
        fps: float = 30.0,
        confidence: np.ndarray | None = None,
        **kw,
    ) -> SkeletonSequence:
        """Build from ``(T, V, 3)`` or ``(T, M, V, 3)`` joints at a constant frame rate."""
        j = np.asarray(joints, dtype=np.float32)
        if j.ndim == 3:
            j = j[:, None]
        if confidence is None:
            confidence = np.ones(j.shape[:3], dtype=np.float32)
        elif confidence.ndim == 2:
            confidence = confidence[:, None]
        body_ids = kw.pop("body_ids", tuple(range(j.shape[1])))
        return cls(j, confidence, np.arange(len(j)) / fps, layout, body_ids, fps=fps, **kw)

    @property
    def num_frames(self) -> int:
        return self.joints.shape[0]

    @property
    def num_bodies(self) -> int:
        return self.joints.shape[1]

    @property
    def duration(self) -> float:
        """Seconds from first to last frame plus one nominal frame period."""
        return float(self.timestamps[-1] - self.timestamps[0]) + 1.0 / self.fps if len(self) else 0.0

    def __len__(self) -> int:
        return self.num_frames

    def present(self) -> np.ndarray:
        """``(T, M)`` bool: body slot holds a tracked body in that frame."""
        return self.confidence.max(axis=2) > 0

    def select_bodies(self, idx: list[int] | tuple[int, ...]) -> SkeletonSequence:
        idx = list(idx)
        return replace(
            self,
            joints=self.joints[:, idx],
            confidence=self.confidence[:, idx],
            body_ids=tuple(self.body_ids[i] for i in idx),
            image_xy=None if self.image_xy is None else self.image_xy[:, idx],
            meta=dict(self.meta),
        )

    def slice_frames(self, start: int, stop: int) -> SkeletonSequence:
        ts = self.timestamps[start:stop]
        return replace(
            self,
            joints=self.joints[start:stop],
            confidence=self.confidence[start:stop],
            timestamps=ts - ts[0] if len(ts) else ts,
            image_xy=None if self.image_xy is None else self.image_xy[start:stop],
            meta=dict(self.meta),
        )

    def frames(self):
        """Iterate as :class:`SkeletonFrame` objects (what a replay source emits)."""
        for t in range(self.num_frames):
            yield SkeletonFrame(
                joints=self.joints[t],
                confidence=self.confidence[t],
                timestamp=float(self.timestamps[t]),
                index=t,
                layout=self.layout,
                body_ids=self.body_ids,
                image_xy=None if self.image_xy is None else self.image_xy[t],
            )


@dataclass
class SkeletonFrame:
    """One time step from a source: ``joints`` ``(M, V, 3)``, ``confidence`` ``(M, V)``.

    ``body_ids`` are the source's ids for the M bodies in this frame (may be 0 bodies).
    ``image`` optionally carries the camera image (H, W, 3 uint8 BGR) for a GUI overlay.
    """

    joints: np.ndarray
    confidence: np.ndarray
    timestamp: float
    index: int
    layout: JointLayout
    body_ids: tuple[int, ...]
    image_xy: np.ndarray | None = None
    image: np.ndarray | None = None

    @property
    def num_bodies(self) -> int:
        return int(self.joints.shape[0])


def stack_frames(frames: list[SkeletonFrame], fps: float = 30.0, source: str = "") -> SkeletonSequence:
    """Collect frames (e.g. a recording of a live stream) into a sequence.

    Bodies are matched across frames by id; each distinct id gets one slot.
    """
    if not frames:
        raise ValueError("no frames to stack")
    layout = frames[0].layout
    ids: list[int] = []
    for f in frames:
        for b in f.body_ids:
            if b not in ids:
                ids.append(b)
    t, m, v = len(frames), max(len(ids), 1), layout.num_joints
    joints = np.zeros((t, m, v, 3), np.float32)
    conf = np.zeros((t, m, v), np.float32)
    has_xy = any(f.image_xy is not None for f in frames)
    xy = np.zeros((t, m, v, 2), np.float32) if has_xy else None
    for i, f in enumerate(frames):
        for k, b in enumerate(f.body_ids):
            s = ids.index(b)
            joints[i, s] = f.joints[k]
            conf[i, s] = f.confidence[k]
            if xy is not None and f.image_xy is not None:
                xy[i, s] = f.image_xy[k]
    ts = np.array([f.timestamp for f in frames], np.float64)
    return SkeletonSequence(joints, conf, ts - ts[0], layout, tuple(ids) or (0,), xy, source, fps)
