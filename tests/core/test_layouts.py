"""Joint layouts: bones form trees, left/right flips are involutions that swap names."""

from __future__ import annotations

import numpy as np
import pytest

from skelapp.core.layouts import (
    AZURE_KINECT,
    CANONICAL,
    KINECT_V1,
    LAYOUTS,
    MEDIAPIPE_POSE,
    MSR_ACTION3D,
    NTU25,
    JointLayout,
    get_layout,
)

ALL = list(LAYOUTS.values())


@pytest.mark.parametrize("layout", ALL, ids=lambda lay: lay.name)
def test_bones_form_a_spanning_tree(layout: JointLayout):
    children = [c for c, _ in layout.bones]
    assert len(layout.bones) == layout.num_joints - 1
    assert sorted(children) == sorted(set(range(layout.num_joints)) - {layout.root})
    par = layout.parents
    for j in range(layout.num_joints):  # every joint reaches the root without a cycle
        k, steps = j, 0
        while k != layout.root:
            k, steps = int(par[k]), steps + 1
            assert steps <= layout.num_joints, f"{layout.name}: cycle through joint {j}"


KINECT_STYLE = [KINECT_V1, CANONICAL, NTU25, MSR_ACTION3D, AZURE_KINECT]


@pytest.mark.parametrize("layout", KINECT_STYLE, ids=lambda x: x.name)
def test_kinect_style_roots_are_the_pelvis(layout):
    assert layout.joint_names[layout.root] in ("hip_center", "spine_base", "pelvis")


@pytest.mark.parametrize("layout", ALL, ids=lambda lay: lay.name)
def test_flip_index_is_an_involution_swapping_sides(layout: JointLayout):
    f = layout.flip_index
    np.testing.assert_array_equal(f[f], np.arange(layout.num_joints))
    for i, name in enumerate(layout.joint_names):
        side = layout.side(i)
        twin = layout.joint_names[f[i]]
        if side == "centre":
            assert f[i] == i
        else:
            assert twin == name.replace(side, "right" if side == "left" else "left")
    if layout is MEDIAPIPE_POSE:
        return  # its tree is rooted at hip_left, so it is asymmetric by construction
    # bones map to bones under the flip (the skeleton is symmetric)
    bones = {frozenset(b) for b in layout.bones}
    flipped = {frozenset((int(f[c]), int(f[p]))) for c, p in layout.bones}
    assert flipped == bones


def test_adjacency_and_index():
    a = NTU25.adjacency()
    assert (a == a.T).all() and a.sum() == 2 * len(NTU25.bones) and np.trace(a) == 0
    assert MSR_ACTION3D.index("head") == 19 and MSR_ACTION3D.index("hip_center") == 6
    assert MEDIAPIPE_POSE.joint_names[MEDIAPIPE_POSE.root] == "hip_left"
    with pytest.raises(KeyError, match="no joint"):
        NTU25.index("tail")
    with pytest.raises(KeyError, match="unknown joint layout"):
        get_layout("nope")
    assert get_layout("ntu25") is NTU25


def test_layout_validation():
    with pytest.raises(ValueError, match="duplicate"):
        JointLayout("x", ("a", "a"), ())
    with pytest.raises(ValueError, match="out of range"):
        JointLayout("x", ("a", "b"), ((1, 2),))
