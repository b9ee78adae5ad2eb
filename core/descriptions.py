"""Human-readable action descriptions (whole action + per body part) for the GUI.

Files live in ``assets/descriptions/<dataset>.json``::

    {"dataset": "ntu60",
     "classes": [{"name": "drink water", "action": "...",
                  "parts": {"head": "...", "hands": "...", "arms": "...",
                            "hips": "...", "legs": "...", "feet": "..."}}, ...]}

Load one by dataset name (:func:`load_descriptions`) or pick the file that best matches a
model's label list (:func:`descriptions_for_labels`); look classes up by name with
:meth:`Descriptions.get` (exact, then case/punctuation-insensitive).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .assets import assets_dir
from .errors import SkelappError

BODY_PARTS: tuple[str, ...] = ("head", "hands", "arms", "hips", "legs", "feet")


class DescriptionFormatError(SkelappError, ValueError):
    """A descriptions file is malformed; the message names the file and the problem."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class ActionDescription:
    name: str
    action: str
    parts: dict[str, str] = field(default_factory=dict)

    def ordered_parts(self) -> list[tuple[str, str]]:
        """Known parts in head-to-feet order, then any extra parts in file order."""
        known = [(p, self.parts[p]) for p in BODY_PARTS if p in self.parts]
        extra = [(p, t) for p, t in self.parts.items() if p not in BODY_PARTS]
        return known + extra


def normalize_name(name: str) -> str:
    """Case-, punctuation- and whitespace-insensitive key: ``"Eat meal/snack"`` -> ``"eat meal snack"``."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold()).split())


@dataclass
class Descriptions:
    dataset: str
    classes: list[ActionDescription]
    path: str = ""

    def __post_init__(self) -> None:
        self._exact = {c.name: c for c in self.classes}
        self._norm = {normalize_name(c.name): c for c in self.classes}

    def __len__(self) -> int:
        return len(self.classes)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.classes]

    def get(self, name: str) -> ActionDescription | None:
        """Description for class *name*, or None when the file does not describe it."""
        return self._exact.get(name) or self._norm.get(normalize_name(name))

    def __getitem__(self, name: str) -> ActionDescription:
        d = self.get(name)
        if d is None:
            raise KeyError(f"{self.dataset}: no description for class {name!r}")
        return d

    def coverage(self, labels: Sequence[str]) -> float:
        """Fraction of *labels* this file describes."""
        return sum(lab in self for lab in labels) / len(labels) if labels else 0.0


def default_directory() -> Path:
    """``assets/descriptions`` of the installed package."""
    return assets_dir() / "descriptions"


def _str_field(obj: dict, key: str, path: Path, where: str) -> str:
    val = obj.get(key)
    if not isinstance(val, str) or not val.strip():
        raise DescriptionFormatError(path, f"{where}: {key!r} must be a non-empty string, got {val!r}")
    return val.strip()


def parse_descriptions(data: object, path: str | Path = "<memory>") -> Descriptions:
    """Validate parsed JSON *data* and build :class:`Descriptions`."""
    path = Path(path)
    if not isinstance(data, dict):
        raise DescriptionFormatError(path, f"top level must be an object, got {type(data).__name__}")
    dataset = data.get("dataset", path.stem)
    if not isinstance(dataset, str):
        raise DescriptionFormatError(path, f"'dataset' must be a string, got {dataset!r}")
    classes = data.get("classes")
    if not isinstance(classes, list):
        raise DescriptionFormatError(path, "'classes' must be a list of class objects")
    out: list[ActionDescription] = []
    seen: set[str] = set()
    for i, c in enumerate(classes):
        where = f"classes[{i}]"
        if not isinstance(c, dict):
            raise DescriptionFormatError(path, f"{where} must be an object, got {type(c).__name__}")
        name = _str_field(c, "name", path, where)
        where = f"{where} ({name!r})"
        action = _str_field(c, "action", path, where)
        parts = c.get("parts", {})
        if not isinstance(parts, dict):
            raise DescriptionFormatError(path, f"{where}: 'parts' must be an object of part -> text")
        for p, t in parts.items():
            if not isinstance(t, str):
                raise DescriptionFormatError(path, f"{where}: part {p!r} must be a string, got {t!r}")
        key = normalize_name(name)
        if key in seen:
            raise DescriptionFormatError(path, f"{where}: duplicate class name")
        seen.add(key)
        out.append(ActionDescription(name, action, {str(p): t.strip() for p, t in parts.items()}))
    return Descriptions(dataset, out, str(path))


def load_file(path: str | Path) -> Descriptions:
    """Read and validate one descriptions JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DescriptionFormatError(path, f"not valid JSON: {e}") from e
    return parse_descriptions(data, path)


def available_datasets(directory: str | Path | None = None) -> list[str]:
    d = Path(directory) if directory is not None else default_directory()
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def load_descriptions(dataset: str, directory: str | Path | None = None) -> Descriptions:
    """Load ``<directory>/<dataset>.json`` (default: the bundled assets)."""
    d = Path(directory) if directory is not None else default_directory()
    path = d / f"{dataset}.json"
    if not path.exists():
        known = ", ".join(available_datasets(d)) or "none"
        raise FileNotFoundError(f"no action descriptions for dataset {dataset!r} in {d} (available: {known})")
    return load_file(path)


def descriptions_for_labels(
    labels: Sequence[str], directory: str | Path | None = None, min_coverage: float = 0.5
) -> Descriptions | None:
    """The descriptions file that covers most of *labels* (None if none covers *min_coverage*).

    Malformed files raise :class:`DescriptionFormatError` rather than being skipped silently.
    """
    best, best_cov = None, 0.0
    for name in available_datasets(directory):
        desc = load_descriptions(name, directory)
        cov = desc.coverage(labels)
        if cov > best_cov:
            best, best_cov = desc, cov
    return best if best is not None and best_cov >= min_coverage else None
