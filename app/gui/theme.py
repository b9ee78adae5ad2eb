"""Dark palette, colours and fonts shared by every GUI widget."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BG = "#16191f"
PANEL = "#1e222a"
PANEL_2 = "#262b35"
BORDER = "#343a46"
TEXT = "#e6e9ef"
TEXT_DIM = "#9aa3b2"
ACCENT = "#4fc3f7"  # committed label, highlights
TENTATIVE = "#ffb74d"  # early (not yet committed) guesses
DANGER = "#ef5350"

# Skeleton colours by anatomical side; the second body uses a different hue family.
SIDE_COLOURS = {
    0: {"left": "#4fc3f7", "right": "#ff8a65", "centre": "#e6e9ef"},
    1: {"left": "#81c784", "right": "#ba68c8", "centre": "#fff176"},
}

# Distinct line colours for class curves in the timeline.
CLASS_COLOURS = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292"]

BASE_POINT_SIZE = 10


def class_colour(index: int) -> QColor:
    return QColor(CLASS_COLOURS[index % len(CLASS_COLOURS)])


def _lerp(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> QColor:
    return QColor(*(round(x + (y - x) * t) for x, y in zip(a, b, strict=False)))


def confidence_colour(conf: float) -> QColor:
    """Joint fill: red (0, not tracked) -> amber (0.5, inferred) -> green (1, tracked)."""
    c = max(0.0, min(1.0, float(conf)))
    red, amber, green = (239, 83, 80), (255, 183, 77), (102, 187, 106)
    return _lerp(red, amber, c * 2) if c < 0.5 else _lerp(amber, green, (c - 0.5) * 2)


STYLESHEET = f"""
QMainWindow {{ background: {BG}; }}
QWidget {{ color: {TEXT}; }}
QScrollArea, QScrollArea > QWidget > QWidget {{ background: transparent; }}
QMenuBar {{ background: {BG}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {PANEL_2}; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 6px; margin-top: 14px; padding: 8px 6px 6px 6px;
            background: {PANEL}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {TEXT_DIM};
                   font-weight: bold; }}
QFrame#panel {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 6px; }}
QLabel#title {{ color: {TEXT_DIM}; font-weight: bold; }}
QLabel#badge {{ border-radius: 8px; padding: 1px 8px; font-weight: bold; }}
QPushButton {{ background: {PANEL_2}; border: 1px solid {BORDER}; border-radius: 4px; padding: 4px 6px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:checked {{ background: {DANGER}; color: white; }}
QPushButton:disabled {{ color: #5c6370; }}
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox {{ background: {PANEL_2}; border: 1px solid {BORDER};
    border-radius: 4px; padding: 2px 4px; selection-background-color: {ACCENT}; }}
QComboBox QAbstractItemView {{ background: {PANEL_2}; selection-background-color: #2f5d78; }}
QStatusBar {{ background: {PANEL}; color: {TEXT_DIM}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QSplitter::handle {{ background: {BG}; }}
QToolTip {{ background: {PANEL_2}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style + dark palette + stylesheet + a readable default font."""
    app.setStyle("Fusion")
    pal = QPalette()
    for role, col in (
        (QPalette.Window, BG), (QPalette.WindowText, TEXT), (QPalette.Base, PANEL_2),
        (QPalette.AlternateBase, PANEL), (QPalette.Text, TEXT), (QPalette.Button, PANEL_2),
        (QPalette.ButtonText, TEXT), (QPalette.Highlight, ACCENT), (QPalette.HighlightedText, BG),
        (QPalette.ToolTipBase, PANEL_2), (QPalette.ToolTipText, TEXT),
    ):  # fmt: skip
        pal.setColor(role, QColor(col))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
