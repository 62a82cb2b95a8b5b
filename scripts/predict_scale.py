"""`textcnn predict` on a million lines: wall time, lines per second and peak memory, with every line checked.

Example (2-core CPU)::

    python scripts/predict_scale.py --lines 1000000 --baseline-lines 20000

Without ``--model-dir`` a tiny Kim CNN is first trained on a generated toy task (``textcnn train``, a few seconds).
The script writes an input of ``--lines`` lines drawn at random from a few texts (empty lines, a 2,000-token line,
right-to-left text and emoji included), runs ``textcnn predict`` on it in a child process, and reads that child's
peak resident memory from ``os.wait4``. It does the same for ``--baseline-lines`` lines, so the two peaks can be
compared: bounded memory means they are about equal. Every output row is checked against the label the model gives
that line's text, so a dropped, repeated or reordered line fails the run. It prints the commands it ran and a JSON
summary.

With ``--workers N`` (N > 1) it also runs ``textcnn predict --workers N`` on the ``--lines`` input (the same file) and
compares its output with the single-process one byte for byte. Its workers are grandchildren of this script (forked
by a fork server the predict process starts), which ``os.wait4`` does not sum, so memory is sampled four times a
second from ``/proc`` over the predict process and all its descendants: the peak of the summed RSS (which counts the
pages the workers share with the fork server once per process, so it overstates) and of the summed PSS (shared pages
split between the processes that map them: the memory the run really holds).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXTS = [
    "a superb , moving film",
    "dull and boring from start to end",
    "",
    "   ",
    "the acting was great fun , the music lovely",
    "weak plot , poor acting and awful music",
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 good",
    "😀🎬 fine 👍",
    "the film was quite a story " * 400,  # 2,400 tokens, in about one line of 1,000
]
WEIGHTS = [1.0] * (len(TEXTS) - 1) + [0.008]
_POS = ["good", "great", "fine", "superb", "lovely", "fun"]
_NEG = ["bad", "awful", "dull", "poor", "boring", "weak"]
_FILL = ["the", "film", "was", "a", "plot", "and", "it", "story", "very", "quite", "acting", "music"]


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000, help="input lines of the main run")
    p.add_argument("--baseline-lines", type=int, default=20_000, help="input lines of the comparison run")
    p.add_argument("--model-dir", default=None, help="a trained model directory (default: train a tiny one)")
    p.add_argument("--work-dir", default=None, help="where inputs and outputs go (default: a temporary folder)")
    p.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of the predict process")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="also run `predict --workers N` on the --lines input (N > 1)")
    return p


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "textcnn.cli.main", *args]


def train_tiny_model(work: Path, env: dict) -> Path:
    """Train a tiny Kim CNN on a generated sentiment task (one sentiment word among filler words)."""
    rng = random.Random(0)
    for name, n in (("train", 2000), ("dev", 200)):
        with open(work / f"{name}.txt", "w", encoding="utf-8") as fh:
            for _ in range(n):
                pos = rng.random() < 0.5
                words = rng.choices(_FILL, k=rng.randint(2, 9))
                words.insert(rng.randint(0, len(words)), rng.choice(_POS if pos else _NEG))
                fh.write(f"{'pos' if pos else 'neg'} {' '.join(words)}\n")
    out = work / "model"
    sets = ["model.embedding_dim=16", "model.num_filters=8", "train.epochs=3", "train.batch_size=20",
            "train.optimizer=adam", "train.lr=0.01", "train.device=cpu", "train.num_threads=1"]  # fmt: skip
    data = ["--train-file", str(work / "train.txt"), "--dev-file", str(work / "dev.txt")]
    command = _cli(
        "train", "--dataset", "file", *data, "--out", str(out), "--quiet", *[x for s in sets for x in ("--set", s)]
    )
    print("$", shlex.join(command), flush=True)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return out


def run_predict(model_dir: Path, work: Path, n: int, seed: int, env: dict, workers: int = 1) -> dict:
    """Predict ``n`` generated lines in a child process (with ``workers`` processes); time it, read its peak RSS (and
    the sampled peak over its descendants), check every output row."""
    rng = random.Random(seed)
    order = rng.choices(range(len(TEXTS)), weights=WEIGHTS, k=n)
    source, output = work / f"in-{n}.txt", work / f"out-{n}-w{workers}.tsv"
    if not source.exists():  # the same (n, seed) gives the same file: written once for all runs
        with open(source, "w", encoding="utf-8") as fh:
            fh.writelines(TEXTS[i] + "\n" for i in order)
    command = _cli("predict", str(model_dir), str(source), "-o", str(output))
    command += ["--workers", str(workers)] if workers > 1 else []
    print("$", shlex.join(command), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    samples = []  # (seconds, current RSS in MiB) four times a second: does memory climb during the run?
    tree_peaks, seen = {"rss": 0.0, "pss": 0.0}, set()  # summed over the predict process and its descendants
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # this child's own resource usage, once it ends
        if pid:
            break
        samples.append((time.perf_counter() - start, _current_rss_mib(proc.pid)))
        if workers > 1:
            tree = _descendants(proc.pid)
            seen.update(tree)
            for key in tree_peaks:
                tree_peaks[key] = max(tree_peaks[key], sum(_memory_mib(p, key) for p in tree))
        time.sleep(0.25)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    summary = proc.stderr.read().decode().strip()
    if code != 0:
        raise SystemExit(f"predict failed ({code}): {summary}")

    import textcnn

    labels = textcnn.load(model_dir).predict(TEXTS)
    with open(output, encoding="utf-8") as fh:
        header = fh.readline()
        rows = 0
        for rows, (line, i) in enumerate(zip(fh, order, strict=False), start=1):
            if line.split("\t", 1)[0] != labels[i]:
                raise SystemExit(f"{output}: row {rows} is {line.strip()!r}, expected label {labels[i]!r}")
        rows += sum(1 for _ in fh)
    if header != "label\tprobability\n" or rows != n:
        raise SystemExit(f"{output}: {rows} rows for {n} input lines")
    tree = {"processes_seen": len(seen), "peak_rss_sum_mib_sampled": round(tree_peaks["rss"], 1),
            "peak_pss_sum_mib_sampled": round(tree_peaks["pss"], 1)} if workers > 1 else {}  # fmt: skip
    return {
        "workers": workers,
        "lines": n,
        "input_mb": round(source.stat().st_size / 1e6, 1),
        "seconds": round(seconds, 1),
        "lines_per_s": round(n / seconds),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "rss_mib_at_10_50_90_percent_of_run": [_sample_at(samples, f * seconds) for f in (0.1, 0.5, 0.9)],
        "rows_checked_in_order": rows,
        "summary": summary,
        **tree,
    }


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (from the parent ids in ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _memory_mib(pid: int, kind: str) -> float:
    """A process's current RSS (``/proc/PID/status``) or PSS (``/proc/PID/smaps_rollup``) in MiB; 0 once it is gone."""
    path, key = (f"/proc/{pid}/status", "VmRSS:") if kind == "rss" else (f"/proc/{pid}/smaps_rollup", "Pss:")
    try:
        with open(path, encoding="ascii") as fh:
            return next(int(line.split()[1]) / 1024 for line in fh if line.startswith(key))
    except (OSError, StopIteration, ValueError):
        return 0.0


def _current_rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):
        return None


def _sample_at(samples: list[tuple[float, float | None]], when: float) -> float | None:
    rss = [mib for t, mib in samples if t <= when and mib is not None]
    return round(rss[-1], 1) if rss else None


def machine() -> dict:
    """What the numbers were measured on."""
    import torch

    cpu = platform.processor()
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo", encoding="utf-8") as fh:
        cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "date": dt.date.today().isoformat(), "load_average": [round(x, 1) for x in os.getloadavg()]}  # fmt: skip


def _same_bytes(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def main(argv: list[str] | None = None) -> dict:
    """Run the measurement; returns (and prints) the summary."""
    args = build_parser().parse_args(argv)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    with tempfile.TemporaryDirectory(prefix="predict-scale-") as tmp:
        work = Path(args.work_dir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        model_dir = Path(args.model_dir) if args.model_dir else train_tiny_model(work, env)
        runs = [run_predict(model_dir, work, n, args.seed, env) for n in (args.baseline_lines, args.lines)]
        if args.workers > 1:
            runs.append(run_predict(model_dir, work, args.lines, args.seed, env, workers=args.workers))
            same = _same_bytes(work / f"out-{args.lines}-w1.tsv", work / f"out-{args.lines}-w{args.workers}.tsv")
            runs[-1]["output_identical_to_one_process"] = same
            if not same:
                raise SystemExit(f"predict --workers {args.workers} wrote a different output than one process")
    result = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "runs": runs,
        "peak_rss_growth_mib": round(runs[1]["peak_rss_mib"] - runs[0]["peak_rss_mib"], 1),
        **({"workers_speedup": round(runs[1]["seconds"] / runs[2]["seconds"], 2)} if len(runs) > 2 else {}),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
