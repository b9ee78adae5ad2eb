"""Weight soups (training/soup.py, ``skelapp soup``): the average, the BatchNorm statistics measured
anew, the pretrain -> two fine-tunes -> soup path end to end, and the refusals."""

from __future__ import annotations

import json

import pytest
import torch
from _helpers import small_model, train_small
from torch.utils.data import DataLoader

from skelapp.app.cli import main as skelapp_main
from skelapp.core.recognizer import ModelError
from skelapp.training.checkpoints import load_checkpoint
from skelapp.training.data import pad_collate
from skelapp.training.soup import average_weights, check_members, recompute_batch_norm


def test_average_is_the_mean_of_float_tensors_and_counters_come_from_the_first() -> None:
    a = {"w": torch.tensor([1.0, 3.0]), "n": torch.tensor(7)}
    b = {"w": torch.tensor([3.0, 5.0]), "n": torch.tensor(9)}
    c = {"w": torch.tensor([2.0, 1.0]), "n": torch.tensor(1)}
    avg = average_weights([a, b, c])
    assert torch.equal(avg["w"], torch.tensor([2.0, 3.0]))
    assert avg["n"].item() == 7 and avg["n"].dtype == torch.int64


def test_batch_norm_statistics_are_the_cumulative_mean_of_one_pass_whatever_they_were() -> None:
    torch.manual_seed(0)
    clips = [(torch.randn(int(n), 20, 6) * 2 + 1, 0) for n in (9, 14, 11, 14)]
    loader = DataLoader(clips, batch_size=2, collate_fn=pad_collate)
    model = small_model()
    recompute_batch_norm(model, loader, torch.device("cpu"))
    first = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}
    assert not model.training  # handed back ready to evaluate
    assert all(m.momentum == 0.1 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    # the input BatchNorm's mean is the mean of the two batches' per-channel means (cumulative, not
    # momentum 0.1), each over the batch's frames as the network reads them: (B, V * C, T), padding in
    per_batch = []
    for i in (0, 2):
        x = pad_collate(clips[i : i + 2])[0]
        per_batch.append(x.permute(0, 2, 3, 1).reshape(2, 20 * 6, -1).mean((0, 2)))
    assert torch.allclose(first["data_bn.running_mean"], (per_batch[0] + per_batch[1]) / 2, atol=1e-5)
    for k in first:  # start from other statistics: the same result, so nothing of them is kept
        model.state_dict()[k].add_(5.0)
    torch.rand(3)  # and whatever the global generator's state: the pass's dropout draws are its own
    recompute_batch_norm(model, loader, torch.device("cpu"))
    assert all(torch.allclose(first[k], model.state_dict()[k], atol=1e-6) for k in first)
    assert first["data_bn.running_mean"].abs().max() > 0.5  # the data's offset of 1, not the reset zeros


def test_two_fine_tunes_of_one_pretraining_make_one_network_that_evaluates_and_exports(
        tiny_ucla, tmp_path, capsys) -> None:
    train_small(tiny_ucla, tmp_path, "pre", 2, "--objective", "masked")
    pre = str(tmp_path / "pre" / "last.pt")
    members = [train_small(tiny_ucla, tmp_path, f"ft{s}", 2, "--init", pre, "--seed", str(s)) for s in (0, 1)]
    paths = [str(tmp_path / f"ft{s}" / "last.pt") for s in (0, 1)]
    out = tmp_path / "soup"
    capsys.readouterr()
    assert skelapp_main(["soup", *paths, "--data", str(tiny_ucla), "--out", str(out),
                         "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    result = json.loads((out / "result.json").read_text())
    assert printed["test"] == result["test"] and 0 <= result["test"]["top1"] <= 100
    assert result["soup"]["members"] == paths and result["soup"]["batchnorm_batches"] > 0
    soup = torch.load(out / "last.pt", weights_only=False)
    for k, v in soup["model"].items():
        mean = (members[0]["model"][k].float() + members[1]["model"][k].float()) / 2
        if "running" in k:  # measured anew: neither member's nor their mean
            assert not torch.allclose(v, mean)
        elif v.is_floating_point():
            assert torch.allclose(v, mean, atol=1e-6), k
    model, meta = load_checkpoint(out / "last.pt")  # loads like a run's checkpoint
    assert meta["labels"] == members[0]["meta"]["labels"]
    assert skelapp_main(["evaluate", "--model", str(out / "last.pt"), "--data", str(tiny_ucla),
                         "--cache-dir", str(tmp_path / "cache"), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["top1"] == pytest.approx(result["test"]["top1"])  # the same network, scored alike
    onnx = str(tmp_path / "s.onnx")
    assert skelapp_main(["export", "--checkpoint", str(out / "last.pt"), "--out", onnx]) == 0
    assert json.loads(capsys.readouterr().out)["max_abs_diff_ort_vs_torch"] < 1e-4


def test_members_that_do_not_share_a_pretraining_or_clips_are_refused(tiny_ucla, tmp_path, capsys) -> None:
    for name, seed in (("pre_a", "0"), ("pre_b", "1")):
        train_small(tiny_ucla, tmp_path, name, 1, "--objective", "masked", "--seed", seed)
    train_small(tiny_ucla, tmp_path, "a", 1, "--init", str(tmp_path / "pre_a" / "last.pt"))
    train_small(tiny_ucla, tmp_path, "b", 1, "--init", str(tmp_path / "pre_b" / "last.pt"))
    train_small(tiny_ucla, tmp_path, "scratch", 1)
    ck = {n: str(tmp_path / n / "last.pt") for n in ("a", "b", "scratch", "pre_a")}
    cases = [((ck["a"], ck["b"]), "--init"), ((ck["scratch"], ck["scratch"]), "random weights"),
             ((ck["pre_a"], ck["pre_a"]), "self-supervised (masked)"), ((ck["a"],), "two or more")]
    for members, message in cases:
        capsys.readouterr()
        assert skelapp_main(["soup", *members, "--data", str(tiny_ucla), "--out", str(tmp_path / "x"),
                             "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "x").exists()  # nothing written for a refused soup


def test_a_member_trained_before_a_setting_existed_reads_as_its_default() -> None:
    """A checkpoint written before ``cotrain_split`` existed ran its default ("train"): it soups with
    a newer member that ran "train", and is refused beside one that ran "all"."""
    meta = {"dataset": "nw-ucla", "objective": "classify",
            "train_config": {"init": "runs/pre/last.pt", "cotrain": ["msr-action3d"]}}
    old = {"meta": meta}
    new = {"meta": {**meta, "train_config": {**meta["train_config"], "cotrain_split": "train"}}}
    every = {"meta": {**meta, "train_config": {**meta["train_config"], "cotrain_split": "all"}}}
    check_members(["old.pt", "new.pt"], [old, new])
    check_members(["new.pt", "old.pt"], [new, old])
    with pytest.raises(ModelError, match="every.pt: --cotrain-split 'all' differs from old.pt's 'train'"):
        check_members(["old.pt", "every.pt"], [old, every])
