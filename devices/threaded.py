"""Two-thread source pipeline: a capture thread and a processing (pose) thread.

``capture -> queue -> process -> queue -> frames()``. Live sources (cameras, paced files) use
lossy queues that drop the *oldest* item when the next stage falls behind; every drop is
counted in ``dropped_frames``. Files played as fast as possible use lossless (blocking) queues.
A capture or processing failure ends ``frames()`` with :class:`SourceError` after every good
frame has been yielded.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from skelapp.core.skeleton import SkeletonFrame

from .base import SourceBase, SourceError

_END = object()


class DropQueue:
    """Bounded queue; ``lossy`` drops the oldest item on overflow and counts it in ``dropped``."""

    def __init__(self, maxsize: int, lossy: bool) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=max(1, maxsize))
        self.lossy = lossy
        self.dropped = 0

    def put(self, item: Any, stopped: threading.Event, end: bool = False) -> None:
        """Put *item*. Lossless mode waits for room; lossy mode (or after *stopped*) drops the
        oldest item instead. Ordinary items are discarded once *stopped*; ``end`` markers never are."""
        while True:
            if stopped.is_set() and not end:
                return
            try:
                self._q.put_nowait(item)
                return
            except queue.Full:
                if self.lossy or stopped.is_set():
                    try:
                        old = self._q.get_nowait()
                        if old[0] is not _END:
                            self.dropped += 1
                    except queue.Empty:
                        pass
                else:
                    time.sleep(0.002)

    def get(self, timeout: float) -> Any:
        return self._q.get(timeout=timeout)


class ThreadedSource(SourceBase):
    """Base for sources that capture on one thread and estimate poses on another.

    Subclasses implement :meth:`_read` (next raw item or ``None`` at the end; raise
    :class:`SourceError` on a device failure) and :meth:`_process` (raw item -> frame).
    """

    live = True  # lossy queues (drop oldest) when True
    queue_size = 2

    def __init__(self) -> None:
        super().__init__()
        self._stop_event = threading.Event()
        self._paused = threading.Event()
        self._threads: list[threading.Thread] = []
        self._raw: DropQueue | None = None
        self._out: DropQueue | None = None
        self._yielded_drops = 0

    # -- to implement ----------------------------------------------------------------------
    def _read(self) -> tuple[float, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _process(self, t: float, raw: Any, index: int) -> SkeletonFrame:  # pragma: no cover
        raise NotImplementedError

    # -- control ---------------------------------------------------------------------------
    def pause(self) -> None:
        """Stop yielding frames until :meth:`resume` (live sources keep only the newest)."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    @property
    def dropped_frames(self) -> int:  # type: ignore[override]
        """Frames dropped by either queue because a later stage fell behind."""
        return sum(q.dropped for q in (self._raw, self._out) if q is not None)

    @dropped_frames.setter
    def dropped_frames(self, value: int) -> None:  # SourceBase.__init__ assigns 0
        pass

    # -- threads ---------------------------------------------------------------------------
    def _capture_loop(self) -> None:
        error = None
        try:
            while not self._stop_event.is_set():
                item = self._read()
                if item is None:
                    break
                self._raw.put(item, self._stop_event)
        except SourceError as e:
            error = str(e)
        except Exception as e:  # noqa: BLE001 - reported on the iterating thread
            error = f"{self.name}: capture failed: {type(e).__name__}: {e}"
        self._raw.put((_END, error), self._stop_event, end=True)

    def _process_loop(self) -> None:
        index = 0
        while True:
            try:
                item = self._raw.get(timeout=0.1)
            except queue.Empty:
                if self._stop_event.is_set():
                    return
                continue
            if item[0] is _END:
                self._out.put(item, self._stop_event, end=True)
                return
            try:
                frame = self._process(item[0], item[1], index)
            except Exception as e:  # noqa: BLE001
                msg = f"{self.name}: pose estimation failed: {type(e).__name__}: {e}"
                self._out.put((_END, msg), self._stop_event, end=True)
                self._stop_event.set()
                return
            index += 1
            self._out.put((frame, None), self._stop_event)

    def _start(self) -> None:
        if self._threads:
            return
        self._raw = DropQueue(self.queue_size, self.live)
        self._out = DropQueue(self.queue_size, self.live)
        for target, what in ((self._capture_loop, "capture"), (self._process_loop, "pose")):
            th = threading.Thread(target=target, name=f"{what} {self.name}", daemon=True)
            th.start()
            self._threads.append(th)

    def frames(self) -> Iterator[SkeletonFrame]:
        self.open()
        self._start()
        while True:
            if self._stopped:
                return
            if self._paused.is_set():
                time.sleep(0.02)
                continue
            try:
                frame, error = self._out.get(timeout=0.1)
            except queue.Empty:
                continue
            if frame is _END:
                if error is not None and not self._stopped:
                    raise SourceError(error)
                return
            yield frame

    def _join(self) -> None:
        self._stop_event.set()
        for th in self._threads:
            if th is not threading.current_thread():
                th.join(timeout=3.0)

    def close(self) -> None:
        super().close()
        self._join()
