"""The read report of a dataset (rows read, used, skipped and why) and its summary lines."""

from __future__ import annotations

import pytest

from textcnn.data.files import load_files
from textcnn.data.registry import load_dataset
from textcnn.data.report import RowLog, format_read_report


def test_row_log_counts_and_strict():
    log = RowLog("f.csv")
    log.read = 9
    for n in range(7):
        log.skip(f"line {n + 2}", "blank line")
    log.skip("line 20", "empty text (skip_empty=True)", problem=False)
    log.used = 1
    log.change("HTML removed", 0)
    report = log.as_dict()
    assert (report["rows_read"], report["rows_used"], report["rows_skipped"]) == (9, 1, 8)
    assert report["skipped"]["blank line"] == {"count": 7, "first": ["line 2", "line 3", "line 4", "line 5", "line 6"]}
    assert report["changed"] == {}
    assert format_read_report({"file": log.file, **report}) == [
        "f.csv: 9 rows read, 1 used, 8 skipped (blank line: 7 (line 2, line 3, line 4, line 5, line 6, ...); empty "
        "text (skip_empty=True): 1 (line 20))"
    ]
    strict = RowLog("f.csv", strict=True)
    strict.skip("line 3", "empty text (skip_empty=True)", problem=False)
    with pytest.raises(ValueError, match=r"f.csv: line 4: blank line \(refused: strict\)"):
        strict.skip("line 4", "blank line")


def test_the_summary_of_a_file_dataset(tmp_path):
    train = tmp_path / "train.txt"
    train.write_bytes(b"__label__pos caf\xe9 ok\n\n__label__neg bad \x81 byte\n__label__pos fine\n")
    splits = load_files(train=train, dev_fraction=0)
    assert splits.label_names == ["neg", "pos"]
    assert format_read_report(splits.report) == [
        f"{train}: 4 rows read, 3 used, 1 skipped (blank line: 1 (line 2)), '__label__' prefix removed from the "
        "label: 3, decoded as cp1252, 1 lines with replacement characters (lines 3)"
    ]


def test_the_summary_of_a_benchmark(data_dir):
    splits = load_dataset("cr", data_dir, skip_empty=True)
    assert format_read_report(splits.report) == [
        "custrev.all: 3775 rows read, 3771 used, 4 skipped (label-only line (skip_empty=True): 4 (line 769, "
        "line 1368, line 3691, line 3775))"
    ]
    assert format_read_report({"source": "a Hub dataset"}) == []
