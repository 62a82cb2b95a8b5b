"""Training files larger than memory (config ``data.arrow: true``): the training file is converted once, row by row,
into an Arrow file that Hugging Face ``datasets`` memory-maps, and read back a chunk at a time.

What stays in memory is what training needs anyway: a label id per example (one ``int64`` array), the vocabulary's
counts (the tokenizer is fitted in one streaming pass over :attr:`ArrowSplit.texts`) and the encoded ids
(:class:`textcnn.data.batching.PackedIds`, encoded chunk by chunk). The texts themselves are never a list of strings:
the file is parsed line by line (:func:`textcnn.data.files.labelled_rows` with a
:class:`~textcnn.data.encoding.LineTally`), and every row goes through the same rules as an in-memory read
(:func:`textcnn.data.files.example_rows`: blank lines skipped and counted, malformed rows an error naming file and
line, ``strict``, label prefixes, ``strip_html``, ``skip_empty``), so the split, the label ids and the report are
those of :func:`textcnn.data.files.read_labelled_file` (tested equal). ``strip_html`` and ``skip_empty``, which are
decided on the whole file, rewrite the Arrow file once more when they change anything.

The Arrow files live in a temporary folder under ``datasets``' cache (``$HF_DATASETS_CACHE``, by default
``~/.cache/huggingface/datasets``, so a disk rather than a RAM-backed ``/tmp``), removed when the split is no longer
used or the process ends. A dev split held out of the training file is a subset of the same Arrow file (its row
indices), so ``dev_fraction`` works as before. Multi-label files are refused.
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from textcnn.data.encoding import DecodedLines, LineTally, chosen_encoding
from textcnn.data.files import (
    EMPTY_SKIP,
    FileOptions,
    check_file,
    example_rows,
    file_format,
    label_sort_key,
    labelled_rows,
)
from textcnn.data.markup import has_html, strip_html, strip_html_rule
from textcnn.data.report import RowLog

#: Rows written to, and read from, the Arrow file at once.
ARROW_CHUNK = 4096
_COLUMNS = ("text", "where")


class ArrowTexts(Sequence):
    """The texts of an Arrow dataset (its ``text`` column), read from the memory-mapped file on demand: an item is a
    ``str``, a slice a ``list[str]``, iteration goes a chunk of :data:`ARROW_CHUNK` rows at a time."""

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self.dataset[start:stop]["text"] if stop > start else []
        if not -len(self) <= index < len(self):
            raise IndexError(f"text index {index} out of range for {len(self)} texts")
        return self.dataset[index % len(self)]["text"]

    def __iter__(self) -> Iterator[str]:
        for batch in self.dataset.iter(batch_size=ARROW_CHUNK):
            yield from batch["text"]


class ArrowSplit:
    """A training split whose texts stay in a memory-mapped Arrow file: the :class:`~textcnn.data.splits.TextSplit`
    interface (``texts``, ``labels``, ``len``, ``subset``, ``class_counts``) with ``texts`` an :class:`ArrowTexts`
    and ``labels`` an ``array("q")`` (8 bytes a label; items are Python ints, and ``np.asarray`` reads it without a
    copy).

    Args:
        dataset: A ``datasets.Dataset`` with a ``text`` column.
        labels: ``(N,)`` label ids, aligned with the rows.
        folder: The temporary folder holding the Arrow files, kept as long as a split uses it.
    """

    def __init__(self, dataset, labels: np.ndarray, folder: tempfile.TemporaryDirectory | None = None) -> None:
        if len(dataset) != len(labels):
            raise ValueError(f"texts and labels differ in length: {len(dataset)} texts, {len(labels)} labels")
        self.texts = ArrowTexts(dataset.select_columns(["text"]))
        self.labels = array("q", np.asarray(labels, dtype=np.int64).tobytes())
        self._folder = folder

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices) -> ArrowSplit:
        """The examples at ``indices``, in that order (a view of the same Arrow file)."""
        indices = np.asarray(indices, dtype=np.int64)
        return ArrowSplit(self.texts.dataset.select(indices), np.asarray(self.labels)[indices], self._folder)

    def class_counts(self, num_classes: int) -> list[int]:
        """How many examples each class ``0 .. num_classes-1`` has.

        Raises:
            ValueError: If a label is ``>= num_classes``.
        """
        labels = np.asarray(self.labels)
        if len(labels) and labels.max() >= num_classes:
            raise ValueError(f"label {labels.max()} is out of range for {num_classes} classes")
        return np.bincount(labels, minlength=num_classes).tolist()


def arrow_folder() -> tempfile.TemporaryDirectory:
    """A new temporary folder for Arrow files under ``datasets``' cache (removed when garbage collected)."""
    import datasets

    root = Path(datasets.config.HF_DATASETS_CACHE)
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="textcnn-arrow-", dir=root)


class _ArrowRows:
    """Writes ``(text, where)`` rows to an Arrow file through ``datasets``' writer, :data:`ARROW_CHUNK` at a time."""

    def __init__(self, path: Path) -> None:
        from datasets import Features, Value
        from datasets.arrow_writer import ArrowWriter

        self.path = path
        features = Features({name: Value("string") for name in _COLUMNS})
        self._writer = ArrowWriter(features=features, path=str(path), writer_batch_size=ARROW_CHUNK)
        self._batch: dict[str, list[str]] = {name: [] for name in _COLUMNS}

    def add(self, text: str, where: str) -> None:
        self._batch["text"].append(text)
        self._batch["where"].append(where)
        if len(self._batch["text"]) >= ARROW_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._batch["text"]:
            self._writer.write_batch(self._batch)
            self._batch = {name: [] for name in _COLUMNS}

    def close(self):
        """Finish the file; return it as a memory-mapped ``datasets.Dataset``."""
        import datasets

        self._flush()
        self._writer.finalize()
        self._writer.close()
        return datasets.Dataset.from_file(str(self.path))


def _decoding_report(tally: LineTally, encoding: str | None) -> dict:
    """The decoding report of a streamed file, as :meth:`DecodedLines.report` gives it for a file read whole."""
    chosen = chosen_encoding(tally, encoding)
    return DecodedLines(range(tally.lines), chosen, encoding is None, tally).report()  # only len(lines) is read


def _rewrite(dataset, codes: np.ndarray, path: Path, *, html: bool, skip_empty: bool, log: RowLog):
    """The rows with HTML removed (``html``) and empty texts dropped (``skip_empty``), as a new Arrow file; returns
    ``(dataset, codes, empty texts kept)``."""
    rows, keep, changed, empty = _ArrowRows(path), np.ones(len(codes), dtype=bool), 0, 0
    position = 0
    for batch in dataset.iter(batch_size=ARROW_CHUNK):
        for text, where in zip(batch["text"], batch["where"], strict=True):
            if html:
                stripped = strip_html(text)
                changed, text = changed + (stripped != text), stripped
            if skip_empty and not text.strip():
                log.skip(where, EMPTY_SKIP, problem=False)
                keep[position] = False
            else:
                rows.add(text, where)
                empty += not text.strip()
            position += 1
    if html:
        log.change("HTML removed", changed)
    return rows.close(), codes[keep], empty


def read_arrow_file(path: str | Path, options: FileOptions | None = None) -> tuple[ArrowSplit, list[str], dict]:
    """Read a labelled training file as :func:`textcnn.data.files.read_labelled_file` does (same split, label ids
    and report), keeping its texts in a memory-mapped Arrow file.

    Args:
        path: The file (any single-label format of :mod:`textcnn.data.files`).
        options: How to read it (default: ``FileOptions()``).

    Returns:
        ``(split, label_names, report)``; the labels are the sorted distinct labels of the file.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: What :func:`~textcnn.data.files.read_labelled_file` refuses (file and line named), and
            ``multi_label`` files.
    """
    opts = options or FileOptions()
    if opts.multi_label:
        raise ValueError("data.arrow reads single-label files; multi-label files are read into memory (unset it)")
    path = check_file(Path(path).expanduser())
    fmt = file_format(path, opts)
    tally, log, folder = LineTally(), RowLog(str(path), strict=opts.strict), arrow_folder()
    rows, decoding = labelled_rows(path, fmt, opts, tally=tally)
    writer, names, codes = _ArrowRows(Path(folder.name) / "rows.arrow"), {}, array("i")
    tagged = nonempty = 0
    for text, label, where in example_rows(rows, log, text_column=opts.text_column, label_column=opts.label_column):
        writer.add(text, where)
        codes.append(names.setdefault(label, len(names)))
        if text.strip():
            nonempty += 1
            tagged += opts.strip_html == "auto" and has_html(text)
    dataset, ids, empty = writer.close(), np.frombuffer(codes, dtype=np.int32), len(codes) - nonempty
    html = strip_html_rule(opts.strip_html, tagged=tagged, nonempty=nonempty)
    if html["applied"] or opts.skip_empty:
        dataset, ids, empty = _rewrite(dataset, ids, Path(folder.name) / "final.arrow", html=bool(html["applied"]),
                                       skip_empty=opts.skip_empty, log=log)  # fmt: skip
    if not len(ids):
        raise ValueError(f"{path}: no examples")
    log.used = len(ids)
    present = set(np.unique(ids).tolist())  # skip_empty may have dropped every example of a label
    used = {name for name, code in names.items() if code in present}
    label_names = sorted(used, key=label_sort_key(used))
    index = {name: i for i, name in enumerate(label_names)}
    remap = np.array([index.get(name, -1) for name in names], dtype=np.int64)  # first-seen code -> label id
    split = ArrowSplit(dataset, remap[ids], folder)
    decoding = decoding or _decoding_report(tally, opts.encoding)  # known once every line was read
    info = {"file": str(path), "format": fmt, "examples": len(split), **decoding, **log.as_dict()}
    info["empty_examples"] = empty
    info["strip_html"] = html
    info["arrow"] = "memory-mapped Arrow file (data.arrow)"
    return split, label_names, info
