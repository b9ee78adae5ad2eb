"""Early-prediction timeline: probability of the leading classes over the last ~10 s.

Each action segment (a run of updates with one ``segment_id`` >= 0) is shaded in its label's
colour, lighter while it is still tentative, and named at the top of the plot.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from skelapp.core.prediction import PredictionUpdate

from . import theme

IDLE_LABELS = ("", "idle")


@dataclass
class Segment:
    seg_id: int
    label: str
    start: float
    end: float
    committed: bool


class TimelineModel:
    """History of updates for one track, trimmed to ``keep_s`` seconds (pure data, no Qt)."""

    def __init__(self, window_s: float = 10.0, keep_s: float = 12.0, max_curves: int = 5) -> None:
        self.window_s = window_s
        self.keep_s = keep_s
        self.max_curves = max_curves
        self.times: deque[float] = deque()
        self.probs: deque[dict[int, float]] = deque()
        self.segments: list[Segment] = []
        self.names: dict[int, str] = {}

    def clear(self) -> None:
        self.times.clear()
        self.probs.clear()
        self.segments.clear()

    def __len__(self) -> int:
        return len(self.times)

    @property
    def now(self) -> float:
        return self.times[-1] if self.times else 0.0

    def add(self, u: PredictionUpdate, labels: Sequence[str] | None = None) -> None:
        if self.times and u.time < self.times[-1] - 1.0:  # source restarted / looped: start over
            self.clear()
        if u.probabilities:
            p = np.asarray(u.probabilities, dtype=np.float32)
            keep = np.argsort(-p)[: max(8, self.max_curves)]
            row = {int(i): float(p[i]) for i in keep}
            if labels:
                self.names.update({int(i): labels[i] for i in keep if i < len(labels)})
        else:
            row = {}
        for s in u.top:
            row[s.index] = s.probability
            self.names[s.index] = s.label
        self.times.append(u.time)
        self.probs.append(row)
        self._add_segment(u)
        cut = u.time - self.keep_s
        while self.times and self.times[0] < cut:
            self.times.popleft()
            self.probs.popleft()
        self.segments = [s for s in self.segments if s.end >= cut]

    def _add_segment(self, u: PredictionUpdate) -> None:
        if u.segment_id < 0 or u.label in IDLE_LABELS:
            return
        last = self.segments[-1] if self.segments else None
        if last is not None and last.seg_id == u.segment_id and last.label == u.label:
            last.end = u.time
            last.committed = last.committed or u.committed
        else:
            self.segments.append(Segment(u.segment_id, u.label, u.time, u.time, u.committed))

    def curve_classes(self) -> list[int]:
        """Classes worth a curve: highest peak probability within the visible window."""
        cut = self.now - self.window_s
        peak: dict[int, float] = {}
        for t, row in zip(self.times, self.probs, strict=False):
            if t < cut:
                continue
            for k, v in row.items():
                if v > peak.get(k, 0.0):
                    peak[k] = v
        return sorted(peak, key=lambda k: -peak[k])[: self.max_curves]

    def series(self, cls: int) -> tuple[np.ndarray, np.ndarray]:
        t = np.fromiter(self.times, dtype=np.float64, count=len(self.times))
        y = np.fromiter((row.get(cls, 0.0) for row in self.probs), dtype=np.float64, count=len(self.probs))
        return t, y


class Timeline(QWidget):
    """pyqtgraph view of a :class:`TimelineModel`; call :meth:`refresh` at display rate."""

    def __init__(self, window_s: float = 10.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TimelineModel(window_s=window_s)
        self.labels: list[str] | None = None
        self._colours: dict[int, int] = {}
        self._dirty = False
        title = QLabel(f"Early-prediction timeline (last {window_s:.0f} s)")
        title.setObjectName("title")
        self.legend = QLabel("")
        self.legend.setTextFormat(pg.QtCore.Qt.RichText)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.legend, 1)
        self.plot = pg.PlotWidget(background=theme.PANEL)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setYRange(0, 1.08, padding=0)
        self.plot.showGrid(x=True, y=True, alpha=0.12)
        self.plot.getPlotItem().layout.setContentsMargins(2, 2, 10, 2)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setTextPen(pg.mkPen(theme.TEXT_DIM))
            ax.setPen(pg.mkPen(theme.BORDER))
        self.plot.getAxis("left").setTicks([[(0, "0"), (0.5, "50%"), (1.0, "100%")]])
        self.plot.getAxis("left").setWidth(44)
        self.plot.setLabel("bottom", "source time (s)", color=theme.TEXT_DIM)
        self.curves: list[pg.PlotDataItem] = []
        self.regions: list[tuple[pg.LinearRegionItem, pg.TextItem]] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.plot, 1)
        self.plot.setXRange(0, window_s, padding=0)

    def set_labels(self, labels: Sequence[str] | None) -> None:
        self.labels = list(labels) if labels else None

    def clear(self) -> None:
        self.model.clear()
        self._dirty = True
        self.refresh()

    def add(self, update: PredictionUpdate) -> None:
        self.model.add(update, self.labels)
        self._dirty = True

    def _colour(self, cls: int) -> QColor:
        if cls not in self._colours:
            used = set(self._colours.values())
            free = [i for i in range(len(theme.CLASS_COLOURS)) if i not in used]
            self._colours[cls] = free[0] if free else cls % len(theme.CLASS_COLOURS)
            if len(self._colours) > 32:
                self._colours.pop(next(iter(self._colours)))
        return theme.class_colour(self._colours[cls])

    def _name(self, cls: int) -> str:
        return self.model.names.get(cls, str(cls))

    def _class_of(self, label: str) -> int | None:
        for k, v in self.model.names.items():
            if v == label:
                return k
        return None

    def refresh(self) -> None:
        """Redraw curves, segment shading and legend (cheap no-op when nothing changed)."""
        if not self._dirty:
            return
        self._dirty = False
        m = self.model
        classes = m.curve_classes()
        while len(self.curves) < len(classes):
            c = self.plot.plot([], [])
            c.setZValue(10)
            self.curves.append(c)
        legend = []
        for i, curve in enumerate(self.curves):
            if i >= len(classes):
                curve.setData([], [])
                continue
            cls = classes[i]
            col = self._colour(cls)
            t, y = m.series(cls)
            curve.setData(t, y, pen=pg.mkPen(col, width=2.5 if i == 0 else 1.6))
            legend.append(f"<span style='color:{col.name()}'>■</span>&nbsp;{self._name(cls)}")
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(legend))
        self._draw_segments()
        end = max(m.now, m.window_s)  # fill from the left until the window is full
        self.plot.setXRange(end - m.window_s, end, padding=0)

    def _draw_segments(self) -> None:
        segs = self.model.segments
        while len(self.regions) < len(segs):
            reg = pg.LinearRegionItem(movable=False)
            for line in reg.lines:
                line.setPen(pg.mkPen(None))
            txt = pg.TextItem("", anchor=(0, 0))
            self.plot.addItem(reg)
            self.plot.addItem(txt)
            reg.setZValue(-10)
            self.regions.append((reg, txt))
        for i, (reg, txt) in enumerate(self.regions):
            if i >= len(segs):
                reg.hide()
                txt.hide()
                continue
            s = segs[i]
            cls = self._class_of(s.label)
            col = QColor(self._colour(cls)) if cls is not None else QColor(theme.TEXT_DIM)
            col.setAlpha(60 if s.committed else 28)
            reg.setBrush(pg.mkBrush(col))
            reg.setRegion((s.start, max(s.end, s.start + 1e-3)))
            reg.show()
            txt.setText(s.label + ("" if s.committed else " (early)"))
            txt.setColor(theme.TEXT if s.committed else theme.TEXT_DIM)
            txt.setPos(s.start, 1.08)
            txt.show()
