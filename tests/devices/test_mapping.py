"""MediaPipe -> canonical mapping vs the Kinect v2 skeleton of the same NTU clip (real data)."""

from __future__ import annotations

import numpy as np
import pytest

from skelapp.core.layouts import CANONICAL
from skelapp.devices.mapping_check import format_report, run, similarity_align


def test_similarity_align_is_proper():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(20, 3))
    a = np.radians(40)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    dst = 1.3 * pts @ rot.T + [1, 2, 3]
    np.testing.assert_allclose(similarity_align(pts, dst), dst, atol=1e-9)
    mirrored = pts * [-1, 1, 1]  # a reflection cannot be aligned away by a proper rotation
    assert np.abs(similarity_align(mirrored, pts) - pts).max() > 0.1


@pytest.fixture(scope="module")
def reports(data_dir):
    pytest.importorskip("cv2")
    pytest.importorskip("mediapipe")
    mirrored, plain = run(data_dir, stride=4)
    assert mirrored["mirrored"] and not plain["mirrored"]
    return mirrored, plain


@pytest.mark.realdata
def test_mirrored_matches_kinect_in_2d(reports):
    mirrored, plain = reports
    assert mirrored["frames"] >= 24
    assert mirrored["median_2d_px"] < 25  # on 1920x1080
    assert plain["median_2d_px"] > 1.8 * mirrored["median_2d_px"]
    for side in ("left", "right"):  # handedness: a shoulder lands on the same-named Kinect shoulder
        j = f"shoulder_{side}"
        assert mirrored["per_joint_2d_px"][j] < 30 < plain["per_joint_2d_px"][j]
    assert mirrored["median_3d_cm"] < 12 and mirrored["median_3d_cm"] < plain["median_3d_cm"]


@pytest.mark.realdata
def test_facing_agrees_only_when_mirrored(reports):
    mirrored, plain = reports
    assert mirrored["facing_cos_median"] > 0.9
    assert plain["facing_cos_median"] < mirrored["facing_cos_median"] - 0.2


@pytest.mark.realdata
def test_report_table(reports):
    text = format_report(list(reports))
    assert all(n in text for n in CANONICAL.joint_names) and "median" in text
