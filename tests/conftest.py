"""Shared fixtures: where the real data lives (skip with a reason when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def find_data_dir() -> Path | None:
    env = os.environ.get("SKELAPP_DATA")
    candidates = [Path(env)] if env else []
    candidates += [_HERE.parent.parent / "shared" / "data", _HERE.parent / "shared" / "data"]
    for c in candidates:
        if (c / "SOURCES.md").exists():
            return c
    return None


DATA_DIR = find_data_dir()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA_DIR is None:
        pytest.skip("real data not found: set SKELAPP_DATA or put it at ../shared/data")
    return DATA_DIR


@pytest.fixture(scope="session")
def ntu_dir(data_dir: Path) -> Path:
    return data_dir / "ntu_rgbd_skeleton_samples"
