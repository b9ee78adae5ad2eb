"""Dataset file readers used by training: thin adapters over the shared ``skelapp.core`` readers."""

from __future__ import annotations

from pathlib import Path

from skelapp.core.msr_action3d import read_msr_action3d
from skelapp.core.ntu_skeleton import read_ntu_skeleton, select_main_bodies
from skelapp.core.nw_ucla import read_nw_ucla as _read_nw_ucla
from skelapp.core.skeleton import SkeletonSequence

READER_VERSION = 2  # part of the dataset cache key: bump when reading changes

__all__ = ["READER_VERSION", "read_msr_action3d", "read_ntu_skeleton", "read_nw_ucla", "select_main_bodies"]


def read_nw_ucla(path: str | Path) -> tuple[SkeletonSequence, int]:
    """NW-UCLA JSON -> (sequence in Kinect v1 order at 15 fps, 0-based label)."""
    seq = _read_nw_ucla(path)
    return seq, int(seq.meta["label"]) - 1
