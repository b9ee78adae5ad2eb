"""The `skelapp` dispatcher: subcommand errors end with one line on stderr, never a traceback."""

from __future__ import annotations

from skelapp.app.cli import main


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
