"""Live class-probability bar chart: top classes, committed label solid, early guesses hatched."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from skelapp.core.prediction import ClassScore, PredictionUpdate

from . import theme

NEUTRAL = "#56637a"
IDLE_LABELS = ("", "idle")


def top_scores(update: PredictionUpdate, k: int, labels: Sequence[str] | None = None) -> list[ClassScore]:
    """The *k* most probable classes (from ``probabilities`` when the update's ``top`` is short)."""
    if len(update.top) >= k or not update.probabilities or not labels:
        return list(update.top[:k])
    p = np.asarray(update.probabilities, dtype=np.float32)
    idx = np.argsort(-p)[:k]
    return [ClassScore(int(i), labels[i] if i < len(labels) else str(i), float(p[i])) for i in idx]


def elide(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def axis_width(plot_width: int) -> int:
    """Room for class names left of the bars: about 40 % of the plot, 110-220 px."""
    return int(min(max(0.47 * plot_width, 110), 230))


class Badge(QLabel):
    """Small rounded status pill ("EARLY 40 %", "COMMITTED", "IDLE")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("badge")
        self.set_state("IDLE", theme.TEXT_DIM)

    def set_state(self, text: str, colour: str) -> None:
        self.setText(text)
        self.setStyleSheet(f"background: {colour}; color: {theme.BG};")


class ProbabilityBars(QWidget):
    """Horizontal bars for the top-k classes of the latest update."""

    def __init__(self, k: int = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.k = k
        self.labels: list[str] | None = None
        self.shown: list[ClassScore] = []
        self.state = "idle"  # "idle" | "early" | "committed"
        title = QLabel("Class probabilities")
        title.setObjectName("title")
        self.badge = Badge()
        self.badge.setToolTip("EARLY: tentative guess while the action is still under way; "
                              "COMMITTED: the label has settled")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.badge)
        self.plot = pg.PlotWidget(background=theme.PANEL)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setXRange(0, 1, padding=0.0)
        self.plot.setYRange(-0.6, k - 0.4, padding=0.0)
        self.plot.getPlotItem().layout.setContentsMargins(2, 2, 8, 2)
        left = self.plot.getAxis("left")
        left.setWidth(150)
        self._fm = QFontMetrics(self.plot.font())
        left.setStyle(tickLength=0, tickTextOffset=6)
        left.setTextPen(pg.mkPen(theme.TEXT))
        left.setPen(pg.mkPen(theme.BORDER))
        self.plot.hideAxis("bottom")  # the percentages are written next to the bars
        ys = np.arange(k, dtype=float)
        self.fill = pg.BarGraphItem(x0=np.zeros(k), y=ys, height=0.68, width=np.zeros(k), pen=pg.mkPen(None))
        self.hatch = pg.BarGraphItem(x0=np.zeros(k), y=ys, height=0.68, width=np.zeros(k), pen=pg.mkPen(None))
        self.plot.addItem(self.fill)
        self.plot.addItem(self.hatch)
        self.texts = [pg.TextItem("", color=theme.TEXT, anchor=(0, 0.5)) for _ in range(k)]
        for t in self.texts:
            self.plot.addItem(t)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.plot, 1)
        self.clear()

    def set_labels(self, labels: Sequence[str] | None) -> None:
        self.labels = list(labels) if labels else None

    def clear(self) -> None:
        self.shown = []
        self.state = "idle"
        self.badge.set_state("IDLE", theme.TEXT_DIM)
        self.fill.setOpts(width=np.zeros(self.k))
        self.hatch.setOpts(width=np.zeros(self.k))
        self.plot.getAxis("left").setTicks([[(i, "") for i in range(self.k)]])
        for t in self.texts:
            t.setText("")

    def _set_names(self, names: list[str]) -> None:
        axis = self.plot.getAxis("left")
        w = axis_width(self.plot.width())
        if abs(axis.width() - w) > 1:
            axis.setWidth(w)
        ticks = [(i, self._fm.elidedText(names[i], Qt.ElideRight, w - 14) if i < len(names) else "")
                 for i in range(self.k)]
        axis.setTicks([ticks])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._set_names([s.label for s in self.shown])

    @property
    def widths(self) -> list[float]:
        return [s.probability for s in self.shown]

    def set_update(self, update: PredictionUpdate) -> None:
        scores = top_scores(update, self.k, self.labels)
        self.shown = scores
        label_active = update.label not in IDLE_LABELS
        if not label_active:
            self.state = "idle"
            self.badge.set_state("IDLE", theme.TEXT_DIM)
        elif update.committed:
            self.state = "committed"
            self.badge.set_state("COMMITTED", theme.ACCENT)
        else:
            self.state = "early"
            self.badge.set_state(f"EARLY · {round(100 * update.observed)}% seen", theme.TENTATIVE)
        n = len(scores)
        w = np.zeros(self.k)
        w[:n] = [s.probability for s in scores]
        fills, hatches = [], []
        for s in scores:
            is_label = label_active and s.label == update.label
            if is_label and update.committed:
                fills.append(QBrush(QColor(theme.ACCENT)))
                hatches.append(QBrush(Qt.NoBrush))
            elif is_label:  # tentative: light fill + hatching
                c = QColor(theme.TENTATIVE)
                c.setAlpha(70)
                fills.append(QBrush(c))
                hatches.append(QBrush(QColor(theme.TENTATIVE), Qt.BDiagPattern))
            else:
                fills.append(QBrush(QColor(NEUTRAL)))
                hatches.append(QBrush(Qt.NoBrush))
        pad = [QBrush(Qt.NoBrush)] * (self.k - n)
        self.fill.setOpts(width=w, brushes=fills + pad)
        self.hatch.setOpts(width=w, brushes=hatches + pad, pens=[QPen(Qt.NoPen)] * self.k)
        self._set_names([s.label for s in scores])
        for i, t in enumerate(self.texts):
            if i >= n:
                t.setText("")
                continue
            p = scores[i].probability
            inside = p > 0.82
            t.setAnchor((1, 0.5) if inside else (0, 0.5))
            t.setColor(theme.BG if inside and (fills[i].color().alpha() == 255) else theme.TEXT)
            t.setText(f"{100 * p:.0f}%")
            t.setPos(p - 0.01 if inside else p + 0.01, i)
