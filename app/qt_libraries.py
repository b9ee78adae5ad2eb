"""Whether Qt's X11 window plugin can load, asked before Qt is imported.

PySide6's wheel brings Qt but not the system X11 libraries its ``xcb`` platform plugin links
against (libxcb-cursor, -icccm, -keysyms, ...). Without them Qt aborts the whole process with its
own message, so the app's fall-back to headless never gets a chance; ``ldd`` on the plugin tells
beforehand, without importing Qt.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
_SONAME = re.compile(r"^(lib.+)\.so\.(\d+)")


def qt_platform() -> str:
    """The platform plugin Qt will pick on this machine (``QT_QPA_PLATFORM``, else Wayland or X11)."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if chosen:
        return chosen
    if sys.platform.startswith("linux"):
        return "wayland" if os.environ.get("WAYLAND_DISPLAY") else "xcb"
    return "native"


def missing_from_ldd(text: str) -> list[str]:
    """The libraries ``ldd`` output *text* reports as not found (each once, in order)."""
    missing: list[str] = []
    for line in text.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in missing:
            missing.append(m.group(1))
    return missing


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that usually ships *soname*, by Debian's library naming policy
    (``libxcb-icccm.so.4`` -> ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``)."""
    m = _SONAME.match(soname)
    if not m:
        return soname
    stem, version = m.group(1).lower(), m.group(2)
    return f"{stem}{'-' if stem[-1].isdigit() else ''}{version}"


def xcb_plugin_files() -> list[Path]:
    """PySide6's X11 platform plugin and the Qt library behind it (those that exist)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    files = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    return [f for f in files if f.exists()]


def missing_qt_libraries() -> list[str]:
    """System libraries Qt's X11 plugin needs and this machine lacks; empty when none are missing,
    when Qt will not use X11, or when it cannot be told (no PySide6 plugin file, no ``ldd``)."""
    if qt_platform() != "xcb":
        return []
    files, ldd = xcb_plugin_files(), shutil.which("ldd")
    if not files or ldd is None:
        return []
    try:
        out = subprocess.run([ldd, *map(str, files)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return missing_from_ldd(out.stdout)


def missing_libraries_message(missing: list[str]) -> str:
    """One line naming *missing* and the packages that usually bring them."""
    packages = " ".join(dict.fromkeys(debian_package(s) for s in missing))
    return (f"Qt's X11 window plugin needs {', '.join(missing)}, missing on this system; "
            f"Debian/Ubuntu: apt-get install {packages}")
