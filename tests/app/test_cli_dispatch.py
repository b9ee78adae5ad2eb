"""The `skelapp` dispatcher: subcommand errors end with one line on stderr, never a traceback (nor
when stdout's reader leaves early)."""

from __future__ import annotations

import numpy as np

from skelapp.app.cli import main
from skelapp.core.formats import save_recording
from skelapp.core.layouts import KINECT_V1
from skelapp.core.skeleton import SkeletonSequence


def _one_line(capsys, prefix: str, *needles: str) -> None:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and err.startswith(prefix)
    for n in needles:
        assert n in err


def test_train_on_missing_data_dir(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "run")]) == 2
    _one_line(capsys, "skelapp train: error: ", "nope", "does not exist")


def test_evaluate_with_missing_model(tmp_path, capsys):
    rc = main(["evaluate", "--model", str(tmp_path / "gone.onnx"), "--data", str(tmp_path)])
    assert rc == 2
    _one_line(capsys, "skelapp evaluate: error: ", "model file not found", "gone.onnx")


def test_reader_leaving_early_ends_a_subcommand_without_traceback(tmp_path, skelapp_with_reader_gone):
    """`skelapp info FILE | head -0`: the output is cut short (status 1), but no traceback and no
    "Exception ignored" from the interpreter's final flush."""
    j = np.zeros((30, 20, 3)) + np.array([0.0, 0.0, 3.0])
    rec = save_recording(SkeletonSequence.from_joints(j, KINECT_V1, fps=30.0), tmp_path / "r.skel.npz")
    assert skelapp_with_reader_gone(["info", str(rec)]) == 1
