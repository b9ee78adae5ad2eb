"""Optimizer, learning-rate schedule and weight averaging of a training run."""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .checkpoints import read_checkpoint
from .choices import OPTIMIZERS
from .model import CausalSTGCN

if TYPE_CHECKING:
    from .train import TrainConfig


def layer_lr_scales(model: CausalSTGCN, decay: float) -> dict[int, float]:
    """Learning-rate factor of each of *model*'s backbone parameters (by ``id``) for layer-wise decay:
    block i of n gets ``decay ** (n - i)`` (the last block ``decay``), the input BatchNorm
    ``decay ** (n + 1)``, a joint embedding the first block's. Parameters missing from the result
    (classifier, pooling, the losses' heads) keep 1."""
    n = len(model.blocks)
    scales = {id(p): decay ** (n + 1) for p in model.data_bn.parameters()}
    if model.joint_embed is not None:
        scales[id(model.joint_embed)] = decay**n
    for i, block in enumerate(model.blocks):
        scales.update({id(p): decay ** (n - i) for p in block.parameters()})
    return scales


class _GroupKey(NamedTuple):
    """What puts parameters in one optimizer group (see make_optimizer)."""

    lr_scale: float
    decays: bool
    backbone: bool  # frozen for the first freeze_epochs
    anchored: bool  # decays toward its --init value instead of zero


def make_optimizer(cfg: TrainConfig, params: list[torch.nn.Parameter],
                   lr_scales: dict[int, float] | None = None,
                   anchored: Collection[int] = ()) -> torch.optim.Optimizer:
    """AdamW (decoupled weight decay) or SGD with Nesterov momentum 0.9 (weight decay added to the
    gradient), the optimizer of the ST-GCN / CTR-GCN family. Without ``decay_1d`` the parameters of
    at most one dimension get no weight decay; *lr_scales* (``id`` -> factor, see layer_lr_scales:
    the backbone's parameters) gives parameters a learning rate of ``cfg.lr`` times their factor (1
    when absent). Parameters that share both form one group: decaying groups first, then by falling
    learning rate. With ``freeze_epochs`` the backbone's groups are apart, marked ``"backbone"``;
    decaying parameters whose ``id`` is in *anchored* are apart too, marked ``"anchored"``, without the
    optimizer's own decay (see :func:`decay_toward_anchors`)."""
    scales = lr_scales or {}
    anchored = set(anchored)
    groups: dict[_GroupKey, list[torch.nn.Parameter]] = {}
    for p in params:
        decays = cfg.decay_1d or p.ndim > 1
        key = _GroupKey(scales.get(id(p), 1.0), decays, cfg.freeze_epochs > 0 and id(p) in scales,
                        decays and id(p) in anchored)
        groups.setdefault(key, []).append(p)
    param_groups: list[dict] = []
    for k in sorted(groups, key=lambda g: (not g.decays, -g.lr_scale, g.backbone, g.anchored)):
        group = {"params": groups[k], "lr": cfg.lr * k.lr_scale}
        if k.backbone:
            group["backbone"] = True
        if k.anchored:
            group["anchored"] = True
        if not k.decays or k.anchored:
            group["weight_decay"] = 0.0
        param_groups.append(group)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(param_groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(param_groups, lr=cfg.lr, momentum=0.9, nesterov=True,
                               weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use one of {', '.join(OPTIMIZERS)}")


def init_anchors(model: CausalSTGCN, path: str | Path) -> dict[int, torch.Tensor]:
    """The values in checkpoint *path* of *model*'s backbone parameters (all but the classifier) that
    it holds with the same name and shape, keyed by the parameter's ``id``: where ``decay_to_init``
    pulls them."""
    theirs = read_checkpoint(path)["model"]
    return {id(p): theirs[name].to(p.device, p.dtype).clone() for name, p in model.named_parameters()
            if not name.startswith("fc.") and name in theirs and theirs[name].shape == p.shape}


@torch.no_grad()
def decay_toward_anchors(opt: torch.optim.Optimizer, anchors: dict[int, torch.Tensor],
                         weight_decay: float) -> None:
    """Decoupled weight decay toward *anchors* for the groups marked ``"anchored"`` (L2-SP): each
    parameter moves ``lr * weight_decay`` of the way to its anchor, as AdamW moves the others toward
    zero. Call once per step, before ``opt.step()``."""
    for g in opt.param_groups:
        if g.get("anchored"):
            for p in g["params"]:
                p.sub_(p - anchors[id(p)], alpha=g["lr"] * weight_decay)


def lr_schedule(opt: torch.optim.Optimizer, steps: int, warm: int,
                frozen: int = 0) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over *warm* steps, then cosine decay to 0 at *steps*. Groups marked
    ``"backbone"`` (see make_optimizer) stay at 0 for the first *frozen* steps, then warm up over
    *warm* steps of their own under the same cosine."""
    def factor(s: int) -> float:
        if s < warm:
            return (s + 1) / max(1, warm)
        return 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm)))

    def backbone_factor(s: int) -> float:
        if s < frozen:
            return 0.0
        return factor(s) * min(1.0, (s - frozen + 1) / max(1, warm))

    return torch.optim.lr_scheduler.LambdaLR(
        opt, [backbone_factor if g.get("backbone") else factor for g in opt.param_groups])


def weight_average(model: CausalSTGCN, epochs: float, steps_per_epoch: int) -> AveragedModel | None:
    """Exponential moving average of *model*'s weights and buffers, updated after every optimizer
    step with the decay whose time constant is *epochs* epochs; None when *epochs* is 0."""
    if epochs < 0:
        raise ValueError(f"--ema-epochs must be >= 0, got {epochs}")
    if epochs == 0:
        return None
    decay = 1.0 - 1.0 / max(1.0, epochs * steps_per_epoch)
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

