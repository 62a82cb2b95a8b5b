"""Issue #19: every physical row of a user's file becomes exactly one example / output, or is reported with its
file and line; nothing is lost silently. Regression tests for the cases reported in the issue (and #17)."""

from __future__ import annotations

import json

import pytest

from textcnn.data.files import load_text_file, read_labelled_file, read_texts


def _rows_csv(n: int, broken: int) -> str:
    """A header and ``n`` rows; row ``broken`` (1-based: physical line ``broken + 1``) opens a quote never closed."""
    rows = [f"review number {i} was {'good' if i % 2 else 'bad'},{'pos' if i % 2 else 'neg'}" for i in range(1, n + 1)]
    rows[broken - 1] = '"an unterminated quote starts here,neg'
    return "text,label\n" + "\n".join(rows) + "\n"


def test_a_broken_quote_in_a_prediction_csv_is_an_error_naming_its_line(tmp_path):
    """Issue #19, case 1: a 1,000-row ``id,text`` CSV whose row 2 has an unterminated quote gave 2 texts, no error."""
    rows = [f"{i},review number {i}" for i in range(1, 1001)]
    rows[1] = '2,"an unterminated quote starts here'
    path = tmp_path / "rows.csv"
    path.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"rows\.csv: line 3: ") as info:
        list(read_texts(path))
    assert "quote" in str(info.value)


def test_a_broken_quote_in_a_training_csv_is_reported_where_it_opens(tmp_path):
    """Issue #19, case 2: an unterminated quote at line 11 of a 60-line file was reported at line 61."""
    path = tmp_path / "train.csv"
    path.write_text(_rows_csv(59, broken=10), encoding="utf-8")
    with pytest.raises(ValueError, match=r"train\.csv: line 11: ") as info:
        load_text_file(path)
    assert "quote" in str(info.value) and "line 61" not in str(info.value).split("line 11")[0]


def test_a_list_label_in_jsonl_is_an_error_naming_line_and_type(tmp_path):
    """Issue #19, case 3: `"label": ["neg", "pos"]` became a third class named "['neg', 'pos']"."""
    rows = [{"text": "good", "label": "pos"}, {"text": "bad", "label": "neg"}, {"text": "meh", "label": ["neg", "pos"]}]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(ValueError, match=r"train\.jsonl: line 3: .*label.*list.*multi-label is not supported yet"):
        load_text_file(path)


def test_fasttext_label_prefix_is_stripped_and_reported(tmp_path):
    """Issue #17: `__label__pos text` lines kept the prefix in the label names."""
    path = tmp_path / "train.txt"
    path.write_text("__label__pos a fine film\n__label__neg a dull film\n__label__pos great\n", encoding="utf-8")
    split, names, info = read_labelled_file(path)
    assert (
        names == ["neg", "pos"] and split.labels == [1, 0, 1] and split.texts == ["a fine film", "a dull film", "great"]
    )
    assert info["changed"]["'__label__' prefix removed from the label"] == 3
