"""Run Python's cyclic garbage collector in the GUI thread only.

The collector runs on whichever thread trips its allocation threshold. In the GUI that is
often a pipeline worker (capture or recognizer thread), and when such a collection frees a
Qt widget that sits in a reference cycle, Shiboken hands the C++ deletion to the main
thread (``BindingManager::runDeletionInMainThread`` through ``Py_AddPendingCall``), which
can crash the process with no Python traceback. :class:`GuiThreadCollector` turns automatic
collection off while a window is open and collects from a ``QTimer`` in the GUI thread with
the same generation thresholds Python would use.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer


class GuiThreadCollector(QObject):
    """While installed, cyclic garbage is collected by a GUI-thread timer, never by workers.

    Installs nest (several windows): automatic collection is switched back on, after a full
    collection in the GUI thread, when the last one is uninstalled.
    """

    _installed = 0
    _was_enabled = True
    _lock = threading.Lock()

    def __init__(self, parent: QObject | None = None, interval_ms: int = 100) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)

    @property
    def active(self) -> bool:
        """Installed: its timer runs exactly while it guards."""
        return self._timer.isActive()

    def install(self) -> None:
        if self.active:
            return
        with GuiThreadCollector._lock:
            if GuiThreadCollector._installed == 0:
                GuiThreadCollector._was_enabled = gc.isenabled()
                gc.disable()
            GuiThreadCollector._installed += 1
        self._timer.start()

    def uninstall(self) -> None:
        if not self.active:
            return
        self._timer.stop()
        with GuiThreadCollector._lock:
            GuiThreadCollector._installed -= 1
            last = GuiThreadCollector._installed == 0
        if last:
            gc.collect()  # what became garbage while the window was open dies here, in this thread
            if GuiThreadCollector._was_enabled:
                gc.enable()

    @staticmethod
    def collect_due() -> int:
        """Collect the oldest generation whose count is over its threshold; objects freed."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        gen = -1
        for g in range(3):
            if thresholds[g] and counts[g] > thresholds[g]:
                gen = g
            else:
                break
        return gc.collect(gen) if gen >= 0 else 0
