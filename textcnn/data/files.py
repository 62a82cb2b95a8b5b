"""Users' own data: labelled files for training/evaluation (``read_labelled_file``, ``load_text_file``, registered as
dataset ``file``), Hugging Face Hub datasets (registered as ``hub``), and a streaming text reader for prediction
(``read_texts``).

Formats (``format=None`` picks one from the suffix):

* ``csv`` (``.csv``) and ``tsv`` (``.tsv`` whose first line names the columns): a header row, records parsed by the
  ``csv`` module (:func:`textcnn.data.records.csv_rows`); cells are strings (``"NA"`` stays ``"NA"``).
* ``json`` (``.json``/``.jsonl``): one object per line, or one array of objects; the text must be a string (``null``
  reads as an empty text) and the label a string or an integer. ``parquet`` (``.parquet``): the same rules per row.
* ``tab``: ``label<TAB>text`` lines (``.tsv`` without a header line; an optional ``label<TAB>text`` header is
  skipped); ``kim``: ``label text`` lines as in Kim's files and fastText's ``__label__pos text`` (any other suffix,
  unless the first line has a tab).

The rule for every format: each physical row becomes exactly one example, or is skipped and counted in the report
with its line and the reason (a blank line; an empty text with ``skip_empty=True``), or is an error naming the file,
the line and what is wrong (a broken quote, a wrong number of fields, a line that is not JSON, a label that is a
list or a float, an empty label ...). ``strict=True`` turns every skip for a problem, and every line that needs
replacement characters, into an error. The counts (rows read, used, skipped and why, texts and labels changed) are in
each file's report; :func:`textcnn.data.report.format_read_report` prints them.

Text: lines are read by :mod:`textcnn.data.encoding` (``encoding`` if given, else UTF-8, else cp1252, else
replacement characters, per line). ``strip_html`` removes HTML tags and decodes entities (:mod:`textcnn.data.markup`):
``"auto"`` (the default) does it when the training file looks like HTML. Labels are strings (an integer label ``7``
is ``"7"``; a fastText ``__label__`` prefix is removed and counted); they get ids in sorted order of the training
file's labels (numeric order when every label is an integer). A label-only line or empty text cell is an empty
example (kept; ``skip_empty=True`` drops it).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from textcnn.classify.multilabel import LABEL_SEPARATOR
from textcnn.data.encoding import LineTally, check_encoding, iter_lines, read_lines
from textcnn.data.kim import split_label
from textcnn.data.markup import check_strip_html, decide_strip_html, strip_html_texts
from textcnn.data.records import (
    QUOTE_MAX_CHARS,
    QUOTE_MAX_LINES,
    QuoteLimits,
    Row,
    csv_rows,
    json_rows,
    label_value,
    missing_column,
    parquet_rows,
    text_value,
)
from textcnn.data.registry import DatasetSpec, register_dataset
from textcnn.data.report import MAX_LISTED, RowLog
from textcnn.data.splits import DatasetSplits, TextSplit, holdout_dev

LABELLED_FORMATS = ("csv", "tsv", "json", "parquet", "tab", "kim")
TEXT_FORMATS = ("txt", "csv", "tsv", "jsonl", "parquet")
#: fastText's label prefix (``__label__pos a fine film``): removed from labels, and counted.
LABEL_PREFIX = "__label__"
#: The reason a ``skip_empty=True`` skip is reported under.
EMPTY_SKIP = "empty text (skip_empty=True)"


def _first_line(path: Path) -> str:
    lines = iter_lines(path)
    try:
        return next(lines, "")
    finally:
        lines.close()


def detect_format(path: Path, *, label_column: str = "label", text_column: str = "text") -> str:
    """The labelled-file format implied by ``path``'s suffix (and, for ``.tsv``/plain text, its first line)."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    if suffix in (".json", ".jsonl"):
        return "json"
    first = _first_line(path).split("\t")
    if suffix == ".tsv" and {label_column, text_column} <= set(first) and first != [label_column, text_column]:
        return "tsv"
    return "tab" if suffix == ".tsv" or len(first) > 1 else "kim"


@contextlib.contextmanager
def _quiet_datasets(*, offline: bool) -> Generator[None, None, None]:
    """Hugging Face ``datasets`` with no progress bars, no log noise and (if ``offline``) no network; every
    setting is restored afterwards."""
    import datasets

    bars = datasets.is_progress_bar_enabled()
    verbosity = datasets.logging.get_verbosity()
    was_offline = datasets.config.HF_HUB_OFFLINE
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)  # errors are re-raised by the callers, with context
    datasets.config.HF_HUB_OFFLINE = was_offline or offline
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE = was_offline
        datasets.logging.set_verbosity(verbosity)
        if bars:
            datasets.enable_progress_bars()


def _line_rows(lines: Iterable[str], *, sep: str | None, header: bool) -> Iterator[Row]:
    """Rows of ``tab``/``kim`` files: ``(text, label)`` per line, ``None`` for a blank line."""
    for number, line in enumerate(lines, start=1):
        if number == 1 and header:
            continue
        if not line.strip():
            yield Row(f"line {number}", None)
        else:
            label, text = split_label(line, sep=sep)
            yield Row(f"line {number}", (text, label))


def labelled_rows(
    path: Path, fmt: str, opts: FileOptions, *, tally: LineTally | None = None
) -> tuple[Iterable[Row], dict]:
    """The rows of a labelled file as ``(text, label)`` values, and the report of its decoding. With a ``tally`` the
    lines are streamed (bounded memory: :mod:`textcnn.data.stream`) and counted there; the report is then ``{}``."""
    columns = (opts.text_column, opts.label_column)
    if fmt == "parquet":
        return parquet_rows(path, columns), {"encoding": "n/a"}
    if tally is None:
        decoded = read_lines(path, encoding=opts.encoding, strict=opts.strict)
        lines, first, report = decoded.lines, decoded.lines[0] if decoded.lines else "", decoded.report()
    else:
        lines, report = iter_lines(path, encoding=opts.encoding, strict=opts.strict, tally=tally), {}
        first = _first_line(path) if fmt == "tab" else ""
    name = str(path)
    if fmt in ("csv", "tsv"):
        rows = csv_rows(lines, name, columns, delimiter="\t" if fmt == "tsv" else ",", limits=opts.limits)
    elif fmt == "json":
        rows = json_rows(lines, name, columns)
    else:
        header = fmt == "tab" and first.split("\t") == [opts.label_column, opts.text_column]
        rows = _line_rows(lines, sep="\t" if fmt == "tab" else None, header=header)
    return rows, report


def _label_name(label: str, text: str, where: str, log: RowLog) -> str:
    """``label`` without fastText's ``__label__`` prefix (counted); a second ``__label__`` word is an error."""
    if not label.startswith(LABEL_PREFIX):
        return label
    words = text.split(None, 1)
    if words and words[0].startswith(LABEL_PREFIX):
        raise ValueError(
            f"{log.file}: {where}: labels {label!r} and {words[0]!r}; multi-label is not supported yet for "
            "fastText-style lines: give one label per row, or a CSV/JSONL file with data.multi_label=true"
        )
    log.change(f"{LABEL_PREFIX!r} prefix removed from the label")
    return label[len(LABEL_PREFIX) :]


def _examples(
    rows: Iterable[Row], log: RowLog, *, text_column: str, label_column: str, separator: str | None = None
) -> tuple[list, list, list]:
    """``(texts, labels, places)`` of the rows (see :func:`example_rows`)."""
    texts, labels, places = [], [], []
    for text, label, where in example_rows(rows, log, text_column=text_column, label_column=label_column,
                                           separator=separator):  # fmt: skip
        texts.append(text)
        labels.append(label)
        places.append(where)
    return texts, labels, places


def example_rows(
    rows: Iterable[Row], log: RowLog, *, text_column: str, label_column: str, separator: str | None = None
) -> Iterator[tuple[str, str | list[str], str]]:
    """``(text, label, place)`` of each example row, one at a time; blank lines are skipped (a problem: ``strict``
    refuses them). With a label ``separator`` (multi-label files) each label is a list of names (see
    :func:`textcnn.classify.multilabel.split_labels`; an empty list is an example without labels)."""
    for row in rows:
        log.read += 1
        if row.values is None:
            log.skip(row.where, "blank line")
            continue
        if row.lines > 1:
            log.span(row.where, row.lines)
        text = text_value(row.values[0], row.where, log.file, text_column)
        if separator is not None:
            yield text, _label_list(row.values[1], row.where, log, label_column, separator), row.where
            continue
        label = _label_name(label_value(row.values[1], row.where, log.file, label_column), text, row.where, log)
        if not label:
            raise ValueError(f"{log.file}: {row.where} has an empty label (column {label_column!r})")
        yield text, label, row.where


def _label_list(value: object, where: str, log: RowLog, column: str, separator: str) -> list[str]:
    """The label names of a multi-label cell, without fastText's ``__label__`` prefix (counted)."""
    from textcnn.classify.multilabel import split_labels

    names = split_labels(value, where, log.file, column, separator)
    prefixed = [name for name in names if name.startswith(LABEL_PREFIX)]
    if prefixed:
        log.change(f"{LABEL_PREFIX!r} prefix removed from the label", len(prefixed))
    return sorted({name.removeprefix(LABEL_PREFIX) for name in names})


def _drop_empty(texts: list[str], raw: list[str], places: list[str], log: RowLog) -> tuple[list, list, list]:
    """The examples whose text is not empty (``skip_empty=True``); the others are counted as skipped."""
    keep = [i for i, t in enumerate(texts) if t.strip()]
    for i in sorted(set(range(len(texts))) - set(keep)):
        log.skip(places[i], EMPTY_SKIP, problem=False)
    return [texts[i] for i in keep], [raw[i] for i in keep], [places[i] for i in keep]


def label_sort_key(labels: set[str]):
    """The order of label ids: numeric (``int``) when every label is an integer, else ``str``."""
    if all(label.lstrip("-").isdigit() for label in labels):
        return int
    return str


def _label_ids(path: Path, raw: list[str], places: list[str], label_names: list[str] | None) -> tuple[list, list]:
    """``(ids, label_names)``: ids in the order of ``label_names`` (default: the sorted distinct labels)."""
    if label_names is None:
        distinct = set(raw)
        label_names = sorted(distinct, key=label_sort_key(distinct))
    index = {name: i for i, name in enumerate(label_names)}
    for label, where in zip(raw, places, strict=True):
        if label not in index:
            raise ValueError(
                f"{path}: {where} has label {label!r}, which is not a training label ({', '.join(label_names)})"
            )
    return [index[label] for label in raw], list(label_names)


@dataclass(frozen=True)
class FileOptions:
    """How a user's labelled file is read (the reading options of the ``file`` dataset; their defaults live here).

    Attributes:
        text_column: Column of the text (``csv``/``tsv``/``json``/``parquet``).
        label_column: Column of the label (``csv``/``tsv``/``json``/``parquet``).
        format: ``csv``, ``tsv``, ``json``, ``parquet``, ``tab`` or ``kim``; ``None`` detects it from the suffix.
        encoding: Codec of text formats (``None``: per line, UTF-8, else cp1252, else replacement characters).
        strict: Refuse, naming file and line, what is otherwise skipped or repaired and reported: blank rows, rows
            spanning several lines, lines that need replacement characters.
        strip_html: Remove HTML tags and decode entities: ``True``, ``False`` or ``"auto"`` (when at least 5% of
            the training file's texts hold HTML tags; see :mod:`textcnn.data.markup`).
        skip_empty: Drop examples whose text is empty (counted as skipped) instead of keeping them.
        quote_max_lines: A quoted CSV/TSV field spanning more lines is taken for a quote that was never closed.
        quote_max_chars: ... and so is one spanning several lines and more characters.
        multi_label: Each example has a set of labels: a JSON/Parquet list, or one cell with the labels separated by
            ``label_separator`` (an empty list or cell: no label). Without it a list is an error naming the line.
        label_separator: Separator of the labels in one cell (``multi_label`` only).

    Raises:
        ValueError: An unknown encoding, a bad ``strip_html`` or quote limit, an empty ``label_separator``.
    """

    text_column: str = "text"
    label_column: str = "label"
    format: str | None = None
    encoding: str | None = None
    strict: bool = False
    strip_html: bool | str = "auto"
    skip_empty: bool = False
    quote_max_lines: int = QUOTE_MAX_LINES
    quote_max_chars: int = QUOTE_MAX_CHARS
    multi_label: bool = False
    label_separator: str = LABEL_SEPARATOR

    def __post_init__(self) -> None:
        if not self.label_separator:
            raise ValueError("label_separator must not be empty")
        if self.encoding is not None:
            object.__setattr__(self, "encoding", check_encoding(self.encoding))
        check_strip_html(self.strip_html)
        QuoteLimits(self.quote_max_lines, self.quote_max_chars)  # raises on a bad limit

    @property
    def limits(self) -> QuoteLimits:
        """The quote limits of CSV/TSV files."""
        return QuoteLimits(self.quote_max_lines, self.quote_max_chars)


def check_file(path: Path) -> Path:
    """``path`` if it is a non-empty file, else ``FileNotFoundError``/``ValueError`` naming it."""
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {str(path)!r}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: file is empty")
    return path


def file_format(path: Path, opts: FileOptions) -> str:
    """The labelled-file format of ``path``: ``opts.format``, else detected (:func:`detect_format`).

    Raises:
        ValueError: An unknown format.
    """
    fmt = opts.format or detect_format(path, label_column=opts.label_column, text_column=opts.text_column)
    fmt = "json" if fmt == "jsonl" else fmt
    if fmt not in LABELLED_FORMATS:
        raise ValueError(f"unknown format {fmt!r} for {path}; choose from {', '.join(LABELLED_FORMATS)}")
    return fmt


def read_labelled_file(
    path: str | Path, options: FileOptions | None = None, *, label_names: list[str] | None = None
) -> tuple[TextSplit, list[str], dict]:
    """Read a labelled file of your own, with a JSON-friendly report of the reading.

    Args:
        path: The file (see the module docstring for formats).
        options: How to read it (default: ``FileOptions()``).
        label_names: The training labels, for dev/test files: ids follow this list and an unseen label is an
            error. ``None`` (training files): the sorted distinct labels of this file.

    Returns:
        ``(split, label_names, report)``; the report holds the format, the decoding, the rows read, used and skipped
        (why, and where), rows spanning several lines, changes (HTML, label prefixes) and the HTML rule.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: Empty file, unknown format, missing column, empty label, malformed row (a broken quote, the
            wrong number of CSV fields, a line that is not JSON, a text or label of the wrong type), a label not in
            ``label_names``; the file and line (Parquet: row) are named.
    """
    opts = options or FileOptions()
    path = check_file(Path(path).expanduser())
    fmt = file_format(path, opts)
    rows, decoding = labelled_rows(path, fmt, opts)
    log = RowLog(str(path), strict=opts.strict)
    separator = opts.label_separator if opts.multi_label else None
    texts, raw, places = _examples(
        rows, log, text_column=opts.text_column, label_column=opts.label_column, separator=separator
    )
    html = decide_strip_html(opts.strip_html, texts)
    if html["applied"]:
        texts, changed = strip_html_texts(texts)
        log.change("HTML removed", changed)
    if opts.skip_empty:
        texts, raw, places = _drop_empty(texts, raw, places, log)
    if not texts:
        raise ValueError(f"{path}: no examples")
    log.used = len(texts)
    info = {"file": str(path), "format": fmt, "examples": len(texts), **decoding, **log.as_dict()}
    info["empty_examples"] = sum(not t.strip() for t in texts)
    info["strip_html"] = html
    if opts.multi_label:
        return _multi_label_split(path, texts, raw, places, label_names, info)
    labels, label_names = _label_ids(path, raw, places, label_names)
    return TextSplit(texts, labels), label_names, info


def _multi_label_split(path: Path, texts: list, raw: list, places: list, label_names: list | None, info: dict):
    """``(split, label_names, info)`` of a multi-label file (the examples without any label are counted)."""
    from textcnn.classify.multilabel import MultiLabelSplit, label_set_ids

    sets, label_names = label_set_ids(path, raw, places, label_names, label_sort_key)
    info["examples_without_labels"] = sum(not s for s in sets)
    return MultiLabelSplit.from_sets(texts, sets, len(label_names)), label_names, info


def load_text_file(
    path: str | Path,
    *,
    text_column: str = FileOptions.text_column,
    label_column: str = FileOptions.label_column,
    format: str | None = None,
    label_names: list[str] | None = None,
    encoding: str | None = None,
    strict: bool = FileOptions.strict,
    strip_html: bool | str = FileOptions.strip_html,
) -> tuple[TextSplit, list[str]]:
    """Read a labelled file of your own (:func:`read_labelled_file` takes every option and returns the report).

    Args:
        path: The file (see the module docstring for formats).
        text_column: Column of the text (``csv``/``tsv``/``json``/``parquet``).
        label_column: Column of the label (``csv``/``tsv``/``json``/``parquet``).
        format: ``csv``, ``tsv``, ``json``, ``parquet``, ``tab`` or ``kim``; ``None`` detects it from the suffix.
        label_names: The training labels, for dev/test files: ids follow this list and an unseen label is an
            error. ``None`` (training files): the sorted distinct labels of this file.
        encoding: Codec of text formats (``None``: per line, UTF-8, else cp1252, else replacement characters).
        strict: See :class:`FileOptions`.
        strip_html: See :class:`FileOptions`.

    Returns:
        ``(split, label_names)``; skipped rows are reported as a ``UserWarning``.

    Raises:
        FileNotFoundError, ValueError: As :func:`read_labelled_file`. (A single class is allowed here, e.g. for
            evaluation files; the ``file`` dataset rejects it for training.)
    """
    options = FileOptions(text_column=text_column, label_column=label_column, format=format, encoding=encoding,
                          strict=strict, strip_html=strip_html)  # fmt: skip
    split, names, info = read_labelled_file(path, options, label_names=label_names)
    for reason, skipped in info["skipped"].items():
        warnings.warn(
            f"{path}: skipped {skipped['count']} {reason}(s), e.g. {', '.join(skipped['first'])}", stacklevel=2
        )
    return split, names


def _empty_rule(files: dict[str, dict], skip_empty: bool) -> dict:
    if not skip_empty:
        return {"rule": "kept as empty texts; skip_empty=True drops them"}
    dropped = {split: info["skipped"].get(EMPTY_SKIP, {}).get("count", 0) for split, info in files.items()}
    return {"rule": "dropped (skip_empty=True)", "dropped": dropped}


def load_files(
    data_dir: Path | None = None,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    train: str | Path,
    dev: str | Path | None = None,
    test: str | Path | None = None,
    text_column: str = FileOptions.text_column,
    label_column: str = FileOptions.label_column,
    format: str | None = FileOptions.format,
    encoding: str | None = FileOptions.encoding,
    skip_empty: bool = FileOptions.skip_empty,
    strict: bool = FileOptions.strict,
    strip_html: bool | str = FileOptions.strip_html,
    quote_max_lines: int = FileOptions.quote_max_lines,
    quote_max_chars: int = FileOptions.quote_max_chars,
    multi_label: bool = FileOptions.multi_label,
    label_separator: str = FileOptions.label_separator,
    arrow: bool = False,
) -> DatasetSplits:
    """The ``file`` dataset: your own train (and optional dev/test) files, read as :class:`FileOptions` says (config:
    ``data.options.strict``, ``data.options.strip_html`` ...; ``data.multi_label`` and ``data.label_separator``).

    Label ids come from the training file (sorted; it needs two or more classes); dev/test labels must occur in
    it. Without ``dev``, ``dev_fraction`` of train is held out (stratified, seeded). Empty examples are kept unless
    ``skip_empty``. ``strip_html="auto"`` is decided on the training file and applied alike to dev and test. With
    ``multi_label`` the splits hold label sets (:class:`~textcnn.classify.multilabel.MultiLabelSplit`; a held-out dev
    is drawn at random, seeded, as label sets cannot be stratified). The report has, per file, the rows read, used
    and skipped (and why) and the changes made (:func:`textcnn.data.report.format_read_report` prints them). With
    ``arrow`` (config ``data.arrow``) the training file is read through a memory-mapped Arrow file, a chunk at a
    time (:func:`textcnn.data.stream.read_arrow_file`; single-label only); dev and test files are read as usual.
    """
    options = FileOptions(
        text_column=text_column, label_column=label_column, format=format, encoding=encoding, strict=strict,
        strip_html=strip_html, skip_empty=skip_empty, quote_max_lines=quote_max_lines, quote_max_chars=quote_max_chars,
        multi_label=multi_label, label_separator=label_separator,
    )  # fmt: skip
    if arrow:
        from textcnn.data.stream import read_arrow_file

        train_split, label_names, train_info = read_arrow_file(train, options)
    else:
        train_split, label_names, train_info = read_labelled_file(train, options)
    if len(label_names) < 2:
        what = f"label {label_names[0]!r}" if label_names else "no label"
        raise ValueError(f"{train}: every example has {what}; a classifier needs two or more labels")
    html = train_info["strip_html"]
    follow = replace(options, strip_html=html["applied"])  # dev and test are treated as train was
    parts: dict[str, TextSplit | None] = {"train": train_split, "dev": None, "test": None}
    files = {"train": train_info}
    for split, path in (("dev", dev), ("test", test)):
        if path is not None:
            parts[split], _, files[split] = read_labelled_file(path, follow, label_names=label_names)
    report: dict = {"files": files, "strip_html": html}
    if dev is None:
        hold_out = holdout_dev
        if multi_label:
            from textcnn.classify.multilabel import holdout_dev_multilabel as hold_out
        parts["train"], parts["dev"], report["dev"] = hold_out(train_split, fraction=dev_fraction, seed=seed)
    report["empty_examples"] = _empty_rule(files, skip_empty)
    name = Path(train).stem
    if multi_label:
        from textcnn.classify.multilabel import MultiLabelDatasetSplits

        return MultiLabelDatasetSplits(name, label_names, parts["train"], parts["dev"], parts["test"], report)
    return DatasetSplits(name, label_names, parts["train"], parts["dev"], parts["test"], report)


def _hub_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _check_reachable(url: str, *, timeout: float = 5.0) -> None:
    """Fail fast (instead of minutes of retries) when the Hub endpoint cannot be reached."""
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname or "", port), timeout=timeout).close()
    except OSError as err:
        raise ValueError(
            f"cannot reach the Hugging Face Hub at {url} ({err}); 'hub' datasets need network access (or a "
            "local copy in the datasets cache with HF_HUB_OFFLINE=1). For local files use the 'file' dataset."
        ) from None


def splits_from_hf(
    dataset_dict, *, name: str, text_column: str = "text", label_column: str = "label", seed: int = 0,
    dev_fraction: float = 0.1,
) -> DatasetSplits:  # fmt: skip
    """Convert a ``datasets.DatasetDict`` with ``train`` (and ``validation``/``dev``, ``test``) splits.

    Integer ``ClassLabel`` columns keep their names; other labels are mapped like ``load_text_file``. Test
    splits whose labels are hidden (``-1``, as in GLUE) are left out and noted in the report.
    """
    import datasets

    if "train" not in dataset_dict:
        raise ValueError(f"{name}: no 'train' split; splits: {', '.join(dataset_dict)}")
    report: dict = {"source": f"Hugging Face Hub dataset {name!r}"}
    ref = dataset_dict["train"]
    for column in (text_column, label_column):
        if column not in ref.column_names:
            raise missing_column(name, column, ref.column_names)
    feature = ref.features[label_column]
    class_label = isinstance(feature, datasets.ClassLabel)
    if class_label:
        label_names = list(feature.names)
    else:
        distinct = {str(v) for v in ref[label_column]}
        label_names = sorted(distinct, key=label_sort_key(distinct))
    index = {n: i for i, n in enumerate(label_names)}
    parts: dict[str, TextSplit | None] = {"train": None, "dev": None, "test": None}
    for split, hf_names in (("train", ("train",)), ("dev", ("validation", "dev")), ("test", ("test",))):
        hf_name = next((n for n in hf_names if n in dataset_dict), None)
        if hf_name is None:
            continue
        ds = dataset_dict[hf_name]
        raw = ds[label_column]
        if class_label and any(v is None or v < 0 for v in raw):
            report[f"{split}_left_out"] = f"split {hf_name!r} has hidden labels (-1)"
            continue
        try:
            labels = [int(v) if class_label else index[str(v)] for v in raw]
        except KeyError as err:
            raise ValueError(f"{name}: split {hf_name!r} has label {err.args[0]!r}, not a training label") from None
        parts[split] = TextSplit(["" if t is None else str(t) for t in ds[text_column]], labels)
    if parts["dev"] is None:
        parts["train"], parts["dev"], report["dev"] = holdout_dev(parts["train"], fraction=dev_fraction, seed=seed)
    return DatasetSplits(name, label_names, parts["train"], parts["dev"], parts["test"], report)


def load_hub(
    data_dir: Path | None = None,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    hub_name: str,
    hub_config: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
) -> DatasetSplits:
    """The ``hub`` dataset: ``datasets.load_dataset(hub_name, hub_config)`` where a network exists.

    Raises:
        ValueError: If the Hub cannot be reached or the dataset cannot be loaded (one line, no deep traceback).
    """
    import datasets

    if not datasets.config.HF_HUB_OFFLINE:
        _check_reachable(_hub_endpoint())
    with _quiet_datasets(offline=False):  # the usual Hugging Face cache, so offline reuse works
        try:
            dataset_dict = datasets.load_dataset(hub_name, hub_config)
        except Exception as err:  # network, missing dataset, bad config: all end up as one clear message
            message = str(err).splitlines()[0] if str(err) else ""
            raise ValueError(f"could not load Hub dataset {hub_name!r}: {type(err).__name__}: {message}") from None
    return splits_from_hf(
        dataset_dict, name=hub_name, text_column=text_column, label_column=label_column, seed=seed,
        dev_fraction=dev_fraction,
    )  # fmt: skip


def text_format(path: str, format: str | None) -> str:
    """The prediction-input format: ``format``, else from ``path``'s suffix (``txt`` for stdin and other suffixes).

    Raises:
        ValueError: An unknown format.
    """
    if format is None:
        suffixes = [s.lower() for s in Path(path).suffixes if s.lower() != ".gz"]
        suffix = suffixes[-1][1:] if suffixes else ""
        format = {"json": "jsonl", "csv": "csv", "tsv": "tsv", "jsonl": "jsonl", "parquet": "parquet"}.get(suffix)
        format = format or "txt"
    if format not in TEXT_FORMATS:
        raise ValueError(f"unknown format {format!r}; choose from {', '.join(TEXT_FORMATS)}")
    return format


def _text_rows(path: str, fmt: str, column: str, limits: QuoteLimits) -> Iterator[Row]:
    if fmt == "parquet":
        return parquet_rows(path, (column,))
    lines = iter_lines(path, encoding="utf-8")  # replacement characters are counted by predict
    if fmt == "jsonl":
        return json_rows(lines, path, (column,), bare_text=True)
    return csv_rows(lines, path, (column,), delimiter="\t" if fmt == "tsv" else ",", limits=limits)


def read_texts(
    path: str | Path,
    *,
    column: str | None = None,
    format: str | None = None,
    quote_max_lines: int = QUOTE_MAX_LINES,
    quote_max_chars: int = QUOTE_MAX_CHARS,
) -> Iterator[str]:
    """Stream the texts to classify, one at a time (bounded memory), for prediction.

    Args:
        path: A file, or ``"-"`` for standard input. ``.gz`` is decompressed.
        column: Column holding the text for ``csv``/``tsv``/``jsonl``/``parquet`` (default ``"text"``).
        format: ``txt`` (one text per line; UTF-8, else cp1252 per line, see :mod:`textcnn.data.encoding`),
            ``csv``/``tsv`` (header row; one text per record; UTF-8), ``jsonl`` (one object, or string, per line;
            UTF-8) or ``parquet``; ``None``: from the suffix (``txt`` for stdin and unknown suffixes).
        quote_max_lines: A quoted CSV/TSV field spanning more lines is taken for a quote that was never closed.
        quote_max_chars: ... and so is one spanning several lines and more characters.

    Yields:
        Exactly one text per input line (record): an empty or blank line gives ``""``, so outputs align with inputs.
        Records spanning several lines (a quoted field with line breaks) are reported in a ``UserWarning``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: Unknown format, missing column, a JSONL line that is not JSON or whose text is not a string, a
            broken quote or a CSV record with the wrong number of fields (file and line named).
    """
    path = str(path)
    fmt = text_format(path, format)
    if fmt == "txt":
        yield from iter_lines(path)
        return
    column = column or "text"
    spans = []
    for row in _text_rows(path, fmt, column, QuoteLimits(quote_max_lines, quote_max_chars)):
        if row.lines > 1 and len(spans) < MAX_LISTED:
            spans.append(f"{row.where}: {row.lines} lines")
        yield "" if row.values is None else text_value(row.values[0], row.where, path, column)
    if spans:  # rows and lines no longer match one to one: say so (a broken quote can hide in such a record)
        warnings.warn(f"{path}: records span several lines ({', '.join(spans)}); each is one text", stacklevel=2)


register_dataset(
    DatasetSpec(
        name="file",
        description="your own files: load_dataset('file', train=PATH, dev=PATH, test=PATH, text_column, label_column)",
        label_names=(),
        num_folds=0,
        splits=("train", "dev", "test"),
        citation="",
        loader=load_files,
        needs_data_dir=False,
    )
)
register_dataset(
    DatasetSpec(
        name="hub",
        description="a Hugging Face Hub dataset (needs network): load_dataset('hub', hub_name=NAME)",
        label_names=(),
        num_folds=0,
        splits=("train", "validation", "test"),
        citation="",
        loader=load_hub,
        needs_data_dir=False,
    )
)
