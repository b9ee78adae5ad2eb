"""Fixtures for the core tests: real-data folders (skip when absent) and synthetic sequences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.layouts import NTU25
from skelapp.core.skeleton import SkeletonSequence


def _sub(data_dir: Path, rel: str) -> Path:
    p = data_dir / rel
    if not p.is_dir():
        pytest.skip(f"real data folder {rel} not found under {data_dir}")
    return p


@pytest.fixture(scope="session")
def nw_ucla_dir(data_dir: Path) -> Path:
    return _sub(data_dir, "nw_ucla/all_sqe")


@pytest.fixture(scope="session")
def msr_dir(data_dir: Path) -> Path:
    return _sub(data_dir, "msr_action3d/real_world_coordinates")


@pytest.fixture(scope="session")
def azure_csv_dir(data_dir: Path) -> Path:
    return _sub(data_dir, "azure_kinect/gymtrainer_body_tracking_csv")


def synthetic_ntu(frames: int = 12, seed: int = 0) -> SkeletonSequence:
    """Two NTU25 bodies: body 7 always present and moving, body 9 only in the second half."""
    rng = np.random.default_rng(seed)
    joints = rng.normal(0, 0.3, (frames, 2, 25, 3)).astype(np.float32)
    joints[..., 2] += 3.0
    conf = np.ones((frames, 2, 25), np.float32)
    conf[:, :, 3] = 0.5
    conf[: frames // 2, 1] = 0
    joints[: frames // 2, 1] = 0
    joints[:, 1] *= 0.1
    xy = rng.uniform(0, 1900, (frames, 2, 25, 2)).astype(np.float32)
    return SkeletonSequence(joints, conf, np.arange(frames) / 30.0, NTU25, (7, 9), xy, fps=30.0)


@pytest.fixture
def ntu_synthetic() -> SkeletonSequence:
    return synthetic_ntu()


@pytest.fixture(scope="session")
def make_ntu():
    """Factory for :func:`synthetic_ntu` (fresh arrays each call)."""
    return synthetic_ntu
