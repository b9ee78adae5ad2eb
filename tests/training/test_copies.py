"""Test clips that are copies of training clips: found, counted and scored apart."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest
from _helpers import train_small

from skelapp.training.cli import evaluate_main, export_main
from skelapp.training.copies import clip_fingerprint, training_copies
from skelapp.training.datasets import load_dataset
from skelapp.training.metrics import score, unseen_score
from skelapp.training.splits import split_indices


@pytest.fixture()
def ucla_with_a_copy(tiny_ucla, tmp_path):
    """The tiny NW-UCLA set with one view-3 (test) file replaced by its view-2 (training) twin, as
    in the real release."""
    root = tmp_path / "data"
    shutil.copytree(tiny_ucla, root)
    twin = json.loads((root / "all_sqe" / "a02_s01_e01_v02.json").read_text())
    twin["file_name"] = "a02_s01_e01_v03"
    (root / "all_sqe" / "a02_s01_e01_v03.json").write_text(json.dumps(twin))
    return root


def test_only_the_identical_test_clip_is_a_copy(ucla_with_a_copy, tiny_ucla, tmp_path) -> None:
    cs = load_dataset("nw-ucla", ucla_with_a_copy, None, progress=False)
    train, test = split_indices(cs)
    copies = training_copies(cs, train, test)
    assert [cs.names[i] for i in test[copies]] == ["a02_s01_e01_v03"]
    original = load_dataset("nw-ucla", tiny_ucla, None, progress=False)
    assert not training_copies(original, *split_indices(original)).any()
    # one float32 ulp, or the same values in another shape, is another clip
    j = cs.joints[test[copies][0]]
    assert clip_fingerprint(j) == clip_fingerprint(j.copy())
    assert clip_fingerprint(j) != clip_fingerprint(np.nextafter(j, np.float32(np.inf)))
    assert clip_fingerprint(j) != clip_fingerprint(j.reshape(len(j), -1))


def test_unseen_score_leaves_the_copies_out() -> None:
    eye = np.eye(3, dtype=np.float32)
    # four clips of three frames: predicted classes 0, 1, 2, 2 at every frame; targets 0, 1, 1, 2
    per_frame = [np.repeat(eye[k][None], 3, 0) for k in (0, 1, 2, 2)]
    targets = np.array([0, 1, 1, 2])
    assert score(per_frame, targets)["top1"] == 75.0
    res = unseen_score(per_frame, targets, np.array([True, True, False, False]), ["a", "b", "c"])
    assert res["top1"] == 50.0 and res["clips"] == 2 and res["copies"] == 2
    assert res["copies_by_class"] == {"a": 1, "b": 1} and res["early"]["0.4"] == 50.0
    assert unseen_score(per_frame, targets, np.zeros(4, bool), ["a", "b", "c"]) is None
    assert unseen_score(per_frame, targets, np.ones(4, bool), ["a", "b", "c"]) is None


def test_train_and_evaluate_report_the_score_without_copies(ucla_with_a_copy, tmp_path, capsys) -> None:
    train_small(ucla_with_a_copy, tmp_path, "run", 1)
    trained = json.loads((tmp_path / "run" / "result.json").read_text())["test"]
    assert trained["unseen"]["copies"] == 1 and trained["unseen"]["clips"] == 39
    onnx_path = tmp_path / "m.onnx"
    assert export_main(["--checkpoint", str(tmp_path / "run" / "last.pt"), "--out", str(onnx_path)]) == 0
    capsys.readouterr()
    ev = ["--model", str(onnx_path), "--dataset", "nw-ucla", "--data", str(ucla_with_a_copy),
          "--cache-dir", str(tmp_path / "cache")]
    assert evaluate_main([*ev, "--json"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    unseen = res["unseen"]
    assert unseen["copies_by_class"] == {"pick up with two hands": 1} and unseen["clips"] == res["clips"] - 1
    # the whole-split score is the weighted mean of the copy's and the others' scores
    copy_right = res["top1"] * res["clips"] - unseen["top1"] * unseen["clips"]
    assert copy_right == pytest.approx(0.0, abs=1e-6) or copy_right == pytest.approx(100.0)
    assert evaluate_main([*ev, "--out", str(tmp_path / "report")]) == 0
    assert "without the 1 test clips that are copies of training clips (39 clips)" in capsys.readouterr().out
    card = (tmp_path / "report" / "model_card.md").read_text()
    assert "1 test clips are exact copies of training clips (pick up with two hands 1)" in card
    assert f"| without the 1 copies | {unseen['early']['0.1']:.1f} |" in card


def test_nw_ucla_view_3_holds_95_copies_of_view_2_training_clips(data_dir) -> None:
    """The released cross-view test split: every view-3 "pick up with two hands" and "drop trash"
    clip is its view-2 twin (same subject and episode), byte for byte; no other clip repeats."""
    cs = load_dataset("nw-ucla", data_dir, None, progress=False)
    train, test = split_indices(cs)
    copies = test[training_copies(cs, train, test)]
    labels = Counter(cs.labels[cs.targets[i]] for i in copies)
    assert labels == {"pick up with two hands": 50, "drop trash": 45}
    by_print = {clip_fingerprint(cs.joints[i]): cs.names[i] for i in train}
    twins = [by_print[clip_fingerprint(cs.joints[i])] for i in copies]
    assert twins == [cs.names[i].replace("_v03", "_v02") for i in copies]
    for label in ("pick up with two hands", "drop trash"):
        assert all(i in copies for i in test if cs.labels[cs.targets[i]] == label)
    assert len(set(by_print)) == len(train)  # the training views hold no copies among themselves
