"""Training-time augmentation of canonical joint sequences (before feature computation)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from skelapp.core.conversion import mirror_joints
from skelapp.core.layouts import CANONICAL


@dataclass(frozen=True)
class AugmentConfig:
    rot_y_deg: float = 30.0  # rotation about the vertical axis: +/- this
    rot_xz_deg: float = 10.0  # small tilt about x and z
    scale: float = 0.1  # per-axis scale factor in 1 +/- this
    # temporal: chosen on dev protocols of both datasets (model card, "stronger temporal")
    rate: float = 0.3  # playback rate in 1 +/- this (resampling)
    # non-uniform playback (0 = off): one interior point of the clip, at 30-70 % of it, moves by up
    # to this fraction of its distance to the nearer end, so one part plays faster and the other
    # slower (a piecewise-linear time warp; the clip keeps its length)
    warp: float = 0.0
    crop_prob: float = 0.8  # probability of taking a random temporal sub-window
    crop_min: float = 0.5  # shortest sub-window, as a fraction of the clip
    # probability that a sub-window ends where the clip ends (random start only; otherwise both ends
    # are drawn): with a loss on every prefix the window's end adds no new sub-sequence, and the
    # recorded ending (how a clip finishes) is seen. true = 1, false = 0. Chosen on dev
    # (docs/decisions/dev24.md); results before it used free windows (false)
    crop_keep_end: float = 1.0
    min_frames: int = 4
    mirror_prob: float = 0.5  # probability of a left-right mirror (x -> -x, left/right joints swapped)
    joint_offset: float = 0.0  # metres: std of a per-clip constant offset of each joint (skeleton fit)
    jitter: float = 0.0  # metres: std of independent noise on every joint in every frame (sensor noise)
    # per-clip shear: each off-diagonal entry of a linear map I + S drawn in +/- this (0 = off); a
    # skewed skeleton fit, as a sensor gives from an oblique view
    shear: float = 0.0
    # per-clip bone lengths: each bone's length times a factor in 1 +/- this, its own per bone (left
    # and right apart), children carried along (0 = off): body proportions, and the lengths a
    # sensor's skeleton fit gives differently from view to view
    bone_scale: float = 0.0
    # probability of playing a clip of a class with a time-reversed partner (datasets.REVERSED_CLASSES:
    # donning / doffing) backwards, labelled as the partner; drawn before everything else (0 = off)
    reverse: float = 0.0

    def __post_init__(self) -> None:
        for name in ("crop_prob", "crop_keep_end", "mirror_prob", "reverse"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a probability (0 to 1, or true/false), got {value!r}")
        for name in ("joint_offset", "jitter"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} is a standard deviation in metres (>= 0), got {value!r}")
        if not 0.0 <= self.warp < 1.0:
            raise ValueError(f"warp is a fraction (0 to below 1), got {self.warp!r}")
        if not 0.0 <= self.shear < 1.0:
            raise ValueError(f"shear is the largest off-diagonal entry (0 to below 1), got {self.shear!r}")
        if not 0.0 <= self.bone_scale < 1.0:
            raise ValueError(f"bone_scale is a fraction of each bone's length (0 to below 1), "
                             f"got {self.bone_scale!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """Rotation matrix ``Rz @ Ry @ Rx`` (radians)."""
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def resample_rate(joints: np.ndarray, conf: np.ndarray, rate: float,
                  warp: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation onto the grid ``0, rate, 2 rate, ...`` (rate > 1 = faster motion).
    *warp* ``(u, v)``: the grid is then bent so that the fraction u of the clip is read at the
    fraction v of the source (piecewise linear, ends fixed; same number of frames)."""
    t = np.arange(0.0, len(joints) - 1 + 1e-9, rate)
    if warp is not None and len(joints) > 1:
        end = len(joints) - 1
        t = np.interp(t, [0.0, warp[0] * end, end], [0.0, warp[1] * end, end])
    i0 = np.floor(t).astype(int)
    i1 = np.minimum(i0 + 1, len(joints) - 1)
    w = (t - i0)[:, None, None]
    j = (1 - w) * joints[i0] + w * joints[i1]
    c = np.minimum(conf[i0], conf[i1])
    return j.astype(np.float32), c.astype(np.float32)


# Batching -> length jitter of the bucket sampler. "raw": clips bucketed by their recorded length,
# each augmented when served (rate and crop change its length: 1.58 padded-or-real frames per
# real frame on NW-UCLA with the default augmentation). "augmented": each epoch's rate and crop are
# drawn first and clips bucketed by the resulting length (1.12; see the model card for its dev
# score). Figures: `python benchmarks/train_speed.py`.
BATCHINGS = {"raw": 0.2, "augmented": 0.1}


@dataclass(frozen=True)
class TemporalPlan:
    """The temporal part of one clip's augmentation, drawn before the clip is built so that
    batches can be formed from the lengths the network will actually see."""

    rate: float  # playback rate (1 = unchanged)
    start: int  # first kept frame of the resampled clip
    length: int  # frames kept
    warp: tuple[float, float] | None = None  # (u, v) of :func:`resample_rate`; None = uniform


def resampled_length(frames: int, rate: float) -> int:
    """Frames :func:`resample_rate` returns for a clip of *frames* frames."""
    return len(np.arange(0.0, frames - 1 + 1e-9, rate))


def plan_temporal(frames: int, rng: np.random.Generator, cfg: AugmentConfig) -> TemporalPlan:
    """Draw a random playback rate and temporal sub-window for a clip of *frames* frames."""
    rate = 1.0
    if cfg.rate > 0 and frames > 2:
        rate = float(rng.uniform(1 - cfg.rate, 1 + cfg.rate))
        frames = resampled_length(frames, rate)
    warp = None
    if cfg.warp > 0 and frames > 2:  # no draw when off, so runs without a warp reproduce
        u = float(rng.uniform(0.3, 0.7))
        warp = (u, u + float(rng.uniform(-cfg.warp, cfg.warp)) * min(u, 1.0 - u))
    start, length = 0, frames
    if frames > cfg.min_frames and rng.random() < cfg.crop_prob:
        length = int(rng.integers(max(cfg.min_frames, int(np.ceil(cfg.crop_min * frames))), frames + 1))
        # 0 and 1 draw no extra number, so runs made when this was a yes/no switch reproduce
        keep_end = cfg.crop_keep_end >= 1 or (cfg.crop_keep_end > 0 and rng.random() < cfg.crop_keep_end)
        start = frames - length if keep_end else int(rng.integers(0, frames - length + 1))
    return TemporalPlan(rate, start, length, warp)


def apply_temporal(joints: np.ndarray, conf: np.ndarray, plan: TemporalPlan) -> tuple[np.ndarray, np.ndarray]:
    if plan.rate != 1.0 or plan.warp is not None:
        joints, conf = resample_rate(joints, conf, plan.rate, plan.warp)
    end = plan.start + plan.length
    return joints[plan.start : end], conf[plan.start : end]


def scale_bones(joints: np.ndarray, conf: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``(T, V, 3)`` canonical joints with the bone from each joint's parent to the joint
    *factors* ``(V,)`` times as long (the root's factor unused) and every joint below it moved
    along, so each bone keeps its direction. A bone with an absent end (confidence 0 in a frame)
    keeps its length there."""
    parents = CANONICAL.parents
    shift = np.zeros_like(joints)
    present = conf > 0
    for v in range(len(parents)):  # parents come first in the canonical order (checked by a test)
        p = parents[v]
        if p == v:
            continue
        grow = ((factors[v] - 1.0) * (present[:, v] & present[:, p]))[:, None]
        shift[:, v] = shift[:, p] + grow * (joints[:, v] - joints[:, p])
    return joints + shift


def augment_spatial(joints: np.ndarray, conf: np.ndarray, rng: np.random.Generator,
                    cfg: AugmentConfig) -> tuple[np.ndarray, np.ndarray]:
    """Random bone lengths, rotation, per-axis scale, shear, joint offsets, per-frame jitter and
    mirror of ``(T, V, 3)`` joints."""
    if cfg.bone_scale > 0:  # no draw when off, so runs without it reproduce
        joints = scale_bones(joints, conf, rng.uniform(1 - cfg.bone_scale, 1 + cfg.bone_scale,
                                                       joints.shape[1]))
    d = np.deg2rad
    r = rotation(*(rng.uniform(-1, 1, 3) * [d(cfg.rot_xz_deg), d(cfg.rot_y_deg), d(cfg.rot_xz_deg)]))
    s = rng.uniform(1 - cfg.scale, 1 + cfg.scale, 3)
    out = (joints @ r.T) * s
    if cfg.shear > 0:  # no draw when off, so runs without shear reproduce
        m = np.eye(3)
        m[~np.eye(3, dtype=bool)] = rng.uniform(-cfg.shear, cfg.shear, 6)
        out = out @ m.T
    if cfg.joint_offset > 0:
        out = out + rng.normal(0.0, cfg.joint_offset, (1, *out.shape[1:]))
    if cfg.jitter > 0:
        out = out + rng.normal(0.0, cfg.jitter, out.shape)
    if rng.random() < cfg.mirror_prob:
        out, conf = mirror_joints(out, CANONICAL), conf[:, CANONICAL.flip_index]
    out[conf <= 0] = 0.0  # absent joints stay zero
    return out.astype(np.float32), conf


def augment(joints: np.ndarray, conf: np.ndarray, rng: np.random.Generator,
            cfg: AugmentConfig) -> tuple[np.ndarray, np.ndarray]:
    """Random rate, time warp, temporal crop, bone lengths, rotation, per-axis scale, joint offsets,
    jitter and mirror of ``(T, V, 3)`` joints."""
    joints, conf = apply_temporal(joints, conf, plan_temporal(len(joints), rng, cfg))
    return augment_spatial(joints, conf, rng, cfg)
