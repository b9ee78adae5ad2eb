"""Weight soups: one network whose weights are the mean of several fine-tunes of one pretraining.

Fine-tunes that start from the same pretrained weights may stay in one basin, where the average of
their weights works as one network (Wortsman et al., "Model soups", 2022): the cost of a single
stream instead of an ensemble's. BatchNorm statistics of averaged weights are not the average of
the members' statistics, so they are measured anew over the members' training clips, as SWA does.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from skelapp.core.recognizer import ModelError

from .augment import AugmentConfig
from .checkpoints import read_checkpoint
from .choices import SELF_SUPERVISED
from .model import CausalSTGCN, ModelConfig
from .train import (
    TrainConfig,
    pick_device,
    run_data,
    score_test_split,
    start_epoch,
    training_batches,
)

# what members must share: the same network reading the same clips (their seeds may differ)
SHARED_META = ("dataset", "model_config", "feature_config", "labels", "augment")
SHARED_TRAINING = ("protocol", "cotrain", "cotrain_split", "init", "label_fixes", "ntu_missing",
                   "val_fraction", "batch_size", "batching", "objective")


def check_members(paths: list[str], checkpoints: list[dict]) -> None:
    """A ModelError naming the first member that differs from the first in what a soup needs shared."""
    if len(paths) < 2:
        raise ModelError(f"a soup averages two or more fine-tunes, got {len(paths)}")
    first = checkpoints[0]["meta"]
    if first.get("objective") in SELF_SUPERVISED:
        raise ModelError(f"{paths[0]} is a self-supervised ({first['objective']}) checkpoint; soup the "
                         "fine-tunes started from it")
    if not first.get("train_config", {}).get("init"):
        raise ModelError(f"{paths[0]} was trained from random weights (no --init): a soup averages "
                         "fine-tunes that start from one pretraining; runs from different random starts "
                         "do not average")
    defaults = dataclasses.asdict(TrainConfig())
    for path, ck in zip(paths[1:], checkpoints[1:], strict=True):
        meta = ck["meta"]
        for key in SHARED_META:
            if meta.get(key) != first.get(key):
                raise ModelError(f"{path}: its {key} differs from {paths[0]}'s; soup members must share "
                                 f"{', '.join(SHARED_META)}")
        # a setting added after a member was trained reads as its default (what that member ran)
        ours, theirs = ({**defaults, **m.get("train_config", {})} for m in (meta, first))
        for key in SHARED_TRAINING:
            if ours.get(key) != theirs.get(key):
                raise ModelError(f"{path}: --{key.replace('_', '-')} {ours.get(key)!r} differs from "
                                 f"{paths[0]}'s {theirs.get(key)!r}; soup members are fine-tunes of one "
                                 "pretraining on the same clips")


def average_weights(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of every floating-point tensor; other tensors (counters) from the first."""
    return {k: torch.stack([s[k].float() for s in states]).mean(0).to(v.dtype) if v.is_floating_point()
            else v.clone() for k, v in states[0].items()}


@torch.no_grad()
def recompute_batch_norm(model: CausalSTGCN, loader: DataLoader, device: torch.device,
                         bf16: bool = False, progress: bool = False, seed: int = 0) -> int:
    """Replace every BatchNorm's running statistics by the cumulative mean over one pass of *loader*
    (train mode, as the statistics were gathered in training: dropout on, its draws from *seed*, the
    global generators left as they were); returns the batches read."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    n = 0
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        for x, mask, _ in tqdm(loader, desc="BatchNorm statistics", disable=not progress, leave=False):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                model.forward_offline(x.to(device), mask.to(device))
            n += 1
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    model.eval()
    return n


def soup(paths: list[str], data: str, out: str | Path, cache_dir: str = "runs/cache", device: str = "auto",
         progress: bool = True) -> dict:
    """Average the checkpoints *paths* (fine-tunes of one pretraining), measure BatchNorm statistics
    on their training clips (read from *data*), score the test split of their protocol; writes
    ``out/last.pt`` (loadable like a run's checkpoint) and ``out/result.json``; returns the result."""
    checkpoints = [read_checkpoint(p) for p in paths]
    check_members(paths, checkpoints)
    meta = checkpoints[0]["meta"]
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{**{k: v for k, v in meta["train_config"].items() if k in known},
                         "data": data, "cache_dir": cache_dir})
    dev = pick_device(device)
    model = CausalSTGCN(ModelConfig.from_dict(meta["model_config"])).to(dev)
    model.load_state_dict(average_weights([ck["model"] for ck in checkpoints]))
    run = run_data(cfg, progress)
    if len(run.clips.labels) != model.config.num_classes:
        raise ModelError(f"{paths[0]} predicts {model.config.num_classes} classes, its training clips "
                         f"under {data} have {len(run.clips.labels)}: not the data it was trained on")
    ds, sampler, loader = training_batches(cfg, run, AugmentConfig(**meta["augment"]))
    start_epoch(cfg, ds, sampler, 0)  # the first epoch's clips and batches
    batches = recompute_batch_norm(model, loader, dev, meta.get("precision") == "bf16", progress, cfg.seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    soup_meta = {**meta, "soup": {"members": [str(p) for p in paths], "batchnorm_batches": batches}}
    torch.save({"model": model.state_dict(), "meta": soup_meta, "epoch": checkpoints[0]["epoch"]},
               out / "last.pt")
    result = {"test": score_test_split(model, run, dev), "soup": soup_meta["soup"], "meta": soup_meta}
    (out / "result.json").write_text(json.dumps(result, indent=1))
    return result
