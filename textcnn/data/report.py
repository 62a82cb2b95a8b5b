"""What reading a file did to its rows (read, used, skipped and why, changed), and its summary in a few lines.

Every reader of labelled files keeps a :class:`RowLog`; its :meth:`RowLog.as_dict` goes into the file's entry of
``DatasetSplits.report["files"]`` (saved to ``metrics.json`` by the trainer) and :func:`format_read_report` turns a
dataset report into lines a command can print. With ``strict=True`` a row that would be skipped for a problem is an
error naming the file and line instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_LISTED = 5


@dataclass
class RowLog:
    """Counts of one file's rows.

    Attributes:
        file: The file, for messages.
        strict: Refuse rows that would be skipped for a problem (``ValueError`` naming file and line).
        read: Physical rows read (records of CSV/JSON/Parquet files, lines of line formats), headers excluded.
        used: Rows that became an example.
        skipped: Rows skipped, per reason.
        skipped_at: The first places (``"line 7"``) of the skipped rows, per reason.
        changed: Texts or labels that were changed (HTML removed, a label prefix removed ...), per change.
    """

    file: str
    strict: bool = False
    read: int = 0
    used: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_at: dict[str, list[str]] = field(default_factory=dict)
    changed: Counter[str] = field(default_factory=Counter)
    multiline: int = 0
    extra_lines: int = 0
    multiline_at: list[str] = field(default_factory=list)

    def skip(self, where: str, reason: str, *, problem: bool = True) -> None:
        """Record that the row at ``where`` is skipped for ``reason``.

        Args:
            where: The row's place (``"line 7"``).
            reason: Why, in a few words (``"blank line"``).
            problem: False for a skip the caller asked for (``skip_empty=True``), which ``strict`` allows.

        Raises:
            ValueError: With ``strict`` and ``problem``, naming the file, the place and the reason.
        """
        if self.strict and problem:
            raise ValueError(f"{self.file}: {where}: {reason} (refused: strict)")
        self.skipped[reason] += 1
        places = self.skipped_at.setdefault(reason, [])
        if len(places) < MAX_LISTED:
            places.append(where)

    def span(self, where: str, lines: int) -> None:
        """Record that the row at ``where`` spans ``lines`` physical lines (a quoted CSV field with line breaks):
        rows and lines no longer match one to one, so this is reported, and refused with ``strict``.

        Raises:
            ValueError: With ``strict``, naming the file and the place.
        """
        if self.strict:
            raise ValueError(f"{self.file}: {where}: one row spans {lines} lines (a quoted field holds line breaks; "
                             "refused: strict)")  # fmt: skip
        self.multiline += 1
        self.extra_lines += lines - 1
        if len(self.multiline_at) < MAX_LISTED:
            self.multiline_at.append(f"{where}: {lines} lines")

    def change(self, what: str, count: int = 1) -> None:
        """Record that ``count`` texts or labels were changed in the way ``what`` says."""
        if count:
            self.changed[what] += count

    def as_dict(self) -> dict:
        """The counts, JSON-friendly: ``rows_read``, ``rows_used``, ``rows_skipped``, ``skipped`` (per reason:
        ``count`` and ``first`` places), ``changed`` (per change: a count) and ``multiline_rows`` (rows spanning
        several lines: ``count``, ``extra_lines`` and the ``first`` places)."""
        return {
            "rows_read": self.read,
            "rows_used": self.used,
            "rows_skipped": sum(self.skipped.values()),
            "skipped": {r: {"count": n, "first": self.skipped_at[r]} for r, n in self.skipped.items()},
            "changed": dict(self.changed),
            "multiline_rows": {"count": self.multiline, "extra_lines": self.extra_lines, "first": self.multiline_at},
        }


def _skipped_text(info: dict) -> str:
    reasons = []
    for reason, skipped in info["skipped"].items():
        more = ", ..." if skipped["count"] > len(skipped["first"]) else ""
        reasons.append(f"{reason}: {skipped['count']} ({', '.join(skipped['first'])}{more})")
    return f"{info['rows_skipped']} skipped ({'; '.join(reasons)})"


def _decoding_text(info: dict, replacements: bool) -> list[str]:
    parts = []
    if info.get("encoding_source") == "detected" and info.get("encoding") not in ("ascii", "utf-8"):
        counts = info.get("lines_by_encoding")
        parts.append(f"decoded as {info['encoding']}" + (f" ({counts})" if counts else ""))
    if replacements and info.get("lines_with_replacement_chars"):
        first = ", ".join(map(str, info.get("replacement_char_line_numbers", [])))
        parts.append(f"{info['lines_with_replacement_chars']} lines with replacement characters (lines {first})")
    return parts


def _file_line(name: str, info: dict, replacements: bool) -> str:
    """One line for one file's entry of a report."""
    parts = [f"{info['rows_read']} rows read", f"{info['rows_used']} used"]
    if info.get("skipped"):
        parts.append(_skipped_text(info))
    spans = info.get("multiline_rows") or {}
    if spans.get("count"):
        parts.append(f"rows spanning several lines: {spans['count']} ({', '.join(spans['first'])})")
    parts += [f"{what}: {count}" for what, count in (info.get("changed") or {}).items()]
    parts += _decoding_text(info, replacements)
    return f"{info.get('file', name)}: {', '.join(parts)}"


def format_read_report(report: dict, *, replacements: bool = True) -> list[str]:
    """Human lines summarising a dataset's ``report`` (or one file's entry): per file, the rows read, used and
    skipped (with the reasons and first lines), rows spanning several lines, the changes made to texts and labels
    and the decoding repairs; then the HTML rule, when HTML was removed or seen.

    Example::

        train.csv: 1000 rows read, 998 used, 2 skipped (blank line: 2 (line 5, line 9)), HTML removed: 412
        HTML: removed (auto: 41.2% of the training texts hold HTML tags; the threshold is 5%)

    Args:
        report: A dataset's ``report``, or one file's entry.
        replacements: Include the lines decoded with replacement characters (the trainer leaves them to its own
            warning, which ``data.strict`` turns into an error, so they are not said twice).

    Returns:
        The lines (empty when the report holds no row counts, e.g. for a Hub dataset).
    """
    files = report.get("files") if "rows_read" not in report else {"": report}
    files = {name: info for name, info in (files or {}).items() if isinstance(info, dict) and "rows_read" in info}
    lines = [_file_line(name, info, replacements) for name, info in files.items()]
    html = report.get("strip_html")
    if isinstance(html, dict) and (html.get("applied") or html.get("share_with_tags")):
        lines.append(f"HTML: {'removed' if html['applied'] else 'kept'} ({html['rule']})")
    return lines
