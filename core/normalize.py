"""Normalisation and model input features, in an offline and an equivalent streaming form.

Per body and per frame (canonical layout, camera space):

1. origin: the hip centre of that frame, or with ``origin_ema`` w > 0 a running (exponential moving)
   average of the hip centre, w the weight of the newest frame: the body's own recent place, so a
   hip that drops (sitting down) or travels (walking) shows in the positions for about 1 / w frames
   and the rest of a long stream's drift fades;
2. scale: divide by an exponential moving average (``scale_ema``) of the torso length
   ``|shoulder_center - hip_center|`` (robust to single-frame glitches, causal);
3. optional facing: rotate about +y so the (EMA-smoothed) left-minus-right hip vector lies
   along +x... i.e. the body faces -z (towards the sensor); with ``facing_shoulders`` the
   left-minus-right shoulder vector is added to it (two estimates of the body's left-right axis);
4. features per joint: centred/scaled/rotated position (3) and, if ``velocity``, the joint's
   displacement since the previous frame in the same scaled/rotated frame, *not* centred, so
   whole-body translation (walking) stays visible (3); with ``velocity_limit`` c > 0 each
   displacement's length d becomes ``c tanh(d / c)`` (direction kept): a tracking glitch (a joint
   jumping metres between frames) is capped near c while ordinary motion barely changes;
   with ``acceleration`` (needs ``velocity``) also the change of that displacement since the
   previous frame (3; zero until two displacements exist), so the first layer sees two frames
   of motion at once;
5. optional ``body_frame``: each joint's bone direction (unit vector from its parent; zero for the
   root) in the body's own frame of that frame: x along the hip line from the left to the right
   hip, y up the spine, z = x cross y; for an upright body facing the sensor that is the camera
   frame (3). It depends on the pose only, not on where the camera stands or how it is tilted;
   it mirrors like a position (x negated), so :func:`mirror_sign` covers it.

A body that is absent (all confidence 0) in a frame gets all-zero features for that frame and
does not update the running statistics. :func:`compute_features` (offline) and
:class:`StreamingFeaturizer` (one frame at a time) give identical results; tests prove it.
:class:`NormParams` lets the GUI invert positions back to camera space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from .layouts import CANONICAL

HIP = CANONICAL.index("hip_center")
SHOULDER_CENTER = CANONICAL.index("shoulder_center")
HIP_LEFT = CANONICAL.index("hip_left")
HIP_RIGHT = CANONICAL.index("hip_right")
SHOULDER_LEFT = CANONICAL.index("shoulder_left")
SHOULDER_RIGHT = CANONICAL.index("shoulder_right")
_PARENTS = CANONICAL.parents  # the root is its own parent: its bone is zero


@dataclass(frozen=True)
class FeatureConfig:
    fps: float = 15.0  # the model's fixed frame rate; sources are resampled to it
    velocity: bool = True
    acceleration: bool = False  # the change of the velocity since the previous frame (see above)
    facing: bool = False
    facing_shoulders: bool = False  # facing also reads the shoulder line (see the module docstring)
    body_frame: bool = False  # add bone directions in the body's own frame (see the module docstring)
    velocity_limit: float = 0.0  # torso lengths per frame; soft cap on displacements (see above), 0 = off
    origin_ema: float = 0.0  # weight of the newest hip centre in a running origin (see above), 0 = per frame
    scale_ema: float = 0.1  # weight of the newest torso length in the running scale
    min_torso: float = 0.05  # metres; below this the torso is treated as unknown

    def __post_init__(self) -> None:
        if self.acceleration and not self.velocity:
            raise ValueError("acceleration is the change of the velocity: it needs velocity=True")
        if not self.velocity_limit >= 0:
            raise ValueError(f"velocity_limit is a length in torso lengths per frame (>= 0, 0 = off), "
                             f"got {self.velocity_limit!r}")
        if not 0.0 <= self.origin_ema <= 1.0:
            raise ValueError(f"origin_ema is the weight of the newest frame in the running origin "
                             f"(0 = each frame's own hip centre, up to 1), got {self.origin_ema!r}")

    @property
    def channels(self) -> int:
        return 3 * (1 + self.velocity + self.acceleration + self.body_frame)

    @property
    def velocity_channels(self) -> slice | None:
        """Where the velocity sits in a joint's feature vector (after its position), or None."""
        return slice(3, 6) if self.velocity else None

    @property
    def acceleration_channels(self) -> slice | None:
        """Where the acceleration sits (after the velocity), or None."""
        return slice(6, 9) if self.acceleration else None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureConfig:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class NormParams:
    """Per-frame transform: ``normalised = R @ (p - origin) / scale``."""

    origin: np.ndarray  # (3,)
    scale: float
    rotation: np.ndarray  # (3, 3)

    def invert(self, normalised: np.ndarray) -> np.ndarray:
        return (normalised * self.scale) @ self.rotation + self.origin


def _y_rotation(across: np.ndarray) -> np.ndarray:
    """Rotation about y mapping the xz-projection of *across* onto -x (sensor convention:
    a body facing the sensor has its left side at -x)."""
    ang = np.arctan2(across[2], across[0])  # angle of across in the xz plane
    target = np.pi  # -x
    a = target - ang
    c, s = np.cos(a), np.sin(a)
    # rotation by angle a in the (x, z) plane
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]], dtype=np.float64)


class StreamingFeaturizer:
    """Causal per-body feature computation, one frame at a time."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._scale: float | None = None
        self._across: np.ndarray | None = None
        self._prev: np.ndarray | None = None  # previous frame, scaled+rotated, uncentred
        self._prev_velocity: np.ndarray | None = None  # previous frame's velocity (acceleration)
        self._origin: np.ndarray | None = None  # running hip centre (origin_ema > 0), camera space

    def push(self, joints: np.ndarray, confidence: np.ndarray) -> tuple[np.ndarray, NormParams | None]:
        """``joints`` (V, 3) canonical, ``confidence`` (V,) -> features (V, C)."""
        cfg = self.config
        out = np.zeros((joints.shape[0], cfg.channels), np.float32)
        if not np.any(confidence > 0):
            self._prev = self._prev_velocity = None
            return out, None
        j = joints.astype(np.float64)
        torso = float(np.linalg.norm(j[SHOULDER_CENTER] - j[HIP]))
        if torso >= cfg.min_torso:
            self._scale = torso if self._scale is None else (
                (1 - cfg.scale_ema) * self._scale + cfg.scale_ema * torso
            )
        scale = self._scale if self._scale is not None else 1.0
        rot = np.eye(3)
        if cfg.facing:
            across = j[HIP_LEFT] - j[HIP_RIGHT]
            if cfg.facing_shoulders:
                across = across + j[SHOULDER_LEFT] - j[SHOULDER_RIGHT]
            self._across = across if self._across is None else (
                (1 - cfg.scale_ema) * self._across + cfg.scale_ema * across
            )
            rot = _y_rotation(self._across)
        origin = j[HIP]
        if cfg.origin_ema > 0:
            self._origin = origin = origin if self._origin is None else (
                (1 - cfg.origin_ema) * self._origin + cfg.origin_ema * origin
            )
        scaled = (j @ rot.T) / scale
        out[:, :3] = scaled - (origin @ rot.T) / scale
        if cfg.velocity:
            if self._prev is not None:
                velocity = soft_limit(scaled - self._prev, cfg.velocity_limit)
                out[:, cfg.velocity_channels] = velocity
                if cfg.acceleration:
                    if self._prev_velocity is not None:
                        out[:, cfg.acceleration_channels] = velocity - self._prev_velocity
                    self._prev_velocity = velocity
            self._prev = scaled
        if cfg.body_frame:
            out[:, -3:] = body_frame_directions(j)
        return out, NormParams(origin, scale, rot)


def soft_limit(v: np.ndarray, limit: float) -> np.ndarray:
    """Rows of *v* with their length d replaced by ``limit * tanh(d / limit)`` (direction kept;
    ``limit`` 0 = unchanged)."""
    if limit <= 0:
        return v
    d = np.linalg.norm(v, axis=-1, keepdims=True)
    return v * np.where(d > 1e-12, limit * np.tanh(d / limit) / np.maximum(d, 1e-12), 1.0)


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows of *v* scaled to length 1; rows shorter than 1e-6 become zero."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n > 1e-6, v / np.maximum(n, 1e-6), 0.0)


def body_frame_directions(joints: np.ndarray) -> np.ndarray:
    """``(..., V, 3)`` canonical joints -> ``(..., V, 3)`` unit bone directions (joint minus parent)
    in each frame's body frame: y = hip centre to shoulder centre, x = right hip minus left hip made
    orthogonal to y, z = x cross y. Zero where a direction or the frame is undefined."""
    joints = np.asarray(joints, np.float64)
    up = _unit(joints[..., SHOULDER_CENTER, :] - joints[..., HIP, :])
    across = joints[..., HIP_LEFT, :] - joints[..., HIP_RIGHT, :]
    x = -_unit(across - (across * up).sum(-1, keepdims=True) * up)
    frame = np.stack([x, up, np.cross(x, up)], axis=-2)  # (..., 3 axes, 3): the body axes, camera coords
    frame = frame * (np.any(x, -1) & np.any(up, -1))[..., None, None]  # undefined frame: all zero
    bones = _unit(joints - joints[..., _PARENTS, :])
    return (bones[..., :, None, :] * frame[..., None, :, :]).sum(-1).astype(np.float32)


def compute_features(
    joints: np.ndarray, confidence: np.ndarray, config: FeatureConfig
) -> np.ndarray:
    """Offline form: ``(T, V, 3)`` + ``(T, V)`` -> ``(T, V, C)`` float32 (one body)."""
    fz = StreamingFeaturizer(replace(config, body_frame=False))
    feats = np.stack([fz.push(joints[t], confidence[t])[0] for t in range(len(joints))])
    if not config.body_frame:
        return feats
    present = np.any(np.asarray(confidence) > 0, axis=-1)[:, None, None]  # per frame (no loop: speed)
    return np.concatenate([feats, body_frame_directions(joints) * present], axis=-1)


def mirror_sign(channels: int) -> np.ndarray:
    """``(C,)`` factors that mirror a feature vector: -1 on the x of each xyz triple (position,
    velocity, acceleration, body-frame direction), +1 elsewhere."""
    sign = np.ones(channels, np.float32)
    sign[0::3] = -1.0
    return sign


def mirror_features(features: np.ndarray) -> np.ndarray:
    """Features ``(..., V, C)`` of the mirrored body (x negated, left/right joints swapped).

    The features commute with mirroring (the facing rotation is mirror-equivariant), so this
    equals ``compute_features(mirror_joints(joints))`` without recomputing anything."""
    flipped = features[..., CANONICAL.flip_index, :]
    return (flipped * mirror_sign(features.shape[-1])).astype(np.float32)


def sequence_features(seq, config: FeatureConfig) -> np.ndarray:
    """``(M, T, V, C)`` features for every body slot of a canonical :class:`SkeletonSequence`."""
    if seq.layout.name != CANONICAL.name:
        raise ValueError(f"sequence_features needs the canonical layout, got {seq.layout.name}")
    return np.stack(
        [compute_features(seq.joints[:, m], seq.confidence[:, m], config) for m in range(seq.num_bodies)]
    )
