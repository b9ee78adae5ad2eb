"""MSR Action3D ``aAA_sSS_eEE_skeleton3D.txt`` files (the "real world coordinates" release).

Each line is one joint ``x y z c``; 20 lines (MSR's own joint order, layout MSR_ACTION3D) make
one frame. Checked on all 567 files: units are metres, +y up (head ~0.7 m above the hip, feet
~1 m below), z ~2-3 m into the scene and the subject's left joints at -x when facing the sensor
(and in "high arm wave" the joint labelled ``wrist_right`` moves ~5x more, the dataset's
right-arm instruction), i.e. already the skelapp camera convention: no conversion.

``c`` is *not* a usable confidence (spine, neck and hip centre are 0 in ~90 % of frames with
valid positions); it is kept raw in ``meta["raw_c"]``. A frame whose 20 joints are all
(0, 0, 0) has no skeleton (20 files have such frames): confidence 0; otherwise 1. 15 fps.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .errors import SkeletonFormatError
from .layouts import MSR_ACTION3D
from .skeleton import SkeletonSequence
from .text_io import parse_rows, read_lines

FPS = 15.0
_NAME_RE = re.compile(r"a(\d+)_s(\d+)_e(\d+)")


def parse_msr_name(name: str) -> dict[str, int]:
    """``{"action", "subject", "episode"}`` from ``aAA_sSS_eEE`` (empty if no match)."""
    m = _NAME_RE.search(name)
    return dict(zip(("action", "subject", "episode"), map(int, m.groups()), strict=True)) if m else {}


def read_msr_action3d(path: str | Path) -> SkeletonSequence:
    """Read one MSR Action3D skeleton file (layout MSR_ACTION3D, 15 fps)."""
    path = Path(path)
    lines = read_lines(path)
    v = MSR_ACTION3D.num_joints
    if len(lines) % v:
        raise SkeletonFormatError(
            path, f"expected a multiple of {v} joint lines (one frame = {v} lines), got {len(lines)}",
            len(lines) - len(lines) % v + 1)
    data = parse_rows(path, [ln.split() for ln in lines], np.arange(1, len(lines) + 1), 4, "joint: x y z c")
    data = data.reshape(-1, v, 4)
    has_body = np.abs(data[..., :3]).sum(axis=(1, 2)) > 0
    conf = np.repeat(has_body[:, None], v, axis=1).astype(np.float32)
    meta = {"raw_c": data[..., 3].astype(np.float32), **parse_msr_name(path.name)}
    return SkeletonSequence.from_joints(data[..., :3], MSR_ACTION3D, FPS, conf, source=str(path), meta=meta)
