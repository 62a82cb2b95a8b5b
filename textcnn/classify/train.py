"""Library functions behind ``textcnn train`` and ``textcnn evaluate``: config in, model directory out."""

from __future__ import annotations

import json
import logging
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from textcnn.classify.classifier import TextClassifier
from textcnn.classify.config import ExperimentConfig
from textcnn.classify.model_dir import META_FILE
from textcnn.utils.io import atomic_write_json

log = logging.getLogger(__name__)


@dataclass
class TrainOutcome:
    """What :func:`train_text_classifier` returns."""

    classifier: TextClassifier
    metrics: dict
    out_dir: Path


def load_splits(config: ExperimentConfig):
    """Load the dataset a config names (a registered dataset or the user's files)."""
    from textcnn.data.registry import load_dataset

    d = config.data
    options = dict(d.options)
    if d.dataset == "file":
        options.update(
            train=d.train_file, dev=d.dev_file, test=d.test_file, text_column=d.text_column, label_column=d.label_column
        )
        options = {k: v for k, v in options.items() if v is not None}
    return load_dataset(d.dataset, d.data_dir, fold=d.fold, seed=d.split_seed, dev_fraction=d.dev_fraction, **options)


def _seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_text_model(config: ExperimentConfig, tokenizer, num_classes: int) -> tuple[torch.nn.Module, dict, dict]:
    """Create the model (loading pretrained vectors when the mode needs them).

    Returns:
        ``(model, model_kwargs, embedding_report)``; ``model_kwargs`` rebuilds the model with ``create_model``.
    """
    from textcnn.models import create_model

    kwargs = config.model.model_kwargs()
    report: dict = {}
    matrix = None
    if config.embeddings.vectors is not None:
        from textcnn.text.vectors import build_embedding_matrix, load_vectors

        vocab = tokenizer.tokens()
        vectors = load_vectors(
            config.embeddings.vectors,
            words=vocab,
            format=config.embeddings.format,
            lowercase_fallback=config.embeddings.lowercase_fallback,
        )
        matrix, report = build_embedding_matrix(
            vocab,
            vectors,
            seed=config.train.seed,
            oov_init=config.embeddings.oov_init,
            lowercase_fallback=config.embeddings.lowercase_fallback,
            pad_index=tokenizer.pad_id,
        )
        if matrix.shape[1] != kwargs["embedding_dim"]:
            report["embedding_dim_note"] = (
                f"model.embedding_dim {kwargs['embedding_dim']} replaced by the vectors' dimension {matrix.shape[1]}"
            )
            kwargs["embedding_dim"] = int(matrix.shape[1])
    kwargs.update(
        vocab_size=tokenizer.vocab_size, num_classes=num_classes, pad_index=tokenizer.pad_id, unk_index=tokenizer.unk_id
    )
    model = create_model(config.model.name, **kwargs)
    if matrix is not None:
        model.load_pretrained(matrix)
    return model, kwargs, report


def _loader(tokenizer, split, config: ExperimentConfig, min_len: int, shuffle: bool):
    from textcnn.data.batching import make_text_loader
    from textcnn.training.device import resolve_device

    ids = tokenizer.encode_batch(list(split.texts))
    truncated = sum(1 for s in ids if config.data.max_len is not None and len(s) > config.data.max_len)
    loader = make_text_loader(
        ids,
        list(split.labels),
        batch_size=config.train.batch_size,
        shuffle=shuffle,
        seed=config.train.seed,
        min_len=min_len,
        max_len=config.data.max_len,
        pad_id=tokenizer.pad_id,
        bucket=config.data.bucket,
        pin_memory=resolve_device(config.train.device).type == "cuda",
    )
    return loader, truncated


@dataclass
class FittedModel:
    """A trained model with everything needed to use it (see :func:`fit_text_model`)."""

    model: torch.nn.Module
    tokenizer: object
    model_kwargs: dict
    embedding_report: dict
    coverage: dict
    fit: object
    min_len: int
    train_truncated: int
    device: torch.device


def fit_text_model(
    config: ExperimentConfig,
    train,
    dev,
    label_names: list[str],
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    echo=print,
    extra_coverage: dict | None = None,
) -> FittedModel:
    """Fit tokenizer (on ``train`` only), build the model, train it with early stopping on ``dev``.

    Args:
        config: Experiment config (its ``data`` section is only read for ``max_len`` and ``bucket``).
        train: Training :class:`~textcnn.data.splits.TextSplit`.
        dev: Dev split for model selection, or ``None``.
        label_names: Class names in id order.
        out_dir: Where the trainer writes its log and resumable checkpoint (``None``: nowhere).
        resume: Resume from ``out_dir/checkpoint.pt``.
        echo: Message sink (``None`` silences).
        extra_coverage: More named splits whose vocabulary coverage is reported (e.g. the test split).
    """
    from textcnn.text.tokenizers import TextTokenizer
    from textcnn.training import Trainer

    say = echo or (lambda *_a, **_k: None)
    tk = config.tokenizer
    tokenizer = TextTokenizer.create(
        tk.kind, lowercase=tk.lowercase, min_count=tk.min_count, max_size=tk.max_size, vocab_size=tk.vocab_size
    ).fit(list(train.texts))
    named = {"dev": dev, **(extra_coverage or {})}
    coverage = {name: tokenizer.coverage(split.texts) for name, split in named.items() if split is not None}
    say(
        f"vocabulary: {tokenizer.vocab_size} tokens from the training split"
        + "".join(f"; {k} token coverage {v['token_coverage']:.1%}" for k, v in coverage.items())
    )
    model, model_kwargs, emb_report = build_text_model(config, tokenizer, len(label_names))
    if emb_report:
        from textcnn.text.vectors import format_coverage

        say(format_coverage(emb_report))
    min_len = int(getattr(model, "min_len", 1))
    train_loader, train_trunc = _loader(tokenizer, train, config, min_len, shuffle=True)
    dev_loader = _loader(tokenizer, dev, config, min_len, shuffle=False)[0] if dev is not None and len(dev) else None
    trainer = Trainer(model, config.train, label_names=label_names, out_dir=out_dir)
    fit = trainer.fit(train_loader, dev_loader, resume=resume)
    return FittedModel(model, tokenizer, model_kwargs, emb_report, coverage, fit, min_len, train_trunc, trainer.device)


def train_text_classifier(
    config: ExperimentConfig, out_dir: str | Path, resume: bool = False, echo=print
) -> TrainOutcome:
    """Train a text model as ``config`` says and write a model directory to ``out_dir``.

    Args:
        config: A validated experiment config.
        out_dir: The run/model folder. While training it holds ``checkpoint.pt`` (for ``resume``) and
            ``train_log.jsonl``; at the end the model files (see :mod:`textcnn.classify.model_dir`).
        resume: Continue an interrupted run from ``out_dir/checkpoint.pt``.
        echo: Where progress messages go (``print``; the CLI passes ``click.echo``; ``None`` silences them).

    Returns:
        The trained classifier, its metrics and the folder.
    """
    from textcnn.training.trainer import CHECKPOINT_NAME

    say = echo or _silent
    config.validate()
    out_dir = Path(out_dir)
    _check_writable(out_dir)
    if resume and (out_dir / META_FILE).is_file() and not (out_dir / CHECKPOINT_NAME).exists():
        say(f"{out_dir} already holds a finished model; nothing to resume")
        return TrainOutcome(
            TextClassifier.from_pretrained(out_dir),
            json.loads((out_dir / "metrics.json").read_text(encoding="utf-8")),
            out_dir,
        )
    from textcnn.training.device import torch_threads

    with torch_threads(config.train.num_threads):
        return _train_text_classifier(config, out_dir, resume, say)


def _train_text_classifier(config: ExperimentConfig, out_dir: Path, resume: bool, say) -> TrainOutcome:
    from textcnn.training.trainer import CHECKPOINT_NAME, evaluate_model

    echo = None if say is _silent else say
    start = time.perf_counter()
    _seed_everything(config.train.seed)
    splits = load_splits(config)
    _check_decoding(splits.report, config.data.strict, say)
    say(
        f"data: {splits.name}: train {len(splits.train)}, dev {len(splits.dev) if splits.dev else 0}, "
        f"test {len(splits.test) if splits.test else 0}, classes {splits.num_classes}"
    )
    fitted = fit_text_model(
        config,
        splits.train,
        splits.dev,
        splits.label_names,
        out_dir=out_dir,
        resume=resume,
        echo=echo,
        extra_coverage={"test": splits.test},
    )
    model, tokenizer, fit, min_len = fitted.model, fitted.tokenizer, fitted.fit, fitted.min_len
    metrics: dict = {
        "dataset": splits.name,
        "best_epoch": fit.best_epoch,
        "epochs_run": fit.epochs_run,
        "stopped_early": fit.stopped_early,
        "dev_best": fit.best_metric,
        "truncated_train_examples": fitted.train_truncated,
        "vocabulary_coverage": fitted.coverage,
        "embeddings": fitted.embedding_report,
        "data_report": _jsonable(splits.report),
    }
    for name, split in (("dev", splits.dev), ("test", splits.test)):
        if split is not None and len(split):
            loader, truncated = _loader(tokenizer, split, config, min_len, shuffle=False)
            metrics[name] = evaluate_model(model, loader, splits.label_names, fitted.device, config.train.amp)
            metrics[name]["truncated_examples"] = truncated
    metrics["seconds"] = time.perf_counter() - start
    classifier = TextClassifier(
        model,
        tokenizer,
        splits.label_names,
        model_name=config.model.name,
        model_kwargs=fitted.model_kwargs,
        max_len=config.data.max_len,
        config=config.to_dict(),
        metrics=metrics,
    )
    classifier.save_pretrained(out_dir)
    (out_dir / CHECKPOINT_NAME).unlink(missing_ok=True)
    if "test" in metrics:
        say(
            f"test accuracy {metrics['test']['accuracy']:.4f} (macro-F1 {metrics['test']['macro_f1']:.4f}), "
            f"best epoch {fit.best_epoch}, {metrics['seconds']:.1f}s -> {out_dir}"
        )
    return TrainOutcome(classifier, metrics, out_dir)


def cross_validate(
    config: ExperimentConfig, out_dir: str | Path, folds: list[int] | None = None, resume: bool = False, echo=print
) -> dict:
    """Train one model per CV fold (``out_dir/fold-K``) and report test accuracy as mean +- std.

    Args:
        config: Experiment config; ``data.fold`` is replaced by each fold in turn.
        out_dir: Parent folder of the per-fold model directories; ``cv_summary.json`` is written there.
        folds: Which folds (default: all folds of the dataset).
        resume: Skip folds whose model directory is complete, resume an interrupted one.
    """
    from textcnn.data.registry import get_dataset_spec

    say = echo or (lambda *_a, **_k: None)
    spec = get_dataset_spec(config.data.dataset)
    if not spec.num_folds:
        raise ValueError(f"dataset {config.data.dataset!r} has fixed splits, not cross-validation folds")
    folds = list(range(spec.num_folds)) if folds is None else folds
    out_dir = Path(out_dir)
    accuracies = []
    for fold in folds:
        fold_dir = out_dir / f"fold-{fold}"
        fold_config = replace(config, data=replace(config.data, fold=fold))
        say(f"== fold {fold} ==")
        if resume and (fold_dir / META_FILE).is_file() and not (fold_dir / "checkpoint.pt").exists():
            metrics = json.loads((fold_dir / "metrics.json").read_text(encoding="utf-8"))
        else:
            metrics = train_text_classifier(fold_config, fold_dir, resume=resume, echo=echo).metrics
        accuracies.append(metrics["test"]["accuracy"])
    summary = {
        "dataset": config.data.dataset,
        "folds": folds,
        "test_accuracy": accuracies,
        "mean": statistics.fmean(accuracies),
        "std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
    }
    atomic_write_json(out_dir / "cv_summary.json", summary)
    say(f"test accuracy over {len(folds)} folds: {summary['mean']:.4f} +- {summary['std']:.4f}")
    return summary


def evaluate_model_dir(
    model_dir: str | Path,
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    fold: int = 0,
    split: str = "test",
    split_seed: int = 0,
    file: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    batch_size: int = 256,
) -> dict:
    """Metrics of a saved model on a registered dataset's split or on a labelled file.

    Raises:
        ValueError: If neither/both of ``dataset`` and ``file`` are given, the labels differ from the model's, or a
            file holds a label the model never saw (named with its row).
    """
    from textcnn.training.metrics import classification_metrics

    if (dataset is None) == (file is None):
        raise ValueError("give exactly one of --dataset or --file")
    clf = TextClassifier.from_pretrained(model_dir)
    if dataset is not None:
        from textcnn.data.registry import load_dataset

        splits = load_dataset(dataset, data_dir, fold=fold, seed=split_seed)
        part = getattr(splits, split, None)
        if part is None:
            raise ValueError(f"dataset {dataset!r} has no {split!r} split")
        if list(splits.label_names) != clf.labels:
            raise ValueError(f"dataset {dataset!r} has labels {splits.label_names}, the model {clf.labels}")
        texts, gold = list(part.texts), list(part.labels)
    else:
        from textcnn.data.files import load_text_file

        part, names = load_text_file(file, text_column=text_column, label_column=label_column)
        index = {name: i for i, name in enumerate(clf.labels)}
        gold = []
        for row, label in enumerate(part.labels, start=1):
            name = names[label]
            if name not in index:
                raise ValueError(
                    f"{file}: row {row} has label {name!r}, which the model never saw "
                    f"(model labels: {', '.join(clf.labels)})"
                )
            gold.append(index[name])
        texts = list(part.texts)
    proba = clf.predict_proba(texts, batch_size=batch_size)
    return classification_metrics(gold, proba.argmax(axis=1).tolist(), clf.labels)


def _check_writable(out_dir: Path) -> None:
    """Fail before training when the output folder cannot be written."""
    import os
    import tempfile

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to output folder {out_dir}: {exc.strerror or exc}") from None
    if hasattr(os, "statvfs"):
        st = os.statvfs(out_dir)
        if st.f_bavail * st.f_frsize < 50 * 1024 * 1024:
            raise ValueError(f"output folder {out_dir} has less than 50 MB free; free some space first")


def _replaced_lines(report, where: str = "") -> list[tuple[str, int, list[int]]]:
    """``(file, count, first line numbers)`` for every file of a load report whose lines needed U+FFFD."""
    found = []
    if isinstance(report, dict):
        count = report.get("lines_with_replacement_chars")
        if isinstance(count, int) and count > 0:
            name = str(report.get("file", where))  # users' files name their path; benchmark files are keyed by name
            found.append((name, count, list(report.get("replacement_char_line_numbers", []))))
        for key, value in report.items():
            found += _replaced_lines(value, str(key))
    return found


def _check_decoding(report: dict, strict: bool, say) -> None:
    """Report lines that could only be decoded with replacement characters; with ``strict``, refuse them."""
    for name, count, lines in _replaced_lines(report):
        message = (
            f"{name}: {count} line(s) hold bytes that are neither UTF-8 nor cp1252 (first: "
            f"{', '.join(map(str, lines[:5]))}); they were read with replacement characters"
        )
        if strict:
            raise ValueError(
                message.replace("they were read with", "refused (data.strict); without it they are read with")
            )
        say(f"warning: {message}")


def _silent(*_args, **_kwargs) -> None:
    """A message sink that drops everything."""


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=str))
