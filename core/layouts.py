"""Joint layouts as data: names, bones (child -> parent) and left/right symmetry.

Coordinate convention for every layout once read by skelapp ("camera space"): metres,
right-handed, +y up, +z from the sensor into the scene, +x to the sensor's left (Kinect
convention). Joint names say the *subject's anatomical* side. For a person facing the sensor,
``cross(left_shoulder - right_shoulder, up)`` then points towards the sensor (-z); that is the
geometric handedness check used by tests (see :func:`skelapp.core.conversion.facing_direction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class JointLayout:
    name: str
    joint_names: tuple[str, ...]
    bones: tuple[tuple[int, int], ...]  # (child, parent), 0-based
    root: int = 0
    description: str = ""
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(self.joint_names)})
        if len(self._index) != len(self.joint_names):
            raise ValueError(f"layout {self.name}: duplicate joint names")
        for c, p in self.bones:
            if not (0 <= c < self.num_joints and 0 <= p < self.num_joints):
                raise ValueError(f"layout {self.name}: bone ({c}, {p}) out of range")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"layout {self.name} has no joint {name!r}") from None

    @property
    def parents(self) -> np.ndarray:
        """Parent index per joint (root's parent is itself)."""
        par = np.arange(self.num_joints)
        for c, p in self.bones:
            par[c] = p
        return par

    @property
    def flip_index(self) -> np.ndarray:
        """Permutation that swaps every ``*left*`` joint with its ``*right*`` twin."""
        perm = np.arange(self.num_joints)
        for i, n in enumerate(self.joint_names):
            for a, b in (("left", "right"), ("right", "left")):
                if a in n:
                    twin = n.replace(a, b)
                    if twin in self._index:
                        perm[i] = self._index[twin]
        return perm

    def side(self, i: int) -> str:
        """'left', 'right' or 'centre' for joint *i*."""
        n = self.joint_names[i]
        return "left" if "left" in n else "right" if "right" in n else "centre"

    def adjacency(self) -> np.ndarray:
        """Symmetric 0/1 adjacency (V, V) without self loops."""
        a = np.zeros((self.num_joints, self.num_joints), dtype=np.float32)
        for c, p in self.bones:
            if c != p:
                a[c, p] = a[p, c] = 1.0
        return a


def _bones(pairs_1based: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    return tuple((c - 1, p - 1) for c, p in pairs_1based)


# Canonical body = Kinect v1 SDK joint order. Every source converts to this.
_KINECT_V1_NAMES = (
    "hip_center", "spine", "shoulder_center", "head",
    "shoulder_left", "elbow_left", "wrist_left", "hand_left",
    "shoulder_right", "elbow_right", "wrist_right", "hand_right",
    "hip_left", "knee_left", "ankle_left", "foot_left",
    "hip_right", "knee_right", "ankle_right", "foot_right",
)  # fmt: skip
_KINECT_V1_BONES = _bones([
    (2, 1), (3, 2), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7), (9, 3), (10, 9), (11, 10),
    (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
])  # fmt: skip

KINECT_V1 = JointLayout("kinect_v1", _KINECT_V1_NAMES, _KINECT_V1_BONES,
                        description="Kinect v1 SDK order, 20 joints (NW-UCLA)")
CANONICAL = JointLayout("canonical20", _KINECT_V1_NAMES, _KINECT_V1_BONES,
                        description="skelapp canonical body: Kinect v1 joints, 20")

NTU25 = JointLayout(
    "ntu25",
    (
        "spine_base", "spine_mid", "neck", "head",
        "shoulder_left", "elbow_left", "wrist_left", "hand_left",
        "shoulder_right", "elbow_right", "wrist_right", "hand_right",
        "hip_left", "knee_left", "ankle_left", "foot_left",
        "hip_right", "knee_right", "ankle_right", "foot_right",
        "spine_shoulder", "handtip_left", "thumb_left", "handtip_right", "thumb_right",
    ),
    _bones([
        (2, 1), (21, 2), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
        (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
        (20, 19), (22, 8), (23, 8), (24, 12), (25, 12),
    ]),
    description="NTU RGB+D / Kinect v2, 25 joints",
)  # fmt: skip

MSR_ACTION3D = JointLayout(
    "msr_action3d",
    (
        "shoulder_left", "shoulder_right", "neck", "spine", "hip_left", "hip_right",
        "hip_center", "elbow_left", "elbow_right", "wrist_left", "wrist_right",
        "hand_left", "hand_right", "knee_left", "knee_right", "ankle_left", "ankle_right",
        "foot_left", "foot_right", "head",
    ),
    _bones([
        (4, 7), (3, 4), (20, 3), (1, 3), (2, 3), (8, 1), (9, 2), (10, 8), (11, 9), (12, 10),
        (13, 11), (5, 7), (6, 7), (14, 5), (15, 6), (16, 14), (17, 15), (18, 16), (19, 17),
    ]),
    root=6,
    description="MSR Action3D's own order, 20 joints (hip centre = 7, head = 20, 1-based)",
)  # fmt: skip

MEDIAPIPE_POSE = JointLayout(
    "mediapipe_pose",
    (
        "nose", "eye_inner_left", "eye_left", "eye_outer_left", "eye_inner_right",
        "eye_right", "eye_outer_right", "ear_left", "ear_right", "mouth_left", "mouth_right",
        "shoulder_left", "shoulder_right", "elbow_left", "elbow_right", "wrist_left",
        "wrist_right", "pinky_left", "pinky_right", "index_left", "index_right",
        "thumb_left", "thumb_right", "hip_left", "hip_right", "knee_left", "knee_right",
        "ankle_left", "ankle_right", "heel_left", "heel_right", "foot_index_left",
        "foot_index_right",
    ),
    _bones([
        (2, 1), (3, 2), (4, 3), (8, 4), (5, 1), (6, 5), (7, 6), (9, 7), (10, 1), (11, 1),
        (13, 12), (14, 12), (15, 13), (16, 14), (17, 15), (18, 16), (19, 17), (20, 16),
        (21, 17), (22, 16), (23, 17), (12, 24), (25, 24), (26, 24), (27, 25), (28, 26),
        (29, 27), (30, 28), (31, 29), (32, 30), (33, 31), (1, 12),
    ]),  # a tree rooted at hip_left; the face hangs off shoulder_left (MediaPipe has no neck)
    root=23,
    description="MediaPipe Pose landmarks, 33 (names as subject's side)",
)  # fmt: skip

AZURE_KINECT = JointLayout(
    "azure_kinect",
    (
        "pelvis", "spine_navel", "spine_chest", "neck", "clavicle_left", "shoulder_left",
        "elbow_left", "wrist_left", "hand_left", "handtip_left", "thumb_left",
        "clavicle_right", "shoulder_right", "elbow_right", "wrist_right", "hand_right",
        "handtip_right", "thumb_right", "hip_left", "knee_left", "ankle_left", "foot_left",
        "hip_right", "knee_right", "ankle_right", "foot_right", "head", "nose", "eye_left",
        "ear_left", "eye_right", "ear_right",
    ),
    _bones([
        (2, 1), (3, 2), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7), (9, 8), (10, 9), (11, 8),
        (12, 3), (13, 12), (14, 13), (15, 14), (16, 15), (17, 16), (18, 15), (19, 1),
        (20, 19), (21, 20), (22, 21), (23, 1), (24, 23), (25, 24), (26, 25), (27, 4),
        (28, 27), (29, 27), (30, 27), (31, 27), (32, 27),
    ]),
    description="Azure Kinect Body Tracking (k4abt), 32 joints",
)  # fmt: skip

LAYOUTS: dict[str, JointLayout] = {
    lay.name: lay for lay in (CANONICAL, KINECT_V1, NTU25, MSR_ACTION3D, MEDIAPIPE_POSE, AZURE_KINECT)
}


def get_layout(name: str) -> JointLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"unknown joint layout {name!r}; known: {', '.join(LAYOUTS)}") from None
