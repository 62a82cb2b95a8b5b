"""``textcnn predict --workers N``: the lines of big text files predicted by N processes, merged in input order.

The input lines (the files read as one stream, as one process reads them) are cut into N contiguous shards, only at
line numbers that are multiples of the classifier's chunk size (:data:`~textcnn.classify.classifier.CHUNK_SIZE`
texts, encoded, length-sorted and batched together): one sequential pass over the bytes finds the cut offsets, and
nothing else is kept. N worker processes (forked from a fork server, one torch thread each, the model loaded once
per process) predict their shard to a part file, exactly the rows
:func:`~textcnn.classify.predict.predict_files` writes for those lines, since every chunk, batch and float is the one a
single process computes; the parts are then copied in order into the output, written as ``predict_files`` writes it
(a temporary file renamed when complete). So the output is byte for byte the single-process output, with exactly one
row per input line in input order, and memory stays flat: every process streams. A file of fewer than N chunks uses
fewer workers.

Only plain-text inputs (``txt``, not gzipped, not standard input) can be cut by byte offset; for any other input the
prediction runs in one process, and the caller is told why (``say``).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from multiprocessing import get_context
from pathlib import Path

from textcnn.classify.classifier import CHUNK_SIZE, PredictStats
from textcnn.classify.windows import check_windows

__all__ = ["Shard", "predict_files_parallel", "shard_inputs", "shardable_reason"]


@dataclass(frozen=True)
class Shard:
    """Consecutive input lines: ``segments`` are ``(path, start, end)`` byte ranges of whole lines, in order (a shard
    may end one file and start the next)."""

    segments: tuple[tuple[str, int, int], ...]


def shard_inputs(paths: list[str], parts: int, block: int = CHUNK_SIZE) -> list[Shard]:
    """At most ``parts`` shards of the lines of ``paths`` (read as one stream, in order), cut only where the line
    number in the stream is a multiple of ``block``: with ``block`` the classifier's chunk size every chunk of texts
    is the one a single process predicts, so every batch and every float is too. Shards hold whole blocks, as even
    as blocks allow (fewer shards than ``parts`` when there are fewer blocks); together they cover every byte once.
    One sequential pass over the bytes finds the cuts (nothing is kept but the cut offsets).

    Raises:
        ValueError: ``parts < 1`` or ``block < 1``.
    """
    if parts < 1 or block < 1:
        raise ValueError(f"parts and block must be >= 1, got {parts} and {block}")
    cuts, ends, number = [(0, 0)], [], 0  # (file index, byte offset) where a block starts; each file's size
    for index, path in enumerate(paths):
        position = 0
        with open(path, "rb") as fh:
            for line in fh:
                position += len(line)
                number += 1
                if number % block == 0:
                    cuts.append((index, position))
        ends.append(position)
    if number and number % block == 0:
        cuts.pop()  # the end of the stream starts no block
    per_shard = math.ceil(len(cuts) / parts)  # blocks per shard (the last block may be partial or empty)
    starts = cuts[::per_shard] + [(len(paths) - 1, ends[-1] if ends else 0)]
    return [_segments(paths, ends, a, b) for a, b in itertools.pairwise(starts)]


def _segments(paths: list[str], ends: list[int], start: tuple[int, int], stop: tuple[int, int]) -> Shard:
    """The shard from ``start`` to ``stop`` (``(file index, offset)`` pairs), as byte ranges per file."""
    segments = []
    for index in range(start[0], stop[0] + 1):
        a = start[1] if index == start[0] else 0
        b = stop[1] if index == stop[0] else ends[index]
        if b > a:
            segments.append((paths[index], a, b))
    return Shard(tuple(segments))


def _range_bytes(path: str, start: int, end: int) -> Iterator[bytes]:
    """The ``\n``-terminated byte lines in ``[start, end)`` of ``path`` (a file's last line may lack its ``\n``)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        position = start
        for line in fh:
            yield line
            position += len(line)
            if position >= end:
                return


def shard_texts(shard: Shard, stats: PredictStats) -> Iterator[str]:
    """The decoded lines of ``shard``, exactly as :func:`textcnn.data.encoding.iter_lines` decodes them in the whole
    files (a byte-order mark is removed only at the start of a file), counting undecodable lines in ``stats``."""
    from textcnn.data.encoding import LineTally, decode_stream

    for path, start, end in shard.segments:
        tally = LineTally()
        raw: Iterator[bytes] = _range_bytes(path, start, end)
        if start > 0:  # a mid-file first line keeps its bytes: decode_stream strips a BOM from line 1 only
            raw = itertools.chain([b"\n"], raw)
        texts = decode_stream(raw, name=path, tally=tally)
        if start > 0:
            next(texts)
        try:
            yield from texts
        finally:
            stats.not_utf8 += tally.not_utf8
            stats.replaced += tally.replaced


def shardable_reason(inputs: list[str], input_format: str | None) -> str | None:
    """Why ``inputs`` cannot be cut by byte offset (``None`` when they can): standard input, a gzipped file, or a
    format other than one text per line."""
    from textcnn.data.files import text_format

    for name in inputs:
        if name == "-":
            return "standard input cannot be split"
        if name.endswith(".gz"):
            return f"{name} is gzipped (no byte offsets)"
        fmt = text_format(name, input_format)
        if fmt != "txt":
            return f"{name} is {fmt}, not one text per line"
    return None


@dataclass(frozen=True)
class _Job:
    shard: Shard
    part: str
    model_dir: str
    device: str
    windows: str | None
    fmt: str
    top_k: int
    all_probs: bool
    batch_size: int
    precision: str


#: Modules the fork server imports once, so that each worker starts in a fraction of a second (a spawned worker
#: imports torch and textcnn itself: about 5 s of CPU each, measured on this 2-core machine).
_PRELOAD = ["textcnn.classify.predict_workers", "textcnn.classify.predict", "textcnn.classify.hybrid", "torch._dynamo"]
_LOADED: dict[tuple, object] = {}  # per worker process: the classifier, loaded once for all its shards


def _context():
    """Workers forked from a fresh fork server (not from this process, whose torch may hold thread pools)."""
    context = get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def _predict_shard(job: _Job) -> PredictStats:
    """Write the predictions of one shard to ``job.part`` (with the header, as a whole output); return its counts."""
    from textcnn.classify import predict as single

    key = (job.model_dir, job.device, job.windows, job.precision)
    if key not in _LOADED:
        _LOADED[key] = single._load(job.model_dir, job.device, job.windows, job.precision)
    clf = _LOADED[key]
    stats = PredictStats()
    texts = shard_texts(job.shard, stats)
    top_k = min(job.top_k, len(clf.labels))
    with open(job.part, "w", encoding="utf-8", newline="") as out:
        single.write_text_predictions(clf, texts, out, fmt=job.fmt, top_k=top_k, all_probs=job.all_probs,
                                      batch_size=job.batch_size, stats=stats, progress=False)  # fmt: skip
    return stats


def _merge(parts: list[str], out, fmt: str) -> None:
    """Copy the parts into ``out`` in order, keeping the header (csv/tsv) of the first part only."""
    for i, part in enumerate(parts):
        with open(part, encoding="utf-8", newline="") as fh:
            if i > 0 and fmt != "jsonl":
                fh.readline()
            shutil.copyfileobj(fh, out, 1 << 20)


def _add(total: PredictStats, part: PredictStats) -> None:
    for f in fields(PredictStats):
        setattr(total, f.name, getattr(total, f.name) + getattr(part, f.name))


def predict_files_parallel(
    model_dir: str | Path,
    inputs: list[str] | tuple[str, ...],
    output: str | Path | None = None,
    *,
    workers: int,
    fmt: str = "tsv",
    top_k: int = 1,
    all_probs: bool = False,
    batch_size: int = 256,
    column: str | None = None,
    input_format: str | None = None,
    device: str = "cpu",
    windows: str | None = None,
    precision: str = "float32",
    progress: bool | None = None,
    say: Callable[[str], object] | None = None,
) -> PredictStats:
    """:func:`~textcnn.classify.predict.predict_files` with ``workers`` processes (see the module docstring): the
    same output, byte for byte, and the counts summed over the shards.

    Args:
        workers: Processes (``1``, or inputs that cannot be cut: :func:`predict_files` in this process).
        progress: The progress bar of the one-process fallback (the workers show none).
        say: Told why the prediction falls back to one process (default: standard error).
        Others: As :func:`~textcnn.classify.predict.predict_files` (``column`` only matters for the fallback).

    Raises:
        ValueError: ``workers < 1``, and anything :func:`predict_files` refuses.
        FileNotFoundError: A missing model directory or input file.
    """
    from textcnn.classify import predict as single

    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    names = single._checked_inputs(inputs, fmt, top_k, batch_size)
    if windows is not None:
        check_windows(windows)
    reason = shardable_reason(names, input_format) if workers > 1 else None
    if workers == 1 or reason is not None:
        if reason is not None:
            (say or _stderr)(f"--workers {workers}: {reason}; predicting in one process")
        return single.predict_files(model_dir, names, output, fmt=fmt, top_k=top_k, all_probs=all_probs,
                                    batch_size=batch_size, column=column, input_format=input_format, device=device,
                                    progress=progress, windows=windows, precision=precision)  # fmt: skip
    if output is not None and (str(output) == "-" or os.path.abspath(output) in single._STDOUT_PATHS):
        output = None
    final = Path(output) if output is not None else None
    with single._Output(final, sys.stdout) as out, _part_dir(final) as tmp:
        shards = shard_inputs(names, workers)
        jobs = [_Job(s, str(Path(tmp) / f"part-{i:05d}"), str(model_dir), device, windows, fmt, top_k, all_probs,
                     batch_size, precision) for i, s in enumerate(shards)]  # fmt: skip
        total = PredictStats()
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=_context(), initializer=_init_worker) as pool:
            for stats in pool.map(_predict_shard, jobs):
                _add(total, stats)
        _merge([job.part for job in jobs], out, fmt)
    return total


def _part_dir(final: Path | None) -> contextlib.AbstractContextManager[str]:
    """A temporary folder for the part files: beside the output file (same disk), else the system's."""
    where = None if final is None else (final.resolve().parent if final.parent.exists() else None)
    if where is not None and not os.access(where, os.W_OK):
        where = None
    return tempfile.TemporaryDirectory(prefix=".textcnn-parts-", dir=where)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)
