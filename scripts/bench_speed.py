"""Speed benchmark: textcnn's Kim CNN against a plain, straightforward PyTorch Kim-CNN loop, in one process.

Both sides train the same model size (non-static, 50-d embeddings, widths 3/4/5 x 100 maps, batch 50, Adadelta,
max-norm 3) on the same training texts, and predict the same texts from raw strings to probabilities. The reference
is what a typical Kim-CNN port does: whitespace split + dict lookup in Python, every sentence padded to the dataset's
longest, ``nn.Conv2d`` over ``(B, 1, T, E)``, a shuffled ``TensorDataset`` loader. Ratios > 1 mean textcnn is faster.

On a GPU (``--device cuda``) both sides run there; the reference stays fp32 with plain ``.to(device)`` copies, while
textcnn uses its defaults there: bf16 autocast in training (``--no-amp`` turns it off), float32 prediction (and
bf16 prediction as a third side), pinned memory and non-blocking copies.

Run:  TEXTCNN_DATA=../shared/data python scripts/bench_speed.py --dataset mr --epochs 2
      TEXTCNN_DATA=../shared/data python scripts/bench_speed.py --dataset sst2 --device cuda
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class ReferenceKimCNN(nn.Module):
    """The usual straightforward port of Kim (2014): Conv2d filters spanning the embedding."""

    def __init__(self, vocab_size: int, embedding_dim: int, num_classes: int, widths=(3, 4, 5), maps: int = 100):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv2d(1, maps, (w, embedding_dim)) for w in widths)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(maps * len(widths), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x).unsqueeze(1)  # (B, 1, T, E)
        pooled = [F.relu(conv(e)).squeeze(3).amax(dim=2) for conv in self.convs]  # each (B, maps)
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))  # (B, C)


class ReferencePipeline:
    """Python tokenization and global-max padding, as in the usual ports (Kim pads with width-1 zeros each side)."""

    def __init__(self, texts: list[str], pad: int = 4):
        self.vocab = {"<pad>": 0, "<unk>": 1}
        for text in texts:
            for word in text.split():
                self.vocab.setdefault(word, len(self.vocab))
        self.pad = pad
        self.max_len = max(len(t.split()) for t in texts) + 2 * pad

    def encode(self, texts: list[str]) -> torch.Tensor:
        out = torch.zeros(len(texts), self.max_len, dtype=torch.long)
        for i, text in enumerate(texts):
            ids = [self.vocab.get(w, 1) for w in text.split()][: self.max_len - 2 * self.pad]
            out[i, self.pad : self.pad + len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reference_train_epoch(model, x: torch.Tensor, y: torch.Tensor, batch_size: int, optimizer, device) -> float:
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    model.train()
    _sync(device)
    start = time.perf_counter()
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.fc.weight.copy_(torch.renorm(model.fc.weight, 2, 0, 3.0))
    _sync(device)
    return time.perf_counter() - start


@torch.no_grad()
def reference_predict(model, pipe, texts: list[str], batch_size: int, device: torch.device) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(texts), batch_size):
        x = pipe.encode(texts[i : i + batch_size]).to(device)
        out.append(torch.softmax(model(x), dim=1).cpu().numpy())
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mr")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=2, help="timed training epochs per side (best is reported)")
    parser.add_argument("--embedding-dim", type=int, default=50)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads for both sides (default: textcnn's auto_num_threads())"
    )
    parser.add_argument("--infer-n", type=int, default=2000, help="texts predicted per batch size (bs 1 uses 1/4)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating inference passes per side (best kept)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (both sides run there)")
    parser.add_argument(
        "--amp", action=argparse.BooleanOptionalAction, default=True, help="textcnn's bf16 autocast in training on CUDA"
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    from textcnn.bench.results import git_commit
    from textcnn.classify.build import text_loader
    from textcnn.classify.classifier import TextClassifier
    from textcnn.classify.config import load_config
    from textcnn.classify.train import load_splits
    from textcnn.models.kim_cnn import KimCNN
    from textcnn.text.tokenizers import TextTokenizer
    from textcnn.training import TrainConfig, Trainer
    from textcnn.training.device import auto_num_threads, resolve_device

    torch.set_num_threads(args.threads or auto_num_threads())
    device = resolve_device(args.device)
    config = load_config(
        None,
        [f"data.dataset={args.dataset}", "train.progress=false", f"train.device={device}"]
        + ([f"data.data_dir={args.data_dir}"] if args.data_dir else []),
    )
    splits = load_splits(config)
    texts, labels = list(splits.train.texts), list(splits.train.labels)
    n_classes = splits.num_classes
    results: dict = {
        "dataset": args.dataset,
        "train_examples": len(texts),
        "threads": torch.get_num_threads(),
        "load_average_at_start": os.getloadavg()[0],
        "machine": f"{platform.machine()} {platform.processor() or ''} x{torch.get_num_threads()}",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "textcnn_train_amp_bf16": bool(args.amp and device.type == "cuda"),
        "torch": torch.__version__,
        "commit": git_commit(),
        "command": " ".join(["python", *sys.argv]),
    }

    # --- both sides, epochs interleaved so that load from other processes hits both alike
    torch.manual_seed(0)
    pipe = ReferencePipeline(texts)
    ref = ReferenceKimCNN(len(pipe.vocab), args.embedding_dim, n_classes).to(device)
    ref_opt = torch.optim.Adadelta(ref.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    torch.manual_seed(0)
    tok = TextTokenizer.create("kim").fit(texts)
    model = KimCNN(tok.vocab_size, n_classes, args.embedding_dim, "non-static")
    trainer = Trainer(model, TrainConfig(epochs=1, batch_size=50, progress=False, device=str(device), amp=args.amp))
    # Both sides tokenize once, before the timed epochs (as a training run does), and build batches in the epoch.
    loader, _ = text_loader(tok, splits.train, config, model.min_len, shuffle=True)
    ref_x, ref_y = pipe.encode(texts), torch.tensor(labels)
    ref_times, ours_times = [], []
    for epoch in range(args.epochs):
        ref_times.append(reference_train_epoch(ref, ref_x, ref_y, 50, ref_opt, device))
        _sync(device)
        start = time.perf_counter()
        trainer.state.epoch = epoch
        trainer.train_epoch(loader)
        _sync(device)
        ours_times.append(time.perf_counter() - start)
    results["train"] = {
        "reference_s_per_epoch": min(ref_times),
        "textcnn_s_per_epoch": min(ours_times),
        "reference_sentences_per_s": len(texts) / min(ref_times),
        "textcnn_sentences_per_s": len(texts) / min(ours_times),
        "ratio": min(ref_times) / min(ours_times),
    }

    # --- inference from raw text to probabilities
    clf = TextClassifier(model, tok, splits.label_names, device=str(device))
    clf_bf16 = None  # bf16 prediction is a third side on a GPU only (autocast is off on CPU)
    if device.type == "cuda":
        clf_bf16 = TextClassifier(model, tok, splits.label_names, device=str(device), amp=True)
    pool = (texts * (1 + args.infer_n // len(texts)))[: args.infer_n]
    results["inference"] = {}
    for bs in (1, 64, 1024):
        sample = pool[: max(args.infer_n // 4, 100)] if bs == 1 else pool
        sides = {
            "reference": lambda s=sample, b=bs: reference_predict(ref, pipe, s, b, device),
            "textcnn": lambda s=sample, b=bs: clf.predict_proba(s, batch_size=b),
        }
        if clf_bf16 is not None:
            sides["textcnn_bf16"] = lambda s=sample, b=bs: clf_bf16.predict_proba(s, batch_size=b)
        best = dict.fromkeys(sides, float("inf"))
        for _ in range(args.rounds):  # alternate the sides, so that load from other processes hits both alike
            for name, fn in sides.items():
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
        timings = {name: len(sample) / seconds for name, seconds in best.items()}
        results["inference"][str(bs)] = {
            "reference_texts_per_s": timings["reference"],
            "textcnn_texts_per_s": timings["textcnn"],
            "ratio": timings["textcnn"] / timings["reference"],
        }
        if "textcnn_bf16" in timings:
            results["inference"][str(bs)]["textcnn_bf16_texts_per_s"] = timings["textcnn_bf16"]
            results["inference"][str(bs)]["ratio_bf16"] = timings["textcnn_bf16"] / timings["reference"]
    results["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    t = results["train"]
    print(
        f"\ntrain ({args.dataset}, {len(texts)} sentences): reference {t['reference_s_per_epoch']:.2f} s/epoch, "
        f"textcnn {t['textcnn_s_per_epoch']:.2f} s/epoch, ratio {t['ratio']:.2f}x"
    )
    for bs, r in results["inference"].items():
        print(
            f"inference bs={bs}: reference {r['reference_texts_per_s']:.0f}/s, "
            f"textcnn {r['textcnn_texts_per_s']:.0f}/s, ratio {r['ratio']:.2f}x"
            + (f"; bf16 {r['textcnn_bf16_texts_per_s']:.0f}/s, {r['ratio_bf16']:.2f}x" if "ratio_bf16" in r else "")
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
