"""predict_files on hostile input: one output row per input line, whatever the line holds; complete output files
only; memory that does not grow with the input."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import textcnn
from textcnn.classify.classifier import PredictStats
from textcnn.classify.predict import _read_txt_lines, predict_files
from textcnn.data.files import read_texts


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return textcnn.load(tiny_model_dir)


def _predict_jsonl(clf, data: bytes, folder: Path, **kwargs) -> tuple[list[dict], PredictStats]:
    source = folder / "in.txt"
    source.write_bytes(data)
    out = folder / "out.jsonl"
    stats = predict_files(None, [str(source)], out, fmt="jsonl", all_probs=True, classifier=clf, **kwargs)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], stats


def _probabilities(rows: list[dict], labels: list[str]) -> np.ndarray:
    proba = [[row["probabilities"][name] for name in labels] for row in rows]
    return np.array(proba, dtype=np.float64).reshape(len(rows), len(labels))


_RTL = "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 superb"
# (raw bytes of one line without its "\n", the text the model must see)
_LINES = [
    (b"the film was superb", "the film was superb"),
    (b"", ""),
    (b"   \t ", "   \t "),
    (b"dull\r", "dull"),  # CRLF line
    (b"great\rawful", "great\rawful"),  # a lone CR does not end a line
    ("fun\u0085boring".encode(), "fun\u0085boring"),  # NEL
    ("good\u2028bad\u2029x".encode(), "good\u2028bad\u2029x"),  # LINE / PARAGRAPH SEPARATOR
    (b"bad\x00good\x00", "bad\x00good\x00"),  # NUL bytes
    (_RTL.encode(), _RTL),  # Hebrew and Arabic, right to left
    ("😀🎬 great 👍🏽".encode(), "😀🎬 great 👍🏽"),
    (b"caf\xe9 dull", "caf\xe9 dull"),  # cp1252 (not UTF-8): decoded as cp1252, as training files are
    (b"superb \xff\xfe\x81", "superb \xff\xfe\ufffd"),  # 0x81 is not cp1252 either: a replacement character
    (b"\x0c\x0b\x1c\x1d\x1e", "\x0c\x0b\x1c\x1d\x1e"),  # form feed, vertical tab, file/group/record separators
]  # fmt: skip


def test_every_line_gets_exactly_one_row_in_order(clf, tmp_path):
    data = b"\xef\xbb\xbf" + b"\n".join(raw for raw, _ in _LINES) + b"\n"  # a UTF-8 BOM first
    rows, stats = _predict_jsonl(clf, data, tmp_path)
    texts = [text for _, text in _LINES]
    assert len(rows) == len(_LINES)
    np.testing.assert_allclose(_probabilities(rows, clf.labels), clf.predict_proba(texts), atol=1e-5)
    assert rows[0]["label"] == "pos" and rows[3]["label"] == "neg"
    assert (stats.n, stats.not_utf8, stats.replaced) == (len(_LINES), 2, 1)


@pytest.mark.parametrize(
    ("data", "n"),
    [(b"", 0), (b"\n", 1), (b"last line without newline", 1), (b"a\r\nb\r\n", 2), (b"a\rb\rc", 1),
     (b"\r\n\r\n\n", 3), (b"\xef\xbb\xbf", 1), ("x\u0085y\u2028z\n".encode(), 1)],
)  # fmt: skip
def test_only_newline_bytes_end_a_line(clf, tmp_path, data, n):
    rows, _ = _predict_jsonl(clf, data, tmp_path)
    assert len(rows) == n


def test_a_ten_megabyte_line(clf, tmp_path):
    huge = ("superb " + "y" * 93 + " ") * 100_000  # 10 MB, 200,000 tokens
    data = f"dull\n{huge}\n\ngreat\n".encode()
    assert len(data) > 10_000_000
    rows, stats = _predict_jsonl(clf, data, tmp_path)
    assert [r["label"] for r in rows] == ["neg", "pos", rows[2]["label"], "pos"] and stats.n == 4


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=40), max_size=15))
def test_any_lines_give_one_row_each_with_probabilities_summing_to_one(clf, texts):
    data = "".join(text + "\n" for text in texts).encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        rows, stats = _predict_jsonl(clf, data, Path(folder))
    assert len(rows) == len(texts) == stats.n
    proba = _probabilities(rows, clf.labels)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert all(row["label"] in clf.labels for row in rows)


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=200)
    | st.lists(
        st.sampled_from([b"\n", b"\r", b"\xef\xbb\xbf", b"\xc2\x85", b"\xe9", b"\xff", b"\x81", b"a", "é".encode()])
    ).map(b"".join)
)
def test_the_counting_reader_reads_the_same_lines_as_read_texts(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.txt"
        path.write_bytes(data)
        stats = PredictStats()
        assert list(_read_txt_lines(str(path), stats)) == list(read_texts(path))
    lines = data.split(b"\n")
    lines = lines[:-1] if data.endswith(b"\n") else lines
    bom = b"\xef\xbb\xbf"
    lines = [line[len(bom) :] if i == 0 and line.startswith(bom) else line for i, line in enumerate(lines)]
    assert stats.not_utf8 == sum(1 for line in lines if not _is_utf8(line.rstrip(b"\r")))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_replacement_characters_are_counted_in_csv_and_jsonl(clf, tmp_path):
    (tmp_path / "in.csv").write_bytes(b"text\ngood \xff film\nfine\n")
    (tmp_path / "in.jsonl").write_bytes(b'{"text": "dull \xfe"}\n')
    stats = predict_files(
        None, [str(tmp_path / "in.csv"), str(tmp_path / "in.jsonl")], tmp_path / "o.tsv", classifier=clf
    )
    assert (stats.n, stats.replaced) == (3, 2)
    assert len((tmp_path / "o.tsv").read_text().splitlines()) == 1 + 3


def test_a_truncated_gzip_input_is_a_clear_error(clf, tmp_path):
    path = tmp_path / "in.txt.gz"
    path.write_bytes(gzip.compress(b"good film\n" * 1_000)[:60])
    with pytest.raises(ValueError, match=r"in.txt.gz: not a complete gzip file"):
        predict_files(None, [str(path)], tmp_path / "out.tsv", classifier=clf)
    assert not (tmp_path / "out.tsv").exists()


def test_output_file_is_complete_or_untouched(clf, tmp_path):
    out = tmp_path / "out.tsv"
    out.write_text("old predictions\n")
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text("".join(json.dumps({"text": f"great {i}"}) + "\n" for i in range(9_000)))
    bad.write_text(good.read_text() + "{not json\n")
    with pytest.raises(ValueError, match=r"bad.jsonl: line 9001 is not valid JSON"):
        predict_files(None, [str(bad)], out, classifier=clf)  # fails after the first 8,192 rows were written
    assert out.read_text() == "old predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "good.jsonl", "out.tsv"]  # no temp file left
    old = os.umask(0o022)
    try:
        predict_files(None, [str(good)], out, classifier=clf)
    finally:
        os.umask(old)
    assert len(out.read_text().splitlines()) == 1 + 9_000
    assert out.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "good.jsonl", "out.tsv"]


def test_an_unwritable_output_fails_before_the_model_is_loaded(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"cannot write output file .*a-file/sub/out.tsv: Not a directory"):
        predict_files(tmp_path / "no-model-here", ["-"], blocker / "sub" / "out.tsv")
    with pytest.raises(ValueError, match=r"output .* is a folder"):
        predict_files(tmp_path / "no-model-here", ["-"], tmp_path)


def _expected_labels(clf, texts: list[str], order: list[int]) -> list[str]:
    labels = clf.predict(texts)
    return [labels[i] for i in order]


def _write_lines(path: Path, texts: list[str], order: list[int]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(texts[i] + "\n" for i in order)


@pytest.mark.slow  # subprocesses
def test_memory_does_not_grow_with_the_number_of_lines(clf, tiny_model_dir, tmp_path):
    """Peak RSS of `textcnn predict` on 20,000 and 150,000 lines (run side by side) is the same within noise (2 MiB
    here), and every line comes out, in order. Keeping each ~80-byte text would add 17 MiB (measured)."""
    filler = " the film and the plot was quite a story" * 2
    texts = [t + filler for t in ("superb film", "a dull plot", "great fun", "boring", "awful music")] + [""]
    rng = random.Random(0)
    runs = {}
    for n in (20_000, 150_000):
        order = [rng.randrange(len(texts)) for _ in range(n)]
        _write_lines(tmp_path / f"in{n}.txt", texts, order)
        command = [sys.executable, "-m", "textcnn.cli.main", "predict", str(tiny_model_dir),
                   str(tmp_path / f"in{n}.txt"), "-o", str(tmp_path / f"out{n}.tsv")]  # fmt: skip
        runs[n] = (order, subprocess.Popen(command, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"}))
    peak = {}
    for n, (order, proc) in runs.items():
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0, proc.stderr.read().decode()
        peak[n] = usage.ru_maxrss / 1024  # MiB (Linux reports KiB)
        predicted = [row.split("\t")[0] for row in (tmp_path / f"out{n}.tsv").read_text().splitlines()[1:]]
        assert predicted == _expected_labels(clf, texts, order)
    assert peak[150_000] < peak[20_000] + 8, peak


def test_a_symlinked_output_keeps_the_link_and_replaces_its_target(clf, tmp_path):
    (tmp_path / "in.txt").write_text("great\ndull\n")
    target, link = tmp_path / "real.tsv", tmp_path / "link.tsv"
    target.write_text("old\n")
    link.symlink_to(target)
    predict_files(None, [str(tmp_path / "in.txt")], link, classifier=clf)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert [row.split("\t")[0] for row in target.read_text().splitlines()] == ["label", "pos", "neg"]


def test_a_broken_quote_in_a_csv_input_is_an_error_naming_its_line_not_two_rows(clf, tmp_path):
    """Issue #19: a 1,000-row CSV whose row 2 opens a quote it never closes gave 2 predictions and exit code 0."""
    rows = [f"{i},a great film number {i}" for i in range(1, 1001)]
    rows[1] = '2,"a great film, and the quote never closes'
    source = tmp_path / "rows.csv"
    source.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.tsv"
    with pytest.raises(ValueError, match=r"rows\.csv: line 3: a quoted field opens .* still open after 201 lines"):
        predict_files(None, [str(source)], out, classifier=clf)
    assert not out.exists()
    rows[1] = '2,"a great film, and the quote closes"'
    source.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert predict_files(None, [str(source)], out, classifier=clf).n == 1000
    assert len(out.read_text().splitlines()) == 1 + 1000


def test_a_jsonl_text_that_is_not_a_string_is_an_error_naming_its_line(clf, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "great"}\n{"text": 42}\n')
    with pytest.raises(ValueError, match=r"in\.jsonl: line 2: text 'text' is an integer \(42\), expected a string"):
        predict_files(None, [str(source)], tmp_path / "out.tsv", classifier=clf)
