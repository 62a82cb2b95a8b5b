"""What each recipe costs at prediction: texts/s from raw text and size on disk, beside NBSVM timed in the same run.

For each MODEL_DIR (a ``textcnn train`` model directory, e.g. the runner's ``OUT/models/...`` with
``--keep-models``), the test split of its dataset and fold (read from its ``config.yaml``) is predicted from raw text
by ``textcnn.load(MODEL_DIR).predict_proba`` (its default backend; a contextual model runs its encoder on every
text) and by NBSVM fitted on the same training split (Kim's cleaning, word 1-2 grams, as the runner's baseline),
taking turns, ``--repeats`` times with the same thread count; the best time of each is kept. ``vs NBSVM`` is the
model's texts/s over NBSVM's in this run. Size: every file of the model directory, plus the encoder's weights where
the model reads a frozen encoder (``model.encoder``), which must travel with it.

Run:  python scripts/bench_recipes.py runs/bench/models/mr-cnn-non-static-... [MODEL_DIR ...] --threads 1
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

import textcnn
from textcnn.bench.baselines import baseline_texts, fit_nbsvm
from textcnn.classify.config import from_dict
from textcnn.classify.train import load_splits
from textcnn.text.contextual import packaged_encoder_dir
from textcnn.training.device import torch_threads


def folder_bytes(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def encoder_bytes(config) -> int:
    """Bytes of the frozen encoder a contextual model reads (0 for any other model)."""
    encoder = config.model.args.get("encoder")
    return folder_bytes(Path(packaged_encoder_dir(str(encoder)))) if encoder else 0


def bench_model(model_dir: Path, batch_size: int, repeats: int) -> str:
    """One markdown row: model, test split, accuracy, texts/s of the model and of NBSVM, the ratio, sizes."""
    config = from_dict(yaml.safe_load((model_dir / "config.yaml").read_text(encoding="utf-8")))
    splits = load_splits(config)
    texts, gold = list(splits.test.texts), np.asarray(splits.test.labels)
    lowercase = bool(config.tokenizer.lowercase)
    linear = fit_nbsvm((baseline_texts(splits.train.texts, lowercase), np.asarray(splits.train.labels)), None)
    model = textcnn.load(model_dir)
    best = {"model": float("inf"), "nbsvm": float("inf")}
    for _ in range(repeats):  # turns within each repeat: a busy moment of the machine hits both
        start = time.perf_counter()
        proba = model.predict_proba(texts, batch_size=batch_size)
        best["model"] = min(best["model"], time.perf_counter() - start)
        start = time.perf_counter()
        linear.model.predict(linear.vectorizer.transform(baseline_texts(texts, lowercase)))
        best["nbsvm"] = min(best["nbsvm"], time.perf_counter() - start)
    rate = {k: len(texts) / v for k, v in best.items()}
    own, encoder = folder_bytes(model_dir), encoder_bytes(config)
    size = f"{own / 1e6:.1f} MB" + (f" + {encoder / 1e6:.1f} MB encoder" if encoder else "")
    split = f"{config.data.dataset} fold {config.data.fold} seed {config.train.seed}"
    accuracy = np.mean(proba.argmax(axis=1) == gold)
    return (
        f"| {model_dir.name} | {split} | {accuracy:.2%} | {rate['model']:,.0f} | {rate['nbsvm']:,.0f} "
        f"| {rate['model'] / rate['nbsvm']:.3f} | {size} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="model directories")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch_size}, best of {args.repeats}\n")
    print("| model | test split | accuracy | texts/s | NBSVM texts/s | vs NBSVM | size on disk |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with torch_threads(args.threads):
        for model_dir in args.models:
            print(bench_model(model_dir, args.batch_size, args.repeats), flush=True)


if __name__ == "__main__":
    main()
