"""Sidebar box that says what the current (or last) session runs."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from . import theme


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
