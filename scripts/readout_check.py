"""Last-frame vs running-mean vs latter-half readout of the same per-frame outputs (decisions dev14,
dev55).

    python scripts/readout_check.py --dataset nw-ucla --protocol xview-dev --data ../shared/data \
        runs/dev10/base_s0/last.pt runs/dev13/teacher_bone_s0/last.pt

Prints top-1 on whole clips and at 40 % observed for each model and for their ensemble (mean of
the streams' per-frame probabilities), read from the last observed frame, from the running
mean of the probabilities over the observed frames, and from their mean over the latter half of
the observed frames (the last ceil(t / 2) of t, at most 64).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from skelapp.core.recognizer import softmax
from skelapp.training.datasets import load_dataset
from skelapp.training.evaluate import model_feature_config, per_frame_logits
from skelapp.training.metrics import score
from skelapp.training.splits import protocol_clips, resolve_protocol, split_indices


def running_mean(p: np.ndarray) -> np.ndarray:
    return np.cumsum(p, axis=0) / np.arange(1, len(p) + 1)[:, None]


def latter_half_mean(p: np.ndarray, cap: int = 64) -> np.ndarray:
    """Row t (0-based): the mean of the last ``min(ceil((t + 1) / 2), cap)`` rows up to t."""
    csum = np.concatenate([np.zeros((1, p.shape[1])), np.cumsum(p, axis=0)])
    t = np.arange(1, len(p) + 1)
    k = np.minimum((t + 1) // 2, cap)
    return (csum[t] - csum[t - k]) / k[:, None]


READOUTS = {"last": lambda p: p, "mean": running_mean, "half": latter_half_mean}


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict]]:
    """Print the table (or, with ``--json``, one JSON object); return ``{model: {readout: score}}``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--dataset", default="nw-ucla")
    ap.add_argument("--protocol", default=None)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--cache-dir", default="runs/cache")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = ap.parse_args(argv)
    probs, targets, loaded = {}, None, {}
    for m in args.models:
        fcfg = model_feature_config(m)
        if fcfg not in loaded:  # streams that read the same features share one load of the dataset
            clips = load_dataset(args.dataset, args.data, args.cache_dir, fcfg, progress=False)
            loaded[fcfg] = protocol_clips(clips, resolve_protocol(clips, args.protocol))
        clips = loaded[fcfg]
        test = split_indices(clips, args.protocol)[1]
        logits, _ = per_frame_logits(m, [clips.features[i] for i in test])
        probs[m] = [softmax(lg) for lg in logits]
        targets = clips.targets[test]
    if len(args.models) > 1:
        probs["ensemble"] = [np.mean(ps, axis=0) for ps in zip(*probs.values(), strict=True)]
    res = {name: {r: score([f(p) for p in ps], targets) for r, f in READOUTS.items()}
           for name, ps in probs.items()}
    if args.json:
        print(json.dumps(res))
        return res
    print(f"{'model':<50}", *(f"{r:>7}" for r in READOUTS), *(f"{r + '@40':>8}" for r in READOUTS))
    for name, r in res.items():
        print(f"{name:<50}", *(f"{r[k]['top1']:7.2f}" for k in READOUTS),
              *(f"{r[k]['early']['0.4']:8.2f}" for k in READOUTS))
    return res


if __name__ == "__main__":
    main()
