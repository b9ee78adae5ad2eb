"""Assign the bodies of each frame to stable tracks.

Two modes: by the source's own tracking ids (Kinect/NTU give stable per-person ids), or,
when a source has no stable ids, greedy nearest-centroid matching with a maximum distance.
Track ids are small integers in order of first appearance. A track not seen for
``max_missing_s`` seconds ends; :meth:`BodyTracker.update` reports it so per-track state
can be freed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .skeleton import SkeletonFrame


@dataclass
class TrackAssignment:
    """Result of one :meth:`BodyTracker.update`."""

    track_ids: list[int]  # per body of the frame; -1 where the body is absent (no confidence)
    ended: list[int] = field(default_factory=list)  # tracks that just timed out


def body_centroid(joints: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Confidence-weighted mean joint position ``(3,)`` of one body."""
    w = np.clip(confidence, 0, None)
    s = float(w.sum())
    return (joints * w[:, None]).sum(0) / s if s > 0 else joints.mean(0)


class BodyTracker:
    def __init__(self, use_source_ids: bool = True, max_distance: float = 0.6, max_missing_s: float = 1.0):
        self.use_source_ids = use_source_ids
        self.max_distance = max_distance
        self.max_missing_s = max_missing_s
        self.reset()

    def reset(self) -> None:
        self._next = 0
        self._by_source: dict[int, int] = {}  # source id -> track id
        self._centroid: dict[int, np.ndarray] = {}  # track id -> last centroid
        self._last_seen: dict[int, float] = {}  # track id -> timestamp

    @property
    def active_tracks(self) -> list[int]:
        return list(self._last_seen)

    def _new_track(self) -> int:
        t, self._next = self._next, self._next + 1
        return t

    def update(self, frame: SkeletonFrame) -> TrackAssignment:
        present = [k for k in range(frame.num_bodies) if np.any(frame.confidence[k] > 0)]
        ids = [-1] * frame.num_bodies
        cents = {k: body_centroid(frame.joints[k], frame.confidence[k]) for k in present}
        src = [frame.body_ids[k] for k in present]
        if self.use_source_ids and len(set(src)) == len(src):
            for k in present:
                sid = frame.body_ids[k]
                tid = self._by_source.get(sid)
                if tid is None or tid not in self._last_seen:
                    tid = self._by_source[sid] = self._new_track()
                ids[k] = tid
        else:
            self._match_centroids(present, cents, ids)
        for k in present:
            self._centroid[ids[k]] = cents[k]
            self._last_seen[ids[k]] = frame.timestamp
        ended = [
            t for t, seen in self._last_seen.items()
            if t not in ids and frame.timestamp - seen > self.max_missing_s
        ]  # fmt: skip
        for t in ended:
            del self._last_seen[t]
            self._centroid.pop(t, None)
            for sid in [s for s, v in self._by_source.items() if v == t]:
                del self._by_source[sid]
        return TrackAssignment(ids, ended)

    def _match_centroids(self, present: list[int], cents: dict[int, np.ndarray], ids: list[int]) -> None:
        pairs = sorted(
            (float(np.linalg.norm(cents[k] - c)), k, t)
            for k in present
            for t, c in self._centroid.items()
            if t in self._last_seen
        )
        used_t: set[int] = set()
        for d, k, t in pairs:
            if d > self.max_distance:
                break
            if ids[k] == -1 and t not in used_t:
                ids[k] = t
                used_t.add(t)
        for k in present:
            if ids[k] == -1:
                ids[k] = self._new_track()
