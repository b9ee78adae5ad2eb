"""Control sidebar: source chooser, start/pause/stop, replay speed, model file, recording."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .video_sync import find_companion_video, skeleton_stem

KINDS = [
    ("replay", "Skeleton file (replay)"),
    ("video", "Video file"),
    ("camera", "Camera"),
    ("kinect", "Kinect (live)"),
    ("kinect_playback", "Kinect recording (.mkv)"),
]
SPEEDS = [("0.25×", 0.25), ("0.5×", 0.5), ("1×", 1.0), ("2×", 2.0), ("4×", 4.0), ("max", 0.0)]
SKELETON_FILTER = "Skeleton files (*.skeleton *.skel.npz *.npz *.json *.txt *.csv);;All files (*)"
VIDEO_FILTER = "Videos (*.avi *.mp4 *.mkv *.mov *.webm);;All files (*)"


@dataclass
class SourceSpec:
    """What the user chose; :mod:`.session` turns it into a source."""

    kind: str
    path: str = ""
    camera: int = 0
    video: str = ""  # optional RGB video shown under a replayed skeleton
    speed: float = 1.0
    fast: bool = False
    loop: bool = False
    model: str = ""


class PathEdit(QWidget):
    """Line edit + browse button."""

    changed = Signal(str)

    def __init__(self, caption: str, filt: str, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption, self.filt = caption, filt
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        btn = QToolButton()
        btn.setText("…")
        btn.setToolTip(caption)
        btn.clicked.connect(self.browse)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.edit, 1)
        lay.addWidget(btn)
        self.edit.textChanged.connect(self.changed)

    def browse(self) -> None:
        start = str(Path(self.text()).parent) if self.text() else ""
        path, _ = QFileDialog.getOpenFileName(self, self.caption, start, self.filt)
        if path:
            self.setText(path)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        self.edit.setText(text)


class ControlPanel(QWidget):
    start_clicked = Signal()
    pause_clicked = Signal()
    stop_clicked = Signal()
    record_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # -- source
        self.model_path = PathEdit("Open ONNX model", "ONNX models (*.onnx);;All files (*)", "bundled model")
        self.model_path.setToolTip("ONNX model file (empty: the bundled default model)")
        self.kind = QComboBox()
        for key, text in KINDS:
            self.kind.addItem(text, key)
        self.replay_path = PathEdit("Open skeleton file", SKELETON_FILTER, "NTU .skeleton, .skel.npz …")
        self.replay_video = PathEdit("Open matching RGB video", VIDEO_FILTER, "optional RGB video")
        self.video_path = PathEdit("Open video", VIDEO_FILTER, "video file")
        self.camera = QSpinBox()
        self.camera.setRange(0, 16)
        self.camera.setPrefix("index ")
        self.kinect_path = PathEdit("Open Kinect recording", "Kinect recordings (*.mkv);;All files (*)",
                                    ".mkv")
        self.stack = QStackedWidget()
        self.stack.addWidget(self._page(("File", self.replay_path), ("Video", self.replay_video)))
        self.stack.addWidget(self._page(("File", self.video_path)))
        self.stack.addWidget(self._page(("Camera", self.camera)))
        kinect_note = QLabel("Azure Kinect / Kinect v2 connected to this computer")
        kinect_note.setWordWrap(True)
        self.stack.addWidget(self._page(("", kinect_note)))
        self.stack.addWidget(self._page(("File", self.kinect_path)))
        self.speed = QComboBox()
        for text, val in SPEEDS:
            self.speed.addItem(text, val)
        self.speed.setCurrentIndex(2)
        self.speed.setToolTip("Replay speed (max = as fast as the recognizer keeps up)")
        self.loop = QCheckBox("Loop")
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.speed, 1)
        speed_row.addWidget(self.loop)
        src_box = QGroupBox("Source")
        form = QFormLayout(src_box)
        form.setContentsMargins(6, 6, 6, 6)
        form.addRow(self.kind)
        form.addRow(self.stack)
        form.addRow("Speed", speed_row)
        form.addRow("Model", self.model_path)
        # -- run
        self.start_btn = QPushButton("▶ Start")
        self.pause_btn = QPushButton("❚❚ Pause")
        self.stop_btn = QPushButton("■ Stop")
        self.start_btn.setToolTip("Start (Space)")
        self.pause_btn.setToolTip("Pause / resume (Space)")
        self.stop_btn.setToolTip("Stop (Esc)")
        run_box = QGroupBox("Run")
        run_row = QHBoxLayout(run_box)
        run_row.setContentsMargins(6, 6, 6, 6)
        for b in (self.start_btn, self.pause_btn, self.stop_btn):
            run_row.addWidget(b)
        # -- model
        # -- record
        self.record_btn = QPushButton("●  Record skeleton")
        self.record_btn.setCheckable(True)
        self.record_btn.setToolTip("Record the live skeleton stream; saved as .skel.npz when recording stops")
        self.record_info = QLabel("")
        self.record_info.setWordWrap(True)
        self.record_info.hide()
        self.record_info.setObjectName("title")
        rec_box = QGroupBox("Record")
        rec_lay = QVBoxLayout(rec_box)
        rec_lay.addWidget(self.record_btn)
        rec_lay.addWidget(self.record_info)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 6)
        lay.setSpacing(6)
        for box in (src_box, run_box, rec_box):
            lay.addWidget(box)
        lay.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.replay_path.changed.connect(self._auto_video)
        self.start_btn.clicked.connect(self.start_clicked)
        self.pause_btn.clicked.connect(self.pause_clicked)
        self.stop_btn.clicked.connect(self.stop_clicked)
        self.record_btn.toggled.connect(self.record_toggled)
        self._kind_changed()
        self.set_running(False)

    def set_record_info(self, text: str, tooltip: str = "") -> None:
        self.record_info.setText(text)
        self.record_info.setToolTip(tooltip)
        self.record_info.setVisible(bool(text))

    def add_box(self, box: QWidget) -> None:
        """Append a box to the sidebar (above the stretch)."""
        lay = self.layout()
        lay.insertWidget(lay.count() - 1, box)

    @staticmethod
    def _page(*rows: tuple[str, QWidget]) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        form.setContentsMargins(0, 0, 0, 0)
        for label, widget in rows:
            if label:
                form.addRow(label, widget)
            else:
                form.addRow(widget)
        return w

    def _kind_changed(self) -> None:
        self.stack.setCurrentIndex(self.kind.currentIndex())
        replayable = self.kind.currentData() in ("replay", "video", "kinect_playback")
        self.speed.setEnabled(replayable)
        self.loop.setEnabled(replayable)

    def _auto_video(self, path: str) -> None:
        """Fill in the RGB video recorded with a newly chosen skeleton file (clear a stale one)."""
        vid = find_companion_video(path) if path else None
        cur = self.replay_video.text()
        if vid is not None:
            self.replay_video.setText(str(vid))
        elif cur and not Path(cur).name.startswith(skeleton_stem(path) or "\0"):
            self.replay_video.setText("")

    # ---------------------------------------------------------------- state
    def spec(self) -> SourceSpec:
        kind = self.kind.currentData()
        speed = float(self.speed.currentData())
        path = {"replay": self.replay_path, "video": self.video_path, "kinect_playback": self.kinect_path}
        return SourceSpec(
            kind=kind,
            path=path[kind].text() if kind in path else "",
            camera=self.camera.value(),
            video=self.replay_video.text() if kind == "replay" else "",
            speed=speed if speed > 0 else 1.0,
            fast=speed <= 0,
            loop=self.loop.isChecked(),
            model=self.model_path.text(),
        )

    def set_spec(self, spec: SourceSpec) -> None:
        idx = [k for k, _ in KINDS].index(spec.kind) if spec.kind in dict(KINDS) else 0
        self.kind.setCurrentIndex(idx)
        {"replay": self.replay_path, "video": self.video_path, "kinect_playback": self.kinect_path}.get(
            spec.kind, self.replay_path
        ).setText(spec.path)
        if spec.kind == "replay" and spec.video:
            self.replay_video.setText(spec.video)
        self.camera.setValue(spec.camera)
        self.set_speed(0.0 if spec.fast else spec.speed)
        self.loop.setChecked(spec.loop)
        if spec.model:
            self.model_path.setText(spec.model)

    def set_speed(self, speed: float) -> None:
        vals = [v for _, v in SPEEDS]
        best = min(range(len(vals)), key=lambda i: abs(vals[i] - speed))
        self.speed.setCurrentIndex(best)

    def set_running(self, running: bool, paused: bool = False) -> None:
        self.start_btn.setEnabled(not running)
        self.pause_btn.setEnabled(running)
        self.pause_btn.setText("▶ Resume" if paused else "❚❚ Pause")
        self.stop_btn.setEnabled(running)
        self.kind.setEnabled(not running)
        self.stack.setEnabled(not running)
        self.model_path.setEnabled(not running)
        self.record_btn.setEnabled(running or self.record_btn.isChecked())

    def save_settings(self, s: QSettings) -> None:
        sp = self.spec()
        s.setValue("source/kind", sp.kind)
        s.setValue("source/replay", self.replay_path.text())
        s.setValue("source/replay_video", self.replay_video.text())
        s.setValue("source/video", self.video_path.text())
        s.setValue("source/kinect_playback", self.kinect_path.text())
        s.setValue("source/camera", self.camera.value())
        s.setValue("source/speed", 0.0 if sp.fast else sp.speed)
        s.setValue("source/loop", sp.loop)
        s.setValue("model/path", self.model_path.text())

    def load_settings(self, s: QSettings) -> None:
        kind = str(s.value("source/kind", "replay"))
        if kind in dict(KINDS):
            self.kind.setCurrentIndex([k for k, _ in KINDS].index(kind))
        self.replay_path.setText(str(s.value("source/replay", "")))
        self.replay_video.setText(str(s.value("source/replay_video", "")))
        self.video_path.setText(str(s.value("source/video", "")))
        self.kinect_path.setText(str(s.value("source/kinect_playback", "")))
        self.camera.setValue(int(s.value("source/camera", 0)))
        self.set_speed(float(s.value("source/speed", 1.0)))
        self.loop.setChecked(str(s.value("source/loop", "false")).lower() == "true")
        self.model_path.setText(str(s.value("model/path", "")))
