"""Normalisation/features: hip origin, unit torso, invertible params, streaming == offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.conversion import mirror_joints, to_canonical
from skelapp.core.layouts import CANONICAL
from skelapp.core.normalize import (
    HIP,
    HIP_LEFT,
    HIP_RIGHT,
    SHOULDER_CENTER,
    SHOULDER_LEFT,
    SHOULDER_RIGHT,
    FeatureConfig,
    StreamingFeaturizer,
    body_frame_directions,
    compute_features,
    mirror_features,
    sequence_features,
)
from skelapp.core.ntu_skeleton import read_ntu_skeleton


@pytest.fixture(scope="module")
def real_body(ntu_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    seq = to_canonical(read_ntu_skeleton(ntu_dir / "S004C002P003R001A017.skeleton"))
    return seq.joints[:, 0], seq.confidence[:, 0]


def _y_rot(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def test_hip_origin_and_unit_torso_on_real_data(real_body):
    joints, conf = real_body
    feats = compute_features(joints, conf, FeatureConfig())
    assert feats.shape == (len(joints), 20, 6)
    np.testing.assert_allclose(feats[:, HIP, :3], 0, atol=1e-6)
    torso = np.linalg.norm(feats[:, SHOULDER_CENTER, :3], axis=-1)
    assert abs(np.median(torso) - 1) < 0.05 and (abs(torso - 1) < 0.25).all()


def test_constant_torso_scales_to_exactly_one():
    rng = np.random.default_rng(1)
    base = rng.normal(0, 0.3, (20, 3))
    base[SHOULDER_CENTER] = base[HIP] + [0, 0.5, 0]
    joints = np.stack([base + [0.01 * t, 0, 2] for t in range(10)])
    feats = compute_features(joints, np.ones((10, 20)), FeatureConfig())
    np.testing.assert_allclose(np.linalg.norm(feats[:, SHOULDER_CENTER, :3], axis=-1), 1, rtol=1e-6)
    # velocity is uncentred: whole-body translation of 0.01 m/frame at scale 0.5
    np.testing.assert_allclose(feats[1:, :, 3], 0.02, atol=1e-6)
    np.testing.assert_allclose(feats[0, :, 3:], 0)


@pytest.mark.parametrize("facing,origin_ema", [(False, 0.0), (True, 0.0), (True, 0.05)])
def test_norm_params_invert_round_trip(real_body, facing, origin_ema):
    joints, conf = real_body
    fz = StreamingFeaturizer(FeatureConfig(facing=facing, origin_ema=origin_ema))
    for t in range(len(joints)):
        feats, params = fz.push(joints[t], conf[t])
        np.testing.assert_allclose(params.invert(feats[:, :3]), joints[t], atol=1e-5)


def test_facing_rotation_puts_left_hip_at_minus_x(real_body):
    joints, conf = real_body
    for deg in (0, 50, 135, -100):
        rotated = joints[:1] @ _y_rot(deg).T
        cfg = FeatureConfig(facing=True)
        feats = compute_features(np.repeat(rotated, 3, 0), np.repeat(conf[:1], 3, 0), cfg)
        across = feats[:, HIP_LEFT, :3] - feats[:, HIP_RIGHT, :3]
        np.testing.assert_allclose(across[:, 2], 0, atol=1e-6)
        assert (across[:, 0] < 0).all()
        # the facing-normalised pose does not depend on where the body faced
        unrotated = compute_features(joints[:1], conf[:1], cfg)
        np.testing.assert_allclose(feats[0, :, :3], unrotated[0, :, :3], atol=1e-5)


def test_facing_with_shoulders_averages_the_hip_and_shoulder_lines(real_body):
    """facing_shoulders: a torso twisted against the hips is faced half-way between the two lines
    (equal lengths), whereas hips-only facing follows the hips alone."""
    joints, conf = real_body
    body = joints[0] - joints[0, HIP]
    body[:, [0, 2]] = 0.0
    body[HIP_LEFT], body[HIP_RIGHT] = [-0.15, 0, 0], [0.15, 0, 0]  # hips along x
    body[SHOULDER_LEFT, [0, 2]], body[SHOULDER_RIGHT, [0, 2]] = [0, -0.15], [0, 0.15]  # twisted 90 degrees
    hips = compute_features(body[None], conf[:1], FeatureConfig(facing=True))[0]
    both = compute_features(body[None], conf[:1], FeatureConfig(facing=True, facing_shoulders=True))[0]
    torso = np.linalg.norm(body[SHOULDER_CENTER])
    np.testing.assert_allclose(hips[:, :3], body / torso, atol=1e-6)  # hips already along -x: unrotated
    across = (both[HIP_LEFT, :3] - both[HIP_RIGHT, :3]) + (both[SHOULDER_LEFT, :3] - both[SHOULDER_RIGHT, :3])
    np.testing.assert_allclose(across[2], 0, atol=1e-6)
    assert across[0] < 0
    hip_line = both[HIP_LEFT, :3] - both[HIP_RIGHT, :3]
    angle = np.degrees(np.arctan2(hip_line[2], -hip_line[0]))
    assert abs(abs(angle) - 45) < 1e-4  # hips rotated by half the twist


def test_streaming_equals_offline_with_gaps(real_body):
    joints, conf = real_body
    conf = conf.copy()
    conf[20:25] = 0  # body lost for five frames
    for cfg in (FeatureConfig(), FeatureConfig(facing=True, velocity=False), FeatureConfig(scale_ema=0.5),
                FeatureConfig(facing=True, facing_shoulders=True),
                FeatureConfig(facing=True, body_frame=True), FeatureConfig(velocity=False, body_frame=True),
                FeatureConfig(facing=True, velocity_limit=0.2), FeatureConfig(facing=True, origin_ema=0.05),
                FeatureConfig(facing=True, acceleration=True, body_frame=True)):
        offline = compute_features(joints, conf, cfg)
        fz = StreamingFeaturizer(cfg)
        online = np.stack([fz.push(joints[t], conf[t])[0] for t in range(len(joints))])
        np.testing.assert_array_equal(online, offline)
        assert (offline[20:25] == 0).all()
        if cfg.velocity:
            assert (offline[25, :, 3:6] == 0).all()  # velocity restarts after a gap
        if cfg.acceleration:  # and the acceleration one frame later
            assert (offline[25:27, :, 6:9] == 0).all() and (offline[27, :, 6:9] != 0).any()
        fz.reset()
        np.testing.assert_array_equal(fz.push(joints[0], conf[0])[0], offline[0])


def test_acceleration_is_the_change_of_velocity_and_zero_for_steady_motion(real_body):
    """On a real recording the acceleration channels are consecutive velocities' difference; a body
    carried along at a constant speed (walking on a treadmill belt) adds no acceleration."""
    joints, conf = real_body
    cfg = FeatureConfig(facing=True, acceleration=True)
    feats = compute_features(joints, conf, cfg)
    np.testing.assert_array_equal(feats[..., :6], compute_features(joints, conf, FeatureConfig(facing=True)))
    vel = feats[..., 3:6]
    np.testing.assert_allclose(feats[2:, :, 6:9], vel[2:] - vel[1:-1], atol=1e-6)
    assert np.abs(feats[2:, :, 6:9]).max() > 0.01  # a real recording does accelerate
    still = np.repeat(joints[:1], 12, axis=0)  # one pose held, then carried at 2 cm per frame
    moving = still + np.arange(12)[:, None, None] * np.array([0.02, 0.0, 0.0])
    steady = compute_features(moving, np.ones(moving.shape[:2]), cfg)
    assert np.abs(steady[1:, :, 3:6]).max() > 0.005  # it moves ...
    np.testing.assert_allclose(steady[..., 6:9], 0, atol=1e-6)  # ... at a constant speed


def test_sequence_features_per_body(ntu_dir: Path):
    seq = to_canonical(read_ntu_skeleton(ntu_dir / "S017C003P020R002A055.skeleton"))
    feats = sequence_features(seq, FeatureConfig())
    assert feats.shape == (2, seq.num_frames, 20, 6)
    body1 = compute_features(seq.joints[:, 1], seq.confidence[:, 1], FeatureConfig())
    np.testing.assert_array_equal(feats[1], body1)
    with pytest.raises(ValueError, match="canonical"):
        sequence_features(read_ntu_skeleton(ntu_dir / "S017C003P020R002A055.skeleton"), FeatureConfig())


def test_velocity_limit_caps_a_tracking_glitch_and_leaves_ordinary_motion_almost_unchanged(real_body):
    joints, conf = real_body
    joints = joints.copy()
    hand = CANONICAL.index("hand_right")
    joints[40, hand] += [2.0, 0.5, -1.0]  # the hand jumps 2.3 m for one frame, as a tracker glitch does
    plain = compute_features(joints, conf, FeatureConfig(facing=True))
    capped = compute_features(joints, conf, FeatureConfig(facing=True, velocity_limit=1.0))
    np.testing.assert_array_equal(capped[..., :3], plain[..., :3])  # positions untouched
    v, w = plain[..., 3:6], capped[..., 3:6]
    d, e = np.linalg.norm(v, axis=-1), np.linalg.norm(w, axis=-1)
    assert d[40, hand] > 3 and d[41, hand] > 3  # the jump there and back, in torso lengths
    assert 0.99 < e[40, hand] < 1.0 and 0.99 < e[41, hand] < 1.0  # capped just under the limit
    np.testing.assert_allclose(e, np.tanh(d), rtol=1e-5, atol=1e-7)  # length c tanh(d / c), c = 1
    moving = d > 1e-4
    np.testing.assert_allclose(w[moving] / e[moving, None], v[moving] / d[moving, None], atol=1e-5)
    slow = d < 0.1  # ordinary motion: under 0.34 % shorter
    assert slow.mean() > 0.5 and np.all(e[slow] >= d[slow] * (1 - 0.0034))
    with pytest.raises(ValueError, match="velocity_limit is a length"):
        FeatureConfig(velocity_limit=-1.0)


def test_running_origin_shows_a_hip_drop_and_forgets_an_old_place(real_body):
    """origin_ema: a body that sits down (hip 0.4 m lower over 10 frames) shows the drop in its
    positions, where per-frame centring hides it; it fades as the running origin catches up, and
    after a jump to a new place the offset decays as (1 - w) ** t."""
    joints, conf = real_body
    pose = np.repeat(joints[:1], 80, 0)
    drop = np.clip(np.arange(80) - 10, 0, 10) / 10 * 0.4
    sitting = pose - drop[:, None, None] * [0, 1, 0]
    still = np.repeat(conf[:1], 80, 0)
    per_frame = compute_features(sitting, still, FeatureConfig(facing=True))
    running = compute_features(sitting, still, FeatureConfig(facing=True, origin_ema=0.05))
    torso = np.linalg.norm(joints[0, SHOULDER_CENTER] - joints[0, HIP])
    np.testing.assert_allclose(per_frame[:, HIP, :3], 0, atol=1e-6)
    np.testing.assert_allclose(running[:11], per_frame[:11], atol=1e-6)  # still: the same features
    hip_y = running[:, HIP, 1] * torso  # metres below the running origin
    assert hip_y[20] < -0.2 and hip_y[20] == hip_y.min()  # most of the drop visible as it ends
    assert -0.02 < hip_y[-1] < 0  # and nearly gone three time constants later
    pose_only = running[:, :, :3] - running[:, HIP:HIP + 1, :3]  # the pose itself is unchanged
    np.testing.assert_allclose(pose_only, per_frame[:, :, :3], atol=1e-5)
    moved = pose + (np.arange(80) >= 40)[:, None, None] * [1.0, 0, 0]  # steps 1 m aside at frame 40
    after = compute_features(moved, still, FeatureConfig(origin_ema=0.1))
    offset = np.linalg.norm(after[40:, HIP, :3], axis=-1) * torso
    np.testing.assert_allclose(offset, 0.9 ** np.arange(1, 41), rtol=1e-5)
    with pytest.raises(ValueError, match="origin_ema is the weight"):
        FeatureConfig(origin_ema=1.5)


def test_config_dict_round_trip():
    cfg = FeatureConfig(fps=20.0, facing=True, velocity_limit=1.0)
    assert FeatureConfig.from_dict({**cfg.to_dict(), "unknown": 1}) == cfg
    old = {k: v for k, v in cfg.to_dict().items() if k != "velocity_limit"}  # metadata from before it
    assert FeatureConfig.from_dict(old).velocity_limit == 0.0
    assert cfg.channels == 6 and FeatureConfig(velocity=False).channels == 3
    assert cfg.velocity_channels == slice(3, 6) and FeatureConfig(velocity=False).velocity_channels is None
    assert FeatureConfig(body_frame=True).channels == 9
    assert FeatureConfig(velocity=False, body_frame=True).channels == 6
    assert FeatureConfig(acceleration=True).channels == 9
    assert FeatureConfig(acceleration=True).acceleration_channels == slice(6, 9)
    assert cfg.acceleration_channels is None and FeatureConfig.from_dict(old).acceleration is False
    with pytest.raises(ValueError, match="needs velocity"):
        FeatureConfig(velocity=False, acceleration=True)
    assert CANONICAL.joint_names[HIP] == "hip_center"


@pytest.mark.parametrize("facing,body_frame,limit,origin_ema,acceleration", [
    (False, False, 0, 0, False), (True, False, 0, 0, False), (True, True, 0, 0, False),
    (True, False, 0.1, 0, False), (True, False, 0, 0.05, False), (True, True, 0, 0, True)])
def test_mirror_features_equal_features_of_the_mirrored_body(real_body, facing, body_frame, limit,
                                                             origin_ema, acceleration):
    """Mirror test-time averaging relies on this: mirroring commutes with the features."""
    joints, conf = real_body
    cfg = FeatureConfig(facing=facing, body_frame=body_frame, velocity_limit=limit, origin_ema=origin_ema,
                        acceleration=acceleration)
    feats = compute_features(joints, conf, cfg)
    mirrored = compute_features(mirror_joints(joints, CANONICAL), conf[:, CANONICAL.flip_index], cfg)
    np.testing.assert_allclose(mirror_features(feats), mirrored, atol=1e-5)
    # the left hand's track becomes the right hand's, with x reversed; mirroring twice is identity
    left, right = CANONICAL.index("hand_left"), CANONICAL.index("hand_right")
    np.testing.assert_allclose(mirrored[:, right, 0], -feats[:, left, 0], atol=1e-5)
    np.testing.assert_allclose(mirror_features(mirrored), feats, atol=1e-5)
    assert not np.allclose(mirrored, feats, atol=1e-2)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """A camera placed elsewhere: rotation about y, then x (tilt), then z (roll), in degrees."""
    x, z = np.deg2rad([pitch, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    rz = np.array([[np.cos(z), -np.sin(z), 0], [np.sin(z), np.cos(z), 0], [0, 0, 1]])
    return rz @ rx @ _y_rot(yaw)


def test_body_frame_directions_ignore_where_the_camera_stands(real_body):
    """The body-frame channels of a real recording are the same seen from a camera that is turned,
    tilted by 25 degrees and moved; the facing-normalised positions are not (facing turns about y
    only, so it cannot undo a tilt)."""
    joints, conf = real_body
    cfg = FeatureConfig(facing=True, body_frame=True)
    feats = compute_features(joints, conf, cfg)
    moved = joints @ _rotation(70, 25, -10).T + [0.4, -0.2, 1.0]
    seen = compute_features(moved, conf, cfg)
    np.testing.assert_allclose(seen[..., 6:], feats[..., 6:], atol=1e-5)
    assert np.abs(seen[..., :3] - feats[..., :3]).max() > 0.2
    length = np.linalg.norm(feats[..., 6:], axis=-1)
    np.testing.assert_allclose(length[:, HIP], 0)  # the root has no bone
    np.testing.assert_allclose(np.delete(length, HIP, axis=1), 1, atol=1e-5)


def test_body_frame_is_the_camera_frame_for_an_upright_body_facing_the_sensor():
    """Axis conventions by geometry: left hip at -x, spine up +y; an arm raised to the body's left
    points along -x, one stretched towards the sensor along -z."""
    joints = np.zeros((20, 3))
    joints[:] = [0, 0, 2]
    joints[HIP_LEFT], joints[HIP_RIGHT] = [-0.1, 0, 2], [0.1, 0, 2]
    joints[SHOULDER_CENTER] = [0, 0.5, 2]
    elbow, wrist = CANONICAL.index("elbow_left"), CANONICAL.index("wrist_left")
    joints[CANONICAL.index("shoulder_left")] = [-0.2, 0.5, 2]
    joints[elbow], joints[wrist] = [-0.5, 0.5, 2], [-0.5, 0.5, 1.7]
    got = body_frame_directions(joints)
    np.testing.assert_allclose(got[elbow], [-1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(got[wrist], [0, 0, -1], atol=1e-6)
    np.testing.assert_allclose(got[SHOULDER_CENTER], [0, 1, 0], atol=1e-6)
    # the same body seen from a camera turned by 90 degrees and tilted by 30: same directions
    np.testing.assert_allclose(body_frame_directions(joints @ _rotation(90, 30, 0).T), got, atol=1e-6)
    joints[SHOULDER_CENTER] = joints[HIP]  # no spine: the frame is undefined, all zero
    assert not body_frame_directions(joints).any()
