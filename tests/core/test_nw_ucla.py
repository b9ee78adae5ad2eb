"""NW-UCLA JSON reader: all 1,484 real files, metadata, and typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skelapp.core.errors import SkeletonFormatError
from skelapp.core.layouts import KINECT_V1
from skelapp.core.nw_ucla import parse_nw_ucla_name, read_nw_ucla

LABELS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 8: 7, 9: 8, 11: 9, 12: 10}  # file action id -> label


def test_all_real_files(nw_ucla_dir: Path):
    files = sorted(nw_ucla_dir.glob("*.json"))
    assert len(files) == 1484
    views = {1: 0, 2: 0, 3: 0}
    for f in files:
        seq = read_nw_ucla(f)
        assert seq.layout is KINECT_V1 and seq.num_bodies == 1 and seq.fps == 15.0
        assert seq.meta["file_name"] == f.stem
        assert LABELS[seq.meta["action"]] == seq.meta["label"]
        assert 1 <= seq.meta["subject"] <= 10
        views[seq.meta["view"]] += 1
        assert 1.0 < np.median(seq.joints[..., 2]) < 5.0
    assert views[1] + views[2] == 1020 and views[3] == 464  # the cross-view protocol in SOURCES.md


def test_missing_joints_get_zero_confidence(nw_ucla_dir: Path):
    seq = read_nw_ucla(nw_ucla_dir / "a04_s01_e01_v01.json")
    assert seq.confidence[34, 0, 0] == 0 and seq.confidence[34, 0, 3] == 1
    assert seq.confidence.mean() > 0.99


def test_walking_speed_supports_15_fps(nw_ucla_dir: Path):
    speeds = []
    for f in sorted(nw_ucla_dir.glob("a04_*.json"))[:40]:
        hip = read_nw_ucla(f).joints[:, 0, 0, [0, 2]]
        speeds.append(np.median(np.linalg.norm(np.diff(hip, axis=0), axis=1)) * 15.0)
    assert 0.6 < np.median(speeds) < 1.5  # m/s: normal walking at 15 fps


def test_name_parse():
    assert parse_nw_ucla_name("a12_s03_e04_v02") == {"action": 12, "subject": 3, "episode": 4, "view": 2}
    assert parse_nw_ucla_name("foo") == {}


def _bad(tmp_path, text) -> SkeletonFormatError:
    p = tmp_path / "x.json"
    p.write_text(text if isinstance(text, str) else json.dumps(text))
    with pytest.raises(SkeletonFormatError) as e:
        read_nw_ucla(p)
    assert "x.json" in str(e.value)
    return e.value


def test_errors(tmp_path):
    frame = [[0.1, 0.2, 3.0]] * 20
    seq_ok = {"file_name": "a01_s01_e01_v01", "skeletons": [frame], "label": 1}
    p = tmp_path / "ok.json"
    p.write_text(json.dumps(seq_ok))
    assert read_nw_ucla(p).num_frames == 1
    assert _bad(tmp_path, '{"skeletons": [[[1, 2,').line == 1
    assert "invalid JSON" in _bad(tmp_path, '{\n"a": }').reason
    assert _bad(tmp_path, '{\n"a": }').line == 2
    assert "skeletons" in _bad(tmp_path, {"label": 1}).reason
    assert "skeletons[1]" in _bad(tmp_path, {"skeletons": [frame, frame[:19]]}).reason
    assert "skeletons[0][2]" in _bad(tmp_path, {"skeletons": [frame[:2] + [[1, "a", 2]] + frame[3:]]}).reason
    assert "skeletons[0][0]" in _bad(tmp_path, {"skeletons": [[[True, 1, 2]] + frame[1:]]}).reason
    nan_frame = json.dumps(frame).replace("0.1", "NaN", 1)
    assert "finite" in _bad(tmp_path, '{"skeletons": [' + nan_frame + "]}").reason
    # finite as a double, inf as the float32 the reader stores (a fuzzed exponent found it)
    huge = _bad(tmp_path, '{"skeletons": [' + json.dumps(frame).replace("3.0", "3e+39", 1) + "]}").reason
    assert "float32" in huge and "skeletons[0][0]" in huge and "3e+39" in huge
    assert "non-empty" in _bad(tmp_path, {"skeletons": []}).reason
    assert "label" in _bad(tmp_path, {"skeletons": [frame], "label": "one"}).reason
    assert "empty" in _bad(tmp_path, "").reason
