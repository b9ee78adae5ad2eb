"""One optimisation step of a training run, and one epoch of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader
from tqdm import tqdm

from .mixing import mix_batch
from .model import CausalSTGCN, EnsembleSTGCN
from .optim import decay_toward_anchors


@dataclass
class TrainingStep:
    """A batch's loss (mixed with a partner clip, with a teacher's soft targets, under the run's
    precision) and the update it makes: gradients clipped to norm 5 (a frozen backbone's left out),
    decay toward the anchors (L2-SP), optimizer, schedule and weight-average steps."""

    net: torch.nn.Module  # the run's Objective (DDP-wrapped under torchrun)
    model: CausalSTGCN
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    params: list[torch.nn.Parameter]  # every trained parameter (the clipping's)
    device: torch.device
    precision: str  # "bf16" or "fp32" (resolve_precision)
    backbone_params: list[torch.nn.Parameter]  # without gradients for the first frozen_steps steps
    frozen_steps: int = 0
    anchors: dict[int, torch.Tensor] | None = None
    weight_decay: float = 0.0  # the pull toward anchors
    ema: AveragedModel | None = None
    teacher: CausalSTGCN | EnsembleSTGCN | None = None
    mix: str = "none"
    mix_prob: float = 0.0
    mix_alpha: float = 0.0

    def __call__(self, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
                 mix_rng: np.random.Generator) -> float:
        """Train on one padded batch; returns its loss."""
        x, mask, y = x.to(self.device), mask.to(self.device), y.to(self.device)
        mix = mix_batch(x, mask, y, self.mix, self.mix_prob, self.mix_alpha, mix_rng)
        if mix is not None:
            x = mix.x
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            soft = None
            if self.teacher is not None:
                with torch.no_grad():
                    soft = self.teacher.forward_offline(x)[0]
            loss = self.net(x, mask, y, soft, *((mix.partner_labels, mix.lam) if mix else ()))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.sched.last_epoch < self.frozen_steps:  # frozen: no say in the clipping, no Adam moments
            for p in self.backbone_params:
                p.grad = None
        torch.nn.utils.clip_grad_norm_(self.params, 5.0)
        if self.anchors:
            decay_toward_anchors(self.opt, self.anchors, self.weight_decay)
        self.opt.step()
        self.sched.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        return float(loss.detach())

    def epoch(self, loader: DataLoader, mix_rng: np.random.Generator, desc: str, progress: bool) -> float:
        """One pass over *loader* in training mode; returns the mean loss per clip."""
        self.net.train()
        total, n = 0.0, 0
        bar = tqdm(loader, desc=desc, disable=not progress, leave=False)
        for x, mask, y in bar:
            total, n = total + self(x, mask, y, mix_rng) * len(y), n + len(y)
            bar.set_postfix(loss=f"{total / n:.3f}")
        return total / max(n, 1)
