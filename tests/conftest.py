"""Shared fixtures: where the real data lives (skip with a reason when it is absent). The suite runs
on the CPU even on a GPU machine: its training tests assert CPU behaviour (bit-exact resumes among
it), which CUDA kernels do not give. ``SKELAPP_TEST_CUDA=1`` leaves the GPU visible, for
tests/training/test_cuda.py."""

from __future__ import annotations

import os
from pathlib import Path

if os.environ.get("SKELAPP_TEST_CUDA") != "1":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before anything imports torch

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
