"""The canonical body as a graph: its body parts, bone distances between joints and the adjacency
partitions of the graph convolutions."""

from __future__ import annotations

import numpy as np

from skelapp.core.layouts import CANONICAL, JointLayout

# Joint groups of the canonical body used for part-level language supervision.
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "head": ("head", "shoulder_center"),
    "hands": ("wrist_left", "hand_left", "wrist_right", "hand_right"),
    "arms": ("shoulder_left", "elbow_left", "shoulder_right", "elbow_right"),
    "hips": ("hip_center", "spine", "hip_left", "hip_right"),
    "legs": ("hip_left", "knee_left", "hip_right", "knee_right"),
    "feet": ("ankle_left", "foot_left", "ankle_right", "foot_right"),
}


def part_joint_indices(layout: JointLayout = CANONICAL) -> list[list[int]]:
    """Joint indices of each of :data:`BODY_PARTS`, in its order."""
    return [[layout.index(j) for j in joints] for joints in BODY_PARTS.values()]


def lateral_part_sides(layout: JointLayout = CANONICAL) -> list[tuple[list[int], list[int]]]:
    """For each of :data:`BODY_PARTS` whose joints all have a side (hands, arms, legs, feet), in
    its order: the indices of its left joints and of its right joints."""
    sides = []
    for joints in BODY_PARTS.values():
        if all(j.endswith(("_left", "_right")) for j in joints):
            sides.append(([layout.index(j) for j in joints if j.endswith("_left")],
                          [layout.index(j) for j in joints if j.endswith("_right")]))
    return sides


def hop_distances(layout: JointLayout = CANONICAL) -> np.ndarray:
    """``(V, V)`` number of bones on the shortest path between two joints (-1 if unconnected)."""
    adj = layout.adjacency()  # 0/1
    v = layout.num_joints
    dist = np.full((v, v), -1, np.int64)
    np.fill_diagonal(dist, 0)
    reach = np.eye(v, dtype=bool)  # joints within d - 1 bones of each joint
    for d in range(1, v):
        new = ((reach @ adj) > 0) & ~reach
        if not new.any():
            break
        dist[new] = d
        reach |= new
    return dist


def graph_partitions(layout: JointLayout = CANONICAL, hops: int = 1) -> np.ndarray:
    """``(2 + hops, V, V)`` partitions: ST-GCN's self, normalised inward and outward neighbours,
    then for each distance 2..*hops* the joints exactly that many bones apart (normalised)."""
    if hops < 1:
        raise ValueError(f"graph_hops is a graph distance >= 1, got {hops!r}")
    v = layout.num_joints
    inward = np.zeros((v, v), np.float32)
    for c, p in layout.bones:
        if c != p:
            inward[c, p] = 1.0  # child gathers from parent... and the transpose the reverse

    def norm(a: np.ndarray) -> np.ndarray:
        deg = a.sum(0)
        return a / np.where(deg > 0, deg, 1.0)[None, :]

    far = []
    if hops > 1:
        dist = hop_distances(layout)
        far = [norm((dist == k).astype(np.float32)) for k in range(2, hops + 1)]
    return np.stack([np.eye(v, dtype=np.float32), norm(inward), norm(inward.T), *far])
