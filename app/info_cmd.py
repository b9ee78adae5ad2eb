"""``skelapp info FILE [--json]``: describe any supported skeleton file.

Prints format, frames, bodies (ids and frames present), joint layout, duration, fps and the
x/y/z value ranges of tracked joints. A bad file gives exit code 1 and one line on stderr
(file, line, problem), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from skelapp.core.errors import SkeletonFormatError
from skelapp.core.formats import detect_format, read_skeleton_file
from skelapp.core.skeleton import SkeletonSequence


def describe(seq: SkeletonSequence, fmt: str) -> dict:
    """JSON-ready summary of *seq*."""
    present = seq.present()
    tracked = seq.joints[seq.confidence > 0]
    ranges = {
        ax: ([float(tracked[:, i].min()), float(tracked[:, i].max())] if len(tracked) else None)
        for i, ax in enumerate("xyz")
    }
    return {
        "file": seq.source,
        "format": fmt,
        "frames": seq.num_frames,
        "bodies": [{"id": b, "frames_present": int(present[:, m].sum())} for m, b in enumerate(seq.body_ids)],
        "layout": seq.layout.name,
        "joints": seq.layout.num_joints,
        "duration_s": round(seq.duration, 6),
        "fps": seq.fps,
        "range_m": ranges,
        "meta": {k: v for k, v in seq.meta.items() if isinstance(v, (str, int, float)) or v is None},
    }


def format_text(info: dict) -> str:
    lines = [
        f"file:     {info['file']}",
        f"format:   {info['format']}",
        f"layout:   {info['layout']} ({info['joints']} joints)",
        f"frames:   {info['frames']} at {info['fps']:g} fps, {info['duration_s']:.3f} s",
        f"bodies:   {len(info['bodies'])}",
    ]
    lines += [f"  id {b['id']}: {b['frames_present']} frames" for b in info["bodies"]]
    for ax, r in info["range_m"].items():
        lines.append(f"{ax} range:  " + ("n/a" if r is None else f"{r[0]:+.3f} .. {r[1]:+.3f} m"))
    if info["meta"]:
        lines.append("meta:     " + ", ".join(f"{k}={v}" for k, v in info["meta"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="skelapp info", description="Describe a skeleton file.")
    ap.add_argument("file", help="skeleton file (.skeleton, .json, .txt, .csv, .skel.npz)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = ap.parse_args(argv)
    try:
        fmt = detect_format(args.file)
        seq = read_skeleton_file(args.file)
    except SkeletonFormatError as e:
        print(f"skelapp info: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"skelapp info: {args.file}: cannot read file ({e.strerror or e})", file=sys.stderr)
        return 1
    info = describe(seq, fmt)
    print(json.dumps(info, indent=2) if args.json else format_text(info))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
