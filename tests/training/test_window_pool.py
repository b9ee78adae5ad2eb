"""The classifier window's running sums (the window pools themselves are tested through the model in
``test_model_export.py``)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from skelapp.training.window_pool import window_sums


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
