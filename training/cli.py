"""``skelapp train | evaluate | export | soup`` entry points (argv lists, return an exit code)."""

from __future__ import annotations

import argparse
import json
import sys

from .augment import BATCHINGS
from .choices import COTRAIN_SPLITS, MASK_TARGETS, MIXES, OBJECTIVES, OPTIMIZERS, SELF_SUPERVISED, STREAMS
from .datasets import DATASETS
from .precision import PRECISIONS


def _add_ntu_missing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ntu-missing", default=None, metavar="FILE|none",
                   help="NTU samples to skip: a list of names (default: the bundled published list of "
                        "samples with missing skeletons, 302 NTU-60 + 233 NTU-120); 'none' skips nothing")


def json_object(text: str) -> dict:
    """argparse ``type`` of the JSON override flags: a JSON object, else argparse's one-line error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not valid JSON ({e}): {text}") from e
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object like '{{\"name\": value}}', got {text}")
    return value


def train_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skelapp train", description="Train a causal skeleton recognizer.")
    p.add_argument("--dataset", default="nw-ucla", choices=DATASETS)
    p.add_argument("--data", required=True, help="dataset directory (or the shared data root)")
    p.add_argument("--out", required=True, help="run directory (checkpoints, history, result)")
    p.add_argument("--protocol", default=None,
                   help="xview / xsub / xset (ntu120) (default: the dataset's standard one); recipe-choice "
                        "protocols that leave the test split untouched: xview-dev (nw-ucla), "
                        "xsub-dev, xsub-dev2 and xsub-loso1/3/5/7/9 (msr-action3d; loso<k>: odd "
                        "subject k held out); as1 / as2 / as3: one of MSR Action3D's 8-class action "
                        "subsets (cross-subject)")
    _add_ntu_missing(p)
    p.add_argument("--label-fixes", default=None, metavar="FILE|none",
                   help="known label errors to correct in the training split (default: the bundled "
                        "assets/label_fixes.txt; test splits always keep the released labels); 'none' "
                        "trains on the released labels")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adamw",
                   help="AdamW, or SGD with Nesterov momentum 0.9 (give it its own --lr and --weight-decay)")
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--no-decay-1d", action="store_true",
                   help="no weight decay on norm scales and shifts, biases and other parameters of at "
                        "most one dimension (default: every parameter decays)")
    p.add_argument("--layer-decay", type=float, default=1.0,
                   help="layer-wise learning-rate decay for fine-tuning from --init: the last block "
                        "gets lr x this, each block below one more factor (default 1: one rate)")
    p.add_argument("--decay-to-init", action="store_true",
                   help="fine-tuning from --init: weight decay pulls the backbone toward the --init weights "
                        "(L2-SP) instead of toward zero")
    p.add_argument("--freeze-epochs", type=int, default=0,
                   help="fine-tuning from --init: for this many epochs only the classifier (and LST) learn, "
                        "the backbone then joins with its own warm-up (LP-FT; default 0: all from the start)")
    p.add_argument("--warmup-epochs", type=int, default=2, help="linear warm-up before the cosine decay")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--loss", choices=("early", "full"), default="early")
    p.add_argument("--prefix-power", type=float, default=1.0,
                   help="early loss: frame t of a clip of length L weighs ((t + 1) / L) ** this "
                        "(0: every prefix alike; larger: later prefixes count more)")
    p.add_argument("--no-lst", action="store_true", help="disable language supervision")
    p.add_argument("--lst-weight", type=float, default=0.5)
    p.add_argument("--label-smoothing", type=float, default=0.0,
                   help="label smoothing of the classification loss (0 = plain cross-entropy)")
    p.add_argument("--val-fraction", type=float, default=0.0,
                   help="part of the train split held out for validation (0: train on all of it)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="training arithmetic: auto (default: bf16 on bf16-capable GPUs, CPUs with AMX and "
                        "AMD CPUs with AVX-512 BF16, where it is faster (1.6x on a 2-core AMD EPYC); else "
                        "fp32, also on Intel CPUs with AVX-512 BF16 but no AMX, where bf16 was slower), "
                        "bf16 mixed precision (weights stay float32), or fp32")
    p.add_argument("--batching", choices=tuple(BATCHINGS), default="raw",
                   help="bucket batches by recorded clip length, or by this epoch's augmented length "
                        "(less padding, about 1.2x faster; not the default: see the model card)")
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--init", default="", metavar="CHECKPOINT",
                   help="start from another run's weights (same stream/architecture; classifier re-learned)")
    p.add_argument("--stream", choices=STREAMS, default=None,
                   help="input stream: joint positions+velocities, bones (joint minus parent), or both "
                        "side by side in one network (joint_bone)")
    p.add_argument("--model", type=json_object, default="{}",
                   help="JSON ModelConfig overrides, e.g. '{\"window\": 48}'")
    p.add_argument("--augment", type=json_object, default="{}", help="JSON AugmentConfig overrides")
    p.add_argument("--features", type=json_object, default='{"facing": true}',
                   help="JSON FeatureConfig overrides ('{}' = core defaults, no facing normalisation)")
    p.add_argument("--select", choices=("last", "val"), default="last",
                   help="weights to report and export: last epoch, or best on the validation hold-out")
    p.add_argument("--teacher", nargs="+", default=[], metavar="CHECKPOINT",
                   help="distil from these checkpoints (one model, or the streams of an ensemble) trained "
                        "on the same dataset, protocol, classes and features (with --cotrain: co-trained "
                        "with the same datasets)")
    p.add_argument("--distill-weight", type=float, default=1.0, help="weight of the distillation loss")
    p.add_argument("--distill-temperature", type=float, default=2.0)
    p.add_argument("--ema-epochs", type=float, default=0.0, metavar="EPOCHS",
                   help="keep an exponential moving average of the weights with this time constant "
                        "(in epochs) and evaluate/export it instead of the last weights (0 = off)")
    p.add_argument("--cotrain", nargs="+", default=[], choices=DATASETS, metavar="DATASET",
                   help="also train on these datasets' standard training splits (read from --data), under "
                        "their own classes; the saved model predicts --dataset's classes only")
    p.add_argument("--cotrain-split", choices=COTRAIN_SPLITS, default="train",
                   help="which clips of the --cotrain datasets: their standard training split, or all of "
                        "them (test split too: the checkpoint records it, and no run on those datasets may "
                        "start from it, or from a run that started from it)")
    p.add_argument("--mix", choices=MIXES, default="none",
                   help="batch mixing: a body part from another clip of the batch (parts) or the whole "
                        "clip blended (mixup), the partner's label weighted alike (training/mixing.py)")
    p.add_argument("--mix-prob", type=float, default=0.5, help="probability that a batch is mixed")
    p.add_argument("--mix-alpha", type=float, default=0.2, help="mixup's blend weight ~ Beta(alpha, alpha)")
    p.add_argument("--forecast", type=float, default=0.0, metavar="WEIGHT",
                   help="weight of an auxiliary loss that predicts each joint's motion over the next 2, 4 "
                        "and 8 frames from what the network has seen so far (training only; 0 = off)")
    p.add_argument("--objective", choices=OBJECTIVES, default="classify",
                   help="masked: self-supervised pretraining that rebuilds randomly hidden joints from the "
                        "rest; contrastive: self-supervised tuning of such a pretraining (give it as --init) "
                        "that pulls each clip towards its nearest neighbour among earlier clips (STARS). "
                        "Neither reads labels or scores; start a classify run from either with --init")
    p.add_argument("--mask-ratio", type=float, default=0.5,
                   help="masked, contrastive: the fraction of (joint, --mask-span frames) pieces hidden")
    p.add_argument("--mask-span", type=int, default=4, help="masked, contrastive: frames per hidden piece")
    p.add_argument("--mask-target", choices=MASK_TARGETS, default="all",
                   help="masked: rebuild every input channel of the hidden joints, or their velocities only")
    p.add_argument("--mask-decoder", type=int, default=0, metavar="BLOCKS",
                   help="masked: causal ST blocks between the network and the reconstruction head (0 = none)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.ema_epochs < 0:
        p.error(f"--ema-epochs must be >= 0 (0 = off), got {a.ema_epochs}")
    if a.prefix_power < 0:
        p.error(f"--prefix-power must be >= 0 (1 = the default linear weights), got {a.prefix_power}")
    if a.forecast < 0:
        p.error(f"--forecast is a loss weight, >= 0 (0 = off), got {a.forecast}")
    if a.mask_decoder < 0:
        p.error(f"--mask-decoder is a number of blocks >= 0, got {a.mask_decoder}")
    if not 0 < a.mask_ratio < 1 or a.mask_span < 1:
        p.error(f"--mask-ratio is a fraction between 0 and 1 and --mask-span a frame count >= 1, "
                f"got {a.mask_ratio} and {a.mask_span}")
    if not 0 < a.layer_decay <= 1:
        p.error(f"--layer-decay is a factor in (0, 1] (1 = one learning rate), got {a.layer_decay}")
    if not 0 <= a.freeze_epochs <= a.epochs:
        p.error(f"--freeze-epochs is a number of epochs from 0 to --epochs ({a.epochs}), "
                f"got {a.freeze_epochs}")
    if a.select == "val" and a.val_fraction <= 0:
        p.error("--select val needs a validation hold-out: give --val-fraction > 0")
    from .train import TrainConfig, train

    cfg = TrainConfig(
        dataset=a.dataset, data=a.data, out=a.out, protocol=a.protocol, epochs=a.epochs,
        batch_size=a.batch_size, optimizer=a.optimizer, lr=a.lr, weight_decay=a.weight_decay,
        decay_1d=not a.no_decay_1d, layer_decay=a.layer_decay, freeze_epochs=a.freeze_epochs,
        decay_to_init=a.decay_to_init,
        warmup_epochs=a.warmup_epochs, seed=a.seed, loss=a.loss, prefix_power=a.prefix_power,
        lst=not a.no_lst, lst_weight=a.lst_weight, label_smoothing=a.label_smoothing,
        val_fraction=a.val_fraction, device=a.device, cache_dir=a.cache_dir,
        threads=a.threads, precision=a.precision, batching=a.batching,
        augment=a.augment,
        model={**a.model, **({"stream": a.stream} if a.stream else {})},
        features=a.features, select=a.select, ntu_missing=a.ntu_missing, label_fixes=a.label_fixes,
        init=a.init,
        teacher=a.teacher, distill_weight=a.distill_weight, distill_temperature=a.distill_temperature,
        ema_epochs=a.ema_epochs, cotrain=a.cotrain, cotrain_split=a.cotrain_split,
        mix=a.mix, mix_prob=a.mix_prob, mix_alpha=a.mix_alpha,
        forecast_weight=a.forecast, objective=a.objective, mask_ratio=a.mask_ratio, mask_span=a.mask_span,
        mask_target=a.mask_target, mask_decoder=a.mask_decoder,
    )
    res = train(cfg, resume=a.resume, progress=not a.quiet)
    if res.get("objective") in SELF_SUPERVISED:  # nothing scored
        print(json.dumps({k: res[k] for k in ("objective", "epoch", "final_loss")}))
    elif res:
        print(json.dumps({"test": res["test"], "epoch": res["epoch"], "select": res["select"]}))
    return 0


def evaluate_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skelapp evaluate", description="Evaluate a model (.onnx or .pt).")
    p.add_argument("--model", required=True, help="model.onnx or a checkpoint (.pt)")
    p.add_argument("--dataset", default="nw-ucla", choices=DATASETS)
    p.add_argument("--data", required=True)
    p.add_argument("--protocol", default=None, help="as for train (default: the dataset's standard one)")
    p.add_argument("--split", choices=("test", "val"), default="test",
                   help="val: the clips the model's training run held out (its --val-fraction and --seed)")
    _add_ntu_missing(p)
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--out", default=None, help="directory for confusion.png, early.png, metrics.json")
    p.add_argument("--baseline", default=None, metavar="MODEL",
                   help="also evaluate MODEL (e.g. trained on full clips only) and report its early curve")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args(argv)
    from .datasets import load_missing_list
    from .evaluate import evaluate

    res = evaluate(a.model, a.dataset, a.data, a.protocol, a.split, a.cache_dir, a.out,
                   ntu_missing=load_missing_list(a.ntu_missing), baseline=a.baseline)
    if a.out:
        from pathlib import Path

        (Path(a.out) / "metrics.json").write_text(json.dumps(res, indent=1))
    if a.json:
        print(json.dumps(res))
    else:
        print(f"{a.dataset} {a.split} ({res['clips']} clips): top-1 {res['top1']:.2f} %, "
              f"params {res['params']}")
        print("early: " + ", ".join(f"{float(k) * 100:.0f}%: {v:.1f}" for k, v in res["early"].items()))
        if "unseen" in res:
            u = res["unseen"]
            print(f"without the {u['copies']} test clips that are copies of training clips "
                  f"({u['clips']} clips): top-1 {u['top1']:.2f} %, early 40%: {u['early']['0.4']:.1f}")
        if "baseline" in res:
            b = res["baseline"]
            print(f"baseline {b['model']}: top-1 {b['top1']:.2f} %; early: "
                  + ", ".join(f"{float(k) * 100:.0f}%: {v:.1f}" for k, v in b["early"].items()))
        for lab, acc in res["per_class"].items():
            print(f"  {lab:<28} {acc:6.1f}")
    return 0


def export_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="skelapp export", description="Export a checkpoint to ONNX.")
    p.add_argument("--checkpoint", required=True, nargs="+",
                   help="one checkpoint, or several (e.g. joint + bone streams) for one ensemble model")
    p.add_argument("--out", required=True, help="output .onnx path")
    p.add_argument("--mirror", action="store_true",
                   help="also run every member on the mirrored input and average (twice the cost per frame)")
    p.add_argument("--data", default=None, help="dataset directory: check ORT vs torch on real test clips")
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--check-clips", type=int, default=20)
    a = p.parse_args(argv)
    from skelapp.core.normalize import FeatureConfig
    from skelapp.core.recognizer import ModelError

    from .checkpoints import load_ensemble
    from .export import export_onnx

    model, metas = load_ensemble(a.checkpoint, mirror=a.mirror)
    for path, m in zip(a.checkpoint, metas, strict=True):
        if not m["model_config"].get("causal", True):
            raise ModelError(f"{path}: a non-causal network (model setting causal false, a research "
                             "baseline) has no streaming form, so it cannot be exported")
    meta = metas[0]
    fcfg = FeatureConfig.from_dict(meta["feature_config"])
    clips = None
    if a.data:
        from .datasets import load_dataset
        from .splits import protocol_clips, split_indices

        protocol = meta.get("train_config", {}).get("protocol")
        cs = load_dataset(meta["dataset"], a.data, a.cache_dir, fcfg, progress=False)
        cs = protocol_clips(cs, protocol)
        test = split_indices(cs, protocol)[1][: a.check_clips]
        clips = [cs.features[i] for i in test]
    diff = export_onnx(model, a.out, meta["labels"], fcfg, dataset=meta["dataset"], check_clips=clips,
                       extra_metadata={"skelapp.train_config": json.dumps(
                           [m.get("train_config", {}) for m in metas] if len(metas) > 1
                           else meta.get("train_config", {}))})
    print(json.dumps({"onnx": a.out, "max_abs_diff_ort_vs_torch": diff,
                      "checked_on": f"{len(clips)} real test clips" if clips else "a random clip"}))
    return 0


def soup_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="skelapp soup",
        description="Average the weights of fine-tunes of one pretraining into one network (a weight "
                    "soup), measure its BatchNorm statistics on their training clips and score it on "
                    "their test split.")
    p.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT",
                   help="the fine-tunes' last.pt (two or more)")
    p.add_argument("--data", required=True, help="the data root the fine-tunes were trained from")
    p.add_argument("--out", required=True, help="directory for last.pt and result.json")
    p.add_argument("--cache-dir", default="runs/cache")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    from .soup import soup

    res = soup(a.checkpoints, a.data, a.out, a.cache_dir, a.device, progress=not a.quiet)
    print(json.dumps({"test": res["test"], "soup": res["soup"]}))
    return 0


if __name__ == "__main__":
    sys.exit(train_main())
