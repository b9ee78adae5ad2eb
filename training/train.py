"""Training loop: resumable per-epoch checkpoints, CPU/CUDA, DDP under torchrun."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader

from skelapp.core.errors import SkelappError
from skelapp.core.normalize import FeatureConfig
from skelapp.core.recognizer import ModelError

from .augment import BATCHINGS, AugmentConfig
from .checkpoints import init_from, load_teacher, read_checkpoint, test_splits_seen
from .choices import COTRAIN_SPLITS, MASK_TARGETS, MIXES, OBJECTIVES, SELF_SUPERVISED
from .copies import training_copies
from .data import BucketBatchSampler, ClipDataset, pad_collate
from .datasets import ClipSet, DatasetError, load_dataset, load_missing_list, with_cotraining
from .holdout import training_split
from .label_fixes import fix_training_labels, load_label_fixes
from .losses import (
    LanguageSupervision,
    MaskedReconstruction,
    MotionForecast,
    NeighbourContrast,
)
from .metrics import score, unseen_score
from .model import CausalSTGCN, ModelConfig
from .objective import Objective
from .optim import (
    init_anchors,
    layer_lr_scales,
    lr_schedule,
    make_optimizer,
    weight_average,
)
from .precision import resolve_precision
from .splits import protocol_clips, split_indices
from .step import TrainingStep
from .text import class_text_embeddings, description_file


@dataclass
class TrainConfig:
    dataset: str = "nw-ucla"
    data: str = ""
    out: str = "runs/default"
    protocol: str | None = None
    epochs: int = 50
    batch_size: int = 16
    optimizer: str = "adamw"  # adamw | sgd (momentum 0.9, Nesterov; see make_optimizer)
    lr: float = 4e-3
    weight_decay: float = 0.05
    # whether weight decay also pulls on 0- and 1-dimensional parameters (norm scales and shifts,
    # biases, LST's log temperature); False gives those a group of their own without it
    decay_1d: bool = True
    # layer-wise learning-rate decay (for fine-tuning from a pretraining, ``init``): the last block
    # gets lr * layer_decay, each block below it one more factor, the input BatchNorm the deepest;
    # the classifier and the losses' own parameters keep lr. 1.0 = one learning rate for all
    layer_decay: float = 1.0
    # epochs at the start during which the backbone (input BatchNorm, blocks) does not learn, only the
    # classifier and the losses' heads (LP-FT: a head first, then everything; for fine-tuning from
    # ``init``): its gradients are dropped, so they neither count in the gradient-norm clip nor fill
    # its Adam moments; it then joins with its own ``warmup_epochs`` warm-up. 0 = off
    freeze_epochs: int = 0
    # fine-tuning from ``init``: weight decay pulls the backbone's weights toward their values there
    # (L2-SP, decoupled like AdamW's) instead of toward zero; the classifier still decays to zero
    decay_to_init: bool = False
    warmup_epochs: int = 2
    seed: int = 0
    loss: str = "early"  # early | full
    prefix_power: float = 1.0  # early loss: frame weight ((t + 1) / L) ** prefix_power (see prefix_weights)
    lst: bool = True
    lst_weight: float = 0.5
    label_smoothing: float = 0.0  # of the classification loss (not of LST)
    val_fraction: float = 0.0  # held out of the train split to watch/choose (0 = train on all of it)
    device: str = "auto"
    cache_dir: str = "runs/cache"
    threads: int = 0  # torch CPU threads; 0 = leave default
    precision: str = "auto"  # auto | bf16 | fp32 (see resolve_precision)
    batching: str = "raw"  # batches of similar "raw" clip length, or this epoch's "augmented" length
    model: dict = field(default_factory=dict)  # ModelConfig overrides
    augment: dict = field(default_factory=dict)  # AugmentConfig overrides
    # FeatureConfig overrides; facing normalisation helps across camera views
    features: dict = field(default_factory=lambda: {"facing": True})
    select: str = "last"  # weights reported in result.json: "last" epoch or "val" (best on validation)
    ntu_missing: str | None = None  # NTU missing-skeleton list: None = bundled, a file, or "none"
    # known label errors corrected in the training split (see label_fixes.py): None = bundled, a
    # file, or "none"
    label_fixes: str | None = None
    init: str = ""  # checkpoint to start from (e.g. another dataset's run); its classifier is dropped
    # knowledge distillation: checkpoints of a teacher (one model, or the streams of an ensemble)
    # trained on the same dataset, protocol, classes and input features
    teacher: list[str] = field(default_factory=list)
    distill_weight: float = 1.0
    distill_temperature: float = 2.0
    # exponential moving average of the weights (and BatchNorm statistics), time constant in epochs;
    # 0 = off. With it, checkpoints' "model" (what is evaluated and exported) is the average
    ema_epochs: float = 0.0
    # co-training: other datasets (read from the same ``data`` root) whose standard training split
    # joins this run's training clips, under their own class names after this dataset's. They share
    # the network and the loss; checkpoints' metadata and everything that loads them (evaluation,
    # export) keep this dataset's classes only (see load_checkpoint)
    cotrain: list[str] = field(default_factory=list)
    # which clips of the co-trained datasets: "train" (their standard training split) or "all" (their
    # test split too). After "all", this run's weights have seen those test clips: the checkpoint
    # records them (``meta["test_splits_seen"]``, inherited through ``init``), and no run on those
    # datasets may start from it (a teacher shares its student's dataset, so it never co-trained with it)
    cotrain_split: str = "train"
    # batch mixing (see mixing.py): "none", "parts" (body-part CutMix) or "mixup"; per-batch
    # probability, and mixup's Beta(alpha, alpha)
    mix: str = "none"
    mix_prob: float = 0.5
    mix_alpha: float = 0.2
    # weight of the motion-forecast loss (training only; see losses.MotionForecast); 0 = off
    forecast_weight: float = 0.0
    # "classify" (labels: the early-prediction or full-clip loss, LST), or self-supervised (no labels
    # read, no test score; another run starts from the checkpoint with ``init``): "masked" pretraining
    # that rebuilds hidden joints (losses.MaskedReconstruction), or "contrastive" tuning of a
    # pretraining, usually given as ``init`` (losses.NeighbourContrast; the input BatchNorm and the
    # first half of the blocks stay as they start)
    objective: str = "classify"
    mask_ratio: float = 0.5  # masked, contrastive: the fraction of (joint, mask_span frames) pieces hidden
    mask_span: int = 4
    # masked: which input channels the decoder rebuilds: "all", or "motion" (the velocity channels only)
    mask_target: str = "all"
    mask_decoder: int = 0  # masked: causal ST blocks before the reconstruction head (0 = the head alone)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _dist() -> tuple[int, int, int]:
    """(rank, world size, local rank); initialises torch.distributed when WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0"))


@torch.no_grad()
def predict_clips(model: CausalSTGCN, feats: list[np.ndarray], device: torch.device,
                  batch: int = 64) -> list[np.ndarray]:
    """Per-frame logits ``(T, K)`` of each clip (offline, fresh state), in input order."""
    model.eval()
    order = np.argsort([len(f) for f in feats])
    out: list[np.ndarray] = [np.empty(0)] * len(feats)
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        x, mask, _ = pad_collate([(torch.from_numpy(feats[i]), 0) for i in idx])
        logits = model.forward_offline(x.to(device))[0].cpu().numpy()
        for b, i in enumerate(idx):
            out[i] = logits[b, : len(feats[i])]
    return out


class SettingsError(SkelappError, ValueError):
    """A ``--model`` / ``--augment`` / ``--features`` override that is unknown or invalid."""


@contextmanager
def typed_settings(name: str, overrides: dict) -> Iterator[None]:
    """Turn the TypeError / ValueError of building from user-typed JSON *overrides* into a
    SettingsError naming them (one line on the CLI instead of a traceback)."""
    try:
        yield
    except (TypeError, ValueError) as e:
        raise SettingsError(f"{name} settings {json.dumps(overrides)}: {e}") from e


def build(cfg: TrainConfig, clips: ClipSet) -> CausalSTGCN:
    """The network of ``cfg.model`` (ModelConfig overrides) for *clips*."""
    with typed_settings("model", cfg.model):
        mc = ModelConfig(num_classes=len(clips.labels), in_channels=clips.feature_config.channels,
                         **{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.model.items()})
        return CausalSTGCN(mc)


@dataclass
class RunData:
    """A run's clips as its network sees them: the protocol applied, training labels fixed, co-trained
    datasets' training clips appended (under their own classes, after this dataset's)."""

    clips: ClipSet
    labels: list[str]  # this dataset's classes: what checkpoints and results report
    label_sets: list[tuple[str, list[str]]]  # each trained dataset and its classes, in classifier order
    train_idx: np.ndarray
    val_idx: np.ndarray
    test_idx: np.ndarray
    relabelled: list  # training clips whose labels were corrected
    features: FeatureConfig


def run_data(cfg: TrainConfig, progress: bool = True, rank: int = 0, world: int = 1) -> RunData:
    """The clips of *cfg*'s dataset, protocol, label fixes, hold-out and co-training (under DDP, rank 0
    builds the cache first)."""
    with typed_settings("feature", cfg.features):
        fcfg = FeatureConfig(**cfg.features)
    if world > 1 and rank > 0:
        torch.distributed.barrier()  # rank 0 builds the cache first
    clips = load_dataset(cfg.dataset, cfg.data, cfg.cache_dir, fcfg, progress=progress,
                         ntu_missing=load_missing_list(cfg.ntu_missing))
    if world > 1 and rank == 0:
        torch.distributed.barrier()
    clips = protocol_clips(clips, cfg.protocol)
    train_idx, test_idx = split_indices(clips, cfg.protocol)
    clips, relabelled, train_idx, val_idx = training_split(clips, train_idx, cfg.label_fixes,
                                                           cfg.val_fraction, cfg.seed)
    labels = clips.labels
    label_sets = [(cfg.dataset, labels)]
    for name in cfg.cotrain:
        other = load_dataset(name, cfg.data, cfg.cache_dir, fcfg, progress=progress)
        other = protocol_clips(other)  # its standard protocol: train on its standard training split
        other_train = split_indices(other)[0]
        if cfg.cotrain_split == "all":  # its test split too (recorded: meta["test_splits_seen"])
            other_train = np.sort(np.concatenate(split_indices(other)))
        other, fixed = fix_training_labels(other, other_train, load_label_fixes(cfg.label_fixes))
        relabelled = relabelled + fixed  # co-trained clips are training clips too
        train_idx = np.concatenate([train_idx, len(clips) + np.arange(len(other_train))])
        clips = with_cotraining(clips, other, other_train)
        label_sets.append((name, other.labels))
    return RunData(clips, labels, label_sets, train_idx, val_idx, test_idx, relabelled, fcfg)


def training_batches(cfg: TrainConfig, data: RunData, aug: AugmentConfig, rank: int = 0,
                     world: int = 1) -> tuple[ClipDataset, BucketBatchSampler, DataLoader]:
    """*data*'s training clips, augmented by *aug*, in batches of similar length (this DDP rank's
    share); call :func:`start_epoch` before each epoch."""
    ds = ClipDataset(data.clips, data.train_idx, aug, seed=cfg.seed + 1000 * rank)
    sampler = BucketBatchSampler(ds.lengths(), cfg.batch_size, True, cfg.seed, rank, world,
                                 jitter=BATCHINGS[cfg.batching])
    return ds, sampler, DataLoader(ds, batch_sampler=sampler, collate_fn=pad_collate)


def start_epoch(cfg: TrainConfig, ds: ClipDataset, sampler: BucketBatchSampler, epoch: int,
                rank: int = 0) -> None:
    """Draw *epoch*'s augmentation and batches (from the seed and epoch alone, so a resumed run
    draws what an uninterrupted one would)."""
    ds.rng = np.random.default_rng([cfg.seed, rank, epoch])
    sampler.set_epoch(epoch, ds.plan_epoch([cfg.seed, epoch]) if cfg.batching == "augmented" else None)


def score_test_split(model: CausalSTGCN, data: RunData, device: torch.device) -> dict:
    """*model*'s score on *data*'s test split (top-1, early curve, and without the test clips that
    copy training clips, where there are any); drops co-trained classes from *model*."""
    model.keep_classes(len(data.labels))
    logits = predict_clips(model, [data.clips.features[i] for i in data.test_idx], device)
    s = score(logits, data.clips.targets[data.test_idx])
    copies = training_copies(data.clips, data.train_idx, data.test_idx)
    unseen = unseen_score(logits, data.clips.targets[data.test_idx], copies, data.labels)
    if unseen is not None:
        s["unseen"] = unseen
    return s


def uses_lst(cfg: TrainConfig) -> bool:
    """Whether the run learns from class descriptions (LST): asked for, and labels read (a
    self-supervised pretraining reads none, so no class texts either)."""
    return cfg.lst and cfg.objective not in SELF_SUPERVISED


def check_settings(cfg: TrainConfig) -> list[str]:
    """Fail on settings that cannot train together, before anything is read or written; returns the
    datasets whose test clips the run's weights will have trained on (``meta["test_splits_seen"]``:
    its co-training with split "all", and its ``init``'s)."""
    if cfg.dataset in cfg.cotrain or len(set(cfg.cotrain)) < len(cfg.cotrain):
        raise DatasetError(f"co-train with other datasets, each once: {cfg.dataset} with {cfg.cotrain}")
    if cfg.objective not in OBJECTIVES:
        raise SettingsError(f"unknown objective {cfg.objective!r}; use one of {', '.join(OBJECTIVES)}")
    if cfg.decay_to_init and not cfg.init:
        raise SettingsError("decay_to_init pulls the weights toward where --init started them; give --init")
    if cfg.objective in SELF_SUPERVISED:
        labelled = {"a teacher": bool(cfg.teacher), "batch mixing": cfg.mix != "none",
                    "the forecast loss": cfg.forecast_weight > 0,
                    "a validation hold-out": cfg.val_fraction > 0}
        if any(labelled.values()):
            raise SettingsError(f"the {cfg.objective} objective (self-supervised) reads no labels and scores "
                                "nothing; it does not combine with "
                                + ", ".join(k for k, v in labelled.items() if v))
    if cfg.objective == "masked" and cfg.mask_target not in MASK_TARGETS:
        raise SettingsError(f"unknown mask target {cfg.mask_target!r}; use one of {', '.join(MASK_TARGETS)}")
    if uses_lst(cfg):  # each trained dataset's classes need their descriptions
        for name in (cfg.dataset, *cfg.cotrain):
            desc = description_file(name)
            if not desc.exists():
                raise DatasetError(f"language supervision needs class descriptions {desc}, which do not "
                                   f"exist for {name}; add that file or train with --no-lst")
    if cfg.mix not in MIXES or not 0.0 <= cfg.mix_prob <= 1.0 or cfg.mix_alpha <= 0:
        raise SettingsError(f"mix {cfg.mix!r} (one of {', '.join(MIXES)}), probability {cfg.mix_prob} "
                            f"(0 to 1), alpha {cfg.mix_alpha} (> 0): out of range")
    if cfg.batching not in BATCHINGS:
        raise ValueError(f"unknown batching {cfg.batching!r}; use one of {', '.join(BATCHINGS)}")
    if cfg.cotrain_split not in COTRAIN_SPLITS:
        raise SettingsError(f"unknown co-training split {cfg.cotrain_split!r}; use one of "
                            f"{', '.join(COTRAIN_SPLITS)}")
    for role, path in [("--init", cfg.init)] * bool(cfg.init) + [("--teacher", t) for t in cfg.teacher]:
        if not Path(path).is_file():
            raise SettingsError(f"{role} {path}: no such checkpoint file")
    inherited = test_splits_seen(cfg.init)
    if cfg.dataset in inherited:
        raise SettingsError(f"--init {cfg.init} was trained on {cfg.dataset}'s test split (co-trained with "
                            f"it, split 'all': it saw {', '.join(inherited)}); a {cfg.dataset} run cannot "
                            "start from it without scoring clips it learned from")
    return sorted(set(cfg.cotrain if cfg.cotrain_split == "all" else []) | set(inherited))


def loss_heads(cfg: TrainConfig, model: CausalSTGCN, data: RunData,
               device: torch.device) -> tuple[dict[str, torch.nn.Module | None], list[torch.nn.Module]]:
    """The losses' own modules, trained beside *model* and saved and resumed under these names (None
    where a loss is off): ``lst``, ``forecast``, ``masked``, ``contrast``; and the parts of *model* the
    objective keeps frozen (contrastive tuning: the input BatchNorm and the first half of the blocks,
    their gradients switched off here). A self-supervised objective leaves the classifier as
    initialised (no gradient reaches it)."""
    fcfg = data.features
    lst = forecast = masked = contrast = None
    if uses_lst(cfg):
        emb = np.concatenate([class_text_embeddings(description_file(name), names, cfg.cache_dir)
                              for name, names in data.label_sets])
        lst = LanguageSupervision(model.feature_dim, torch.from_numpy(emb)).to(device)
    if cfg.forecast_weight > 0:
        if fcfg.velocity_channels is None:
            raise SettingsError("the motion-forecast loss predicts the velocity channels; it needs "
                                "features with velocity")
        forecast = MotionForecast(model.feature_dim, fcfg.velocity_channels).to(device)
    if cfg.objective == "masked":
        if cfg.mask_target == "motion" and fcfg.velocity_channels is None:
            raise SettingsError("the masked motion target rebuilds the velocity channels; it needs features "
                                "with velocity")
        target = fcfg.velocity_channels if cfg.mask_target == "motion" else None
        masked = MaskedReconstruction(model.feature_dim, fcfg.channels, cfg.mask_ratio, cfg.mask_span,
                                      target, cfg.mask_decoder, model.config.kernel).to(device)
    frozen: list[torch.nn.Module] = []
    if cfg.objective == "contrastive":
        contrast = NeighbourContrast(model.feature_dim, cfg.mask_ratio, cfg.mask_span).to(device)
        frozen = [model.data_bn, *model.blocks[: len(model.blocks) // 2]]  # STARS tunes the rest only
        for p in (p for m in frozen for p in m.parameters()):
            p.requires_grad_(False)
    return {"lst": lst, "forecast": forecast, "masked": masked, "contrast": contrast}, frozen


def restore(path: Path, device: torch.device, model: CausalSTGCN, ema: AveragedModel | None,
            opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler,
            heads: dict[str, torch.nn.Module | None]) -> tuple[int, list[dict], float]:
    """Load an interrupted run's ``last.pt`` (*path*) into its network, weight average, optimizer,
    schedule, loss heads and random state; returns (next epoch, history, best metric)."""
    ck = read_checkpoint(path, device)
    if (ema is None) != (ck.get("ema_n") is None):
        raise ModelError(f"{path} was written {'with' if ema is None else 'without'} a weight "
                         f"average (--ema-epochs); resume with the run's own settings")
    model.load_state_dict(ck.get("trained_model", ck["model"]))
    if ema is not None:
        ema.module.load_state_dict(ck["model"])
        ema.n_averaged.copy_(ck["ema_n"])
    opt.load_state_dict(ck["optimizer"])
    sched.load_state_dict(ck["scheduler"])
    for name, head in heads.items():
        if head is not None and ck.get(name):
            head.load_state_dict(ck[name])
    if ck.get("torch_rng") is not None:  # dropout continues as if never interrupted
        torch.set_rng_state(ck["torch_rng"].cpu())  # map_location put it on the device
    if device.type == "cuda" and ck.get("cuda_rng") is not None:  # dropout draws on the GPU
        torch.cuda.set_rng_state(ck["cuda_rng"].cpu(), device)
    return ck["epoch"] + 1, ck["history"], ck["best"]


def validation_metric(scored: CausalSTGCN, data: RunData, device: torch.device, epoch: int,
                      rec: dict) -> float:
    """The metric that picks ``best.pt`` after *epoch*: validation top-1 plus half the top-1 at 40 %
    observed (both added to the epoch's record *rec*), or the epoch itself when nothing is held out
    (the latest epoch is then the best)."""
    if not len(data.val_idx):
        return float(epoch)
    logits = [lg[:, : len(data.labels)]
              for lg in predict_clips(scored, [data.clips.features[i] for i in data.val_idx], device)]
    s = score(logits, data.clips.targets[data.val_idx])
    rec.update(val_top1=s["top1"], val_early40=s["early"]["0.4"])
    return s["top1"] + 0.5 * s["early"]["0.4"]


def save_epoch(out: Path, state: dict, is_best: bool) -> None:
    """Write an epoch's checkpoints: ``best.pt`` (weights only) when *is_best*, the resumable
    ``last.pt`` through a temporary file (an interrupted write keeps the previous one), and
    ``history.json``."""
    if is_best:
        torch.save({"model": state["model"], "meta": state["meta"], "epoch": state["epoch"]}, out / "best.pt")
    tmp = out / "last.pt.tmp"
    torch.save(state, tmp)
    tmp.replace(out / "last.pt")
    (out / "history.json").write_text(json.dumps(state["history"], indent=1))


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, log_epochs: bool = True) -> dict:
    """Train per *cfg*; writes ``last.pt``, ``best.pt`` (by validation), ``history.json`` and
    ``result.json`` (test split, best-on-validation weights) in ``cfg.out``. ``progress``: bars;
    ``log_epochs``: one JSON line per epoch on stdout (the record also goes to ``history.json``)."""
    test_splits = check_settings(cfg)
    self_supervised = cfg.objective in SELF_SUPERVISED
    use_lst = uses_lst(cfg)
    rank, world, local = _dist()
    device = pick_device(cfg.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    limit_onednn_cache()
    precision = resolve_precision(cfg.precision, device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    data = run_data(cfg, progress and rank == 0, rank, world)
    fcfg, clips, labels = data.features, data.clips, data.labels
    train_idx, val_idx, test_idx, relabelled = data.train_idx, data.val_idx, data.test_idx, data.relabelled
    if relabelled and rank == 0 and progress:
        print(f"corrected the labels of {len(relabelled)} training clips ({cfg.label_fixes or 'bundled'} "
              f"label fixes), e.g. {relabelled[0]}")
    ckpt_path = out / "last.pt"
    model = build(cfg, clips).to(device)
    if cfg.init and not (resume and ckpt_path.exists()):
        kept = init_from(model, cfg.init)
        if rank == 0 and progress:
            print(f"initialised {kept} tensors from {cfg.init}")
    teacher = load_teacher(cfg, clips).to(device) if cfg.teacher else None
    heads, frozen = loss_heads(cfg, model, data, device)
    trained = [model, *(m for m in heads.values() if m is not None)]
    params = [p for m in trained for p in m.parameters() if p.requires_grad]
    anchors = init_anchors(model, cfg.init) if cfg.decay_to_init else {}
    opt = make_optimizer(cfg, params, layer_lr_scales(model, cfg.layer_decay), anchors.keys())
    with typed_settings("augment", cfg.augment):
        aug = AugmentConfig(**cfg.augment)
    ds, sampler, loader = training_batches(cfg, data, aug, rank, world)
    frozen_steps = cfg.freeze_epochs * len(sampler)
    sched = lr_schedule(opt, cfg.epochs * len(sampler), cfg.warmup_epochs * len(sampler), frozen_steps)
    backbone_params = [p for g in opt.param_groups if g.get("backbone") for p in g["params"]]
    ema = weight_average(model, cfg.ema_epochs, len(sampler))
    scored = ema.module if ema is not None else model  # the weights that are evaluated and saved
    start, history, best = 0, [], -1.0
    if resume and ckpt_path.exists():
        start, history, best = restore(ckpt_path, device, model, ema, opt, sched, heads)
        if rank == 0:
            print(f"resumed from {ckpt_path} at epoch {start}")
    objective = Objective(model, heads["lst"], cfg.loss, cfg.lst_weight, cfg.label_smoothing,
                          cfg.distill_weight, cfg.distill_temperature, cfg.prefix_power, heads["forecast"],
                          cfg.forecast_weight, heads["masked"], heads["contrast"], frozen)
    net: torch.nn.Module = objective
    if world > 1:
        ids = [local] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(objective, device_ids=ids,
                                                        find_unused_parameters=self_supervised)
    meta = {"train_config": {**asdict(cfg), "lst": use_lst},  # what ran: pretraining reads no class texts
            "model_config": model.config.to_dict(), "labels": labels, "feature_config": fcfg.to_dict(),
            "augment": aug.to_dict(), "dataset": cfg.dataset,
            "split": {"train": len(train_idx), "val": len(val_idx), "test": len(test_idx)},
            "precision": precision, "objective": cfg.objective}
    if cfg.cotrain:  # the classifier's rows after this dataset's (dropped by load_checkpoint)
        meta["cotrain_labels"] = clips.labels[len(labels):]
    meta["test_splits_seen"] = test_splits
    (out / "config.json").write_text(json.dumps(meta, indent=1))
    step = TrainingStep(net, model, opt, sched, params, device, precision, backbone_params, frozen_steps,
                        anchors, cfg.weight_decay, ema, teacher, cfg.mix, cfg.mix_prob, cfg.mix_alpha)
    for epoch in range(start, cfg.epochs):
        start_epoch(cfg, ds, sampler, epoch, rank)
        mix_rng = np.random.default_rng([cfg.seed, rank, epoch, 52])  # per epoch: resumes alike
        t0 = time.time()
        loss = step.epoch(loader, mix_rng, f"epoch {epoch + 1}/{cfg.epochs}", progress and rank == 0)
        rec = {"epoch": epoch + 1, "loss": loss, "seconds": time.time() - t0,
               "lr": max(g["lr"] for g in opt.param_groups), "peak_rss_mb": peak_rss_mb()}
        if rank == 0:
            metric = validation_metric(scored, data, device, epoch, rec)
            history.append(rec)
            if log_epochs:
                print(json.dumps(rec))
            state = {"model": scored.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": sched.state_dict(),
                     **{name: None if head is None else head.state_dict() for name, head in heads.items()},
                     "epoch": epoch, "history": history, "best": max(best, metric), "meta": meta,
                     "torch_rng": torch.get_rng_state(),
                     "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}
            if ema is not None:
                state.update(trained_model=model.state_dict(), ema_n=ema.n_averaged.clone())
            save_epoch(out, state, metric > best)
            best = max(best, metric)
    result: dict = {}
    if rank == 0 and self_supervised:  # nothing to score: the classifier was never trained
        result = {"objective": cfg.objective, "epoch": cfg.epochs,
                  "final_loss": history[-1]["loss"] if history else None, "history": history, "meta": meta}
        (out / "result.json").write_text(json.dumps(result, indent=1))
    elif rank == 0:
        ck = read_checkpoint(out / ("best.pt" if cfg.select == "val" else "last.pt"), device)
        model.load_state_dict(ck["model"])
        result = {"test": score_test_split(model, data, device), "epoch": ck["epoch"] + 1,
                  "select": cfg.select, "history": history, "meta": meta,
                  "relabelled_training_clips": relabelled}
        (out / "result.json").write_text(json.dumps(result, indent=1))
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return result


def limit_onednn_cache(capacity: int = 8) -> None:
    """Cap oneDNN's cache of compiled CPU kernels (default 1024), unless the user set it. Clips of
    every length make new convolution shapes all through training, and each cached kernel keeps its
    memory: on NW-UCLA's dev protocol a stream's peak memory after 5 epochs is 3.9 GB with the default
    and 2.3 GB with 8, with the same speed and bit-identical training (model card, "Memory"). oneDNN reads the
    variable when it first builds a kernel, so this works only before the process's first one."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(capacity))


def peak_rss_mb() -> float | None:
    """The process's peak resident memory so far, in MiB (None where the OS does not report it)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 1024), 1)


