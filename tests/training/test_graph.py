"""The canonical body graph: bone distances, the graph convolutions' partitions, body parts."""

from __future__ import annotations

import numpy as np
import pytest

from skelapp.core.layouts import CANONICAL
from skelapp.training.graph import (
    BODY_PARTS,
    graph_partitions,
    hop_distances,
    lateral_part_sides,
    part_joint_indices,
)


def test_hop_distances_count_the_bones_between_two_joints() -> None:
    """Counted on the skeleton, by joint names; symmetric, zero on the diagonal, all connected."""
    idx = CANONICAL.index
    dist = hop_distances()
    assert (dist == dist.T).all() and (np.diag(dist) == 0).all() and dist.min() >= 0
    assert dist[idx("hand_left"), idx("elbow_left")] == 2  # hand - wrist - elbow
    assert dist[idx("hand_left"), idx("shoulder_left")] == 3
    assert dist[idx("hand_left"), idx("hand_right")] == 8  # across the shoulders
    assert dist[idx("foot_left"), idx("hip_center")] == 4


def test_graph_partitions_add_one_partition_per_bone_distance() -> None:
    """hops=3: partitions 4 and 5 link joints exactly two and three bones apart, each column
    averaging its neighbours; hops=1 is ST-GCN's three (self, inward, outward)."""
    dist = hop_distances()
    one = graph_partitions(hops=1)
    assert one.shape == (3, 20, 20)
    assert np.array_equal(one[0], np.eye(20))
    assert ((one[1] > 0) == (one[2] > 0).T).all()  # outward is inward reversed
    assert (((one[1] + one[2]) > 0) == (dist == 1)).all()  # between them, every bone once each way
    parts = graph_partitions(hops=3)
    assert parts.shape == (5, 20, 20)
    assert np.array_equal(parts[:3], one)
    for k in (2, 3):
        assert ((parts[k + 1] > 0) == (dist == k)).all()
        assert np.allclose(parts[k + 1].sum(0), 1.0)  # every joint has a joint k bones away
    with pytest.raises(ValueError, match="graph_hops"):
        graph_partitions(hops=0)


def test_body_parts_name_canonical_joints_and_cover_the_limbs() -> None:
    """Every part's joints are canonical joints, in BODY_PARTS' order; hands and feet are left and
    right, so a part's mean is the same on a mirrored body."""
    indices = part_joint_indices()
    assert len(indices) == len(BODY_PARTS) == 6
    for (name, joints), idx in zip(BODY_PARTS.items(), indices, strict=True):
        assert [CANONICAL.joint_names[i] for i in idx] == list(joints), name
    flip = CANONICAL.flip_index
    for idx in indices:
        assert sorted(flip[idx]) == sorted(idx)  # mirror-symmetric


def test_lateral_part_sides_split_the_sided_parts_into_mirror_images() -> None:
    """Hands, arms, legs and feet (not head or hips) split into their left and right joints, which
    a mirror image swaps."""
    sides = lateral_part_sides()
    sided = [name for name, joints in BODY_PARTS.items() if all("_" in j for j in joints)]
    assert sided == ["hands", "arms", "legs", "feet"] and len(sides) == 4
    flip = CANONICAL.flip_index
    for name, (left, right) in zip(sided, sides, strict=True):
        names = [CANONICAL.joint_names[i] for i in left + right]
        assert sorted(names) == sorted(BODY_PARTS[name])
        assert all(n.endswith("_left") for n in names[: len(left)]) and len(left) == len(right) == 2
        assert list(flip[left]) == right and list(flip[right]) == left
