"""The live app: ``skelapp --replay FILE | --video FILE | --camera N | --kinect | --kinect-playback FILE``.

Opens the GUI (:func:`skelapp.app.gui.launch`) when a display is available and ``--headless``
is not given; otherwise runs headless (never importing Qt). Exit status: 0 on a clean end,
1 when the source or model failed mid-run, 2 when the source/model/log could not be set up;
errors are one line on stderr, and the prediction log stays complete up to the failure.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from skelapp.core.errors import SkelappError
from skelapp.devices.factory import SourceSpec
from skelapp.devices.factory import build_source as build_spec_source

from .qt_libraries import missing_libraries_message, missing_qt_libraries


class SetupError(SkelappError, RuntimeError):
    """The requested source or model cannot be set up."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="skelapp", add_help=False,
        description="Real-time skeleton action recognition (live app; see `skelapp --help` for subcommands).",
    )
    p.add_argument("-h", "--help", "--run-help", action="help", help="show this help and exit")
    src = p.add_argument_group("input (one of)")
    src.add_argument("--replay", metavar="FILE",
                     help="replay a skeleton file (.skeleton, .json, .txt, .csv, .skel.npz)")
    src.add_argument("--video", metavar="FILE",
                     help="video file through the pose estimator; with --replay: the GUI's overlay video")
    src.add_argument("--camera", metavar="N", type=int, help="webcam index (pose estimator)")
    src.add_argument("--kinect", action="store_true", help="live Azure Kinect body tracking")
    src.add_argument("--kinect-playback", metavar="FILE", help="Azure Kinect recording (.mkv)")
    p.add_argument("--mirrored", action="store_true",
                   help="the camera/video image is a mirror image (e.g. Kinect v2 colour, selfie cams)")
    p.add_argument("--model", metavar="FILE", help="ONNX model (default: the bundled assets/model.onnx)")
    p.add_argument("--headless", action="store_true", help="no GUI, even when a display is available")
    p.add_argument("--log", metavar="FILE", help="write predictions to FILE (.jsonl or .csv)")
    p.add_argument("--fast", action="store_true",
                   help="replay/video file: as fast as processed (no frames dropped), not at the file's rate")
    p.add_argument("--loop", action="store_true", help="replay: start over at the end")
    p.add_argument("--speed", type=float, default=1.0, help="replay speed factor (default 1.0)")
    p.add_argument("--cpu", action="store_true", help="use the CPU even when CUDA is available")
    p.add_argument("--quiet", action="store_true", help="headless: no per-label-change output")
    return p


def display_available() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return False
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def source_spec(args: argparse.Namespace) -> SourceSpec | None:
    """The source the arguments ask for, or None when none was chosen."""
    common = {"speed": args.speed, "fast": args.fast, "loop": args.loop,
              "mirrored": True if getattr(args, "mirrored", False) else None}
    if args.replay:
        return SourceSpec("replay", args.replay, **common)
    if args.video is not None:
        return SourceSpec("video", args.video, pace=not args.fast, **common)  # --fast: every frame, unpaced
    if args.camera is not None:
        return SourceSpec("camera", camera=args.camera, **common)
    if args.kinect:
        return SourceSpec("kinect", **common)
    if args.kinect_playback:
        return SourceSpec("kinect_playback", args.kinect_playback, **common)
    return None


def build_source(args: argparse.Namespace):
    """The source the arguments ask for (not opened), or None when none was chosen."""
    spec = source_spec(args)
    return None if spec is None else build_spec_source(spec)


def load_recognizer(args: argparse.Namespace):
    from skelapp.core.recognizer import StreamingRecognizer

    return StreamingRecognizer(args.model, prefer_gpu=not args.cpu)


def _fail(msg: str, log=None) -> int:
    if log is not None:
        log.write_summary({"frames": 0, "updates": 0, "dropped": 0, "error": msg})
        log.close()
    print(f"skelapp: error: {msg}", file=sys.stderr, flush=True)
    return 2


def run_headless_args(args: argparse.Namespace) -> int:
    from skelapp.devices.replay import ReplaySource

    from .headless import run_headless, start_record
    from .pipeline import one_line_error
    from .prediction_log import open_prediction_log

    log = None
    if args.log:
        try:
            log = open_prediction_log(args.log)
        except (OSError, ValueError) as e:
            return _fail(f"cannot write log: {one_line_error(e)}")
    try:
        source = build_source(args)
        if source is None:
            raise SetupError("no input: give --replay FILE, --video FILE, --camera N, --kinect or "
                             "--kinect-playback FILE")
        if isinstance(source, ReplaySource):
            source.open()  # a bad file fails here, before anything starts
        recognizer = load_recognizer(args)
    except (SkelappError, ImportError, OSError, ValueError) as e:
        return _fail(one_line_error(e), log)
    try:
        if log is not None:
            log.write_start(start_record(source, recognizer))
        lossless = isinstance(source, ReplaySource) and args.fast
        return run_headless(source, recognizer, log, lossless=lossless, quiet=args.quiet)
    finally:
        if log is not None:
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    given = [n for n in ("replay", "video", "camera", "kinect", "kinect_playback")
             if getattr(args, n) is not None and getattr(args, n) is not False]
    if len(given) > 1 and set(given) != {"replay", "video"}:
        parser.error("choose one input: " + ", ".join("--" + n.replace("_", "-") for n in given))
    if not args.headless and display_available():
        launch, reason = gui_launcher()
        if launch is not None:
            return int(launch(args) or 0)
        print(f"skelapp: GUI not available ({reason}); running headless", file=sys.stderr)
    return run_headless_args(args)


def gui_launcher() -> tuple[Callable[[argparse.Namespace], int] | None, str]:
    """The GUI's ``launch``, or None and the one-line reason it cannot start here."""
    missing = missing_qt_libraries()  # Qt would abort the process instead of raising
    if missing:
        return None, missing_libraries_message(missing)
    try:
        return importlib.import_module("skelapp.app.gui").launch, ""
    except (ImportError, AttributeError) as e:
        return None, one_line(e)


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
