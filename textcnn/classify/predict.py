"""Library function behind ``textcnn predict``: stream texts from files to one prediction line per input line.

What a line is (``txt`` inputs): the bytes up to a ``\n`` byte, with trailing ``\r`` bytes removed (so LF and CRLF
files read the same). Nothing else ends a line: a lone CR, NEL (U+0085), LINE SEPARATOR (U+2028), form feeds and NUL
bytes stay inside their line, so the output always has exactly one row per ``\n``-terminated input line (plus one
for a last line without ``\n``). A UTF-8 byte-order mark at the start of the file is dropped. Each line is decoded
as UTF-8, else cp1252 (as the training files are read), else UTF-8 with U+FFFD replacement characters; lines that
were not valid UTF-8 are counted in :class:`~textcnn.classify.classifier.PredictStats`.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from textcnn.classify.classifier import PredictStats, TextClassifier
from textcnn.classify.hybrid import load_text_classifier
from textcnn.classify.windows import check_windows
from textcnn.utils.io import commit_file

FORMATS = ("tsv", "csv", "jsonl")
_STDOUT_PATHS = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def iter_input_texts(
    inputs: Iterable[str],
    column: str | None = None,
    input_format: str | None = None,
    stats: PredictStats | None = None,
) -> Iterator[str]:
    """Texts of every input, exactly one per line (record), in order (``-`` reads standard input); a malformed
    input (a broken CSV quote, a JSONL text that is not a string ...) is a ``ValueError`` naming file and line.

    Args:
        inputs: File names; ``-`` is standard input.
        column: Text column of CSV/JSONL/Parquet inputs (default: the one the model was trained with).
        input_format: Force the input format (see :func:`textcnn.data.files.read_texts`).
        stats: If given, lines that were not valid UTF-8 (``txt``) and texts holding U+FFFD (every format) are
            counted in it.
    """
    from textcnn.data.files import read_texts, text_format

    for name in inputs:
        name = str(name)
        if stats is not None and text_format(name, input_format) == "txt":
            yield from _read_txt_lines(name, stats)
            continue
        for text in read_texts(name, column=column, format=input_format):
            if stats is not None:
                stats.replaced += "\ufffd" in text
            yield text


def _read_txt_lines(name: str, stats: PredictStats) -> Iterator[str]:
    """The lines :func:`~textcnn.data.files.read_texts` yields for a ``txt`` input (both are
    :func:`textcnn.data.encoding.iter_lines`), counting those that were not valid UTF-8 and those that needed
    replacement characters."""
    from textcnn.data.encoding import LineTally, iter_lines

    tally = LineTally()
    try:
        yield from iter_lines(name, tally=tally)
    finally:
        stats.not_utf8 += tally.not_utf8
        stats.replaced += tally.replaced


def _rows(proba_rows: Iterable[np.ndarray], labels: list[str], top_k: int, all_probs: bool) -> Iterator[dict]:
    for p in proba_rows:
        best = int(p.argmax())
        row = {"label": labels[best], "probability": float(p[best])}
        if top_k > 1:
            order = np.argsort(-p, kind="stable")[:top_k]
            row["top_k"] = [(labels[i], float(p[i])) for i in order]
        if all_probs:
            row["probabilities"] = {labels[i]: float(p[i]) for i in range(len(labels))}
        yield row


def _write(rows: Iterable[dict], out: TextIO, fmt: str, labels: list[str], top_k: int, all_probs: bool) -> None:
    if fmt == "jsonl":
        for row in rows:
            if "top_k" in row:
                row["top_k"] = [{"label": lab, "probability": pr} for lab, pr in row["top_k"]]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    header = ["label", "probability"]
    if top_k > 1:
        header += [f"top{i + 1}_{part}" for i in range(top_k) for part in ("label", "probability")]
    if all_probs:
        header += [f"p_{name}" for name in labels]
    rows = iter(rows)
    first = next(rows, None)  # read and predict the first chunk before writing anything: early errors leave no header
    writer.writerow(header)
    for row in itertools.chain([first] if first is not None else [], rows):
        cells = [row["label"], f"{row['probability']:.6f}"]
        if top_k > 1:
            pairs = row["top_k"] + [("", float("nan"))] * (top_k - len(row["top_k"]))
            for lab, pr in pairs:
                cells += [lab, "" if pr != pr else f"{pr:.6f}"]
        if all_probs:
            cells += [f"{row['probabilities'][name]:.6f}" for name in labels]
        writer.writerow(cells)


def predict_files(
    model_dir: str | Path,
    inputs: Iterable[str],
    output: str | Path | None = None,
    *,
    fmt: str = "tsv",
    top_k: int = 1,
    all_probs: bool = False,
    batch_size: int = 256,
    column: str | None = None,
    input_format: str | None = None,
    device: str = "cpu",
    classifier: TextClassifier | None = None,
    stdout: TextIO | None = None,
    progress: bool | None = None,
    windows: str | None = None,
    precision: str = "float32",
) -> PredictStats:
    """Predict every line of ``inputs`` and write one output line per input line, in order.

    Writing to a file goes to a temporary name in the same folder (``.NAME.<random>.partial``), renamed to ``output``
    only when every line is written and flushed to disk: a killed run never leaves a truncated file under the final
    name (an earlier ``output`` stays as it was). A run that fails removes its temporary file; one killed with
    SIGKILL cannot, and leaves it behind (never read by textcnn; safe to delete). The output folder is checked
    (created, and a temporary file opened in it) before the model is loaded. A device or pipe (``/dev/null``,
    ``/dev/stdout``) is written directly; a symbolic link is followed.

    Args:
        model_dir: A model directory.
        inputs: Input files (one text per line, or a CSV/JSONL/Parquet ``column``); ``-`` is standard input.
        output: Output file; ``None``, ``-`` or ``/dev/stdout`` writes to standard output.
        fmt: ``tsv``, ``csv`` or ``jsonl``.
        top_k: Also write the ``k`` most probable labels (``1``: only the best).
        all_probs: Also write the probability of every label.
        batch_size: Texts per forward pass.
        column: Text column of CSV/JSONL/Parquet inputs (default: the one the model was trained with).
        input_format: Force the input format (``txt``, ``csv``, ``tsv``, ``jsonl``, ``parquet``).
        device: ``cpu``, ``cuda`` or ``auto``.
        classifier: An already loaded classifier (skips loading ``model_dir``).
        stdout: Stream for ``output=None`` (default ``sys.stdout``).
        progress: Count the lines predicted on a progress bar on standard error; ``None``: only when standard error
            is a terminal and the predictions do not go to a terminal too (where the bar would garble them).
        windows: How texts longer than the model's ``max_len`` are read: ``off`` (truncated), ``max`` or ``mean``
            (pooled windows; see :mod:`textcnn.classify.windows`); ``None``: as the model was saved.
        precision: ``float32``, or ``bfloat16`` (a Kim CNN on the PyTorch backend: one bf16 matrix product,
            faster on CPUs with AVX-512 BF16/AMX; see :meth:`TextClassifier.set_precision`).

    Returns:
        Counts: lines predicted, empty texts, truncated texts, texts read as windows, lines that were not valid
        UTF-8.

    Raises:
        ValueError: Bad options, an unwritable output, a bad model directory or input (file and line named).
        FileNotFoundError: A missing model directory or input file.
    """
    inputs = _checked_inputs(inputs, fmt, top_k, batch_size)
    if windows is not None:
        check_windows(windows)
    if output is not None and (str(output) == "-" or os.path.abspath(output) in _STDOUT_PATHS):
        output = None  # write through our own standard output, not a second handle on the same file
    # Open the output before loading the model or reading any input: an unwritable place fails at once.
    with _Output(Path(output) if output is not None else None, stdout or sys.stdout) as out:
        clf = classifier or _load(model_dir, device, windows, precision)
        if classifier is not None and windows is not None:  # the caller's classifier is left as it was
            clf = copy.copy(classifier)
            clf.windows = windows
        top_k = min(top_k, len(clf.labels))
        stats = PredictStats()
        texts = iter_input_texts(inputs, column or trained_text_column(clf), input_format, stats)
        write_text_predictions(clf, texts, out, fmt=fmt, top_k=top_k, all_probs=all_probs, batch_size=batch_size,
                               stats=stats, progress=progress)  # fmt: skip
    return stats


def write_text_predictions(
    clf: TextClassifier, texts: Iterable[str], out: TextIO, *, fmt: str, top_k: int, all_probs: bool,
    batch_size: int, stats: PredictStats, progress: bool | None,
) -> None:  # fmt: skip
    """Write one row per text of ``texts`` to ``out`` (with the header of ``fmt``): the top ``top_k`` labels, or for a
    multi-label classifier every label at or above its threshold; ``top_k`` at most the number of labels."""
    if getattr(clf, "multi_label", False):
        _predict_multilabel(clf, texts, out, fmt=fmt, top_k=top_k, all_probs=all_probs, batch_size=batch_size,
                            stats=stats, progress=progress)  # fmt: skip
        return
    rows = _rows(clf.iter_proba(texts, batch_size=batch_size, stats=stats), clf.labels, top_k, all_probs)
    _write(_with_progress(rows, progress, out), out, fmt, clf.labels, top_k, all_probs)


def _predict_multilabel(
    clf: TextClassifier, texts: Iterable[str], out: TextIO, *, fmt: str, top_k: int, all_probs: bool,
    batch_size: int, stats: PredictStats, progress: bool | None,
) -> None:  # fmt: skip
    """Write every label at or above its threshold, with its probability (see
    :func:`textcnn.classify.multilabel.write_predictions`)."""
    from textcnn.classify.multilabel import prediction_rows, trained_separator, write_predictions

    if top_k > 1:
        raise ValueError("top_k does not apply to a multi-label model: it writes every label at or above its threshold "
                         "(--all-probs adds every label's probability)")  # fmt: skip
    proba = clf.iter_proba(texts, batch_size=batch_size, stats=stats)
    rows = prediction_rows(proba, clf.labels, clf.thresholds, all_probs)
    separator = trained_separator(clf.config)
    write_predictions(_with_progress(rows, progress, out), out, fmt, clf.labels, all_probs, separator)


def _load(model_dir: str | Path, device: str, windows: str | None, precision: str = "float32") -> TextClassifier:
    """The classifier ``textcnn.load`` gives (an int8 directory's int8 graph on CPU, a hybrid ...), with ``windows``
    (when given) overriding the saved long-document pooling, predicting in ``precision``."""
    from textcnn.classify.quantize import has_int8_graph

    if device == "cpu" and has_int8_graph(model_dir):
        from textcnn.classify.export import load_onnx

        if precision != "float32":
            raise ValueError(f"{model_dir} holds an int8 graph, which predicts in int8: drop --precision {precision}")
        clf = load_onnx(model_dir, int8=True)
        if windows is not None:
            clf.windows = windows
            clf.check_long_documents()
        return clf
    clf = load_text_classifier(model_dir, device=device, windows=windows)  # a hybrid too
    if precision != "float32":
        getattr(clf, "cnn", clf).set_precision(precision)  # a hybrid's CNN
    return clf


def trained_text_column(clf: TextClassifier) -> str | None:
    """The text column the model was trained with (``data.text_column`` of its saved config), if any."""
    data = clf.config.get("data")
    column = data.get("text_column") if isinstance(data, dict) else None
    return column if isinstance(column, str) else None


def _checked_inputs(inputs: Iterable[str], fmt: str, top_k: int, batch_size: int) -> list[str]:
    """The input names, after checking the options and that every input file exists (before loading the model)."""
    if fmt not in FORMATS:
        raise ValueError(f"output format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    inputs = [str(name) for name in inputs]
    for name in inputs:
        if name != "-" and not Path(name).is_file():
            raise FileNotFoundError(f"input file not found: {name!r}")
    return inputs


def _with_progress(rows: Iterable[dict], progress: bool | None, out: TextIO) -> Iterable[dict]:
    """``rows``, counted on a tqdm bar on standard error (the total is unknown: inputs are streamed). ``None`` shows
    the bar only where standard error is a terminal (tqdm's ``disable=None``) and ``out`` is not one."""
    if progress is False or (progress is None and _isatty(out)):
        return rows
    from tqdm.auto import tqdm

    disable = None if progress is None else False
    return tqdm(rows, desc="predicting", unit=" lines", unit_scale=True, file=sys.stderr, disable=disable)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a stream without a file, or a closed one
        return False


class _Output:
    """Where ``predict_files`` writes, as a context manager yielding the text stream: ``stdout`` when ``path`` is
    ``None``; a temporary file beside a regular file ``path`` (``.NAME.<random>.partial``), renamed onto ``path``
    when the block ends without an error and removed when it raises; or, for a device, pipe or socket, and for any
    path under ``/dev/`` or ``/proc/`` (``/dev/null``, ``/dev/stdout``, ``/dev/fd/3``), that file itself, opened
    for appending: renaming over it would replace a device node with a regular file, or a shell's redirection
    target behind its back.

    A symbolic link elsewhere is followed: the file it points to is replaced, the link stays.

    Raises:
        ValueError: If ``path`` is a folder or its folder cannot be created or written.
    """

    def __init__(self, path: Path | None, stdout: TextIO) -> None:
        self.tmp: Path | None = None
        if path is None:
            self.fh, self.final = stdout, None
            return
        if path.is_dir():
            raise ValueError(f"output {path} is a folder; give a file name")
        self.final = path.resolve() if path.is_symlink() else path
        try:
            special = os.path.abspath(path).startswith(("/dev/", "/proc/"))
            if special or (path.exists() and not path.is_file()):
                self.fh = open(path, "a", encoding="utf-8", newline="")  # noqa: SIM115 - closed by commit/discard
                return
            self.final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.final.name}.", suffix=".partial", dir=self.final.parent)
        except OSError as exc:
            raise ValueError(f"cannot write output file {path}: {exc.strerror or exc}") from None
        self.tmp = Path(tmp)
        self.fh = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by commit/discard

    def __enter__(self) -> TextIO:
        return self.fh

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.final is None:  # standard output: nothing to commit or remove
            return
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> None:
        """Flush everything to disk and rename the temporary file onto the final name."""
        self.fh.close()
        if self.tmp is not None:
            commit_file(self.tmp, self.final)

    def discard(self) -> None:
        """Close and remove the temporary file (a failed run leaves the final name as it was)."""
        with contextlib.suppress(OSError):  # closing flushes; a full disk fails again here
            self.fh.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
