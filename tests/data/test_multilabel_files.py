"""Users' multi-label files: JSONL label lists, CSV cells split at a separator, errors naming file and line."""

from __future__ import annotations

import pytest

from textcnn.classify.multilabel import MultiLabelSplit
from textcnn.data.files import FileOptions, load_files, read_labelled_file

MULTI = FileOptions(multi_label=True)


def test_jsonl_lists_and_strings(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"text": "one", "label": ["b", "a"]}\n{"text": "two", "label": "c"}\n\n{"text": "three", "label": []}\n'
        '{"text": "four", "label": ["__label__a", 7]}\n',
        encoding="utf-8",
    )
    split, names, info = read_labelled_file(path, MULTI)
    assert isinstance(split, MultiLabelSplit) and names == ["7", "a", "b", "c"]
    assert split.label_sets() == [[1, 2], [3], [], [0, 1]]
    assert info["examples_without_labels"] == 1 and info["skipped"]["blank line"]["count"] == 1
    assert info["changed"] == {"'__label__' prefix removed from the label": 1}


def test_csv_cells_split_at_the_separator(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('text,label\n"x, y",a | b\nz,b\nw,\n', encoding="utf-8")
    split, names, _ = read_labelled_file(path, MULTI)
    assert names == ["a", "b"] and split.labels == [(1, 1), (0, 1), (0, 0)]
    split, names, _ = read_labelled_file(path, FileOptions(multi_label=True, label_separator=";"))
    assert names == ["a | b", "b"]  # another separator: the cell is one label


def test_errors_name_file_and_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a", "label": ["x"]}\n{"text": "b", "label": [1.5]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.jsonl: line 2: label 'label' holds 1\.5 \(float\)"):
        read_labelled_file(path, MULTI)
    with pytest.raises(ValueError, match=r"t\.jsonl: line 1: label 'label' is a list.*data\.multi_label=true"):
        read_labelled_file(path)  # single-label reading refuses a list
    dev = tmp_path / "dev.jsonl"
    dev.write_text('{"text": "a", "label": ["x", "q"]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"dev\.jsonl: line 1 has label 'q', which is not a training label \(x\)"):
        read_labelled_file(dev, MULTI, label_names=["x"])
    with pytest.raises(ValueError, match="label_separator must not be empty"):
        FileOptions(multi_label=True, label_separator="")


def test_file_dataset_holds_out_a_seeded_dev(tmp_path):
    path = tmp_path / "train.csv"
    rows = [f"text {i},{'a|b' if i % 3 == 0 else 'a' if i % 3 == 1 else 'b'}" for i in range(40)]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    splits = load_files(train=path, multi_label=True, dev_fraction=0.25, seed=3)
    assert splits.multi_label and splits.label_names == ["a", "b"]
    assert len(splits.train) == 30 and len(splits.dev) == 10
    assert sorted(splits.train.texts + splits.dev.texts) == sorted(f"text {i}" for i in range(40))
    again = load_files(train=path, multi_label=True, dev_fraction=0.25, seed=3)
    assert again.dev.texts == splits.dev.texts
    assert splits.summary()["train"]["a"] + splits.summary()["dev"]["a"] == 27  # texts carrying label a
