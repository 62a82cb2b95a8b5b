"""Quantisation benchmark: size on disk, prediction texts/s from raw text and test accuracy of each precision.

For every model directory given, ``textcnn quantize`` writes its float16, bfloat16 and int8 copies into ``--work``;
each variant then predicts the test split of the run's own dataset and fold (read from its ``config.yaml``) in the
same process, one after the other, repeated ``--repeats`` times (the best time is kept), with the same thread count.
Rows: float32 run by PyTorch and by ONNX Runtime (the ceiling the int8 graph is compared with), the half-precision
copies (PyTorch, float32 compute on rounded weights) and the int8 graph (ONNX Runtime). ``agree`` is the share of
test texts whose label equals the float32 model's.

Run:  python scripts/bench_quantize.py runs/mr-f0 runs/mr-f1 runs/mr-f2 runs/ag --work runs/quantized --threads 1
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

import textcnn
from textcnn.classify.config import from_dict
from textcnn.classify.quantize import quantize_model_dir
from textcnn.classify.train import load_splits
from textcnn.data.registry import get_dataset_spec
from textcnn.training.device import torch_threads

VARIANTS = ("float32", "float32-onnx", "float16", "bfloat16", "int8")


def variant_dirs(model_dir: Path, work: Path) -> dict[str, tuple[Path, str | None]]:
    """Each variant's model directory and the backend that runs it (made with ``textcnn quantize`` if missing)."""
    dirs: dict[str, tuple[Path, str | None]] = {"float32": (model_dir, "torch"), "float32-onnx": (model_dir, "onnx")}
    for dtype in ("float16", "bfloat16", "int8"):
        out = work / f"{model_dir.name}-{dtype}"
        if not (out / "textcnn.json").is_file():
            quantize_model_dir(model_dir, out, dtype, overwrite=True)
        dirs[dtype] = (out, None)  # the directory's own default: its int8 graph, else PyTorch
    return dirs


def dir_bytes(path: Path) -> int:
    """Bytes of the files a deployment needs (everything but the training log and plots)."""
    keep = ("model.safetensors", "model.int8.onnx", "tokenizer.json", "textcnn.json")
    return sum(f.stat().st_size for f in path.iterdir() if f.name in keep)


def timed_proba(clf, texts: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    """Seconds of one ``predict_proba`` pass over ``texts``, and the probabilities."""
    start = time.perf_counter()
    proba = clf.predict_proba(texts, batch_size=batch_size)
    return time.perf_counter() - start, proba


def bench_model(model_dir: Path, work: Path, batch_size: int, repeats: int, threads: int) -> list[str]:
    """Markdown rows for one model directory. The variants take turns within each repeat (so a busy moment of the
    machine falls on all of them alike) and each keeps its best time."""
    base = textcnn.load(model_dir, backend="torch")
    config = from_dict(base.config)
    splits = load_splits(config)
    texts = list(splits.test.texts)
    label_ids = {str(name): i for i, name in enumerate(base.labels)}
    gold = np.asarray([label_ids[str(splits.label_names[g])] for g in splits.test.labels])
    folded = get_dataset_spec(config.data.dataset).num_folds > 0
    where = splits.name + (f" fold {config.data.fold}" if folded else "")
    classifiers = {}
    for name, (path, backend) in variant_dirs(model_dir, work).items():
        clf = textcnn.load(path, backend=backend)
        clf.num_threads = threads
        clf.predict_proba(texts[:batch_size], batch_size=batch_size)  # warm-up
        classifiers[name] = (path, clf)
    best, probas = dict.fromkeys(classifiers, float("inf")), {}
    for _ in range(repeats):
        for name, (_, clf) in classifiers.items():
            seconds, probas[name] = timed_proba(clf, texts, batch_size)
            best[name] = min(best[name], seconds)
    reference = probas["float32"].argmax(axis=1)
    rows = []
    for name, (path, _) in classifiers.items():
        predicted = probas[name].argmax(axis=1)
        accuracy, agree = 100 * float((predicted == gold).mean()), 100 * float((predicted == reference).mean())
        rows.append(
            f"| {model_dir.name} ({where}) | {name} | {dir_bytes(path):,} | {len(texts) / best[name]:,.0f} |"
            f" {accuracy:.2f} | {agree:.2f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dirs", nargs="+", type=Path)
    parser.add_argument("--work", type=Path, required=True, help="Where the quantised copies are written.")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="Torch and ONNX Runtime intra-op threads.")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}  (commit {commit}, torch {torch.__version__})")
    print("| model | weights | bytes (weights, graph, tokenizer, meta) | texts/s | test acc | agree with float32 |")
    print("| --- | --- | --- | --- | --- | --- |")
    with torch_threads(args.threads):
        for model_dir in args.model_dirs:
            bench_model(model_dir, args.work, args.batch_size, args.repeats, args.threads)


if __name__ == "__main__":
    main()
