"""Scores of per-frame logits: top-1 on whole clips and the early-prediction curve."""

from __future__ import annotations

import math

import numpy as np


def score(per_frame: list[np.ndarray], targets: np.ndarray,
          ratios: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)) -> dict:
    """Top-1 (%) on whole clips and on the first p of each clip (last observed frame)."""
    early = {}
    for r in ratios:
        pred = [lg[max(1, math.ceil(r * len(lg) - 1e-9)) - 1].argmax() for lg in per_frame]
        early[f"{r:.1f}"] = float(np.mean(np.array(pred) == targets) * 100)
    return {"top1": early["1.0"], "early": early}


def unseen_score(per_frame: list[np.ndarray], targets: np.ndarray, copies: np.ndarray,
                 labels: list[str]) -> dict | None:
    """:func:`score` without the clips marked in *copies* (copies of training clips, see
    :mod:`.copies`), with ``clips`` (scored), ``copies`` (left out) and ``copies_by_class``;
    None when there is no copy, or nothing but copies."""
    if not copies.any() or copies.all():
        return None
    keep = np.flatnonzero(~copies)
    res = score([per_frame[i] for i in keep], targets[keep])
    by_class = np.bincount(targets[copies], minlength=len(labels))
    res.update(clips=len(keep), copies=int(copies.sum()),
               copies_by_class={labels[k]: int(n) for k, n in enumerate(by_class) if n})
    return res
