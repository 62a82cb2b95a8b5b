"""Peak memory of `textcnn train` on millions of short lines, with the training file in memory and with
``data.arrow`` (a memory-mapped Arrow file read a chunk at a time, see textcnn/data/stream.py).

Example (2-core CPU; the corpus goes to a temporary folder, never into the repository)::

    python scripts/bench_stream_memory.py --lines 1000000 3000000

For each size N the script writes a JSONL training file of N short generated lines (``--words`` words on average,
Zipf over ``--word-types`` generated words, 3 classes with marker words: ``write_corpus`` of
``scripts/bench_train_memory.py``) and a dev file of ``--dev-lines`` lines, then runs, in a child process each,
``textcnn train --dataset file ... --set train.epochs=1 --set train.num_threads=1`` with a tiny Kim CNN (``rand``,
``--set`` defaults below), once reading the file into memory and once with ``--set data.arrow=true``. It reads each
child's peak resident memory (``os.wait4``), its peak anonymous memory (``RssAnon`` of ``/proc/PID/status``, sampled
four times a second: the peak RSS also counts the pages of memory-mapped files read so far, which the kernel can drop
at any time) and its wall time, and prints a table, the commands and a JSON summary.
``HF_DATASETS_CACHE`` points into the work folder, so the Arrow files land there too (and are removed by the run).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

#: ``--set`` overrides of every run unless ``--set`` is given: a tiny model, so that the data dominates the memory.
DEFAULT_SETS = ("model.embedding_dim=16", "model.num_filters=4", "train.batch_size=500")
MODES = ("memory", "arrow")


def _train_memory_script():
    """``scripts/bench_train_memory.py`` (its corpus writer)."""
    path = Path(__file__).with_name("bench_train_memory.py")
    spec = importlib.util.spec_from_file_location("bench_train_memory", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, nargs="+", default=[3_000_000], help="training lines")
    p.add_argument("--dev-lines", type=int, default=10_000, help="lines of the dev file")
    p.add_argument("--words", type=int, default=10, help="mean words per line")
    p.add_argument("--word-types", type=int, default=50_000, help="size of the generated word list")
    p.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of word frequencies")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="how the training file is read")
    p.add_argument("--set", dest="overrides", action="append", default=None, metavar="KEY=VALUE",
                   help=f"--set overrides for every run (repeatable; default: {' '.join(DEFAULT_SETS)})")  # fmt: skip
    p.add_argument("--work", type=Path, default=None, help="folder for the files (default: a temporary one)")
    return p


def train_command(work: Path, n: int, mode: str, overrides: list[str]) -> list[str]:
    """The ``textcnn train`` command of one run."""
    files = ["--train-file", str(work / f"train-{n}.jsonl"), "--dev-file", str(work / "dev.jsonl")]
    sets = ["train.epochs=1", "train.num_threads=1", "train.progress=false", *overrides]
    sets += ["data.arrow=true"] if mode == "arrow" else []
    command = [sys.executable, "-m", "textcnn.cli.main", "train", "--dataset", "file", *files, "--mode", "rand"]
    command += [arg for s in sets for arg in ("--set", s)]
    return command + ["--out", str(work / f"run-{n}-{mode}"), "--overwrite", "--quiet"]


def _anon_mib(pid: int) -> float:
    """The ``RssAnon`` of process ``pid`` in MiB (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("RssAnon:")), 0.0)


def run_child(command: list[str], env: dict) -> dict:
    """Run ``command``: its wall time, peak RSS (``os.wait4``) and peak anonymous RSS (sampled), in MiB."""
    print("$", shlex.join(command), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], _anon_mib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = proc.stderr.read().decode().strip()  # until the child closes it: at its exit
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"train failed ({os.waitstatus_to_exitcode(status)}): {err[-2000:]}")
    return {"seconds": round(time.perf_counter() - start, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "peak_anon_mib": round(peak[0], 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    """Write the corpora, run every (N, mode) and print the table; return the summary."""
    args = build_parser().parse_args(argv)
    overrides = list(DEFAULT_SETS) if args.overrides is None else args.overrides
    helper = _train_memory_script()
    with tempfile.TemporaryDirectory(prefix="bench-stream-memory-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
               "HF_DATASETS_CACHE": str(work / "hf-cache")}  # fmt: skip
        words = helper.word_list(args.word_types, args.seed)
        kw = {"mean_words": args.words, "zipf": args.zipf}
        helper.write_corpus(work / "dev.jsonl", args.dev_lines, words, seed=args.seed + 1, **kw)
        rows = []
        for n in args.lines:
            tokens = helper.write_corpus(work / f"train-{n}.jsonl", n, words, seed=args.seed + n, **kw)
            size = round((work / f"train-{n}.jsonl").stat().st_size / 1e6, 1)
            for mode in args.modes:
                run = run_child(train_command(work, n, mode, overrides), env)
                metrics = json.loads((work / f"run-{n}-{mode}" / "metrics.json").read_text())
                rows.append({"lines": n, "mode": mode, "train_mb": size, "train_tokens": tokens, **run,
                             "dev_accuracy": round(metrics["dev"]["accuracy"], 4)})  # fmt: skip
                print(f"{n:>9} {mode:>6} {size:>8.1f} MB  peak RSS {run['peak_rss_mib']:>8.1f} MiB  peak anon "
                      f"{run['peak_anon_mib']:>8.1f} MiB  {run['seconds']:>7.1f} s  dev accuracy "
                      f"{rows[-1]['dev_accuracy']:.4f}", flush=True)  # fmt: skip
    summary = {"lines": args.lines, "words_per_line": args.words, "word_types": args.word_types,
               "dev_lines": args.dev_lines, "overrides": overrides, "runs": rows}  # fmt: skip
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
