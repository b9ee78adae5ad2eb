"""Training batches: per-epoch temporal plans, length buckets, padding."""

from __future__ import annotations

import numpy as np
import pytest

from skelapp.core.normalize import FeatureConfig, compute_features
from skelapp.training.augment import AugmentConfig, apply_temporal, augment, augment_spatial, plan_temporal
from skelapp.training.data import BucketBatchSampler, ClipDataset, pad_collate
from skelapp.training.datasets import MSR_LABELS, NW_UCLA_LABELS, load_dataset, ntu_labels, reversed_partners


def test_planned_augmentation_is_the_one_step_augmentation(make_pose) -> None:
    """Drawing the temporal plan first and applying it later gives the same clip as augment()."""
    cfg = AugmentConfig()
    for frames in (1, 3, 5, 17, 60):
        for seed in range(10):
            j = make_pose(np.random.default_rng(seed), seed % 10, frames)
            c = np.ones(j.shape[:2], np.float32)
            whole, _ = augment(j, c, np.random.default_rng(seed), cfg)
            rng = np.random.default_rng(seed)
            plan = plan_temporal(frames, rng, cfg)
            staged, _ = augment_spatial(*apply_temporal(j, c, plan), rng, cfg)
            assert plan.length == len(staged) == len(whole)
            assert np.array_equal(staged, whole)


@pytest.fixture(scope="module")
def clips(tiny_ucla, tmp_path_factory):
    return load_dataset("nw-ucla", tiny_ucla, tmp_path_factory.mktemp("cache"), FeatureConfig(facing=True),
                        progress=False)


def test_epoch_plan_gives_the_served_lengths_on_every_rank(clips) -> None:
    idx = np.arange(len(clips.targets))
    cfg = AugmentConfig(crop_prob=1.0)
    rank0, rank1 = ClipDataset(clips, idx, cfg, seed=0), ClipDataset(clips, idx, cfg, seed=1000)
    lengths = rank0.plan_epoch([0, 3])
    assert np.array_equal(lengths, rank1.plan_epoch([0, 3]))  # DDP ranks form the same batches
    raw = np.array([len(j) for j in clips.joints])
    # slowest playback (rate 1 - cfg.rate) stretches a clip the most
    assert not np.array_equal(lengths, raw) and (lengths <= np.ceil(raw / (1 - cfg.rate))).all()
    assert [len(rank0[k][0]) for k in range(len(idx))] == lengths.tolist()
    assert not np.array_equal(lengths, rank0.plan_epoch([0, 4]))  # a new draw each epoch
    plain = ClipDataset(clips, idx)
    assert np.array_equal(plain.plan_epoch([0, 3]), raw)


def test_buckets_cover_every_item_once_and_pad_little() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(4, 120, 500)
    sampler = BucketBatchSampler(np.full(500, 50), 16, seed=0, jitter=0.1)
    sampler.set_epoch(2, lengths)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(500))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    assert padded / lengths.sum() < 1.15  # random batches would pad ~1.8x
    again = BucketBatchSampler(lengths, 16, seed=0, jitter=0.1)
    again.set_epoch(2)
    assert list(again) == batches  # deterministic per epoch
    again.set_epoch(3)
    assert list(again) != batches
    with pytest.raises(ValueError, match="expected 500 lengths"):
        sampler.set_epoch(4, lengths[:10])


def test_ddp_ranks_split_the_batches() -> None:
    lengths = np.random.default_rng(1).integers(4, 60, 100)
    parts = [list(BucketBatchSampler(lengths, 8, seed=5, rank=r, world=2)) for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 6  # 13 batches, the odd one dropped
    seen = [i for p in parts for b in p for i in b]
    assert len(seen) == len(set(seen))


def test_pad_collate_masks_the_padding() -> None:
    import torch

    a, b = torch.ones(3, 20, 6), 2 * torch.ones(5, 20, 6)
    x, mask, y = pad_collate([(a, 1), (b, 4)])
    assert x.shape == (2, 5, 20, 6) and y.tolist() == [1, 4]
    assert mask.tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    assert (x[0, 3:] == 0).all() and (x[1] == 2).all()


def test_reversed_partners_pair_classes_by_name_across_datasets() -> None:
    ucla = reversed_partners(NW_UCLA_LABELS)
    k = NW_UCLA_LABELS.index
    assert ucla[k("donning")] == k("doffing") and ucla[k("doffing")] == k("donning")
    assert ucla[k("sit down")] == k("stand up") and ucla[k("stand up")] == k("sit down")
    assert (ucla >= 0).sum() == 4  # walking, throwing, picking up: no partner
    assert (reversed_partners(MSR_LABELS) == -1).all()
    both = reversed_partners(NW_UCLA_LABELS + MSR_LABELS)  # co-training appends MSR's classes
    assert np.array_equal(both[:10], ucla) and (both[10:] == -1).all()
    ntu = reversed_partners(ntu_labels(60))
    assert ntu[7] == 8 and ntu[13] == 14  # A008 sitting down <-> A009 standing up; A014 <-> A015 jacket


def test_reverse_plays_a_paired_class_backwards_as_its_partner(clips) -> None:
    still = dict(rot_y_deg=0, rot_xz_deg=0, scale=0, rate=0, crop_prob=0, mirror_prob=0)
    idx = np.arange(len(clips.targets))
    donning, walk = (int(np.flatnonzero(clips.targets == clips.labels.index(n))[0])
                     for n in ("donning", "walk around"))
    always = ClipDataset(clips, idx, AugmentConfig(**still, reverse=1.0))
    feats, label = always[donning]
    assert clips.labels[label] == "doffing"
    j, c = clips.joints[donning], clips.confidence[donning]
    backwards = compute_features(j[::-1], c[::-1], clips.feature_config)
    assert np.allclose(feats.numpy(), backwards, atol=1e-6)
    assert not np.allclose(feats.numpy(), clips.features[donning], atol=1e-3)
    feats, label = always[walk]  # no partner: as recorded
    assert label == clips.targets[walk] and np.allclose(feats.numpy(), clips.features[walk], atol=1e-6)
    half = ClipDataset(clips, idx, AugmentConfig(**still, reverse=0.5), seed=3)
    labels = [half[donning][1] for _ in range(200)]
    assert 70 < labels.count(clips.labels.index("doffing")) < 130
    off, plain = ClipDataset(clips, idx, AugmentConfig(**still), seed=3), ClipDataset(clips, idx, seed=3)
    assert [off[donning][1] for _ in range(20)] == [plain[donning][1]] * 20
