"""Pipeline: threads, drop-oldest accounting, lossless mode, errors, stop/pause, callbacks."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from _onnx_model import cached_model

from skelapp.app.pipeline import Pipeline
from skelapp.core.layouts import CANONICAL
from skelapp.core.recognizer import ModelError, StreamingRecognizer
from skelapp.core.skeleton import SkeletonFrame
from skelapp.devices.base import SourceBase, SourceError


@pytest.fixture(scope="module")
def rec() -> StreamingRecognizer:
    return StreamingRecognizer(cached_model(10))


class ListSource(SourceBase):
    """Synthetic live source: *n* frames of 2 bodies at *fps*, optionally failing or endless."""

    name = "test:list"
    layout = CANONICAL
    stable_ids = True

    def __init__(self, n: int = 30, fps: float = 15.0, delay: float = 0.0, fail_at: int | None = None,
                 endless: bool = False) -> None:
        super().__init__()
        self.n, self.fps, self.delay, self.fail_at, self.endless = n, fps, delay, fail_at, endless
        self.nominal_fps = fps
        self.closed = threading.Event()

    def close(self) -> None:
        super().close()
        self.closed.set()

    def frames(self):
        k = 0
        while (self.endless or k < self.n) and not self.stopped:
            if k == self.fail_at:
                raise SourceError(f"{self.name}: device unplugged at frame {k}")
            j = np.zeros((2, 20, 3), np.float32)
            j[:, 2, 1] = 0.5
            j[1, :, 0] = 1.5
            j[:, 4:12, 1] += 0.3 * np.sin(k / 3)
            yield SkeletonFrame(j, np.ones((2, 20), np.float32), k / self.fps, k, CANONICAL, (11, 22))
            k += 1
            if self.delay:
                time.sleep(self.delay)


def _threads_gone() -> bool:
    return not any(t.name.startswith("skelapp-") and t.is_alive() for t in threading.enumerate())


def test_runs_to_the_end_with_callbacks(rec):
    pipe = Pipeline(ListSource(30), rec)
    frames, updates, finished = [], [], []
    pipe.on_frame(frames.append)
    pipe.on_update(updates.append)
    pipe.on_finished(finished.append)
    pipe.start()
    assert pipe.wait(20)
    st = pipe.stats()
    assert finished == [None] and st.error is None and not st.running
    assert st.frames == st.processed == 30 and st.dropped == 0 and st.updates == 60 == len(updates)
    assert frames[0].body_ids == (0, 1)  # track ids, matching PredictionUpdate.body_id
    assert {u.body_id for u in updates} == {0, 1}
    assert st.provider == "CPUExecutionProvider" and st.latency_p95_ms >= st.latency_median_ms > 0
    assert pipe.source.closed.is_set() and _threads_gone()


def test_slow_recognizer_drops_oldest_and_counts(rec):
    pipe = Pipeline(ListSource(120), rec, queue_size=4)
    pipe.on_update(lambda u: time.sleep(0.004))  # a model slower than the source
    pipe.start()
    assert pipe.wait(30)
    st = pipe.stats()
    assert st.dropped > 0 and st.frames == 120 and st.processed + st.dropped == st.frames
    assert st.error is None


def test_lossless_never_drops(rec):
    pipe = Pipeline(ListSource(60), rec, queue_size=4, lossless=True)
    pipe.on_update(lambda u: time.sleep(0.002))
    pipe.start()
    assert pipe.wait(30)
    st = pipe.stats()
    assert st.dropped == 0 and st.processed == st.frames == 60 and st.updates == 120


def test_source_error_keeps_everything_before_it(rec):
    pipe = Pipeline(ListSource(50, fail_at=20), rec)
    seen = []
    pipe.on_update(seen.append)
    pipe.start()
    assert pipe.wait(20)
    st = pipe.stats()
    assert st.error == "test:list: device unplugged at frame 20"
    assert st.frames == st.processed == 20 and len(seen) == 40 and max(u.frame_index for u in seen) == 19
    assert _threads_gone()


def test_model_error_stops_capture(rec, monkeypatch):
    r = StreamingRecognizer(cached_model(10))
    calls = {"n": 0}
    real = r.run

    def flaky(x, states):
        calls["n"] += 1
        if calls["n"] > 5:
            raise ModelError("m.onnx: inference failed: boom")
        return real(x, states)

    monkeypatch.setattr(r, "run", flaky)
    src = ListSource(endless=True, delay=0.001)
    pipe = Pipeline(src, r)
    seen = []
    pipe.on_update(seen.append)
    pipe.start()
    assert pipe.wait(20)
    assert pipe.error == "m.onnx: inference failed: boom" and len(seen) == 10
    assert src.closed.is_set() and _threads_gone()


def test_callback_error_is_recorded(rec):
    pipe = Pipeline(ListSource(10), rec)

    def bad(u):
        raise KeyError("oops")

    pipe.on_update(bad)
    pipe.start()
    assert pipe.wait(20)
    assert pipe.error == "KeyError: 'oops'"


def test_stop_ends_an_endless_source_promptly(rec):
    src = ListSource(endless=True, delay=0.005)
    pipe = Pipeline(src, rec)
    pipe.start()
    time.sleep(0.1)
    t0 = time.perf_counter()
    pipe.stop(timeout=5)
    assert pipe.finished and time.perf_counter() - t0 < 2 and pipe.error is None
    assert _threads_gone() and pipe.stats().frames > 0


def test_pause_skips_live_frames_and_resume_continues(rec):
    src = ListSource(endless=True, delay=0.005)
    pipe = Pipeline(src, rec)
    pipe.start()
    time.sleep(0.05)
    pipe.pause()
    time.sleep(0.02)
    n = pipe.stats().frames
    time.sleep(0.1)
    assert pipe.stats().frames == n and pipe.stats().paused
    pipe.resume()
    time.sleep(0.1)
    assert pipe.stats().frames > n
    pipe.stop()


def test_updates_iterator(rec):
    pipe = Pipeline(ListSource(12), rec)
    it = pipe.updates(timeout=10)  # subscribes now, before any update exists
    pipe.start()
    pipe.wait(10)  # consume only after the run: nothing may be lost meanwhile
    got = list(it)
    assert len(got) == 24 and pipe.finished


def test_stop_before_start_returns(rec):
    pipe = Pipeline(ListSource(5), rec)
    pipe.stop(timeout=1)
    assert pipe.finished


def test_stats_can_be_polled_while_running(rec):
    pipe = Pipeline(ListSource(endless=True), rec)
    pipe.start()
    t_end = time.perf_counter() + 0.3
    while time.perf_counter() < t_end:
        pipe.stats()
        pipe.run_latency()
    pipe.stop()
    assert pipe.error is None and pipe.stats().updates > 0
