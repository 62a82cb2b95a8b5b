"""Peak memory of `textcnn train` on long documents: peak RSS per 1,000 training documents, and whether it is linear.

Example (2-core CPU)::

    python scripts/bench_train_memory.py --sizes 2500 5000 10000 25000 --dims 300 50

For each training size N and embedding size D the script writes a JSONL training file of N generated documents
(``--words`` words each, about 230 by default, drawn from a Zipf distribution over ``--word-types`` generated words,
so the vocabulary grows with N as a real corpus's does; 3 classes, each with a few marker words), dev and test files
of N / 10 documents each, and runs ``textcnn train --dataset file ... --set train.epochs=1 --set train.num_threads=1
--set model.embedding_dim=D --quiet`` (Kim CNN, ``rand`` mode) in a child process. It reads the child's peak resident
memory from ``os.wait4`` and prints, per D, a table of N, peak RSS, RSS per 1,000 documents and the marginal MB per
1,000 documents between consecutive sizes, then a least-squares line ``peak = intercept + slope * N / 1000``: the
memory grows no faster than the data when the marginal cost stays about equal to the slope. ``--set KEY=VALUE`` is
passed on to every run (e.g. ``--set model.num_filters=20`` for a faster run on a small machine: the data's memory
does not depend on it). It also prints the commands it ran and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = ("alpha", "beta", "gamma")


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000, 25000], help="training documents")
    p.add_argument("--dims", type=int, nargs="+", default=[300, 50], help="embedding sizes (model.embedding_dim)")
    p.add_argument("--words", type=int, default=230, help="mean words per document")
    p.add_argument("--word-types", type=int, default=200_000, help="size of the generated word list")
    p.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of word frequencies")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="more --set overrides for every run (repeatable)")  # fmt: skip
    p.add_argument("--work", type=Path, default=None, help="folder for the files (default: a temporary one)")
    return p


def word_list(n: int, seed: int) -> list[str]:
    """``n`` distinct lower-case pseudo-words of 2 to 12 letters."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 12))))
    return sorted(words)


def write_corpus(path: Path, n: int, words: list[str], *, mean_words: int, zipf: float, seed: int) -> int:
    """Write ``n`` JSONL documents (``text``, ``label``) to ``path``; return the number of words written."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    probs = ranks**-zipf
    probs /= probs.sum()
    lengths = rng.integers(mean_words // 2, mean_words * 3 // 2 + 1, size=n)
    labels = rng.integers(0, len(CLASSES), size=n)
    draws = rng.choice(len(words), size=int(lengths.sum()), p=probs)
    markers = [[f"{name}{k}" for k in range(5)] for name in CLASSES]
    total, start = 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        for length, label in zip(lengths.tolist(), labels.tolist(), strict=True):
            doc = [words[i] for i in draws[start : start + length]]
            start += length
            for pos in rng.integers(0, length, size=3).tolist():  # a few class markers among the filler
                doc[pos] = markers[label][pos % 5]
            total += length
            fh.write(json.dumps({"text": " ".join(doc), "label": CLASSES[label]}) + "\n")
    return total


def train_command(work: Path, n: int, dim: int, overrides: list[str]) -> list[str]:
    """The ``textcnn train`` command of one run."""
    files = ["--train-file", str(work / f"train-{n}.jsonl"), "--dev-file", str(work / f"dev-{n}.jsonl")]
    files += ["--test-file", str(work / f"test-{n}.jsonl")]
    sets = ["train.epochs=1", "train.num_threads=1", "train.progress=false", f"model.embedding_dim={dim}", *overrides]
    command = [sys.executable, "-m", "textcnn.cli.main", "train", "--dataset", "file", *files, "--mode", "rand"]
    command += [arg for s in sets for arg in ("--set", s)]
    return command + ["--out", str(work / f"run-{n}-{dim}"), "--overwrite", "--quiet"]


def run_child(command: list[str], env: dict) -> dict:
    """Run ``command``; its wall time and peak RSS (MiB, from ``os.wait4``)."""
    print("$", shlex.join(command), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"train failed ({os.waitstatus_to_exitcode(status)}): {err[-2000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}  # Linux: KiB


def linear_fit(sizes: list[int], peaks: list[float]) -> tuple[float, float]:
    """``(intercept MiB, slope MiB per 1,000 documents)`` of the least-squares line through the peaks."""
    if len(sizes) < 2:
        return float(peaks[0]), float("nan")
    slope, intercept = np.polyfit(np.asarray(sizes, dtype=float) / 1000, np.asarray(peaks, dtype=float), 1)
    return float(intercept), float(slope)


def table(dim: int, rows: list[dict]) -> list[str]:
    """The printed table of one embedding size."""
    lines = [f"embedding_dim {dim}:", f"{'N':>8} {'peak RSS MiB':>13} {'MiB/1k docs':>12} {'marginal MiB/1k':>16}"]
    for i, row in enumerate(rows):
        n, peak = row["n"], row["peak_rss_mib"]
        marginal = "" if i == 0 else f"{(peak - rows[i - 1]['peak_rss_mib']) / ((n - rows[i - 1]['n']) / 1000):.1f}"
        lines.append(f"{n:>8} {peak:>13.1f} {peak / (n / 1000):>12.1f} {marginal:>16}")
    intercept, slope = linear_fit([r["n"] for r in rows], [r["peak_rss_mib"] for r in rows])
    lines.append(f"fit: peak = {intercept:.1f} MiB + {slope:.1f} MiB per 1,000 training documents")
    return lines


def main(argv: list[str] | None = None) -> dict:
    """Write the corpora, run every (dim, N) and print the tables; return the summary."""
    args = build_parser().parse_args(argv)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with tempfile.TemporaryDirectory(prefix="bench-train-memory-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        words = word_list(args.word_types, args.seed)
        corpus = {}
        for n in args.sizes:
            kw = {"mean_words": args.words, "zipf": args.zipf}
            tokens = write_corpus(work / f"train-{n}.jsonl", n, words, seed=args.seed + n, **kw)
            for split, seed in (("dev", 1), ("test", 2)):
                write_corpus(work / f"{split}-{n}.jsonl", max(n // 10, 3), words, seed=args.seed + n * 10 + seed, **kw)
            corpus[n] = {"train_tokens": tokens, "train_mb": round((work / f"train-{n}.jsonl").stat().st_size / 1e6, 1)}
        results = {}
        for dim in args.dims:
            rows = [{"n": n, **corpus[n], **run_child(train_command(work, n, dim, args.overrides), env)}
                    for n in args.sizes]  # fmt: skip
            results[dim] = rows
            print("\n".join(table(dim, rows)), flush=True)
    summary = {"sizes": args.sizes, "words_per_doc": args.words, "word_types": args.word_types,
               "overrides": args.overrides, "runs": results}  # fmt: skip
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
