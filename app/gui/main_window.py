"""The main window: wires controls, the live feed and the display widgets together.

The pipeline runs on its own threads; its callbacks only touch :class:`LiveFeed`. A 30 Hz
QTimer in the GUI thread draws the newest frame, applies queued prediction updates and
refreshes the status bar, so a slow GUI can never stall capture or recognition.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from skelapp.core.descriptions import DescriptionFormatError, descriptions_for_labels
from skelapp.core.prediction import PredictionUpdate
from skelapp.core.skeleton import stack_frames

from . import theme
from .bars import IDLE_LABELS, ProbabilityBars
from .controls import ControlPanel, SourceSpec
from .description_panel import DescriptionPanel
from .feed import LiveFeed
from .gc_guard import GuiThreadCollector
from .info import SessionBox
from .session import PipelineFactory, RecognizerCache, SessionError, build_source, default_pipeline_factory
from .skeleton_view import SourceView
from .timeline import Timeline

FOCUS_TIMEOUT_S = 1.0  # switch the displayed body when its track has been silent this long


def _panel(widget: QWidget) -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(4, 4, 4, 4)
    lay.addWidget(widget)
    return frame


def default_recording_path() -> Path:
    folder = Path.home() / "skelapp_recordings"
    return folder / f"recording_{datetime.now():%Y%m%d_%H%M%S}.skel.npz"


def source_title(name: str) -> str:
    """A source's id as a status line says it: ``replay:a.skeleton`` -> ``replay a.skeleton``."""
    kind, _, what = name.partition(":")
    return f"{kind} {what}" if what else kind


class MainWindow(QMainWindow):
    def __init__(
        self,
        pipeline_factory: PipelineFactory | None = None,
        recognizers: RecognizerCache | None = None,
        settings: QSettings | None = None,
        display_hz: float = 30.0,
    ) -> None:
        super().__init__()
        self.setWindowTitle("skelapp — live skeleton action recognition")
        self.pipeline_factory = pipeline_factory or default_pipeline_factory
        self.recognizers = recognizers or RecognizerCache()
        self.settings = settings or QSettings("skelapp", "skelapp")
        self.feed = LiveFeed()
        self.pipeline = None
        self.log_path: str | None = None  # `--log FILE`: every run writes its predictions there
        self.source_name = ""
        self.last_error: str | None = None
        self.last_recording: Path | None = None
        self.ask_recording_path: Callable[[Path], Path | None] = self._ask_recording_path
        self.focus_body: int | None = None
        self._focus_seen = 0.0
        self._last_update: PredictionUpdate | None = None
        self._labels_key: tuple[str, ...] | None = None
        self._last_status = 0.0
        self._source_fps = 30.0
        self._build()
        self._build_actions()
        self.timer = QTimer(self)
        self.timer.setInterval(max(5, round(1000 / display_hz)))
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.gc_guard = GuiThreadCollector(self)  # pipeline threads must never free Qt objects
        self.gc_guard.install()
        self._restore()

    # ------------------------------------------------------------- layout
    def _build(self) -> None:
        self.controls = ControlPanel()
        self.view = SourceView()
        self.bars = ProbabilityBars()
        self.timeline = Timeline()
        self.description = DescriptionPanel()
        self.session_box = SessionBox()
        self.controls.add_box(self.session_box)
        side = QScrollArea()
        side.setWidget(self.controls)
        side.setWidgetResizable(True)
        side.setFrameShape(QFrame.NoFrame)
        side.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        side.setMinimumWidth(self.controls.minimumSizeHint().width() + 12)
        side.setMaximumWidth(400)
        self.right = QSplitter(Qt.Vertical)
        self.right.addWidget(_panel(self.bars))
        self.right.addWidget(_panel(self.description))
        self.right.setSizes([260, 240])
        self.top = QSplitter(Qt.Horizontal)
        self.top.addWidget(_panel(self.view))
        self.top.addWidget(self.right)
        self.top.setStretchFactor(0, 3)
        self.top.setStretchFactor(1, 2)
        self.top.setSizes([600, 400])
        self.centre = QSplitter(Qt.Vertical)
        self.centre.addWidget(self.top)
        self.centre.addWidget(_panel(self.timeline))
        self.centre.setStretchFactor(0, 3)
        self.centre.setStretchFactor(1, 1)
        self.centre.setSizes([470, 190])
        self.outer = QSplitter(Qt.Horizontal)
        self.outer.addWidget(side)
        self.outer.addWidget(self.centre)
        self.outer.setStretchFactor(1, 1)
        self.outer.setSizes([side.minimumWidth(), 1280 - side.minimumWidth()])
        for s in (self.right, self.top, self.centre, self.outer):
            s.setChildrenCollapsible(False)
            s.setHandleWidth(6)
        wrap = QWidget()
        lay = QVBoxLayout(wrap)
        lay.setContentsMargins(6, 6, 6, 2)
        lay.addWidget(self.outer)
        self.setCentralWidget(wrap)
        # status bar
        sb = self.statusBar()
        self.status_state = QLabel("Stopped")
        self.status_fps = QLabel("FPS –")
        self.status_latency = QLabel("latency –")
        self.status_provider = QLabel("provider –")
        self.status_dropped = QLabel("dropped 0")
        self.status_warning = QLabel()  # the source's warning (e.g. one person only), when it has one
        self.status_warning.setStyleSheet(f"color: {theme.TENTATIVE}")
        self.status_warning.hide()
        for w in (self.status_warning, self.status_state, self.status_fps, self.status_latency,
                  self.status_provider, self.status_dropped):
            sb.addPermanentWidget(w)
        self.status_fps.setToolTip("Source frames per second (last ~2 s)")
        self.status_latency.setToolTip("Recognizer latency, frame arrival → prediction: median / p95")
        self.status_provider.setToolTip("ONNX Runtime execution provider")
        self.status_dropped.setToolTip("Frames dropped because the recognizer fell behind")
        # signals
        c = self.controls
        c.start_clicked.connect(self.start)
        c.pause_clicked.connect(self.toggle_pause)
        c.stop_clicked.connect(self.stop)
        c.record_toggled.connect(self.set_recording)
        self.resize(1280, 720)

    def _build_actions(self) -> None:
        def act(text: str, keys, slot, menu) -> QAction:
            a = QAction(text, self)
            a.setShortcuts([QKeySequence(k) for k in keys])
            a.setShortcutContext(Qt.WindowShortcut)
            a.triggered.connect(slot)
            menu.addAction(a)
            self.addAction(a)
            return a

        run = self.menuBar().addMenu("&Run")
        self.act_start_pause = act("Start / pause", [Qt.Key_Space], self.start_or_pause, run)
        self.act_stop = act("Stop", [Qt.Key_Escape, "Ctrl+."], self.stop, run)
        run.addSeparator()
        act("Quit", [QKeySequence.Quit], self.close, run)
        view = self.menuBar().addMenu("&View")
        self.act_fullscreen = act("Full screen", [Qt.Key_F11], self.toggle_fullscreen, view)
        self.act_fullscreen.setCheckable(True)
        helpm = self.menuBar().addMenu("&Help")
        act("Keyboard shortcuts", [], self._show_shortcuts, helpm)

    def _show_shortcuts(self) -> None:
        QMessageBox.information(
            self, "Keyboard shortcuts",
            "Space — start / pause / resume\nEsc or Ctrl+. — stop\nF11 — full screen\n"
            "Drag on the 3D skeleton — rotate; double-click — reset view",
        )

    # ------------------------------------------------------------ settings
    def _restore(self) -> None:
        s = self.settings
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        for name in ("outer", "centre", "top", "right"):
            st = s.value(f"window/splitter_{name}")
            if isinstance(st, QByteArray) and not st.isEmpty():
                getattr(self, name).restoreState(st)
        self.controls.load_settings(s)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        for name in ("outer", "centre", "top", "right"):
            s.setValue(f"window/splitter_{name}", getattr(self, name).saveState())
        self.controls.save_settings(s)
        s.sync()

    # ------------------------------------------------------------- control
    @property
    def state(self) -> str:
        p = self.pipeline
        if p is None:
            return "stopped"
        return "paused" if getattr(p, "paused", False) else "running"

    def start_or_pause(self) -> None:
        if self.pipeline is None:
            self.start()
        else:
            self.toggle_pause()

    def start(self, spec: SourceSpec | None = None) -> bool:
        """Build source + recognizer + pipeline from the controls (or *spec*) and start it."""
        if self.pipeline is not None:
            return False
        if spec is not None:
            self.controls.set_spec(spec)
        spec = self.controls.spec()
        try:
            source = build_source(spec)
            recognizer = self.recognizers.get(spec.model)
            pipeline = self.pipeline_factory(source, recognizer)
        except (SessionError, OSError, ValueError) as e:
            self._error(str(e))
            return False
        if self.log_path and not self._attach_log(pipeline, source, recognizer):
            return False
        self._set_labels(list(getattr(recognizer, "labels", []) or []))
        self._reset_display()
        pipeline.on_frame(self._on_frame)
        pipeline.on_update(self.feed.push_update)
        self.pipeline = pipeline
        self.source_name = str(getattr(source, "name", spec.kind))
        try:
            self._source_fps = float(getattr(source, "nominal_fps", 30.0))
        except Exception:  # a source may only know its rate once opened
            self._source_fps = 30.0
        self.last_error = None
        pipeline.start()
        self._show_session(spec, recognizer, source)
        self.controls.set_running(True)
        self.statusBar().showMessage(f"Running {source_title(self.source_name)}", 4000)
        self._update_status(force=True)
        return True

    def _attach_log(self, pipeline, source, recognizer) -> bool:
        """Log this run like headless mode: start record, one line per update (flushed),
        summary when the run ends for any reason."""
        from skelapp.app.headless import start_record, summary_record
        from skelapp.app.prediction_log import open_prediction_log

        try:
            log = open_prediction_log(self.log_path)
            log.write_start(start_record(source, recognizer))
        except (OSError, ValueError) as e:
            self._error(f"cannot write log {self.log_path}: {e}")
            return False
        pipeline.on_update(log.write)

        def finished(_error) -> None:  # summary_record already carries the run's error
            log.write_summary(summary_record(pipeline))
            log.close()

        pipeline.on_finished(finished)
        return True

    def _show_session(self, spec: SourceSpec, recognizer, source=None) -> None:
        kinds = {"camera": f"camera {spec.camera}", "kinect": "Kinect (live)"}
        info = {"Source": Path(spec.path).name if spec.path else kinds.get(spec.kind, spec.kind)}
        if spec.video:
            info["Video"] = Path(spec.video).name
        labels = getattr(recognizer, "labels", []) or []
        model = getattr(recognizer, "path", None)
        info["Model"] = f"{Path(model).name if model else 'bundled'} · {len(labels)} classes"
        desc = self.description.descriptions
        info["Descriptions"] = desc.dataset if desc is not None else "none"
        warning = getattr(source, "warning", None)
        if warning:
            info["Warning"] = str(warning)
        self.session_box.set_info(**info)
        short = self.status_warning.fontMetrics().elidedText(f"⚠ {warning}", Qt.ElideRight, 320)
        self.status_warning.setText(short if warning else "")  # full text: tooltip + session box
        self.status_warning.setToolTip(str(warning) if warning else "")
        self.status_warning.setVisible(bool(warning))

    def _on_frame(self, frame, track_ids=None) -> None:  # capture thread: store only
        self.feed.push_frame(frame)

    def toggle_pause(self) -> None:
        p = self.pipeline
        if p is None:
            return
        if p.paused:
            p.resume()
        else:
            p.pause()
        self.controls.set_running(True, paused=p.paused)
        self._update_status(force=True)

    def stop(self) -> None:
        p, self.pipeline = self.pipeline, None
        if self.feed.recording:
            self.controls.record_btn.setChecked(False)  # saves what was recorded
        if p is not None:
            p.stop(timeout=3.0)
            self._finish(p)
        self.controls.set_running(False)
        self._update_status(force=True)

    def _finish(self, p) -> None:
        self.tick()  # show what was still queued
        err = getattr(p, "error", None)
        if err:
            self._error(err)
        else:
            self.statusBar().showMessage(f"Finished {source_title(self.source_name)}", 5000)

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.act_fullscreen.setChecked(self.isFullScreen())

    def _error(self, msg: str) -> None:
        self.last_error = msg
        self.statusBar().showMessage(f"Error: {msg}", 15000)
        if self.isVisible():
            box = QMessageBox(QMessageBox.Warning, "skelapp", msg, QMessageBox.Ok, self)
            box.setAttribute(Qt.WA_DeleteOnClose)
            box.open()  # non-blocking

    # ----------------------------------------------------------- recording
    def set_recording(self, on: bool) -> None:
        if on:
            self.feed.start_recording()
            self.controls.set_record_info("recording…")
            return
        frames = self.feed.stop_recording()
        if not frames:
            self.controls.set_record_info("nothing recorded")
            return
        path = self.ask_recording_path(default_recording_path())
        if path is None:
            self.controls.set_record_info(f"discarded {len(frames)} frames")
            return
        from skelapp.core.formats import save_recording

        try:
            seq = stack_frames(frames, fps=self._source_fps, source=self.source_name)
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.last_recording = save_recording(seq, path)
        except (OSError, ValueError) as e:
            self._error(f"could not save the recording: {e}")
            return
        self.controls.set_record_info(
            f"saved {len(frames)} frames to {self.last_recording.name}", str(self.last_recording)
        )

    def _ask_recording_path(self, default: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save skeleton recording", str(default), "skelapp recordings (*.skel.npz)"
        )
        if not path:
            return None
        return Path(path if path.endswith(".skel.npz") else path + ".skel.npz")

    # ------------------------------------------------------------- display
    def _set_labels(self, labels: list[str]) -> None:
        key = tuple(labels)
        if key == self._labels_key:
            return
        self._labels_key = key
        self.bars.set_labels(labels)
        self.timeline.set_labels(labels)
        try:
            desc = descriptions_for_labels(labels) if labels else None
            note = None if desc is not None else "No action descriptions bundled for this model's classes."
        except DescriptionFormatError as e:
            desc, note = None, f"Action descriptions could not be read: {e}"
        self.description.set_descriptions(desc, note)

    def _reset_display(self) -> None:
        self.feed.reset()
        self.view.clear()
        self.view.set_caption("")
        self.bars.clear()
        self.timeline.clear()
        self.description.show_class(None)
        self.focus_body = None
        self._last_update = None

    def tick(self) -> None:
        """Display-rate work in the GUI thread (QTimer)."""
        frame = self.feed.take_frame()
        if frame is not None:
            self.view.set_frame(frame)
        updates = self.feed.drain_updates()
        if updates:
            self._apply_updates(updates)
        self.timeline.refresh()
        p = self.pipeline
        if p is not None and getattr(p, "finished", False):
            self.pipeline = None
            self._finish(p)
            if self.feed.recording:
                self.controls.record_btn.setChecked(False)
            self.controls.set_running(False)
            self._update_status(force=True)
        else:
            self._update_status()

    def _pick_focus(self, updates: list[PredictionUpdate]) -> None:
        now = time.monotonic()
        ids = {u.body_id for u in updates}
        if self.focus_body in ids:
            self._focus_seen = now
            return
        if self.focus_body is None or now - self._focus_seen > FOCUS_TIMEOUT_S:
            self.focus_body = min(ids)
            self._focus_seen = now
            self.timeline.clear()

    def _apply_updates(self, updates: list[PredictionUpdate]) -> None:
        self._pick_focus(updates)
        mine = [u for u in updates if u.body_id == self.focus_body]
        if not mine:
            return
        for u in mine:
            self.timeline.add(u)
        u = mine[-1]
        self._last_update = u
        self.bars.set_update(u)
        active = u.label not in IDLE_LABELS
        if active:
            self.description.show_class(u.label, tentative=not u.committed)
            colour = theme.ACCENT if u.committed else theme.TENTATIVE
            self.view.set_caption(u.label + ("" if u.committed else "  (early)"), colour)
        elif u.top:
            self.description.show_class(u.top[0].label, tentative=True)
            self.view.set_caption("")

    def _update_status(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_status < 0.5:
            return
        self._last_status = now
        p = self.pipeline
        names = {"stopped": "■ Stopped", "running": "▶ Running", "paused": "❚❚ Paused"}
        self.status_state.setText(names[self.state])
        if p is None:
            return
        st = p.stats()
        self.status_fps.setText(f"FPS {st.fps:4.1f}")
        self.status_latency.setText(f"latency {st.latency_median_ms:.1f} / {st.latency_p95_ms:.1f} ms")
        self.status_provider.setText(st.provider.replace("ExecutionProvider", "") or "provider –")
        self.status_dropped.setText(f"dropped {st.dropped}")

    # --------------------------------------------------------------- close
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.timer.stop()
        self.stop()
        self.save_state()
        self.gc_guard.uninstall()
        super().closeEvent(event)
