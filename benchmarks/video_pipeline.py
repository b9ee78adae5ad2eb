"""Video -> MediaPipe Pose -> canonical skeleton (-> streaming recognizer) on this machine's CPU.

Per-stage latency, measured one stage after another on one thread (median / p95 ms per frame):

* ``decode``: ``cv2.VideoCapture.read`` (plus the optional resize);
* ``pose``: MediaPipe Pose (legacy, model_complexity=1), BGR->RGB included;
* ``convert``: world/image landmarks -> camera space (depth placement) -> canonical 20 joints;
* ``recognizer``: body tracking + resampling + features + one streaming ONNX step + smoothing
  (only when a model is given or ``skelapp/assets/model.onnx`` is bundled).

``sequential_fps`` = 1000 / (sum of the stage means). ``threaded_fps`` runs the same video
through :class:`skelapp.devices.webcam.WebcamSource` once (capture and pose on their own threads,
consumer doing the recognizer; at most ``--frames`` frames, no looping) and counts frames per
wall-clock second.

    python benchmarks/video_pipeline.py [--video FILE] [--resize 1280x720] [--frames 150]
                                        [--model FILE] [--no-threaded] [--json]

Default video: ``videos/gymtrainer_squat.mp4`` (720x1280) from the real-data folder
(``$SKELAPP_DATA`` or ``../shared/data``), looped until ``--frames`` frames were timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

STAGES = ("decode", "pose", "convert", "recognizer")


def find_video() -> Path | None:
    from skelapp.core.data_dir import find_data_dir

    data = find_data_dir()
    p = data / "videos" / "gymtrainer_squat.mp4" if data is not None else None
    return p if p is not None and p.is_file() else None


def _frames(path: Path, n: int, size: tuple[int, int] | None, cv2, times: list[float]):
    """Yield *n* BGR frames, looping the video; decode time per frame appended to *times*."""
    cap, got = cv2.VideoCapture(str(path)), 0
    if not cap.isOpened():
        raise SystemExit(f"cannot open video {path}")
    while got < n:
        t0 = time.perf_counter()
        ok, bgr = cap.read()
        if not ok:
            cap.release()
            cap = cv2.VideoCapture(str(path))
            ok, bgr = cap.read()
            if not ok:
                raise SystemExit(f"{path}: no decodable frames")
        if size is not None:
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        times.append(time.perf_counter() - t0)
        got += 1
        yield bgr
    cap.release()


def _recognizer(model: str | None):
    """``(step(frame) -> None, model path)`` or ``(None, reason)``."""
    try:
        from skelapp.core.recognizer import StreamingRecognizer, default_model_path
        from skelapp.core.stream_processor import StreamProcessor, prepare_frame
        from skelapp.core.tracking import BodyTracker
    except ImportError as e:
        return None, f"recognizer unavailable ({e})"
    path = model or default_model_path()
    if path is None:
        return None, "no model (pass --model FILE; no bundled assets/model.onnx)"
    rec = StreamingRecognizer(path, prefer_gpu=False, threads=1)
    proc, tracker = StreamProcessor(rec), BodyTracker()
    return (lambda frame: proc.process(prepare_frame(frame, tracker))), str(path)


def run(video: Path, frames: int = 150, size: tuple[int, int] | None = None, model: str | None = None,
        mirrored: bool = False, threaded: bool = True, warmup: int = 5) -> dict:
    import cv2

    from skelapp.core.conversion import frame_to_canonical
    from skelapp.devices.mediapipe_pose import MediaPipePose
    from skelapp.devices.webcam import WebcamSource

    est = MediaPipePose()
    to_frame = WebcamSource(video, mirrored=mirrored).to_frame  # the source's own conversion, unopened
    step, model_info = _recognizer(model)
    decode: list[float] = []
    times = {k: [] for k in STAGES[1:]}
    detected, shape = 0, None
    for i, bgr in enumerate(_frames(video, frames + warmup, size, cv2, decode)):
        shape = bgr.shape
        t0 = time.perf_counter()
        res = est.estimate(bgr)
        t1 = time.perf_counter()
        canon = frame_to_canonical(to_frame(res, bgr, i / 30.0, i))
        t2 = time.perf_counter()
        if step is not None:
            step(canon)  # already canonical: the recognizer stage does not convert again
        t3 = time.perf_counter()
        if i >= warmup:
            detected += res is not None
            times["pose"].append(t1 - t0)
            times["convert"].append(t2 - t1)
            if step is not None:
                times["recognizer"].append(t3 - t2)
    est.close()
    times["decode"] = decode[warmup:]
    stages = {}
    for k in STAGES:
        ms = np.asarray(times[k]) * 1000.0
        stages[k] = None if not len(ms) else {"mean_ms": float(ms.mean()), "median_ms": float(np.median(ms)),
                                              "p95_ms": float(np.percentile(ms, 95))}
    total = sum(s["mean_ms"] for s in stages.values() if s)
    out = {
        "video": str(video),
        "frame_size": f"{shape[1]}x{shape[0]}" if shape else "?",
        "frames": frames,
        "detected_fraction": detected / max(frames, 1),
        "recognizer": model_info,
        "stages": stages,
        "sequential_ms_per_frame": total,
        "sequential_fps": 1000.0 / total if total else float("nan"),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    if threaded and size is None:
        out["threaded_fps"] = _threaded_fps(video, frames, mirrored, model)
    return out


def _threaded_fps(video: Path, frames: int, mirrored: bool, model: str | None) -> float | None:
    """End-to-end frames/s through WebcamSource (capture + pose threads) and the recognizer."""
    try:
        from skelapp.devices.webcam import WebcamSource
    except ImportError:
        return None
    step, _ = _recognizer(model)
    n, t0 = 0, None
    with WebcamSource(video, mirrored=mirrored, max_frames=frames + 1) as src:  # one pass, no reopen
        for frame in src.frames():
            if t0 is None:
                t0 = time.perf_counter()  # start after the first frame (graph start-up)
                continue
            if step is not None:
                step(frame)
            n += 1
    return n / (time.perf_counter() - t0) if n else None


def format_table(r: dict) -> str:
    lines = [f"video      {r['video']} ({r['frame_size']}), {r['frames']} frames, "
             f"person found in {100 * r['detected_fraction']:.0f} %",
             f"recognizer {r['recognizer']}",
             f"cpu        {r['cpu']} x{r['cpu_count']}", "",
             f"{'stage':<12}{'mean ms':>9}{'median ms':>11}{'p95 ms':>9}"]
    for k in STAGES:
        s = r["stages"][k]
        lines.append(f"{k:<12}" + ("        -          -        -" if s is None else
                                   f"{s['mean_ms']:>9.1f}{s['median_ms']:>11.1f}{s['p95_ms']:>9.1f}"))
    lines.append(f"{'total':<12}{r['sequential_ms_per_frame']:>9.1f}")
    lines += ["", f"sequential  {r['sequential_fps']:.1f} fps (one thread, stages back to back)"]
    if r.get("threaded_fps") is not None:
        lines.append(f"threaded    {r['threaded_fps']:.1f} fps (WebcamSource: capture + pose threads)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--video", help="video file (default: videos/gymtrainer_squat.mp4 in the data folder)")
    p.add_argument("--frames", type=int, default=150, help="timed frames (video is looped; default 150)")
    p.add_argument("--resize", help="resize frames to WxH first, e.g. 1280x720 (disables --threaded)")
    p.add_argument("--model", help="ONNX model for the recognizer stage (default: bundled, if any)")
    p.add_argument("--mirrored", action="store_true", help="treat the video as mirrored")
    p.add_argument("--no-threaded", action="store_true", help="skip the threaded end-to-end run")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args(argv)
    video = Path(a.video) if a.video else find_video()
    if video is None or not video.is_file():
        p.error("no video: pass --video FILE (or set SKELAPP_DATA)")
    size = tuple(int(v) for v in a.resize.lower().split("x")) if a.resize else None
    r = run(video, a.frames, size, a.model, a.mirrored, not a.no_threaded)
    print(json.dumps(r, indent=2) if a.json else format_table(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
