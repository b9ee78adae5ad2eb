"""Batch mixing (training/mixing.py): time alignment, what each mode changes, the mixed loss, resuming."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from _helpers import SMALL, padded_batch, train_small

from skelapp.training.losses import early_prediction_loss
from skelapp.training.mixing import aligned_partners, mix_batch
from skelapp.training.model import CausalSTGCN, ModelConfig, part_joint_indices
from skelapp.training.objective import Objective


def test_partners_are_stretched_onto_each_clips_own_frames() -> None:
    x, mask = padded_batch([6, 3])
    p = aligned_partners(x, mask, torch.tensor([1, 0]))
    # clip 0 (6 frames) reads its 3-frame partner at frames 0 0 1 1 2 2
    assert torch.equal(p[0], x[1, [0, 0, 1, 1, 2, 2]])
    # clip 1 (3 frames) reads its 6-frame partner at frames 0 2 4; its padding stays zero
    assert torch.equal(p[1, :3], x[0, [0, 2, 4]]) and not p[1, 3:].any()
    assert torch.equal(aligned_partners(x, mask, torch.tensor([0, 1])), x)  # itself: unchanged


def test_parts_replace_one_body_part_and_weigh_the_partner_by_its_share_of_joints() -> None:
    x, mask = padded_batch([9, 7, 8, 9])
    y = torch.tensor([0, 1, 2, 3])
    parts = [set(p) for p in part_joint_indices()]
    seen = set()
    for seed in range(30):
        mix = mix_batch(x, mask, y, "parts", 1.0, 0.2, np.random.default_rng(seed))
        changed = {v for v in range(20) if not torch.equal(mix.x[:, :, v], x[:, :, v])}
        part = next(p for p in parts if changed <= p and mix.lam == len(p) / 20)
        seen.add(frozenset(part))
        perm = [int(torch.nonzero(y == lab)[0]) for lab in mix.partner_labels]
        partners = aligned_partners(x, mask, torch.tensor(perm))
        assert torch.equal(mix.x[:, :, sorted(part)], partners[:, :, sorted(part)])
        assert not mix.x[~mask].any()  # padding stays zero
    assert len(seen) >= 4  # the part is drawn, not fixed


def test_mixup_blends_whole_clips_and_respects_its_probability() -> None:
    x, mask = padded_batch([5, 5, 4])
    y = torch.tensor([0, 1, 2])
    mix = mix_batch(x, mask, y, "mixup", 1.0, 0.2, np.random.default_rng(3))
    perm = torch.tensor([int(torch.nonzero(y == lab)[0]) for lab in mix.partner_labels])
    expected = (1 - mix.lam) * x + mix.lam * aligned_partners(x, mask, perm)
    assert 0 <= mix.lam <= 1 and torch.allclose(mix.x, expected)
    rng = np.random.default_rng(0)
    drawn = sum(mix_batch(x, mask, y, "mixup", 0.3, 0.2, rng) is not None for _ in range(400))
    assert 80 < drawn < 160  # ~30 % of batches
    assert mix_batch(x, mask, y, "none", 1.0, 0.2, rng) is None
    with pytest.raises(ValueError, match="unknown mix 'cutout'"):
        mix_batch(x, mask, y, "cutout", 1.0, 0.2, rng)


def test_mixed_loss_credits_both_labels() -> None:
    torch.manual_seed(0)
    model = CausalSTGCN(ModelConfig(num_classes=4, in_channels=6, **json.loads(SMALL))).eval()
    objective = Objective(model, None, "early", 0.5)
    x, mask = padded_batch([8, 6, 7])
    y, other = torch.tensor([0, 1, 2]), torch.tensor([3, 3, 1])
    logits, _ = model.forward_offline(x, mask)
    own, theirs = early_prediction_loss(logits, mask, y), early_prediction_loss(logits, mask, other)
    with torch.no_grad():
        assert torch.allclose(objective(x, mask, y), own)
        assert torch.allclose(objective(x, mask, y, None, other, 0.25), 0.75 * own + 0.25 * theirs)


def test_mixed_training_resumes_as_if_never_interrupted(tiny_ucla, tmp_path) -> None:
    """The mixing draws are per epoch, so stopping after epoch 1 and resuming gives the weights of
    an uninterrupted run; the mode is recorded in the run's config."""
    mixup = ("--mix", "mixup", "--mix-prob", "1")
    whole = train_small(tiny_ucla, tmp_path, "whole", 2, *mixup)
    train_small(tiny_ucla, tmp_path, "split", 1, *mixup)
    split = train_small(tiny_ucla, tmp_path, "split", 2, *mixup, "--resume")
    assert all(torch.equal(whole["model"][k], split["model"][k]) for k in whole["model"])
    tc = whole["meta"]["train_config"]
    assert (tc["mix"], tc["mix_prob"], tc["mix_alpha"]) == ("mixup", 1.0, 0.2)
    base = train_small(tiny_ucla, tmp_path, "plain", 2)["model"]
    assert any(not torch.equal(whole["model"][k], base[k]) for k in base)  # mixing changed training
