"""Measure GUI event-loop latency: how late a short periodic QTimer fires."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer


class EventLoopProbe(QObject):
    """Fires every ``interval_ms``; records ``actual gap - interval`` in milliseconds."""

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.lags_ms: list[float] = []
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.lags_ms.append(max(0.0, (now - self._last) * 1000.0 - self.interval_ms))
        self._last = now

    def summary(self) -> dict[str, float]:
        if not self.lags_ms:
            return {"n": 0, "mean_ms": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
        a = np.asarray(self.lags_ms)
        return {
            "n": len(a),
            "mean_ms": float(a.mean()),
            "p50_ms": float(np.percentile(a, 50)),
            "p95_ms": float(np.percentile(a, 95)),
            "p99_ms": float(np.percentile(a, 99)),
            "max_ms": float(a.max()),
        }

    def report(self) -> str:
        s = self.summary()
        return (
            f"event-loop lag over {s['n']} ticks of {self.interval_ms} ms: mean {s['mean_ms']:.1f} ms, "
            f"p50 {s['p50_ms']:.1f}, p95 {s['p95_ms']:.1f}, p99 {s['p99_ms']:.1f}, max {s['max_ms']:.1f} ms"
        )
