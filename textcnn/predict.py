"""Library function behind ``textcnn predict``: stream texts from files to one prediction line per input line."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from textcnn.classifier import PredictStats, TextClassifier

FORMATS = ("tsv", "csv", "jsonl")


def iter_input_texts(
    inputs: Iterable[str], column: str | None = None, input_format: str | None = None
) -> Iterator[str]:
    """Texts of every input, one per line (``-`` reads standard input), in order."""
    from textcnn.data.files import read_texts

    for name in inputs:
        yield from read_texts(name, column=column, format=input_format)


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
    writer.writerow(header)
    for row in rows:
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
) -> PredictStats:
    """Predict every line of ``inputs`` and write one output line per input line, in order.

    Writing to a file goes to a temporary name in the same folder, renamed to ``output`` only when every line is
    written: a killed run never leaves a truncated file under the final name.

    Args:
        model_dir: A model directory.
        inputs: Input files (one text per line, or a CSV/JSONL/Parquet ``column``); ``-`` is standard input.
        output: Output file; ``None`` writes to standard output.
        fmt: ``tsv``, ``csv`` or ``jsonl``.
        top_k: Also write the ``k`` most probable labels (``1``: only the best).
        all_probs: Also write the probability of every label.
        batch_size: Texts per forward pass.
        column: Text column of CSV/JSONL/Parquet inputs.
        input_format: Force the input format (``txt``, ``csv``, ``tsv``, ``jsonl``, ``parquet``).
        device: ``cpu``, ``cuda`` or ``auto``.
        classifier: An already loaded classifier (skips loading ``model_dir``).
        stdout: Stream for ``output=None`` (default ``sys.stdout``).

    Returns:
        Counts: lines predicted, empty texts, truncated texts.
    """
    if fmt not in FORMATS:
        raise ValueError(f"output format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    clf = classifier or TextClassifier.from_pretrained(model_dir, device=device)
    top_k = min(top_k, len(clf.labels))
    stats = PredictStats()
    rows = _rows(
        clf.iter_proba(iter_input_texts(inputs, column, input_format), batch_size=batch_size, stats=stats),
        clf.labels,
        top_k,
        all_probs,
    )
    if output is None:
        _write(rows, stdout or sys.stdout, fmt, clf.labels, top_k, all_probs)
        return stats
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".partial", dir=output.parent)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            _write(rows, fh, fmt, clf.labels, top_k, all_probs)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return stats
