"""Users' own data: labelled files for training/evaluation (``load_text_file``, registered as dataset ``file``),
Hugging Face Hub datasets (registered as ``hub``), and a streaming text reader for prediction (``read_texts``).

Formats (``format=None`` picks one from the suffix):

* ``csv`` (``.csv``), ``tsv`` (``.tsv`` whose first line names the columns), ``json`` (``.json``/``.jsonl``, JSON
  lines or one array) and ``parquet`` (``.parquet``) are read with Hugging Face ``datasets`` (offline, quietly,
  cached in a temporary folder). CSV/TSV cells are read as strings (``"NA"`` stays ``"NA"``).
* ``tab``: ``label<TAB>text`` lines (``.tsv`` without a header line; an optional ``label<TAB>text`` header is
  skipped); ``kim``: ``label text`` lines as in Kim's files (any other suffix, unless the first line has a tab).
  Encoding: ``encoding`` if given, else detected (UTF-8, else cp1252, else replacement characters).

Labels are strings; they get ids in sorted order of the training file's labels (numeric order when every label is
an integer). A label-only line or empty text cell is an empty example (kept; the ``file`` dataset's
``skip_empty=True`` drops them). Blank lines of ``tab``/``kim`` files are skipped with a warning.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from textcnn.data.encoding import check_encoding, decode_line, read_lines
from textcnn.data.kim import parse_label_lines
from textcnn.data.registry import DatasetSpec, register_dataset
from textcnn.data.splits import DatasetSplits, TextSplit, holdout_dev

LABELLED_FORMATS = ("csv", "tsv", "json", "parquet", "tab", "kim")
TEXT_FORMATS = ("txt", "csv", "tsv", "jsonl", "parquet")
_HF_BUILDER = {"csv": "csv", "tsv": "csv", "json": "json", "parquet": "parquet"}
_MAX_LISTED = 5


def _first_line(path: Path) -> str:
    import gzip

    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        return f.readline().decode("utf-8", errors="replace").rstrip("\r\n")


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
def _quiet_datasets(*, offline: bool) -> Iterator[None]:
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


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _diagnose(path: Path, fmt: str, encoding: str | None, err: Exception) -> ValueError:
    """A ValueError naming the first bad line of a file that ``datasets`` failed to read."""
    opener = {"encoding": encoding or "utf-8", "errors": "replace"}
    if fmt in ("csv", "tsv"):
        with open(path, newline="", **opener) as f:
            reader = csv.reader(f, delimiter="\t" if fmt == "tsv" else ",")
            width = None
            for row in reader:
                width = width or len(row)
                if row and len(row) != width:
                    return ValueError(f"{path}: line {reader.line_num} has {len(row)} fields, expected {width}")
    if fmt == "json" and _first_line(path).lstrip().startswith("{"):
        with open(path, **opener) as f:
            for number, line in enumerate(f, start=1):
                try:
                    if line.strip():
                        json.loads(line)
                except json.JSONDecodeError as json_err:
                    return ValueError(f"{path}: line {number} is not valid JSON ({json_err.msg})")
    cause = err.__cause__ or err
    if isinstance(cause, UnicodeDecodeError):
        with open(path, "rb") as f:
            number = next((n for n, line in enumerate(f, start=1) if not _decodes(line, encoding or "utf-8")), "?")
        return ValueError(f"{path}: line {number} is not valid {encoding or 'UTF-8'}; pass encoding= (e.g. 'cp1252')")
    return ValueError(f"{path}: could not be read as {fmt} ({type(cause).__name__}: {cause})")


def _read_with_datasets(
    path: Path, fmt: str, *, text_column: str, label_column: str, encoding: str | None
) -> tuple[list[str], list[str | None], list[str]]:
    import datasets

    kwargs: dict = {}
    if fmt in ("csv", "tsv"):
        converters = {text_column: str, label_column: str}
        kwargs = {"sep": "\t" if fmt == "tsv" else ",", "keep_default_na": False, "converters": converters}
    if encoding and fmt != "parquet":
        kwargs["encoding"] = encoding
    # Local files: offline, in memory, and cached in a temporary folder so nothing is left in the user's cache/cwd.
    with _quiet_datasets(offline=True), tempfile.TemporaryDirectory(prefix="textcnn-hf-") as cache_dir:
        try:
            ds = datasets.load_dataset(
                _HF_BUILDER[fmt], data_files={"train": str(path)}, split="train", cache_dir=cache_dir,
                keep_in_memory=True, **kwargs,
            )  # fmt: skip
        except Exception as err:  # datasets wraps parser errors in DatasetGenerationError
            raise _diagnose(path, fmt, encoding, err) from None
    for column in (text_column, label_column):
        if column not in ds.column_names:
            raise ValueError(f"{path}: no column {column!r}; columns: {', '.join(ds.column_names)}")
    labels = ds[label_column]
    feature = ds.features[label_column]
    if isinstance(feature, datasets.ClassLabel):
        labels = [feature.names[i] if i is not None and i >= 0 else None for i in labels]
    texts = ["" if t is None else str(t) for t in ds[text_column]]
    return texts, [None if v is None else str(v) for v in labels], [f"row {i}" for i in range(1, len(texts) + 1)]


def _read_label_lines(
    path: Path, fmt: str, *, text_column: str, label_column: str, encoding: str | None
) -> tuple[list[str], list[str | None], list[str], dict]:
    decoded = read_lines(path, encoding=encoding)
    lines = decoded.lines
    skip_header = fmt == "tab" and lines and lines[0].split("\t") == [label_column, text_column]
    parsed = parse_label_lines(lines[1:] if skip_header else lines, sep="\t" if fmt == "tab" else None)
    offset = 1 if skip_header else 0
    if parsed.unlabelled_lines:
        raise ValueError(f"{path}: line {parsed.unlabelled_lines[0] + offset} has text but an empty label")
    info = decoded.report()
    if parsed.blank_lines:
        info["blank_lines_skipped"] = len(parsed.blank_lines)
        info["blank_line_numbers"] = [n + offset for n in parsed.blank_lines[:_MAX_LISTED]]
    where = [f"line {n + offset}" for n in parsed.line_numbers]
    return parsed.texts, list(parsed.raw_labels), where, info


def _sort_key(labels: set[str]):
    if all(label.lstrip("-").isdigit() for label in labels):
        return int
    return str


def read_labelled_file(
    path: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    format: str | None = None,
    label_names: list[str] | None = None,
    encoding: str | None = None,
) -> tuple[TextSplit, list[str], dict]:
    """``load_text_file`` plus a JSON-friendly report of the reading (format, encoding, skipped blank lines)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {str(path)!r}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: file is empty")
    if encoding is not None:
        encoding = check_encoding(encoding)
    fmt = format or detect_format(path, label_column=label_column, text_column=text_column)
    fmt = "json" if fmt == "jsonl" else fmt
    if fmt not in LABELLED_FORMATS:
        raise ValueError(f"unknown format {fmt!r} for {path}; choose from {', '.join(LABELLED_FORMATS)}")
    columns = {"text_column": text_column, "label_column": label_column, "encoding": encoding}
    if fmt in _HF_BUILDER:
        texts, raw, where = _read_with_datasets(path, fmt, **columns)
        info: dict = {"encoding": encoding or ("utf-8" if fmt != "parquet" else "n/a")}
    else:
        texts, raw, where, info = _read_label_lines(path, fmt, **columns)
    if not texts:
        raise ValueError(f"{path}: no examples")
    for label, loc in zip(raw, where, strict=True):
        if label is None or not label.strip():
            raise ValueError(f"{path}: {loc} has an empty label (column {label_column!r})")
    raw = [label.strip() for label in raw]
    if label_names is None:
        distinct = set(raw)
        label_names = sorted(distinct, key=_sort_key(distinct))
    index = {name: i for i, name in enumerate(label_names)}
    labels = []
    for label, loc in zip(raw, where, strict=True):
        if label not in index:
            raise ValueError(
                f"{path}: {loc} has label {label!r}, which is not a training label ({', '.join(label_names)})"
            )
        labels.append(index[label])
    info = {"file": str(path), "format": fmt, "examples": len(texts), **info}
    info["empty_examples"] = sum(not t.strip() for t in texts)
    return TextSplit(texts, labels), list(label_names), info


def load_text_file(
    path: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    format: str | None = None,
    label_names: list[str] | None = None,
    encoding: str | None = None,
) -> tuple[TextSplit, list[str]]:
    """Read a labelled file of your own.

    Args:
        path: The file (see the module docstring for formats).
        text_column: Column of the text (``csv``/``tsv``/``json``/``parquet``).
        label_column: Column of the label (``csv``/``tsv``/``json``/``parquet``).
        format: ``csv``, ``tsv``, ``json``, ``parquet``, ``tab`` or ``kim``; ``None`` detects it from the suffix.
        label_names: The training labels, for dev/test files: ids follow this list and an unseen label is an
            error. ``None`` (training files): the sorted distinct labels of this file.
        encoding: Codec of text formats (``None``: detected for ``tab``/``kim``, UTF-8 for ``csv``/``json``).

    Returns:
        ``(split, label_names)``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: Empty file, unknown format, missing column, empty label, malformed row (bad JSON line, wrong
            number of CSV fields) or a label not in ``label_names``; the file and line/row are named. (A single
            class is allowed here, e.g. for evaluation files; the ``file`` dataset rejects it for training.)
    """
    split, names, info = read_labelled_file(
        path, text_column=text_column, label_column=label_column, format=format, label_names=label_names,
        encoding=encoding,
    )  # fmt: skip
    if info.get("blank_lines_skipped"):
        warnings.warn(
            f"{path}: skipped {info['blank_lines_skipped']} blank line(s), e.g. lines {info['blank_line_numbers']}",
            stacklevel=2,
        )
    return split, names


def _drop_empty(split: TextSplit | None) -> tuple[TextSplit | None, int]:
    if split is None:
        return None, 0
    keep = [i for i, t in enumerate(split.texts) if t.strip()]
    return split.subset(keep), len(split) - len(keep)


def load_files(
    data_dir: Path | None = None,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    train: str | Path,
    dev: str | Path | None = None,
    test: str | Path | None = None,
    text_column: str = "text",
    label_column: str = "label",
    format: str | None = None,
    encoding: str | None = None,
    skip_empty: bool = False,
) -> DatasetSplits:
    """The ``file`` dataset: your own train (and optional dev/test) files.

    Label ids come from the training file (sorted; it needs two or more classes); dev/test labels must occur in
    it. Without ``dev``,
    ``dev_fraction`` of train is held out (stratified, seeded). Empty examples are kept unless ``skip_empty``.
    """
    options = {"text_column": text_column, "label_column": label_column, "format": format, "encoding": encoding}
    train_split, label_names, train_info = read_labelled_file(train, **options)
    if len(label_names) < 2:
        raise ValueError(f"{train}: every example has label {label_names[0]!r}; a classifier needs two or more")
    parts: dict[str, TextSplit | None] = {"train": train_split, "dev": None, "test": None}
    files = {"train": train_info}
    for split, path in (("dev", dev), ("test", test)):
        if path is not None:
            parts[split], _, files[split] = read_labelled_file(path, label_names=label_names, **options)
    report: dict = {"files": files}
    if dev is None:
        parts["train"], parts["dev"], report["dev"] = holdout_dev(train_split, fraction=dev_fraction, seed=seed)
    if skip_empty:
        dropped = {}
        for split in parts:
            parts[split], dropped[split] = _drop_empty(parts[split])
        report["empty_examples"] = {"rule": "dropped (skip_empty=True)", "dropped": dropped}
    else:
        report["empty_examples"] = {"rule": "kept as empty texts; skip_empty=True drops them"}
    name = Path(train).stem
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
            raise ValueError(f"{name}: no column {column!r}; columns: {', '.join(ref.column_names)}")
    feature = ref.features[label_column]
    class_label = isinstance(feature, datasets.ClassLabel)
    if class_label:
        label_names = list(feature.names)
    else:
        distinct = {str(v) for v in ref[label_column]}
        label_names = sorted(distinct, key=_sort_key(distinct))
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


def _text_format(path: str, format: str | None) -> str:
    if format is None:
        suffixes = [s.lower() for s in Path(path).suffixes if s.lower() != ".gz"]
        suffix = suffixes[-1][1:] if suffixes else ""
        format = {"json": "jsonl", "csv": "csv", "tsv": "tsv", "jsonl": "jsonl", "parquet": "parquet"}.get(suffix)
        format = format or "txt"
    if format not in TEXT_FORMATS:
        raise ValueError(f"unknown format {format!r}; choose from {', '.join(TEXT_FORMATS)}")
    return format


def _open_binary(path: str) -> contextlib.AbstractContextManager:
    if path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    if not Path(path).is_file():
        raise FileNotFoundError(f"input file not found: {path!r}")
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def read_texts(path: str | Path, *, column: str | None = None, format: str | None = None) -> Iterator[str]:
    """Stream the texts to classify, one at a time (bounded memory), for prediction.

    Args:
        path: A file, or ``"-"`` for standard input. ``.gz`` is decompressed.
        column: Column holding the text for ``csv``/``tsv``/``jsonl``/``parquet`` (default ``"text"``).
        format: ``txt`` (one text per line; UTF-8, else cp1252 per line), ``csv``/``tsv`` (header row; one text
            per record), ``jsonl`` (one object, or string, per line) or ``parquet``; ``None``: from the suffix
            (``txt`` for stdin and unknown suffixes).

    Yields:
        Exactly one text per input line (record): an empty line gives ``""``, so outputs align with inputs.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: Unknown format, missing column, a JSONL line that is not JSON, or a CSV record with the wrong
            number of fields (line named).
    """
    path = str(path)
    fmt = _text_format(path, format)
    column = column or "text"
    if fmt == "parquet":
        yield from _read_parquet_column(path, column)
        return
    with _open_binary(path) as raw:
        if fmt == "txt":
            for number, piece in enumerate(raw):
                piece = piece.rstrip(b"\n").rstrip(b"\r")
                yield decode_line(piece[3:] if number == 0 and piece.startswith(codecs.BOM_UTF8) else piece)[0]
        elif fmt == "jsonl":
            yield from _read_jsonl_column(raw, path, column)
        else:
            yield from _read_csv_column(raw, path, column, delimiter="\t" if fmt == "tsv" else ",")


def _read_jsonl_column(raw, path: str, column: str) -> Iterator[str]:
    for number, piece in enumerate(raw, start=1):
        line = piece.decode("utf-8", errors="replace").strip()
        if not line:
            yield ""
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: line {number} is not valid JSON ({err.msg})") from None
        if isinstance(record, str):
            yield record
        elif isinstance(record, dict) and column in record:
            yield "" if record[column] is None else str(record[column])
        else:
            raise ValueError(f"{path}: line {number} has no field {column!r}")


def _read_csv_column(raw, path: str, column: str, *, delimiter: str) -> Iterator[str]:
    reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    if column not in header:
        raise ValueError(f"{path}: no column {column!r}; columns: {', '.join(header)}")
    position = header.index(column)
    csv.field_size_limit(sys.maxsize)  # a text cell may be megabytes long; memory is bounded by the caller's chunks
    try:
        for row in reader:
            if not row:
                yield ""
            elif len(row) != len(header):
                raise ValueError(f"{path}: line {reader.line_num} has {len(row)} fields, expected {len(header)}")
            else:
                yield row[position]
    except csv.Error as err:
        raise ValueError(f"{path}: line {reader.line_num}: malformed CSV ({err})") from None


def _read_parquet_column(path: str, column: str) -> Iterator[str]:
    import pyarrow.parquet as pq

    if not Path(path).is_file():
        raise FileNotFoundError(f"input file not found: {path!r}")
    parquet = pq.ParquetFile(path)
    if column not in parquet.schema_arrow.names:
        raise ValueError(f"{path}: no column {column!r}; columns: {', '.join(parquet.schema_arrow.names)}")
    for batch in parquet.iter_batches(columns=[column], batch_size=4096):
        for value in batch.column(0).to_pylist():
            yield "" if value is None else str(value)


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
