"""Shared pieces of the training tests: a tiny network, a padded random batch, a tiny training run."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from skelapp.training.cli import train_main
from skelapp.training.model import CausalSTGCN, ModelConfig

SMALL = json.dumps({"channels": [8, 16], "dilations": [1, 2], "window": 8})  # a --model override


class Fixed(torch.nn.Module):
    """A stand-in for a loss's head: returns *out* whatever the feature map."""

    def __init__(self, out: torch.Tensor) -> None:
        super().__init__()
        self.out = out

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.out


def padded_batch(lengths: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random features ``(B, T, 20, 6)`` zero-padded after each clip's length, and the mask
    (as ``pad_collate`` gives the training loop)."""
    g = torch.Generator().manual_seed(seed)
    t = max(lengths)
    x = torch.randn(len(lengths), t, 20, 6, generator=g)
    mask = torch.arange(t)[None] < torch.tensor(lengths)[:, None]
    return x * mask[..., None, None], mask


def small_model(num_classes: int = 4) -> CausalSTGCN:
    """The SMALL network (joint stream, 6 input channels), untrained."""
    return CausalSTGCN(ModelConfig(num_classes=num_classes, in_channels=6, **{
        k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(SMALL).items()}))


def train_small(data: Path, root: Path, out: str, epochs: int, *extra: str) -> dict:
    """Train the SMALL network without LST on one thread into ``root / out``; its ``last.pt``."""
    assert train_main(["--dataset", "nw-ucla", "--data", str(data), "--out", str(root / out),
                       "--model", SMALL, "--cache-dir", str(root / "cache"), "--quiet",
                       "--no-lst", "--threads", "1", "--epochs", str(epochs), *extra]) == 0
    return torch.load(root / out / "last.pt", weights_only=False)
