"""scripts/readout_check.py (decisions dev14, dev55): its last-frame readout is `skelapp evaluate`'s,
its running mean is the mean of the probabilities over each observed prefix, and its latter-half
mean the mean over the last half of each prefix."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
from _helpers import SMALL

from skelapp.training.cli import train_main
from skelapp.training.datasets import load_dataset
from skelapp.training.evaluate import evaluate, model_feature_config, per_frame_logits
from skelapp.training.splits import split_indices

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "readout_check.py"


def load_script():
    spec = importlib.util.spec_from_file_location("readout_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_running_mean_is_the_mean_of_each_prefix() -> None:
    p = np.random.default_rng(0).dirichlet(np.ones(4), size=7)
    got = load_script().running_mean(p)
    assert np.allclose(got, [p[: t + 1].mean(0) for t in range(7)])
    assert np.allclose(got.sum(1), 1.0)


def test_latter_half_mean_averages_the_last_half_of_each_prefix() -> None:
    p = np.random.default_rng(1).dirichlet(np.ones(3), size=9)
    got = load_script().latter_half_mean(p)
    # prefix of t frames: its last ceil(t / 2) frames (1 -> 1, 2 -> 1, 3 -> 2, ..., 9 -> 5)
    assert np.allclose(got, [p[(t + 1) // 2 : t + 1].mean(0) for t in range(9)])
    capped = [p[t + 1 - min((t + 2) // 2, 2) : t + 1].mean(0) for t in range(9)]  # at most 2 frames
    assert np.allclose(load_script().latter_half_mean(p, cap=2), capped)


def test_readout_check_end_to_end(tiny_ucla, tmp_path, capsys) -> None:
    cache = str(tmp_path / "cache")
    common = ["--dataset", "nw-ucla", "--data", str(tiny_ucla), "--model", SMALL, "--cache-dir", cache,
              "--quiet", "--epochs", "2", "--no-lst", "--val-fraction", "0", "--lr", "1e-2"]
    models = []
    for stream in ("joint", "bone"):
        assert train_main([*common, "--out", str(tmp_path / stream), "--stream", stream]) == 0
        models.append(str(tmp_path / stream / "last.pt"))
    capsys.readouterr()
    res = load_script().main([*models, "--data", str(tiny_ucla), "--cache-dir", cache, "--json"])
    assert json.loads(capsys.readouterr().out) == res
    assert list(res) == [*models, "ensemble"]
    for m in models:  # the last-frame readout is exactly what `skelapp evaluate` reports
        ref = evaluate(m, "nw-ucla", tiny_ucla, cache_dir=cache)
        assert res[m]["last"] == {"top1": ref["top1"], "early": ref["early"]}
    # the running-mean readout, recomputed independently: argmax of the mean softmax over all frames
    clips = load_dataset("nw-ucla", tiny_ucla, cache, model_feature_config(models[0]), progress=False)
    test = split_indices(clips)[1]
    logits, _ = per_frame_logits(models[0], [clips.features[i] for i in test])
    probs = [np.exp(lg) / np.exp(lg).sum(1, keepdims=True) for lg in logits]
    hits = [p.mean(0).argmax() == y for p, y in zip(probs, clips.targets[test], strict=True)]
    assert res[models[0]]["mean"]["top1"] == float(np.mean(hits) * 100)
    hits = [p[max(len(p) // 2, len(p) - 64) :].mean(0).argmax() == y
            for p, y in zip(probs, clips.targets[test], strict=True)]
    assert res[models[0]]["half"]["top1"] == float(np.mean(hits) * 100)
