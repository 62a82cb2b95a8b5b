"""Property tests of issue #19's rule for every reader of users' files (training, evaluation and prediction; CSV, TSV,
JSON lines, plain lines, ``label<TAB>text`` and ``label text`` lines): each physical row becomes exactly one example
or output, in order, with its text intact; or the reader raises a ``ValueError`` naming the file and the line of the
broken row. Files are generated with random quoting, embedded line breaks and separators, CR/CRLF, a BOM, UTF-8 or
cp1252 bytes, blank lines and (sometimes) one broken row; the counts of the report are checked, not just "no
exception"."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textcnn.data.files import FileOptions, read_labelled_file, read_texts

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Characters whose cp1252 bytes (0x80-0xBF) can never start a UTF-8 sequence: a line holding one is not UTF-8, so
# per-line detection decodes it as cp1252 and gives the text back.
CP1252_SAFE = "\u2026\u20ac\u00a3\u00a9\u00ab\u00b0"
_AWKWARD = ",\t\"\n\r '<>&;|" + CP1252_SAFE
LABELS = ("pos", "neg", "7")


def _text(encoding: str, newlines: bool = True):
    """Texts the line rule gives back unchanged (a CR right before a line break is part of that line break)."""
    awkward = _AWKWARD if newlines else _AWKWARD.replace("\n", "")
    other = st.sampled_from("xyz")
    if encoding == "utf-8":
        other = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="" if newlines else "\n")
    chars = st.sampled_from(awkward) | st.sampled_from("ab ") | other
    return st.text(chars, max_size=12).filter(lambda t: "\r\n" not in t and not t.endswith("\r"))


@dataclass
class Case:
    """A generated file: its bytes, the rows it holds and, when one is broken, the line of that row."""

    data: bytes
    encoding: str = "utf-8"
    texts: list[str] = field(default_factory=list)  # one per data row (blank lines give "")
    labels: list[str] = field(default_factory=list)
    blank: list[bool] = field(default_factory=list)
    broken_line: int | None = None


def _encode(text: str, encoding: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


@st.composite
def csv_cases(draw, *, delimiter: str, columns: tuple[str, ...]):
    encoding = draw(st.sampled_from(["utf-8", "cp1252"]))
    rows = draw(st.lists(st.tuples(_text(encoding), st.sampled_from(LABELS)), max_size=8))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    case = Case(b"", encoding)
    blanks = draw(st.lists(st.integers(0, len(rows)), max_size=2))
    broken = draw(st.none() | st.integers(0, len(rows)))
    for i in range(len(rows) + 1):
        if i in blanks:
            out.write("\n")
            case.texts.append(""), case.labels.append(""), case.blank.append(True)
        if i == broken:
            case.broken_line = out.getvalue().count("\n") + 1
            out.write(draw(_broken_csv_row(delimiter, len(columns))))
        if i < len(rows):
            text, label = rows[i]
            writer.writerow((text, label)[: len(columns)])
            case.texts.append(text), case.labels.append(label), case.blank.append(False)
    case.data = _encode(out.getvalue(), encoding, bom=encoding == "utf-8" and draw(st.booleans()))
    return case


def _broken_csv_row(delimiter: str, width: int):
    plain = st.text(st.sampled_from("abc xyz"), min_size=1, max_size=8)
    unterminated = plain.map(lambda t: '"' + t + (delimiter + "pos" if width > 1 else "") + "\n")
    extra_field = plain.map(lambda t: delimiter.join([t] * (width + 1)) + "\n")
    return unterminated | extra_field


@st.composite
def jsonl_cases(draw):
    rows = draw(st.lists(st.tuples(_text("utf-8"), st.sampled_from(LABELS + (3,))), max_size=8))
    ascii_only = draw(st.booleans())
    lines, case = [], Case(b"")
    broken = draw(st.none() | st.integers(0, len(rows)))
    for i in range(len(rows) + 1):
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
            case.texts.append(""), case.labels.append(""), case.blank.append(True)
        if i == broken:
            case.broken_line = len(lines) + 1
            lines.append(draw(st.sampled_from(['{"text": oops}', '{"text": 3, "label": "pos"}', '3',
                                               '{"text": "a", "label": ["neg", "pos"]}', '{"text": "a", "label": 1.0}',
                                               '{"label": "pos"}'])))  # fmt: skip
        if i < len(rows):
            text, label = rows[i]
            lines.append(json.dumps({"label": label, "text": text}, ensure_ascii=ascii_only))
            case.texts.append(text), case.labels.append(str(label)), case.blank.append(False)
    case.data = "".join(line + draw(st.sampled_from(["\n", "\r\n"])) for line in lines).encode()
    return case


def _check(case: Case, name: str, read, reported=None):
    """Run ``read`` and return what it returns, or ``None`` when the case has a broken row: then ``read`` must raise
    a ``ValueError`` naming the file and that row's line or, if the rest of the file is valid CSV that closes the
    broken quote, ``reported(result, warnings)`` must show the record of several lines that hides it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = read()
        except ValueError as err:
            message = str(err)
            assert case.broken_line is not None, (message, case)
            assert name in message and f"line {case.broken_line}" in message, (message, case)
            return None
    if case.broken_line is not None:
        assert reported is not None and reported(result, [str(w.message) for w in caught]), (result, case)
        return None
    return result


def _write(folder: str, name: str, data: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(data)
    return path


def _check_training(case: Case, path: Path, fmt: str, *, physical_lines: int | None = None) -> None:
    """Training/evaluation reader: examples = non-blank rows, in order; blank rows skipped and counted."""
    if not any(not b for b in case.blank) and case.broken_line is None:
        with pytest.raises(ValueError, match="no examples|file is empty"):
            read_labelled_file(path, FileOptions(format=fmt, strip_html=False))
        return
    read = lambda: read_labelled_file(path, FileOptions(format=fmt, strip_html=False))  # noqa: E731
    result = _check(case, path.name, read, lambda result, _: result[2]["multiline_rows"]["count"] > 0)
    if result is None:
        return
    split, names, info = result
    rows = [i for i, b in enumerate(case.blank) if not b]
    assert split.texts == [case.texts[i] for i in rows]
    assert [names[y] for y in split.labels] == [case.labels[i] for i in rows]
    assert (info["rows_read"], info["rows_used"], info["rows_skipped"]) == (len(case.blank), len(rows), sum(case.blank))
    if physical_lines is not None:  # every physical line is the header, a row, or a further line of a row
        assert 1 + info["rows_read"] + info["multiline_rows"]["extra_lines"] == physical_lines


def _check_prediction(case: Case, path: Path, fmt: str, *, exact_text: bool) -> None:
    """Prediction reader: one text per physical row (blank rows give ""), in order."""
    spans = lambda _, messages: any("span several lines" in m for m in messages)  # noqa: E731
    texts = _check(case, path.name, lambda: list(read_texts(path, format=fmt)), spans)
    if texts is None:
        return
    assert len(texts) == len(case.texts)
    if exact_text:
        assert texts == case.texts


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
@SETTINGS
@given(data=st.data())
def test_csv_and_tsv_rows_for_training(fmt, delimiter, data):
    case = data.draw(csv_cases(delimiter=delimiter, columns=("text", "label")))
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, f"train.{fmt}", case.data)
        _check_training(case, path, fmt, physical_lines=case.data.count(b"\n"))


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
@SETTINGS
@given(data=st.data())
def test_csv_and_tsv_rows_for_prediction(fmt, delimiter, data):
    case = data.draw(csv_cases(delimiter=delimiter, columns=("text",)))
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, f"rows.{fmt}", case.data)
        _check_prediction(case, path, fmt, exact_text=case.encoding == "utf-8")  # CSV inputs to predict are UTF-8


@SETTINGS
@given(case=jsonl_cases())
def test_jsonl_rows_for_training_and_prediction(case):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "train.jsonl", case.data)
        _check_training(case, path, "json")
        if case.broken_line is None or "label" not in case.data.decode().splitlines()[case.broken_line - 1]:
            _check_prediction(case, path, "jsonl", exact_text=True)


@SETTINGS
@given(
    texts=st.lists(_text("utf-8", newlines=False), max_size=10),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
    ending=st.sampled_from(["\n", "\r\n"]),
    last_newline=st.booleans(),
)
def test_plain_lines_for_prediction(texts, encoding, ending, last_newline):
    if encoding == "cp1252":
        texts = [t.translate({ord(c): "x" for c in t if c not in CP1252_SAFE and not c.isascii()}) for t in texts]
    last_newline = last_newline or texts[-1:] == [""]  # else the last, empty, line would not exist
    content = ending.join(texts) + (ending if texts and last_newline else "")
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "in.txt", content.encode(encoding))
        assert list(read_texts(path)) == texts


@pytest.mark.parametrize("fmt", ["tab", "kim"])
@SETTINGS
@given(data=st.data())
def test_label_text_lines_for_training(fmt, data):
    sep = "\t" if fmt == "tab" else " "
    text = _text("utf-8", newlines=False).map(str.strip).filter(lambda t: t and (fmt == "tab" or not t[0].isspace()))
    rows = data.draw(st.lists(st.tuples(st.sampled_from(LABELS), text | st.just("")), min_size=1, max_size=8))
    blanks = data.draw(st.lists(st.integers(0, len(rows)), max_size=2))
    case = Case(b"")
    lines = []
    for i in range(len(rows) + 1):
        if i in blanks:
            lines.append(data.draw(st.sampled_from(["", " ", "\t"])))
            case.texts.append(""), case.labels.append(""), case.blank.append(True)
        if i < len(rows):
            label, body = rows[i]
            lines.append(f"{'__label__' * data.draw(st.booleans())}{label}{sep}{body}")
            case.texts.append(body.strip()), case.labels.append(label), case.blank.append(False)
    case.data = "\n".join(lines).encode() + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "train.txt", case.data)
        _check_training(case, path, fmt, physical_lines=None)


@SETTINGS
@given(data=st.data())
def test_strict_refuses_what_lenient_reading_skips(data):
    """``strict=True``: a blank row or a row spanning several lines is an error naming its line."""
    case = data.draw(csv_cases(delimiter=",", columns=("text", "label")).filter(lambda c: c.broken_line is None))
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "train.csv", case.data)
        try:
            lenient = read_labelled_file(path, FileOptions(strip_html=False))
        except ValueError as err:
            assert "no examples" in str(err)
            return
        try:
            split, _, info = read_labelled_file(path, FileOptions(strict=True, strip_html=False))
        except ValueError as err:
            assert "train.csv: line " in str(err) and "refused: strict" in str(err)
            assert lenient[2]["rows_skipped"] or lenient[2]["multiline_rows"]["count"]
            return
        assert info["rows_skipped"] == 0 and info["multiline_rows"]["count"] == 0 and split == lenient[0]
