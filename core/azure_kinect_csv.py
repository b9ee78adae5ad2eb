"""Azure Kinect Body Tracking CSV (as written by e.g. Azure-kinect-GymTrainer).

A header row names the 32 k4abt joints (``Pelvis,SpineNavel,...``, optional UTF-8 BOM, any
column order); each following row is one frame of one body, each cell ``x y z`` in metres
(optionally quoted). k4abt camera space is x right / y down / z forward, so points are
converted to the skelapp convention with the proper rotation ``(x, y, z) -> (-x, -y, z)``.
30 fps (the sensor's rate); one body, id 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .conversion import opencv_to_skelapp
from .errors import SkeletonFormatError
from .layouts import AZURE_KINECT
from .skeleton import SkeletonSequence
from .text_io import parse_rows, read_lines

FPS = 30.0


def _key(name: str) -> str:
    return name.strip().strip('"').replace("_", "").lower()


def _columns(path: Path, header: str) -> np.ndarray:
    """Layout joint index of every CSV column."""
    want = {_key(n): i for i, n in enumerate(AZURE_KINECT.joint_names)}
    cols = [_key(c) for c in header.split(",")]
    unknown = [c for c in cols if c not in want]
    if unknown or len(set(cols)) != len(cols) or len(cols) != len(want):
        what = f"unknown joint {unknown[0]!r}" if unknown else f"{len(cols)} columns (or duplicates)"
        raise SkeletonFormatError(path, f"expected a header of the {len(want)} k4abt joint names "
                                  f"(Pelvis,SpineNavel,...), got {what}", 1)
    return np.array([want[c] for c in cols])


def read_azure_kinect_csv(path: str | Path) -> SkeletonSequence:
    """Read an Azure Kinect body-tracking CSV (layout AZURE_KINECT, 30 fps, skelapp coordinates)."""
    path = Path(path)
    lines = read_lines(path)
    cols = _columns(path, lines[0])
    if len(lines) < 2:
        raise SkeletonFormatError(path, "no frames: expected rows of joint cells after the header", 2)
    n = len(cols)
    cells = []
    for k, ln in enumerate(lines[1:], start=2):
        row = ln.split(",")
        if len(row) != n:
            raise SkeletonFormatError(path, f"expected {n} comma-separated joint cells, got {len(row)}", k)
        cells.append(row)
    rows = [c.strip().strip('"').split() for row in cells for c in row]
    line_nos = np.repeat(np.arange(2, len(lines) + 1), n)
    data = parse_rows(path, rows, line_nos, 3, 'joint cell "x y z"').reshape(-1, n, 3)
    joints = np.empty_like(data)
    joints[:, cols] = opencv_to_skelapp(data)
    return SkeletonSequence.from_joints(joints, AZURE_KINECT, FPS, source=str(path),
                                        meta={"file_name": path.name})
