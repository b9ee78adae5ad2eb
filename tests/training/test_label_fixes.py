"""Known label errors: the bundled list, its parser, and correction in training splits only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _helpers import train_small

from skelapp.core.conversion import to_canonical
from skelapp.core.normalize import HIP
from skelapp.core.nw_ucla import read_nw_ucla
from skelapp.training.datasets import DatasetError, load_dataset
from skelapp.training.label_fixes import fix_training_labels, load_label_fixes
from skelapp.training.splits import split_indices


def test_bundled_fixes_parse_and_none_means_none(tmp_path) -> None:
    fixes = load_label_fixes()
    assert set(fixes) == {"nw-ucla"} and len(fixes["nw-ucla"]) == 11
    assert fixes["nw-ucla"]["a05_s04_e00_v02"] == "stand up"
    assert fixes["nw-ucla"]["a06_s04_e04_v02"] == "sit down"
    assert load_label_fixes("none") == load_label_fixes("NONE") == {}
    bad = tmp_path / "fixes.txt"
    bad.write_text("# comment\n\nnw-ucla a01_s01_e00_v01 throw\nnw-ucla a02_s01_e00_v01\n")
    with pytest.raises(DatasetError, match=r"fixes.txt, line 4: expected 'dataset clip-name class name'"):
        load_label_fixes(bad)
    with pytest.raises(DatasetError, match="does not exist"):
        load_label_fixes(tmp_path / "absent.txt")


def test_fixes_change_training_clips_only(tiny_ucla, tmp_path) -> None:
    cs = load_dataset("nw-ucla", tiny_ucla, tmp_path, progress=False)
    train, test = split_indices(cs)  # views 1 and 2 train, view 3 test
    fixes = {"nw-ucla": {"a01_s01_e01_v01": "throw", "a01_s01_e01_v03": "throw",
                         "a02_s02_e02_v02": cs.labels[cs.targets[cs.names.index("a02_s02_e02_v02")]],
                         "a99_s09_e09_v09": "carry"},  # already right; not in this copy of the data
             "msr-action3d": {"a01_s01_e01": "high arm wave"}}
    fixed, changed = fix_training_labels(cs, train, fixes)
    assert changed == ["a01_s01_e01_v01"]
    i = cs.names.index("a01_s01_e01_v01")
    assert fixed.labels[fixed.targets[i]] == "throw" and cs.labels[cs.targets[i]] != "throw"
    assert (np.delete(fixed.targets, i) == np.delete(cs.targets, i)).all()  # the test clip kept its label
    assert fixed.names == cs.names and fixed.features[i] is cs.features[i]
    assert fix_training_labels(cs, train, {})[0] is cs
    with pytest.raises(DatasetError, match=r"name classes it does not have: \['jump'\]"):
        fix_training_labels(cs, train, {"nw-ucla": {"a01_s01_e01_v01": "jump"}})


def test_train_corrects_its_training_split_and_records_it(tiny_ucla, tmp_path) -> None:
    """A fix for a view-1 clip (training) applies; one for a view-3 clip (test) does not."""
    fixes = tmp_path / "fixes.txt"
    fixes.write_text("nw-ucla a01_s01_e01_v01 throw\nnw-ucla a01_s01_e01_v03 throw\n")
    fixed = train_small(tiny_ucla, tmp_path, "a", 1, "--label-fixes", str(fixes))
    res = json.loads((tmp_path / "a" / "result.json").read_text())
    assert res["relabelled_training_clips"] == ["a01_s01_e01_v01"]
    train_small(tiny_ucla, tmp_path, "b", 1, "--label-fixes", "none")
    assert json.loads((tmp_path / "b" / "result.json").read_text())["relabelled_training_clips"] == []
    assert fixed["meta"]["train_config"]["label_fixes"] == str(fixes)


def test_cotrained_training_clips_are_corrected_too(tiny_data, tmp_path) -> None:
    """MSR Action3D co-trained with NW-UCLA: a fix for an NW-UCLA training clip (view 1) applies to the
    co-trained clips; a view-3 clip is not co-trained, so its fix does not apply."""
    fixes = tmp_path / "fixes.txt"
    fixes.write_text("nw-ucla a01_s01_e01_v01 throw\nnw-ucla a01_s01_e01_v03 throw\n")
    train_small(tiny_data, tmp_path, "cot", 1, "--dataset", "msr-action3d", "--cotrain", "nw-ucla",
                "--label-fixes", str(fixes))
    res = json.loads((tmp_path / "cot" / "result.json").read_text())
    assert res["relabelled_training_clips"] == ["a01_s01_e01_v01"]
    train_small(tiny_data, tmp_path, "none", 1, "--dataset", "msr-action3d", "--cotrain", "nw-ucla",
                "--label-fixes", "none")
    assert json.loads((tmp_path / "none" / "result.json").read_text())["relabelled_training_clips"] == []


def _hip_rise(path: Path) -> float:
    """How far the hip centre rises from the first to the last frame (metres, camera y)."""
    j = to_canonical(read_nw_ucla(path)).joints[:, 0]
    return float(j[-1, HIP, 1] - j[0, HIP, 1])


def test_bundled_nw_ucla_fixes_match_the_recorded_motion(data_dir) -> None:
    """Every fixed clip moves as its corrected label says (standing up raises the hip, sitting down
    lowers it), whereas its released label says the opposite; the same subject's view-1 clips
    move as their released labels say. Only training views (1 and 2) are read."""
    root = data_dir / "nw_ucla" / "all_sqe"
    for name, label in load_label_fixes()["nw-ucla"].items():
        rise = _hip_rise(root / f"{name}.json")
        assert (rise > 0.1) if label == "stand up" else (rise < 0), (name, rise)
    for a, sign in (("a05", -1), ("a06", 1)):  # sit down sinks, stand up rises
        view1 = sorted(root.glob(f"{a}_s04_e*_v01.json"))
        assert len(view1) >= 4
        assert np.median([sign * _hip_rise(p) for p in view1]) > 0.2
