"""Sidebar boxes: colour legend for the views, and what the current session runs."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from . import theme


def _swatch(colour: str, text: str, hatched: bool = False) -> str:
    mark = "▨" if hatched else "■"
    return f"<span style='color:{colour}; font-size:12pt'>{mark}</span>&nbsp;{html.escape(text)}"


def legend_html() -> str:
    b1, b2 = theme.SIDE_COLOURS[0], theme.SIDE_COLOURS[1]
    conf = theme.confidence_colour
    rows = [
        "<b>Skeleton</b>",
        f"{_swatch(b1['left'], 'left')}&nbsp;&nbsp;{_swatch(b1['right'], 'right')}&nbsp;&nbsp;(body 1)",
        f"{_swatch(b2['left'], 'left')}&nbsp;&nbsp;{_swatch(b2['right'], 'right')}&nbsp;&nbsp;(body 2)",
        f"Joints: {_swatch(conf(1.0).name(), 'tracked')}&nbsp; {_swatch(conf(0.5).name(), 'inferred')}",
        "<b>Predictions</b>",
        f"{_swatch(theme.ACCENT, 'committed')}&nbsp;&nbsp;{_swatch(theme.TENTATIVE, 'early guess', True)}",
    ]
    return "<br>".join(rows)


class LegendBox(QGroupBox):
    def __init__(self) -> None:
        super().__init__("Legend")
        label = QLabel(legend_html())
        label.setTextFormat(Qt.RichText)
        label.setWordWrap(True)
        QVBoxLayout(self).addWidget(label)


class SessionBox(QGroupBox):
    """Source, model and descriptions of the current (or last) run."""

    def __init__(self) -> None:
        super().__init__("Session")
        self.label = QLabel()
        self.label.setTextFormat(Qt.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        QVBoxLayout(self).addWidget(self.label)
        self.set_info()

    def set_info(self, **items: str) -> None:
        """Show ``name: value`` lines; nothing yet -> a hint."""
        if not items:
            self.label.setText(f"<span style='color:{theme.TEXT_DIM}'>Not started yet.</span>")
            return
        dim = theme.TEXT_DIM
        self.label.setText("<br>".join(
            f"<span style='color:{dim}'>{html.escape(k)}:</span> {breakable(v)}" for k, v in items.items()
        ))


def breakable(text: str) -> str:
    """HTML-escape *text* and allow line breaks after _ . / - so long file names wrap."""
    out = html.escape(text)
    for ch in "_./-:":
        out = out.replace(ch, ch + "\u200b")
    return out
