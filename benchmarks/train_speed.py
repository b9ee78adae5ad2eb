"""Training speed of one stream on a real dataset, per precision and batching, on this machine.

For each ``PRECISION:BATCHING`` in ``--configs`` this runs ``skelapp train`` for ``--epochs``
epochs (default recipe otherwise, whole training split, ``--threads`` CPU threads, or the GPU
when there is one) and prints the mean seconds per epoch and the projected time of the shipped
recipe: ``scripts/train_default.sh`` trains its two streams side by side, one thread each, for
100 epochs, so the projection is 100 x the one-thread epoch time. It also prints the padding of
one epoch's batches (padded frames / real frames) for both batchings, and the process's peak
resident memory after each config (cumulative: the first config's figure is its own).

    python benchmarks/train_speed.py [--data DIR] [--dataset nw-ucla] [--epochs 2] [--threads 1]
                                     [--configs fp32:raw bf16:raw bf16:augmented] [--model JSON] [--json]

Data: ``--data``, else ``$SKELAPP_DATA`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile

import numpy as np


def padding(dataset: str, data: str, cache_dir: str) -> dict:
    """Padded / real frames of one epoch's batches (default recipe): planned (augmented) lengths
    vs raw lengths."""
    from skelapp.core.normalize import FeatureConfig
    from skelapp.training.augment import BATCHINGS, AugmentConfig
    from skelapp.training.data import BucketBatchSampler, ClipDataset
    from skelapp.training.datasets import load_dataset, split_indices
    from skelapp.training.train import TrainConfig

    recipe = TrainConfig()
    clips = load_dataset(dataset, data, cache_dir, FeatureConfig(**recipe.features), progress=False)
    train_idx, _ = split_indices(clips, None)
    ds = ClipDataset(clips, train_idx, AugmentConfig(**recipe.augment))
    raw = ds.lengths()
    served = ds.plan_epoch([0, 0])

    def ratio(key: np.ndarray, batching: str) -> float:
        sampler = BucketBatchSampler(key, recipe.batch_size, seed=0, jitter=BATCHINGS[batching])
        return round(float(sum(len(b) * served[b].max() for b in sampler) / served.sum()), 3)

    return {"raw": ratio(raw, "raw"), "augmented": ratio(served, "augmented")}


def main(argv: list[str] | None = None) -> int:
    from skelapp.training.cli import json_object

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None)
    p.add_argument("--dataset", default="nw-ucla")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--configs", nargs="+", default=["fp32:raw", "bf16:raw", "bf16:augmented"],
                   metavar="PRECISION:BATCHING")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--stream", default="joint")
    p.add_argument("--model", type=json_object, default="{}",
                   help="JSON ModelConfig overrides (default: the shipped one)")
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    from skelapp.core.data_dir import find_data_dir
    from skelapp.training.train import TrainConfig, pick_device, train

    data = a.data or find_data_dir()
    if data is None:
        print("no real data: give --data DIR (or set SKELAPP_DATA)", file=sys.stderr)
        return 2
    device = pick_device("auto")
    result: dict = {"machine": platform.processor() or platform.machine(), "device": str(device),
                    "threads": a.threads, "dataset": a.dataset, "stream": a.stream,
                    "padding": padding(a.dataset, str(data), a.cache_dir), "configs": {}}
    for name in a.configs:
        precision, _, batching = name.partition(":")
        with tempfile.TemporaryDirectory() as out:
            cfg = TrainConfig(dataset=a.dataset, data=str(data), out=out, epochs=a.epochs, threads=a.threads,
                              cache_dir=a.cache_dir, precision=precision, batching=batching or "raw",
                              model={**a.model, "stream": a.stream})
            res = train(cfg, progress=False, log_epochs=False)
        seconds = [h["seconds"] for h in res["history"]]
        per_epoch = float(np.mean(seconds))
        result["configs"][name] = {
            "seconds_per_epoch": round(per_epoch, 1), "resolved": res["meta"]["precision"],
            "default_pair_100_epochs_min": round(100 * per_epoch / 60, 1),
            # the process's peak so far: only the first config's figure is its own
            "peak_rss_mb": res["history"][-1]["peak_rss_mb"]}
    if a.json:
        print(json.dumps(result))
    else:
        pad = result["padding"]
        print(f"{a.dataset} {a.stream} stream, {a.threads} thread(s) on {device}; padded/real frames: "
              f"raw batching {pad['raw']}, augmented batching {pad['augmented']}")
        for name, r in result["configs"].items():
            print(f"  {name:15s} ({r['resolved']}): {r['seconds_per_epoch']:6.1f} s/epoch -> default pair "
                  f"(100 epochs, two streams side by side): ~{r['default_pair_100_epochs_min']:.0f} min; "
                  f"process peak memory so far {r['peak_rss_mb']} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
