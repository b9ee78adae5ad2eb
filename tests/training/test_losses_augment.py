"""Losses and augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from skelapp.training.augment import AugmentConfig, apply_temporal, augment, plan_temporal, resample_rate
from skelapp.training.losses import (
    TEXT_PARTS,
    LanguageSupervision,
    distillation_loss,
    early_prediction_loss,
    full_clip_loss,
    last_frame_weights,
    prefix_weights,
)


def test_early_and_full_loss() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 3)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    y = torch.tensor([0, 2])
    ce0 = F.cross_entropy(logits[0, :3], y[0].repeat(3), reduction="none")
    w = torch.tensor([1.0, 2.0, 3.0]) / 6
    ce1 = F.cross_entropy(logits[1], y[1].repeat(5), reduction="none")
    w1 = torch.arange(1, 6.0) / 15
    expect = ((ce0 * w).sum() + (ce1 * w1).sum()) / 2
    assert torch.allclose(early_prediction_loss(logits, mask, y), expect, atol=1e-6)
    full = (F.cross_entropy(logits[0, 2:3], y[:1]) + F.cross_entropy(logits[1, 4:5], y[1:])) / 2
    assert torch.allclose(full_clip_loss(logits, mask, y), full, atol=1e-6)
    # label smoothing eps: the target gets 1 - eps + eps / K, every class eps / K
    eps, k = 0.1, logits.shape[-1]
    soft = torch.full((5, k), eps / k)
    soft[:, 2] += 1 - eps
    ce1s = -(soft * torch.log_softmax(logits[1], -1)).sum(-1)
    smoothed = early_prediction_loss(logits[1:], mask[1:], y[1:], eps)
    assert torch.allclose(smoothed, (ce1s * w1).sum(), atol=1e-6)
    assert torch.allclose(full_clip_loss(logits[1:], mask[1:], y[1:], eps), ce1s[-1], atol=1e-6)


def test_prefix_power_shifts_weight_to_later_prefixes() -> None:
    """Power 2 weighs frame t by (t + 1)^2 (normalised per clip, padding zero), power 0 weighs every
    prefix alike; the loss follows the weights; a negative power is refused."""
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    sq = prefix_weights(mask, 2.0)
    assert torch.allclose(sq[0], torch.tensor([1.0, 4.0, 9.0, 0, 0]) / 14)
    assert torch.allclose(sq[1], torch.arange(1, 6.0) ** 2 / 55)
    assert torch.allclose(prefix_weights(mask, 0.0)[0], torch.tensor([1, 1, 1, 0, 0]) / 3.0)
    assert sq[1, -1] > prefix_weights(mask)[1, -1] > prefix_weights(mask, 0.0)[1, -1]
    torch.manual_seed(0)
    logits, y = torch.randn(2, 5, 4), torch.tensor([1, 3])
    ce = F.cross_entropy(logits.reshape(10, 4), y.repeat_interleave(5), reduction="none").view(2, 5)
    expect = (ce * sq).sum(1).mean()
    assert torch.allclose(early_prediction_loss(logits, mask, y, power=2.0), expect, atol=1e-6)
    with pytest.raises(ValueError, match="power must be >= 0"):
        prefix_weights(mask, -1.0)


def test_distillation_loss_values_and_frame_weights() -> None:
    """T² KL(teacher || student) per frame, weighted like the classification loss; zero when the
    student equals the teacher, and padding never counts."""
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    w = prefix_weights(mask)
    assert torch.allclose(w[0], torch.tensor([1, 2, 3, 0, 0]) / 6.0)
    assert torch.allclose(last_frame_weights(mask), torch.tensor([[0, 0, 1.0, 0, 0], [0, 0, 0, 0, 1.0]]))
    t = 2.0
    q = torch.softmax(teacher / t, -1)
    kl = (q * (q.log() - torch.log_softmax(student / t, -1))).sum(-1)
    expect = t * t * (kl * w).sum(1).mean()
    assert torch.allclose(distillation_loss(student, teacher, w, t), expect, atol=1e-6)
    assert distillation_loss(teacher, teacher, w, t).abs() < 1e-6
    padded = teacher.clone()
    padded[0, 3:] = 100.0  # what the student does on padding frames is not distilled
    assert torch.allclose(distillation_loss(padded, teacher, w, t),
                          distillation_loss(teacher, teacher, w, t), atol=1e-6)
    # a student nearer the teacher's per-frame distribution has the lower loss
    near = distillation_loss(teacher + 0.1 * student, teacher, w, t)
    assert near < distillation_loss(student, teacher, w, t)


def test_language_supervision_backprops() -> None:
    text = torch.randn(4, len(TEXT_PARTS), 384)
    lst = LanguageSupervision(16, text)
    fmap = torch.randn(3, 16, 7, 20, requires_grad=True)
    mask = torch.ones(3, 7, dtype=torch.bool)
    loss = lst(fmap, mask, torch.tensor([0, 1, 3]))
    loss.backward()
    assert torch.isfinite(loss) and fmap.grad is not None



def test_language_supervision_pools_parts_over_valid_frames_only() -> None:
    """Padding never reaches the loss, and each part's feature is the mean over its joints and
    the clip's valid frames."""
    torch.manual_seed(0)
    text = torch.randn(4, len(TEXT_PARTS), 384)
    lst = LanguageSupervision(16, text)
    fmap = torch.randn(2, 16, 6, 20)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1] * 6], dtype=torch.bool)
    y = torch.tensor([2, 0])
    loss = lst(fmap, mask, y)
    noisy = fmap.clone()
    noisy[0, :, 4:] = 1e3  # padding
    assert torch.allclose(lst(noisy, mask, y), loss)
    longer = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], 1)
    grown = lst(torch.cat([fmap, torch.randn(2, 16, 3, 20)], 2), longer, y)
    assert torch.allclose(grown, loss, atol=1e-6)
    terms = []
    for p, joints in enumerate(lst.groups):
        f = torch.stack([fmap[b, :, : int(mask[b].sum())][..., joints].mean((1, 2)) for b in range(2)])
        z = F.normalize(lst.proj[p](f), dim=-1)
        terms.append(F.cross_entropy(lst.log_scale.exp() * z @ lst.text[:, p].T, y))
    assert torch.allclose(loss, torch.stack(terms).mean(), atol=1e-6)

def test_augment_shapes_and_rotation() -> None:
    rng = np.random.default_rng(0)
    j = rng.normal(size=(30, 20, 3)).astype(np.float32)
    c = np.ones((30, 20), np.float32)
    fast, _ = resample_rate(j, c, 1.25)
    assert len(fast) == 24 and np.allclose(fast[0], j[0]) and np.allclose(fast[4], j[5])
    cfg = AugmentConfig(scale=0.0, rate=0.0, crop_prob=0.0)
    out, oc = augment(j, c, rng, cfg)
    assert out.shape == j.shape and oc.shape == c.shape
    # a rotation keeps the distances between joints
    dist = np.linalg.norm(j[:, 3] - j[:, 0], axis=-1)
    assert np.allclose(np.linalg.norm(out[:, 3] - out[:, 0], axis=-1), dist, atol=1e-5)
    out2, _ = augment(j, c, rng, AugmentConfig(crop_prob=1.0))
    assert 4 <= len(out2) <= 37


def test_mirror_swaps_sides() -> None:
    from skelapp.core.layouts import CANONICAL

    rng = np.random.default_rng(1)
    j = rng.normal(size=(5, 20, 3)).astype(np.float32)
    c = np.ones((5, 20), np.float32)
    cfg = AugmentConfig(rot_y_deg=0, rot_xz_deg=0, scale=0, rate=0, crop_prob=0, mirror_prob=1.0)
    out, _ = augment(j, c, rng, cfg)
    left, right = CANONICAL.index("hand_left"), CANONICAL.index("hand_right")
    assert np.allclose(out[:, left], j[:, right] * [-1, 1, 1], atol=1e-6)


def test_joint_offset_is_constant_in_time() -> None:
    """A skeleton-fit offset moves each joint by the same amount in every frame."""
    j = np.random.default_rng(2).normal(size=(12, 20, 3)).astype(np.float32)
    c = np.ones((12, 20), np.float32)
    still = dict(rot_y_deg=0, rot_xz_deg=0, scale=0, rate=0, crop_prob=0, mirror_prob=0)
    plain, _ = augment(j, c, np.random.default_rng(0), AugmentConfig(**still))
    moved, _ = augment(j, c, np.random.default_rng(0), AugmentConfig(**still, joint_offset=0.02))
    delta = moved - plain
    assert np.allclose(delta, delta[:1], atol=1e-6)  # same offset in every frame
    assert 0.005 < np.abs(delta[0]).mean() < 0.05  # per joint, of the requested size
    assert np.allclose(np.diff(moved, axis=0), np.diff(plain, axis=0), atol=1e-6)  # motion unchanged


def test_jitter_is_fresh_noise_in_every_frame_and_spares_absent_joints() -> None:
    """Sensor-noise jitter: independent per joint and frame, of the requested size; joints with
    confidence 0 stay at zero."""
    j = np.random.default_rng(2).normal(size=(200, 20, 3)).astype(np.float32)
    c = np.ones((200, 20), np.float32)
    c[:, 5] = 0
    j[:, 5] = 0
    still = dict(rot_y_deg=0, rot_xz_deg=0, scale=0, rate=0, crop_prob=0, mirror_prob=0)
    plain, _ = augment(j, c, np.random.default_rng(0), AugmentConfig(**still))
    noisy, _ = augment(j, c, np.random.default_rng(0), AugmentConfig(**still, jitter=0.01))
    delta = np.delete(noisy - plain, 5, axis=1)
    assert abs(delta.std() - 0.01) < 0.0005 and abs(delta.mean()) < 0.0005
    assert abs(np.corrcoef(delta[:-1].ravel(), delta[1:].ravel())[0, 1]) < 0.05  # new in every frame
    assert (noisy[:, 5] == 0).all()


def test_crop_keep_end_draws_windows_that_end_with_the_clip() -> None:
    """Anchored crops (the default) keep the recorded ending; free crops mostly cut it off."""
    rng = np.random.default_rng(3)
    anchored = AugmentConfig(rate=0.0, crop_prob=1.0)
    free = AugmentConfig(rate=0.0, crop_prob=1.0, crop_keep_end=False)
    plans = [plan_temporal(60, rng, anchored) for _ in range(200)]
    assert all(p.start + p.length == 60 for p in plans)
    assert len({p.length for p in plans}) > 10 and min(p.length for p in plans) >= 30
    free_ends = [p.start + p.length for p in (plan_temporal(60, rng, free) for _ in range(200))]
    assert sum(e == 60 for e in free_ends) < 50
    j = np.arange(60, dtype=np.float32)[:, None, None] * np.ones((1, 20, 3), np.float32)
    out, _ = apply_temporal(j, np.ones((60, 20), np.float32), plans[0])
    assert np.array_equal(out[:, 0, 0], np.arange(60 - plans[0].length, 60, dtype=np.float32))


def test_crop_keep_end_as_a_probability() -> None:
    """A value between 0 and 1 anchors that share of the windows; 1 and 0 (true/false) draw no extra
    random number, so they draw the windows they drew when the setting was a yes/no switch."""
    def ends(cfg: AugmentConfig, seed: int, n: int = 400) -> list[int]:
        rng = np.random.default_rng(seed)
        return [p.start + p.length for p in (plan_temporal(60, rng, cfg) for _ in range(n))]

    def share_anchored(keep: float) -> float:
        cfg = AugmentConfig(rate=0.0, crop_prob=1.0, crop_keep_end=keep)
        return float(np.mean([e == 60 for e in ends(cfg, 5)]))

    assert share_anchored(1.0) == 1.0
    assert share_anchored(0.0) < 0.25
    assert 0.45 < share_anchored(0.5) < 0.75  # half anchored, plus free windows that happen to end at 60
    for keep in (1.0, 0.0):  # the yes/no switch's draws: crop or not, length (, start)
        rng, reference = np.random.default_rng(7), np.random.default_rng(7)
        plan = plan_temporal(60, rng, AugmentConfig(rate=0.0, crop_prob=1.0, crop_keep_end=keep))
        reference.random()
        length = int(reference.integers(30, 61))
        start = 60 - length if keep else int(reference.integers(0, 60 - length + 1))
        assert (plan.start, plan.length) == (start, length)
        assert rng.random() == reference.random()


@pytest.mark.parametrize("name", ["crop_prob", "crop_keep_end", "mirror_prob", "reverse"])
def test_augment_probabilities_outside_0_1_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} is a probability"):
        AugmentConfig(**{name: 1.5})
    assert getattr(AugmentConfig(**{name: True}), name) == 1  # JSON true still means 1


@pytest.mark.parametrize("name", ["joint_offset", "jitter"])
def test_negative_noise_sizes_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} is a standard deviation"):
        AugmentConfig(**{name: -0.01})


def test_shear_is_one_linear_map_per_clip_of_the_requested_size() -> None:
    """Shear skews the skeleton by one matrix I + S for the whole clip (|S_ij| <= shear off the
    diagonal), so limb lengths change but straight motion stays straight; off, it draws nothing."""
    rng = np.random.default_rng(4)
    j = rng.normal(size=(10, 20, 3)).astype(np.float32)
    c = np.ones((10, 20), np.float32)
    still = dict(rot_y_deg=0, rot_xz_deg=0, scale=0, rate=0, crop_prob=0, mirror_prob=0)
    for seed in range(20):
        out, _ = augment(j, c, np.random.default_rng(seed), AugmentConfig(**still, shear=0.3))
        m = np.linalg.lstsq(j.reshape(-1, 3), out.reshape(-1, 3), rcond=None)[0].T  # out = j @ m.T
        assert np.allclose(out, j @ m.T, atol=1e-4)  # one linear map for every frame and joint
        assert np.allclose(np.diag(m), 1, atol=1e-4)
        off = m[~np.eye(3, dtype=bool)]
        assert np.abs(off).max() <= 0.3 + 1e-4 and np.abs(off).max() > 0.02


@pytest.mark.parametrize(("name", "too_large", "message"), [
    ("shear", 1.2, "shear is the largest off-diagonal entry"),
    ("bone_scale", 1.0, "bone_scale is a fraction"),
])
def test_spatial_options_draw_nothing_when_off_and_refuse_sizes_out_of_range(
        name: str, too_large: float, message: str) -> None:
    """Off (0), an option leaves the random stream as if it did not exist, so runs made before it
    reproduce."""
    rng = np.random.default_rng(4)
    j = rng.normal(size=(10, 20, 3)).astype(np.float32)
    c = np.ones((10, 20), np.float32)
    plain, reference = np.random.default_rng(9), np.random.default_rng(9)
    augment(j, c, plain, AugmentConfig())
    augment(j, c, reference, AugmentConfig(**{name: 0.0}))
    assert plain.random() == reference.random()
    with pytest.raises(ValueError, match=message):
        AugmentConfig(**{name: too_large})


def test_warp_bends_playback_speed_inside_the_clip_and_keeps_its_length() -> None:
    """A warp (u, v) reads the fraction u of the output at the fraction v of the source: on a joint
    moving at constant speed, the part before u plays at v / u of the speed and the rest at
    (1 - v) / (1 - u); ends, length and monotonic time stay."""
    ramp = np.arange(41, dtype=np.float32)[:, None, None] * np.ones((1, 20, 3), np.float32)
    c = np.ones((41, 20), np.float32)
    out, oc = resample_rate(ramp, c, 1.0, warp=(0.5, 0.3))
    x = out[:, 0, 0]
    assert len(out) == 41 and oc.shape == (41, 20)
    assert x[0] == 0 and x[-1] == 40 and np.isclose(x[20], 12.0)
    speed = np.diff(x)
    assert np.allclose(speed[:20], 0.6) and np.allclose(speed[20:], 1.4)
    both, _ = resample_rate(ramp, c, 1.25, warp=(0.5, 0.7))  # with a playback rate: its length
    assert len(both) == 33 and both[-1, 0, 0] == 40 and np.all(np.diff(both[:, 0, 0]) > 0)


def test_warp_plans_stay_monotonic_and_draw_nothing_when_off() -> None:
    rng = np.random.default_rng(11)
    cfg = AugmentConfig(rate=0.3, crop_prob=0.0, warp=0.3)
    plans = [plan_temporal(50, rng, cfg) for _ in range(300)]
    for p in plans:
        u, v = p.warp
        assert 0.3 <= u <= 0.7 and abs(v - u) <= 0.3 * min(u, 1 - u) + 1e-12
        j, _ = apply_temporal(np.arange(50, dtype=np.float32)[:, None, None] * np.ones((1, 20, 3)),
                              np.ones((50, 20), np.float32), p)
        assert len(j) == p.length and np.all(np.diff(j[:, 0, 0]) > 0)
    assert np.std([p.warp[1] - p.warp[0] for p in plans]) > 0.03
    off, reference = np.random.default_rng(12), np.random.default_rng(12)
    assert plan_temporal(50, off, AugmentConfig(warp=0.0)).warp is None
    plan_temporal(50, reference, AugmentConfig())
    assert off.random() == reference.random()
    with pytest.raises(ValueError, match="warp is a fraction"):
        AugmentConfig(warp=1.0)


def test_bone_scale_lengthens_each_bone_alone_and_carries_the_joints_below_it() -> None:
    from skelapp.core.layouts import CANONICAL
    from skelapp.training.augment import scale_bones

    parents = CANONICAL.parents
    assert all(parents[v] <= v for v in range(len(parents)))  # scale_bones walks parents first
    rng = np.random.default_rng(5)
    j = rng.normal(size=(8, 20, 3)).astype(np.float32)
    c = np.ones((8, 20), np.float32)
    assert np.allclose(scale_bones(j, c, np.ones(20)), j)
    elbow, wrist, hand = (CANONICAL.index(n) for n in ("elbow_left", "wrist_left", "hand_left"))
    factors = np.ones(20)
    factors[elbow] = 1.2  # the upper left arm, shoulder -> elbow
    out = scale_bones(j, c, factors)
    upper = j[:, elbow] - j[:, parents[elbow]]
    assert np.allclose(out[:, elbow] - out[:, parents[elbow]], 1.2 * upper, atol=1e-5)
    for v in (wrist, hand):  # moved with the elbow, their own bones as they were
        assert np.allclose(out[:, v] - j[:, v], 0.2 * upper, atol=1e-5)
    others = [v for v in range(20) if v not in (elbow, wrist, hand)]
    assert np.allclose(out[:, others], j[:, others])
    c[:3, parents[elbow]] = 0  # the shoulder absent in three frames: the bone keeps its length there
    out = scale_bones(j, c, factors)
    assert np.allclose(out[:3], j[:3])
    assert np.allclose(out[3:, elbow] - j[3:, elbow], 0.2 * upper[3:], atol=1e-5)


def test_bone_scale_draws_one_length_per_bone_and_clip_in_range() -> None:
    from skelapp.core.layouts import CANONICAL

    rng = np.random.default_rng(6)
    j = rng.normal(size=(10, 20, 3)).astype(np.float32)
    c = np.ones((10, 20), np.float32)
    still = dict(rot_y_deg=0, rot_xz_deg=0, scale=0, rate=0, crop_prob=0, mirror_prob=0)
    parents = CANONICAL.parents
    bones = [v for v in range(20) if parents[v] != v]

    def lengths(x: np.ndarray) -> np.ndarray:
        return np.linalg.norm(x[:, bones] - x[:, parents[bones]], axis=-1)

    out, _ = augment(j, c, np.random.default_rng(0), AugmentConfig(**still, bone_scale=0.1))
    ratio = lengths(out) / lengths(j)
    assert np.allclose(ratio, ratio[:1], atol=1e-4)  # one factor per bone for the whole clip
    assert ratio.min() >= 0.9 - 1e-4 and ratio.max() <= 1.1 + 1e-4 and ratio.std() > 0.02
