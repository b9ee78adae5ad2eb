"""PySide6 + pyqtgraph desktop GUI: ``launch(args)`` opens the main window.

Import cost stays in :func:`launch` so ``skelapp --headless`` never imports Qt.
"""

from __future__ import annotations

from argparse import Namespace


def spec_from_args(args: Namespace):
    """The :class:`~.controls.SourceSpec` the command line asks for, or None (user chooses)."""
    from .controls import SourceSpec
    from .video_sync import find_companion_video

    g = lambda name, default=None: getattr(args, name, default)  # noqa: E731
    speed = float(g("speed", 1.0) or 1.0)
    common = dict(
        speed=speed, fast=bool(g("fast", False)), loop=bool(g("loop", False)), model=str(g("model") or "")
    )
    if g("replay"):
        video = g("video") or find_companion_video(g("replay")) or ""
        return SourceSpec("replay", str(g("replay")), video=str(video), **common)
    if g("video"):
        return SourceSpec("video", str(g("video")), **common)
    if g("camera") is not None and g("camera") is not False:
        return SourceSpec("camera", camera=int(g("camera") or 0), **common)
    if g("kinect_playback"):
        return SourceSpec("kinect_playback", str(g("kinect_playback")), **common)
    if g("kinect"):
        return SourceSpec("kinect", **common)
    return None


def launch(args: Namespace) -> int:
    """Run the GUI until the window closes; starts the source given on the command line."""
    import signal
    import sys

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("skelapp")
    app.setOrganizationName("skelapp")
    apply_theme(app)
    from .session import RecognizerCache

    win = MainWindow(recognizers=RecognizerCache(prefer_gpu=not getattr(args, "cpu", False)))
    win.log_path = getattr(args, "log", None)
    spec = spec_from_args(args)
    if spec is not None:
        win.controls.set_spec(spec)
    elif getattr(args, "model", None):
        win.controls.model_path.setText(str(args.model))
    win.show()
    if spec is not None:
        win.start()
    # Ctrl+C in the terminal closes the window cleanly (Python only sees signals between Qt events)
    signal.signal(signal.SIGINT, lambda *_: win.close())
    tick = QTimer()
    tick.timeout.connect(lambda: None)
    tick.start(200)
    return int(app.exec())
