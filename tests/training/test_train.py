"""training/train.py: settings that cannot train together are refused before anything is read or
written (no run directory, no dataset read: the data path here does not even exist)."""

from __future__ import annotations

import pytest

from skelapp.training.datasets import DatasetError
from skelapp.training.train import SettingsError, TrainConfig, check_settings, train, uses_lst


@pytest.mark.parametrize(("overrides", "error", "message"), [
    ({"cotrain": ["nw-ucla"]}, DatasetError, "each once"),
    ({"cotrain": ["msr-action3d", "msr-action3d"]}, DatasetError, "each once"),
    ({"objective": "jigsaw"}, SettingsError, "unknown objective 'jigsaw'"),
    ({"decay_to_init": True}, SettingsError, "give --init"),
    ({"objective": "masked", "mix": "mixup"}, SettingsError, "does not combine with batch mixing"),
    ({"objective": "masked", "val_fraction": 0.1}, SettingsError, "a validation hold-out"),
    ({"objective": "masked", "mask_target": "colour"}, SettingsError, "unknown mask target 'colour'"),
    ({"mix": "cutout"}, SettingsError, "mix 'cutout'"),
    ({"mix": "mixup", "mix_prob": 1.5}, SettingsError, "probability 1.5"),
    ({"batching": "sorted"}, ValueError, "unknown batching 'sorted'"),
])
def test_refused_settings_leave_nothing_behind(tmp_path, overrides, error, message) -> None:
    out = tmp_path / "run"
    cfg = TrainConfig(data=str(tmp_path / "no-such-data"), out=str(out), **overrides)
    with pytest.raises(error, match=message):
        train(cfg, progress=False, log_epochs=False)
    assert not out.exists()


def test_lst_without_class_descriptions_is_refused_before_the_run_starts(tmp_path, monkeypatch) -> None:
    from skelapp.training import text

    monkeypatch.setitem(text.DESCRIPTION_FILE, "ntu120", "no-such-descriptions")
    out = tmp_path / "run"
    cfg = TrainConfig(dataset="ntu120", data=str(tmp_path / "no-such-data"), out=str(out))
    with pytest.raises(DatasetError, match="language supervision needs class descriptions .*no-such-desc"):
        train(cfg, progress=False, log_epochs=False)
    assert not out.exists()
    check_settings(TrainConfig(dataset="ntu120", lst=False))  # without LST no class texts are needed


def test_the_same_settings_pass_where_they_fit() -> None:
    check_settings(TrainConfig(objective="masked", mask_target="motion"))  # no labels, no mixing: fine
    check_settings(TrainConfig(cotrain=["msr-action3d"], mix="parts", mix_prob=1.0))


def test_lst_only_where_labels_are_read() -> None:
    assert uses_lst(TrainConfig())
    assert not uses_lst(TrainConfig(lst=False))
    assert not uses_lst(TrainConfig(objective="masked"))  # a pretraining reads no class texts
    assert not uses_lst(TrainConfig(objective="contrastive"))
