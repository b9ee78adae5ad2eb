"""Check the MediaPipe -> canonical joint mapping against a Kinect v2 skeleton of the same video.

Runs MediaPipe Pose on an NTU RGB video, converts its landmarks to the canonical 20 joints
(treating the video as mirrored and as not mirrored), and compares with the NTU ``.skeleton``
of that clip converted the same way: 2D pixel error per canonical joint (canonical recipe applied
to MediaPipe's image landmarks vs Kinect colorX/colorY), 3D error after a per-frame similarity
(Procrustes) alignment, and whether the two bodies face the same way (geometric handedness).
Also reports the 2D error of alternative recipes for the derived joints (spine, head, hand, foot).

    python -m skelapp.devices.mapping_check [--data DIR] [--stride 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from skelapp.core.conversion import conversion_matrix, facing_direction, to_canonical
from skelapp.core.data_dir import find_data_dir
from skelapp.core.layouts import CANONICAL, MEDIAPIPE_POSE
from skelapp.core.ntu_skeleton import read_ntu_skeleton

from .mediapipe_pose import PoseResult, landmarks_to_camera

CLIP = "S001C001P001R001A001"
KINECT_V2_COLOR_HFOV = 84.1

# alternative MediaPipe recipes for derived canonical joints: label -> (joint, {landmark: weight})
_HIPS = {"hip_left": 0.5, "hip_right": 0.5}
_SHOULDERS = {"shoulder_left": 0.5, "shoulder_right": 0.5}


def _spine(f: float) -> dict[str, float]:
    return {**{k: (1 - f) * v for k, v in _HIPS.items()}, **{k: f * v for k, v in _SHOULDERS.items()}}


CANDIDATES: dict[str, tuple[str, dict[str, float]]] = {
    **{f"spine {f:.2f}": ("spine", _spine(f)) for f in (0.4, 0.5, 0.57, 0.6)},
    "head ears": ("head", {"ear_left": 0.5, "ear_right": 0.5}),
    "head nose": ("head", {"nose": 1.0}),
    "head ears+eyes": ("head", {"ear_left": 0.25, "ear_right": 0.25, "eye_left": 0.25, "eye_right": 0.25}),
    **{f"hand {k} ({s[0].upper()})": (f"hand_{s}", {f"{n}_{s}": 1 / len(v) for n in v})
       for s in ("left", "right")
       for k, v in (("idx+pinky+thumb", ("index", "pinky", "thumb")), ("idx+pinky", ("index", "pinky")),
                    ("wrist", ("wrist",)))},
    **{f"foot {k} ({s[0].upper()})": (f"foot_{s}", {f"{n}_{s}": 1 / len(v) for n in v})
       for s in ("left", "right")
       for k, v in (("foot_index", ("foot_index",)), ("heel+index", ("heel", "foot_index")),
                    ("ankle+index", ("ankle", "foot_index")), ("ankle", ("ankle",)))},
    "shoulder_center mid-shoulders": ("shoulder_center", _SHOULDERS),
    "hip_center mid-hips": ("hip_center", _HIPS),
}


def estimate_video(path: str | Path, stride: int = 1, max_frames: int | None = None,
                   estimator=None) -> tuple[list[int], list[PoseResult | None], tuple[int, int]]:
    """Run the pose estimator on every *stride*-th frame: ``(video frame numbers, results, (w, h))``."""
    from .webcam import WebcamSource

    results: list[PoseResult | None] = []
    inner = estimator

    class _Recorder:
        def __init__(self) -> None:
            nonlocal inner
            if inner is None:
                from .mediapipe_pose import MediaPipePose

                inner = MediaPipePose()

        def estimate(self, bgr):
            r = inner.estimate(bgr)
            results.append(r)
            return r

        def close(self) -> None:
            if hasattr(inner, "close"):
                inner.close()

    with WebcamSource(path, stride=stride, max_frames=max_frames, estimator=_Recorder) as src:
        for _ in src.frames():
            pass
        size = src.image_size
    return [i * stride for i in range(len(results))], results, size


def similarity_align(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """*src* ``(V, 3)`` moved onto *dst* by the least-squares rotation + uniform scale + translation
    (Umeyama; proper rotations only, so a left/right swap cannot be aligned away)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, s, vt = np.linalg.svd(b.T @ a)
    d = np.ones(3)
    d[2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    r = u @ np.diag(d) @ vt
    scale = (s * d).sum() / max((a**2).sum(), 1e-12)
    return (scale * (r @ a.T)).T + md


def _canonical_mp(results, frames_idx, size, mirrored: bool, hfov: float):
    """``(T, 20, 3)`` joints and ``(T, 20, 2)`` pixels (NaN where nobody was found)."""
    w = conversion_matrix(MEDIAPIPE_POSE)
    t = len(results)
    joints = np.full((t, CANONICAL.num_joints, 3), np.nan)
    xy = np.full((t, CANONICAL.num_joints, 2), np.nan)
    raw_xy = np.full((t, MEDIAPIPE_POSE.num_joints, 2), np.nan)
    for i, r in enumerate(results):
        if r is None:
            continue
        j, x, _ = landmarks_to_camera(r, size, mirrored, hfov)
        joints[i], xy[i], raw_xy[i] = w @ j, w @ x, x
    return joints, xy, raw_xy


def _med(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def compare(kinect_path: str | Path, frames_idx: list[int], results: list[PoseResult | None],
            size: tuple[int, int], mirrored: bool, hfov: float = KINECT_V2_COLOR_HFOV) -> dict:
    """Per-joint and median 2D/3D errors and facing agreement for one mirroring choice."""
    seq = to_canonical(read_ntu_skeleton(kinect_path).select_bodies([0]))
    keep = [k for k, f in enumerate(frames_idx) if f < len(seq) and results[k] is not None]
    fi = np.array([frames_idx[k] for k in keep], int)
    mp_j, mp_xy, mp_raw = _canonical_mp([results[k] for k in keep], fi, size, mirrored, hfov)
    k_j, k_xy = seq.joints[fi, 0].astype(np.float64), seq.image_xy[fi, 0].astype(np.float64)
    err2d = np.linalg.norm(mp_xy - k_xy, axis=-1)  # (T, 20)
    err3d = np.stack([np.linalg.norm(similarity_align(m, k) - k, axis=-1)
                      for m, k in zip(mp_j, k_j, strict=True)])
    tracked = seq.confidence[fi, 0] >= 1.0  # Kinect tracking state 2; inferred joints are often wrong
    e2, e3 = np.where(tracked, err2d, np.nan), np.where(tracked, err3d, np.nan)
    facing = np.einsum("td,td->t", facing_direction(mp_j), facing_direction(k_j))
    cand = {}
    for label, (joint, recipe) in CANDIDATES.items():
        p = sum(wt * mp_raw[:, MEDIAPIPE_POSE.index(n)] for n, wt in recipe.items())
        ci = CANONICAL.index(joint)
        cand[label] = _med(np.linalg.norm(p - k_xy[:, ci], axis=-1)[tracked[:, ci]])
    return {
        "mirrored": mirrored,
        "frames": len(keep),
        "per_joint_2d_px": {n: _med(e2[:, i]) for i, n in enumerate(CANONICAL.joint_names)},
        "per_joint_3d_cm": {n: 100 * _med(e3[:, i]) for i, n in enumerate(CANONICAL.joint_names)},
        "tracked_fraction": {n: float(tracked[:, i].mean()) for i, n in enumerate(CANONICAL.joint_names)},
        "median_2d_px": _med(e2),
        "median_3d_cm": 100 * _med(e3),
        "median_2d_px_all_joints": float(np.median(err2d)),
        "facing_cos_median": float(np.median(facing)),
        "candidates_2d_px": cand,
    }


def run(data_dir: str | Path, stride: int = 3, max_frames: int | None = None, estimator=None) -> list[dict]:
    """Both mirroring choices on the NTU matched pair under *data_dir*."""
    data = Path(data_dir)
    video = data / "videos" / f"{CLIP}_rgb.avi"
    skel = data / "ntu_rgbd_skeleton_samples" / f"{CLIP}.skeleton"
    idx, results, size = estimate_video(video, stride, max_frames, estimator)
    return [compare(skel, idx, results, size, m) for m in (True, False)]


def format_report(reports: list[dict]) -> str:
    lines = ["| canonical joint | " + " | ".join(
        f"2D px ({'mirrored' if r['mirrored'] else 'not mirrored'}) | 3D cm" for r in reports) + " |",
        "|---|" + "---:|---:|" * len(reports)]
    for n in CANONICAL.joint_names:
        cells = " | ".join(f"{r['per_joint_2d_px'][n]:.1f} | {r['per_joint_3d_cm'][n]:.1f}" for r in reports)
        lines.append(f"| {n} | {cells} |")
    cells = " | ".join(f"**{r['median_2d_px']:.1f}** | **{r['median_3d_cm']:.1f}**" for r in reports)
    lines.append(f"| **median (all)** | {cells} |")
    lines.append("")
    for r in reports:
        lines.append(f"mirrored={r['mirrored']}: {r['frames']} frames, median 2D {r['median_2d_px']:.1f} px, "
                     f"median 3D {r['median_3d_cm']:.1f} cm, facing cos median {r['facing_cos_median']:+.2f}")
    r = next(r for r in reports if r["mirrored"])
    lines += ["", "Alternative recipes (mirrored=True), median 2D px vs Kinect:", "",
              "| recipe | 2D px |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in r["candidates_2d_px"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m skelapp.devices.mapping_check",
                                description=__doc__.split("\n")[0])
    p.add_argument("--data", default=None, help="real data folder (default: $SKELAPP_DATA or ../shared/data)")
    p.add_argument("--stride", type=int, default=3, help="estimate every N-th video frame (default 3)")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = p.parse_args(argv)
    data = args.data or find_data_dir()
    if data is None:
        print("mapping_check: no data folder; pass --data DIR", file=sys.stderr)
        return 2
    reports = run(data, args.stride, args.max_frames)
    print(json.dumps(reports, indent=2) if args.json else format_report(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
