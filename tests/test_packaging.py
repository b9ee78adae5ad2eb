"""The four code folders install as skelapp.* (wheel and editable), never as top-level names."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_editable_install_maps_folders_onto_skelapp():
    import skelapp.app.cli
    import skelapp.core.skeleton
    import skelapp.devices.base
    import skelapp.training

    assert Path(skelapp.core.skeleton.__file__).parent == ROOT / "core"
    assert Path(skelapp.app.cli.__file__).parent == ROOT / "app"
    assert Path(skelapp.devices.base.__file__).parent == ROOT / "devices"
    assert Path(skelapp.training.__file__).parent == ROOT / "training"


def test_wheel_contains_only_the_skelapp_namespace(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
         str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    if r.returncode != 0:
        pytest.fail(f"wheel build failed: {r.stderr[-2000:]}")
    (wheel,) = tmp_path.glob("skelapp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"skelapp", next(t for t in tops if t.endswith(".dist-info"))}
    for pkg in ("app", "core", "devices", "training", "assets"):
        assert f"skelapp/{pkg}/__init__.py" in names
    # data files the training code reads from skelapp.assets
    assert {"skelapp/assets/ntu_missing_skeletons.txt", "skelapp/assets/labels_ntu120.json"} <= set(names)
    if (ROOT / "assets" / "model.onnx").exists():
        assert "skelapp/assets/model.onnx" in names
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt")))
    assert b"skelapp = skelapp.app.cli:main" in entry
