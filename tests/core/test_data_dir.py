"""The real-data lookup: $SKELAPP_DATA first, and only folders holding SOURCES.md count."""

from __future__ import annotations

from skelapp.core import data_dir


def test_env_folder_with_marker_wins(tmp_path, monkeypatch):
    (tmp_path / "SOURCES.md").write_text("x")
    monkeypatch.setenv("SKELAPP_DATA", str(tmp_path))
    assert data_dir.data_dir_candidates()[0] == tmp_path
    assert data_dir.find_data_dir() == tmp_path


def test_folders_without_marker_are_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("SKELAPP_DATA", str(tmp_path))  # exists, but no SOURCES.md
    monkeypatch.setattr(data_dir, "data_dir_candidates", lambda: [tmp_path, tmp_path / "missing"])
    assert data_dir.find_data_dir() is None
    good = tmp_path / "shared" / "data"
    good.mkdir(parents=True)
    (good / "SOURCES.md").write_text("x")
    monkeypatch.setattr(data_dir, "data_dir_candidates", lambda: [tmp_path, good])
    assert data_dir.find_data_dir() == good
