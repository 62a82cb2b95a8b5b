"""Speed benchmark: textcnn's Kim CNN against a plain, straightforward PyTorch Kim-CNN loop, in one process.

Both sides train the same model size (non-static, 50-d embeddings, widths 3/4/5 x 100 maps, batch 50, Adadelta,
max-norm 3) on the same training texts, and predict the same texts from raw strings to probabilities. The reference
is what a typical Kim-CNN port does: whitespace split + dict lookup in Python, every sentence padded to the dataset's
longest, ``nn.Conv2d`` over ``(B, 1, T, E)``, a shuffled ``TensorDataset`` loader. Ratios > 1 mean textcnn is faster.

On a GPU (``--device cuda``) both sides run there; the reference stays fp32 with plain ``.to(device)`` copies, while
textcnn uses its defaults there: bf16 autocast in training (``--no-amp`` turns it off), float32 prediction (and
bf16 prediction as a third side), pinned memory and non-blocking copies.

On a CPU, textcnn predicts in float32, in bfloat16 (``TextClassifier(precision="bfloat16")``) and, with
onnxruntime installed, through its int8 ONNX graph (``textcnn quantize --dtype int8``); each precision's texts/s is
set against a ceiling measured in the same run: that precision's matrix-product rate (``--ceiling-shape``) divided
by the FLOPs of Kim's forward on the average text (``2 * E * maps * sum(widths)`` per token). The test accuracy of
each precision on the dataset's test split is reported beside it. ``--kim-size`` is Kim's 300-d, rand-mode model.

Run:  TEXTCNN_DATA=../shared/data python scripts/bench_speed.py --dataset mr --epochs 2
      TEXTCNN_DATA=../shared/data python scripts/bench_speed.py --dataset mr --kim-size --threads 2
      TEXTCNN_DATA=../shared/data python scripts/bench_speed.py --dataset sst2 --device cuda
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import copy
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import timeit
from pathlib import Path

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


def best_seconds(fn, repeats: int) -> float:
    """Fastest of ``repeats`` calls of ``fn`` (``timeit``, with garbage collection left on, as before)."""
    return min(timeit.repeat(fn, setup="gc.enable()", repeat=repeats, number=1))


def matmul_ceiling(shape: tuple[int, int, int], repeats: int = 5) -> dict[str, float]:
    """GFLOP/s of a ``(M, K) @ (K, N)`` product on the CPU in float32, bfloat16 and int8 (``torch._int_mm``)."""
    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    flops = 2 * m * k * n
    rates = {
        "float32": flops / best_seconds(lambda: a @ b, repeats) / 1e9,
        "bfloat16": flops / best_seconds(lambda x=a.bfloat16(), y=b.bfloat16(): x @ y, repeats) / 1e9,
    }
    qa, qb = torch.randint(-128, 128, (m, k), dtype=torch.int8), torch.randint(-128, 128, (k, n), dtype=torch.int8)
    with contextlib.suppress(RuntimeError, AttributeError):  # no int8 product on this build
        rates["int8"] = flops / best_seconds(lambda: torch._int_mm(qa, qb), repeats) / 1e9
    return rates


def int8_classifier(clf, texts: list[str], threads: int):
    """``clf`` run through its int8 ONNX graph (static quantisation calibrated on 512 of ``texts``), or ``None``
    without onnxruntime."""
    try:
        from textcnn.classify.export import load_onnx
        from textcnn.classify.quantize import CALIBRATION_TEXTS, INT8_GRAPH, write_int8_graph
    except ModuleNotFoundError:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-speed-int8-"))
    atexit.register(shutil.rmtree, folder, True)  # the session reads the graph at load time; the folder goes at exit
    clf.save_pretrained(folder / "model")
    try:
        write_int8_graph(clf, texts[:CALIBRATION_TEXTS], folder / "model" / INT8_GRAPH)
    except (ModuleNotFoundError, ValueError):
        return None
    return load_onnx(folder / "model", num_threads=threads, int8=True)


def prediction_sides(
    model, model_kwargs: dict, tok, label_names, device: torch.device, texts: list[str], threads: int
) -> dict:
    """textcnn's classifiers by side name: float32; bfloat16 (CPU: ``precision="bfloat16"``, GPU: autocast); int8
    (CPU, with onnxruntime)."""
    from textcnn.classify.classifier import TextClassifier

    sides = {
        "textcnn": TextClassifier(
            model, tok, label_names, model_kwargs=model_kwargs, device=str(device), num_threads=threads
        )
    }
    if device.type == "cuda":
        sides["textcnn_bf16"] = TextClassifier(model, tok, label_names, device=str(device), amp=True)
        return sides
    bf16 = copy.deepcopy(model)  # its own copy: the precision is a setting of the model
    sides["textcnn_bf16"] = TextClassifier(bf16, tok, label_names, num_threads=threads, precision="bfloat16")
    int8 = int8_classifier(sides["textcnn"], texts, threads)
    if int8 is not None:
        sides["textcnn_int8"] = int8
    return sides


def ceiling_report(args, results: dict, model, tok, pool: list[str]) -> dict:
    """Matrix-product GFLOP/s per precision, the texts/s they allow for Kim's forward, and each side's fraction."""
    shape = tuple(int(v) for v in args.ceiling_shape.split(","))
    gflops = matmul_ceiling(shape)
    tokens = float(np.mean([len(ids) for ids in tok.encode_batch(pool)]))
    conv = model.convs[0].conv
    flops_per_text = 2 * conv.in_channels * conv.out_channels * sum(model.filter_widths) * tokens
    ceiling = {name: rate * 1e9 / flops_per_text for name, rate in gflops.items()}
    precision_of = {"textcnn": "float32", "textcnn_bf16": "bfloat16", "textcnn_int8": "int8"}
    fraction: dict = {}
    for side, precision in precision_of.items():
        if precision in ceiling and f"{side}_texts_per_s" in results["inference"]["64"]:
            fraction[side] = {
                bs: row[f"{side}_texts_per_s"] / ceiling[precision] for bs, row in results["inference"].items()
            }
    return {
        "matmul_shape": list(shape),
        "matmul_gflops": gflops,
        "mean_tokens": tokens,
        "mflop_per_text": flops_per_text / 1e6,
        "ceiling_texts_per_s": ceiling,
        "fraction": fraction,
    }


def precision_accuracy(sides: dict, split) -> dict:
    """Test accuracy (%) of each side and its agreement (%) with the float32 side's labels."""
    texts, labels = list(split.texts), np.asarray(split.labels)
    preds = {name: clf.predict_proba(texts, batch_size=64).argmax(axis=1) for name, clf in sides.items()}
    return {
        name: {"accuracy": 100 * float((p == labels).mean()), "agree": 100 * float((p == preds["textcnn"]).mean())}
        for name, p in preds.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mr")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=2, help="timed training epochs per side (best is reported)")
    parser.add_argument("--embedding-dim", type=int, default=50)
    parser.add_argument("--mode", default="non-static", help="textcnn's embedding mode (the reference: trained table)")
    parser.add_argument("--kim-size", action="store_true", help="Kim's model: 300-d embeddings, rand mode")
    parser.add_argument(
        "--ceiling-shape", default="4096,1200,1024", help="M,K,N of the matrix product that measures the ceiling"
    )
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
    if args.kim_size:
        args.embedding_dim, args.mode = 300, "rand"

    from textcnn.bench.results import git_commit
    from textcnn.classify.build import text_loader
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
        "embedding_dim": args.embedding_dim,
        "mode": args.mode,
        "command": " ".join(["python", *sys.argv]),
    }

    # --- both sides, epochs interleaved so that load from other processes hits both alike
    torch.manual_seed(0)
    pipe = ReferencePipeline(texts)
    ref = ReferenceKimCNN(len(pipe.vocab), args.embedding_dim, n_classes).to(device)
    ref_opt = torch.optim.Adadelta(ref.parameters(), lr=1.0, rho=0.95, eps=1e-6)
    torch.manual_seed(0)
    tok = TextTokenizer.create("kim").fit(texts)
    model_kwargs = {
        "vocab_size": tok.vocab_size,
        "num_classes": n_classes,
        "embedding_dim": args.embedding_dim,
        "mode": args.mode,
    }
    model = KimCNN(**model_kwargs)
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

    print(f"train: {json.dumps(results['train'])}", flush=True)  # a long run shows its first half early

    # --- inference from raw text to probabilities, one side per precision
    sides = prediction_sides(model, model_kwargs, tok, splits.label_names, device, texts, torch.get_num_threads())
    pool = (texts * (1 + args.infer_n // len(texts)))[: args.infer_n]
    results["inference"] = {}
    for bs in (1, 64, 1024):
        sample = pool[: max(args.infer_n // 4, 100)] if bs == 1 else pool
        fns = {"reference": lambda s=sample, b=bs: reference_predict(ref, pipe, s, b, device)}
        fns |= {name: lambda c=c, s=sample, b=bs: c.predict_proba(s, batch_size=b) for name, c in sides.items()}
        best = dict.fromkeys(fns, float("inf"))
        for _ in range(args.rounds):  # alternate the sides, so that load from other processes hits both alike
            for name, fn in fns.items():
                best[name] = min(best[name], best_seconds(fn, 1))
        rates = {name: len(sample) / seconds for name, seconds in best.items()}
        row = {"reference_texts_per_s": rates["reference"]}
        for name in sides:
            row[f"{name}_texts_per_s"] = rates[name]
            row["ratio" + name.removeprefix("textcnn")] = rates[name] / rates["reference"]
        results["inference"][str(bs)] = row
        print(f"inference bs={bs}: {json.dumps(row)}", flush=True)
    if device.type == "cpu":
        results["ceiling"] = ceiling_report(args, results, model, tok, pool)
    results["test_accuracy"] = precision_accuracy(sides, splits.test)
    results["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    t = results["train"]
    print(
        f"\ntrain ({args.dataset}, {len(texts)} sentences): reference {t['reference_s_per_epoch']:.2f} s/epoch, "
        f"textcnn {t['textcnn_s_per_epoch']:.2f} s/epoch, ratio {t['ratio']:.2f}x"
    )
    for bs, r in results["inference"].items():
        sides = ", ".join(
            f"{k.removesuffix('_texts_per_s')} {v:.0f}/s ({v / r['reference_texts_per_s']:.2f}x)"
            for k, v in r.items()
            if k.startswith("textcnn")
        )
        print(f"inference bs={bs}: reference {r['reference_texts_per_s']:.0f}/s; {sides}")
    for name, c in results.get("ceiling", {}).get("fraction", {}).items():
        print(f"fraction of the {name} ceiling: " + ", ".join(f"bs {b} {f:.2f}" for b, f in c.items()))
    print("test accuracy: " + ", ".join(f"{k} {v['accuracy']:.2f}" for k, v in results["test_accuracy"].items()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
