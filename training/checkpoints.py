"""Loading training checkpoints: a model for evaluation or export, an ensemble, a teacher, or the
weights another run starts from (``--init``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from skelapp.core.recognizer import ModelError

from .choices import SELF_SUPERVISED
from .datasets import ClipSet
from .model import CausalSTGCN, EnsembleSTGCN, ModelConfig
from .splits import resolve_protocol

if TYPE_CHECKING:
    from .train import TrainConfig


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """The saved dictionary of a training checkpoint (``last.pt``, ``best.pt``, a soup); a missing,
    unreadable or foreign file is a ModelError that names it."""
    try:
        ck = torch.load(path, map_location=map_location, weights_only=False)
    except FileNotFoundError:
        raise ModelError(f"checkpoint not found: {path}") from None
    except Exception as e:  # pickle, zip and torch each raise their own
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"{path}: not a readable training checkpoint ({first})") from None
    if not isinstance(ck, dict) or not {"model", "meta"} <= ck.keys():
        raise ModelError(f"{path}: not a skelapp training checkpoint (expected its 'model' and 'meta')")
    return ck


def init_from(model: CausalSTGCN, path: str | Path) -> int:
    """Copy the weights of checkpoint *path* whose names and shapes match *model* (transfer from
    another dataset: the classifier of a different class count is left as initialised)."""
    ck = read_checkpoint(path)
    src = ck["meta"]["model_config"]
    pretrained = ck["meta"].get("objective") in SELF_SUPERVISED  # its classifier is as initialised: skip it
    theirs = (src.get("stream", "joint"), src["in_channels"])
    ours = (model.config.stream, model.config.in_channels)
    if theirs != ours:
        raise ModelError(f"{path}: stream/input channels {theirs} differ from this model's {ours}")
    own = model.state_dict()
    take = {k: v for k, v in ck["model"].items()
            if k in own and own[k].shape == v.shape and not (pretrained and k.startswith("fc."))}
    if not any(k.startswith("blocks.") for k in take):
        raise ModelError(f"{path}: no graph-convolution weights match this model's architecture")
    model.load_state_dict(take, strict=False)
    return len(take)


def test_splits_seen(path: str | Path) -> list[str]:
    """Datasets whose test clips checkpoint *path*'s weights were trained on (co-training with
    ``cotrain_split`` "all", or an ``init`` that was); none for a missing *path* ("")."""
    if not path:
        return []
    ck = read_checkpoint(path)
    return list(ck["meta"].get("test_splits_seen", []))


def load_checkpoint(path: str | Path, cotrained: bool = False) -> tuple[CausalSTGCN, dict]:
    """Model (eval mode, CPU) and metadata from a ``best.pt`` / ``last.pt`` checkpoint; a co-trained
    run's model keeps its own dataset's classes (``meta["labels"]``) only, unless *cotrained*: then
    its co-trained datasets' classes too (``meta["cotrain_labels"]``, after them)."""
    ck = read_checkpoint(path)
    if ck["meta"].get("objective") in SELF_SUPERVISED:
        raise ModelError(f"{path} is a self-supervised ({ck['meta']['objective']}) checkpoint: its "
                         f"classifier was never trained. Fine-tune it first "
                         f"(skelapp train ... --init {path})")
    model = CausalSTGCN(ModelConfig.from_dict(ck["meta"]["model_config"]))
    model.load_state_dict(ck["model"])
    if ck["meta"].get("cotrain_labels") and not cotrained:
        model.keep_classes(len(ck["meta"]["labels"]))
    return model.eval(), ck["meta"]


def load_ensemble(paths: list[str], mirror: bool = False,
                  cotrained: bool = False) -> tuple[CausalSTGCN | EnsembleSTGCN, list[dict]]:
    """One checkpoint's model, or an :class:`EnsembleSTGCN` of several (eval mode, CPU), and each
    checkpoint's metadata; the members must share classes and input features (a ModelError).
    *cotrained*: as for :func:`load_checkpoint`."""
    loaded = [load_checkpoint(c, cotrained) for c in paths]
    model, meta = loaded[0]
    for c, (_, m) in zip(paths[1:], loaded[1:], strict=True):
        if (checkpoint_classes(m, cotrained) != checkpoint_classes(meta, cotrained)
                or m["feature_config"] != meta["feature_config"]):
            raise ModelError(f"{c}: other labels or input features than {paths[0]}; "
                             "ensemble members must be trained on the same classes and features")
    if len(loaded) > 1 or mirror:
        model = EnsembleSTGCN([m for m, _ in loaded], mirror=mirror).eval()
    return model, [m for _, m in loaded]


def checkpoint_classes(meta: dict, cotrained: bool = False) -> list[str]:
    """A checkpoint's classes (*meta*: its metadata), with its co-trained datasets' after them if
    *cotrained* (the order of its classifier's outputs)."""
    return meta["labels"] + ((meta.get("cotrain_labels") or []) if cotrained else [])


def load_teacher(cfg: TrainConfig, clips: ClipSet) -> CausalSTGCN | EnsembleSTGCN:
    """The frozen teacher of ``cfg.teacher``. It must have been trained on this run's dataset and
    protocol (a teacher that saw this run's test clips would leak them), classes and features; *clips*
    are the run's, co-trained datasets' included, and so must be the teacher's classes (a co-training
    run learns from a teacher co-trained with the same datasets, on every class of its classifier)."""
    model, metas = load_ensemble(cfg.teacher, cotrained=True)
    ours = (clips.dataset, resolve_protocol(clips, cfg.protocol))
    for path, m in zip(cfg.teacher, metas, strict=True):
        tc = m.get("train_config", {})
        theirs = (m["dataset"], resolve_protocol(clips, tc.get("protocol")) if m["dataset"] == clips.dataset
                  else tc.get("protocol"))
        if theirs != ours:
            raise ModelError(f"teacher {path} was trained on {theirs[0]} / {theirs[1]}, this run trains on "
                             f"{ours[0]} / {ours[1]}: a teacher must share the dataset and protocol")
        if (taught := checkpoint_classes(m, cotrained=True)) != clips.labels:
            raise ModelError(f"teacher {path} predicts {len(taught)} classes {taught[:3]}...{taught[-1:]} "
                             f"(co-trained with {tc.get('cotrain') or 'nothing'}), this run's "
                             f"are {len(clips.labels)} {clips.labels[:3]}...{clips.labels[-1:]} (co-trained "
                             f"with {cfg.cotrain or 'nothing'})")
        if m["feature_config"] != clips.feature_config.to_dict():
            raise ModelError(f"teacher {path} reads input features {m['feature_config']}, this run "
                             f"computes {clips.feature_config.to_dict()}")
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()

