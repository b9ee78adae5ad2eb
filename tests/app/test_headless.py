"""The live app headless: replay -> log end to end, clean exits, one-line errors, complete logs."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _onnx_model import cached_model

from skelapp.app.headless import run_headless
from skelapp.app.prediction_log import CSV_COLUMNS, open_prediction_log, read_jsonl
from skelapp.app.run import main
from skelapp.core.formats import save_recording
from skelapp.core.layouts import KINECT_V1
from skelapp.core.recognizer import StreamingRecognizer
from skelapp.core.skeleton import SkeletonSequence
from skelapp.devices.base import SourceError
from skelapp.devices.replay import ReplaySource

NTU_FILES = [
    "S001C001P001R001A001", "S002C001P003R001A003", "S001C001P001R001A011", "S004C002P003R001A017",
    "S003C001P015R001A034", "S001C001P001R001A050", "S017C003P020R002A054", "S017C003P020R002A055",
    "S017C003P020R002A056", "S017C003P020R002A057", "S017C003P020R002A058", "S001C003P008R002A058",
]  # fmt: skip
TWO_PERSON = {"A050", "A054", "A055", "A056", "A057", "A058"}


@pytest.fixture(scope="module")
def model() -> Path:
    return cached_model(10)


@pytest.fixture
def recording(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    t = np.arange(45)[:, None, None]
    j = rng.normal(0, 0.2, (1, 20, 3)) + 0.2 * np.sin(t / 4.0) + np.array([0, 0, 3.0])
    j[:, 2] = j[:, 0] + (0, 0.5, 0)
    return save_recording(SkeletonSequence.from_joints(j, KINECT_V1, fps=30.0), tmp_path / "rec.skel.npz")


def _check_one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("skelapp: error: ") and "Traceback" not in err
    for n in needles:
        assert n in err
    return err


def test_replay_to_jsonl(tmp_path, model, recording, capsys):
    log = tmp_path / "runs" / "new" / "out.jsonl"  # missing folders are created
    rc = main(["--replay", str(recording), "--fast", "--headless", "--model", str(model), "--log", str(log)])
    assert rc == 0
    recs = read_jsonl(log)
    assert recs[0]["type"] == "start" and recs[0]["source"] == "replay:rec.skel.npz"
    assert recs[0]["labels"] == StreamingRecognizer(model).labels
    ups = [r for r in recs if r["type"] == "update"]
    assert len(ups) == 23 and [u["frame_index"] for u in ups] == list(range(0, 45, 2))
    s = recs[-1]
    assert s["type"] == "summary" and s["frames"] == 45 and s["updates"] == 23 and s["dropped"] == 0
    assert s["error"] is None and s["provider"] == "CPUExecutionProvider" and s["latency_p95_ms"] > 0
    assert "done: 45 frames, 23 updates, 0 dropped" in capsys.readouterr().out


def test_replay_to_csv(tmp_path, model, recording):
    log = tmp_path / "out.csv"
    assert main(["--replay", str(recording), "--fast", "--headless", "--quiet", "--model", str(model),
                 "--log", str(log)]) == 0
    with open(log, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["type"] for r in rows] == ["start"] + ["update"] * 23 + ["summary"]
    assert len(json.loads(rows[1]["probabilities"])) == 10 and rows[1]["top1"]
    assert json.loads(rows[-1]["info"])["frames"] == 45


def test_paced_replay_with_speed(tmp_path, model, recording, monkeypatch):
    """--speed reaches the replay source, which paces the run: 1.5 s of recording at 6x takes at
    least 0.24 s whatever the load (how closely a source keeps the pace is
    tests/devices/test_replay.py's; an upper wall-clock bound here failed only under a loaded CPU)."""
    speeds = []
    monkeypatch.setattr(ReplaySource, "__init__", lambda self, *a, _init=ReplaySource.__init__, **k:
                        speeds.append(k.get("speed")) or _init(self, *a, **k))
    t0 = time.perf_counter()
    rc = main(["--replay", str(recording), "--speed", "6", "--headless", "--quiet", "--model", str(model)])
    assert rc == 0 and speeds == [6.0]
    assert time.perf_counter() - t0 > 0.24  # the last frame is 44/30 s in: 0.244 s at 6x


def test_no_display_runs_headless(tmp_path, model, recording, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    log = tmp_path / "o.jsonl"
    rc = main(["--replay", str(recording), "--fast", "--quiet", "--model", str(model), "--log", str(log)])
    assert rc == 0
    assert read_jsonl(log)[-1]["type"] == "summary"


def test_missing_model(tmp_path, recording, capsys):
    log = tmp_path / "o.jsonl"
    missing = str(tmp_path / "none.onnx")
    rc = main(["--replay", str(recording), "--headless", "--model", missing, "--log", str(log)])
    assert rc == 2
    _check_one_line_error(capsys, "model file not found", "none.onnx")
    (rec,) = read_jsonl(log)
    assert rec["type"] == "summary" and "none.onnx" in rec["error"]


def test_corrupt_model(tmp_path, recording, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 50)
    log = tmp_path / "o.csv"
    assert main(["--replay", str(recording), "--headless", "--model", str(bad), "--log", str(log)]) == 2
    _check_one_line_error(capsys, "cannot load ONNX model", "bad.onnx")
    with open(log, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["type"] for r in rows] == ["summary"] and "bad.onnx" in json.loads(rows[0]["info"])["error"]


def test_corrupt_skeleton_file(tmp_path, model, capsys):
    bad = tmp_path / "broken.skeleton"
    bad.write_text("3\n1\n72057594037931101 0 1 1 1 1 0 0.1 0.2 2\n25\n0.1 0.2\n")
    log = tmp_path / "o.jsonl"
    assert main(["--replay", str(bad), "--headless", "--model", str(model), "--log", str(log)]) == 2
    _check_one_line_error(capsys, "broken.skeleton")
    assert read_jsonl(log)[-1]["error"].startswith(str(bad))


def test_missing_input_and_no_source(tmp_path, model, capsys):
    assert main(["--replay", str(tmp_path / "gone.skeleton"), "--headless", "--model", str(model)]) == 2
    _check_one_line_error(capsys, "gone.skeleton", "no such file")
    assert main(["--headless", "--model", str(model)]) == 2
    _check_one_line_error(capsys, "no input")


def test_bad_log_suffix(tmp_path, recording, model, capsys):
    log = str(tmp_path / "x.txt")
    assert main(["--replay", str(recording), "--headless", "--model", str(model), "--log", log]) == 2
    _check_one_line_error(capsys, ".jsonl or .csv")


class _FailingReplay(ReplaySource):
    """A replay whose device 'fails' after *n* frames."""

    def __init__(self, path, n: int) -> None:
        super().__init__(path, fast=True)
        self.n = n

    def frames(self):
        for k, f in enumerate(super().frames()):
            if k == self.n:
                raise SourceError(f"{self.name}: read error at frame {k}")
            yield f


def test_source_failing_mid_run_keeps_the_log(tmp_path, model, recording, capsys):
    log_path = tmp_path / "o.jsonl"
    with open_prediction_log(log_path) as log:
        src = _FailingReplay(recording, 20)
        rc = run_headless(src, StreamingRecognizer(model), log, lossless=True, quiet=True)
    assert rc == 1
    _check_one_line_error(capsys, "read error at frame 20")
    recs = read_jsonl(log_path)
    ups = [r for r in recs if r["type"] == "update"]
    assert [u["frame_index"] for u in ups] == list(range(0, 20, 2))
    assert recs[-1]["type"] == "summary" and recs[-1]["frames"] == 20 and "frame 20" in recs[-1]["error"]


def test_headless_never_imports_qt(tmp_path, model, recording):
    args = ["--replay", str(recording), "--fast", "--headless", "--quiet", "--model", str(model)]
    qt = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph")
    code = (
        f"import sys; from skelapp.app.cli import main; rc = main({args!r}); "
        f"qt = [m for m in sys.modules if m.split('.')[0] in {qt!r}]; print(rc, qt)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "0 []", out.stderr


def test_jsonl_writer_survives_kill_9(tmp_path):
    log = tmp_path / "k.jsonl"
    code = f"""
import itertools
from skelapp.app.prediction_log import open_prediction_log
from skelapp.core.prediction import ClassScore, PredictionUpdate
log = open_prediction_log({str(log)!r})
log.write_start({{"source": "kill-test"}})
for i in itertools.count():
    log.write(PredictionUpdate(i / 15, i, 0, [ClassScore(1, "x", 0.5)], "x", False, 0.1, [0.5] * 60))
"""
    p = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.time() + 60
        while time.time() < deadline and (not log.exists() or log.stat().st_size < 200_000):
            time.sleep(0.05)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    lines = log.read_bytes().split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    recs = [json.loads(x) for x in complete]  # every complete line parses
    assert recs[0]["type"] == "start" and len(recs) > 50
    assert [r["frame_index"] for r in recs[1:]] == list(range(len(recs) - 1))  # nothing lost in between
    assert tail == b"" or tail.startswith(b'{"type": "update"')  # at most the line being written is cut


@pytest.mark.realdata
@pytest.mark.parametrize("name", NTU_FILES)
def test_all_ntu_files_fast(ntu_dir, tmp_path, model, name, capsys):
    log = tmp_path / f"{name}.jsonl"
    rc = main(["--replay", str(ntu_dir / f"{name}.skeleton"), "--fast", "--headless", "--quiet",
               "--model", str(model), "--log", str(log)])
    assert rc == 0, capsys.readouterr().err
    recs = read_jsonl(log)
    s = recs[-1]
    assert s["type"] == "summary" and s["error"] is None and s["dropped"] == 0
    bodies = {r["body_id"] for r in recs if r["type"] == "update"}
    assert bodies == ({0, 1} if name[-4:] in TWO_PERSON else {0})


@pytest.mark.realdata
def test_drink_water_whole_timeline(ntu_dir, tmp_path, model):
    log = tmp_path / "a001.jsonl"
    rc = main(["--replay", str(ntu_dir / "S001C001P001R001A001.skeleton"), "--fast", "--headless", "--quiet",
               "--model", str(model), "--log", str(log)])
    assert rc == 0
    recs = read_jsonl(log)
    ups = [r for r in recs if r["type"] == "update"]
    # 103 frames at 30 fps -> 52 updates at the model's 15 fps, covering 0 .. 3.4 s
    assert len(ups) == 52 and ups[-1]["frame_index"] == 102
    np.testing.assert_allclose([u["time"] for u in ups], np.arange(52) / 15.0, atol=1e-5)
    assert all(len(u["probabilities"]) == 10 and u["label"] for u in ups)
    assert recs[-1]["frames"] == 103 and recs[-1]["updates"] == 52


@pytest.mark.realdata
def test_truncated_ntu_file(ntu_dir, tmp_path, model, capsys):
    text = (ntu_dir / "S001C001P001R001A001.skeleton").read_text()
    bad = tmp_path / "S001C001P001R001A001_cut.skeleton"
    bad.write_text(text[: len(text) // 2])
    log = tmp_path / "cut.jsonl"
    assert main(["--replay", str(bad), "--fast", "--headless", "--model", str(model), "--log", str(log)]) == 2
    _check_one_line_error(capsys, "_cut.skeleton")
    (rec,) = read_jsonl(log)
    assert rec["type"] == "summary" and "_cut.skeleton" in rec["error"]


def test_gui_is_launched_when_a_display_is_there(monkeypatch, recording):
    import types

    from skelapp.app import run

    seen = []
    fake = types.ModuleType("skelapp.app.gui")
    fake.launch = lambda args: seen.append(args) or 0
    monkeypatch.setitem(sys.modules, "skelapp.app.gui", fake)
    monkeypatch.setattr(run, "display_available", lambda: True)
    assert main(["--replay", str(recording), "--speed", "2"]) == 0
    assert seen[0].replay == str(recording) and seen[0].speed == 2.0


def test_gui_missing_falls_back_to_headless(monkeypatch, recording, model, capsys):
    from skelapp.app import run

    monkeypatch.setitem(sys.modules, "skelapp.app.gui", None)  # import fails
    monkeypatch.setattr(run, "display_available", lambda: True)
    assert main(["--replay", str(recording), "--fast", "--quiet", "--model", str(model)]) == 0
    assert "GUI not available" in capsys.readouterr().err


def test_missing_libraries_run_headless_with_the_packages_named(monkeypatch, recording, model, capsys):
    import types

    from skelapp.app import run

    launched = []
    fake = types.ModuleType("skelapp.app.gui")
    fake.launch = lambda args: launched.append(args) or 0
    monkeypatch.setitem(sys.modules, "skelapp.app.gui", fake)
    monkeypatch.setattr(run, "display_available", lambda: True)
    monkeypatch.setattr(run, "missing_qt_libraries", lambda: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"])
    assert run.main(["--replay", str(recording), "--fast", "--quiet", "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert not launched
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in err
    assert "apt-get install libxcb-cursor0 libxcb-icccm4" in err and "running headless" in err


def test_camera_without_device_module_is_a_clear_error(monkeypatch, model, capsys):
    monkeypatch.setitem(sys.modules, "skelapp.devices.webcam", None)
    assert main(["--camera", "0", "--headless", "--model", str(model)]) == 2
    _check_one_line_error(capsys, "video/camera input is not available")


def test_two_inputs_rejected(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--camera", "0", "--kinect", "--headless"])
    assert e.value.code == 2 and "choose one input" in capsys.readouterr().err


def test_cli_no_model_bundled_message(tmp_path, recording, monkeypatch, capsys):
    from skelapp.core import recognizer

    monkeypatch.setattr(recognizer, "default_model_path", lambda: None)
    assert main(["--replay", str(recording), "--headless"]) == 2
    _check_one_line_error(capsys, "no model given")


class _WarningReplay(ReplaySource):
    warning = "tracks one person only"


def test_source_warning_in_start_record_and_stderr(tmp_path, model, recording, monkeypatch, capsys):
    from skelapp.app import run

    monkeypatch.setattr(run, "build_source", lambda args: _WarningReplay(recording))
    log = tmp_path / "w.jsonl"
    assert main(["--replay", str(recording), "--fast", "--headless", "--quiet", "--model", str(model),
                 "--log", str(log)]) == 0
    recs = read_jsonl(log)
    assert recs[0]["type"] == "start" and recs[0]["warning"] == "tracks one person only"
    err = capsys.readouterr().err
    assert err.count("tracks one person only") == 1 and err.startswith("skelapp: warning: ")
    monkeypatch.undo()
    assert main(["--replay", str(recording), "--fast", "--headless", "--quiet", "--model", str(model),
                 "--log", str(log)]) == 0
    assert read_jsonl(log)[0]["warning"] is None and "warning" not in capsys.readouterr().err


def test_video_is_paced_unless_fast(tmp_path):
    from skelapp.app.run import build_parser, source_spec
    from skelapp.devices.factory import build_source

    video = tmp_path / "v.mp4"
    video.write_bytes(b"")  # only has to exist: sources are not opened here
    paced = source_spec(build_parser().parse_args(["--video", str(video)]))
    fast = source_spec(build_parser().parse_args(["--video", str(video), "--fast"]))
    assert paced.pace and not fast.pace
    assert not source_spec(build_parser().parse_args(["--replay", str(video)])).pace
    assert build_source(paced).pace and build_source(paced).live and not build_source(fast).pace


class _GoneReader(io.StringIO):
    """An output whose reader has gone away: every write fails as on a closed pipe."""

    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def _assert_whole_log(path: Path) -> None:
    recs = read_jsonl(path)
    ups = [r for r in recs if r["type"] == "update"]
    assert [u["frame_index"] for u in ups] == list(range(0, 45, 2))
    assert recs[-1]["type"] == "summary" and recs[-1]["frames"] == 45 and recs[-1]["error"] is None


def test_output_reader_gone_keeps_the_run_and_its_log(tmp_path, model, recording, capsys):
    log_path = tmp_path / "o.jsonl"
    out = _GoneReader()
    with open_prediction_log(log_path) as log:
        rc = run_headless(ReplaySource(recording, fast=True), StreamingRecognizer(model), log,
                          lossless=True, out=out)
    assert rc == 0 and capsys.readouterr().err == ""
    _assert_whole_log(log_path)


def test_stdout_closed_by_its_reader(tmp_path, model, recording, skelapp_with_reader_gone):
    """`skelapp --replay F --headless --log L | head -0`: the run and its log still finish, quietly."""
    log = tmp_path / "p.jsonl"
    args = ["--replay", str(recording), "--fast", "--headless", "--model", str(model), "--log", str(log)]
    assert skelapp_with_reader_gone(args) == 0
    _assert_whole_log(log)
