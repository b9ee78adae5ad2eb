"""The classifier window: its running sums and the newer-part mean (the other window pools are tested
through the model in ``test_model_export.py``)."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from skelapp.training.window_pool import CausalWindowPool, window_sums


def test_window_sums_are_the_sliding_sums_of_an_average_pool() -> None:
    """window_sums (a running sum, O(L)) gives window x avg_pool1d (O(L x window)) on clips of the
    lengths training and long offline evaluation see; a change at frame t moves the sums of the windows
    that hold it, none before them and (up to rounding) none after them."""
    torch.manual_seed(0)
    for length, window in ((70, 64), (300, 64), (5000, 64), (9, 4)):
        z = torch.rand(3, 7, length) * 4.0  # post-ReLU features are >= 0
        ref = F.avg_pool1d(z, window, stride=1) * window
        got = window_sums(z, window)
        assert got.shape == ref.shape == (3, 7, length - window + 1)
        assert torch.allclose(got, ref, rtol=1e-5, atol=1e-5 * window)
    z = torch.rand(1, 2, 100)
    z2 = z.clone()
    z2[:, :, 80] += 1.0
    moved = (window_sums(z2, 16) - window_sums(z, 16)).abs().amax(dim=(0, 1))
    assert moved[: 80 - 15].amax() == 0 and moved[80 - 15 : 81].amin() > 0.99
    assert moved[81:].amax() < 1e-5


def test_recent_pool_adds_the_mean_of_the_windows_newer_part() -> None:
    """``recent`` r: beside the window's mean, the mean of its last r frames, by hand, counting only
    frames since the stream started; streaming one frame at a time gives the same; a clip and its
    time reverse have the same window mean but a different recent mean (the order shows)."""
    torch.manual_seed(1)
    pool = CausalWindowPool(8, recent=4)
    assert pool.outputs_per_channel == 2
    x = torch.rand(2, 3, 20)
    out, _ = pool(x, torch.zeros(2, 4, 7))
    assert out.shape == (2, 6, 20)
    for t in (0, 2, 5, 19):
        assert torch.allclose(out[:, :3, t], x[:, :, max(0, t - 7) : t + 1].mean(dim=2), atol=1e-6)
        assert torch.allclose(out[:, 3:, t], x[:, :, max(0, t - 3) : t + 1].mean(dim=2), atol=1e-6)
    state, steps = torch.zeros(2, 4, 7), []
    for t in range(20):
        o, state = pool(x[:, :, t : t + 1], state)
        steps.append(o)
    assert torch.allclose(torch.cat(steps, dim=2), out, atol=1e-6)
    ramp = torch.arange(8.0).view(1, 1, 8)
    fwd, _ = pool(ramp, torch.zeros(1, 2, 7))
    back, _ = pool(ramp.flip(2), torch.zeros(1, 2, 7))
    assert torch.isclose(fwd[0, 0, -1], back[0, 0, -1]) and fwd[0, 1, -1] - back[0, 1, -1] == 4.0
    for bad in ({"recent": 8}, {"recent": -1}, {"recent": 2, "with_max": True}):
        with pytest.raises(ValueError):
            CausalWindowPool(8, **bad)
