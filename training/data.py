"""Torch datasets over a :class:`ClipSet`: features at the model rate, padded batches with a mask."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from skelapp.core.normalize import compute_features

from .augment import AugmentConfig, augment
from .datasets import ClipSet


class ClipDataset(Dataset):
    """Items ``(features (T, V, C) float32 tensor, label)``; augmented when *augment_cfg* is set."""

    def __init__(self, clips: ClipSet, indices: np.ndarray, augment_cfg: AugmentConfig | None = None,
                 seed: int = 0) -> None:
        self.clips, self.indices, self.augment_cfg = clips, np.asarray(indices), augment_cfg
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.indices)

    def lengths(self) -> np.ndarray:
        return np.array([len(self.clips.joints[i]) for i in self.indices])

    def __getitem__(self, k: int) -> tuple[torch.Tensor, int]:
        i = int(self.indices[k])
        if self.augment_cfg is None:
            feats = self.clips.features[i]
        else:
            j, c = augment(self.clips.joints[i], self.clips.confidence[i], self.rng, self.augment_cfg)
            feats = compute_features(j, c, self.clips.feature_config)
        return torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32)), int(self.clips.targets[i])


def pad_collate(batch: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> features ``(B, T, V, C)`` zero-padded at the end, mask ``(B, T)`` bool, labels ``(B,)``."""
    lengths = [len(x) for x, _ in batch]
    t = max(lengths)
    x = torch.zeros((len(batch), t, *batch[0][0].shape[1:]))
    mask = torch.zeros((len(batch), t), dtype=torch.bool)
    for b, (f, _) in enumerate(batch):
        x[b, : len(f)] = f
        mask[b, : len(f)] = True
    return x, mask, torch.tensor([y for _, y in batch])


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length (less padding), shuffled each epoch; deterministic per epoch."""

    def __init__(self, lengths: np.ndarray, batch_size: int, shuffle: bool = True, seed: int = 0,
                 rank: int = 0, world: int = 1) -> None:
        self.lengths, self.batch_size, self.shuffle = np.asarray(lengths), batch_size, shuffle
        self.seed, self.epoch, self.rank, self.world = seed, 0, rank, world

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _batches(self) -> list[list[int]]:
        rng = np.random.default_rng(self.seed + self.epoch)
        noise = rng.uniform(0.8, 1.25, len(self.lengths)) if self.shuffle else 1.0
        order = np.argsort(self.lengths * noise, kind="stable")
        batches = [order[i : i + self.batch_size].tolist() for i in range(0, len(order), self.batch_size)]
        if self.shuffle:
            rng.shuffle(batches)
        n = len(batches) // self.world * self.world if self.world > 1 else len(batches)
        return batches[:n][self.rank :: self.world]

    def __iter__(self):
        return iter(self._batches())

    def __len__(self) -> int:
        return len(self._batches())
