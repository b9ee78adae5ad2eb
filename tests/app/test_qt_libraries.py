"""The check for Qt's X11 libraries before the GUI starts (app/qt_libraries.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from skelapp.app import qt_libraries
from skelapp.app.qt_libraries import debian_package, missing_from_ldd, missing_qt_libraries, qt_platform

# ldd on PySide6 6.x's libqxcb.so and libQt6XcbQpa.so.6 on a Debian machine without libxcb-icccm4 and
# libxcb-keysyms1 (shortened; the two files both need both libraries)
LDD_OUTPUT = """\
/venv/PySide6/Qt/plugins/platforms/libqxcb.so:
\tlinux-vdso.so.1 (0x00007ffd7d5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f2ac7100000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2ac7016000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2ac5400000)
/venv/PySide6/Qt/lib/libQt6XcbQpa.so.6:
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007fbb88400000)
"""


def test_ldd_output_names_each_missing_library_once():
    assert missing_from_ldd(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert missing_from_ldd(LDD_OUTPUT.replace(" => not found", " => /lib/x.so (0x1)")) == []


@pytest.mark.parametrize("soname, package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libEGL.so.1", "libegl1"),
])
def test_debian_package_follows_the_library_naming_policy(soname, package):
    assert debian_package(soname) == package


def test_platform_follows_the_environment(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert qt_platform() == "offscreen"
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb;wayland")
    assert qt_platform() == "xcb"
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert qt_platform() == ("wayland" if sys.platform.startswith("linux") else "native")


def test_no_check_when_qt_will_not_use_x11(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(qt_libraries, "xcb_plugin_files", lambda: pytest.fail("X11 plugin looked at"))
    assert missing_qt_libraries() == []


@pytest.mark.skipif(not (sys.platform.startswith("linux") and shutil.which("gcc") and shutil.which("ldd")),
                    reason="needs Linux with gcc and ldd to build a library whose dependency is missing")
def test_a_plugin_whose_dependency_is_gone_is_reported(tmp_path, monkeypatch):
    """A real shared object linked against a library that is then removed, checked with the real ldd."""
    (tmp_path / "dep.c").write_text("int dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int dep(void);\nint plugin(void) { return dep(); }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", tmp_path / "libskeldep.so.3", tmp_path / "dep.c",
                    "-Wl,-soname,libskeldep.so.3"], check=True)
    (tmp_path / "libskeldep.so").symlink_to("libskeldep.so.3")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", tmp_path / "libqxcb.so", tmp_path / "plugin.c",
                    f"-L{tmp_path}", "-lskeldep"], check=True)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(qt_libraries, "xcb_plugin_files", lambda: [tmp_path / "libqxcb.so"])
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    assert missing_qt_libraries() == []
    (tmp_path / "libskeldep.so.3").unlink()
    assert missing_qt_libraries() == ["libskeldep.so.3"]
