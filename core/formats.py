"""One entry point for every skeleton file skelapp reads, plus its own recording format.

Formats (name: how it is recognised):

* ``ntu_skeleton``: ``*.skeleton`` (NTU RGB+D text);
* ``nw_ucla_json``: ``*.json`` (NW-UCLA);
* ``msr_action3d``: ``*_skeleton3D.txt`` / ``*.txt`` (MSR Action3D);
* ``azure_kinect_csv``: ``*.csv`` (Azure Kinect body tracking);
* ``skel_npz``: ``*.skel.npz`` / ``*.npz``, skelapp's recording format.

Other names are sniffed from the first bytes. The recording format is a NumPy ``.npz`` (no
pickles) with ``joints`` (T,M,V,3) float32, ``confidence`` (T,M,V), ``timestamps`` (T,) s,
``layout`` (name), ``body_ids`` (decimal strings, so 64-bit ids survive), ``fps``, ``source``,
``format_version``, optional ``image_xy`` (T,M,V,2) and ``meta_json`` (the JSON-serialisable
part of ``meta``; arrays in ``meta`` are not stored).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .azure_kinect_csv import read_azure_kinect_csv
from .errors import SkeletonFormatError
from .layouts import get_layout
from .msr_action3d import read_msr_action3d
from .ntu_skeleton import read_ntu_skeleton
from .nw_ucla import read_nw_ucla
from .skeleton import SkeletonSequence

RECORDING_SUFFIX = ".skel.npz"
RECORDING_VERSION = 1
_EXTENSIONS = {".skeleton": "ntu_skeleton", ".json": "nw_ucla_json", ".txt": "msr_action3d",
               ".csv": "azure_kinect_csv", ".npz": "skel_npz"}
# inputs that are not skeleton files but that the app reads another way
_VIDEO_HINT = "a video? The pose estimator reads videos: skelapp --video FILE"
_OTHER_INPUTS = {".mkv": "an Azure Kinect recording? Play it with skelapp --kinect-playback FILE",
                 **{s: _VIDEO_HINT for s in (".mp4", ".avi", ".mov", ".webm", ".m4v")}}


def _json_meta(meta: dict) -> dict:
    out = {}
    for k, v in meta.items():
        try:
            json.dumps(v, allow_nan=False)
        except (TypeError, ValueError):
            continue
        out[str(k)] = v
    return out


def save_recording(seq: SkeletonSequence, path: str | Path) -> Path:
    """Write *seq* as a skelapp recording (``.skel.npz``); returns the path written."""
    path = Path(path)
    arrays = {
        "format_version": np.array(RECORDING_VERSION),
        "joints": seq.joints, "confidence": seq.confidence, "timestamps": seq.timestamps,
        "layout": np.array(seq.layout.name), "body_ids": np.array([str(b) for b in seq.body_ids], dtype=str),
        "fps": np.array(float(seq.fps)), "source": np.array(seq.source),
        "meta_json": np.array(json.dumps(_json_meta(seq.meta))),
    }
    if seq.image_xy is not None:
        arrays["image_xy"] = seq.image_xy
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_recording(path: str | Path) -> SkeletonSequence:
    """Read a recording written by :func:`save_recording`."""
    path = Path(path)
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise SkeletonFormatError(path, "expected an .npz archive of named arrays, got a single array")
        with z:
            missing = {"joints", "confidence", "timestamps", "layout", "body_ids", "fps"} - set(z.files)
            if missing:
                raise SkeletonFormatError(path, f"expected recording arrays {sorted(missing)} (not in file)")
            a = {k: z[k] for k in z.files}
    except SkeletonFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, KeyError, TypeError,
            NotImplementedError, RuntimeError) as e:  # zipfile raises NotImplementedError for odd versions
        raise SkeletonFormatError(path, f"not a readable .npz recording ({type(e).__name__}: {e})") from None
    try:
        version = int(a["format_version"]) if "format_version" in a else RECORDING_VERSION
        if version > RECORDING_VERSION:
            raise ValueError(f"expected format version <= {RECORDING_VERSION}, got {version}")
        fps = float(a["fps"])
        if not np.isfinite(fps) or fps <= 0:
            raise ValueError(f"expected a positive fps, got {fps}")
        layout = get_layout(str(a["layout"]))
        body_ids = tuple(int(b) for b in np.atleast_1d(a["body_ids"]))
        meta = json.loads(str(a["meta_json"])) if "meta_json" in a else {}
        seq = SkeletonSequence(
            a["joints"], a["confidence"], a["timestamps"], layout, body_ids, a.get("image_xy"),
            str(a.get("source", "")), fps, meta if isinstance(meta, dict) else {})
    except (KeyError, ValueError, TypeError) as e:
        raise SkeletonFormatError(path, f"invalid recording content: {e}") from None
    if not (np.isfinite(seq.joints).all() and np.isfinite(seq.timestamps).all()):
        raise SkeletonFormatError(path, "expected finite joints and timestamps")
    return seq


READERS: dict[str, Callable[[Path], SkeletonSequence]] = {
    "ntu_skeleton": read_ntu_skeleton,
    "nw_ucla_json": read_nw_ucla,
    "msr_action3d": read_msr_action3d,
    "azure_kinect_csv": read_azure_kinect_csv,
    "skel_npz": load_recording,
}


def _sniff(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "skel_npz"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    first = text.split("\n", 1)[0].strip()
    if text.startswith("{"):
        return "nw_ucla_json"
    if "," in first and "pelvis" in first.lower():
        return "azure_kinect_csv"
    tok = first.split()
    if len(tok) == 1 and tok[0].isdigit():
        return "ntu_skeleton"
    if len(tok) == 4:
        try:
            [float(t) for t in tok]
            return "msr_action3d"
        except ValueError:
            pass
    return None


def detect_format(path: str | Path) -> str:
    """Format name of *path* (a key of :data:`READERS`), by extension then by content."""
    path = Path(path)
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        fmt = _sniff(path)
    if fmt is None:
        hint = _OTHER_INPUTS.get(path.suffix.lower())
        raise SkeletonFormatError(
            path, "unknown skeleton file format: expected .skeleton, .json, .txt (MSR), .csv (Azure) or "
            f"{RECORDING_SUFFIX}" + (f"; is it {hint}" if hint else ""), 1)
    return fmt


def read_skeleton_file(path: str | Path) -> SkeletonSequence:
    """Read any supported skeleton file (see :func:`detect_format`)."""
    path = Path(path)
    return READERS[detect_format(path)](path)
