"""The training split as a training run sees it: its label fixes applied and its validation hold-out
drawn. Training and ``skelapp evaluate --split val`` both call :func:`training_split`, so they agree
on which clips were held out and on how those clips are labelled."""

from __future__ import annotations

import numpy as np

from .datasets import ClipSet
from .label_fixes import fix_training_labels, load_label_fixes
from .splits import validation_split


def training_split(clips: ClipSet, train: np.ndarray, label_fixes: str | None, val_fraction: float,
                   seed: int) -> tuple[ClipSet, list[str], np.ndarray, np.ndarray]:
    """*clips* with the labels of the training clips *train* fixed (*label_fixes*: a fixes file, ``None``
    the bundled one, ``"none"`` no fixes), the names of the relabelled clips, the clips trained on and
    the clips held out (a *val_fraction* of *train* drawn with *seed*; none when it is 0)."""
    clips, relabelled = fix_training_labels(clips, train, load_label_fixes(label_fixes))
    held_out = np.array([], int)
    if val_fraction > 0:
        train, held_out = validation_split(clips, train, val_fraction, seed)
    return clips, relabelled, train, held_out
