"""Format detection, the dispatching reader and the skelapp recording format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from skelapp.core.errors import SkeletonFormatError
from skelapp.core.formats import detect_format, load_recording, read_skeleton_file, save_recording
from skelapp.core.layouts import NTU25
from skelapp.core.ntu_skeleton import write_ntu_skeleton


@pytest.fixture(scope="module")
def real_files(data_dir: Path) -> dict[str, Path]:
    return {
        "ntu_skeleton": data_dir / "ntu_rgbd_skeleton_samples/S001C003P008R002A058.skeleton",
        "nw_ucla_json": data_dir / "nw_ucla/all_sqe/a04_s01_e01_v01.json",
        "msr_action3d": data_dir / "msr_action3d/real_world_coordinates/a01_s01_e01_skeleton3D.txt",
        "azure_kinect_csv": data_dir / "azure_kinect/gymtrainer_body_tracking_csv/26_07_15_56_53.csv",
    }


def test_detect_and_read_real_files(real_files, tmp_path):
    for fmt, path in real_files.items():
        assert detect_format(path) == fmt
        seq = read_skeleton_file(path)
        assert seq.num_frames > 10
        # same content under an unknown extension: sniffed from the bytes
        odd = tmp_path / f"{fmt}.dat"
        odd.write_bytes(path.read_bytes())
        assert detect_format(odd) == fmt
        np.testing.assert_array_equal(read_skeleton_file(odd).joints, seq.joints)


def test_recording_round_trip_real(real_files, tmp_path):
    seq = read_skeleton_file(real_files["ntu_skeleton"])
    out = save_recording(seq, tmp_path / "rec.skel.npz")
    assert out.name == "rec.skel.npz" and detect_format(out) == "skel_npz"
    back = read_skeleton_file(out)
    np.testing.assert_array_equal(back.joints, seq.joints)
    np.testing.assert_array_equal(back.confidence, seq.confidence)
    np.testing.assert_array_equal(back.image_xy, seq.image_xy)
    np.testing.assert_array_equal(back.timestamps, seq.timestamps)
    assert back.body_ids == seq.body_ids  # 64-bit ids survive
    assert back.layout is NTU25 and back.fps == 30.0 and back.source == seq.source
    assert back.meta["action"] == 58 and "ntu" not in back.meta  # arrays in meta are not stored


def test_recording_round_trip_synthetic(ntu_synthetic, tmp_path):
    ntu_synthetic.image_xy = None
    ntu_synthetic.meta["note"] = "hello"
    back = load_recording(save_recording(ntu_synthetic, tmp_path / "a.skel.npz"))
    assert back.image_xy is None and back.meta == {"note": "hello"}
    np.testing.assert_array_equal(back.joints, ntu_synthetic.joints)


def test_ntu_written_file_dispatches(ntu_synthetic, tmp_path):
    write_ntu_skeleton(ntu_synthetic, tmp_path / "x.skeleton")
    assert read_skeleton_file(tmp_path / "x.skeleton").body_ids == (7, 9)


def _npz(tmp_path: Path, **arrays) -> Path:
    p = tmp_path / "r.skel.npz"
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    p.write_bytes(buf.getvalue())
    return p


def test_recording_errors(ntu_synthetic, tmp_path):
    good = save_recording(ntu_synthetic, tmp_path / "g.skel.npz").read_bytes()
    bad = tmp_path / "bad.skel.npz"
    for data, msg in [
        (good[: len(good) // 2], "not a readable"),
        (b"PK\x03\x04garbage", "not a readable"),
        (b"hello", "not a readable"),
    ]:
        bad.write_bytes(data)
        with pytest.raises(SkeletonFormatError, match=msg):
            read_skeleton_file(bad)
    with pytest.raises(SkeletonFormatError, match="joints"):
        load_recording(_npz(tmp_path, fps=np.array(30.0)))
    with zipfile.ZipFile(tmp_path / "g.skel.npz") as z:
        arrays = {n[:-4]: np.load(io.BytesIO(z.read(n))) for n in z.namelist()}
    for key, value, msg in [
        ("layout", np.array("nope"), "unknown joint layout"),
        ("confidence", np.zeros((2, 2)), "confidence"),
        ("fps", np.array(-1.0), "positive fps"),
        ("body_ids", np.array(["1"]), "body ids"),
        ("format_version", np.array(99), "version"),
    ]:
        with pytest.raises(SkeletonFormatError, match=msg):
            load_recording(_npz(tmp_path, **{**arrays, key: value}))
    np.save(tmp_path / "single.npy", np.zeros(3))
    (tmp_path / "single.npz").write_bytes((tmp_path / "single.npy").read_bytes())
    with pytest.raises(SkeletonFormatError, match="single array"):
        load_recording(tmp_path / "single.npz")


def test_unknown_format(tmp_path):
    p = tmp_path / "notes.md"
    p.write_text("# hello\nworld\n")
    with pytest.raises(SkeletonFormatError, match="unknown skeleton file format") as e:
        read_skeleton_file(p)
    assert e.value.path.endswith("notes.md")
    p = tmp_path / "blob.bin"
    p.write_bytes(bytes(range(256)))
    with pytest.raises(SkeletonFormatError):
        read_skeleton_file(p)
    # what the app reads another way: the error says how
    for name, how in (("take.mkv", "skelapp --kinect-playback FILE"), ("clip.MP4", "skelapp --video FILE")):
        (tmp_path / name).write_bytes(bytes(range(256)))
        with pytest.raises(SkeletonFormatError, match=f"unknown skeleton file format.*{how}"):
            read_skeleton_file(tmp_path / name)


def test_recording_with_unsupported_zip_version_is_a_format_error(ntu_synthetic, tmp_path):
    """zipfile raises NotImplementedError for a bumped 'version needed' field; we must not leak it."""
    p = tmp_path / "odd.skel.npz"
    save_recording(ntu_synthetic, p)
    raw = bytearray(p.read_bytes())
    i = raw.find(b"PK\x01\x02")  # first central-directory entry
    raw[i + 6] = 180  # version needed to extract: 18.0
    p.write_bytes(bytes(raw))
    with pytest.raises(SkeletonFormatError, match="odd.skel.npz"):
        read_skeleton_file(p)


def test_number_beyond_float32_is_a_format_error_naming_the_line(ntu_synthetic, tmp_path):
    """1e39 is finite as text but inf once stored as float32: refused like 'inf' (found by the fuzz test)."""
    path = tmp_path / "big.skeleton"
    write_ntu_skeleton(ntu_synthetic, path)
    lines = path.read_text().splitlines()
    k = next(i for i, line in enumerate(lines) if len(line.split()) == 12)  # first joint line
    fields = lines[k].split()
    fields[2] = "1e39"
    lines[k] = " ".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SkeletonFormatError, match=r"finite number in field 3.*'1e39'") as e:
        read_skeleton_file(path)
    assert e.value.line == k + 1
