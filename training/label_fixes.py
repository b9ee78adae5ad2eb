"""Known label errors in training data (``assets/label_fixes.txt``), corrected in training splits only.

Test splits keep the released labels, so a score stays comparable with published ones and with
runs made before a fix was known.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from skelapp.core.assets import assets_dir

from .datasets import ClipSet, DatasetError


def load_label_fixes(path: str | Path | None = None) -> dict[str, dict[str, str]]:
    """``{dataset: {clip name: correct class name}}`` from a fixes file (``dataset name label``
    per line; ``#`` comments and blank lines ignored). ``None``: the bundled file; ``"none"``: no
    fixes."""
    if path is not None and str(path).lower() == "none":
        return {}
    path = assets_dir() / "label_fixes.txt" if path is None else Path(path)
    if not path.is_file():
        raise DatasetError(f"label-fixes file {path} does not exist")
    fixes: dict[str, dict[str, str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split(None, 2)
        if len(parts) < 3:
            raise DatasetError(f"{path}, line {n}: expected 'dataset clip-name class name', got {line!r}")
        dataset, name, label = parts
        fixes.setdefault(dataset, {})[name] = label
    return fixes


def fix_training_labels(cs: ClipSet, train: np.ndarray,
                        fixes: dict[str, dict[str, str]]) -> tuple[ClipSet, list[str]]:
    """*cs* with the clips at indices *train* that *fixes* names relabelled (a copy of the targets;
    every other clip keeps its label), and the names of the clips whose label changed. A fix
    naming a class the dataset lacks is a DatasetError; clips the dataset lacks are skipped."""
    wanted = fixes.get(cs.dataset, {})
    if unknown := sorted({lab for lab in wanted.values() if lab not in cs.labels}):
        raise DatasetError(f"label fixes for {cs.dataset} name classes it does not have: {unknown}; "
                           f"its classes: {cs.labels}")
    targets, changed = cs.targets.copy(), []
    for i in train:
        label = wanted.get(cs.names[i])
        if label is not None and targets[i] != cs.labels.index(label):
            targets[i] = cs.labels.index(label)
            changed.append(cs.names[i])
    if not changed:
        return cs, []
    return replace(cs, targets=targets), changed
