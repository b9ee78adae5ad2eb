"""Training speed of the shipped recipe on a real dataset, per precision and batching, on this machine.

For each ``PRECISION:BATCHING`` in ``--configs`` this trains ``--side-by-side`` streams at once
(separate processes, seeds 0, 1, ..., ``--threads`` CPU threads each, or the GPU when there is
one) for ``--epochs`` epochs with the recipe of ``scripts/train_default.sh`` (co-trained with
``--cotrain``, the body-part readout, whole training split) and prints the mean seconds per
epoch per stream and the projected time of the bundled model's fine-tunes (its masked pretraining
comes on top): the script fine-tunes its four streams (joint + bone, seeds 0 and 1) two side by
side, one thread each, for 50 epochs without dropout, so the projection is
``ceil(4 / side-by-side) x 50 x`` the epoch time measured side by side (which includes their
contention for memory and cache; one stream alone runs faster). It also prints
the padding of one epoch's batches of ``--dataset``'s own training clips (padded frames / real
frames; the co-trained clips are left out of this figure) for both batchings, and the
peak resident memory of each training process (``--side-by-side 1`` trains in this process, so
there the figure is cumulative: only the first config's is its own).

    python benchmarks/train_speed.py [--data DIR] [--dataset nw-ucla] [--epochs 2] [--threads 1]
                                     [--side-by-side 2] [--cotrain [NAME ...]]
                                     [--configs fp32:raw bf16:raw bf16:augmented] [--model JSON]
                                     [--features JSON] [--json]

Data: ``--data``, else ``$SKELAPP_DATA`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

SHIPPED_MODEL = {"readout": "parts", "dropout": 0.0}  # scripts/train_default.sh's MODEL with its DROPOUT
DEFAULT_EPOCHS = 50  # scripts/train_default.sh's EPOCHS (fine-tune epochs per stream)
DEFAULT_STREAMS = 4  # scripts/train_default.sh: joint + bone, seeds 0 and 1


def train_side_by_side(cfgs: list, n: int) -> list[dict]:
    """``train`` each config, *n* at a time in separate processes (in this one if *n* is 1)."""
    from skelapp.training.train import train

    if n == 1:
        return [train(c, progress=False, log_epochs=False) for c in cfgs]
    with ProcessPoolExecutor(n, mp_context=get_context("spawn")) as pool:
        jobs = [pool.submit(train, c, progress=False, log_epochs=False) for c in cfgs]
        return [j.result() for j in jobs]


def padding(dataset: str, data: str, cache_dir: str, features: dict) -> dict:
    """Padded / real frames of one epoch's batches (default recipe): planned (augmented) lengths
    vs raw lengths."""
    from skelapp.core.normalize import FeatureConfig
    from skelapp.training.augment import BATCHINGS, AugmentConfig
    from skelapp.training.data import BucketBatchSampler, ClipDataset
    from skelapp.training.datasets import load_dataset
    from skelapp.training.splits import split_indices
    from skelapp.training.train import TrainConfig

    recipe = TrainConfig()
    clips = load_dataset(dataset, data, cache_dir, FeatureConfig(**features), progress=False)
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
    p.add_argument("--side-by-side", type=int, default=2, metavar="N",
                   help="streams trained at once, as the default script does (default 2; 1: in this process)")
    p.add_argument("--cotrain", nargs="*", default=["msr-action3d"],
                   help="datasets co-trained, as the script does (default msr-action3d; no names: none)")
    p.add_argument("--model", type=json_object, default=json.dumps(SHIPPED_MODEL),
                   help=f"JSON ModelConfig overrides (default: the script's {json.dumps(SHIPPED_MODEL)})")
    p.add_argument("--features", type=json_object, default=None,
                   help="JSON FeatureConfig (default: the recipe's TrainConfig().features), e.g. another fps")
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    if a.side_by_side < 1:
        p.error("--side-by-side takes a whole number >= 1")
    from skelapp.core.data_dir import find_data_dir
    from skelapp.training.train import TrainConfig, pick_device

    data = a.data or find_data_dir()
    if data is None:
        print("no real data: give --data DIR (or set SKELAPP_DATA)", file=sys.stderr)
        return 2
    device = pick_device("auto")
    features = a.features if a.features is not None else TrainConfig().features
    result: dict = {"machine": platform.processor() or platform.machine(), "device": str(device),
                    "threads": a.threads, "dataset": a.dataset, "stream": a.stream,
                    "features": features, "model": a.model,
                    "padding": padding(a.dataset, str(data), a.cache_dir, features), "configs": {}}
    result["side_by_side"], result["cotrain"] = a.side_by_side, a.cotrain
    rounds = math.ceil(DEFAULT_STREAMS / a.side_by_side)
    for name in a.configs:
        precision, _, batching = name.partition(":")
        with tempfile.TemporaryDirectory() as out:
            cfgs = [TrainConfig(dataset=a.dataset, data=str(data), out=f"{out}/s{seed}", epochs=a.epochs,
                                threads=a.threads, cache_dir=a.cache_dir, precision=precision,
                                batching=batching or "raw", cotrain=list(a.cotrain), seed=seed,
                                features=features, model={**a.model, "stream": a.stream})
                    for seed in range(a.side_by_side)]
            results = train_side_by_side(cfgs, a.side_by_side)
        per_epoch = float(np.mean([h["seconds"] for res in results for h in res["history"]]))
        result["configs"][name] = {
            "seconds_per_epoch": round(per_epoch, 1), "resolved": results[0]["meta"]["precision"],
            "fps": results[0]["meta"]["feature_config"]["fps"],
            "default_model_fine_tunes_min": round(rounds * DEFAULT_EPOCHS * per_epoch / 60, 1),
            "peak_rss_mb": [res["history"][-1]["peak_rss_mb"] for res in results]}
    if a.json:
        print(json.dumps(result))
    else:
        pad = result["padding"]
        cot = "+".join(a.cotrain) or "none"
        print(f"{a.dataset} {a.stream} stream (co-trained: {cot}; features {json.dumps(features)}; model "
              f"{json.dumps(a.model)}), {a.side_by_side} side by side, "
              f"{a.threads} thread(s) each on {device}; padded/real frames of {a.dataset}'s clips: "
              f"raw batching {pad['raw']}, augmented batching {pad['augmented']}")
        for name, r in result["configs"].items():
            print(f"  {name:15s} ({r['resolved']}): {r['seconds_per_epoch']:6.1f} s/epoch per stream -> "
                  f"default model's fine-tunes ({DEFAULT_STREAMS} streams, {DEFAULT_EPOCHS} epochs, "
                  f"{a.side_by_side} at a time): "
                  f"~{r['default_model_fine_tunes_min']:.0f} min; peak memory per process "
                  f"{r['peak_rss_mb']} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
