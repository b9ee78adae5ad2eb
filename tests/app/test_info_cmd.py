"""``skelapp info``: summaries for every format, JSON output, one-line errors with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skelapp.app.cli import main as cli_main
from skelapp.app.info_cmd import main
from skelapp.core.formats import save_recording
from skelapp.core.layouts import CANONICAL
from skelapp.core.skeleton import SkeletonSequence


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    joints = np.zeros((6, 2, 20, 3), np.float32)
    joints[..., 0] = np.linspace(-1, 2, 20)
    joints[..., 2] = 3.0
    conf = np.ones((6, 2, 20), np.float32)
    conf[:2, 1] = 0
    seq = SkeletonSequence(joints, conf, np.arange(6) / 15, CANONICAL, (5, 2**60), fps=15.0)
    return save_recording(seq, tmp_path / "r.skel.npz")


def test_json_summary_of_a_recording(recording, capsys):
    assert main([str(recording), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "skel_npz" and info["frames"] == 6 and info["fps"] == 15.0
    assert info["bodies"] == [{"id": 5, "frames_present": 6}, {"id": 2**60, "frames_present": 4}]
    assert info["layout"] == "canonical20" and info["duration_s"] == pytest.approx(0.4)
    assert info["range_m"]["x"] == pytest.approx([-1, 2]) and info["range_m"]["z"] == [3, 3]


def test_text_summary_via_cli_dispatch(recording, capsys):
    assert cli_main(["info", str(recording)]) == 0
    out = capsys.readouterr().out
    assert "skel_npz" in out and "id 1152921504606846976: 4 frames" in out and "x range:" in out


def test_real_files(data_dir: Path, capsys):
    cases = {
        "ntu_rgbd_skeleton_samples/S001C001P001R001A050.skeleton": ("ntu_skeleton", 74, 2, "ntu25"),
        "nw_ucla/all_sqe/a01_s01_e00_v01.json": ("nw_ucla_json", 44, 1, "kinect_v1"),
        "msr_action3d/real_world_coordinates/a01_s01_e01_skeleton3D.txt":
            ("msr_action3d", 54, 1, "msr_action3d"),
        "azure_kinect/gymtrainer_body_tracking_csv/bodyweight_squat_side_view.csv":
            ("azure_kinect_csv", 326, 1, "azure_kinect"),
    }
    for rel, (fmt, frames, bodies, layout) in cases.items():
        assert main([str(data_dir / rel), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        got = (info["format"], info["frames"], len(info["bodies"]), info["layout"])
        assert got == (fmt, frames, bodies, layout)
        assert 0.5 < info["range_m"]["z"][0] < info["range_m"]["z"][1] < 6
    assert main([str(data_dir / "ntu_rgbd_skeleton_samples/S001C001P001R001A050.skeleton")]) == 0
    out = capsys.readouterr().out
    assert "id 72057594037932185: 74 frames" in out and "action=50" in out


@pytest.mark.parametrize("content, expect", [
    ("3\n1\n", "bad.skeleton:3: file ends early"),
    ("", "bad.skeleton:1: empty file"),
    ("x\n", "bad.skeleton:1: expected frame count"),
])
def test_bad_file_one_line_exit_1(tmp_path, capsys, content, expect):
    p = tmp_path / "bad.skeleton"
    p.write_text(content)
    assert main([str(p)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and expect in err and "Traceback" not in err


def test_missing_and_unknown_files(tmp_path, capsys):
    assert main([str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv" in capsys.readouterr().err
    p = tmp_path / "x.bin"
    p.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main([str(p)]) == 1
    err = capsys.readouterr().err
    assert "unknown skeleton file format" in err and err.count("\n") == 1
