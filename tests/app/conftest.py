"""GUI tests run headless (Qt offscreen platform) with throwaway settings.

Qt garbage is collected in the main thread after every Qt test and module: otherwise a later
test's worker thread (a pipeline) may be the one whose garbage collection frees a leftover
widget, and Shiboken's deferred deletion of it crashes the main thread (see app/gui/gc_guard.py).
"""

from __future__ import annotations

import gc
import os
import subprocess
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


@pytest.fixture
def skelapp_with_reader_gone():
    """Runs ``skelapp ARGS`` in a subprocess whose stdout's reader is gone before the first line (as
    with ``| head -0``); returns its exit status after checking that stderr holds no traceback, no
    BrokenPipeError and no "Exception ignored" from the interpreter's final flush."""

    def run(args: list[str]) -> int:
        code = f"import sys; from skelapp.app.cli import main; sys.exit(main({args!r}))"
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.close()
        err = p.stderr.read().decode()
        rc = p.wait(timeout=120)
        assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
        return rc

    return run
