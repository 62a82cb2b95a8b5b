"""Byte-exact line reading with a declared or detected encoding, and a record of what decoding had to repair.

Lines are split on ``b"\\n"`` bytes *before* decoding, so bytes such as cp1252's 0x85 (an ellipsis, which latin-1
turns into U+0085 NEL and ``str.splitlines`` treats as a line break) never split a line. A trailing ``\\r`` is
removed from each line (CRLF files) and a UTF-8 byte-order mark is dropped. Only ASCII-compatible encodings (UTF-8,
cp1252, latin-1, ...) are supported.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from textcnn.data.paths import require_file

# Detection order: strict UTF-8 (which also accepts pure ASCII), then strict Windows-1252.
DETECT_ORDER: tuple[str, ...] = ("utf-8", "cp1252")
MAX_REPORTED_LINES = 5


@dataclass
class DecodedLines:
    """The decoded lines of one file and how they were decoded.

    Attributes:
        lines: One string per input line (1-based line ``i`` is ``lines[i - 1]``), without the line break.
        encoding: The codec used (``"ascii"`` when every byte is < 0x80).
        detected: True if the encoding was detected rather than declared by the caller.
        replaced_lines: 1-based numbers of the lines that could not be decoded strictly and got U+FFFD characters.
        crlf_lines: How many lines ended with ``\\r\\n`` (the ``\\r`` is removed).
        bom: True if a UTF-8 byte-order mark was removed.
    """

    lines: list[str]
    encoding: str
    detected: bool
    replaced_lines: list[int] = field(default_factory=list)
    crlf_lines: int = 0
    bom: bool = False

    def report(self, *, max_lines: int = MAX_REPORTED_LINES) -> dict:
        """A small JSON-friendly summary for a ``DatasetSplits.report``."""
        out: dict = {
            "encoding": self.encoding,
            "encoding_source": "detected" if self.detected else "declared",
            "lines": len(self.lines),
            "lines_with_replacement_chars": len(self.replaced_lines),
        }
        if self.replaced_lines:
            out["replacement_char_line_numbers"] = self.replaced_lines[:max_lines]
        if self.crlf_lines:
            out["crlf_lines"] = self.crlf_lines
        if self.bom:
            out["bom_removed"] = True
        return out


def check_encoding(encoding: str) -> str:
    """Normalise a codec name (``"CP1252"`` -> ``"cp1252"``) or raise ``ValueError`` naming an unknown one."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def _split_raw(data: bytes) -> list[bytes]:
    if not data:
        return []
    raw = data.split(b"\n")
    if data.endswith(b"\n"):
        raw.pop()  # the final line break ends the last line; it does not start a new one
    return raw


def _decode_each(raw: list[bytes], encoding: str) -> tuple[list[str], list[int]]:
    lines, replaced = [], []
    for number, piece in enumerate(raw, start=1):
        try:
            lines.append(piece.decode(encoding))
        except UnicodeDecodeError:
            lines.append(piece.decode(encoding, errors="replace"))
            replaced.append(number)
    return lines, replaced


def _count_failures(raw: list[bytes], encoding: str) -> int:
    failures = 0
    for piece in raw:
        try:
            piece.decode(encoding)
        except UnicodeDecodeError:
            failures += 1
    return failures


def decode_lines(data: bytes, *, encoding: str | None = None) -> DecodedLines:
    """Split ``data`` into lines on ``b"\\n"`` and decode them.

    Args:
        data: The raw file content.
        encoding: A declared codec. Lines that are not valid in it are decoded with replacement characters and
            listed in ``replaced_lines``. If ``None``, the encoding is detected: strict UTF-8, else strict cp1252,
            else whichever of the two fails on fewer lines, with replacement characters on those lines.

    Returns:
        The decoded lines and a record of the decoding.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    detected = encoding is None
    if data.isascii():
        chosen = "ascii" if detected else check_encoding(encoding)
        text = data.decode("ascii")
        lines = text.split("\n")
        if text.endswith("\n") or not text:
            lines.pop()
        return _strip_cr(DecodedLines(lines, chosen, detected, bom=bom))
    candidates = DETECT_ORDER if detected else (check_encoding(encoding),)
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        # Splitting the decoded text on "\n" equals splitting the bytes for ASCII-compatible codecs.
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        return _strip_cr(DecodedLines(lines, candidate, detected, bom=bom))
    raw = _split_raw(data)
    chosen = candidates[0] if len(candidates) == 1 else min(candidates, key=lambda c: _count_failures(raw, c))
    lines, replaced = _decode_each(raw, chosen)
    return _strip_cr(DecodedLines(lines, chosen, detected, replaced_lines=replaced, bom=bom))


def _strip_cr(decoded: DecodedLines) -> DecodedLines:
    lines = decoded.lines
    crlf = 0
    for i, line in enumerate(lines):
        if line.endswith("\r"):
            lines[i] = line[:-1]
            crlf += 1
    decoded.crlf_lines = crlf
    return decoded


def read_lines(path: str | Path, *, encoding: str | None = None) -> DecodedLines:
    """Read a text file as lines (see ``decode_lines``); ``.gz`` files are decompressed first.

    Raises:
        FileNotFoundError: If ``path`` is not an existing file.
    """
    path = require_file(Path(path), what="text file")
    data = path.read_bytes()
    if path.suffix == ".gz":
        import gzip
        import zlib

        try:
            data = gzip.decompress(data)
        except (EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise ValueError(f"{path}: corrupt or truncated gzip file ({err})") from None
    return decode_lines(data, encoding=encoding)


def decode_line(piece: bytes, *, encoding: str | None = None) -> tuple[str, bool]:
    """Decode one line for streaming readers: the declared codec, or strict UTF-8 then strict cp1252.

    Returns:
        ``(text, replaced)``: ``replaced`` is True if replacement characters were needed.
    """
    for candidate in (encoding,) if encoding else DETECT_ORDER:
        try:
            return piece.decode(candidate), False
        except UnicodeDecodeError:
            continue
    return piece.decode(encoding or "utf-8", errors="replace"), True
