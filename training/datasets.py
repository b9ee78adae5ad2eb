"""Training datasets: read, convert to canonical, resample to the model rate, cache (the
protocols' splits: :mod:`.splits`).

Supported: ``nw-ucla`` (cross-view: train v01+v02, test v03), ``msr-action3d`` (the 557
CVPR'12 sequences; cross-subject: odd subjects train, even test; also per action subset
``as1``-``as3``), ``ntu60`` (raw ``.skeleton``
files, A001-A060 of setups S001-S017; ``xsub`` / ``xview`` protocols) and ``ntu120`` (A001-A120,
S001-S032; ``xsub`` / ``xset``). NTU samples on the dataset's published list of missing skeletons
(bundled as ``assets/ntu_missing_skeletons.txt``) are skipped by default. Every clip is stored as
canonical joints at the model rate (``FeatureConfig.fps``) plus its features from
:func:`skelapp.core.normalize.compute_features`, in one ``.npz`` per dataset and config.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from skelapp.core.assets import assets_dir
from skelapp.core.conversion import to_canonical
from skelapp.core.errors import SkelappError
from skelapp.core.msr_action3d import parse_msr_name
from skelapp.core.normalize import FeatureConfig, compute_features
from skelapp.core.ntu_skeleton import parse_ntu_name
from skelapp.core.nw_ucla import parse_nw_ucla_name
from skelapp.core.resample import resample_sequence
from skelapp.core.skeleton import SkeletonSequence

from .readers import (
    READER_VERSION,
    read_msr_action3d,
    read_ntu_skeleton,
    read_nw_ucla,
    select_main_bodies,
)

MIN_FRAMES = 1  # clips shorter than this (at the model rate) are rejected; the causal model needs 1

NW_UCLA_LABELS = [
    "pick up with one hand", "pick up with two hands", "drop trash", "walk around", "sit down",
    "stand up", "donning", "doffing", "throw", "carry",
]  # fmt: skip
NW_UCLA_ACTIONS = [1, 2, 3, 4, 5, 6, 8, 9, 11, 12]  # file action id of each label
MSR_LABELS = [
    "high arm wave", "horizontal arm wave", "hammer", "hand catch", "forward punch", "high throw",
    "draw x", "draw tick", "draw circle", "hand clap", "two hand wave", "side boxing", "bend",
    "forward kick", "side kick", "jogging", "tennis swing", "tennis serve", "golf swing",
    "pick up and throw",
]  # fmt: skip
# Classes whose recordings, played backwards, are recordings of each other (a person sitting down,
# played backwards, stands up): the `reverse` augmentation (training/augment.py) turns a clip of one
# into a clip of the other. By class name, so a pair applies wherever both classes are trained.
REVERSED_CLASSES = [
    ("sit down", "stand up"), ("donning", "doffing"),  # NW-UCLA
    ("sitting down", "standing up (from sitting position)"), ("wear jacket", "take off jacket"),  # NTU
    ("wear a shoe", "take off a shoe"), ("wear on glasses", "take off glasses"),
    ("put on a hat/cap", "take off a hat/cap"), ("put on headphone", "take off headphone"),
    ("put on bag", "take off bag"), ("put something into a bag", "take something out of a bag"),
]  # fmt: skip
# classes and setups of each NTU variant (NTU-60 = actions A001-A060 recorded in setups S001-S017)
NTU_VARIANTS = {"ntu60": (60, 17), "ntu120": (120, 32)}

DATASETS = ("nw-ucla", "msr-action3d", "ntu60", "ntu120")


class DatasetError(SkelappError, ValueError):
    """Unknown dataset, missing directory, empty split or unusable sequence."""


@dataclass
class ClipSet:
    """All clips of a dataset at the model rate (lists of per-clip arrays) plus metadata."""

    dataset: str
    labels: list[str]
    names: list[str]
    targets: np.ndarray  # (N,) int, 0-based
    subjects: np.ndarray  # (N,) int
    views: np.ndarray  # (N,) int (camera / view id; 0 when unknown)
    joints: list[np.ndarray]  # (T, V, 3) canonical, model rate
    confidence: list[np.ndarray]  # (T, V)
    features: list[np.ndarray]  # (T, V, C)
    feature_config: FeatureConfig = field(default_factory=FeatureConfig)

    def __len__(self) -> int:
        return len(self.names)

    def lengths(self) -> np.ndarray:
        return np.array([len(j) for j in self.joints])

    def take(self, indices: np.ndarray, labels: list[str], targets: np.ndarray) -> ClipSet:
        """The clips at *indices*, relabelled: *targets* index into the new *labels*."""
        pick = [int(i) for i in indices]
        return ClipSet(self.dataset, labels, [self.names[i] for i in pick], np.asarray(targets),
                       self.subjects[pick], self.views[pick], [self.joints[i] for i in pick],
                       [self.confidence[i] for i in pick], [self.features[i] for i in pick],
                       self.feature_config)


def with_cotraining(cs: ClipSet, other: ClipSet, indices: np.ndarray) -> ClipSet:
    """*cs* followed by *other*'s clips at *indices* under *other*'s own class names, appended after
    *cs*'s (their targets are offset by ``len(cs.labels)``); the dataset stays *cs*'s. Both must share
    the input features; a class name in both is a DatasetError (it would be two different classes)."""
    if other.feature_config != cs.feature_config:
        raise DatasetError(f"co-training {other.dataset} with {cs.dataset}: the clips were prepared with "
                           "different input features")
    if shared := sorted(set(cs.labels) & set(other.labels)):
        raise DatasetError(f"co-training {other.dataset} with {cs.dataset}: class names in both: {shared}")
    idx = np.asarray(indices, int)
    add = other.take(idx, other.labels, other.targets[idx] + len(cs.labels))
    return ClipSet(
        cs.dataset, cs.labels + other.labels, cs.names + add.names, np.concatenate([cs.targets, add.targets]),
        np.concatenate([cs.subjects, add.subjects]), np.concatenate([cs.views, add.views]),
        cs.joints + add.joints, cs.confidence + add.confidence, cs.features + add.features, cs.feature_config)


def reversed_partners(labels: list[str]) -> np.ndarray:
    """For each class of *labels*, the index of its time-reversed partner in *labels* (-1: none)."""
    index = {name: k for k, name in enumerate(labels)}
    partners = np.full(len(labels), -1)
    for a, b in REVERSED_CLASSES:
        if a in index and b in index:
            partners[index[a]], partners[index[b]] = index[b], index[a]
    return partners


def main_body(seq: SkeletonSequence) -> SkeletonSequence:
    """Keep the body that moves most (NTU's usual denoising rank; single-body model)."""
    return seq if seq.num_bodies == 1 else select_main_bodies(seq, 1)


def prepare(seq: SkeletonSequence, cfg: FeatureConfig, name: str = "",
            min_frames: int = MIN_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Canonical, main body, resampled to ``cfg.fps`` -> joints ``(T, V, 3)``, conf ``(T, V)``."""
    if len(seq) == 0:
        raise DatasetError(f"{name or seq.source}: empty sequence")
    seq = resample_sequence(main_body(to_canonical(seq)), cfg.fps)
    if len(seq) < min_frames:
        raise DatasetError(f"{name or seq.source}: only {len(seq)} frames at {cfg.fps} fps (< {min_frames})")
    return seq.joints[:, 0], seq.confidence[:, 0]


# ---------------------------------------------------------------- dataset scanners
Item = tuple[str, Callable[[], SkeletonSequence], int, int, int]  # name, loader, label, subject, view


def _scan_nw_ucla(root: Path) -> tuple[list[str], list[Item]]:
    d = root / "all_sqe" if (root / "all_sqe").is_dir() else root
    files = sorted(d.glob("a*_s*_e*_v*.json"))
    if not files:
        raise DatasetError(f"no NW-UCLA JSON files (aXX_sYY_eZZ_vWW.json) under {root}")
    items = []
    for f in files:
        ids = parse_nw_ucla_name(f.stem)
        if not ids:
            continue

        action = ids["action"]
        if action not in NW_UCLA_ACTIONS:
            raise DatasetError(f"{f}: unknown NW-UCLA action a{action:02d}")

        def load(f: Path = f) -> SkeletonSequence:
            return read_nw_ucla(f)[0]

        items.append((f.stem, load, NW_UCLA_ACTIONS.index(action), ids["subject"], ids["view"]))
    return NW_UCLA_LABELS, items


MSR_USED_LIST = "files_used_in_cvpr12_paper.txt"  # the 557 sequences the papers use (10 noisy ones left out)


def _scan_msr(root: Path, stats: dict | None = None) -> tuple[list[str], list[Item]]:
    """*root*: the release folder or its ``real_world_coordinates`` folder; the sequences on the
    release's list of used files (found in either), else all of them (noted in *stats*)."""
    d = root / "real_world_coordinates" if (root / "real_world_coordinates").is_dir() else root
    if not d.is_dir():
        raise DatasetError(f"MSR Action3D directory {d} does not exist")
    used = next((p for p in (root / MSR_USED_LIST, d.parent / MSR_USED_LIST) if p.is_file()), None)
    if used is not None:
        stems = [s.strip() for s in used.read_text().split() if s.strip()]
    else:
        stems = sorted(p.name.replace("_skeleton3D.txt", "") for p in d.glob("a*_s*_e*_skeleton3D.txt"))
        if stats is not None:
            stats["msr_unlisted"] = f"no {MSR_USED_LIST} in {root}: all {len(stems)} sequences are used"
    items = []
    for s in stems:
        f = d / f"{s}_skeleton3D.txt"
        if not f.exists():
            raise DatasetError(f"MSR Action3D file {f} listed but missing")
        ids = parse_msr_name(s)
        if not ids:
            raise DatasetError(f"MSR Action3D name {s!r} is not aAA_sSS_eEE")
        items.append((s, lambda f=f: read_msr_action3d(f), ids["action"] - 1, ids["subject"], 0))
    if not items:
        raise DatasetError(f"no MSR Action3D files under {root}")
    return MSR_LABELS, items


def ntu_labels(num_classes: int = 60) -> list[str]:
    """Class names A001..: the official names bundled in ``assets/labels_ntu120.json``, the names the
    bundled descriptions are keyed by (label maps found beside a copy of the data, such as PYSKL's
    ``label_maps/nturgbd_120.txt``, word some classes differently and are not read)."""
    return json.loads((assets_dir() / "labels_ntu120.json").read_text(encoding="utf-8"))[:num_classes]


def _scan_ntu(root: Path, missing: set[str], dataset: str = "ntu60",
              stats: dict | None = None) -> tuple[list[str], list[Item]]:
    d = root / "ntu_rgbd_skeleton_samples" if (root / "ntu_rgbd_skeleton_samples").is_dir() else root
    num_classes, max_setup = NTU_VARIANTS[dataset]
    items, listed = [], []
    for f in sorted(d.glob("S*C*P*R*A*.skeleton")):
        ids = parse_ntu_name(f.stem)
        if not ids or ids["action"] > num_classes or ids["setup"] > max_setup:
            continue
        if f.stem in missing:
            listed.append(f.stem)
            continue
        items.append((f.stem, lambda f=f: read_ntu_skeleton(f), ids["action"] - 1, ids["performer"],
                      ids["camera"]))
    if stats is not None:
        stats["missing_skipped"] = listed
    if not items:
        raise DatasetError(f"no {dataset} .skeleton files (SxxxCxxxPxxxRxxxAxxx.skeleton, actions "
                           f"A001-A{num_classes:03d}, setups S001-S{max_setup:03d}) under {root}"
                           + (f"; {len(listed)} skipped as listed missing skeletons" if listed else ""))
    return ntu_labels(num_classes), items


def scan(dataset: str, root: str | Path, ntu_missing: set[str] | None = None,
         stats: dict | None = None) -> tuple[list[str], list[Item]]:
    """Labels and items of *dataset* under *root* (raises :class:`DatasetError`).

    NTU samples named in *ntu_missing* are left out (``None``: the bundled published list; an empty
    set keeps everything); *stats*, if given, receives their names under ``"missing_skipped"`` (and,
    for MSR Action3D without its list of used files, a note under ``"msr_unlisted"``).
    """
    root = Path(root)
    if dataset not in DATASETS:
        raise DatasetError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    if not root.is_dir():
        raise DatasetError(f"data directory {root} does not exist")
    if dataset == "nw-ucla":
        sub = root / "nw_ucla" if (root / "nw_ucla").is_dir() else root
        return _scan_nw_ucla(sub)
    if dataset == "msr-action3d":
        sub = root / "msr_action3d" if (root / "msr_action3d").is_dir() else root
        return _scan_msr(sub, stats)
    missing = load_missing_list() if ntu_missing is None else set(ntu_missing)
    return _scan_ntu(root, missing, dataset, stats)


def load_missing_list(path: str | Path | None = None) -> set[str]:
    """Sample names of an NTU missing-skeleton list (one per line; ``#`` comments, blank lines and
    ``.skeleton`` suffixes ignored). ``None``: the bundled list (NTU-60 + NTU-120, 535 names); the
    string ``"none"``: an empty set (skip nothing). Other text lines (the official files' two-line
    prose header) are ignored too."""
    if path is None:
        path = assets_dir() / "ntu_missing_skeletons.txt"
    elif str(path).lower() == "none":
        return set()
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"NTU missing-skeleton list {path} does not exist")
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.split("#", 1)[0].strip().split(".")[0]
        if s and parse_ntu_name(s) and len(s) == 20:
            names.add(s)
    return names


def load_dataset(
    dataset: str,
    root: str | Path,
    cache_dir: str | Path | None = "runs/cache",
    feature_config: FeatureConfig | None = None,
    ntu_missing: set[str] | None = None,
    progress: bool = True,
) -> ClipSet:
    """Read (or load from the npz cache) every clip of *dataset*; skips and reports unusable ones."""
    cfg = feature_config or FeatureConfig()
    stats: dict = {}
    labels, items = scan(dataset, root, ntu_missing, stats)
    if stats.get("msr_unlisted") and progress:
        print(f"{stats['msr_unlisted']} (the papers' protocol uses the 557 it lists)")
    if stats.get("missing_skipped") and progress:
        print(f"skipped {len(stats['missing_skipped'])} NTU samples on the missing-skeleton list, "
              f"e.g. {stats['missing_skipped'][0]}")
    names = [i[0] for i in items]
    key_src = [dataset, str(Path(root).resolve()), cfg.to_dict(), MIN_FRAMES, READER_VERSION, names, labels]
    key = hashlib.sha1(json.dumps(key_src).encode()).hexdigest()[:12]
    cache = Path(cache_dir) / f"{dataset}_{key}.npz" if cache_dir else None
    if cache is not None and cache.exists():
        return _load_cache(cache, cfg)
    names, targets, subjects, views, joints, confs, feats, skipped = [], [], [], [], [], [], [], []
    for name, loader, label, subject, view in tqdm(items, desc=f"reading {dataset}", disable=not progress):
        try:
            j, c = prepare(loader(), cfg, name)
        except (DatasetError, ValueError) as e:
            skipped.append(f"{name}: {e}")
            continue
        names.append(name)
        targets.append(label)
        subjects.append(subject)
        views.append(view)
        joints.append(j)
        confs.append(c)
        feats.append(compute_features(j, c, cfg))
    if skipped and progress:
        print(f"skipped {len(skipped)} unusable sequences, e.g. {skipped[0]}")
    if not names:
        raise DatasetError(f"no usable {dataset} sequences under {root}")
    cs = ClipSet(dataset, labels, names, np.array(targets), np.array(subjects), np.array(views),
                 joints, confs, feats, cfg)
    if cache is not None:
        _save_cache(cache, cs)
    return cs


def _save_cache(path: Path, cs: ClipSet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lengths = cs.lengths()
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(
        tmp, lengths=lengths, joints=np.concatenate(cs.joints), confidence=np.concatenate(cs.confidence),
        features=np.concatenate(cs.features), targets=cs.targets, subjects=cs.subjects, views=cs.views,
        names=np.array(cs.names), labels=np.array(cs.labels), dataset=np.array(cs.dataset),
    )
    tmp.replace(path)


def _load_cache(path: Path, cfg: FeatureConfig) -> ClipSet:
    z = np.load(path)
    cuts = np.cumsum(z["lengths"])[:-1]
    return ClipSet(
        str(z["dataset"]), [str(s) for s in z["labels"]], [str(s) for s in z["names"]], z["targets"],
        z["subjects"], z["views"], np.split(z["joints"], cuts), np.split(z["confidence"], cuts),
        np.split(z["features"], cuts), cfg,
    )
