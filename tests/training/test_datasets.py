"""Dataset reading, caching, splits and error messages."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from skelapp.core.assets import assets_dir
from skelapp.core.layouts import KINECT_V1, NTU25
from skelapp.core.normalize import FeatureConfig, compute_features
from skelapp.core.ntu_skeleton import write_ntu_skeleton
from skelapp.core.skeleton import SkeletonSequence
from skelapp.training import datasets
from skelapp.training.datasets import (
    MSR_LABELS,
    DatasetError,
    load_dataset,
    load_missing_list,
    prepare,
    scan,
    with_cotraining,
)
from skelapp.training.splits import (
    MSR_ACTION_SETS,
    instance_key,
    protocol_clips,
    split_indices,
    validation_split,
)


def test_tiny_ucla_load_cache_split(tiny_ucla, tmp_path) -> None:
    cs = load_dataset("nw-ucla", tiny_ucla, tmp_path, progress=False)
    assert len(cs) == 120 and len(cs.labels) == 10
    assert list(tmp_path.glob("nw-ucla_*.npz"))
    cached = load_dataset("nw-ucla", tiny_ucla, tmp_path, progress=False)
    assert cached.names == cs.names
    assert np.allclose(cached.features[5], cs.features[5])
    assert np.allclose(cs.features[0], compute_features(cs.joints[0], cs.confidence[0], FeatureConfig()))
    tr, te = split_indices(cs)
    assert set(cs.views[tr]) == {1, 2} and set(cs.views[te]) == {3}
    dev_tr, dev_te = split_indices(cs, "xview-dev")  # recipe choice across views, view 3 untouched
    assert set(cs.views[dev_tr]) == {1} and set(cs.views[dev_te]) == {2}
    keep, val = validation_split(cs, tr, 0.5, seed=0)
    assert set(keep) | set(val) == set(tr)
    # the same performance seen from both training views never straddles the split
    assert not {instance_key(cs.names[i]) for i in keep} & {instance_key(cs.names[i]) for i in val}


def test_errors(tiny_ucla, tmp_path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("kinetics", tiny_ucla, tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset("nw-ucla", tmp_path / "nope", tmp_path)
    only = tmp_path / "only_v1"
    only.mkdir()
    for f in tiny_ucla.glob("all_sqe/*_v01.json"):
        (only / f.name).write_text(f.read_text())
    cs = load_dataset("nw-ucla", only, None, progress=False)
    with pytest.raises(DatasetError, match="empty split"):
        split_indices(cs)
    short = SkeletonSequence.from_joints(np.zeros((1, 20, 3)), KINECT_V1, fps=15.0)
    with pytest.raises(DatasetError, match="frames"):
        prepare(short, FeatureConfig(), "short", min_frames=4)


def test_cotraining_appends_the_other_datasets_clips_under_their_own_classes(tiny_ucla, tiny_msr,
                                                                               tmp_path) -> None:
    ucla = load_dataset("nw-ucla", tiny_ucla, tmp_path, progress=False)
    msr = load_dataset("msr-action3d", tiny_msr, tmp_path, progress=False)
    odd = split_indices(msr)[0]
    both = with_cotraining(ucla, msr, odd)
    assert both.dataset == "nw-ucla" and both.labels == ucla.labels + MSR_LABELS
    assert len(both) == len(ucla) + len(odd) == 120 + 40
    assert both.names[:120] == ucla.names and both.names[120:] == [msr.names[i] for i in odd]
    assert np.array_equal(both.targets[:120], ucla.targets)
    # an MSR clip keeps its class: the same name, after NW-UCLA's 10
    assert [both.labels[t] for t in both.targets[120:]] == [msr.labels[msr.targets[i]] for i in odd]
    assert set(both.subjects[120:]) == {1, 3}  # the indices given: MSR's training subjects only
    assert both.features[125] is msr.features[odd[5]] and both.joints[125] is msr.joints[odd[5]]
    with pytest.raises(DatasetError, match="class names in both"):
        with_cotraining(ucla, ucla, np.arange(3))
    faced = load_dataset("msr-action3d", tiny_msr, tmp_path, FeatureConfig(facing=True), progress=False)
    with pytest.raises(DatasetError, match="different input features"):
        with_cotraining(ucla, faced, odd)


def test_msr_reads_its_list_of_used_files_from_the_release_or_the_coordinates_folder(tiny_msr, tmp_path,
                                                                                     capsys) -> None:
    """The release's files_used_in_cvpr12_paper.txt picks the sequences (the papers' 557 of 567)
    whether --data names the release folder or its real_world_coordinates folder; without the
    list every sequence is used, and loading says so."""
    release = tmp_path / "msr_action3d"
    shutil.copytree(tiny_msr / "msr_action3d", release)
    coords = release / "real_world_coordinates"
    every = sorted(p.name.replace("_skeleton3D.txt", "") for p in coords.iterdir())
    assert len(load_dataset("msr-action3d", coords, None)) == len(every) == 80
    assert "all 80 sequences are used" in capsys.readouterr().out
    noisy = {"a01_s01_e01", "a20_s04_e01"}
    (release / "files_used_in_cvpr12_paper.txt").write_text("\n".join(n for n in every if n not in noisy))
    for folder in (tmp_path, release, coords):
        cs = load_dataset("msr-action3d", folder, tmp_path / "cache")
        assert len(cs) == 78 and not noisy & set(cs.names)
    assert "sequences are used" not in capsys.readouterr().out


def test_msr_action_subsets(tiny_msr, tmp_path) -> None:
    """AS1-AS3: 8 classes each, relabelled 0-7, odd subjects train and even test."""
    cs = load_dataset("msr-action3d", tiny_msr, tmp_path, progress=False)
    assert len(cs) == 80 and len(cs.labels) == 20
    for protocol, actions in MSR_ACTION_SETS.items():
        sub = protocol_clips(cs, protocol)
        assert sub.labels == [MSR_LABELS[a - 1] for a in actions] and len(sub) == 8 * 4
        for i, name in enumerate(sub.names):  # every clip keeps its own action, under the new index
            assert sub.labels[sub.targets[i]] == cs.labels[cs.targets[cs.names.index(name)]]
            assert np.array_equal(sub.features[i], cs.features[cs.names.index(name)])
        tr, te = split_indices(sub, protocol)
        assert set(sub.subjects[tr]) == {1, 3} and set(sub.subjects[te]) == {2, 4}
        assert sorted(set(sub.targets[tr])) == list(range(8)) == sorted(set(sub.targets[te]))
        full_tr, full_te = split_indices(cs, protocol)  # the same clips when indexing the full set
        assert [cs.names[i] for i in full_te] == [sub.names[i] for i in te]
    assert protocol_clips(cs) is cs and protocol_clips(cs, "xsub-dev") is cs
    tr, te = split_indices(cs, "xsub-loso3")  # leave-one-subject-out inside the odd subjects
    assert set(cs.subjects[tr]) == {1} and set(cs.subjects[te]) == {3} and len(te) == 20
    assert len({n for p in MSR_ACTION_SETS for n in protocol_clips(cs, p).labels}) == 20
    with pytest.raises(DatasetError, match="protocol 'as4' not defined for msr-action3d"):
        protocol_clips(cs, "as4")


@pytest.mark.realdata
def test_real_datasets(data_dir, tmp_path) -> None:
    ntu = load_dataset("ntu60", data_dir, tmp_path, progress=False)
    assert len(ntu) == 12 and len(ntu.labels) == 60
    assert ntu.labels[0].lower().startswith("drink")
    assert all(f.shape[1:] == (20, 6) for f in ntu.features)
    msr = load_dataset("msr-action3d", data_dir, tmp_path, progress=False)
    assert len(msr) == 557
    tr, te = split_indices(msr)
    assert set(msr.subjects[tr] % 2) == {1} and set(msr.subjects[te] % 2) == {0}
    dev_tr, dev_te = split_indices(msr, "xsub-dev")  # recipe choice inside the odd (training) subjects
    assert set(msr.subjects[dev_tr]) == {1, 3, 5} and set(msr.subjects[dev_te]) == {7, 9}
    dev2_tr, dev2_te = split_indices(msr, "xsub-dev2")  # second fold: every odd subject tested once
    assert set(msr.subjects[dev2_tr]) == {5, 7, 9} and set(msr.subjects[dev2_te]) == {1, 3}
    held_out = []
    for k in (1, 3, 5, 7, 9):  # leave-one-subject-out: each odd subject tested once, never an even one
        loso_tr, loso_te = split_indices(msr, f"xsub-loso{k}")
        assert set(msr.subjects[loso_te]) == {k} and set(msr.subjects[loso_tr]) == {1, 3, 5, 7, 9} - {k}
        held_out += list(loso_te)
    assert sorted(held_out) == sorted(tr)
    # the action subsets are the dataset's own (tr_te_splits.mat), with their known sizes
    scipy_io = pytest.importorskip("scipy.io")
    mat = scipy_io.loadmat(str(data_dir / "msr_action3d" / "tr_te_splits.mat"))
    assert [tuple(int(a) for a in s.ravel()) for s in mat["action_sets"].ravel()] == list(
        MSR_ACTION_SETS.values())
    assert [len(protocol_clips(msr, p)) for p in MSR_ACTION_SETS] == [219, 228, 222]
    # NTU at 30 fps is resampled to the model's 15 fps: about half the frames
    first = json.dumps(ntu.names)
    assert "S001C001P001R001A001" in first
    assert 45 <= len(ntu.joints[ntu.names.index("S001C001P001R001A001")]) <= 55


# ---------------------------------------------------------------- NTU RGB+D 60 / 120
NTU_NAME = re.compile(r"S(\d{3})C\d{3}P\d{3}R\d{3}A\d{3}")


def test_bundled_missing_skeleton_list(tmp_path) -> None:
    names = load_missing_list()
    assert len(names) == 535 and all(NTU_NAME.fullmatch(n) for n in names)
    ntu60 = {n for n in names if int(n[1:4]) <= 17}
    assert len(ntu60) == 302  # the NTU RGB+D 60 list; the other 233 are from setups S019-S032
    assert {"S001C002P005R002A008", "S017C003P020R001A059", "S032C003P067R002A077"} <= names
    assert load_missing_list("none") == set()
    # a user's file in the official format: prose header, names, maybe with the file suffix
    user = tmp_path / "missing.txt"
    user.write_text("2 of the captured samples have missing skeletons.\nPlease ignore them.\n\n"
                    "S001C001P001R001A001.skeleton\r\nS002C002P003R001A002\n")
    assert load_missing_list(user) == {"S001C001P001R001A001", "S002C002P003R001A002"}
    with pytest.raises(DatasetError, match="does not exist"):
        load_missing_list(tmp_path / "nope.txt")


@pytest.fixture(scope="module")
def tiny_ntu(tmp_path_factory) -> Path:
    """Short one-body ``.skeleton`` files: NTU-60 and NTU-120 names, one on the missing list."""
    root = tmp_path_factory.mktemp("ntu")
    rng = np.random.default_rng(0)
    for name in TINY_NTU:
        joints = rng.normal(0, 0.3, (8, 25, 3)).astype(np.float32) + np.array([0, 0, 3], np.float32)
        write_ntu_skeleton(SkeletonSequence.from_joints(joints, NTU25, fps=30.0), root / f"{name}.skeleton")
    return root


TINY_NTU = [
    "S001C001P001R001A001",  # NTU-60; xsub train (both); setup 1 -> xset test
    "S002C002P003R001A002",  # NTU-60; subject 3 -> xsub test; setup 2 -> xset train
    "S001C002P005R002A008",  # on the published missing-skeleton list
    "S018C001P045R001A061",  # NTU-120 only (A061); subject 45 -> ntu120 xsub train; xset train
    "S019C003P044R001A005",  # NTU-120 only (setup 19); subject 44 -> xsub test; xset test
    "S020C001P070R002A120",  # NTU-120 only; subject 70 -> xsub train; xset train
]


def test_ntu_scan_skips_listed_and_other_variant(tiny_ntu, capsys) -> None:
    stats: dict = {}
    labels, items = scan("ntu60", tiny_ntu, stats=stats)
    assert [i[0] for i in items] == ["S001C001P001R001A001", "S002C002P003R001A002"]
    assert stats["missing_skipped"] == ["S001C002P005R002A008"]
    assert len(labels) == 60 and labels[0] == "drink water"
    # the bundled list is the default; an empty set or a user's own list replace it
    assert len(scan("ntu60", tiny_ntu, ntu_missing=set())[1]) == 3
    _, items = scan("ntu60", tiny_ntu, ntu_missing={"S001C001P001R001A001"}, stats=stats)
    assert [i[0] for i in items] == ["S001C002P005R002A008", "S002C002P003R001A002"]
    assert stats["missing_skipped"] == ["S001C001P001R001A001"]
    load_dataset("ntu60", tiny_ntu, None)
    assert "skipped 1 NTU samples on the missing-skeleton list" in capsys.readouterr().out


def test_ntu120_labels_and_splits(tiny_ntu) -> None:
    cs = load_dataset("ntu120", tiny_ntu, None, progress=False)
    assert len(cs.labels) == 120 and cs.labels[60] == "put on headphone"
    assert "S001C002P005R002A008" not in cs.names and "S018C001P045R001A061" in cs.names
    assert cs.targets[cs.names.index("S020C001P070R002A120")] == 119

    def side(protocol: str) -> tuple[set[str], set[str]]:
        tr, te = split_indices(cs, protocol)
        return {cs.names[i] for i in tr}, {cs.names[i] for i in te}

    assert side("xsub") == ({"S001C001P001R001A001", "S018C001P045R001A061", "S020C001P070R002A120"},
                            {"S002C002P003R001A002", "S019C003P044R001A005"})
    assert side("xset") == ({"S002C002P003R001A002", "S018C001P045R001A061", "S020C001P070R002A120"},
                            {"S001C001P001R001A001", "S019C003P044R001A005"})
    assert split_indices(cs)[0].tolist() == split_indices(cs, "xsub")[0].tolist()
    with pytest.raises(DatasetError, match="not defined"):
        split_indices(cs, "xview")
    ntu60 = load_dataset("ntu60", tiny_ntu, None, progress=False)
    assert len(ntu60.labels) == 60 and ntu60.names == ["S001C001P001R001A001", "S002C002P003R001A002"]


def test_ntu_trains_with_language_supervision(tiny_ntu, tmp_path) -> None:
    """NTU-60 and NTU-120 train with LST by default: NTU-60 reads NTU-120's descriptions."""
    from skelapp.training.text import description_file
    from skelapp.training.train import TrainConfig, train

    assert description_file("ntu60") == description_file("ntu120")
    small = {"channels": [8], "dilations": [1], "window": 4}
    res = train(TrainConfig(dataset="ntu60", data=str(tiny_ntu), out=str(tmp_path / "run"), epochs=1,
                            model=small, cache_dir=str(tmp_path / "cache")), progress=False)
    assert res["meta"]["train_config"]["lst"] and res["meta"]["split"] == {"train": 1, "val": 0, "test": 1}
    assert (tmp_path / "run" / "last.pt").exists()


def test_ntu_class_names_are_the_bundled_ones_whatever_label_map_is_beside_data(tiny_ntu, tmp_path,
                                                                                 monkeypatch) -> None:
    """A copy of NTU with PYSKL's label map beside it (which words A025 "reach into pocket") still
    gets the official names that the bundled descriptions are keyed by, so it trains with LST."""
    from skelapp.training.train import TrainConfig, train

    root = tmp_path / "ntu"
    shutil.copytree(tiny_ntu, root)
    official = json.loads((assets_dir() / "labels_ntu120.json").read_text(encoding="utf-8"))
    pyskl = [("reach into pocket" if i == 24 else name.upper()) for i, name in enumerate(official)]
    (root / "label_maps").mkdir()
    (root / "label_maps" / "nturgbd_120.txt").write_text("\n".join(pyskl) + "\n")
    assert load_dataset("ntu60", root, None, progress=False).labels == official[:60]
    assert load_dataset("ntu120", root, None, progress=False).labels == official
    small = {"channels": [8], "dilations": [1], "window": 4}
    res = train(TrainConfig(dataset="ntu60", data=str(root), out=str(tmp_path / "run"), epochs=1,
                            model=small, cache_dir=str(tmp_path / "cache")), progress=False)
    assert res["meta"]["train_config"]["lst"] and res["meta"]["labels"][24] == official[24]
    # the class names are part of the cache key: a cache written under other names is not reused
    assert load_dataset("ntu60", root, tmp_path / "cache", progress=False).labels[24] == official[24]
    monkeypatch.setattr(datasets, "ntu_labels", lambda n=60: [name.upper() for name in official[:n]])
    assert load_dataset("ntu60", root, tmp_path / "cache", progress=False).labels[24] == official[24].upper()


def test_lst_without_descriptions_fails_clearly(tiny_ntu, tmp_path, monkeypatch) -> None:
    from skelapp.training import text
    from skelapp.training.train import TrainConfig, train

    monkeypatch.setitem(text.DESCRIPTION_FILE, "ntu120", "no-such-descriptions")
    with pytest.raises(DatasetError, match="--no-lst"):
        train(TrainConfig(dataset="ntu120", data=str(tiny_ntu), out=str(tmp_path / "run"), lst=True),
              progress=False)
    assert not (tmp_path / "run").exists()


def test_lst_with_a_class_missing_from_the_descriptions_fails_clearly(tmp_path) -> None:
    from skelapp.core.descriptions import BODY_PARTS, DescriptionFormatError
    from skelapp.training.text import description_texts

    path = tmp_path / "d.json"
    parts = {p: f"The {p} move." for p in BODY_PARTS}
    path.write_text(json.dumps({"classes": [{"name": "wave", "action": "Waves.", "parts": parts}]}))
    assert description_texts(path, ["Wave"])[0][:2] == ["Waves.", "The head move."]
    with pytest.raises(DescriptionFormatError, match="no description for class 'jump'.*--no-lst"):
        description_texts(path, ["wave", "jump"])
    del parts["feet"]
    path.write_text(json.dumps({"classes": [{"name": "wave", "action": "Waves.", "parts": parts}]}))
    with pytest.raises(DescriptionFormatError, match="'wave' has no feet description"):
        description_texts(path, ["wave"])
