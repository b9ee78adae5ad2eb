"""Convert any joint layout to the canonical 20-joint body, mirror, and check handedness.

Rules for joints a source lacks (each canonical joint is a weighted mean of source joints):

* NTU / Kinect v2: hip_center = spine_base, spine = spine_mid, shoulder_center =
  spine_shoulder; limbs one to one. (neck, hand tips and thumbs are dropped.)
* MSR Action3D: reordered one to one; its ``neck`` is the shoulder centre.
* MediaPipe Pose: hip_center = mid-hips; shoulder_center = mid-shoulders; spine = 0.57 of the
  way from hip_center to shoulder_center (NTU spine_mid sits at 0.571-0.575 in all 12 NTU
  samples); head = mean of the ears; hand = mean of index, pinky and thumb; foot = mean of
  ankle and foot_index (mid-foot). Checked against the NTU video/skeleton pair: see
  docs/joint_mapping.md (``python -m skelapp.devices.mapping_check``).
* Azure Kinect: hip_center = pelvis, spine = spine_navel, shoulder_center = mean of the two
  clavicles, head = head; limbs one to one.

The confidence of a derived joint is the minimum over the joints it is made from.
"""

from __future__ import annotations

import numpy as np

from .errors import LayoutMismatchError
from .layouts import (
    AZURE_KINECT,
    CANONICAL,
    KINECT_V1,
    MEDIAPIPE_POSE,
    MSR_ACTION3D,
    NTU25,
    JointLayout,
)
from .skeleton import SkeletonFrame, SkeletonSequence

_LIMBS = [
    f"{part}_{side}"
    for side in ("left", "right")
    for part in ("shoulder", "elbow", "wrist", "hand")
]
_LEGS = [f"{part}_{side}" for side in ("left", "right") for part in ("hip", "knee", "ankle", "foot")]

# canonical joint -> {source joint: weight}
Recipe = dict[str, dict[str, float]]


def _identity(names: list[str]) -> Recipe:
    return {n: {n: 1.0} for n in names}


_RECIPES: dict[str, Recipe] = {
    NTU25.name: {
        "hip_center": {"spine_base": 1.0},
        "spine": {"spine_mid": 1.0},
        "shoulder_center": {"spine_shoulder": 1.0},
        "head": {"head": 1.0},
        **_identity(_LIMBS + _LEGS),
    },
    MSR_ACTION3D.name: {
        "hip_center": {"hip_center": 1.0},
        "spine": {"spine": 1.0},
        "shoulder_center": {"neck": 1.0},
        "head": {"head": 1.0},
        **_identity(_LIMBS + _LEGS),
    },
    MEDIAPIPE_POSE.name: {
        "hip_center": {"hip_left": 0.5, "hip_right": 0.5},
        "spine": {"hip_left": 0.215, "hip_right": 0.215, "shoulder_left": 0.285, "shoulder_right": 0.285},
        "shoulder_center": {"shoulder_left": 0.5, "shoulder_right": 0.5},
        "head": {"ear_left": 0.5, "ear_right": 0.5},
        **_identity([f"{p}_{s}" for s in ("left", "right") for p in ("shoulder", "elbow", "wrist")]),
        **{
            f"hand_{s}": {f"index_{s}": 1 / 3, f"pinky_{s}": 1 / 3, f"thumb_{s}": 1 / 3}
            for s in ("left", "right")
        },
        **_identity([f"{p}_{s}" for s in ("left", "right") for p in ("hip", "knee", "ankle")]),
        **{f"foot_{s}": {f"ankle_{s}": 0.5, f"foot_index_{s}": 0.5} for s in ("left", "right")},
    },
    AZURE_KINECT.name: {
        "hip_center": {"pelvis": 1.0},
        "spine": {"spine_navel": 1.0},
        "shoulder_center": {"clavicle_left": 0.5, "clavicle_right": 0.5},
        "head": {"head": 1.0},
        **_identity(_LIMBS + _LEGS),
    },
    KINECT_V1.name: _identity(list(KINECT_V1.joint_names)),
    CANONICAL.name: _identity(list(CANONICAL.joint_names)),
}


def conversion_matrix(layout: JointLayout) -> np.ndarray:
    """``(20, V_src)`` weights: canonical = W @ source joints."""
    try:
        recipe = _RECIPES[layout.name]
    except KeyError:
        raise LayoutMismatchError(f"no conversion from layout {layout.name!r} to canonical") from None
    w = np.zeros((CANONICAL.num_joints, layout.num_joints), np.float32)
    for ci, name in enumerate(CANONICAL.joint_names):
        for src, weight in recipe[name].items():
            w[ci, layout.index(src)] = weight
    return w


def _convert_arrays(joints, conf, xy, layout):
    w = conversion_matrix(layout)
    j = np.einsum("cv,...vd->...cd", w, joints).astype(np.float32)
    mask = w > 0  # (20, Vsrc)
    c = np.where(mask, conf[..., None, :], np.inf).min(axis=-1).astype(np.float32)
    c[~np.isfinite(c)] = 0.0
    x = None if xy is None else np.einsum("cv,...vd->...cd", w, xy).astype(np.float32)
    return j, c, x


def to_canonical(seq: SkeletonSequence) -> SkeletonSequence:
    """Return *seq* in the canonical 20-joint layout (no-op if it already is)."""
    if seq.layout.name == CANONICAL.name:
        return seq
    j, c, x = _convert_arrays(seq.joints, seq.confidence, seq.image_xy, seq.layout)
    return SkeletonSequence(
        j, c, seq.timestamps, CANONICAL, seq.body_ids, x, seq.source, seq.fps, dict(seq.meta)
    )


def frame_to_canonical(frame: SkeletonFrame) -> SkeletonFrame:
    if frame.layout.name == CANONICAL.name:
        return frame
    j, c, x = _convert_arrays(frame.joints, frame.confidence, frame.image_xy, frame.layout)
    return SkeletonFrame(j, c, frame.timestamp, frame.index, CANONICAL, frame.body_ids, x, frame.image)


def opencv_to_skelapp(points: np.ndarray) -> np.ndarray:
    """OpenCV-style camera axes (x right, y down, z forward: MediaPipe world landmarks, Azure
    Kinect / k4abt) -> skelapp camera space, the proper rotation ``(x, y, z) -> (-x, -y, z)``.
    Returns a float64 copy."""
    p = np.array(points, np.float64, copy=True)
    p[..., :2] *= -1.0
    return p


def mirror_joints(joints: np.ndarray, layout: JointLayout) -> np.ndarray:
    """Mirror ``(..., V, 3)`` joints in x and swap left/right names: the same person as seen in
    a mirror, labelled anatomically again."""
    out = np.array(joints[..., layout.flip_index, :], dtype=np.float32, copy=True)
    out[..., 0] *= -1.0
    return out


def facing_direction(joints: np.ndarray, layout: JointLayout = CANONICAL) -> np.ndarray:
    """Unit vector the body faces, ``(..., 3)``, from ``(..., V, 3)`` joints.

    ``cross(left_shoulder - right_shoulder, shoulder_center - hip_center)``: with anatomically
    correct labels in a right-handed frame, this points out of the chest.
    """
    names = layout.joint_names
    if "shoulder_center" in names:
        up = joints[..., layout.index("shoulder_center"), :] - joints[..., layout.index("hip_center"), :]
    else:
        up = np.zeros_like(joints[..., 0, :])
        up[..., 1] = 1.0
    across = joints[..., layout.index("shoulder_left"), :] - joints[..., layout.index("shoulder_right"), :]
    f = np.cross(across, up)
    return f / np.maximum(np.linalg.norm(f, axis=-1, keepdims=True), 1e-9)


def bone_lengths(joints: np.ndarray, layout: JointLayout) -> np.ndarray:
    """``(..., n_bones)`` Euclidean bone lengths."""
    c = [b[0] for b in layout.bones]
    p = [b[1] for b in layout.bones]
    return np.linalg.norm(joints[..., c, :] - joints[..., p, :], axis=-1)
