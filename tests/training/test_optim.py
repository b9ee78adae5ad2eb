"""training/optim.py: optimizer groups (weight decay, layer-wise learning rates, frozen backbone,
decay toward a pretraining), the learning-rate schedule and the weight average."""

from __future__ import annotations

import pytest
import torch
from _helpers import small_model

from skelapp.training.model import CausalSTGCN, ModelConfig
from skelapp.training.optim import (
    decay_toward_anchors,
    layer_lr_scales,
    lr_schedule,
    make_optimizer,
    weight_average,
)
from skelapp.training.train import TrainConfig


def test_layer_decay_gives_each_depth_its_learning_rate() -> None:
    """Layer-wise decay 0.5: AdamW's first step (zero weight decay, unit gradients) moves every
    parameter by its group's learning rate, so the classifier moves by lr, the last block by lr / 2,
    the first of n blocks by lr / 2**n and the input BatchNorm by lr / 2**(n + 1)."""
    model = CausalSTGCN()
    n = len(model.blocks)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    cfg = TrainConfig(lr=0.01, weight_decay=0.0, layer_decay=0.5)
    opt = make_optimizer(cfg, list(model.parameters()), layer_lr_scales(model, cfg.layer_decay))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01 * 0.5**k for k in range(n + 2)])
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    moved = {k: (before[k] - v.detach()).abs().max().item() for k, v in model.named_parameters()}
    assert moved["fc.weight"] == pytest.approx(0.01, rel=1e-3)
    assert moved[f"blocks.{n - 1}.gcn.conv.weight"] == pytest.approx(0.005, rel=1e-3)
    assert moved["blocks.0.gcn.conv.weight"] == pytest.approx(0.01 / 2**n, rel=1e-3)
    assert moved["data_bn.weight"] == pytest.approx(0.01 / 2 ** (n + 1), rel=1e-3)
    plain = make_optimizer(TrainConfig(), list(model.parameters()), layer_lr_scales(model, 1.0))
    assert len(plain.param_groups) == 1  # no decay: one group, as without scales


@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_no_decay_1d_spares_norms_and_biases_only(optimizer) -> None:
    """decay_1d False: one step with zero gradients shrinks a weight matrix by the decay and leaves
    the 1-D parameters (a BatchNorm's scale and shift, a bias) and a scalar exactly as they were."""
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    scale = torch.nn.Parameter(torch.tensor(2.0))
    params = [*model.parameters(), scale]
    for p in params:
        with torch.no_grad():
            p.fill_(1.5)
    cfg = TrainConfig(optimizer=optimizer, lr=0.1, weight_decay=0.5, decay_1d=False)
    opt = make_optimizer(cfg, params)
    assert [g["weight_decay"] for g in opt.param_groups] == [0.5, 0.0]
    for p in params:
        p.grad = torch.zeros_like(p)
    opt.step()
    assert torch.all(model[0].weight < 1.5)  # decayed (AdamW: 1.5 * (1 - 0.1 * 0.5))
    for p in (model[0].bias, model[1].weight, model[1].bias, scale):
        assert torch.all(p == 1.5)
    default = make_optimizer(TrainConfig(optimizer=optimizer), params)  # the default decays everything
    assert len(default.param_groups) == 1 and default.param_groups[0]["weight_decay"] > 0


def test_frozen_epochs_keep_the_backbone_at_zero_then_warm_it_up_under_the_same_cosine() -> None:
    model = small_model()
    for frozen_epochs, groups in ((0, 1), (2, 2)):
        cfg = TrainConfig(freeze_epochs=frozen_epochs, lr=0.01)
        opt = make_optimizer(cfg, list(model.parameters()), layer_lr_scales(model, cfg.layer_decay))
        assert len(opt.param_groups) == groups  # apart only when something is frozen
    backbone = next(g for g in opt.param_groups if g.get("backbone"))
    head = next(g for g in opt.param_groups if not g.get("backbone"))
    assert {id(p) for p in head["params"]} == {id(p) for p in model.fc.parameters()}
    sched = lr_schedule(opt, steps=100, warm=4, frozen=20)
    seen = []
    for _ in range(100):
        seen.append((backbone["lr"], head["lr"]))
        opt.step()
        sched.step()
    assert all(b == 0.0 for b, _ in seen[:20]) and seen[20][0] > 0
    assert seen[3][1] == pytest.approx(0.01)  # the head's own warm-up is over by step 4 ...
    assert seen[20][0] == pytest.approx(seen[20][1] / 4)  # ... the backbone's starts at step 20
    assert seen[23][0] == pytest.approx(seen[23][1])  # and ends four steps on: the same cosine from then
    assert seen[99][0] == pytest.approx(seen[99][1]) and seen[99][1] < 1e-4


def test_decay_to_init_pulls_the_backbone_toward_its_start_and_the_classifier_toward_zero() -> None:
    model = small_model()
    backbone = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
    anchors = {id(p): torch.randn_like(p) for p in backbone}
    cfg = TrainConfig(lr=0.1, weight_decay=0.5)
    opt = make_optimizer(cfg, list(model.parameters()), anchored=anchors.keys())
    marked = [g for g in opt.param_groups if g.get("anchored")]
    assert {id(p) for g in marked for p in g["params"]} == set(anchors)
    assert all(g["weight_decay"] == 0.0 for g in marked)  # AdamW's own decay is off for them ...
    assert all(g["weight_decay"] == 0.5 for g in opt.param_groups if not g.get("anchored"))  # ... not for fc
    before = {id(p): p.detach().clone() for p in model.parameters()}
    decay_toward_anchors(opt, anchors, cfg.weight_decay)
    for p in backbone:  # 5 % of the way to the anchor (lr x weight decay)
        assert torch.allclose(p, before[id(p)] + 0.05 * (anchors[id(p)] - before[id(p)]), atol=1e-6)
    assert all(torch.equal(p, before[id(p)]) for p in model.fc.parameters())
    plain = make_optimizer(cfg, list(model.parameters()))  # off: the groups as they always were
    assert not any(g.get("anchored") for g in plain.param_groups) and len(plain.param_groups) == 1


def test_weight_average_is_an_exponential_moving_average_of_weights_and_batchnorm_statistics() -> None:
    torch.manual_seed(0)
    model = CausalSTGCN(ModelConfig(channels=(8,), dilations=(1,), window=4, num_classes=3))
    assert weight_average(model, 0, 10) is None
    with pytest.raises(ValueError, match="ema-epochs"):
        weight_average(model, -1, 10)
    ema = weight_average(model, 0.5, 8)  # time constant 4 steps: decay 0.75
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    expected_w, expected_bn = None, None
    for _ in range(5):
        model.train()
        loss = model.forward_offline(torch.randn(2, 6, 20, 6))[0].square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update_parameters(model)
        w, bn = model.fc.weight.detach().clone(), model.data_bn.running_mean.clone()
        expected_w = w if expected_w is None else 0.75 * expected_w + 0.25 * w
        expected_bn = bn if expected_bn is None else 0.75 * expected_bn + 0.25 * bn
    assert torch.allclose(ema.module.fc.weight, expected_w, atol=1e-6)
    assert torch.allclose(ema.module.data_bn.running_mean, expected_bn, atol=1e-6)
    assert not torch.allclose(ema.module.fc.weight, model.fc.weight)
