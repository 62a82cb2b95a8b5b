from pathlib import Path

import pytest

from textcnn.data.paths import resolve_data_dir


def test_argument_wins_over_environment(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("TEXTCNN_DATA", str(tmp_path))
    assert resolve_data_dir(data_dir) == Path(data_dir).resolve()


def test_environment_is_used_when_no_argument(data_dir, monkeypatch):
    monkeypatch.setenv("TEXTCNN_DATA", str(data_dir))
    assert resolve_data_dir() == Path(data_dir).resolve()


def test_neither_given_names_both_ways(monkeypatch):
    monkeypatch.delenv("TEXTCNN_DATA", raising=False)
    with pytest.raises(ValueError, match="TEXTCNN_DATA") as info:
        resolve_data_dir(None)
    assert "data_dir" in str(info.value)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        resolve_data_dir(tmp_path / "nope")
