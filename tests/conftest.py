"""Shared fixtures: where the real data lives (skip with a reason when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skelapp.core.data_dir import find_data_dir

DATA_DIR = find_data_dir()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA_DIR is None:
        pytest.skip("real data not found: set SKELAPP_DATA or put it at ../shared/data")
    return DATA_DIR


@pytest.fixture(scope="session")
def ntu_dir(data_dir: Path) -> Path:
    return data_dir / "ntu_rgbd_skeleton_samples"
