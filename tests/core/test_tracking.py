"""BodyTracker: source ids when stable, nearest centroid otherwise, timeouts."""

from __future__ import annotations

import numpy as np

from skelapp.core.layouts import CANONICAL
from skelapp.core.skeleton import SkeletonFrame
from skelapp.core.tracking import BodyTracker, body_centroid


def _frame(t: float, xs: list[float], ids: list[int], present: list[bool] | None = None) -> SkeletonFrame:
    joints = np.zeros((len(xs), 20, 3), np.float32)
    for k, x in enumerate(xs):
        joints[k, :, 0] = x
        joints[k, :, 2] = 3.0
    conf = np.ones((len(xs), 20), np.float32)
    if present is not None:
        conf[~np.asarray(present)] = 0
    return SkeletonFrame(joints, conf, t, int(t * 30), CANONICAL, tuple(ids))


def test_source_ids_keep_identity_even_when_bodies_swap_places():
    tr = BodyTracker(use_source_ids=True)
    a = tr.update(_frame(0.0, [-1.0, 1.0], [7001, 9002]))
    b = tr.update(_frame(0.033, [1.0, -1.0], [9002, 7001]))  # order and positions swapped
    assert a.track_ids == [0, 1] and b.track_ids == [1, 0]


def test_centroid_matching_follows_positions_not_slot_order():
    tr = BodyTracker(use_source_ids=False, max_distance=0.5)
    assert tr.update(_frame(0.0, [-1.0, 1.0], [0, 1])).track_ids == [0, 1]
    assert tr.update(_frame(0.033, [1.05, -0.95], [0, 1])).track_ids == [1, 0]


def test_centroid_beyond_max_distance_is_a_new_track():
    tr = BodyTracker(use_source_ids=False, max_distance=0.5)
    tr.update(_frame(0.0, [0.0], [0]))
    assert tr.update(_frame(0.033, [2.0], [0])).track_ids == [1]


def test_duplicate_source_ids_fall_back_to_centroids():
    tr = BodyTracker(use_source_ids=True)
    tr.update(_frame(0.0, [-1.0, 1.0], [0, 0]))
    assert tr.update(_frame(0.033, [1.0, -1.0], [0, 0])).track_ids == [1, 0]


def test_absent_bodies_get_no_track_and_tracks_time_out():
    tr = BodyTracker(use_source_ids=True, max_missing_s=0.5)
    assert tr.update(_frame(0.0, [0.0, 1.0], [5, 6])).track_ids == [0, 1]
    a = tr.update(_frame(0.3, [0.0, 1.0], [5, 6], present=[True, False]))
    assert a.track_ids == [0, -1] and a.ended == []
    b = tr.update(_frame(0.9, [0.0, 1.0], [5, 6], present=[True, False]))
    assert b.ended == [1] and tr.active_tracks == [0]
    c = tr.update(_frame(1.0, [0.0, 1.0], [5, 6]))  # the same source id comes back: a new track
    assert c.track_ids == [0, 2]


def test_centroid_weights_by_confidence():
    j = np.zeros((20, 3), np.float32)
    j[0] = (10, 0, 0)
    c = np.zeros(20, np.float32)
    c[0] = 1
    np.testing.assert_allclose(body_centroid(j, c), (10, 0, 0))
