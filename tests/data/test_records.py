"""The row readers of users' files (textcnn/data/records.py) and the rules the labelled-file reader applies to their
rows: CSV/TSV quoting and line structure, JSON lines and arrays, Parquet, the types of texts and labels."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from textcnn.data.files import FileOptions, load_files, load_text_file, read_labelled_file, read_texts
from textcnn.data.records import QuoteLimits, csv_rows, json_rows


def _csv(text: str, columns=("text", "label"), **kwargs) -> list:
    return [(row.where, row.values, row.lines) for row in csv_rows(text.split("\n")[:-1], "f.csv", columns, **kwargs)]


def test_csv_rows_know_their_lines_and_blank_lines():
    rows = _csv('text,label\n"two\nlines",a\n\nplain,b\n" ",c\n')
    assert rows == [("line 2", ("two\nlines", "a"), 2), ("line 4", None, 1), ("line 5", ("plain", "b"), 1),
                    ("line 6", (" ", "c"), 1)]  # fmt: skip


def test_a_cr_inside_a_line_is_text_not_a_line_break():
    """Python's csv.writer leaves a lone CR unquoted; the csv reader would end the record there."""
    assert _csv('text,label\na\rb,x\n"c\rd",y\n') == [("line 2", ("a\rb", "x"), 1), ("line 3", ("c\rd", "y"), 1)]
    assert _csv("text\n\ufdd0r\ufdd0\r\n", columns=("text",)) == [("line 2", ("\ufdd0r\ufdd0\r",), 1)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('text,label\na,x\n"open,x\nb,y\n', r"line 3: a quoted field .* never closes \(it runs to the end of the file"),
        ('text,label\n"open,x\n"b",y\n', r"line 2: a quoted field .* spans 2 lines, breaking the quoting rules"),
        ("text,label\na,x\nb,y,z\n", r"line 3 has 3 fields, expected 2"),
        ('text,label\n"a\nb",x\nc,y,z\n', r"line 4 has 3 fields, expected 2 \(or a quote opened earlier: the record "
                                          r"at line 2 spans 2 lines\)"),
        ("label\nx\n", r"no column 'text'; columns: label"),
    ],
)  # fmt: skip
def test_broken_csv_is_an_error_naming_file_and_line(content, message):
    with pytest.raises(ValueError, match=r"f\.csv: " + message):
        _csv(content)


def test_the_quote_limits_are_configurable_and_checked(tmp_path):
    content = 'text,label\n"' + "long\n" * 30 + '",x\nb,y\n'
    assert len(_csv(content)) == 2
    with pytest.raises(ValueError, match=r"line 2: .* still open after 11 lines .*quote_max_lines=10"):
        _csv(content, limits=QuoteLimits(max_lines=10))
    with pytest.raises(ValueError, match=r"line 2: .* still open after 3 lines"):
        _csv(content, limits=QuoteLimits(max_chars=10))
    assert _csv('text\n"' + "x" * 50 + '"\n', columns=("text",), limits=QuoteLimits(max_chars=10))  # one line: fine
    path = tmp_path / "t.csv"
    path.write_text(content + "c,x\n")
    assert len(load_files(train=path, quote_max_lines=40).train) + 1 == 3  # one held out as dev
    with pytest.raises(ValueError, match=r"t.csv: line 2: .*quote_max_lines=10"):
        load_files(train=path, quote_max_lines=10)
    with pytest.raises(ValueError, match=r"quote_max_lines must be an integer >= 1, got 0"):
        list(read_texts(path, quote_max_lines=0))


def test_json_arrays_give_line_numbers_and_refuse_trailing_data():
    text = '[\n  {"text": "a", "label": 1},\n  {"text": "b",\n   "label": 2}\n]'
    assert [(r.where, r.values) for r in json_rows(text.split("\n"), "f.json", ("text", "label"))] == [
        ("line 2", ("a", 1)), ("line 3", ("b", 2))]  # fmt: skip
    for bad, message in (('[{"text": "a"}] x', "line 1: more data after the JSON array"),
                         ('[\n{"text": "a"}\n{"text": "b"}]', "line 3: expected ',' or ']'"),
                         ('[\n{"text": oops}]', "line 2 is not valid JSON")):  # fmt: skip
        with pytest.raises(ValueError, match=f"f.json: {message}"):
            list(json_rows(bad.split("\n"), "f.json", ("text",)))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"text": "a", "label": ["neg", "pos"]}, r"label 'label' is a list .*multi-label is not supported yet"),
        ({"text": "a", "label": 1.0}, r"label 'label' is a float \(1.0\); labels must be strings or integers"),
        ({"text": "a", "label": True}, r"label 'label' is a boolean"),
        ({"text": "a", "label": {"x": 1}}, r"label 'label' is an object"),
        ({"text": 3, "label": "pos"}, r"text 'text' is an integer \(3\), expected a string"),
        ({"text": ["a"], "label": "pos"}, r"text 'text' is a list"),
        ({"text": "a", "label": None}, r"line 2 has an empty label"),
        ({"label": "pos"}, r"line 2 has no field 'text'"),
    ],
)
def test_json_texts_are_strings_and_labels_strings_or_integers(tmp_path, record, message):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"text": "fine", "label": "neg"}) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(ValueError, match=r"train\.jsonl: line 2" + (": " if "has" not in message else "") + ".*"):
        load_text_file(path)
    with pytest.raises(ValueError, match=message):
        load_text_file(path)


def test_labels_keep_one_type_across_files_and_formats(tmp_path):
    """An integer label is the same label in JSON lines, Parquet and CSV; a float label is an error, not "1.0"."""
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in [("a", 1), ("b", 10), ("c", "1")]))
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\nd,10\ne,1\n")
    test = tmp_path / "test.parquet"
    pq.write_table(pa.table({"text": ["f", "g"], "label": pa.array([1, 10], pa.int64())}), test)
    splits = load_files(train=train, dev=dev, test=test)
    assert splits.label_names == ["1", "10"] and splits.dev.labels == [1, 0] and splits.test.labels == [0, 1]
    pq.write_table(pa.table({"text": ["f"], "label": [1.0]}), test)
    with pytest.raises(ValueError, match=r"test\.parquet: row 1: label 'label' is a float \(1.0\)"):
        load_files(train=train, test=test)


def test_fasttext_lines_with_two_labels_are_refused(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("__label__pos fine\n__label__pos __label__neg mixed feelings\n")
    with pytest.raises(ValueError, match=r"train\.txt: line 2: labels '__label__pos' and '__label__neg'; multi-label"):
        read_labelled_file(path)


def test_blank_rows_are_skipped_and_counted_or_refused_with_strict(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text('text,label\na,x\n\nb,y\n"c\nd",x\n')
    split, _, info = read_labelled_file(path)
    assert split.texts == ["a", "b", "c\nd"]
    assert (info["rows_read"], info["rows_used"], info["rows_skipped"]) == (4, 3, 1)
    assert info["skipped"] == {"blank line": {"count": 1, "first": ["line 3"]}}
    assert info["multiline_rows"] == {"count": 1, "extra_lines": 1, "first": ["line 5: 2 lines"]}
    with pytest.raises(ValueError, match=r"train\.csv: line 3: blank line \(refused: strict\)"):
        read_labelled_file(path, FileOptions(strict=True))
    path.write_text('text,label\na,x\n"c\nd",y\n')
    with pytest.raises(ValueError, match=r"train\.csv: line 3: one row spans 2 lines .*refused: strict"):
        read_labelled_file(path, FileOptions(strict=True))


def test_skip_empty_counts_what_it_drops_per_file(tmp_path):
    train = tmp_path / "train.tsv"
    train.write_text("pos\tgood\nneg\t\npos\tfine\nneg\tdull\nneg\t<br />\n")
    splits = load_files(train=train, dev=train, skip_empty=True, strip_html=True)
    assert splits.train.texts == ["good", "fine", "dull"]
    info = splits.report["files"]["train"]
    assert info["skipped"]["empty text (skip_empty=True)"] == {"count": 2, "first": ["line 2", "line 5"]}
    assert splits.report["empty_examples"]["dropped"] == {"train": 2, "dev": 2}
    load_files(train=train, dev=train, skip_empty=True, strict=True)  # a skip asked for is no problem for strict
