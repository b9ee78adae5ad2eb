"""Replay a recorded skeleton file as a live source, paced at the recording's frame rate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from skelapp.core.errors import SkelappError
from skelapp.core.skeleton import SkeletonFrame, SkeletonSequence

from .base import SourceBase, SourceError

_STABLE_ID_SUFFIXES = (".skeleton", ".csv")  # Kinect v2 / Azure Kinect tracking ids


class ReplaySource(SourceBase):
    """Frames of any file :func:`skelapp.core.formats.read_skeleton_file` reads.

    ``speed`` scales the pacing (2.0 = twice real time); ``fast`` ignores pacing; ``loop``
    starts over at the end (timestamps and frame indices keep increasing).
    """

    mirrored = False

    def __init__(self, path: str | Path, speed: float = 1.0, fast: bool = False, loop: bool = False) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.path = Path(path)
        self.speed, self.fast, self.loop = speed, fast, loop
        self.name = f"replay:{self.path.name}"
        self.stable_ids = self.path.name.lower().endswith(_STABLE_ID_SUFFIXES)
        self._seq: SkeletonSequence | None = None
        self._paused_at: float | None = None
        self._shift = 0.0  # seconds spent paused: pacing resumes where it stopped

    def pause(self) -> None:
        """Hold the stream (pacing clock frozen) until :meth:`resume`."""
        if self._paused_at is None:
            self._paused_at = time.perf_counter()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._shift += time.perf_counter() - self._paused_at
            self._paused_at = None

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def open(self) -> None:
        if self._seq is not None:
            return
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        from skelapp.core.formats import read_skeleton_file

        try:
            seq = read_skeleton_file(self.path)
        except SkelappError as e:
            msg = str(e)
            raise SourceError(msg if str(self.path) in msg else f"{self.path}: {msg}") from None
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise SourceError(f"{self.path}: cannot read: {e}") from None
        if len(seq) == 0:
            raise SourceError(f"{self.path}: no frames")
        self._seq = seq

    @property
    def sequence(self) -> SkeletonSequence:
        self.open()
        assert self._seq is not None
        return self._seq

    @property
    def nominal_fps(self) -> float:  # type: ignore[override]
        return self.sequence.fps

    @property
    def layout(self):
        return self.sequence.layout

    def _wait_turn(self, target: float | None) -> None:
        """Sleep while paused, and (unless *target* is None) until ``target + time paused``."""
        while not self._stopped:
            left = 0.0 if target is None else target + self._shift - time.perf_counter()
            if left <= 0 and self._paused_at is None:
                return
            time.sleep(min(left, 0.02) if left > 0 else 0.02)

    def frames(self) -> Iterator[SkeletonFrame]:
        seq = self.sequence
        period = seq.duration  # loop offset: last timestamp + one nominal frame
        start = time.perf_counter()
        rnd = 0
        while not self._stopped:
            offset = rnd * period
            for f in seq.frames():
                if self._stopped:
                    return
                t = f.timestamp + offset
                self._wait_turn(None if self.fast else start + t / self.speed)
                if self._stopped:
                    return
                f.timestamp = t
                f.index += rnd * len(seq)
                yield f
            rnd += 1
            if not self.loop:
                return
