"""Hand-off from the pipeline's threads to the GUI thread without ever blocking the pipeline.

The pipeline's callbacks only store a reference (latest frame) or append to a bounded deque
(updates), both atomic under the GIL; a QTimer in the GUI thread drains them at display rate.
While recording, every frame (image dropped) is also appended to a list.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque

from skelapp.core.prediction import PredictionUpdate
from skelapp.core.skeleton import SkeletonFrame


class LiveFeed:
    def __init__(self, max_updates: int = 2000) -> None:
        self._frame: SkeletonFrame | None = None
        self._frame_seq = 0
        self._taken_seq = 0
        self._updates: deque[PredictionUpdate] = deque(maxlen=max_updates)
        self._recording: list[SkeletonFrame] | None = None
        self._rec_lock = threading.Lock()
        self.frames_seen = 0
        self.updates_seen = 0

    # -------------------------------------------------- pipeline threads
    def push_frame(self, frame: SkeletonFrame) -> None:
        self._frame = frame
        self._frame_seq += 1
        self.frames_seen += 1
        rec = self._recording
        if rec is not None:
            rec.append(dataclasses.replace(frame, image=None) if frame.image is not None else frame)

    def push_update(self, update: PredictionUpdate) -> None:
        self._updates.append(update)
        self.updates_seen += 1

    # ----------------------------------------------------------- GUI thread
    def take_frame(self) -> SkeletonFrame | None:
        """The newest frame if it arrived since the last call, else None."""
        seq = self._frame_seq
        if seq == self._taken_seq:
            return None
        self._taken_seq = seq
        return self._frame

    def drain_updates(self) -> list[PredictionUpdate]:
        out = []
        while True:
            try:
                out.append(self._updates.popleft())
            except IndexError:
                return out

    def reset(self) -> None:
        self._frame = None
        self._taken_seq = self._frame_seq
        self._updates.clear()
        self.frames_seen = self.updates_seen = 0

    # ------------------------------------------------------------ recording
    @property
    def recording(self) -> bool:
        return self._recording is not None

    @property
    def recorded_frames(self) -> int:
        rec = self._recording
        return len(rec) if rec is not None else 0

    def start_recording(self) -> None:
        with self._rec_lock:
            self._recording = []

    def stop_recording(self) -> list[SkeletonFrame]:
        with self._rec_lock:
            rec, self._recording = self._recording, None
        return rec or []
