"""The training loss of a batch: classification (early-prediction or full-clip), LST, distillation,
motion forecast, or a self-supervised objective in their place."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch

from .losses import (
    LanguageSupervision,
    MaskedReconstruction,
    MotionForecast,
    NeighbourContrast,
    distillation_loss,
    early_prediction_loss,
    full_clip_loss,
    last_frame_weights,
    prefix_weights,
)
from .model import CausalSTGCN


class Objective(torch.nn.Module):
    """Training loss of a batch (one module, so DDP sees every parameter once)."""

    def __init__(self, model: CausalSTGCN, lst: LanguageSupervision | None, loss: str,
                 lst_weight: float, label_smoothing: float = 0.0, distill_weight: float = 1.0,
                 distill_temperature: float = 2.0, prefix_power: float = 1.0,
                 forecast: MotionForecast | None = None, forecast_weight: float = 0.0,
                 masked: MaskedReconstruction | None = None, contrast: NeighbourContrast | None = None,
                 frozen: Sequence[torch.nn.Module] = ()) -> None:
        super().__init__()
        if loss not in ("early", "full"):
            raise ValueError(f"unknown loss {loss!r}; use early or full")
        self.model, self.lst, self.lst_weight = model, lst, lst_weight
        if loss == "early":
            prefix_weights(torch.ones(1, 1), prefix_power)  # a negative power fails here, not mid-epoch
            self.loss_fn = functools.partial(early_prediction_loss, power=prefix_power)
            self.frame_weights = functools.partial(prefix_weights, power=prefix_power)
        else:
            self.loss_fn, self.frame_weights = full_clip_loss, last_frame_weights
        self.label_smoothing = label_smoothing
        self.distill_weight, self.distill_temperature = distill_weight, distill_temperature
        self.forecast, self.forecast_weight = forecast, forecast_weight
        self.masked = masked  # set: the masked pretraining objective replaces all the others
        self.contrast = contrast  # likewise the contrastive tuning
        self.frozen = list(frozen)  # parts of the model kept as they are, BatchNorm statistics included

    def train(self, mode: bool = True) -> Objective:
        super().train(mode)
        for m in self.frozen:
            m.eval()
        return self

    def forward(self, x: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
                teacher_logits: torch.Tensor | None = None, partner_labels: torch.Tensor | None = None,
                lam: float = 0.0) -> torch.Tensor:
        """*teacher_logits* ``(B, T, K)``: a teacher's per-frame logits on the same batch, distilled
        on the frames the classification loss supervises. *partner_labels*: a mixed batch's
        second labels (see mixing.py), weighing *lam* in the classification and LST losses."""
        if self.masked is not None:
            seen, hidden = self.masked.hide(x, mask)
            return self.masked(self.model.forward_offline(seen, mask)[1], x, hidden)
        if self.contrast is not None:
            views, vmask = self.contrast.views(x, mask)
            return self.contrast(self.model.forward_offline(views, vmask)[1], vmask)
        logits, fmap = self.model.forward_offline(x, mask)
        loss = self._supervised(logits, fmap, mask, y)
        if partner_labels is not None:
            loss = (1 - lam) * loss + lam * self._supervised(logits, fmap, mask, partner_labels)
        if teacher_logits is not None:
            loss = loss + self.distill_weight * distillation_loss(
                logits, teacher_logits, self.frame_weights(mask), self.distill_temperature)
        if self.forecast is not None:
            loss = loss + self.forecast_weight * self.forecast(fmap, x, mask)
        return loss

    def _supervised(self, logits: torch.Tensor, fmap: torch.Tensor, mask: torch.Tensor,
                    y: torch.Tensor) -> torch.Tensor:
        """The label's losses: classification, plus LST if on."""
        loss = self.loss_fn(logits, mask, y, self.label_smoothing)
        if self.lst is not None:
            loss = loss + self.lst_weight * self.lst(fmap, mask, y)
        return loss

