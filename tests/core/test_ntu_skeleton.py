"""NTU RGB+D reader/writer: real files against SOURCES.md, round trips, typed errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelapp.core.errors import SkeletonFormatError
from skelapp.core.ntu_skeleton import read_ntu_skeleton, select_main_bodies, write_ntu_skeleton

# name: (frames, persons, line ending) from SOURCES.md
EXPECTED = {
    "S001C001P001R001A001": (103, 1, "LF"), "S002C001P003R001A003": (100, 1, "CRLF"),
    "S001C001P001R001A011": (82, 1, "CRLF"), "S004C002P003R001A017": (124, 1, "CRLF"),
    "S003C001P015R001A034": (71, 1, "CRLF"), "S001C001P001R001A050": (74, 2, "LF"),
    "S017C003P020R002A054": (42, 2, "LF"), "S017C003P020R002A055": (66, 2, "LF"),
    "S017C003P020R002A056": (80, 2, "LF"), "S017C003P020R002A057": (76, 2, "LF"),
    "S017C003P020R002A058": (65, 2, "LF"), "S001C003P008R002A058": (70, 2, "CRLF"),
}  # fmt: skip


@pytest.fixture(scope="module")
def ntu_files(ntu_dir: Path) -> list[Path]:
    files = sorted(ntu_dir.glob("*.skeleton"))
    assert {f.stem for f in files} == set(EXPECTED)
    return files


def test_real_files_match_sources_table(ntu_files):
    for f in ntu_files:
        frames, persons, ending = EXPECTED[f.stem]
        raw = f.read_bytes()
        assert (b"\r\n" in raw) == (ending == "CRLF"), f
        seq = read_ntu_skeleton(f)
        assert seq.num_frames == frames and seq.num_bodies == persons, f
        assert seq.joints.shape == (frames, persons, 25, 3)
        assert seq.present().all(), f"{f.name}: every body is in every frame"
        assert all(b > 2**32 for b in seq.body_ids)  # Kinect v2 64-bit tracking ids
        np.testing.assert_allclose(seq.timestamps, np.arange(frames) / 30.0)
        assert set(np.unique(seq.confidence)) <= {0.0, 0.5, 1.0}
        assert seq.meta["action"] == int(f.stem[-3:])
        assert 2.0 < np.median(seq.joints[..., 2]) < 5.0  # metres in front of the sensor


def test_first_file_values_and_image_xy(ntu_dir):
    seq = read_ntu_skeleton(ntu_dir / "S001C001P001R001A050.skeleton")
    assert seq.body_ids[0] == 72057594037932185
    np.testing.assert_allclose(seq.joints[0, 0, 0], [-0.8514767, 0.1916033, 3.384463], rtol=1e-6)
    np.testing.assert_allclose(seq.image_xy[0, 0, 0], [710.6672, 506.5853], rtol=1e-6)
    np.testing.assert_allclose(seq.meta["ntu"]["depth_xy"][0, 0, 0], [163.9239, 187.6978], rtol=1e-6)
    assert seq.confidence[0, 0, 5] == 0.5  # trackingState 1 (inferred)
    # colour pixels lie in the 1920x1080 frame
    assert (seq.image_xy[..., 0] > 0).all() and (seq.image_xy[..., 0] < 1920).all()


def _same(a, b):
    np.testing.assert_array_equal(a.joints, b.joints)
    np.testing.assert_array_equal(a.confidence, b.confidence)
    np.testing.assert_array_equal(a.image_xy, b.image_xy)
    assert a.body_ids == b.body_ids
    assert a.meta["ntu"].keys() == b.meta["ntu"].keys()
    for k, v in a.meta["ntu"].items():
        np.testing.assert_array_equal(v, b.meta["ntu"][k], err_msg=k)


def test_round_trip_all_real_files(ntu_files, tmp_path):
    for f in ntu_files:
        seq = read_ntu_skeleton(f)
        out = tmp_path / f.name
        write_ntu_skeleton(seq, out)
        _same(seq, read_ntu_skeleton(out))


def test_round_trip_synthetic_with_absent_body(ntu_synthetic, tmp_path):
    write_ntu_skeleton(ntu_synthetic, tmp_path / "a.skeleton", newline="\n")
    back = read_ntu_skeleton(tmp_path / "a.skeleton")
    np.testing.assert_array_equal(back.joints, ntu_synthetic.joints)
    np.testing.assert_array_equal(back.confidence, ntu_synthetic.confidence)
    assert back.body_ids == (7, 9)
    np.testing.assert_array_equal(back.present()[:, 1], np.arange(12) >= 6)
    write_ntu_skeleton(back, tmp_path / "b.skeleton", newline="\n")
    assert (tmp_path / "a.skeleton").read_bytes() == (tmp_path / "b.skeleton").read_bytes()


def test_select_main_bodies_prefers_motion(ntu_synthetic):
    top = select_main_bodies(ntu_synthetic, 1)
    assert top.body_ids == (7,) and top.meta == ntu_synthetic.meta
    swapped = ntu_synthetic.select_bodies([1, 0])
    assert select_main_bodies(swapped, 2).body_ids == (7, 9)


def test_select_main_bodies_ties_by_length(make_ntu):
    seq = make_ntu()
    seq.joints[:] = 1.0  # no motion at all: the longer tracked body wins
    assert select_main_bodies(seq.select_bodies([1, 0]), 1).body_ids == (7,)


def test_select_main_bodies_real_slices_side_arrays(ntu_dir):
    seq = read_ntu_skeleton(ntu_dir / "S001C001P001R001A050.skeleton")
    top = select_main_bodies(seq, 1)
    assert top.body_ids == (72057594037932127,)  # the punching person moves more
    assert top.meta["ntu"]["orientation"].shape == (74, 1, 25, 4)
    np.testing.assert_array_equal(top.meta["ntu"]["orientation"][:, 0], seq.meta["ntu"]["orientation"][:, 1])


def test_writer_ignores_stale_side_arrays(ntu_dir, tmp_path):
    """Generic select_bodies copies meta as is: the writer must not pair body 2's headers with body 1."""
    seq = read_ntu_skeleton(ntu_dir / "S001C001P001R001A050.skeleton")
    swapped = seq.select_bodies([1, 0])
    write_ntu_skeleton(swapped, tmp_path / "s.skeleton")
    back = read_ntu_skeleton(tmp_path / "s.skeleton")
    assert back.body_ids == swapped.body_ids
    np.testing.assert_array_equal(back.joints, swapped.joints)
    np.testing.assert_array_equal(back.confidence, swapped.confidence)
    # and the dedicated selection keeps the side arrays, so it round-trips them
    top = select_main_bodies(seq, 2)
    write_ntu_skeleton(top, tmp_path / "t.skeleton")
    _same(top, read_ntu_skeleton(tmp_path / "t.skeleton"))


# ---- typed errors on malformed input (built in code, always run) ----


def _write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "bad.skeleton"
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


@pytest.fixture
def good_text(ntu_synthetic, tmp_path) -> list[str]:
    write_ntu_skeleton(ntu_synthetic.slice_frames(0, 2), tmp_path / "g.skeleton", newline="\n")
    return (tmp_path / "g.skeleton").read_text().split("\n")


def _err(tmp_path, lines) -> SkeletonFormatError:
    with pytest.raises(SkeletonFormatError) as e:
        read_ntu_skeleton(_write(tmp_path, "\n".join(lines) if isinstance(lines, list) else lines))
    assert "bad.skeleton" in str(e.value)
    return e.value


def test_error_truncated(tmp_path, good_text):
    e = _err(tmp_path, good_text[:20])
    assert "ends early" in e.reason and e.line == 21


def test_error_wrong_field_count(tmp_path, good_text):
    good_text[5] = good_text[5] + " 7"
    e = _err(tmp_path, good_text)
    assert e.line == 6 and "expected 12 fields" in e.reason


def test_error_non_numeric(tmp_path, good_text):
    good_text[6] = "abc " + good_text[6].split(" ", 1)[1]
    e = _err(tmp_path, good_text)
    assert e.line == 7 and "'abc'" in e.reason


def test_error_body_count_mismatch(tmp_path, good_text):
    good_text[1] = "2"  # frame 1 has one body; the next header is the frame-2 body count
    e = _err(tmp_path, good_text)
    assert e.line == 30 and "body header" in e.reason


def test_error_extra_frames(tmp_path, good_text):
    good_text[0] = "1"
    assert "end of file" in _err(tmp_path, good_text).reason


def test_error_bad_tracking_state(tmp_path, good_text):
    good_text[4] = good_text[4].rsplit(" ", 1)[0] + " 7"
    e = _err(tmp_path, good_text)
    assert e.line == 5 and "trackingState" in e.reason


def test_error_header_int_too_large(tmp_path, good_text):
    """A body-header flag that does not fit the int64 it is kept in (found by the fuzz test)."""
    tok = good_text[2].split()
    tok[3] = "99999999999999999999999"
    good_text[2] = " ".join(tok)
    e = _err(tmp_path, good_text)
    assert e.line == 3 and "body header field 4" in e.reason and "99999999999999999999999" in e.reason


def test_error_empty_and_binary(tmp_path):
    assert "empty" in _err(tmp_path, "").reason
    assert "empty" in _err(tmp_path, " \n\n").reason
    assert "NUL" in _err(tmp_path, b"12\n\x00\x01\x02").reason
    assert "UTF-8" in _err(tmp_path, b"12\n\xff\xfe\x80").reason
    assert "nan" in _err(tmp_path, "1\n1\n1 0 0 0 0 0 0 0 nan 2\n25").reason
