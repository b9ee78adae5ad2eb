"""A random padded feature batch, as ``pad_collate`` gives the training loop (shared by tests)."""

from __future__ import annotations

import torch


def padded_batch(lengths: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random features ``(B, T, 20, 6)`` zero-padded after each clip's length, and the mask."""
    g = torch.Generator().manual_seed(seed)
    t = max(lengths)
    x = torch.randn(len(lengths), t, 20, 6, generator=g)
    mask = torch.arange(t)[None] < torch.tensor(lengths)[:, None]
    return x * mask[..., None, None], mask
