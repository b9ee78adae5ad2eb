"""Threaded live pipeline: a capture thread feeds a recognizer thread through a bounded queue.

Capture thread: ``source.frames()`` -> canonical layout + body tracking -> ``on_frame``
callbacks (frame with track ids as ``body_ids``) -> queue. Recognizer thread: queue ->
:class:`StreamProcessor` -> ``on_update`` callbacks. A slow model never stalls capture: when
the queue is full the oldest frame is dropped and counted (``stats().dropped``), unless
``lossless`` (file replay as fast as possible), where capture waits instead. Callbacks run on
these worker threads: keep them short (a GUI should hand the data to its own thread). The
first error is kept in :attr:`Pipeline.error`: a model or callback error ends the run at
once; after a source error the frames already queued are still processed.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import threading
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from skelapp.core.errors import SkelappError
from skelapp.core.prediction import PredictionUpdate
from skelapp.core.recognizer import StreamingRecognizer
from skelapp.core.skeleton import SkeletonFrame
from skelapp.core.smoothing import SmoothingConfig
from skelapp.core.stream_processor import StreamProcessor, TrackedFrame, prepare_frame
from skelapp.core.tracking import BodyTracker

FrameCallback = Callable[[SkeletonFrame], None]
UpdateCallback = Callable[[PredictionUpdate], None]
FinishedCallback = Callable[["str | None"], None]  # error message or None


def one_line_error(e: BaseException) -> str:
    """A single-line description of *e* (message only for skelapp's own errors)."""
    msg = " ".join(str(e).split())
    if isinstance(e, SkelappError) and msg:
        return msg
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


@dataclass
class PipelineStats:
    frames: int = 0  # source frames received
    processed: int = 0  # frames the recognizer handled (frames = processed + dropped + queued)
    updates: int = 0
    dropped: int = 0  # frames dropped because the recognizer fell behind
    fps: float = 0.0  # source frame rate over the last ~2 s
    latency_median_ms: float = 0.0  # frame arrival -> update, recent updates
    latency_p95_ms: float = 0.0
    latency_mean_ms: float = 0.0  # whole run
    provider: str = ""
    running: bool = False
    paused: bool = False
    error: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class Pipeline:
    def __init__(
        self,
        source,
        recognizer: StreamingRecognizer,
        smoothing: SmoothingConfig | None = None,
        queue_size: int = 64,
        lossless: bool = False,
        stable_ids: bool | None = None,
        max_track_distance: float = 0.6,
    ) -> None:
        self.source = source
        self.recognizer = recognizer
        self.processor = StreamProcessor(recognizer, smoothing)
        ids = getattr(source, "stable_ids", False) if stable_ids is None else stable_ids
        self.tracker = BodyTracker(use_source_ids=bool(ids), max_distance=max_track_distance)
        # lossless: a short queue keeps the measured latency meaningful while capture waits
        self.queue_size, self.lossless = (min(queue_size, 2) if lossless else queue_size), lossless
        self._queue: collections.deque[TrackedFrame] = collections.deque()
        self._cond = threading.Condition()
        self._frame_cbs: list[FrameCallback] = []
        self._update_cbs: list[UpdateCallback] = []
        self._finished_cbs: list[FinishedCallback] = []
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._capture_done = False
        self._finished = threading.Event()
        self._threads: list[threading.Thread] = []
        self.error: str | None = None
        self._frames = self._processed = self._updates = self._dropped = 0
        self._arrivals: collections.deque[float] = collections.deque(maxlen=120)
        self._latencies: collections.deque[float] = collections.deque(maxlen=2000)
        self._lat_sum = 0.0
        self._all_latencies = array("d")  # whole run, for the final summary (8 bytes per update)
        self._all_lock = threading.Lock()  # appends vs. copies: an exported array cannot grow

    # -- callbacks -------------------------------------------------------------------------
    def on_frame(self, cb: FrameCallback) -> None:
        """``cb(frame)`` for every source frame (capture thread).

        The frame keeps the source's layout and image, but its ``body_ids`` are the track ids
        (= :attr:`PredictionUpdate.body_id`; -1 for an empty body slot).
        """
        self._frame_cbs.append(cb)

    def on_update(self, cb: UpdateCallback) -> None:
        """``cb(update)`` for every :class:`PredictionUpdate` (recognizer thread)."""
        self._update_cbs.append(cb)

    def on_finished(self, cb: FinishedCallback) -> None:
        """``cb(error_or_None)`` once, when both threads are done."""
        self._finished_cbs.append(cb)

    def updates(self, timeout: float | None = None) -> Iterator[PredictionUpdate]:
        """Iterate updates until the run ends. Subscribes at call time (not at the first
        ``next``), so call it before :meth:`start` to see every update."""
        q: collections.deque = collections.deque()
        cond = threading.Condition()

        def put(u) -> None:
            with cond:
                q.append(u)
                cond.notify()

        self.on_update(put)
        self.on_finished(lambda _e: put(None))

        def drain() -> Iterator[PredictionUpdate]:
            while True:
                with cond:
                    if not cond.wait_for(lambda: q, timeout):
                        return
                    u = q.popleft()
                if u is None:
                    return
                yield u

        return drain()

    # -- control ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            raise RuntimeError("pipeline already started")
        self._threads = [
            threading.Thread(target=self._capture_loop, name="skelapp-capture", daemon=True),
            threading.Thread(target=self._recognize_loop, name="skelapp-recognizer", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def pause(self) -> None:
        self._paused.set()
        if hasattr(self.source, "pause"):
            self.source.pause()

    def resume(self) -> None:
        self._paused.clear()
        if hasattr(self.source, "resume"):
            self.source.resume()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads (idempotent) and wait up to *timeout* s for them."""
        self._stop.set()
        self.resume()
        try:
            self.source.close()
        except Exception as e:  # closing must not hide the run's own outcome
            self._set_error(f"closing the source failed: {one_line_error(e)}", stop=False)
        with self._cond:
            self._cond.notify_all()
        if not self._threads:
            self._finished.set()
        self.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has finished; False on timeout."""
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def stats(self) -> PipelineStats:
        lat = np.array(list(self._latencies), np.float64)  # list(): an atomic snapshot under the GIL
        arr = list(self._arrivals)
        fps = (len(arr) - 1) / (arr[-1] - arr[0]) if len(arr) > 1 and arr[-1] > arr[0] else 0.0
        return PipelineStats(
            frames=self._frames,
            processed=self._processed,
            updates=self._updates,
            dropped=self._dropped,
            fps=fps,
            latency_median_ms=float(np.median(lat)) if lat.size else 0.0,
            latency_p95_ms=float(np.percentile(lat, 95)) if lat.size else 0.0,
            latency_mean_ms=self._lat_sum / self._updates if self._updates else 0.0,
            provider=self.recognizer.provider,
            running=bool(self._threads) and not self.finished,
            paused=self.paused,
            error=self.error,
        )

    def run_latency(self) -> dict[str, float]:
        """Latency (ms) over the whole run: mean, median, p95."""
        with self._all_lock:  # the copy exports the array's buffer: no append may resize it meanwhile
            a = np.array(self._all_latencies, np.float64) if len(self._all_latencies) else np.zeros(1)
        return {"latency_mean_ms": float(a.mean()), "latency_median_ms": float(np.median(a)),
                "latency_p95_ms": float(np.percentile(a, 95))}

    # -- threads ---------------------------------------------------------------------------
    def _set_error(self, msg: str, stop: bool = True) -> None:
        """Keep the first error; *stop* ends the run now (else queued frames are still processed)."""
        with self._cond:
            if self.error is None:
                self.error = msg
            if stop:
                self._stop.set()
            self._cond.notify_all()

    def _capture_loop(self) -> None:
        try:
            self.source.open()
            for frame in self.source.frames():
                if self._stop.is_set():
                    break
                if self._paused.is_set():
                    continue  # live sources keep running while paused; replays pause themselves
                tf = prepare_frame(frame, self.tracker)
                self._frames += 1
                self._arrivals.append(tf.arrival)
                if self._frame_cbs:
                    shown = dataclasses.replace(frame, body_ids=tuple(tf.track_ids))
                    for cb in self._frame_cbs:
                        cb(shown)
                self._enqueue(tf)
        except Exception as e:
            if not self._stop.is_set():  # a source failing because it was stopped is no error
                self._set_error(one_line_error(e), stop=False)
        finally:
            try:
                self.source.close()
            except Exception as e:
                self._set_error(f"closing the source failed: {one_line_error(e)}", stop=False)
            with self._cond:
                self._capture_done = True
                self._cond.notify_all()

    def _enqueue(self, tf: TrackedFrame) -> None:
        with self._cond:
            if self.lossless:
                self._cond.wait_for(lambda: len(self._queue) < self.queue_size or self._stop.is_set())
            elif len(self._queue) >= self.queue_size:
                self._queue.popleft()
                self._dropped += 1
            self._queue.append(tf)
            self._cond.notify_all()

    def _recognize_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._queue or self._capture_done or self._stop.is_set())
                    if self._stop.is_set() or not self._queue:
                        break  # stopped, or capture ended and the queue is drained
                    tf = self._queue.popleft()
                    self._cond.notify_all()
                ups = self.processor.process(tf)
                self._processed += 1
                for u in ups:
                    self._updates += 1
                    self._latencies.append(u.latency_ms)
                    self._lat_sum += u.latency_ms
                    with self._all_lock:
                        self._all_latencies.append(u.latency_ms)
                    for cb in self._update_cbs:
                        cb(u)
        except Exception as e:
            self._set_error(one_line_error(e))
            with contextlib.suppress(Exception):  # the first error is what matters
                self.source.close()
        finally:
            cap = self._threads[0]
            if cap is not threading.current_thread():
                with self._cond:
                    self._cond.notify_all()
                cap.join(timeout=10.0)
            for cb in self._finished_cbs:
                try:
                    cb(self.error)
                except Exception as e:  # report, but finishing must complete
                    self._set_error(f"finished callback failed: {one_line_error(e)}")
            self._finished.set()
