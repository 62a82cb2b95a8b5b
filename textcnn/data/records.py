"""Rows of CSV/TSV, JSON (lines or one array) and Parquet files, each with the line (or row) it starts at.

Training, evaluation and prediction read users' files through these functions, so one rule holds for all of them:
every physical row is yielded exactly once (a blank line as a :class:`Row` without values) or a ``ValueError``
names the file, the line and what is wrong. Lines come from :mod:`textcnn.data.encoding` (lines end at ``\\n``
only).

CSV/TSV records are parsed by the standard ``csv`` module (lenient quoting, as spreadsheets write it). A quoted
field may hold line breaks; one that runs to the end of the file, spans more than ``max_lines`` lines or
``max_chars`` characters, or whose record breaks the quoting rules (``"a"b``) once it spans several lines, is a
broken quote: the error names the line where that record (and so the quote) starts. A record with another number of
fields than the header is an error too.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: A quoted CSV field spanning more lines than this is taken for a quote that was never closed.
QUOTE_MAX_LINES = 200
#: ... and so is a quoted field spanning several lines and more characters than this.
QUOTE_MAX_CHARS = 1_000_000
# csv ends a record at a lone CR, but here only "\n" ends a line: a CR travels to csv escaped as ESC + "r" (and ESC, a
# Unicode noncharacter, as ESC + ESC). ESC + "eof", which no escaped line can hold, is fed to csv after the last line
# to see whether a quote is still open.
_ESC = "\ufdd0"
_ESCAPED = re.compile(_ESC + "(.)", re.DOTALL)
_EOF_MARK = _ESC + "eof"
_MISSING = object()
_JSON_SPACE = re.compile(r"[ \t\n\r]*")

csv.field_size_limit(sys.maxsize)  # one line may be megabytes long (the limits above bound multi-line fields)


def missing_column(file, column: str, available) -> ValueError:
    """The error for a file without ``column``: it lists the file's columns and the options that choose others."""
    return ValueError(
        f"{file}: no column {column!r}; columns: {', '.join(map(str, available))} (choose them with --text-column "
        f"and --label-column, or --column for predict)"
    )


@dataclass(frozen=True)
class Row:
    """One physical row of a file.

    Attributes:
        where: Its place for messages: ``"line 12"`` (the line it starts at) or ``"row 3"`` (Parquet).
        values: One value per requested column, or ``None`` for a blank line.
        lines: The physical lines it spans (more than 1 for a CSV record whose quoted field holds line breaks).
    """

    where: str
    values: tuple | None
    lines: int = 1


@dataclass(frozen=True)
class QuoteLimits:
    """How far a quoted CSV field may run before it is taken for a broken (never closed) quote."""

    max_lines: int = QUOTE_MAX_LINES
    max_chars: int = QUOTE_MAX_CHARS

    def __post_init__(self) -> None:
        for name in ("max_lines", "max_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"quote_{name} must be an integer >= 1, got {value!r}")


class _RunawayQuote(Exception):
    """Raised by the line feed when one record grows past the limits."""


class _LineFeed:
    """The lines handed to ``csv.reader``, counted so that every record is known by the lines it spans."""

    def __init__(self, lines: Iterable[str], limits: QuoteLimits) -> None:
        self._lines = iter(lines)
        self.limits = limits
        self.line = 0  # the last line handed out
        self.start = 1  # the first line of the current record
        self.record: list[str] = []  # the lines of the current record, as handed out
        self.chars = 0
        self.at_end = False  # the end-of-file mark was handed out
        self.escaped = False  # a line held a CR (or ESC): fields need unescaping
        self.last_span: tuple[int, int] | None = None  # (first line, lines) of the last earlier multi-line record

    def __iter__(self) -> _LineFeed:
        return self

    def begin_record(self) -> None:
        if len(self.record) > 1:
            self.last_span = (self.start, len(self.record))
        self.start, self.record, self.chars = self.line + 1, [], 0

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            if self.at_end:
                raise
            self.at_end = True
            self.line += 1
            return _EOF_MARK + "\n"
        self.line += 1
        self.chars += len(line)
        if "\r" in line or _ESC in line:
            self.escaped = True
            line = line.replace(_ESC, _ESC + _ESC).replace("\r", _ESC + "r")
        self.record.append(line + "\n")
        if len(self.record) > self.limits.max_lines or (len(self.record) > 1 and self.chars > self.limits.max_chars):
            raise _RunawayQuote
        return line + "\n"


def _earlier(feed: _LineFeed) -> str:
    """Where else to look: valid CSV can close a broken quote, which then hides in a record of several lines."""
    if feed.last_span is None:
        return ""
    return f" (or a quote opened earlier: the record at line {feed.last_span[0]} spans {feed.last_span[1]} lines)"


def _broken_quote(name: str, feed: _LineFeed, why: str) -> ValueError:
    return ValueError(
        f"{name}: line {feed.start}: a quoted field opens in the record starting here and {why}; is a closing quote "
        f'missing? (a field may hold line breaks, written as "..."){_earlier(feed)}'
    )


def _check_multiline(name: str, feed: _LineFeed, delimiter: str) -> None:
    """A record spanning several lines must follow the quoting rules exactly, else a quote broke it."""
    try:
        parsed = list(csv.reader(feed.record, delimiter=delimiter, strict=True))
    except csv.Error as err:
        why = f"spans {len(feed.record)} lines, breaking the quoting rules ({err})"
        raise _broken_quote(name, feed, why) from None
    if len(parsed) != 1:  # cannot happen for well-formed quoting; kept as the check of the line structure
        raise ValueError(f"{name}: line {feed.start}: {len(feed.record)} lines gave {len(parsed)} records")


def _next_record(reader, feed: _LineFeed, name: str, delimiter: str) -> list[str] | None:
    feed.begin_record()
    try:
        fields = next(reader)
    except StopIteration:
        return None
    except _RunawayQuote:
        limits = feed.limits
        why = (
            f"is still open after {len(feed.record)} lines ({feed.chars} characters; limits: quote_max_lines="
            f"{limits.max_lines}, quote_max_chars={limits.max_chars})"
        )
        raise _broken_quote(name, feed, why) from None
    except csv.Error as err:
        raise ValueError(f"{name}: line {feed.line}: malformed CSV ({err})") from None
    if feed.at_end:
        if fields == [_EOF_MARK]:
            return None
        raise _broken_quote(name, feed, f"never closes (it runs to the end of the file, line {feed.line - 1})")
    if len(feed.record) > 1:
        _check_multiline(name, feed, delimiter)
    return [_unescape(f) for f in fields] if feed.escaped else fields


def _unescape(field: str) -> str:
    return _ESCAPED.sub(lambda m: "\r" if m.group(1) == "r" else m.group(1), field) if _ESC in field else field


def csv_rows(
    lines: Iterable[str],
    name: str,
    columns: Sequence[str],
    *,
    delimiter: str = ",",
    limits: QuoteLimits | None = None,
) -> Iterator[Row]:
    """The records of a CSV/TSV file with a header row, as the values of ``columns``.

    Args:
        lines: The file's lines (without line breaks), e.g. from :func:`textcnn.data.encoding.iter_lines`.
        name: The file's name, for messages.
        columns: Header names to return, in this order.
        delimiter: ``","`` or ``"\\t"``.
        limits: When a quoted field is taken for a broken quote.

    Yields:
        One :class:`Row` per record after the header (``values=None`` for a blank line).

    Raises:
        ValueError: A missing column, a broken quote, a record with the wrong number of fields (line named).
    """
    feed = _LineFeed(lines, limits or QuoteLimits())
    reader = csv.reader(feed, delimiter=delimiter)
    header = _next_record(reader, feed, name, delimiter)
    if header is None:
        return
    missing = [c for c in columns if c not in header]
    if missing:
        raise missing_column(name, missing[0], header)
    positions = [header.index(c) for c in columns]
    while (fields := _next_record(reader, feed, name, delimiter)) is not None:
        where = f"line {feed.start}"
        if not fields or (len(header) > 1 and len(fields) == 1 and not fields[0].strip()):
            yield Row(where, None)
        elif len(fields) != len(header):
            raise ValueError(f"{name}: {where} has {len(fields)} fields, expected {len(header)}{_earlier(feed)}")
        else:
            yield Row(where, tuple(fields[p] for p in positions), len(feed.record))


_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
               float: "a float", type(None): "null"}  # fmt: skip


def _json_type(value: object) -> str:
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")


def _record_values(record: object, where: str, name: str, columns: Sequence[str], bare_text: bool) -> tuple:
    if isinstance(record, str) and bare_text:
        return (record,)
    if not isinstance(record, dict):
        raise ValueError(f"{name}: {where} is {_json_type(record)}, expected a JSON object")
    values = tuple(record.get(c, _MISSING) for c in columns)
    for column, value in zip(columns, values, strict=True):
        if value is _MISSING:
            raise ValueError(f"{name}: {where} has no field {column!r}")
    return values


def _array_items(text: str, name: str) -> Iterator[tuple[int, object]]:
    """``(line, value)`` for each element of a JSON array, decoded one by one by the standard JSON decoder."""
    decoder = json.JSONDecoder()
    breaks = [m.start() for m in re.finditer("\n", text)]
    pos = _JSON_SPACE.match(text, text.index("[") + 1).end()
    while not text.startswith("]", pos):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise ValueError(f"{name}: line {err.lineno} is not valid JSON ({err.msg})") from None
        yield bisect.bisect_left(breaks, pos) + 1, value
        pos = _JSON_SPACE.match(text, end).end()
        if text.startswith(",", pos):
            pos = _JSON_SPACE.match(text, pos + 1).end()
        elif not text.startswith("]", pos):
            raise ValueError(f"{name}: line {bisect.bisect_left(breaks, pos) + 1}: expected ',' or ']' in the array")
    if text[pos + 1 :].strip():
        raise ValueError(f"{name}: line {bisect.bisect_left(breaks, pos) + 1}: more data after the JSON array")


def json_rows(lines: Iterable[str], name: str, columns: Sequence[str], *, bare_text: bool = False) -> Iterator[Row]:
    """The records of a JSON-lines file (one object per line) or of a file holding one JSON array of objects.

    Args:
        lines: The file's lines (without line breaks).
        name: The file's name, for messages.
        columns: Fields to return, in this order.
        bare_text: Accept a JSON string as a record holding just the text (prediction inputs).

    Yields:
        One :class:`Row` per line (``values=None`` for a blank line), or per element of the array.

    Raises:
        ValueError: A line that is not JSON, a record that is not an object, a missing field (line named).
    """
    lines = iter(lines)
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    if head and head[-1].lstrip().startswith("["):
        text = "\n".join([*head, *lines])
        for number, record in _array_items(text, name):
            yield Row(f"line {number}", _record_values(record, f"line {number}", name, columns, bare_text))
        return
    for number, line in enumerate(itertools.chain(head, lines), start=1):
        where = f"line {number}"
        if not line.strip():
            yield Row(where, None)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{name}: {where} is not valid JSON ({err.msg})") from None
        yield Row(where, _record_values(record, where, name, columns, bare_text))


def parquet_rows(path: str | Path, columns: Sequence[str]) -> Iterator[Row]:
    """The rows of a Parquet file, as the values of ``columns`` (streamed in batches).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: A missing column or a file that is not Parquet.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not Path(path).is_file():
        raise FileNotFoundError(f"input file not found: {str(path)!r}")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise ValueError(f"{path}: not a readable Parquet file ({err})") from None
    names = parquet.schema_arrow.names
    missing = [c for c in columns if c not in names]
    if missing:
        raise missing_column(path, missing[0], names)
    number = 0
    for batch in parquet.iter_batches(columns=list(columns), batch_size=4096):
        for values in zip(*(batch.column(c).to_pylist() for c in columns), strict=True):
            number += 1
            yield Row(f"row {number}", values)


def text_value(value: object, where: str, name: str, column: str) -> str:
    """A text cell as a string: strings as they are, a missing value (JSON ``null``) as ``""``.

    Raises:
        ValueError: Any other type (a number, a list ...), naming the file, the place and the type.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise ValueError(f"{name}: {where}: text {column!r} is {_json_type(value)} ({value!r:.60}), expected a string")


def label_value(value: object, where: str, name: str, column: str) -> str:
    """A label cell as its label name: a string (surrounding whitespace stripped) or an integer (``7`` -> ``"7"``,
    so the label of a JSON or Parquet file matches that of a CSV file); a missing value gives ``""``.

    Raises:
        ValueError: A list (multi-label files are read with ``multi_label=True``), a float, a boolean or an
            object, naming the file, the place and the type.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    found = f"{name}: {where}: label {column!r} is {_json_type(value)} ({value!r:.60})"
    if isinstance(value, list):
        raise ValueError(
            f"{found}; multi-label is not supported yet in a single-label run: set data.multi_label=true (train "
            "--multi-label) to read lists of labels, or give one label per row"
        )
    raise ValueError(f"{found}; labels must be strings or integers")
