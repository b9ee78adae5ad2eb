"""The datasets' protocols: which clips train and which test (the standard splits and the dev
folds that choose a recipe without the test split), and the validation hold-out inside a training
split, grouped by performance so that no recording of one performance is on both sides."""

from __future__ import annotations

import re

import numpy as np

from skelapp.core.ntu_skeleton import parse_ntu_name

from .datasets import MSR_LABELS, ClipSet, DatasetError

# NTU-60 cross-subject training subjects and cross-view training cameras (Shahroudy et al. 2016).
NTU_XSUB_TRAIN = {1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38}
NTU_XVIEW_TRAIN = {2, 3}
# NTU-120 cross-subject training subjects (Liu et al. 2019); cross-setup trains on even setup ids.
NTU120_XSUB_TRAIN = {
    1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38, 45, 46, 47, 49, 50, 52, 53,
    54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103,
}
# dev folds inside MSR Action3D's odd (training) subjects: (train subjects, test subjects). Two
# folds of three/two subjects, and five leave-one-subject-out folds (xsub-loso<k> tests subject k
# and trains on the other four, closer in size to the real split's five training subjects).
MSR_ODD_SUBJECTS = (1, 3, 5, 7, 9)
MSR_DEV_FOLDS = {"xsub-dev": ((1, 3, 5), (7, 9)), "xsub-dev2": ((5, 7, 9), (1, 3)),
                 **{f"xsub-loso{k}": (tuple(s for s in MSR_ODD_SUBJECTS if s != k), (k,))
                    for k in MSR_ODD_SUBJECTS}}
# MSR Action3D's three action subsets of 8 classes (Li et al. 2010; 1-based action ids, as in the
# dataset's tr_te_splits.mat). Each is trained and tested on its own, odd subjects train and even
# test; the Lie group (89.5) and HBRNN (94.5) papers report the mean over the three.
MSR_ACTION_SETS = {"as1": (2, 3, 5, 6, 10, 13, 18, 20), "as2": (1, 4, 7, 8, 9, 11, 12, 14),
                   "as3": (6, 14, 15, 16, 17, 18, 19, 20)}
PROTOCOLS = {"nw-ucla": ("xview", "xview-dev"), "msr-action3d": ("xsub", *MSR_DEV_FOLDS, *MSR_ACTION_SETS),
             "ntu60": ("xsub", "xview"), "ntu120": ("xsub", "xset")}


def resolve_protocol(cs: ClipSet, protocol: str | None) -> str:
    """*protocol*, or the dataset's standard one when ``None``; unknown ones are a DatasetError."""
    protocol = protocol or PROTOCOLS[cs.dataset][0]
    if protocol not in PROTOCOLS.get(cs.dataset, ()):
        raise DatasetError(f"protocol {protocol!r} not defined for {cs.dataset}; "
                           f"known: {', '.join(PROTOCOLS.get(cs.dataset, ()))}")
    return protocol


def _action_set_mask(cs: ClipSet, protocol: str) -> np.ndarray:
    """Clips of an MSR action subset, found by class name (so it works before and after
    :func:`protocol_clips`)."""
    names = {MSR_LABELS[a - 1] for a in MSR_ACTION_SETS[protocol]}
    return np.isin(cs.targets, [k for k, lab in enumerate(cs.labels) if lab in names])


def protocol_clips(cs: ClipSet, protocol: str | None = None) -> ClipSet:
    """The clips and classes *protocol* works on: *cs* itself, except for MSR Action3D's action
    subsets (``as1``-``as3``), which keep their 8 classes, relabelled 0-7 in action-id order."""
    protocol = resolve_protocol(cs, protocol)
    if cs.dataset != "msr-action3d" or protocol not in MSR_ACTION_SETS:
        return cs
    labels = [MSR_LABELS[a - 1] for a in MSR_ACTION_SETS[protocol]]
    idx = np.flatnonzero(_action_set_mask(cs, protocol))
    return cs.take(idx, labels, np.array([labels.index(cs.labels[cs.targets[i]]) for i in idx]))


def split_indices(cs: ClipSet, protocol: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Standard (train, test) indices for the dataset's protocol (for an MSR action subset: its
    clips only; train on :func:`protocol_clips` to get its 8 classes)."""
    protocol = resolve_protocol(cs, protocol)
    test = None
    if cs.dataset == "nw-ucla" and protocol == "xview-dev":
        # choosing a recipe across views without touching the test view: train view 1, test view 2
        train, test = cs.views == 1, cs.views == 2
    elif cs.dataset == "nw-ucla":
        train = np.isin(cs.views, [1, 2])
    elif cs.dataset == "msr-action3d" and protocol in MSR_DEV_FOLDS:
        # choosing a recipe across subjects without touching the even (test) subjects
        fold_train, fold_test = MSR_DEV_FOLDS[protocol]
        train, test = np.isin(cs.subjects, fold_train), np.isin(cs.subjects, fold_test)
    elif cs.dataset == "msr-action3d" and protocol in MSR_ACTION_SETS:
        in_set = _action_set_mask(cs, protocol)
        train, test = in_set & (cs.subjects % 2 == 1), in_set & (cs.subjects % 2 == 0)
    elif cs.dataset == "msr-action3d":
        train = cs.subjects % 2 == 1
    elif protocol == "xsub":
        train = np.isin(cs.subjects, list(NTU120_XSUB_TRAIN if cs.dataset == "ntu120" else NTU_XSUB_TRAIN))
    elif protocol == "xset":
        train = np.array([parse_ntu_name(n)["setup"] % 2 == 0 for n in cs.names], bool)
    else:
        train = np.isin(cs.views, list(NTU_XVIEW_TRAIN))
    tr, te = np.flatnonzero(train), np.flatnonzero(~train if test is None else test)
    if len(tr) == 0 or len(te) == 0:
        raise DatasetError(f"{cs.dataset}/{protocol}: empty split (train {len(tr)}, test {len(te)})")
    return tr, te


def instance_key(name: str) -> str:
    """Clips of one performance recorded by several cameras share this key (no leakage)."""
    name = re.sub(r"_v\d+$", "", name)  # NW-UCLA views
    return re.sub(r"C\d{3}", "", name)  # NTU cameras


def validation_split(cs: ClipSet, train: np.ndarray, fraction: float = 0.15,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (by class) hold-out of *train*, grouped by performance instance."""
    rng = np.random.default_rng(seed)
    keep, val = [], []
    for k in np.unique(cs.targets[train]):
        idx = train[cs.targets[train] == k]
        groups = sorted({instance_key(cs.names[i]) for i in idx})
        rng.shuffle(groups)
        n_val = int(round(fraction * len(groups)))
        vg = set(groups[:n_val])
        for i in idx:
            (val if instance_key(cs.names[i]) in vg else keep).append(i)
    if not val or not keep:
        raise DatasetError("validation split is empty; use more data or a larger fraction")
    return np.array(sorted(keep)), np.array(sorted(val))
