"""Azure Kinect body-tracking CSV reader: both real files, axis conversion, typed errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.azure_kinect_csv import read_azure_kinect_csv
from skelapp.core.errors import SkeletonFormatError
from skelapp.core.layouts import AZURE_KINECT

FRAMES = {"bodyweight_squat_side_view.csv": 326, "26_07_15_56_53.csv": 309}  # SOURCES.md


def test_real_files(azure_csv_dir: Path):
    for name, frames in FRAMES.items():
        raw = (azure_csv_dir / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM is really there
        seq = read_azure_kinect_csv(azure_csv_dir / name)
        assert seq.layout is AZURE_KINECT and seq.num_frames == frames and seq.fps == 30.0
        j = seq.joints[:, 0]
        # converted to y up: head above pelvis above feet
        head, pelvis = j[:, AZURE_KINECT.index("head"), 1], j[:, AZURE_KINECT.index("pelvis"), 1]
        feet = j[:, AZURE_KINECT.index("foot_left"), 1]
        assert (head > pelvis).all() and (pelvis > feet).all()
        assert (j[..., 2] > 0.5).all()  # z still forward, metres


def test_first_cell_converted(azure_csv_dir: Path):
    seq = read_azure_kinect_csv(azure_csv_dir / "26_07_15_56_53.csv")
    np.testing.assert_allclose(seq.joints[0, 0, 0], [-0.108471, -0.28940737, 1.2758763], rtol=1e-6)


def _header(order=None):
    names = ["Pelvis", "SpineNavel", "SpineChest", "Neck", "ClavicleLeft", "ShoulderLeft", "ElbowLeft",
             "WristLeft", "HandLeft", "HandTipLeft", "ThumbLeft", "ClavicleRight", "ShoulderRight",
             "ElbowRight", "WristRight", "HandRight", "HandTipRight", "ThumbRight", "HipLeft", "KneeLeft",
             "AnkleLeft", "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight", "Head", "Nose",
             "EyeLeft", "EarLeft", "EyeRight", "EarRight"]
    return names if order is None else [names[i] for i in order]


def test_synthetic_quoted_and_reordered(tmp_path):
    order = list(range(31, -1, -1))
    row = ",".join(f'"{i} {-i} {i + 1}"' for i in order)
    p = tmp_path / "t.csv"
    p.write_text(",".join(_header(order)) + "\r\n" + row + "\r\n" + row + "\r\n")
    seq = read_azure_kinect_csv(p)
    assert seq.num_frames == 2
    np.testing.assert_array_equal(seq.joints[0, 0, 5], [-5, 5, 6])


def _bad(tmp_path, text) -> SkeletonFormatError:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(SkeletonFormatError) as e:
        read_azure_kinect_csv(p)
    assert "bad.csv" in str(e.value)
    return e.value


def test_errors(tmp_path):
    head = ",".join(_header())
    row = ",".join(["1 2 3"] * 32)
    assert "header" in _bad(tmp_path, head.replace("Nose", "Nase") + "\n" + row).reason
    assert "header" in _bad(tmp_path, head.replace("Nose", "Head") + "\n" + row).reason
    e = _bad(tmp_path, f"{head}\n{row}\n{row[:-6]}")
    assert e.line == 3 and "31" in e.reason
    e = _bad(tmp_path, f"{head}\n{row}\n{row.replace('1 2 3', '1 2', 1)}")
    assert e.line == 3 and "3 fields" in e.reason
    assert _bad(tmp_path, f"{head}\n{row.replace('2', 'two', 1)}").line == 2
    assert "no frames" in _bad(tmp_path, head + "\n").reason
