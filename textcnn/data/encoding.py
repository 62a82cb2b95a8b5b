"""The one line reader of textcnn: byte-exact lines with a declared or detected encoding, and a tally of what
decoding had to repair. Training files, prediction inputs, word2vec corpora and the Kim files are all read here.

What a line is: the bytes up to a ``b"\\n"``, split *before* decoding, so bytes such as cp1252's 0x85 (an ellipsis,
which latin-1 turns into U+0085 NEL and ``str.splitlines`` treats as a line break) never split a line; nothing else
(a lone CR, NEL, U+2028, NUL) ends a line. Trailing ``\\r`` bytes are removed (CRLF files) and a UTF-8 byte-order
mark at the start is dropped. Each line is decoded on its own: with the declared codec, or (detection) as strict
UTF-8, else strict cp1252; a line that fails is decoded with U+FFFD replacement characters (counted, with its line
number) or, with ``strict=True``, refused with a ``ValueError`` naming the file and line. Only ASCII-compatible
encodings (UTF-8, cp1252, latin-1, ...) are supported. ``.gz`` files are decompressed and ``"-"`` is standard input.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

# Detection order: strict UTF-8 (which also accepts pure ASCII), then strict Windows-1252.
DETECT_ORDER: tuple[str, ...] = ("utf-8", "cp1252")
MAX_REPORTED_LINES = 5
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def check_encoding(encoding: str) -> str:
    """Normalise a codec name (``"CP1252"`` -> ``"cp1252"``) or raise ``ValueError`` naming an unknown one."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


@dataclass
class LineTally:
    """What :func:`iter_lines` did while streaming a file.

    Attributes:
        lines: Lines read.
        by_encoding: Lines holding non-ASCII bytes, per codec that decoded them strictly.
        replaced: Lines that could only be decoded with U+FFFD replacement characters.
        replaced_lines: Their 1-based line numbers (the first ``keep``, or all when ``keep`` is ``None``).
        crlf_lines: Lines that ended with ``\\r`` before the ``\\n`` (removed).
        bom: True if a UTF-8 byte-order mark was removed.
        keep: How many replaced line numbers to keep (``None``: all).
    """

    lines: int = 0
    by_encoding: Counter[str] = field(default_factory=Counter)
    replaced: int = 0
    replaced_lines: list[int] = field(default_factory=list)
    crlf_lines: int = 0
    bom: bool = False
    keep: int | None = MAX_REPORTED_LINES

    @property
    def not_utf8(self) -> int:
        """Lines that were not valid UTF-8 (decoded with another codec or with replacement characters)."""
        return self.replaced + sum(n for codec, n in self.by_encoding.items() if codec != "utf-8")

    def add_replaced(self, number: int) -> None:
        """Count line ``number`` as decoded with replacement characters."""
        self.replaced += 1
        if self.keep is None or len(self.replaced_lines) < self.keep:
            self.replaced_lines.append(number)


def _decode(piece: bytes, candidates: tuple[str, ...]) -> tuple[str, str | None]:
    """``(text, codec)``: the first candidate that decodes ``piece`` strictly, else replacement chars (``None``)."""
    for codec in candidates:
        try:
            return piece.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return piece.decode(candidates[0], errors="replace"), None


def decode_line(piece: bytes, *, encoding: str | None = None) -> tuple[str, bool]:
    """Decode one line: the declared codec, or strict UTF-8 then strict cp1252.

    Returns:
        ``(text, replaced)``: ``replaced`` is True if replacement characters were needed.
    """
    text, codec = _decode(piece, (encoding,) if encoding else DETECT_ORDER)
    return text, codec is None


def decode_stream(
    raw: Iterable[bytes],
    *,
    name: str,
    encoding: str | None = None,
    strict: bool = False,
    tally: LineTally | None = None,
) -> Iterator[str]:
    """The decoded lines of ``raw`` (a binary file, or any iterable of ``\\n``-terminated byte strings).

    Args:
        raw: The bytes, split on ``b"\\n"`` (iterating a binary file does that).
        name: The file's name, for error messages.
        encoding: A declared codec; ``None`` detects one per line (UTF-8, else cp1252).
        strict: Refuse a line that cannot be decoded strictly instead of using replacement characters.
        tally: Counts what decoding did (lines, codecs, replacements, CRLF, BOM).

    Raises:
        ValueError: With ``strict``, a line that does not decode (file and line named).
    """
    candidates = (check_encoding(encoding),) if encoding else DETECT_ORDER
    tally = tally if tally is not None else LineTally()
    for number, piece in enumerate(raw, start=1):
        if piece.endswith(b"\n"):
            piece = piece[:-1]
        if piece.endswith(b"\r"):
            piece = piece.rstrip(b"\r")
            tally.crlf_lines += 1
        if number == 1 and piece.startswith(codecs.BOM_UTF8):
            piece = piece[len(codecs.BOM_UTF8) :]
            tally.bom = True
        tally.lines += 1
        if piece.isascii():
            yield piece.decode("ascii")
            continue
        text, codec = _decode(piece, candidates)
        if codec is None:
            if strict:
                raise ValueError(f"{name}: line {number} is not valid {' or '.join(candidates)} (strict)")
            tally.add_replaced(number)
        else:
            tally.by_encoding[codec] += 1
        yield text


def open_binary(path: str | Path) -> contextlib.AbstractContextManager[BinaryIO]:
    """Open a file for reading bytes: ``"-"`` is standard input, ``.gz`` files are decompressed.

    Raises:
        FileNotFoundError: If ``path`` is not an existing file.
    """
    path = str(path)
    if path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    if not Path(path).is_file():
        raise FileNotFoundError(f"input file not found: {path!r}")
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")  # noqa: SIM115 (the caller closes it)


def iter_lines(
    path: str | Path, *, encoding: str | None = None, strict: bool = False, tally: LineTally | None = None
) -> Iterator[str]:
    """Stream the lines of a file (``"-"``: standard input) in bounded memory; see the module docstring.

    Args:
        path: The file; ``.gz`` is decompressed.
        encoding: A declared codec; ``None`` detects one per line (UTF-8, else cp1252).
        strict: Refuse a line that cannot be decoded instead of using replacement characters.
        tally: Counts what decoding did.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: A truncated or corrupt ``.gz`` file, or (``strict``) a line that does not decode.
    """
    with open_binary(path) as raw:
        try:
            yield from decode_stream(raw, name=str(path), encoding=encoding, strict=strict, tally=tally)
        except _GZIP_ERRORS as err:
            raise ValueError(f"{path}: not a complete gzip file ({err})") from None


@dataclass
class DecodedLines:
    """The decoded lines of one file and how they were decoded.

    Attributes:
        lines: One string per input line (1-based line ``i`` is ``lines[i - 1]``), without the line break.
        encoding: The declared codec; when detected, ``"ascii"`` if every byte is < 0x80, else the codecs that
            decoded the non-ASCII lines (``"utf-8"``, ``"cp1252"`` or ``"utf-8+cp1252"``).
        detected: True if the encoding was detected rather than declared by the caller.
        tally: What decoding did (codecs per line, replacement characters, CRLF, BOM).
    """

    lines: list[str]
    encoding: str
    detected: bool
    tally: LineTally = field(default_factory=LineTally)

    @property
    def replaced_lines(self) -> list[int]:
        """1-based numbers of the lines that could not be decoded strictly and got U+FFFD characters."""
        return self.tally.replaced_lines

    @property
    def crlf_lines(self) -> int:
        """How many lines ended with ``\\r\\n`` (the ``\\r`` is removed)."""
        return self.tally.crlf_lines

    @property
    def bom(self) -> bool:
        """True if a UTF-8 byte-order mark was removed."""
        return self.tally.bom

    def report(self, *, max_lines: int = MAX_REPORTED_LINES) -> dict:
        """A small JSON-friendly summary for a ``DatasetSplits.report``."""
        out: dict = {
            "encoding": self.encoding,
            "encoding_source": "detected" if self.detected else "declared",
            "lines": len(self.lines),
            "lines_with_replacement_chars": self.tally.replaced,
        }
        if self.tally.replaced:
            out["replacement_char_line_numbers"] = self.tally.replaced_lines[:max_lines]
        if len(self.tally.by_encoding) > 1:
            out["lines_by_encoding"] = dict(self.tally.by_encoding)
        if self.crlf_lines:
            out["crlf_lines"] = self.crlf_lines
        if self.bom:
            out["bom_removed"] = True
        return out


def _collect(raw: Iterable[bytes], name: str, encoding: str | None, strict: bool) -> DecodedLines:
    tally = LineTally(keep=None)
    lines = list(decode_stream(raw, name=name, encoding=encoding, strict=strict, tally=tally))
    return DecodedLines(lines, chosen_encoding(tally, encoding), encoding is None, tally)


def chosen_encoding(tally: LineTally, encoding: str | None) -> str:
    """The encoding a file's report names: the one given, else the codecs detection used (``utf-8+cp1252``), else
    ``utf-8`` when bytes were replaced, else ``ascii``."""
    if encoding:
        return check_encoding(encoding)
    if tally.by_encoding:
        return "+".join(codec for codec in DETECT_ORDER if codec in tally.by_encoding)
    return "utf-8" if tally.replaced else "ascii"


def decode_lines(data: bytes, *, encoding: str | None = None, strict: bool = False) -> DecodedLines:
    """Split ``data`` into lines on ``b"\\n"`` and decode each (see the module docstring).

    Args:
        data: The raw file content.
        encoding: A declared codec. Lines that are not valid in it are decoded with replacement characters and
            listed in ``replaced_lines``. If ``None``, each line is decoded as strict UTF-8, else strict cp1252,
            else UTF-8 with replacement characters.
        strict: Refuse a line that cannot be decoded (``ValueError``) instead.

    Returns:
        The decoded lines and a record of the decoding.
    """
    return _collect(io.BytesIO(data), "<bytes>", encoding, strict)


def read_lines(path: str | Path, *, encoding: str | None = None, strict: bool = False) -> DecodedLines:
    """Read a whole text file as lines (see :func:`decode_lines`); ``.gz`` files are decompressed first.

    Raises:
        FileNotFoundError: If ``path`` is not an existing file.
        ValueError: A truncated or corrupt ``.gz`` file, or (``strict``) a line that does not decode.
    """
    with open_binary(path) as raw:
        try:
            return _collect(raw, str(path), encoding, strict)
        except _GZIP_ERRORS as err:  # evaluate/train word it this way; iter_lines (predict) says "not complete"
            raise ValueError(f"{path}: corrupt or truncated gzip file ({err})") from None
