"""``model_card.md`` written by ``skelapp evaluate --out``: what the model is and how it scored."""

from __future__ import annotations

import json
from pathlib import Path


def model_name(path: str | Path) -> str:
    """Short name of a model in reports: an ONNX file's name, a checkpoint's ``run/last.pt``
    (every run's checkpoint has the same file name)."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.suffix == ".pt" and path.parent.name else path.name


def _json(meta: dict[str, str], key: str, default=None):
    try:
        return json.loads(meta[key])
    except (KeyError, ValueError):
        return default


def _early_row(name: str, early: dict[str, float]) -> str:
    """One row of the early-prediction table: *name*, then top-1 at each observed fraction."""
    return f"| {name} | " + " | ".join(f"{v:.1f}" for v in early.values()) + " |"


def _unseen_lines(unseen: dict) -> list[str]:
    by_class = ", ".join(f"{lab} {n}" for lab, n in unseen["copies_by_class"].items())
    return [f"{unseen['copies']} test clips are exact copies of training clips ({by_class}). Without them "
            f"({unseen['clips']} clips): top-1 **{unseen['top1']:.1f} %**, at 40 % observed "
            f"{unseen['early']['0.4']:.1f} %.", ""]


def model_card(res: dict, meta: dict[str, str]) -> str:
    """Markdown report of an evaluation *res* (from :func:`evaluate`) of a model with ONNX
    metadata *meta* (``skelapp.*`` keys; missing ones are left out)."""
    labels = _json(meta, "skelapp.labels", list(res["per_class"]))
    streams = _json(meta, "skelapp.streams", ["joint"])
    runtime = "ONNX Runtime (CPU)" if str(res["model"]).endswith(".onnx") else "PyTorch (checkpoint)"
    ensemble = " (ensemble: averaged probabilities)" if len(streams) > 1 else ""
    if _json(meta, "skelapp.mirror_averaged", False):
        ensemble += ", each also run on the mirrored input and averaged"
    lines = [
        f"# Model card: `{model_name(res['model'])}`",
        "",
        f"Evaluated on **{res['dataset']}** ({res.get('protocol', 'standard')} protocol), "
        f"{res['split']} split ({res['clips']} clips), through {runtime}, whole clips from a fresh state.",
        "",
        "| item | value |",
        "|---|---|",
        f"| classes | {len(labels)} |",
        f"| streams | {' + '.join(streams)}{ensemble} |",
        f"| parameters | {res.get('params', 0):,} |",
    ]
    for key, name in (("skelapp.streaming_macs", "multiply-accumulates per streaming frame"),
                      ("skelapp.receptive_field_frames", "temporal receptive field (frames)"),
                      ("skelapp.window_frames", "classifier window (frames)"),
                      ("skelapp.feature_config", "input features"),
                      ("skelapp.ort_vs_torch_max_abs_diff", "ONNX Runtime vs torch, max abs logit diff."),
                      ("skelapp.ort_vs_torch_checked_on", "that check was run on")):
        if key in meta:
            val = meta[key]
            val = f"{int(val):,}" if val.isdigit() else f"`{val}`" if val.startswith("{") else val
            lines.append(f"| {name} | {val} |")
    early = res["early"]
    lines += [
        "",
        f"## Top-1: **{res['top1']:.1f} %**",
        "",
        *(_unseen_lines(res["unseen"]) if "unseen" in res else []),
        "Early prediction: top-1 when only the first x % of each clip has been seen (prediction at the"
        " last seen frame).",
        "",
        "| observed | " + " | ".join(f"{float(k) * 100:.0f} %" for k in early) + " |",
        "|---" * (len(early) + 1) + "|",
        _early_row("top-1", early),
        *([_early_row(f"without the {res['unseen']['copies']} copies", res["unseen"]["early"])]
          if "unseen" in res else []),
        *([_early_row(f"baseline `{model_name(res['baseline']['model'])}`", res["baseline"]["early"])]
          if "baseline" in res else []),
        "",
        "## Per class",
        "",
        "| class | top-1 |",
        "|---|---|",
        *(f"| {lab} | {acc:.1f} |" for lab, acc in res["per_class"].items()),
        "",
        "Plots: `confusion.png` (rows: true class), `early.png` (early-prediction curve).",
    ]
    train_cfg = _json(meta, "skelapp.train_config")
    if train_cfg:
        lines += ["", "## Training configuration", "", "```json", json.dumps(train_cfg, indent=1), "```"]
    return "\n".join(lines) + "\n"


def write_model_card(res: dict, meta: dict[str, str], out: str | Path) -> Path:
    path = Path(out) / "model_card.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model_card(res, meta))
    return path
