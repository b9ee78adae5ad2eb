"""Depth at colour pixels, back-projection and body plausibility (pure numpy; no pyk4a/OpenCV).

Two ways to get the depth under a colour pixel:

* :func:`sample_depth` on a depth image already aligned with the colour camera (the SDK's
  transformation engine, or :func:`depth_to_color`, which re-projects every depth pixel);
* :func:`sample_depth_epipolar` straight from the raw depth image: only the depth pixels near
  each landmark's epipolar segment are re-projected into the colour image (~20x cheaper than
  :func:`depth_to_color` on NFOV unbinned depth, same answer).

Camera models come in as callables (``project``: ``(N, 3)`` metres -> ``(N, 2)`` pixels,
distortion included) and precomputed undistorted rays, so the caller picks OpenCV or a pinhole.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

DEPTH_WINDOW = 3  # half-size of the depth sampling window, colour pixels
Z_STEPS_M = np.array([0.25, 0.35, 0.5, 0.7, 1.0, 1.5, 2.2, 3.2, 5.0, 8.0])  # epipolar segment samples
TORSO_RANGE_M = (0.2, 1.0)  # mid-shoulder -> mid-hip of a real person
MIN_DEPTH_LANDMARKS = 8  # fewer landmarks with measured depth -> not a body
SHOULDERS, HIPS = (11, 12), (23, 24)  # MEDIAPIPE_POSE indices

Project = Callable[[np.ndarray], np.ndarray]


def sample_depth(depth_mm: np.ndarray, uv: np.ndarray, radius: int = DEPTH_WINDOW) -> np.ndarray:
    """Median of the valid (> 0) depths in a ``(2r+1)^2`` window around each pixel ``uv (N, 2)``;
    0 where the window has none or lies outside the image."""
    h, w = depth_mm.shape[:2]
    out = np.zeros(len(uv), np.float64)
    for i, (u, v) in enumerate(np.asarray(uv, np.float64)):
        if not (np.isfinite(u) and np.isfinite(v)):
            continue
        x, y = int(round(u)), int(round(v))
        win = depth_mm[max(y - radius, 0):min(y + radius + 1, h), max(x - radius, 0):min(x + radius + 1, w)]
        valid = win[win > 0]
        if valid.size:
            out[i] = float(np.median(valid))
    return out


def backproject_pinhole(uv: np.ndarray, depth_mm: np.ndarray, fx: float, fy: float, cx: float,
                        cy: float) -> np.ndarray:
    """``(N, 3)`` metres in the OpenCV camera frame (x right, y down, z forward), no distortion."""
    z = np.asarray(depth_mm, np.float64) / 1000.0
    uv = np.asarray(uv, np.float64)
    return np.stack([(uv[:, 0] - cx) * z / fx, (uv[:, 1] - cy) * z / fy, z], axis=1)


def splat_depth(uv: np.ndarray, z_mm: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A ``(height, width)`` uint16 depth image holding, per pixel, the nearest of the points
    ``uv (N, 2)`` with depth ``z_mm`` that round onto it (0 = no point)."""
    w, h = size
    x, y = np.rint(uv[:, 0]).astype(np.int64), np.rint(uv[:, 1]).astype(np.int64)
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h) & (z_mm > 0) & np.isfinite(z_mm)
    flat = np.full(w * h, np.inf)
    np.minimum.at(flat, y[ok] * w + x[ok], z_mm[ok])
    flat[~np.isfinite(flat)] = 0
    return flat.reshape(h, w).astype(np.uint16)


def depth_points(depth_mm: np.ndarray, rays: np.ndarray, rotation: np.ndarray, translation_m: np.ndarray,
                 rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Depth pixels ``(rows, cols)`` -> ``(N, 3)`` colour-camera metres (``R p + t``).

    *rays* ``(H, W, 2)``: undistorted normalised coordinates of every depth pixel.
    """
    z = depth_mm[rows, cols].astype(np.float64) / 1000.0
    p = np.concatenate([rays[rows, cols] * z[:, None], z[:, None]], axis=1) @ np.asarray(rotation).T
    return p + np.asarray(translation_m, np.float64).reshape(1, 3)


def depth_to_color(depth_mm: np.ndarray, rays: np.ndarray, rotation: np.ndarray, translation_m: np.ndarray,
                   project: Project, color_size: tuple[int, int]) -> np.ndarray:
    """Depth image -> colour camera (software ``k4a_transformation_depth_image_to_color_camera``).

    *rotation*, *translation_m*: depth -> colour extrinsics; *project*: colour-camera metres ->
    colour pixels. Re-projects every depth pixel (slow: see :func:`sample_depth_epipolar`).
    """
    rows, cols = np.nonzero(depth_mm > 0)
    p = depth_points(depth_mm, rays, rotation, translation_m, rows, cols)
    p = p[p[:, 2] > 0.05]
    return splat_depth(project(p), p[:, 2] * 1000.0, color_size)


def sample_depth_epipolar(
    depth_mm: np.ndarray, uv: np.ndarray, color_rays: np.ndarray, depth_rays: np.ndarray,
    rotation: np.ndarray, translation_m: np.ndarray, project_depth: Project, project_color: Project,
    radius: float = DEPTH_WINDOW, z_steps: np.ndarray = Z_STEPS_M,
) -> np.ndarray:
    """Colour-camera depth (mm) at colour pixels ``uv (N, 2)`` from a raw depth image: the median
    depth of the depth points that land within *radius* colour pixels of each pixel (0: none).

    *color_rays* ``(N, 2)``: undistorted normalised coordinates of *uv* in the colour camera;
    *depth_rays* ``(H, W, 2)``: the same for every depth pixel; *rotation*, *translation_m*:
    depth -> colour extrinsics; *project_depth* / *project_color*: camera metres -> pixels.
    Only depth pixels around each pixel's epipolar segment (depths *z_steps*) are re-projected.
    """
    uv = np.asarray(uv, np.float64)
    out = np.zeros(len(uv))
    fin = np.flatnonzero(np.isfinite(uv).all(1) & np.isfinite(color_rays).all(1))
    if not fin.size:
        return out
    rot = np.asarray(rotation, np.float64).reshape(3, 3)
    t = np.asarray(translation_m, np.float64).reshape(3)
    zs = np.asarray(z_steps, np.float64)
    rays = np.asarray(color_rays, np.float64)[fin]
    pc = np.concatenate([rays[:, None, :] * zs[None, :, None],
                         np.broadcast_to(zs[None, :, None], (len(fin), len(zs), 1))], axis=2)
    seg = np.asarray(project_depth(((pc - t) @ rot).reshape(-1, 3))).reshape(len(fin), len(zs), 2)
    h, w = depth_mm.shape[:2]
    pad = int(np.ceil(radius)) + 2  # colour and depth pixels are about the same size
    rows, cols, owner = [], [], []
    for k, s in enumerate(seg):
        s = s[np.isfinite(s).all(1)]
        if not len(s):
            continue
        u0, v0 = np.maximum(np.floor(s.min(0)).astype(int) - pad, 0)
        u1, v1 = np.minimum(np.ceil(s.max(0)).astype(int) + pad + 1, (w, h))
        if u0 >= u1 or v0 >= v1:
            continue
        vv, uu = np.nonzero(depth_mm[v0:v1, u0:u1] > 0)
        rows.append(vv + v0)
        cols.append(uu + u0)
        owner.append(np.full(len(vv), k))
    if not rows:
        return out
    rows, cols, owner = np.concatenate(rows), np.concatenate(cols), np.concatenate(owner)
    p = depth_points(depth_mm, depth_rays, rot, t, rows, cols)
    front = p[:, 2] > 0.05
    p, owner = p[front], owner[front]
    if not len(p):
        return out
    near = np.linalg.norm(np.asarray(project_color(p)) - uv[fin][owner], axis=1) <= radius
    z, owner = p[near, 2] * 1000.0, owner[near]
    for k in np.unique(owner):
        out[fin[k]] = float(np.median(z[owner == k]))
    return out


def fill_missing(joints: np.ndarray, valid: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Joints without depth (``~valid``) from *model* (same frame) shifted by the median offset
    between the two on the valid joints (or unshifted when none is valid)."""
    out = np.array(joints, np.float64, copy=True)
    shift = np.median(joints[valid] - model[valid], axis=0) if valid.any() else np.zeros(3)
    out[~valid] = model[~valid] + shift
    return out


def torso_length(joints_m: np.ndarray, valid: np.ndarray) -> float | None:
    """Mid-shoulder -> mid-hip distance (m) over the shoulders/hips with measured depth
    (MEDIAPIPE_POSE indices), or None when no shoulder or no hip has depth."""
    sh = [i for i in SHOULDERS if valid[i]]
    hp = [i for i in HIPS if valid[i]]
    if not sh or not hp:
        return None
    return float(np.linalg.norm(joints_m[sh].mean(0) - joints_m[hp].mean(0)))


def plausible_body(joints_m: np.ndarray, valid: np.ndarray, torso_m: tuple[float, float] = TORSO_RANGE_M,
                   min_valid: int = MIN_DEPTH_LANDMARKS) -> bool:
    """Is a depth skeleton (MEDIAPIPE_POSE, metres) a real person? False with fewer than
    *min_valid* landmarks with measured depth (``valid``), or a measurable torso outside
    *torso_m* (e.g. a figure printed on a mug, which MediaPipe detects as a person)."""
    valid = np.asarray(valid, bool)
    if int(valid.sum()) < min_valid:
        return False
    torso = torso_length(np.asarray(joints_m, np.float64), valid)
    return torso is None or torso_m[0] <= torso <= torso_m[1]
