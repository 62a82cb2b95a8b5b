"""Teacher against its distilled student: test accuracy, agreement, prediction speed from raw text, size.

For each ``TEACHER STUDENT`` pair (a folder of ``textcnn teacher train`` and a model directory of ``textcnn train
--teacher``), both predict the test split of the student's dataset and fold (read from its ``config.yaml``) from raw
text in this process, taking turns, ``--repeats`` times with the same thread count (the best time is kept). The
teacher runs through ``transformers`` (sorted by length, batch ``--batch-size``), the student through
``textcnn.load`` (its default backend). ``speedup`` is student texts/s over teacher texts/s measured in this run.

Run:  python scripts/bench_distill.py runs/teacher-mr-f0 runs/mr-distilled-f0 --threads 1 --repeats 3
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

import textcnn
from textcnn.classify.config import from_dict
from textcnn.classify.train import load_splits
from textcnn.distill.teacher import load_teacher
from textcnn.training.device import torch_threads


def folder_bytes(path: Path, names: tuple[str, ...]) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.name in names)


def bench_pair(teacher_dir: Path, student_dir: Path, batch_size: int, repeats: int) -> str:
    """One markdown row: dataset, accuracies, agreement, texts/s of each and the speed-up, sizes."""
    import yaml

    config = from_dict(yaml.safe_load((student_dir / "config.yaml").read_text(encoding="utf-8")))
    test = load_splits(config).test
    texts, gold = list(test.texts), np.asarray(test.labels)
    teacher, student = load_teacher(teacher_dir, device="cpu"), textcnn.load(student_dir)
    best = {"teacher": float("inf"), "student": float("inf")}
    for _ in range(repeats):  # turns within each repeat: a busy moment of the machine hits both
        start = time.perf_counter()
        t_pred = teacher.logits(texts, batch_size=batch_size).argmax(axis=1)
        best["teacher"] = min(best["teacher"], time.perf_counter() - start)
        start = time.perf_counter()
        s_proba = student.predict_proba(texts, batch_size=batch_size)
        best["student"] = min(best["student"], time.perf_counter() - start)
    s_pred = s_proba.argmax(axis=1)
    rate = {k: len(texts) / v for k, v in best.items()}
    t_size = folder_bytes(teacher_dir, ("model.safetensors", "tokenizer.json"))
    s_size = folder_bytes(student_dir, ("model.safetensors", "model.int8.onnx", "tokenizer.json"))
    name = f"{config.data.dataset} f{config.data.fold}"
    return (
        f"| {name} | {np.mean(t_pred == gold):.2%} | {np.mean(s_pred == gold):.2%} | {np.mean(t_pred == s_pred):.2%} "
        f"| {rate['teacher']:,.0f} | {rate['student']:,.0f} | {rate['student'] / rate['teacher']:.1f}x "
        f"| {t_size / 1e6:.1f} MB | {s_size / 1e6:.1f} MB |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", type=Path, help="TEACHER STUDENT [TEACHER STUDENT ...]")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if len(args.pairs) % 2:
        parser.error("give TEACHER STUDENT pairs")
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch_size}, best of {args.repeats}\n")
    print("| test split | teacher acc | student acc | agree | teacher texts/s | student texts/s | speed-up "
          "| teacher size | student size |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with torch_threads(args.threads):
        for teacher_dir, student_dir in zip(args.pairs[::2], args.pairs[1::2], strict=True):
            print(bench_pair(teacher_dir, student_dir, args.batch_size, args.repeats), flush=True)


if __name__ == "__main__":
    main()
