"""Dataset reading, caching, splits and error messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skelapp.core.layouts import KINECT_V1
from skelapp.core.normalize import FeatureConfig, compute_features
from skelapp.core.skeleton import SkeletonSequence
from skelapp.training.datasets import (
    DatasetError,
    instance_key,
    load_dataset,
    prepare,
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
    # NTU at 30 fps is resampled to the model's 15 fps: about half the frames
    first = json.dumps(ntu.names)
    assert "S001C001P001R001A001" in first
    assert 45 <= len(ntu.joints[ntu.names.index("S001C001P001R001A001")]) <= 55
