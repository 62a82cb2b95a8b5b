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


def pad_rows(texts, width: int):
    """Token-id tensors as rows of one batch, zero-padded (id 0 = ``<pad>``) to ``width``: ``(len(texts), width)``."""
    import torch

    ids = torch.zeros(len(texts), width, dtype=torch.long)
    for i, text in enumerate(texts):
        ids[i, : len(text)] = text
    return ids


def fit_steps(model, ids, labels, *, steps: int, lr: float, mask=None, batch_size: int = 32) -> float:
    """Train ``model`` with Adam for ``steps`` batches that cycle through ``(ids, labels)``; return the accuracy on
    all of them in eval mode."""
    import torch
    from torch.nn import functional as F

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    batches = len(ids) // batch_size
    for step in range(steps):
        batch = torch.arange(batch_size) + batch_size * (step % batches)
        logits = model(ids[batch]) if mask is None else model(ids[batch], mask[batch])
        loss = F.cross_entropy(logits, labels[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    logits = model(ids) if mask is None else model(ids, mask)
    return float((logits.argmax(1) == labels).float().mean())
