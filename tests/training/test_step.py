"""training/step.py: one optimisation step (frozen backbone, weight average, returned loss) and an
epoch's mean loss per clip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _helpers import small_model

from skelapp.training.optim import layer_lr_scales, lr_schedule, make_optimizer, weight_average
from skelapp.training.step import TrainingStep
from skelapp.training.train import TrainConfig


class ClipLoss(torch.nn.Module):
    """Cross-entropy of the last frame's logits: the part of Objective's interface a step uses."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x, mask, y, soft=None) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(self.model.forward_offline(x)[0][:, -1], y)


def batch(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(n, 12, 20, 6, generator=gen), torch.ones(n, 12, dtype=torch.bool),
            torch.randint(0, 4, (n,), generator=gen))


def make_step(frozen_steps: int = 0, ema_epochs: float = 0.0) -> tuple[TrainingStep, torch.nn.Module]:
    torch.manual_seed(0)
    model = small_model()
    params = list(model.parameters())
    cfg = TrainConfig(lr=0.01, freeze_epochs=1 if frozen_steps else 0)
    opt = make_optimizer(cfg, params, layer_lr_scales(model, 1.0))
    sched = lr_schedule(opt, 10, 0, frozen_steps)
    backbone = [p for g in opt.param_groups if g.get("backbone") for p in g["params"]]
    step = TrainingStep(ClipLoss(model), model, opt, sched, params, torch.device("cpu"), "fp32", backbone,
                        frozen_steps, ema=weight_average(model, ema_epochs, 2))
    return step, model


def test_a_step_returns_the_batch_loss_before_its_update() -> None:
    step, model = make_step()
    x, mask, y = batch(3, 0)
    torch.manual_seed(1)  # the same dropout draws in both passes
    with torch.no_grad():
        expected = float(step.net.train()(x, mask, y))
    before = model.fc.weight.detach().clone()
    torch.manual_seed(1)
    assert step(x, mask, y, np.random.default_rng(0)) == pytest.approx(expected, rel=1e-5)
    assert not torch.equal(model.fc.weight, before)
    assert step.sched.last_epoch == 1


def test_a_frozen_backbone_stays_put_and_gathers_no_adam_moments_until_it_thaws() -> None:
    step, model = make_step(frozen_steps=2)
    assert step.backbone_params and len(step.backbone_params) < len(step.params)
    first = model.blocks[0].gcn.conv.weight
    before = first.detach().clone()
    rng = np.random.default_rng(0)
    for seed in (0, 1):
        step(*batch(3, seed), rng)
        assert torch.equal(first, before) and first not in step.opt.state
    step(*batch(3, 2), rng)  # the third step: thawed
    assert not torch.equal(first, before) and first in step.opt.state


def test_the_weight_average_follows_the_steps() -> None:
    step, model = make_step(ema_epochs=1.0)
    step(*batch(3, 0), np.random.default_rng(0))
    assert int(step.ema.n_averaged) == 1
    averaged = dict(step.ema.module.named_parameters())["fc.weight"]
    assert torch.equal(averaged, model.fc.weight)  # the first update copies the weights


def test_an_epoch_is_the_mean_loss_per_clip_over_unequal_batches() -> None:
    step, _ = make_step()
    batches = [batch(3, 0), batch(1, 1)]
    losses = []
    original = TrainingStep.__call__

    def recording(self, *a) -> float:
        losses.append(original(self, *a))
        return losses[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TrainingStep, "__call__", recording)
        mean = step.epoch(batches, np.random.default_rng(0), "epoch 1/1", progress=False)
    assert len(losses) == 2
    assert mean == pytest.approx((3 * losses[0] + losses[1]) / 4)
