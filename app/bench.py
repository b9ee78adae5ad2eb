"""``skelapp bench``: streaming recognizer latency and throughput, and the gain over re-running
a window every frame.

Measures (after a warm-up), on synthetic inputs of the model's feature shape:

* ``per_frame_ms``: one streaming model step (T=1, batch 1), median and p95;
* ``throughput_fps``: streaming steps per second;
* ``pipeline_ms``: the whole per-frame chain (resample, features, model, smoothing) on a
  synthetic moving skeleton;
* ``window_ms``: re-running the model over the last ``--window`` frames from a zero state, as a
  non-streaming recognizer would every frame; ``speedup_vs_window`` = window / per-frame median.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from skelapp.core.errors import SkelappError
from skelapp.core.layouts import CANONICAL
from skelapp.core.skeleton import SkeletonFrame


def _timed(fn, n: int, warmup: int = 10) -> np.ndarray:
    for i in range(warmup):
        fn(i)
    out = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out[i] = (time.perf_counter() - t0) * 1000.0
    return out


def _synthetic_frames(n: int, fps: float, rng: np.random.Generator) -> list[SkeletonFrame]:
    """A standing body (0.5 m torso) whose arms swing, at *fps*."""
    base = rng.normal(0, 0.15, (20, 3)).astype(np.float32)
    base[0] = (0, 0, 2.5)
    base[2] = (0, 0.5, 2.5)
    frames = []
    for t in range(n):
        j = base.copy()
        j[4:12, 1] += 0.2 * np.sin(2 * np.pi * t / (2 * fps))
        j += rng.normal(0, 0.005, j.shape).astype(np.float32)
        frames.append(SkeletonFrame(j[None], np.ones((1, 20), np.float32), t / fps, t, CANONICAL, (0,)))
    return frames


def run_bench(model: str | None, frames: int = 300, window: int = 64, cpu: bool = False,
              threads: int = 1) -> dict:
    from skelapp.core.recognizer import StreamingRecognizer
    from skelapp.core.stream_processor import StreamProcessor, prepare_frame
    from skelapp.core.tracking import BodyTracker

    rec = StreamingRecognizer(model, prefer_gpu=not cpu, threads=threads)
    rng = np.random.default_rng(0)
    c = rec.feature_config.channels
    n_total = frames + window + 20
    x = (rng.standard_normal((n_total, 20, c)) * 0.3).astype(np.float32)

    rec.reset("bench")
    stream = _timed(lambda i: rec.step({"bench": x[i]}), frames)
    n_win = max(20, min(frames, 100))
    win = _timed(lambda i: rec.run_offline(x[i : i + window]), n_win, warmup=3)
    rec.drop("bench")

    fps = rec.feature_config.fps
    synth = _synthetic_frames(frames + 10, fps, rng)
    proc, tracker = StreamProcessor(rec), BodyTracker()
    pipe = _timed(lambda i: proc.process(prepare_frame(synth[i], tracker)), frames)

    med = float(np.median(stream))
    return {
        "model": str(rec.path),
        "provider": rec.provider,
        "classes": rec.num_classes,
        "state_tensors": len(rec.info.state_shapes),
        "model_fps": fps,
        "frames": frames,
        "per_frame_ms_median": med,
        "per_frame_ms_p95": float(np.percentile(stream, 95)),
        "throughput_fps": float(1000.0 / stream.mean()),
        "pipeline_ms_median": float(np.median(pipe)),
        "pipeline_ms_p95": float(np.percentile(pipe, 95)),
        "window_frames": window,
        "window_ms_median": float(np.median(win)),
        "window_ms_p95": float(np.percentile(win, 95)),
        "speedup_vs_window": float(np.median(win) / med) if med > 0 else float("inf"),
        "realtime_headroom": float(1000.0 / fps / med) if med > 0 else float("inf"),
    }


def _ms(r: dict, key: str) -> str:
    return f"median {r[key + '_ms_median']:.3f} ms, p95 {r[key + '_ms_p95']:.3f} ms"


def format_table(r: dict) -> str:
    rows = [
        ("model", r["model"]),
        ("provider", r["provider"]),
        ("classes / state tensors", f"{r['classes']} / {r['state_tensors']}"),
        ("streaming step (T=1)", _ms(r, "per_frame")),
        ("throughput", f"{r['throughput_fps']:.0f} frames/s"),
        ("whole per-frame chain", _ms(r, "pipeline")),
        (f"re-run {r['window_frames']}-frame window", _ms(r, "window")),
        ("speedup streaming vs window", f"{r['speedup_vs_window']:.1f}x"),
        (f"real-time headroom at {r['model_fps']:g} fps", f"{r['realtime_headroom']:.0f}x"),
    ]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skelapp bench", description="Benchmark the streaming recognizer.")
    p.add_argument("--model", help="ONNX model (default: the bundled assets/model.onnx)")
    p.add_argument("--frames", type=int, default=300, help="timed streaming steps (default 300)")
    p.add_argument("--window", type=int, default=64, help="window length for the re-run baseline")
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    p.add_argument("--cpu", action="store_true", help="use the CPU even when CUDA is available")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.frames < 1 or args.window < 1:
        p.error("--frames and --window must be >= 1")
    try:
        r = run_bench(args.model, args.frames, args.window, args.cpu, args.threads)
    except (SkelappError, ImportError) as e:
        print(f"skelapp bench: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    print(json.dumps(r) if args.json else format_table(r))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
