"""Property test: mutated files either read as a valid sequence or raise SkeletonFormatError."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skelapp.core.errors import SkeletonFormatError
from skelapp.core.formats import read_skeleton_file, save_recording
from skelapp.core.ntu_skeleton import write_ntu_skeleton
from skelapp.core.skeleton import SkeletonSequence

REAL = {
    "ntu_crlf.skeleton": "ntu_rgbd_skeleton_samples/S001C003P008R002A058.skeleton",
    "ntu_lf.skeleton": "ntu_rgbd_skeleton_samples/S017C003P020R002A054.skeleton",
    "nwucla.json": "nw_ucla/all_sqe/a01_s01_e00_v01.json",
    "msr_skeleton3D.txt": "msr_action3d/real_world_coordinates/a01_s01_e01_skeleton3D.txt",
    "azure.csv": "azure_kinect/gymtrainer_body_tracking_csv/26_07_15_56_53.csv",
}
TOKENS = ["", "nan", "inf", "-", "1e999", "x", "0", "-1", "25", "2", "99999999999999999999999", "2.5",
          "\x00", "\u00e9", '"', ",", "{", "]", "true", "null", "1 2", "\r", "\ufeff"]
_count = itertools.count()


class Source(bytes):
    """Original file bytes whose repr is just the file name (keeps hypothesis reports short)."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}: {len(self)} bytes>"


def _src(name: str, data: bytes) -> Source:
    s = Source(data)
    s.name = name
    return s


@pytest.fixture(scope="module", params=["synthetic.skeleton", "synthetic.skel.npz", *REAL])
def source(request, tmp_path_factory, make_ntu) -> Source:
    """(file name, original bytes): synthetic files always, real ones when the data is present."""
    name = request.param
    if name in REAL:
        return _src(name, (request.getfixturevalue("data_dir") / REAL[name]).read_bytes())
    d = tmp_path_factory.mktemp("fuzz_src")
    seq = make_ntu(frames=3)
    if name.endswith(".skeleton"):
        write_ntu_skeleton(seq, d / name)
    else:
        save_recording(seq, d / name)
    return _src(name, (d / name).read_bytes())


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _mutate(data: bytes, ops: list[tuple[str, int, str]]) -> bytes:
    for op, pos, tok in ops:
        if not data:
            break
        lines = data.split(b"\n")
        li = pos % len(lines)
        if op == "truncate":
            data = data[: pos % len(data)]
        elif op == "delete_line":
            data = b"\n".join(lines[:li] + lines[li + 1 :])
        elif op == "dup_line":
            data = b"\n".join(lines[: li + 1] + lines[li:])
        elif op == "flip_byte":
            i = pos % len(data)
            data = data[:i] + bytes([data[i] ^ (1 + pos % 255)]) + data[i + 1 :]
        elif op == "replace_token":
            words = lines[li].split(b" ")
            words[(pos // 7) % len(words)] = tok.encode()
            lines[li] = b" ".join(words)
            data = b"\n".join(lines)
    return data


OPS = st.lists(
    st.tuples(st.sampled_from(["truncate", "delete_line", "dup_line", "flip_byte", "replace_token"]),
              st.integers(0, 2**31), st.sampled_from(TOKENS) | st.text(max_size=4)),
    min_size=1, max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_mutated_file_reads_or_raises_format_error(source, fuzz_dir, ops):
    path = fuzz_dir / f"{next(_count)}_{source.name}"
    path.write_bytes(_mutate(bytes(source), ops))
    try:
        seq = read_skeleton_file(path)
    except SkeletonFormatError as e:
        assert e.path == str(path) and e.reason
        assert e.line is None or e.line >= 1
        return
    finally:
        path.unlink()
    assert isinstance(seq, SkeletonSequence) and seq.num_frames >= 1
    assert np.isfinite(seq.joints).all() and np.isfinite(seq.timestamps).all()
    assert ((seq.confidence >= 0) & (seq.confidence <= 1)).all()


def test_mutate_helper_changes_bytes():
    data = b"1 2 3\n4 5 6\n"
    assert _mutate(data, [("delete_line", 0, "")]) == b"4 5 6\n"
    assert _mutate(data, [("replace_token", 0, "x")]) == b"x 2 3\n4 5 6\n"
    assert _mutate(data, [("truncate", 3, "")]) == b"1 2"
