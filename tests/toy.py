"""Helpers shared by tests: a learnable toy sentiment task written to real files."""

from __future__ import annotations

from pathlib import Path

_POS = ["good", "great", "fine", "superb", "lovely", "fun"]
_NEG = ["bad", "awful", "dull", "poor", "boring", "weak"]
_FILL = ["the", "film", "was", "a", "plot", "and", "it", "story", "very", "quite", "acting", "music"]


def toy_sentiment(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Short texts whose label is given by one sentiment word among filler words (learnable in seconds)."""
    import random

    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        pos = rng.random() < 0.5
        words = rng.choices(_FILL, k=rng.randint(2, 9))
        words.insert(rng.randint(0, len(words)), rng.choice(_POS if pos else _NEG))
        texts.append(" ".join(words))
        labels.append("pos" if pos else "neg")
    return texts, labels


def write_csv(path: Path, texts: list[str], labels: list[str]) -> Path:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))
    return path


TINY_OVERRIDES = [
    "model.embedding_dim=16",
    "model.num_filters=8",
    "train.epochs=4",
    "train.batch_size=20",
    "train.progress=false",
    "train.device=cpu",
    "train.optimizer=adam",
    "train.lr=0.01",
]
