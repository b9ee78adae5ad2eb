"""Action descriptions loader: by dataset, by label list, lookup, malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skelapp.core.assets import assets_dir
from skelapp.core.descriptions import (
    BODY_PARTS,
    DescriptionFormatError,
    available_datasets,
    descriptions_for_labels,
    load_descriptions,
    load_file,
    normalize_name,
)

PARTS = {p: f"{p} text" for p in BODY_PARTS}


def _write(d: Path, name: str, data) -> Path:
    p = d / f"{name}.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


@pytest.fixture
def desc_dir(tmp_path: Path) -> Path:
    _write(tmp_path, "toy", {"dataset": "toy", "classes": [
        {"name": "drink water", "action": "Lifts a cup to the mouth.", "parts": PARTS},
        {"name": "eat meal/snack", "action": "Brings food to the mouth.", "parts": {"hands": "hold"}},
    ]})
    _write(tmp_path, "other", {"dataset": "other", "classes": [
        {"name": "walk around", "action": "Walks.", "parts": PARTS},
    ]})
    return tmp_path


def test_load_by_dataset_and_lookup(desc_dir: Path) -> None:
    d = load_descriptions("toy", desc_dir)
    assert d.dataset == "toy" and len(d) == 2
    assert d["drink water"].action == "Lifts a cup to the mouth."
    assert d.get("Eat Meal / Snack").name == "eat meal/snack"  # normalised lookup
    assert d.get("fly") is None and "fly" not in d
    assert [p for p, _ in d["drink water"].ordered_parts()] == list(BODY_PARTS)
    with pytest.raises(KeyError, match="fly"):
        d["fly"]


def test_pick_by_labels(desc_dir: Path) -> None:
    assert available_datasets(desc_dir) == ["other", "toy"]
    assert descriptions_for_labels(["drink water", "eat meal/snack", "x"], desc_dir).dataset == "toy"
    assert descriptions_for_labels(["walk around"], desc_dir).dataset == "other"
    assert descriptions_for_labels(["nothing", "matches"], desc_dir) is None


def test_missing_dataset_names_available(desc_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="available: other, toy"):
        load_descriptions("nope", desc_dir)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "top level must be an object"),
        ({"dataset": "x"}, "'classes' must be a list"),
        ({"classes": ["a"]}, r"classes\[0\] must be an object"),
        ({"classes": [{"action": "a"}]}, "'name' must be a non-empty string"),
        ({"classes": [{"name": "a"}]}, "'action' must be a non-empty string"),
        ({"classes": [{"name": "a", "action": "b", "parts": ["x"]}]}, "'parts' must be an object"),
        ({"classes": [{"name": "a", "action": "b", "parts": {"head": 3}}]}, "part 'head' must be a string"),
        ({"classes": [{"name": "a", "action": "b"}, {"name": "A", "action": "c"}]}, "duplicate"),
    ],
)
def test_malformed_files_raise_clear_errors(tmp_path: Path, data, match: str) -> None:
    p = _write(tmp_path, "bad", data)
    with pytest.raises(DescriptionFormatError, match=match) as ei:
        load_file(p)
    assert str(p) in str(ei.value)


def test_normalize_name() -> None:
    assert normalize_name("  Eat meal/Snack ") == "eat meal snack"


def test_bundled_files_are_valid() -> None:
    names = available_datasets()
    assert {"nw-ucla", "msr-action3d", "ntu120"} <= set(names)
    for n in names:
        d = load_descriptions(n)
        assert len(d) > 0
        for c in d.classes:  # the whole action and all six body parts, each a real sentence
            assert set(c.parts) == set(BODY_PARTS), (n, c.name)
            assert all(len(t) >= 20 for t in (c.action, *c.parts.values())), (n, c.name)


@pytest.mark.parametrize(("labels", "dataset"), [("labels_nw_ucla.json", "nw-ucla"),
                                                 ("labels_ntu120.json", "ntu120")])
def test_bundled_label_maps_are_described_in_order(labels: str, dataset: str) -> None:
    names = json.loads((assets_dir() / labels).read_text(encoding="utf-8"))
    d = load_descriptions(dataset)
    assert d.names == names
    assert descriptions_for_labels(names).dataset == dataset
    # NTU RGB+D 60 is the first 60 classes of NTU-120: the same file describes its models
    assert descriptions_for_labels(names[:60]).dataset == dataset
