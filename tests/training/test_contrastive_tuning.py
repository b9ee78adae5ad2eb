"""Contrastive tuning (training/losses.py NeighbourContrast, ``--objective contrastive``): the two
masked views, the nearest-neighbour InfoNCE loss and its support set, and pretrain -> tune ->
fine-tune end to end (what stays frozen, resume, refusals)."""

from __future__ import annotations

import json

import pytest
import torch
from _helpers import SMALL, padded_batch, train_small
from torch import nn

from skelapp.app.cli import main as skelapp_main
from skelapp.core.recognizer import ModelError
from skelapp.training.checkpoints import load_checkpoint
from skelapp.training.losses import NeighbourContrast


def test_the_two_views_hide_different_pieces_of_the_same_clips_and_never_padding() -> None:
    x, mask = padded_batch([30, 17, 24], seed=5)
    m = NeighbourContrast(16, ratio=0.5, span=3)
    torch.manual_seed(0)
    views, vmask = m.views(x, mask)
    assert views.shape == (6, 30, 20, 6) and torch.equal(vmask, torch.cat([mask, mask]))
    one, two = views[:3], views[3:]
    for v in (one, two):
        kept = (v != 0).any(-1)
        assert torch.equal(v[kept], x[kept])  # a joint is either as it was or zeroed whole
        assert torch.equal(kept[~mask], (x != 0).any(-1)[~mask])  # padding is not "hidden" (it is zero)
        share = 1 - float(kept[mask].sum()) / (float(mask.sum()) * 20)
        assert 0.35 < share < 0.65
    assert not torch.equal(one, two)
    with pytest.raises(ValueError, match="temperature > 0"):
        NeighbourContrast(16, temperature=0.0)


def unit_map(z: torch.Tensor, frames: int, mask: torch.Tensor) -> torch.Tensor:
    """A ``(B, C, T, V)`` map whose mean over *mask*'s real frames and the joints is *z* ``(B, C)``
    (random values on the padded frames, which must not count)."""
    fmap = torch.randn(len(z), z.shape[1], frames, 20)
    real = mask[:, None, :, None].expand_as(fmap)
    fmap[real] = z[:, :, None, None].expand_as(fmap)[real]
    return fmap


def identity_projection(dim: int, temperature: float = 0.1, queue: int = 8) -> NeighbourContrast:
    m = NeighbourContrast(dim, queue=queue, dim=dim, temperature=temperature)
    m.projector = nn.Identity()  # the loss then reads the pooled map's direction itself
    return m


def test_the_loss_rewards_matching_views_and_ignores_padded_frames() -> None:
    torch.manual_seed(0)
    m = identity_projection(4).eval()  # eval: nothing is stored, so each call starts alike
    _, mask = padded_batch([10, 7, 9, 5], seed=1)
    clips = torch.eye(4) * 2.0  # four clips, orthogonal directions
    matched = unit_map(torch.cat([clips, clips]), 10, torch.cat([mask, mask]))
    swapped = unit_map(torch.cat([clips, clips[[1, 0, 3, 2]]]), 10, torch.cat([mask, mask]))
    vmask = torch.cat([mask, mask])
    low, high = float(m(matched, vmask)), float(m(swapped, vmask))
    assert low == pytest.approx(torch.log(torch.tensor(1 + 3 * torch.e ** -10.0)).item(), rel=1e-4)
    assert high > 9.0  # each view's partner is the other clip: a full 1/temperature margin the wrong way
    again = matched.clone()
    again[~vmask[:, None, :, None].expand_as(again)] = 50.0  # only the padding changes
    assert float(m(again, vmask)) == pytest.approx(low, rel=1e-6)


def test_each_view_is_replaced_by_its_nearest_stored_neighbour_from_the_next_batch_on() -> None:
    m = identity_projection(3, queue=4).train()
    mask = torch.ones(2, 5, dtype=torch.bool)
    first = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    m(unit_map(torch.cat([first, first]), 5, torch.cat([mask, mask])), torch.cat([mask, mask]))
    assert int(m.stored) == 2 and torch.equal(m.support[:2], first)  # view 1's vectors, unit length
    # a new clip near the first stored one, and one near the second: their neighbours are those
    near = torch.nn.functional.normalize(torch.tensor([[1.0, 0.2, 0.1], [0.1, 1.0, -0.2]]), dim=1)
    assert torch.equal(m.neighbours(near), first)
    # support set full: the oldest vectors are overwritten, in order
    m._store(torch.eye(3)[[2, 2, 1]])  # slots 2, 3, then the oldest, 0
    assert int(m.stored) == 5 and torch.equal(m.support, torch.eye(3)[[1, 1, 2, 2]])


def test_tuning_starts_from_a_pretraining_keeps_its_first_half_and_a_fine_tune_starts_from_it(
        tiny_ucla, tmp_path, capsys) -> None:
    train_small(tiny_ucla, tmp_path, "pre", 1, "--objective", "masked")
    pre = torch.load(tmp_path / "pre" / "last.pt", weights_only=False)
    tune = ("--objective", "contrastive", "--init", str(tmp_path / "pre" / "last.pt"))
    whole = train_small(tiny_ucla, tmp_path, "tuned", 3, *tune)
    assert whole["meta"]["objective"] == "contrastive" and int(whole["contrast"]["stored"]) > 0
    frozen = [k for k in whole["model"] if k.startswith(("data_bn.", "blocks.0."))]
    tuned = [k for k in whole["model"] if k.startswith("blocks.1.") and "num_batches" not in k]
    assert frozen and all(torch.equal(whole["model"][k], pre["model"][k]) for k in frozen)  # statistics too
    assert tuned and all(not torch.equal(whole["model"][k], pre["model"][k]) for k in tuned
                         if k.endswith("weight"))
    assert all(torch.equal(whole["model"][k], pre["model"][k]) for k in ("fc.weight", "fc.bias"))
    train_small(tiny_ucla, tmp_path, "split", 1, *tune)
    split = train_small(tiny_ucla, tmp_path, "split", 3, *tune, "--resume")
    for part in ("model", "contrast"):
        assert all(torch.equal(whole[part][k], split[part][k]) for k in whole[part])
    result = json.loads((tmp_path / "tuned" / "result.json").read_text())
    assert result["objective"] == "contrastive" and "test" not in result
    with pytest.raises(ModelError, match=r"self-supervised \(contrastive\) checkpoint.*--init"):
        load_checkpoint(tmp_path / "tuned" / "last.pt")
    fine = train_small(tiny_ucla, tmp_path, "fine", 1, "--init", str(tmp_path / "tuned" / "last.pt"))
    assert json.loads((tmp_path / "fine" / "result.json").read_text())["test"]["top1"] >= 0
    assert not torch.equal(fine["model"]["fc.weight"], whole["model"]["fc.weight"])  # now it classifies
    capsys.readouterr()
    assert skelapp_main(["train", "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out",
                         str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), "--quiet",
                         "--epochs", "1", "--model", SMALL, *tune, "--mix", "mixup"]) == 2
    err = capsys.readouterr().err
    assert "contrastive objective (self-supervised) reads no labels" in err and "Traceback" not in err
