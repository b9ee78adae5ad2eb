"""MSR Action3D reader: all 567 real files, coordinate convention, and typed errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.errors import SkeletonFormatError
from skelapp.core.layouts import MSR_ACTION3D
from skelapp.core.msr_action3d import read_msr_action3d


def test_all_real_files(msr_dir: Path):
    files = sorted(msr_dir.glob("*_skeleton3D.txt"))
    assert len(files) == 567
    lengths = []
    for f in files:
        seq = read_msr_action3d(f)
        assert seq.layout is MSR_ACTION3D and seq.fps == 15.0
        m = seq.meta
        assert f.name.startswith(f"a{m['action']:02d}_s{m['subject']:02d}_e{m['episode']:02d}")
        lengths.append(seq.num_frames)
        ok = seq.present()[:, 0]
        if f.stem == "a13_s09_e02_skeleton3D":  # one of the 10 noisy files: no skeleton at all
            assert not ok.any()
            continue
        j = seq.joints[ok, 0]
        # y up, metres: head (joint 20) above hip centre (7) above the ankles (16, 17)
        head, hip, ankles = j[:, 19, 1], j[:, 6, 1], j[:, 15:17, 1].mean(1)
        assert np.percentile(head - hip, 90) > 0.45 and np.median(hip - ankles) > 0.5, f.name
        assert 1.5 < np.median(j[..., 2]) < 4.5, f.name
    assert min(lengths) == 13 and max(lengths) == 936


def test_frames_without_skeleton_are_absent(msr_dir: Path):
    seq = read_msr_action3d(msr_dir / "a07_s04_e01_skeleton3D.txt")
    absent = ~seq.present()[:, 0]
    assert absent.any() and (seq.joints[absent] == 0).all()
    assert seq.meta["raw_c"].shape == (seq.num_frames, 20)


def test_right_arm_actions_move_the_right_wrist(msr_dir: Path):
    """MSR subjects used their right arm: geometry confirms the joint labels are anatomical."""
    right = left = 0
    for f in sorted(msr_dir.glob("a01_*_skeleton3D.txt")):
        j = read_msr_action3d(f).joints[:, 0]
        motion = np.abs(np.diff(j, axis=0)).sum(axis=(0, 2))
        right += motion[MSR_ACTION3D.index("wrist_right")] > motion[MSR_ACTION3D.index("wrist_left")]
        left += 1
    assert right == left


def _bad(tmp_path, text) -> SkeletonFormatError:
    p = tmp_path / "a01_s01_e01_skeleton3D.txt"
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(SkeletonFormatError) as e:
        read_msr_action3d(p)
    assert p.name in str(e.value)
    return e.value


def test_errors_and_synthetic(tmp_path):
    good = ["0.1 0.2 2.5 1.0"] * 40
    p = tmp_path / "a02_s03_e01_skeleton3D.txt"
    p.write_text("\r\n".join(good) + "\r\n")
    seq = read_msr_action3d(p)
    assert seq.num_frames == 2 and seq.meta["action"] == 2 and seq.confidence.min() == 1
    e = _bad(tmp_path, "\n".join(good[:33]))
    assert e.line == 21 and "multiple of 20" in e.reason
    bad = list(good)
    bad[7] = "0.1 0.2 2.5"
    assert _bad(tmp_path, "\n".join(bad)).line == 8
    bad[7] = "0.1 0.2 x 1"
    e = _bad(tmp_path, "\n".join(bad))
    assert e.line == 8 and "field 3" in e.reason
    assert "empty" in _bad(tmp_path, "").reason
    assert "UTF-8" in _bad(tmp_path, bytes(range(128, 256))).reason
