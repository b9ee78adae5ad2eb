"""Run the pipeline without a GUI: print label changes, write the prediction log, summarise.

Never imports Qt.
"""

from __future__ import annotations

import sys
from typing import TextIO

from skelapp.core.prediction import PredictionUpdate
from skelapp.core.recognizer import StreamingRecognizer

from .pipeline import Pipeline
from .prediction_log import PredictionLog
from .stdout import write_line


def source_warning(source) -> str | None:
    """The source's ``warning`` (e.g. "tracks one person"), or None."""
    w = getattr(source, "warning", None)
    return str(w) if w else None


def start_record(source, recognizer) -> dict:
    """The log's ``start`` record: source, model, labels, provider, model fps, source warning."""
    return {
        "source": getattr(source, "name", type(source).__name__), "model": str(recognizer.path),
        "labels": recognizer.labels, "provider": recognizer.provider,
        "model_fps": recognizer.feature_config.fps, "warning": source_warning(source),
    }


def summary_record(pipe: Pipeline) -> dict:
    """The log's final ``summary`` record (latencies over the whole run)."""
    st = pipe.stats()
    return {"frames": st.frames, "updates": st.updates, "dropped": st.dropped, **pipe.run_latency(),
            "provider": st.provider, "error": st.error}


class _Printer:
    """Prints one line whenever a body's label or committed flag changes; stops printing (the run
    and its log go on) once the output's reader has gone away, as with ``skelapp ... | head``."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.closed = False
        self._last: dict[int, tuple[str, bool]] = {}

    def __call__(self, u: PredictionUpdate) -> None:
        key = (u.label, u.committed)
        if not self.closed and self._last.get(u.body_id) != key:
            self._last[u.body_id] = key
            state = "committed" if u.committed else "tentative"
            top = f"{u.top[0].label} {u.top[0].probability:.2f}" if u.top else "-"
            self.closed = not write_line(self.out, f"t={u.time:7.2f}s body {u.body_id}: {u.label} ({state}, "
                                                   f"top {top}, observed {u.observed:.0%})")


def run_headless(
    source,
    recognizer: StreamingRecognizer,
    log: PredictionLog | None = None,
    lossless: bool = False,
    quiet: bool = False,
    out: TextIO | None = None,
) -> int:
    """Run *source* to its end (or Ctrl+C); returns 0 on a clean end, 1 on an error.

    The source's ``warning``, if any, is printed once to stderr (even when *quiet*).
    """
    out = out or sys.stdout
    warning = source_warning(source)
    if warning:
        print(f"skelapp: warning: {warning}", file=sys.stderr, flush=True)
    pipe = Pipeline(source, recognizer, lossless=lossless)
    if log is not None:
        pipe.on_update(log.write)
    printer = _Printer(out)
    if not quiet:
        pipe.on_update(printer)
    pipe.start()
    interrupted = False
    try:
        while not pipe.wait(0.2):
            pass
    except KeyboardInterrupt:
        interrupted = True
        pipe.stop()
    st = pipe.stats()
    if log is not None:
        log.write_summary(summary_record(pipe))
    if not quiet and not printer.closed:
        write_line(out, f"done: {st.frames} frames, {st.updates} updates, {st.dropped} dropped, latency "
                        f"median {st.latency_median_ms:.2f} ms p95 {st.latency_p95_ms:.2f} ms, {st.provider}"
                        + (" (interrupted)" if interrupted else ""))
    if st.error:
        print(f"skelapp: error: {st.error}", file=sys.stderr, flush=True)
        return 1
    return 0
