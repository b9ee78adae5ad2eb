"""Northwestern-UCLA Multiview Action3D JSON files (CTR-GCN ``all_sqe`` release).

``{"file_name": "aXX_sYY_eZZ_vWW", "skeletons": [T][20][3], "label": 1..10}``: Kinect v1
joints in metres, camera space (already our convention). The release stores no frame rate;
15 fps is the nominal rate (walking speed in ``a04`` sequences is ~0.066 m/frame, i.e.
~1 m/s at 15 fps). A joint stored as exactly (0, 0, 0) is missing: confidence 0, else 1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .errors import SkeletonFormatError
from .layouts import KINECT_V1
from .skeleton import SkeletonSequence
from .text_io import first_beyond_float32, read_text

FPS = 15.0
_NAME_RE = re.compile(r"a(\d+)_s(\d+)_e(\d+)_v(\d+)")


def parse_nw_ucla_name(name: str) -> dict[str, int]:
    """``{"action", "subject", "episode", "view"}`` from ``aXX_sYY_eZZ_vWW`` (empty if no match)."""
    m = _NAME_RE.search(name)
    return dict(zip(("action", "subject", "episode", "view"), map(int, m.groups()), strict=True)) if m else {}


def _numeric_array(skel: list, v: int) -> np.ndarray | None:
    """``(T, v, 3)`` array if *skel* is exactly that nesting of JSON numbers, else None."""
    try:
        arr = np.array(skel)
    except ValueError:  # ragged nesting
        return None
    if arr.ndim != 3 or arr.shape[1:] != (v, 3) or arr.dtype.kind not in "iuf":
        return None
    if any(type(c) is bool for frame in skel for p in frame for c in p):
        return None  # JSON true/false are not coordinates
    return arr


def _joints(path: Path, skel) -> np.ndarray:
    v = KINECT_V1.num_joints
    if not isinstance(skel, list) or not skel:
        raise SkeletonFormatError(path, 'expected "skeletons" to be a non-empty list of frames [T][20][3]', 1)
    arr = _numeric_array(skel, v)
    if arr is None:
        for t, frame in enumerate(skel):
            if not isinstance(frame, list) or len(frame) != v:
                raise SkeletonFormatError(path, f"expected skeletons[{t}] to be a list of {v} joints", 1)
            for j, p in enumerate(frame):
                if not (isinstance(p, list) and len(p) == 3
                        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in p)):
                    raise SkeletonFormatError(path, f"expected skeletons[{t}][{j}] to be [x, y, z] numbers, "
                                              f"got {json.dumps(p)[:40]}", 1)
        raise SkeletonFormatError(path, f"expected skeletons of shape [T][{v}][3]", 1)
    at = first_beyond_float32(arr)  # stored as float32: a flipped exponent would become inf there
    if at is not None:
        t, j = at[:2]
        msg = f"expected finite numbers within float32's range in skeletons[{t}][{j}]"
        raise SkeletonFormatError(path, f"{msg}, got {json.dumps(skel[t][j])[:60]}", 1)
    return arr.astype(np.float32)


def read_nw_ucla(path: str | Path) -> SkeletonSequence:
    """Read one NW-UCLA JSON file (layout KINECT_V1, 15 fps); label, file name and ids in ``meta``."""
    path = Path(path)
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        msg = f"invalid JSON ({e.msg}): expected an NW-UCLA object"
        raise SkeletonFormatError(path, msg, e.lineno) from None
    except RecursionError:
        raise SkeletonFormatError(path, "JSON nested too deeply: expected an NW-UCLA object", None) from None
    if not isinstance(doc, dict) or "skeletons" not in doc:
        raise SkeletonFormatError(path, 'expected a JSON object with a "skeletons" key', 1)
    joints = _joints(path, doc["skeletons"])
    label, name = doc.get("label"), doc.get("file_name", path.stem)
    if label is not None and (not isinstance(label, int) or isinstance(label, bool)):
        raise SkeletonFormatError(path, f'expected "label" to be an integer, got {json.dumps(label)[:40]}', 1)
    if not isinstance(name, str):
        got = json.dumps(name)[:40]
        raise SkeletonFormatError(path, f'expected "file_name" to be a string, got {got}', 1)
    conf = (np.abs(joints).sum(axis=-1) > 0).astype(np.float32)
    meta = {"label": label, "file_name": name, **parse_nw_ucla_name(name)}
    return SkeletonSequence.from_joints(joints, KINECT_V1, FPS, conf, source=str(path), meta=meta)
