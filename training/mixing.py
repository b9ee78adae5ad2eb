"""Batch mixing: training examples made of two clips of a batch, both labels credited in the loss.

``parts`` (body-part CutMix): one of :data:`BODY_PARTS` is drawn per batch and, in every clip, those
joints' features are replaced by a partner clip's; the partner's label weighs the fraction of joints
replaced. ``mixup``: every clip becomes ``(1 - lam) own + lam partner`` with ``lam ~ Beta(alpha,
alpha)``. Partners are a random permutation of the batch, time-aligned by the fraction of each clip
observed, so a partner of another length is stretched or squeezed onto the clip's own frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .choices import MIXES
from .graph import part_joint_indices


@dataclass(frozen=True)
class BatchMix:
    """One batch's mix: the mixed features, the partners' labels and their weight ``lam``."""

    x: Tensor
    partner_labels: Tensor
    lam: float


def aligned_partners(x: Tensor, mask: Tensor, perm: Tensor) -> Tensor:
    """``(B, T, V, C)``: clip ``perm[i]`` resampled onto clip i's valid frames (frame t of a clip of
    L frames reads frame ``floor(t L' / L)`` of its partner of L' frames); zero on i's padding."""
    lengths = mask.sum(1).clamp(min=1)
    partner_lengths = lengths[perm]
    t = torch.arange(x.shape[1], device=x.device)
    idx = torch.minimum(t[None] * partner_lengths[:, None] // lengths[:, None], partner_lengths[:, None] - 1)
    src = x[perm]
    out = torch.gather(src, 1, idx[..., None, None].expand(-1, -1, *x.shape[2:]))
    return out * mask[..., None, None].to(x.dtype)


def mix_batch(x: Tensor, mask: Tensor, y: Tensor, mode: str, prob: float, alpha: float,
              rng: np.random.Generator) -> BatchMix | None:
    """The mix of this batch, or None (mode "none", a batch of one, or not drawn this time)."""
    if mode not in MIXES:
        raise ValueError(f"unknown mix {mode!r}; use one of {', '.join(MIXES)}")
    if mode == "none" or len(x) < 2 or rng.random() >= prob:
        return None
    perm = torch.from_numpy(rng.permutation(len(x))).to(x.device)
    partners = aligned_partners(x, mask, perm)
    if mode == "parts":
        parts = part_joint_indices()
        joints = parts[int(rng.integers(len(parts)))]
        mixed = x.clone()
        mixed[:, :, joints] = partners[:, :, joints]
        lam = len(joints) / x.shape[2]
    else:
        lam = float(rng.beta(alpha, alpha))
        mixed = (1 - lam) * x + lam * partners
    return BatchMix(mixed, y[perm], lam)
