"""Masked pretraining (training/losses.py MaskedReconstruction, ``--objective masked``): what is
hidden and scored, and the pretrain -> ``--init`` fine-tune path end to end (resume, refusals)."""

from __future__ import annotations

import json

import pytest
import torch
from _helpers import SMALL, Fixed, padded_batch, train_small

from skelapp.app.cli import main as skelapp_main
from skelapp.core.recognizer import ModelError
from skelapp.training.checkpoints import load_checkpoint
from skelapp.training.losses import MaskedReconstruction


def predicting(m: MaskedReconstruction, pred: torch.Tensor) -> MaskedReconstruction:
    """Make *m*'s head output *pred* ``(B, T, V, C)`` whatever the feature map."""
    m.head = Fixed(pred.permute(0, 3, 1, 2))
    return m


def test_hidden_pieces_are_whole_spans_of_real_frames_zeroed_at_about_the_ratio() -> None:
    lengths = [40, 23, 31]
    x, mask = padded_batch(lengths, seed=2)
    m = MaskedReconstruction(16, 6, ratio=0.3, span=4)
    torch.manual_seed(0)
    seen, hidden = m.hide(x, mask)
    assert hidden.shape == (3, 40, 20)
    assert not hidden[~mask].any()  # never a padded frame
    assert torch.equal(seen[hidden], torch.zeros_like(seen[hidden]))
    assert torch.equal(seen[~hidden], x[~hidden])  # the rest untouched
    for b, n in enumerate(lengths):
        chunks = hidden[b, : n - n % 4].reshape(-1, 4, 20)
        assert torch.equal(chunks.all(1), chunks.any(1))  # each 4-frame piece hidden whole or not at all
    share = float(hidden.sum()) / (float(mask.sum()) * 20)
    assert 0.22 < share < 0.38
    with pytest.raises(ValueError, match="0 < ratio < 1"):
        MaskedReconstruction(16, 6, ratio=1.0)


def test_rebuilding_the_hidden_joints_scores_zero_zeros_score_one_and_the_rest_costs_nothing() -> None:
    x, mask = padded_batch([12, 9], seed=3)
    m = MaskedReconstruction(16, 6, ratio=0.5, span=2)
    torch.manual_seed(1)
    _, hidden = m.hide(x, mask)
    fmap = torch.randn(2, 16, 12, 20)
    assert float(m(fmap, x, hidden).detach()) == pytest.approx(1.0)  # a zero head predicts zeros
    assert float(predicting(m, x.clone())(fmap, x, hidden)) == pytest.approx(0.0, abs=1e-12)
    off = x.clone()
    off[~hidden] += 3.0  # wrong only where nothing was hidden (and on padding)
    assert float(predicting(m, off)(fmap, x, hidden)) == pytest.approx(0.0, abs=1e-12)
    off[hidden] += 0.1
    assert float(predicting(m, off)(fmap, x, hidden)) > 1e-4


def test_a_motion_target_scores_the_velocity_channels_only() -> None:
    x, mask = padded_batch([12, 9], seed=4)
    m = MaskedReconstruction(16, 6, ratio=0.5, span=2, target=slice(3, 6))
    assert m.head.out_channels == 3
    torch.manual_seed(1)
    _, hidden = m.hide(x, mask)
    fmap = torch.randn(2, 16, 12, 20)
    assert float(m(fmap, x, hidden).detach()) == pytest.approx(1.0)
    assert float(predicting(m, x[..., 3:].clone())(fmap, x, hidden)) == pytest.approx(0.0, abs=1e-12)
    off = x[..., 3:].clone()
    off[hidden] += 0.1  # velocities wrong where hidden
    assert float(predicting(m, off)(fmap, x, hidden)) > 1e-4


def test_the_decoder_reads_no_later_frame_and_starts_from_a_fresh_stream() -> None:
    """A reconstruction at frame t depends on the encoder's map up to t only (causal decoder), so
    the pretraining asks nothing of the encoder that a live stream could not give."""
    torch.manual_seed(0)
    m = MaskedReconstruction(16, 6, ratio=0.5, span=2, decoder_blocks=2).eval()
    torch.nn.init.normal_(m.head.weight)
    assert len(m.decoder) == 2
    fmap = torch.randn(1, 16, 20, 20)
    outputs = {}

    def keep(_module, _inputs, out) -> None:
        outputs["pred"] = out

    m.head.register_forward_hook(keep)
    x = torch.randn(1, 20, 20, 6)
    hidden = torch.ones(1, 20, 20, dtype=torch.bool)
    m(fmap, x, hidden)
    whole = outputs["pred"]
    later = fmap.clone()
    later[:, :, 12:] = torch.randn(1, 16, 8, 20)  # change frames 12.. only
    m(later, x, hidden)
    assert torch.allclose(outputs["pred"][:, :, :12], whole[:, :, :12], atol=1e-6)
    assert not torch.allclose(outputs["pred"][:, :, 12:], whole[:, :, 12:])
    with pytest.raises(ValueError, match=">= 0 blocks"):
        MaskedReconstruction(16, 6, decoder_blocks=-1)


def test_a_pretraining_with_a_decoder_and_a_motion_target_learns_and_a_fine_tune_starts_from_it(
        tiny_ucla, tmp_path, capsys) -> None:
    pre = train_small(tiny_ucla, tmp_path, "pre", 8, "--objective", "masked", "--mask-target", "motion",
                      "--mask-decoder", "1")
    assert any(k.startswith("decoder.0.") for k in pre["masked"])  # saved with the run (resume)
    assert pre["masked"]["head.weight"].shape[0] == 3  # the three velocity channels
    result = json.loads((tmp_path / "pre" / "result.json").read_text())
    assert result["final_loss"] < 0.95 * result["history"][0]["loss"]
    train_small(tiny_ucla, tmp_path, "tuned", 1, "--init", str(tmp_path / "pre" / "last.pt"))
    capsys.readouterr()
    no_velocity = json.dumps({"velocity": False})
    assert skelapp_main(["train", "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out",
                         str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs",
                         "1", "--model", SMALL, "--no-lst", "--objective", "masked", "--mask-target",
                         "motion", "--features", no_velocity]) == 2
    err = capsys.readouterr().err
    assert "masked motion target rebuilds the velocity channels" in err and "Traceback" not in err


def test_pretraining_resumes_leaves_the_classifier_alone_and_a_fine_tune_starts_from_it(
        tiny_ucla, tmp_path, capsys) -> None:
    masked = ("--objective", "masked", "--mask-ratio", "0.4")
    whole = train_small(tiny_ucla, tmp_path, "pre", 4, *masked)
    one = train_small(tiny_ucla, tmp_path, "split", 1, *masked)
    fc_after_one = {k: v.clone() for k, v in one["model"].items() if k.startswith("fc.")}
    split = train_small(tiny_ucla, tmp_path, "split", 4, *masked, "--resume")
    assert all(torch.equal(whole["model"][k], split["model"][k]) for k in whole["model"])
    assert all(torch.equal(whole["masked"][k], split["masked"][k]) for k in whole["masked"])
    assert all(torch.equal(v, whole["model"][k]) for k, v in fc_after_one.items())  # never trained
    assert any(not torch.equal(one["model"][k], whole["model"][k]) for k in whole["model"]
               if k.startswith("blocks."))
    result = json.loads((tmp_path / "pre" / "result.json").read_text())
    assert result["objective"] == "masked" and "test" not in result
    assert result["final_loss"] < 0.95 * result["history"][0]["loss"]  # it learns to rebuild joints
    pre = tmp_path / "pre" / "last.pt"
    with pytest.raises(ModelError, match=r"self-supervised \(masked\) checkpoint.*--init"):
        load_checkpoint(pre)
    capsys.readouterr()
    assert skelapp_main(["evaluate", "--model", str(pre), "--data", str(tiny_ucla),
                         "--cache-dir", str(tmp_path / "cache")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    tuned = train_small(tiny_ucla, tmp_path, "tuned", 1, "--init", str(pre))
    scratch = train_small(tiny_ucla, tmp_path, "scratch", 1)
    assert json.loads((tmp_path / "tuned" / "result.json").read_text())["test"]["top1"] >= 0
    assert any(not torch.equal(tuned["model"][k], scratch["model"][k]) for k in scratch["model"]
               if k.startswith("blocks."))
    common = ["train", "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(tmp_path / "r"),
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs", "1", "--model", SMALL, *masked]
    assert skelapp_main(common) == 0  # LST is on by default; the pretraining reads no class texts ...
    assert not json.loads((tmp_path / "r" / "config.json").read_text())["train_config"]["lst"]  # ... says so
    capsys.readouterr()
    assert skelapp_main([*common, "--mix", "parts"]) == 2
    err = capsys.readouterr().err
    assert "reads no labels" in err and "batch mixing" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        skelapp_main([*common, "--mask-ratio", "0"])
    assert "--mask-ratio is a fraction between 0 and 1" in capsys.readouterr().err


def test_a_fine_tune_frozen_for_all_its_epochs_is_a_linear_probe(tiny_ucla, tmp_path, capsys) -> None:
    pre = train_small(tiny_ucla, tmp_path, "pre", 1, "--objective", "masked")
    probe = train_small(tiny_ucla, tmp_path, "probe", 2, "--init", str(tmp_path / "pre" / "last.pt"),
                        "--freeze-epochs", "2")
    learned = [k for k, v in probe["model"].items() if v.is_floating_point() and "running" not in k]
    backbone = [k for k in learned if k.startswith(("blocks.", "data_bn."))]
    assert backbone and all(torch.equal(probe["model"][k], pre["model"][k]) for k in backbone)
    assert not torch.equal(probe["model"]["fc.weight"], pre["model"]["fc.weight"])  # the head learned
    opt = probe["optimizer"]  # the frozen backbone got no gradients: no Adam moments either
    frozen = [i for g in opt["param_groups"] if g.get("backbone") for i in g["params"]]
    assert frozen and not set(frozen) & set(opt["state"]) and opt["state"]
    with pytest.raises(SystemExit):
        train_small(tiny_ucla, tmp_path, "x", 2, "--freeze-epochs", "3")
    assert "--freeze-epochs is a number of epochs from 0 to --epochs (2)" in capsys.readouterr().err


def test_a_fine_tune_decaying_to_its_init_stays_closer_to_it(tiny_ucla, tmp_path, capsys) -> None:
    pre = train_small(tiny_ucla, tmp_path, "pre", 1, "--objective", "masked")
    init = ("--init", str(tmp_path / "pre" / "last.pt"), "--lr", "0.01", "--weight-decay", "20")
    anchored = train_small(tiny_ucla, tmp_path, "anchored", 2, *init, "--decay-to-init")
    plain = train_small(tiny_ucla, tmp_path, "plain", 2, *init)

    def distance(run: dict) -> float:
        return sum(float((run["model"][k] - pre["model"][k]).norm()) for k in pre["model"]
                   if k.startswith("blocks.") and k.endswith("weight"))

    assert distance(anchored) < 0.5 * distance(plain)
    capsys.readouterr()
    assert skelapp_main(["train", "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out",
                         str(tmp_path / "x"), "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs",
                         "1", "--model", SMALL, "--no-lst", "--decay-to-init"]) == 2
    err = capsys.readouterr().err
    assert "give --init" in err and "Traceback" not in err
