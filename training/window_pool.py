"""The classifier's causal window: the mean (or max, or gated mean) of a stream's last frames."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def window_sums(z: Tensor, window: int) -> Tensor:
    """Sums of *window* consecutive frames of ``(B, C, L)``: ``(B, C, L - window + 1)``, the value
    at ``t`` summing frames ``t .. t + window - 1``. The same as ``window * avg_pool1d(z, window,
    stride=1)`` up to float rounding, from a cumulative sum: O(L) instead of O(L * window) (the
    pool was 6 % of a training step with a 64-frame window)."""
    return sums_from_running(running_sums(z), window)


def running_sums(z: Tensor) -> Tensor:
    """Cumulative sums over the frames of ``(B, C, L)`` after a leading zero: ``(B, C, L + 1)``."""
    return F.pad(torch.cumsum(z, dim=2), (1, 0))


def sums_from_running(running: Tensor, window: int) -> Tensor:
    """:func:`window_sums` of the clip whose :func:`running_sums` are *running* (one cumulative sum
    serves several window lengths)."""
    return running[:, :, window:] - running[:, :, : running.shape[2] - window]


WINDOW_POOLS = ("mean", "meanmax", "gated", "mean_recent")


class CausalWindowPool(nn.Module):
    """Mean of the last ``window`` frames of ``(B, C, T)``, dividing by the valid frame count;
    with ``with_max`` also their max, concatenated: ``(B, 2C, T)``; with ``recent`` r > 0 also the
    mean of the last r frames only (``(B, 2C, T)``: the window's older and newer part can differ,
    so the classifier sees which came first); with ``gated`` a weighted mean instead, each frame
    weighted by ``sigmoid(g . x_t + b)`` (learned; ``g = 0, b = 0`` at initialisation, which is the
    plain mean).

    State ``(B, C + 1, window - 1)``: the previous frames plus a validity channel (0 = before
    the stream started; such frames count in neither the mean nor the max)."""

    def __init__(self, window: int, with_max: bool = False, channels: int = 0, gated: bool = False,
                 recent: int = 0) -> None:
        super().__init__()
        if with_max + gated + (recent > 0) > 1:
            raise ValueError("a window pool is at most one of with_max, gated or recent")
        if not 0 <= recent < window:
            raise ValueError(f"recent is a number of frames below the window ({window}), got {recent!r}")
        self.window, self.with_max, self.recent = window, with_max, recent
        self.gate = nn.Conv1d(channels, 1, 1) if gated else None
        if self.gate is not None:
            nn.init.zeros_(self.gate.weight)
            nn.init.zeros_(self.gate.bias)

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        ones = torch.ones_like(x[:, :1])
        full = torch.cat([state, torch.cat([x, ones], dim=1)], dim=2)
        new_state = full[:, :, full.shape[2] - (self.window - 1) :]
        if self.gate is not None:
            # weights recomputed from the stored frames, so streaming equals offline; the clamp
            # keeps the smallest weight far from underflow
            weight = torch.sigmoid(self.gate(full[:, :-1]).clamp(-15.0, 15.0)) * full[:, -1:]
            sums = window_sums(torch.cat([full[:, :-1] * weight, weight], dim=1), self.window)
            return sums[:, :-1] / sums[:, -1:], new_state
        running = running_sums(full)
        sums = sums_from_running(running, self.window)
        out = sums[:, :-1] / sums[:, -1:]
        if self.recent:  # the newest frame is always valid: no empty sums
            last = sums_from_running(running, self.recent)[:, :, -out.shape[2] :]
            out = torch.cat([out, last[:, :-1] / last[:, -1:]], dim=1)
        if self.with_max:
            values = torch.where(full[:, -1:] > 0, full[:, :-1], torch.full_like(full[:, :-1], -1e4))
            out = torch.cat([out, F.max_pool1d(values, self.window, stride=1)], dim=1)
        return out, new_state

    @property
    def outputs_per_channel(self) -> int:
        """Values per input channel: 2 with ``with_max`` or ``recent``, else 1."""
        return 2 if self.with_max or self.recent else 1
