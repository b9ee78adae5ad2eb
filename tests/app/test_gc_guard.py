"""GuiThreadCollector: cyclic Qt garbage is freed by the GUI thread, never by a worker thread."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QWidget  # noqa: E402

from skelapp.app.gui.gc_guard import GuiThreadCollector  # noqa: E402


class _Cycle:
    """Holds a widget and itself, so only the cyclic collector can free it."""

    def __init__(self, widget: QWidget) -> None:
        self.widget, self.myself = widget, self


def _allocate_like_a_pipeline(n: int = 30_000) -> list:
    """Containers kept alive: *n* net allocations trip the collector's thresholds many times."""
    return [{"frame": i, "bodies": [i, i + 1]} for i in range(n)]


@pytest.fixture
def guard(qtbot):
    g = GuiThreadCollector(interval_ms=20)
    g.install()
    yield g
    g.uninstall()


def _cyclic_widget(freed_on: list[str]) -> None:
    w = QWidget()
    weakref.finalize(w, lambda: freed_on.append(threading.current_thread().name))
    _Cycle(w)


def test_worker_allocations_never_free_qt_garbage(qtbot, guard) -> None:
    freed_on: list[str] = []
    _cyclic_widget(freed_on)
    kept: list = []
    work = lambda: kept.append(_allocate_like_a_pipeline())  # noqa: E731
    worker = threading.Thread(target=work, name="skelapp-recognizer")
    worker.start()
    worker.join()
    assert freed_on == [] and not gc.isenabled()  # the worker's allocations collected nothing
    qtbot.waitUntil(lambda: bool(freed_on), timeout=3000)  # the GUI-thread timer does it
    assert freed_on == [threading.main_thread().name]


def test_collect_due_follows_the_generation_thresholds(guard) -> None:
    gc.collect()
    assert guard.collect_due() == 0  # nothing is due right after a full collection
    freed_on: list[str] = []
    _cyclic_widget(freed_on)
    kept = _allocate_like_a_pipeline(5 * gc.get_threshold()[0])
    assert len(kept) and gc.get_count()[0] > gc.get_threshold()[0]
    guard.collect_due()
    assert gc.get_count()[0] == 0


def test_installs_nest_and_the_last_uninstall_restores(qtbot) -> None:
    assert gc.isenabled()
    a, b = GuiThreadCollector(), GuiThreadCollector()
    a.install()
    b.install()
    a.install()  # idempotent
    a.uninstall()
    assert not gc.isenabled()  # b still guards
    freed_on: list[str] = []
    _cyclic_widget(freed_on)
    b.uninstall()
    assert gc.isenabled() and freed_on == [threading.main_thread().name]  # collected on the way out
