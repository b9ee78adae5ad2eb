"""End to end on the tiny synthetic dataset: train, resume, export, evaluate (ONNX and checkpoint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
from _helpers import SMALL, train_small

from skelapp.app.cli import main as skelapp_main
from skelapp.core.normalize import FeatureConfig
from skelapp.core.recognizer import ModelError, StreamingRecognizer
from skelapp.training.checkpoints import load_checkpoint, load_ensemble, load_teacher
from skelapp.training.cli import evaluate_main, export_main, train_main
from skelapp.training.data import pad_collate
from skelapp.training.datasets import load_dataset
from skelapp.training.losses import distillation_loss, prefix_weights
from skelapp.training.optim import make_optimizer
from skelapp.training.splits import split_indices
from skelapp.training.train import TrainConfig, train


def test_train_resume_export_evaluate(tiny_ucla, tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "run"
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--batch-size", "16",
              "--val-fraction", "0.5"]
    assert train_main([*common, "--epochs", "1", "--no-lst"]) == 0
    assert train_main([*common, "--epochs", "2", "--no-lst", "--resume"]) == 0
    hist = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in hist] == [1, 2]
    if sys.platform.startswith("linux"):  # peak memory per epoch: a real figure, from the OS
        assert all(50 < h["peak_rss_mb"] < 64_000 for h in hist)
    capsys.readouterr()
    onnx_path = tmp_path / "m.onnx"
    assert export_main(["--checkpoint", str(out / "best.pt"), "--out", str(onnx_path),
                        "--data", str(tiny_ucla), "--cache-dir", str(tmp_path / "cache")]) == 0
    exp = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert exp["max_abs_diff_ort_vs_torch"] < 1e-4
    sessions = []  # evaluating an ONNX file opens one ONNX Runtime session (metadata and logits)
    monkeypatch.setattr(StreamingRecognizer, "__init__",
                        lambda self, *a, _init=StreamingRecognizer.__init__, **k:
                        sessions.append(a) or _init(self, *a, **k))
    assert evaluate_main(["--model", str(onnx_path), "--dataset", "nw-ucla", "--data", str(tiny_ucla),
                          "--json", "--cache-dir", str(tmp_path / "cache"),
                          "--out", str(tmp_path / "eval")]) == 0
    assert len(sessions) == 1
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluate_main(["--model", str(onnx_path), "--dataset", "nw-ucla", "--data", str(tiny_ucla),
                          "--json", "--cache-dir", str(tmp_path / "cache"),
                          "--baseline", str(onnx_path)]) == 0
    assert len(sessions) == 1 + 2  # an ONNX baseline: one session per model, none more for its metadata
    with_self = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert with_self["baseline"]["top1"] == res["top1"] and with_self["baseline"]["early"] == res["early"]
    assert 0 <= res["top1"] <= 100 and set(res["early"]) >= {"0.1", "0.4", "1.0"}
    assert (tmp_path / "eval" / "confusion.png").exists() and (tmp_path / "eval" / "early.png").exists()
    card = (tmp_path / "eval" / "model_card.md").read_text()
    assert f"Top-1: **{res['top1']:.1f} %**" in card and f" {res['early']['0.4']:.1f} |" in card
    assert "ONNX Runtime vs torch" in card and f"{exp['max_abs_diff_ort_vs_torch']:.2g}" in card
    assert "| 40 % |" in card and "walk around" in card  # early curve and per-class rows
    assert evaluate_main(["--model", str(out / "best.pt"), "--dataset", "nw-ucla", "--data", str(tiny_ucla),
                          "--json", "--cache-dir", str(tmp_path / "cache")]) == 0
    res2 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert abs(res2["top1"] - res["top1"]) < 1e-6


def test_evaluate_split_val_scores_the_hold_out_of_the_models_own_run(tiny_ucla, tmp_path, capsys) -> None:
    """--split val evaluates the clips the model's training run held out (its --val-fraction and
    --seed), labelled as that run saw them (its label fixes): the score its history recorded."""
    cache = str(tmp_path / "cache")
    fixes = tmp_path / "fixes.txt"  # every training clip of "pick up with one hand" relabelled
    fixes.write_text("".join(f"nw-ucla a01_s{s:02d}_e{e:02d}_v{v:02d} walk around\n"
                             for s in (1, 2) for e in (1, 2) for v in (1, 2)))
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--cache-dir", cache,
              "--quiet", "--epochs", "1", "--no-lst", "--label-fixes", str(fixes)]
    for name, seed, fraction in (("s3", 3, "0.5"), ("s4", 4, "0.5"), ("all", 3, "0")):
        assert train_main([*common, "--out", str(tmp_path / name), "--seed", str(seed),
                           "--val-fraction", fraction]) == 0
    ev = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--json", "--cache-dir", cache, "--split", "val"]
    recorded = json.loads((tmp_path / "s3" / "history.json").read_text())[-1]
    held_out = json.loads((tmp_path / "s3" / "config.json").read_text())["split"]["val"]
    capsys.readouterr()
    assert evaluate_main(["--model", str(tmp_path / "s3" / "last.pt"), *ev]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["split"] == "val" and res["clips"] == held_out == 40
    assert res["top1"] == pytest.approx(recorded["val_top1"], abs=1e-6)
    assert res["early"]["0.4"] == pytest.approx(recorded["val_early40"], abs=1e-6)
    rows = [sum(row) for row in res["confusion"]]  # true classes: "pick up with one hand" relabelled
    assert rows[0] == 0 and rows[3] == 8 and set(rows[1:3] + rows[4:]) == {4}
    for runs, match in ((["s3", "s4"], "seeds \\[3, 4\\]"), (["all"], "whole training split")):
        model = tmp_path / "m.onnx"
        assert export_main(["--checkpoint", *(str(tmp_path / r / "last.pt") for r in runs),
                            "--out", str(model)]) == 0
        with pytest.raises(ModelError, match=match):
            evaluate_main(["--model", str(model), *ev])
    with pytest.raises(ModelError, match="held out other validation clips"):
        evaluate_main(["--model", str(tmp_path / "s3" / "last.pt"), *ev,
                       "--baseline", str(tmp_path / "s4" / "last.pt")])
    with pytest.raises(ModelError, match="protocol 'xview'.*xview-dev"):
        evaluate_main(["--model", str(tmp_path / "s3" / "last.pt"), *ev, "--protocol", "xview-dev"])


def test_train_with_language_supervision(tiny_ucla, tmp_path) -> None:
    out = tmp_path / "lst"
    assert train_main(["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
                       "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs", "1",
                       "--val-fraction", "0.5"]) == 0
    assert json.loads((out / "result.json").read_text())["test"]["top1"] >= 0


def test_bone_stream_and_ensemble_export(tiny_ucla, tmp_path, capsys) -> None:
    """Train joint and bone streams, export them as one ensemble ONNX model, evaluate it."""
    cache = str(tmp_path / "cache")
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--cache-dir", cache,
              "--quiet", "--epochs", "1", "--no-lst", "--val-fraction", "0"]
    assert train_main([*common, "--out", str(tmp_path / "joint")]) == 0
    assert train_main([*common, "--out", str(tmp_path / "bone"), "--stream", "bone"]) == 0
    cfg = json.loads((tmp_path / "bone" / "config.json").read_text())
    assert cfg["model_config"]["stream"] == "bone"
    capsys.readouterr()
    ens = tmp_path / "ens.onnx"
    members = [str(tmp_path / "joint" / "last.pt"), str(tmp_path / "bone" / "last.pt")]
    assert export_main(["--checkpoint", *members, "--out", str(ens), "--data", str(tiny_ucla),
                        "--cache-dir", cache]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["max_abs_diff_ort_vs_torch"] < 1e-4
    assert evaluate_main(["--model", str(ens), "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--json",
                          "--cache-dir", cache]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["clips"] == 40 and 0 <= res["top1"] <= 100
    # the joint stream alone as the baseline: its curve is reported next to the ensemble's
    assert evaluate_main(["--model", str(ens), "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--json",
                          "--cache-dir", cache, "--baseline", members[0], "--out", str(tmp_path / "ev")]) == 0
    with_base = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    alone = json.loads((tmp_path / "joint" / "result.json").read_text())["test"]
    assert with_base["baseline"]["early"] == alone["early"] and with_base["top1"] == res["top1"]
    assert "| baseline `joint/last.pt` |" in (tmp_path / "ev" / "model_card.md").read_text()
    # members trained on other input features cannot be ensembled
    assert train_main([*common, "--out", str(tmp_path / "raw"), "--features", "{}"]) == 0
    with pytest.raises(ModelError, match="same classes and features"):
        export_main(["--checkpoint", str(tmp_path / "joint" / "last.pt"), str(tmp_path / "raw" / "last.pt"),
                     "--out", str(tmp_path / "bad.onnx")])


def test_distillation_from_an_ensemble_teacher(tiny_ucla, tmp_path) -> None:
    """--teacher: a joint + bone ensemble teaches a student; the loss moves the student towards the
    teacher's per-frame outputs, and teachers trained on another protocol or other classes are refused."""
    cache = str(tmp_path / "cache")
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--cache-dir", cache,
              "--quiet", "--no-lst", "--val-fraction", "0"]
    for stream in ("joint", "bone"):
        assert train_main([*common, "--epochs", "2", "--out", str(tmp_path / stream), "--stream", stream,
                           "--lr", "1e-2", "--precision", "fp32"]) == 0
    teacher = [str(tmp_path / s / "last.pt") for s in ("joint", "bone")]
    assert train_main([*common, "--epochs", "1", "--out", str(tmp_path / "student"), "--teacher", *teacher,
                       "--distill-weight", "2", "--distill-temperature", "3"]) == 0
    cfg = json.loads((tmp_path / "student" / "config.json").read_text())["train_config"]
    assert cfg["teacher"] == teacher and cfg["distill_weight"] == 2 and cfg["distill_temperature"] == 3
    # with the label loss drowned (distillation weight 100), the student's per-frame probabilities
    # on the training clips end far nearer the teacher's than those of the same run without a teacher
    # (6 epochs: after 3 the fp32 and bf16 runs land on either side of a factor 2, after 6 both end
    # about 200x nearer; the precision is pinned so the figure does not depend on the CPU)
    base = TrainConfig(dataset="nw-ucla", data=str(tiny_ucla), cache_dir=cache, model=json.loads(SMALL),
                       lst=False, epochs=6, lr=1e-2, threads=1, precision="fp32")
    train(replace(base, out=str(tmp_path / "plain")), progress=False, log_epochs=False)
    train(replace(base, out=str(tmp_path / "kd"), teacher=teacher, distill_weight=100.0),
          progress=False, log_epochs=False)
    clips = load_dataset("nw-ucla", str(tiny_ucla), cache, FeatureConfig(facing=True), progress=False)
    train_idx = split_indices(clips, None)[0]
    x, mask, _ = pad_collate([(torch.from_numpy(clips.features[i]), 0) for i in train_idx])
    with torch.no_grad():
        soft = load_teacher(replace(base, teacher=teacher), clips).forward_offline(x)[0]
        student = {name: load_checkpoint(tmp_path / name / "last.pt")[0] for name in ("plain", "kd")}
        gap = {name: float(distillation_loss(m.forward_offline(x)[0], soft, prefix_weights(mask)))
               for name, m in student.items()}
    assert gap["kd"] < 0.05 * gap["plain"], gap
    # a teacher trained on another protocol (it may have seen this run's test clips) is refused
    assert train_main([*common, "--epochs", "1", "--out", str(tmp_path / "dev"),
                       "--protocol", "xview-dev"]) == 0
    with pytest.raises(ModelError, match="dataset and protocol"):
        train_main([*common, "--epochs", "1", "--out", str(tmp_path / "s2"),
                    "--teacher", str(tmp_path / "dev" / "last.pt")])
    # ... and so is one with other input features
    assert train_main([*common, "--epochs", "1", "--out", str(tmp_path / "raw"), "--features", "{}"]) == 0
    with pytest.raises(ModelError, match="input features"):
        train_main([*common, "--epochs", "1", "--out", str(tmp_path / "s3"),
                    "--teacher", str(tmp_path / "raw" / "last.pt")])


def test_init_from_another_run(tiny_ucla, tmp_path, capsys) -> None:
    """--init copies matching weights (transfer between datasets); a different stream is refused."""
    import torch

    cache = str(tmp_path / "cache")
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--cache-dir", cache,
              "--epochs", "1", "--no-lst", "--val-fraction", "0", "--lr", "0"]
    assert train_main([*common, "--out", str(tmp_path / "src"), "--quiet", "--lr", "1e-2"]) == 0
    capsys.readouterr()
    src_ck = str(tmp_path / "src" / "last.pt")
    assert train_main([*common, "--out", str(tmp_path / "dst"), "--init", src_ck]) == 0
    assert "initialised" in capsys.readouterr().out
    src = torch.load(tmp_path / "src" / "last.pt", weights_only=False)["model"]
    dst = torch.load(tmp_path / "dst" / "last.pt", weights_only=False)["model"]
    # lr 0: the copied graph-convolution weights are still the source's
    assert torch.equal(src["blocks.0.gcn.conv.weight"], dst["blocks.0.gcn.conv.weight"])
    with pytest.raises(ModelError, match="stream"):
        train_main([*common, "--out", str(tmp_path / "bone"), "--stream", "bone", "--quiet",
                    "--init", src_ck])


def test_cotraining_learns_both_datasets_and_saves_a_model_of_its_own_classes(tiny_ucla, tiny_data, tmp_path,
                                                                             capsys) -> None:
    """--cotrain msr-action3d: MSR's training subjects join the training clips under their own 20
    classes (LST included); checkpoints, evaluation and export give NW-UCLA's 10 classes."""
    root = tiny_data
    cache, out = str(tmp_path / "cache"), tmp_path / "cot"
    common = ["--dataset", "nw-ucla", "--data", str(root), "--model", SMALL, "--cache-dir", cache, "--quiet",
              "--val-fraction", "0.25", "--out", str(out), "--cotrain", "msr-action3d"]
    assert train_main([*common, "--epochs", "1"]) == 0
    assert train_main([*common, "--epochs", "2", "--resume"]) == 0
    ck = torch.load(out / "last.pt", weights_only=False)
    meta = ck["meta"]
    ucla = load_dataset("nw-ucla", tiny_ucla, cache, progress=False)
    assert meta["labels"] == ucla.labels
    assert meta["cotrain_labels"][:2] == ["high arm wave", "horizontal arm wave"]
    assert ck["model"]["fc.weight"].shape[0] == 30 and ck["lst"]  # trained on 10 + 20 classes
    ucla_train = len(split_indices(ucla)[0])
    # NW-UCLA's training views less the hold-out, plus MSR's odd subjects 1 and 3 (20 actions each)
    assert meta["split"]["train"] + meta["split"]["val"] == ucla_train + 40
    model, _ = load_checkpoint(out / "last.pt")
    assert model.fc.out_features == 10
    res = json.loads((out / "result.json").read_text())
    capsys.readouterr()
    onnx_path = tmp_path / "cot.onnx"
    assert export_main(["--checkpoint", str(out / "last.pt"), "--out", str(onnx_path), "--data", str(root),
                        "--cache-dir", cache]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["max_abs_diff_ort_vs_torch"] < 1e-4
    assert evaluate_main(["--model", str(onnx_path), "--dataset", "nw-ucla", "--data", str(root), "--json",
                          "--cache-dir", cache]) == 0
    ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(ev["per_class"]) == 10 and abs(ev["top1"] - res["test"]["top1"]) < 1e-6
    # a teacher co-trained with the same datasets teaches every class of the student's classifier
    student = tmp_path / "student"
    assert train_main([*common[:-2], "--cotrain", "msr-action3d", "--epochs", "1", "--out", str(student),
                       "--teacher", str(out / "last.pt")]) == 0
    taught = json.loads((student / "config.json").read_text())["train_config"]
    assert taught["teacher"] == [str(out / "last.pt")] and taught["cotrain"] == ["msr-action3d"]
    teacher, _ = load_ensemble([str(out / "last.pt")], cotrained=True)
    assert teacher.fc.out_features == 30
    alone = tmp_path / "alone"  # NW-UCLA's 10 classes only
    assert train_main([*common[:-2], "--epochs", "1", "--out", str(alone)]) == 0
    # the dataset itself, twice, or a teacher of other classes: one clear line
    for bad, msg in ((["--cotrain", "nw-ucla"], "each once"),
                     (["--cotrain", "msr-action3d", "msr-action3d"], "each once"),
                     (["--cotrain", "msr-action3d", "--teacher", str(alone / "last.pt")],
                      "predicts 10 classes"),
                     (["--teacher", str(out / "last.pt")], "predicts 30 classes")):
        assert skelapp_main(["train", *common[:-2], *bad, "--epochs", "1", "--out", str(tmp_path / "x")]) == 2
        assert msg in capsys.readouterr().err


def test_cotraining_on_every_clip_is_recorded_and_guards_the_other_datasets_test(tiny_ucla, tiny_data,
                                                                                  tmp_path, capsys) -> None:
    """--cotrain-split all: every MSR clip (its even, test subjects too) joins the training clips; the
    checkpoint records that it saw MSR's test split, a run started from it inherits the record, and
    no MSR run may start from either (--init); NW-UCLA runs may."""
    root, cache = str(tiny_data), str(tmp_path / "cache")
    common = ["--data", root, "--model", SMALL, "--cache-dir", cache, "--quiet", "--no-lst", "--epochs", "1",
              "--val-fraction", "0"]
    every = tmp_path / "every"
    assert train_main(["--dataset", "nw-ucla", *common, "--cotrain", "msr-action3d", "--cotrain-split", "all",
                       "--out", str(every)]) == 0
    meta = torch.load(every / "last.pt", weights_only=False)["meta"]
    ucla_train = len(split_indices(load_dataset("nw-ucla", tiny_ucla, cache, progress=False))[0])
    assert meta["split"]["train"] == ucla_train + 80  # MSR's subjects 1-4, 20 actions each
    assert meta["test_splits_seen"] == ["msr-action3d"]
    child = tmp_path / "child"
    assert train_main(["--dataset", "nw-ucla", *common, "--init", str(every / "last.pt"),
                       "--out", str(child)]) == 0
    assert torch.load(child / "last.pt", weights_only=False)["meta"]["test_splits_seen"] == ["msr-action3d"]
    usual = tmp_path / "usual"  # the default split: MSR's odd subjects only, nothing seen
    assert train_main(["--dataset", "nw-ucla", *common, "--cotrain", "msr-action3d",
                       "--out", str(usual)]) == 0
    meta = torch.load(usual / "last.pt", weights_only=False)["meta"]
    assert meta["split"]["train"] == ucla_train + 40 and meta["test_splits_seen"] == []
    msr_ok = tmp_path / "msr_ok"
    assert train_main(["--dataset", "msr-action3d", *common, "--cotrain", "nw-ucla", "--out", str(msr_ok),
                       "--init", str(usual / "last.pt")]) == 0
    capsys.readouterr()
    for bad, msg in ((["--init", str(every / "last.pt")], "test split"),
                     (["--init", str(child / "last.pt")], "test split"),
                     (["--init", str(tmp_path / "missing.pt")], "no such checkpoint file")):
        assert skelapp_main(["train", "--dataset", "msr-action3d", *common, *bad,
                             "--out", str(tmp_path / "x")]) == 2
        assert msg in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("batching", "extra"),
                         [("raw", []), ("augmented", []), ("raw", ["--ema-epochs", "1"])])
def test_a_crash_mid_epoch_resumes_as_if_never_interrupted(tiny_ucla, tmp_path, monkeypatch,
                                                           batching, extra) -> None:
    """Augmentation plans, batch order, dropout and the weight average continue from the last
    checkpoint: a run that crashed in its second epoch and was resumed ends with the uninterrupted
    run's weights."""
    import torch

    from skelapp.training.data import ClipDataset

    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--quiet", "--no-lst",
              "--cache-dir", str(tmp_path / "cache"), "--val-fraction", "0", "--precision", "fp32",
              "--threads", "1", "--batch-size", "8", "--epochs", "3", "--batching", batching, *extra]
    assert train_main([*common, "--out", str(tmp_path / "straight")]) == 0
    served, calls = ClipDataset.__getitem__, []

    def crash_in_epoch_two(self, k):
        calls.append(k)
        if len(calls) == len(self) + 5:
            raise RuntimeError("power cut")
        return served(self, k)

    with monkeypatch.context() as m:
        m.setattr(ClipDataset, "__getitem__", crash_in_epoch_two)
        with pytest.raises(RuntimeError, match="power cut"):
            train_main([*common, "--out", str(tmp_path / "cut")])
    assert json.loads((tmp_path / "cut" / "history.json").read_text())[-1]["epoch"] == 1
    assert train_main([*common, "--out", str(tmp_path / "cut"), "--resume"]) == 0
    ck_a = torch.load(tmp_path / "straight" / "last.pt", weights_only=False)
    ck_b = torch.load(tmp_path / "cut" / "last.pt", weights_only=False)
    for key in ("model", "trained_model") if extra else ("model",):
        a, b = ck_a[key], ck_b[key]
        assert a.keys() == b.keys()
        for k in a:
            assert torch.allclose(a[k].float(), b[k].float(), atol=1e-6), (key, k)
    if extra:  # the saved (averaged) weights are not the trained ones
        assert not torch.equal(ck_a["model"]["fc.weight"], ck_a["trained_model"]["fc.weight"])
        assert int(ck_a["ema_n"]) == int(ck_b["ema_n"]) > 0


def test_ema_run_evaluates_and_exports_the_averaged_weights(tiny_ucla, tmp_path, capsys) -> None:
    out = tmp_path / "ema"
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--val-fraction", "0", "--no-lst",
              "--epochs", "2"]
    assert train_main([*common, "--ema-epochs", "1"]) == 0
    assert json.loads((out / "config.json").read_text())["train_config"]["ema_epochs"] == 1.0
    result = json.loads((out / "result.json").read_text())["test"]
    capsys.readouterr()
    assert evaluate_main(["--model", str(out / "last.pt"), "--dataset", "nw-ucla", "--data", str(tiny_ucla),
                          "--json", "--cache-dir", str(tmp_path / "cache")]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["top1"] == pytest.approx(result["top1"])
    model, _ = load_checkpoint(out / "last.pt")
    ck = torch.load(out / "last.pt", weights_only=False)
    assert torch.equal(model.fc.weight, ck["model"]["fc.weight"])
    with pytest.raises(ModelError, match="weight average"):  # resuming without the flag is refused
        train_main([*common[:-1], "3", "--resume"])


def test_bf16_training_records_its_precision(tiny_ucla, tmp_path) -> None:
    out = tmp_path / "bf16"
    assert train_main(["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
                       "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs", "2",
                       "--val-fraction", "0", "--precision", "bf16"]) == 0
    meta = json.loads((out / "config.json").read_text())
    assert meta["precision"] == "bf16" and meta["train_config"]["precision"] == "bf16"
    hist = json.loads((out / "history.json").read_text())
    assert all(0 < h["loss"] < 10 for h in hist) and hist[1]["loss"] < hist[0]["loss"]


def test_sgd_optimizer_trains_resumes_and_is_recorded(tiny_ucla, tmp_path) -> None:
    """--optimizer sgd: Nesterov SGD with the given lr, weight decay and warm-up; recorded, resumable."""
    out = tmp_path / "sgd"
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--val-fraction", "0", "--no-lst",
              "--optimizer", "sgd", "--lr", "0.1", "--weight-decay", "4e-4", "--warmup-epochs", "1"]
    assert train_main([*common, "--epochs", "2"]) == 0
    assert train_main([*common, "--epochs", "3", "--resume"]) == 0
    tc = json.loads((out / "config.json").read_text())["train_config"]
    assert (tc["optimizer"], tc["lr"], tc["weight_decay"], tc["warmup_epochs"]) == ("sgd", 0.1, 4e-4, 1)
    opt = torch.load(out / "last.pt", map_location="cpu", weights_only=False)["optimizer"]
    group = opt["param_groups"][0]
    assert group["nesterov"] and group["momentum"] == 0.9 and group["weight_decay"] == 4e-4
    assert all("momentum_buffer" in st for st in opt["state"].values())  # SGD's state, not Adam's
    hist = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in hist] == [1, 2, 3]
    assert hist[0]["lr"] == pytest.approx(0.1) and hist[-1]["loss"] < hist[0]["loss"]
    with pytest.raises(ValueError, match="unknown optimizer 'lamb'"):
        make_optimizer(TrainConfig(optimizer="lamb"), [torch.nn.Parameter(torch.zeros(1))])


def test_no_decay_1d_flag_trains_resumes_and_is_recorded(tiny_ucla, tmp_path) -> None:
    train_small(tiny_ucla, tmp_path, "nd", 1, "--no-decay-1d")
    ck = train_small(tiny_ucla, tmp_path, "nd", 2, "--no-decay-1d", "--resume")
    assert json.loads((tmp_path / "nd" / "config.json").read_text())["train_config"]["decay_1d"] is False
    groups = ck["optimizer"]["param_groups"]
    assert [g["weight_decay"] for g in groups] == [0.05, 0.0] and len(groups[1]["params"]) > 10


def test_layer_decay_flag_trains_resumes_and_is_checked(tiny_ucla, tmp_path, capsys) -> None:
    train_small(tiny_ucla, tmp_path, "ld", 1, "--layer-decay", "0.8")
    ck = train_small(tiny_ucla, tmp_path, "ld", 2, "--layer-decay", "0.8", "--resume")
    assert json.loads((tmp_path / "ld" / "config.json").read_text())["train_config"]["layer_decay"] == 0.8
    lrs = [g["initial_lr"] for g in ck["optimizer"]["param_groups"]]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] == pytest.approx(lrs[0] * 0.8 ** (len(lrs) - 1))
    hist = json.loads((tmp_path / "ld" / "history.json").read_text())
    assert [h["epoch"] for h in hist] == [1, 2]
    with pytest.raises(SystemExit):
        train_main(["--dataset", "nw-ucla", "--data", "x", "--out", "y", "--layer-decay", "0"])
    assert "--layer-decay is a factor in (0, 1]" in capsys.readouterr().err


def test_help_lists_the_choices_without_importing_torch() -> None:
    """``skelapp train --help`` reads the named choices from training/choices.py: it lists them and
    imports neither torch nor the trainer."""
    code = ("import sys\nfrom skelapp.training.cli import train_main\n"
            "try:\n    train_main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.endswith('training.train')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]"), out[-300:]
    for listed in ("{joint,bone,joint_bone}", "{adamw,sgd}", "{none,parts,mixup}",
                   "{classify,masked,contrastive}"):
        assert listed in out


def test_msr_action_subset_train_export_evaluate(tiny_msr, tmp_path, capsys) -> None:
    """``--protocol as2``: an 8-class model, exported and evaluated on that subset's test clips."""
    cache = str(tmp_path / "cache")
    out = tmp_path / "as2"
    assert train_main(["--dataset", "msr-action3d", "--data", str(tiny_msr), "--out", str(out),
                       "--protocol", "as2", "--model", SMALL, "--cache-dir", cache, "--quiet",
                       "--epochs", "1", "--val-fraction", "0"]) == 0  # with LST on the subset's texts
    ckpt = torch.load(out / "last.pt", weights_only=False)
    assert ckpt["meta"]["labels"][:3] == ["high arm wave", "hand catch", "draw x"]
    assert len(ckpt["meta"]["labels"]) == 8
    capsys.readouterr()
    onnx_path = tmp_path / "as2.onnx"
    assert export_main(["--checkpoint", str(out / "last.pt"), "--out", str(onnx_path),
                        "--data", str(tiny_msr), "--cache-dir", cache]) == 0
    exp = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert exp["checked_on"] == "16 real test clips" and exp["max_abs_diff_ort_vs_torch"] < 1e-4
    ev = ["--model", str(onnx_path), "--dataset", "msr-action3d", "--data", str(tiny_msr), "--json",
          "--cache-dir", cache]
    assert evaluate_main([*ev, "--protocol", "as2"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["protocol"] == "as2" and res["clips"] == 16  # 8 actions x even subjects 2 and 4
    assert list(res["per_class"])[:2] == ["high arm wave", "hand catch"] and len(res["per_class"]) == 8
    assert skelapp_main(["evaluate", *ev]) == 2  # the wrong protocol: one clear line, no traceback
    assert "model's 8 classes are not the 20 classes of msr-action3d / xsub" in capsys.readouterr().err


def test_bad_model_settings_and_weight_average_are_one_line_errors(tiny_ucla, tmp_path, capsys) -> None:
    """A --model / --augment / --features override that is unknown, invalid or not a JSON object,
    or a negative --ema-epochs / --prefix-power: one clear line naming it, no traceback."""
    common = ["train", "--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(tmp_path / "r"),
              "--cache-dir", str(tmp_path / "cache"), "--quiet", "--epochs", "1", "--no-lst"]
    for model, reason in (('{"tcn": "wavelet"}', "unknown tcn 'wavelet'; use one of single, multiscale"),
                          ('{"kernal": 9}', "unexpected keyword argument 'kernal'")):
        capsys.readouterr()
        assert skelapp_main([*common, "--model", model]) == 2
        err = capsys.readouterr().err
        assert model in err and reason in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        skelapp_main([*common, "--ema-epochs", "-1"])
    assert "--ema-epochs must be >= 0 (0 = off), got -1.0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        skelapp_main([*common, "--prefix-power", "-2"])
    assert "--prefix-power must be >= 0 (1 = the default linear weights), got -2.0" in capsys.readouterr().err
    assert skelapp_main([*common, "--mix", "parts", "--mix-prob", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "probability 1.5 (0 to 1)" in err and "Traceback" not in err
    # the same for the other JSON override flags: unknown keys, text that is not a JSON object
    for flag, text, reason in (("--augment", '{"crop_keep_ends": true}', "'crop_keep_ends'"),
                               ("--features", '{"facin": true}', "'facin'")):
        assert skelapp_main([*common, flag, text]) == 2
        err = capsys.readouterr().err
        assert text in err and reason in err and "Traceback" not in err
    for text, reason in (("{bad", "not valid JSON"), ("[1]", "expected a JSON object")):
        with pytest.raises(SystemExit):
            skelapp_main([*common, "--augment", text])
        assert f"argument --augment: {reason}" in capsys.readouterr().err


def test_training_caps_onednn_kernel_cache_unless_the_user_set_it(monkeypatch) -> None:
    from skelapp.training.train import limit_onednn_cache

    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    limit_onednn_cache()
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "8"
    monkeypatch.setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "256")
    limit_onednn_cache()
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "256"


def test_python_dash_m_skelapp_training_trains_evaluates_and_reports_errors(tiny_ucla, tmp_path) -> None:
    """``python -m skelapp.training`` is ``skelapp train`` (and ``evaluate`` / ``export`` by name),
    run as a user would: a separate process."""
    import subprocess

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "skelapp.training", *args], capture_output=True,
                              text=True, timeout=600)

    out, cache = tmp_path / "run", str(tmp_path / "cache")
    done = run("--dataset", "nw-ucla", "--data", str(tiny_ucla), "--out", str(out), "--model", SMALL,
               "--cache-dir", cache, "--quiet", "--epochs", "1", "--no-lst", "--precision", "fp32")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "result.json").read_text())["epoch"] == 1
    done = run("evaluate", "--model", str(out / "last.pt"), "--dataset", "nw-ucla", "--data", str(tiny_ucla),
               "--cache-dir", cache, "--json")
    assert done.returncode == 0, done.stderr
    assert 0 <= json.loads(done.stdout.strip().splitlines()[-1])["top1"] <= 100
    missing = tmp_path / "no_such_dir"
    done = run("train", "--dataset", "nw-ucla", "--data", str(missing), "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert done.stderr.startswith("skelapp train: error:") and str(missing) in done.stderr
    assert "Traceback" not in done.stderr


def test_torchrun_trains_one_model_on_two_cpu_processes(tiny_ucla, tmp_path) -> None:
    """``torchrun --nproc_per_node 2 -m skelapp.training`` trains with DDP (gloo on the CPU): the two
    ranks share out each epoch's batches (each takes half the optimizer steps of one process) and
    rank 0 writes the checkpoints and the result."""
    import subprocess

    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--quiet", "--epochs", "2",
              "--no-lst", "--precision", "fp32", "--threads", "1", "--val-fraction", "0",
              "--cache-dir", str(tmp_path / "cache")]
    assert train_main([*common, "--out", str(tmp_path / "one")]) == 0
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                "-m", "skelapp.training", "train"]
    done = subprocess.run([*torchrun, *common, "--out", str(tmp_path / "ddp")], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    steps = {run: torch.load(tmp_path / run / "last.pt", weights_only=False)["scheduler"]["last_epoch"]
             for run in ("one", "ddp")}
    assert steps["one"] == 2 * 5 and steps["ddp"] == 2 * 2  # 80 clips: 5 batches of 16, 2 per rank
    result = json.loads((tmp_path / "ddp" / "result.json").read_text())
    assert result["epoch"] == 2 and len(result["history"]) == 2 and 0 <= result["test"]["top1"] <= 100


def test_a_non_causal_research_model_trains_and_scores_but_is_not_exported(tiny_ucla, tmp_path) -> None:
    """--model '{"causal": false}' (dev75's research baseline) trains and writes its test score
    like any run; export refuses it by name, not with a traceback from the ONNX trace."""
    model = json.dumps({**json.loads(SMALL), "causal": False})
    out = tmp_path / "ahead"
    assert train_main(["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", model, "--cache-dir",
                       str(tmp_path / "cache"), "--quiet", "--epochs", "1", "--no-lst", "--val-fraction", "0",
                       "--out", str(out)]) == 0
    res = json.loads((out / "result.json").read_text())
    assert res["meta"]["model_config"]["causal"] is False and 0 <= res["test"]["top1"] <= 100
    with pytest.raises(ModelError, match="ahead/last.pt: a non-causal network .* cannot be exported"):
        export_main(["--checkpoint", str(out / "last.pt"), "--out", str(tmp_path / "x.onnx")])
    assert not (tmp_path / "x.onnx").exists()
