"""Description of the current top class: the whole action, then what each body part does."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from skelapp.core.descriptions import Descriptions

from . import theme


class DescriptionPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.descriptions: Descriptions | None = None
        self.current_class: str | None = None
        self.note = "Descriptions appear here once the recognizer names an action."
        title = QLabel("What the action looks like")
        title.setObjectName("title")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.RichText)
        self.body.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.body.setTextInteractionFlags(Qt.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(self.body)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 6)
        lay.setSpacing(4)
        lay.addWidget(title)
        lay.addWidget(scroll, 1)
        self._render_empty()

    def set_descriptions(self, desc: Descriptions | None, note: str | None = None) -> None:
        self.descriptions = desc
        if note:
            self.note = note
        self.current_class = None
        self._render_empty()

    def show_class(self, name: str | None, tentative: bool = False) -> None:
        """Show *name*'s description (only re-renders when the class changes)."""
        key = (name, tentative)
        if key == getattr(self, "_shown_key", None):
            return
        self._shown_key = key
        self.current_class = name
        if not name:
            self._render_empty()
            return
        esc = html.escape
        head_col = theme.TENTATIVE if tentative else theme.ACCENT
        dim = theme.TEXT_DIM
        tag = f" <span style='color:{dim}; font-size:9pt'>(early guess)</span>" if tentative else ""
        parts_html = ""
        d = self.descriptions.get(name) if self.descriptions is not None else None
        if d is None:
            action = "No description available for this class."
        else:
            action = esc(d.action)
            rows = "".join(
                f"<tr><td style='color:{theme.TEXT_DIM}; padding:2px 10px 2px 0; font-weight:bold'>"
                f"{esc(part.capitalize())}</td><td style='padding:2px 0'>{esc(text)}</td></tr>"
                for part, text in d.ordered_parts()
            )
            parts_html = f"<table cellspacing='0' style='margin-top:6px'>{rows}</table>"
        self.body.setText(
            f"<div style='font-size:14pt; font-weight:bold; color:{head_col}'>{esc(name)}{tag}</div>"
            f"<div style='margin-top:4px'>{action}</div>{parts_html}"
        )

    def text(self) -> str:
        return self.body.text()

    def _render_empty(self) -> None:
        self._shown_key = None
        self.body.setText(f"<span style='color:{theme.TEXT_DIM}'>{html.escape(self.note)}</span>")
