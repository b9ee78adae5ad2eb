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
    ({"cotrain_split": "test"}, SettingsError, "unknown co-training split 'test'"),
    ({"init": "no-such-run/last.pt"}, SettingsError, "--init no-such-run/last.pt: no such checkpoint file"),
    ({"teacher": ["t.pt"]}, SettingsError, "--teacher t.pt: no such checkpoint file"),
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


def test_a_file_that_is_not_a_training_checkpoint_is_named_in_one_clear_error(tmp_path) -> None:
    """Corrupt bytes, another program's pickle or a missing file: a ModelError naming the file, for every
    reader of checkpoints (evaluate, export, soup, --init, --resume)."""
    import torch

    from skelapp.core.recognizer import ModelError
    from skelapp.training.checkpoints import read_checkpoint

    garbage, foreign = tmp_path / "garbage.pt", tmp_path / "foreign.pt"
    garbage.write_bytes(bytes(range(256)) * 4)
    torch.save({"weights": torch.zeros(3)}, foreign)
    for path, message in ((garbage, "garbage.pt: not a readable training checkpoint"),
                          (foreign, "foreign.pt: not a skelapp training checkpoint"),
                          (tmp_path / "gone.pt", "checkpoint not found: .*gone.pt")):
        with pytest.raises(ModelError, match=message):
            read_checkpoint(path)
    torch.save({"model": {}, "meta": {"dataset": "nw-ucla"}}, foreign)
    assert read_checkpoint(foreign)["meta"] == {"dataset": "nw-ucla"}
