"""Conversion to the canonical body on real files: plausible bone lengths, handedness by geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.azure_kinect_csv import read_azure_kinect_csv
from skelapp.core.conversion import (
    bone_lengths,
    conversion_matrix,
    facing_direction,
    frame_to_canonical,
    mirror_joints,
    to_canonical,
)
from skelapp.core.errors import LayoutMismatchError
from skelapp.core.layouts import CANONICAL, LAYOUTS, NTU25, JointLayout
from skelapp.core.msr_action3d import read_msr_action3d
from skelapp.core.ntu_skeleton import read_ntu_skeleton
from skelapp.core.nw_ucla import read_nw_ucla
from skelapp.core.skeleton import SkeletonSequence

UPPER_ARMS = [i for i, (c, p) in enumerate(CANONICAL.bones)
              if CANONICAL.joint_names[c].startswith("elbow")]
B = {CANONICAL.joint_names[c]: i for i, (c, _) in enumerate(CANONICAL.bones)}


def _body_stats(seq) -> list[tuple[float, float]]:
    """Per body: median upper-arm length and median joint-chain height (head .. ankle), metres."""
    canon = to_canonical(seq)
    out = []
    for m in range(canon.num_bodies):
        j = canon.joints[canon.present()[:, m], m]
        if not len(j):
            continue
        b = bone_lengths(j, CANONICAL)
        leg = b[:, [B["knee_left"], B["ankle_left"], B["knee_right"], B["ankle_right"]]].sum(1) / 2
        height = b[:, B["spine"]] + b[:, B["shoulder_center"]] + b[:, B["head"]] + leg
        out.append((float(np.median(b[:, UPPER_ARMS])), float(np.median(height))))
    return out


def _check_dataset(seqs, min_bodies: int) -> None:
    stats = np.array([s for seq in seqs for s in _body_stats(seq)])
    assert len(stats) >= min_bodies
    arm, height = stats[:, 0], stats[:, 1]
    assert 0.2 <= np.median(arm) <= 0.4 and 1.2 <= np.median(height) <= 1.9
    assert ((arm > 0.15) & (arm < 0.4)).all(), arm.min()
    assert ((height > 1.0) & (height < 2.0)).all(), (height.min(), height.max())


def test_ntu_bone_lengths(ntu_dir: Path):
    _check_dataset([read_ntu_skeleton(f) for f in sorted(ntu_dir.glob("*.skeleton"))], 19)


def test_nw_ucla_bone_lengths(nw_ucla_dir: Path):
    _check_dataset([read_nw_ucla(f) for f in sorted(nw_ucla_dir.glob("*.json"))], 1484)


def test_msr_bone_lengths(msr_dir: Path):
    _check_dataset([read_msr_action3d(f) for f in sorted(msr_dir.glob("*.txt"))], 566)


def test_azure_bone_lengths(azure_csv_dir: Path):
    _check_dataset([read_azure_kinect_csv(f) for f in sorted(azure_csv_dir.glob("*.csv"))], 2)


def _facing_sensor_fraction(joints: np.ndarray) -> float:
    return float((facing_direction(joints)[..., 2] < 0).mean())


def test_ntu_front_camera_faces_sensor_and_mirror_reflects(ntu_dir: Path):
    files = [f for f in sorted(ntu_dir.glob("*.skeleton")) if f.stem[4:8] in ("C001", "C002")]
    assert len(files) >= 5
    for f in files:
        seq = to_canonical(read_ntu_skeleton(f))
        for m in range(seq.num_bodies):
            j = seq.joints[:, m]
            assert _facing_sensor_fraction(j) > 0.8, f.name
            mirrored = mirror_joints(j, CANONICAL)
            # a labelled mirror image: facing reflects in x (M f), so it still faces the sensor
            expect = facing_direction(j) * [-1, 1, 1]
            np.testing.assert_allclose(facing_direction(mirrored), expect, atol=1e-4)
            # reflecting without relabelling (a handedness bug) turns the body around
            reflected = j * np.array([-1, 1, 1], np.float32)
            assert _facing_sensor_fraction(reflected) < 0.2, f.name
            # swapping labels alone also turns it around
            assert _facing_sensor_fraction(j[:, CANONICAL.flip_index]) < 0.2, f.name
            np.testing.assert_array_equal(mirror_joints(mirrored, CANONICAL), j)


def test_other_datasets_face_the_sensor(nw_ucla_dir: Path, msr_dir: Path, azure_csv_dir: Path):
    ucla = [read_nw_ucla(f) for f in sorted(nw_ucla_dir.glob("*.json"))[::10]]
    msr = [read_msr_action3d(f) for f in sorted(msr_dir.glob("*.txt"))[::10]]
    for seqs in (ucla, msr):
        fr = [_facing_sensor_fraction(to_canonical(s).joints[s.present()]) for s in seqs if s.present().any()]
        assert np.median(fr) > 0.9
    front = to_canonical(read_azure_kinect_csv(azure_csv_dir / "26_07_15_56_53.csv"))
    assert _facing_sensor_fraction(front.joints) > 0.5
    assert np.mean(facing_direction(front.joints[:, 0])[:, 2]) < -0.3


def test_ntu_conversion_rules(ntu_dir: Path):
    seq = read_ntu_skeleton(ntu_dir / "S001C001P001R001A001.skeleton")
    canon = to_canonical(seq)
    assert canon.layout is CANONICAL and canon.joints.shape == (103, 1, 20, 3)
    for cname, nname in [("hip_center", "spine_base"), ("shoulder_center", "spine_shoulder"),
                         ("hand_left", "hand_left"), ("foot_right", "foot_right")]:
        np.testing.assert_array_equal(canon.joints[..., CANONICAL.index(cname), :],
                                      seq.joints[..., NTU25.index(nname), :])
    np.testing.assert_array_equal(canon.image_xy[..., 0, :], seq.image_xy[..., 0, :])
    # frame form equals sequence form
    fr = frame_to_canonical(next(seq.frames()))
    np.testing.assert_array_equal(fr.joints, canon.joints[0])
    np.testing.assert_array_equal(fr.confidence, canon.confidence[0])
    assert to_canonical(canon) is canon


@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=lambda x: x.name)
def test_conversion_weights_sum_to_one(layout):
    w = conversion_matrix(layout)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)


def test_derived_confidence_is_minimum_and_unknown_layout_raises():
    seq_conf = np.ones((1, 1, 32), np.float32)
    seq_conf[..., LAYOUTS["azure_kinect"].index("clavicle_left")] = 0.5
    seq = SkeletonSequence(np.zeros((1, 1, 32, 3)), seq_conf, [0.0], LAYOUTS["azure_kinect"], (0,))
    assert to_canonical(seq).confidence[0, 0, CANONICAL.index("shoulder_center")] == 0.5
    with pytest.raises(LayoutMismatchError):
        conversion_matrix(JointLayout("odd", ("a", "b"), ((1, 0),)))
