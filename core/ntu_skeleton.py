"""NTU RGB+D ``.skeleton`` text files (Kinect v2, 25 joints): reader, writer, main-body selection.

Format: line 1 the frame count; per frame a body-count line; per body a 10-field header
(64-bit tracking id, clipedEdges, handLeftConfidence, handLeftState, handRightConfidence,
handRightState, isRestricted, leanX, leanY, trackingState), a joint-count line (25) and 25 joint
lines ``x y z depthX depthY colorX colorY orientationW X Y Z trackingState``. LF or CRLF.

Every distinct tracking id gets a body slot. Everything the :class:`SkeletonSequence` does not
hold (body headers, depth xy, joint orientations, per-frame body order) is kept in
``meta["ntu"]`` so :func:`write_ntu_skeleton` writes a file that re-parses to identical values.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from .errors import LayoutMismatchError, SkeletonFormatError
from .layouts import NTU25
from .skeleton import SkeletonSequence
from .text_io import parse_int, parse_rows, read_lines

FPS = 30.0
NUM_JOINTS = 25
JOINT_FIELDS = 12
HEADER_FIELDS = 10
_HEADER_INT_FIELDS = (1, 2, 3, 4, 5, 6, 9)  # clipedEdges .. isRestricted, trackingState
_STATE_TO_CONF = np.array([0.0, 0.5, 1.0], np.float32)
_NAME_RE = re.compile(r"S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})")


def parse_ntu_name(name: str) -> dict[str, int]:
    """``{"setup", "camera", "performer", "replication", "action"}`` from ``SsssCcccPpppRrrrAaaa``."""
    m = _NAME_RE.search(name)
    if not m:
        return {}
    keys = ("setup", "camera", "performer", "replication", "action")
    return dict(zip(keys, map(int, m.groups()), strict=True))


class NtuSkeletonReader:
    """Strict parser for one ``.skeleton`` file; :meth:`read` returns the sequence."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _line(self, i: int, what: str) -> str:
        if i >= len(self.lines):
            raise SkeletonFormatError(self.path, f"file ends early: expected {what}", i + 1)
        return self.lines[i]

    def _int_line(self, i: int, what: str, lo: int | None = None, hi: int | None = None) -> int:
        tok = self._line(i, what).split()
        if len(tok) != 1:
            msg = f"expected {what} (one integer), got {len(tok)} fields"
            raise SkeletonFormatError(self.path, msg, i + 1)
        return parse_int(self.path, tok[0], i + 1, what, lo, hi)

    def _header(self, i: int, frame: int) -> tuple[int, list[int], list[float]]:
        tok = self._line(i, f"body header of frame {frame}").split()
        if len(tok) != HEADER_FIELDS:
            raise SkeletonFormatError(
                self.path, f"expected {HEADER_FIELDS} fields (body header), got {len(tok)}", i + 1)
        tid = parse_int(self.path, tok[0], i + 1, "tracking id", 0, 2**64)
        # kept in an int64 array (side["header_ints"]): a value that does not fit is a format error
        ints = [parse_int(self.path, tok[k], i + 1, f"body header field {k + 1}", -(2**63), 2**63)
                for k in _HEADER_INT_FIELDS]
        lean = parse_rows(self.path, [tok[7:9]], [i + 1], 2, "body header leanX leanY")[0]
        return tid, ints, lean.tolist()

    def read(self) -> SkeletonSequence:
        self.lines = read_lines(self.path)
        n_frames = self._int_line(0, "frame count", 1)
        i = 1
        occ: list[tuple[int, int, int, list[int], list[float], int]] = []  # t, id, order, ints, lean, line
        for t in range(n_frames):
            n_bodies = self._int_line(i, f"body count of frame {t + 1}", 0)
            i += 1
            seen: set[int] = set()
            for b in range(n_bodies):
                tid, ints, lean = self._header(i, t + 1)
                if tid in seen:
                    raise SkeletonFormatError(self.path, f"tracking id {tid} twice in frame {t + 1}", i + 1)
                seen.add(tid)
                self._int_line(i + 1, f"joint count {NUM_JOINTS}", NUM_JOINTS, NUM_JOINTS + 1)
                last = min(i + 1 + NUM_JOINTS, len(self.lines))
                self._line(last, f"{NUM_JOINTS} joint lines of body {b + 1} in frame {t + 1}")
                occ.append((t, tid, b, ints, lean, i + 3))
                i += 2 + NUM_JOINTS
        if i < len(self.lines):
            raise SkeletonFormatError(
                self.path, f"expected end of file after the {n_frames} frames declared on line 1", i + 1)
        return self._build(n_frames, occ)

    def _build(self, n_frames: int, occ) -> SkeletonSequence:
        starts = np.array([o[5] for o in occ], np.int64)  # 1-based line of each body's first joint
        line_nos = (starts[:, None] + np.arange(NUM_JOINTS)).ravel() if len(occ) else np.zeros(0, np.int64)
        rows = [self.lines[k - 1].split() for k in line_nos]
        data = parse_rows(self.path, rows, line_nos, JOINT_FIELDS, "joint: x y z depthX depthY colorX colorY "
                          "orientationW X Y Z trackingState")
        state = data[:, 11]
        bad = ~np.isin(state, (0, 1, 2))
        if bad.any():
            k = int(np.argmax(bad))
            msg = f"expected joint trackingState 0, 1 or 2, got {rows[k][11]!r}"
            raise SkeletonFormatError(self.path, msg, int(line_nos[k]))
        data = data.reshape(len(occ), NUM_JOINTS, JOINT_FIELDS)
        ids: list[int] = list(dict.fromkeys(o[1] for o in occ)) or [0]
        slot = {b: m for m, b in enumerate(ids)}
        tt = np.array([o[0] for o in occ], np.int64)
        mm = np.array([slot[o[1]] for o in occ], np.int64)
        shape = (n_frames, len(ids))
        joints = np.zeros((*shape, NUM_JOINTS, 3), np.float32)
        xy = np.zeros((*shape, NUM_JOINTS, 2), np.float32)
        side = empty_side_arrays(n_frames, len(ids))
        joints[tt, mm] = data[..., 0:3]
        xy[tt, mm] = data[..., 5:7]
        side["depth_xy"][tt, mm] = data[..., 3:5]
        side["orientation"][tt, mm] = data[..., 7:11]
        side["tracking_state"][tt, mm] = data[..., 11]
        side["present"][tt, mm] = True
        side["order"][tt, mm] = [o[2] for o in occ]
        if occ:
            side["header_ints"][tt, mm] = [o[3] for o in occ]
            side["lean"][tt, mm] = [o[4] for o in occ]
        conf = np.where(side["present"][..., None], _STATE_TO_CONF[side["tracking_state"]], 0.0)
        side["body_ids"] = tuple(ids)
        meta = {"ntu": side, **parse_ntu_name(self.path.name)}
        return SkeletonSequence(joints, conf, np.arange(n_frames) / FPS, NTU25, tuple(ids), xy,
                                str(self.path), FPS, meta)


def empty_side_arrays(t: int, m: int) -> dict[str, np.ndarray]:
    """The ``meta["ntu"]`` arrays for *t* frames and *m* body slots, all zero / absent."""
    return {
        "present": np.zeros((t, m), bool),
        "order": np.full((t, m), -1, np.int32),
        "header_ints": np.zeros((t, m, len(_HEADER_INT_FIELDS)), np.int64),
        "lean": np.zeros((t, m, 2), np.float32),
        "depth_xy": np.zeros((t, m, NUM_JOINTS, 2), np.float32),
        "orientation": np.zeros((t, m, NUM_JOINTS, 4), np.float32),
        "tracking_state": np.zeros((t, m, NUM_JOINTS), np.int8),
    }


def read_ntu_skeleton(path: str | Path) -> SkeletonSequence:
    """Read an NTU RGB+D ``.skeleton`` file (layout NTU25, 30 fps)."""
    return NtuSkeletonReader(path).read()


def _slot_order(present: np.ndarray) -> np.ndarray:
    """``(T, M)`` position of each present body within its frame when written in slot order."""
    return np.where(present, np.cumsum(present, axis=1) - 1, -1).astype(np.int32)


def _side_arrays(seq: SkeletonSequence) -> dict[str, np.ndarray]:
    """``meta["ntu"]`` if it belongs to *seq*'s frames and body slots, else defaults derived from *seq*.

    (Generic edits such as ``select_bodies`` or ``slice_frames`` copy ``meta`` unchanged; the
    stored body ids and array shapes tell whether the side arrays still fit.)
    """
    t, m = seq.num_frames, seq.num_bodies
    ref = empty_side_arrays(t, m)
    side = seq.meta.get("ntu")
    if isinstance(side, dict) and side.get("body_ids") == seq.body_ids and all(
        isinstance(side.get(k), np.ndarray) and side[k].shape == v.shape for k, v in ref.items()
    ):
        return side
    present = seq.present()
    ref["present"] = present
    ref["order"] = _slot_order(present)
    ref["tracking_state"] = np.digitize(seq.confidence, [0.25, 0.75]).astype(np.int8)
    ref["header_ints"][..., -1] = 2
    return ref


def _fmt(values) -> str:
    return " ".join(str(v) for v in np.asarray(values, np.float32))


def write_ntu_skeleton(seq: SkeletonSequence, path: str | Path, newline: str = "\r\n") -> None:
    """Write *seq* (layout NTU25) as an NTU ``.skeleton`` file; values re-parse identically."""
    if seq.layout.name != NTU25.name:
        raise LayoutMismatchError(f"write_ntu_skeleton needs layout ntu25, got {seq.layout.name}")
    side = _side_arrays(seq)
    xy = seq.image_xy if seq.image_xy is not None else np.zeros((*seq.joints.shape[:3], 2), np.float32)
    out = [str(seq.num_frames)]
    for t in range(seq.num_frames):
        slots = sorted(np.flatnonzero(side["present"][t]), key=lambda m: side["order"][t, m])
        out.append(str(len(slots)))
        for m in slots:
            h = side["header_ints"][t, m]
            out.append(f"{seq.body_ids[m]} {' '.join(map(str, h[:6]))} {_fmt(side['lean'][t, m])} {h[6]}")
            out.append(str(NUM_JOINTS))
            fields = np.concatenate(
                [seq.joints[t, m], side["depth_xy"][t, m], xy[t, m], side["orientation"][t, m]], axis=1)
            for v in range(NUM_JOINTS):
                out.append(f"{_fmt(fields[v])} {int(side['tracking_state'][t, m, v])}")
    Path(path).write_text(newline.join(out) + newline, encoding="ascii", newline="")


def body_motion(seq: SkeletonSequence) -> np.ndarray:
    """``(M,)`` total variance of each body's joints over the frames it is present (-1 if never)."""
    present = seq.present()
    out = np.full(seq.num_bodies, -1.0)
    for m in range(seq.num_bodies):
        x = seq.joints[present[:, m], m].astype(np.float64)
        if len(x):
            out[m] = float(x.var(axis=0).sum())
    return out


def select_main_bodies(seq: SkeletonSequence, max_bodies: int = 2) -> SkeletonSequence:
    """Keep the *max_bodies* slots that move most (ties: tracked longer), most moving first.

    This is the usual NTU denoising rank (actors move; furniture and ghosts mostly do not).
    ``meta["ntu"]`` side arrays are sliced along.
    """
    if max_bodies < 1:
        raise ValueError(f"max_bodies must be >= 1, got {max_bodies}")
    motion = body_motion(seq)
    length = seq.present().sum(axis=0)
    rank = sorted(range(seq.num_bodies), key=lambda m: (-motion[m], -length[m], m))[:max_bodies]
    out = seq.select_bodies(rank)
    side = seq.meta.get("ntu")
    if isinstance(side, dict):
        kept = {k: v[:, rank] for k, v in side.items() if isinstance(v, np.ndarray)}
        if "present" in kept:  # bodies are written in the new slot order
            kept["order"] = _slot_order(kept["present"])
        out = replace(out, meta={**out.meta, "ntu": {**kept, "body_ids": out.body_ids}})
    return out
