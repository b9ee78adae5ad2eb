"""GUI tests run headless (Qt offscreen platform) with throwaway settings.

Qt garbage is collected in the main thread after every Qt test and module: otherwise a later
test's worker thread (a pipeline) may be the one whose garbage collection frees a leftover
widget, and Shiboken's deferred deletion of it crashes the main thread (see app/gui/gc_guard.py).
"""

from __future__ import annotations

import gc
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _collect_qt_garbage_after_test(request):
    yield
    if "qtbot" in request.fixturenames:
        gc.collect()


@pytest.fixture(autouse=True, scope="module")
def _collect_qt_garbage_after_module():
    yield
    if "PySide6.QtCore" in sys.modules:
        gc.collect()
