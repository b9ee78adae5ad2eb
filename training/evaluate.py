"""Evaluate an ONNX model (through ONNX Runtime) or a checkpoint on a dataset's test split."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skelapp.core.normalize import FeatureConfig
from skelapp.core.recognizer import ModelError

from .copies import training_copies
from .datasets import ClipSet, load_dataset
from .holdout import training_split
from .metrics import score, unseen_score
from .report import model_name, write_model_card
from .splits import protocol_clips, resolve_protocol, split_indices


@dataclass(frozen=True)
class OpenedModel:
    """A model file opened once: its skelapp metadata (the ONNX props, or the same keys built from a
    checkpoint) and ``logits(feats)``, the per-frame logits of each clip (whole clip, fresh state)."""

    meta: dict[str, str]
    logits: Callable[[list[np.ndarray]], list[np.ndarray]]


def open_model(path: str | Path) -> OpenedModel:
    """``.onnx`` through the app's :class:`StreamingRecognizer` (ONNX Runtime, CPU), else a torch
    checkpoint."""
    if str(path).endswith(".onnx"):
        from skelapp.core.recognizer import StreamingRecognizer

        rec = StreamingRecognizer(path, prefer_gpu=False, threads=0)  # 0: ORT's default thread count
        return OpenedModel(dict(rec.session.get_modelmeta().custom_metadata_map),
                           lambda feats: [rec.run_offline(f) for f in feats])
    import torch

    from .checkpoints import load_checkpoint
    from .model import count_parameters
    from .train import predict_clips

    model, meta = load_checkpoint(path)
    props = {"skelapp.labels": json.dumps(meta["labels"]), "skelapp.params": str(count_parameters(model)),
             "skelapp.streams": json.dumps([model.config.stream]), **_checkpoint_props(meta)}
    return OpenedModel(props, lambda feats: predict_clips(model, feats, torch.device("cpu")))


def _checkpoint_props(meta: dict) -> dict[str, str]:
    """The ONNX metadata props that a checkpoint's *meta* gives without loading its model."""
    return {"skelapp.feature_config": json.dumps(meta["feature_config"]),
            "skelapp.train_config": json.dumps(meta.get("train_config", {}))}


def per_frame_logits(path: str | Path, feats: list[np.ndarray]) -> tuple[list[np.ndarray], dict]:
    """Per-frame logits of each clip and the model's metadata (see :func:`open_model`)."""
    model = open_model(path)
    return model.logits(feats), model.meta


def model_metadata(path: str | Path) -> dict[str, str]:
    """A model's skelapp metadata: the ONNX file's props, or the same keys built from a checkpoint."""
    if str(path).endswith(".onnx"):
        return open_model(path).meta
    from .checkpoints import read_checkpoint  # a checkpoint's metadata without building its model

    return _checkpoint_props(read_checkpoint(path)["meta"])


def model_feature_config(path: str | Path, meta: dict[str, str] | None = None) -> FeatureConfig:
    """The feature configuration a model was trained with (ONNX metadata or checkpoint; *meta*: its
    :func:`model_metadata`, when already read)."""
    return FeatureConfig.from_dict(json.loads((meta or model_metadata(path))["skelapp.feature_config"]))


def training_holdout(path: str | Path, meta: dict[str, str] | None = None) -> dict:
    """The clips a model's training run held out for validation, as its run's ``protocol``,
    ``val_fraction``, ``seed`` and ``label_fixes`` (one ensemble's members must share them; *meta*:
    as for :func:`model_feature_config`)."""
    configs = json.loads((meta or model_metadata(path)).get("skelapp.train_config", "{}"))
    configs = [c for c in (configs if isinstance(configs, list) else [configs]) if c]
    if not configs:
        raise ModelError(f"{path}: records no training settings, so its validation hold-out is unknown; "
                         f"evaluate --split test")
    keys = ("protocol", "val_fraction", "seed", "label_fixes")
    holdouts = [{k: c.get(k) for k in keys} for c in configs]
    if any(h != holdouts[0] for h in holdouts):
        raise ModelError(f"{path}: its {len(configs)} members held out different validation clips "
                         f"(seeds {sorted({h['seed'] for h in holdouts})}, fractions "
                         f"{sorted({h['val_fraction'] for h in holdouts})}); evaluate them one by one")
    if not holdouts[0]["val_fraction"]:
        raise ModelError(f"{path}: was trained on the whole training split (--val-fraction 0), so it has "
                         f"no validation hold-out; evaluate --split test, or train with --val-fraction")
    return holdouts[0]


def confusion(per_frame: list[np.ndarray], targets: np.ndarray, k: int) -> np.ndarray:
    cm = np.zeros((k, k), int)
    for lg, y in zip(per_frame, targets, strict=True):
        cm[y, int(lg[-1].argmax())] += 1
    return cm


def evaluate(model_path: str | Path, dataset: str, data: str | Path, protocol: str | None = None,
             split: str = "test", cache_dir: str = "runs/cache", out: str | Path | None = None,
             clips: ClipSet | None = None, ntu_missing: set[str] | None = None,
             baseline: str | Path | None = None, opened: OpenedModel | None = None) -> dict:
    """Top-1, per-class accuracy, confusion matrix and early-prediction curve; with *out*, plots and
    ``model_card.md`` there. *ntu_missing*: NTU samples to leave out (``None``: the bundled
    missing-skeleton list). *baseline*: another model (e.g. trained on full clips only) whose
    top-1 and early curve are reported next to this one's. *opened*: *model_path* already opened."""
    model = opened or open_model(model_path)  # once: an ONNX Runtime session or a checkpoint load is not free
    meta = model.meta
    base = open_model(baseline) if baseline is not None else None  # its metadata and, below, its logits
    holdout = training_holdout(model_path, meta) if split == "val" else None
    if holdout is not None and base is not None and training_holdout(baseline, base.meta) != holdout:
        raise ModelError(f"{baseline}: its training run held out other validation clips than {model_path}'s "
                         f"(another seed, fraction, protocol or label fixes), so their curves would not "
                         f"be comparable; give a baseline trained with the same ones")
    clips = clips or load_dataset(dataset, data, cache_dir, model_feature_config(model_path, meta),
                                  progress=False, ntu_missing=ntu_missing)
    if holdout is not None:  # the clips its training run held out, labelled as that run saw them
        trained = resolve_protocol(clips, holdout["protocol"])
        if protocol is not None and resolve_protocol(clips, protocol) != trained:
            raise ModelError(f"{model_path}: was trained with protocol {trained!r}, so its validation "
                             f"hold-out is not part of {protocol!r}; evaluate --split val without --protocol")
        protocol = trained
    protocol = resolve_protocol(clips, protocol)
    clips = protocol_clips(clips, protocol)
    train_idx, test_idx = split_indices(clips, protocol)
    reference, idx = train_idx, test_idx
    if holdout is not None:
        clips, _, reference, idx = training_split(clips, train_idx, holdout["label_fixes"],
                                                  holdout["val_fraction"], holdout["seed"])
    feats = [clips.features[i] for i in idx]
    per_frame = model.logits(feats)
    labels = json.loads(meta["skelapp.labels"])
    if labels != clips.labels:
        raise ModelError(f"{model_path}: the model's {len(labels)} classes are not the {len(clips.labels)} "
                         f"classes of {dataset} / {protocol} ({', '.join(clips.labels[:3])}, ...)")
    targets = clips.targets[idx]
    res = score(per_frame, targets)
    cm = confusion(per_frame, targets, len(labels))
    per_class = {lab: float(cm[i, i] / max(cm[i].sum(), 1) * 100) for i, lab in enumerate(clips.labels)}
    res.update(dataset=dataset, protocol=protocol, split=split, clips=len(idx),
               per_class=per_class, confusion=cm.tolist(),
               params=int(meta.get("skelapp.params", 0)), model=str(model_path))
    unseen = unseen_score(per_frame, targets, training_copies(clips, reference, idx), labels)
    if unseen is not None:
        res["unseen"] = unseen
    if base is not None:
        same = model_feature_config(baseline, base.meta) == clips.feature_config
        b = evaluate(baseline, dataset, data, protocol, split, cache_dir, clips=clips if same else None,
                     ntu_missing=ntu_missing, opened=base)
        res["baseline"] = {"model": str(baseline), "top1": b["top1"], "early": b["early"]}
    if out is not None:
        plot(res, clips.labels, Path(out))
        write_model_card(res, meta, out)
    return res


def plot(res: dict, labels: list[str], out: Path) -> None:
    """``confusion.png`` and ``early.png`` under *out* (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    cm = np.array(res["confusion"], float)
    cmn = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1 + 0.5 * len(labels), 1 + 0.45 * len(labels)))
    ax.imshow(cmn, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if cmn[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{res['dataset']} {res['split']}: top-1 {res['top1']:.1f} %")
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    xs = [float(k) * 100 for k in res["early"]]
    ax.plot(xs, list(res["early"].values()), "o-", label=model_name(res["model"]))
    if "unseen" in res:
        unseen = res["unseen"]
        ax.plot(xs, list(unseen["early"].values()), "^:",
                label=f"without the {unseen['copies']} copies of training clips")
    if "baseline" in res:
        base = res["baseline"]
        ax.plot(xs, list(base["early"].values()), "s--", label=model_name(base["model"]))
    if "unseen" in res or "baseline" in res:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("observed part of the clip (%)")
    ax.set_ylabel("top-1 (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title("early prediction")
    fig.tight_layout()
    fig.savefig(out / "early.png", dpi=120)
    plt.close(fig)
