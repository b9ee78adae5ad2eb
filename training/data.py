"""Torch datasets over a :class:`ClipSet`: features at the model rate, padded batches with a mask."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from skelapp.core.normalize import compute_features

from .augment import AugmentConfig, TemporalPlan, apply_temporal, augment_spatial, plan_temporal
from .datasets import ClipSet, reversed_partners


class ClipDataset(Dataset):
    """Items ``(features (T, V, C) float32 tensor, label)``; augmented when *augment_cfg* is set.

    With augmentation, call :meth:`plan_epoch` before each epoch: it draws every clip's playback
    rate and sub-window and returns the resulting lengths, so that batches can be formed from
    clips of similar augmented length (less padding); rotation, scale and mirror are drawn per
    item from :attr:`rng`."""

    def __init__(self, clips: ClipSet, indices: np.ndarray, augment_cfg: AugmentConfig | None = None,
                 seed: int = 0) -> None:
        self.clips, self.indices, self.augment_cfg = clips, np.asarray(indices), augment_cfg
        self.rng = np.random.default_rng(seed)
        self.plans: list[TemporalPlan] | None = None
        self.partners = reversed_partners(clips.labels)

    def __len__(self) -> int:
        return len(self.indices)

    def lengths(self) -> np.ndarray:
        """Frames of each item as it will be served (after :meth:`plan_epoch`, if augmented)."""
        if self.plans is not None:
            return np.array([p.length for p in self.plans])
        return np.array([len(self.clips.joints[i]) for i in self.indices])

    def plan_epoch(self, seed: int | list[int]) -> np.ndarray:
        """Draw this epoch's temporal augmentation from *seed* (the same on every DDP rank, so
        that all ranks form the same batches); returns :meth:`lengths`."""
        if self.augment_cfg is not None:
            rng = np.random.default_rng(seed)
            self.plans = [plan_temporal(len(self.clips.joints[i]), rng, self.augment_cfg)
                          for i in self.indices]
        return self.lengths()

    def __getitem__(self, k: int) -> tuple[torch.Tensor, int]:
        i = int(self.indices[k])
        target = int(self.clips.targets[i])
        if self.augment_cfg is None:
            feats = self.clips.features[i]
        else:
            j, c = self.clips.joints[i], self.clips.confidence[i]
            cfg = self.augment_cfg
            partner = self.partners[target]
            if cfg.reverse and partner >= 0 and self.rng.random() < cfg.reverse:
                j, c, target = j[::-1], c[::-1], int(partner)  # played backwards: the partner class
            plan = self.plans[k] if self.plans is not None else plan_temporal(len(j), self.rng, cfg)
            j, c = augment_spatial(*apply_temporal(j, c, plan), self.rng, cfg)
            feats = compute_features(j, c, self.clips.feature_config)
        return torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32)), target


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
    """Batches of similar length (less padding), shuffled each epoch; deterministic per epoch.

    Lengths are jittered by a random factor in ``[1 - jitter, 1 / (1 - jitter)]`` before
    sorting, so that batch composition varies between epochs even for fixed lengths."""

    def __init__(self, lengths: np.ndarray, batch_size: int, shuffle: bool = True, seed: int = 0,
                 rank: int = 0, world: int = 1, jitter: float = 0.2) -> None:
        self.lengths, self.batch_size, self.shuffle = np.asarray(lengths), batch_size, shuffle
        self.seed, self.epoch, self.rank, self.world, self.jitter = seed, 0, rank, world, jitter

    def set_epoch(self, epoch: int, lengths: np.ndarray | None = None) -> None:
        """Start *epoch*; *lengths* replaces the item lengths (e.g. this epoch's augmented ones)."""
        self.epoch = epoch
        if lengths is not None:
            if len(lengths) != len(self.lengths):
                raise ValueError(f"expected {len(self.lengths)} lengths, got {len(lengths)}")
            self.lengths = np.asarray(lengths)

    def _batches(self) -> list[list[int]]:
        rng = np.random.default_rng(self.seed + self.epoch)
        noise = 1.0
        if self.shuffle:
            noise = rng.uniform(1 - self.jitter, 1 / (1 - self.jitter), len(self.lengths))
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
