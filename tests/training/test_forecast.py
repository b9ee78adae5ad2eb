"""The motion-forecast loss (training/losses.py MotionForecast, ``--forecast``): what it predicts,
that it never reads past a clip's end, and training with it end to end (resume, refusals)."""

from __future__ import annotations

import pytest
import torch
from _helpers import Fixed, padded_batch, train_small

from skelapp.app.cli import main as skelapp_main
from skelapp.core.normalize import FeatureConfig
from skelapp.training.losses import MotionForecast

VELOCITY = FeatureConfig().velocity_channels  # where padded_batch's 6 channels keep the velocity


def future_displacement(x: torch.Tensor, lengths: list[int], h: int) -> torch.Tensor:
    """``(B, T, V, 3)`` reference by loops: frame s gets vel[s+1] + ... + vel[s+h] where
    s + h is inside the clip, zeros elsewhere."""
    out = torch.zeros(x.shape[0], x.shape[1], x.shape[2], 3)
    for b, n in enumerate(lengths):
        for s in range(n - h):
            out[b, s] = x[b, s + 1 : s + h + 1, :, 3:6].sum(0)
    return out


def with_prediction(forecast: MotionForecast, pred: torch.Tensor) -> MotionForecast:
    """Make *forecast* output *pred* ``(B, H, T, V, 3)`` whatever the feature map."""
    b, hh, t, v, _ = pred.shape
    flat = pred.permute(0, 1, 4, 2, 3).reshape(b, hh * 3, t, v)
    forecast.head = Fixed(flat)
    return forecast


def test_predicting_the_true_future_scores_zero_and_predicting_no_motion_scores_one() -> None:
    lengths = [12, 7, 10]
    x, mask = padded_batch(lengths)
    fmap = torch.randn(3, 16, 12, 20)
    f = MotionForecast(16, VELOCITY, horizons=(2, 4))
    truth = torch.stack([future_displacement(x, lengths, h) for h in (2, 4)], 1)
    assert float(with_prediction(f, truth)(fmap, x, mask)) == pytest.approx(0.0, abs=1e-10)
    assert float(with_prediction(f, torch.zeros_like(truth))(fmap, x, mask)) == pytest.approx(1.0)
    # an error on a frame whose future leaves the clip costs nothing
    wrong = truth.clone()
    wrong[1, :, 6:] += 5.0  # clip 1 has 7 frames: no frame from 6 on has a future inside it (h >= 2)
    wrong[0, 1, 8:] += 5.0  # clip 0, horizon 4: frames 8..11 would read frames 12..15 (padding)
    assert float(with_prediction(f, wrong)(fmap, x, mask)) == pytest.approx(0.0, abs=1e-10)
    wrong[0, 1, 7] += 1.0  # frame 7 + 4 = 11: inside the clip, so it counts
    assert float(with_prediction(f, wrong)(fmap, x, mask)) > 1e-3


def test_padding_after_a_clip_does_not_change_the_loss_and_gradients_reach_the_map() -> None:
    lengths = [9, 5]
    x, mask = padded_batch(lengths, seed=1)
    fmap = torch.randn(2, 16, 9, 20, requires_grad=True)
    f = MotionForecast(16, VELOCITY)
    assert float(f(fmap, x, mask).detach()) == pytest.approx(1.0)  # the head starts at zero: "no motion"
    torch.nn.init.normal_(f.head.weight)
    loss = f(fmap, x, mask)
    noisy = x.clone()
    noisy[1, 5:] = torch.randn(4, 20, 6)  # what lies after clip 1's end
    assert torch.equal(f(fmap, noisy, mask), loss)
    loss.backward()
    assert fmap.grad is not None and fmap.grad.abs().sum() > 0
    assert fmap.grad[1, :, 5:].abs().sum() == 0  # no frame after the clip is supervised
    with pytest.raises(ValueError, match="frame counts >= 1"):
        MotionForecast(16, VELOCITY, horizons=(0, 2))


def test_training_with_the_forecast_loss_resumes_and_changes_the_weights(tiny_ucla, tmp_path, capsys) -> None:
    whole = train_small(tiny_ucla, tmp_path, "whole", 2, "--forecast", "0.5")
    train_small(tiny_ucla, tmp_path, "split", 1, "--forecast", "0.5")
    split = train_small(tiny_ucla, tmp_path, "split", 2, "--forecast", "0.5", "--resume")
    assert all(torch.equal(whole["model"][k], split["model"][k]) for k in whole["model"])
    assert all(torch.equal(whole["forecast"][k], split["forecast"][k]) for k in whole["forecast"])
    assert whole["meta"]["train_config"]["forecast_weight"] == 0.5
    plain = train_small(tiny_ucla, tmp_path, "plain", 2)
    assert plain["forecast"] is None
    assert any(not torch.equal(whole["model"][k], plain["model"][k]) for k in plain["model"])
    assert not any(k.startswith("forecast") or "head" in k for k in whole["model"])  # nothing exported
    common = ["train", "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(tmp_path / "r"),
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs", "1", "--no-lst"]
    capsys.readouterr()
    assert skelapp_main([*common, "--forecast", "0.5", "--features", '{"velocity": false}']) == 2
    err = capsys.readouterr().err
    assert "needs features with velocity" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        skelapp_main([*common, "--forecast", "-1"])
    assert "--forecast is a loss weight, >= 0 (0 = off), got -1.0" in capsys.readouterr().err
