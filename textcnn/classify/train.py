"""Library functions behind ``textcnn train``: config in, model directory out (and cross-validation)."""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from textcnn.classify import model_dir as md
from textcnn.classify.build import build_text_model, data_arguments, fit_tokenizer, seed_everything, text_loader
from textcnn.classify.classifier import TextClassifier
from textcnn.classify.config import ExperimentConfig
from textcnn.data.report import format_read_report
from textcnn.utils.io import atomic_write_json

Echo = Callable[[str], object]


@dataclass
class TrainOutcome:
    """What :func:`train_text_classifier` returns."""

    classifier: TextClassifier
    metrics: dict
    out_dir: Path


@dataclass
class FittedModel:
    """A trained model with everything needed to use it (see :func:`fit_text_model`).

    Attributes:
        config: The effective config: the model section holds every argument as built.
    """

    model: torch.nn.Module
    tokenizer: object
    config: ExperimentConfig
    embedding_report: dict
    coverage: dict
    fit: object
    min_len: int
    train_truncated: int
    device: torch.device
    num_classes: int
    distill: dict | None = None  # distillation settings and transfer-set counts (textcnn.distill.student)

    @property
    def model_kwargs(self) -> dict:
        """Keyword arguments that rebuild the model with ``create_model(config.model.name, ...)``."""
        name = self.config.model.name
        return {**data_arguments(name, self.tokenizer, self.num_classes), **self.config.model.args}

    def classifier(
        self, labels: list[str], *, metrics: dict | None = None, device: str = "cpu", thresholds: list | None = None
    ) -> TextClassifier:
        """The trained model as a :class:`TextClassifier` (what is saved is what was built); ``thresholds`` (one per
        label) make it a multi-label classifier."""
        return TextClassifier(
            self.model,
            self.tokenizer,
            labels,
            model_name=self.config.model.name,
            model_kwargs=self.model_kwargs,
            max_len=self.config.data.max_len,
            config=self.config.to_dict(),
            metrics=metrics,
            device=device,
            thresholds=thresholds,
            **long_documents(self.config),
        )


def load_splits(config: ExperimentConfig):
    """Load the dataset a config names (a registered dataset or the user's files)."""
    from textcnn.data.registry import load_dataset

    d = config.data
    options = dict(d.options)
    if d.dataset == "file":
        files = {"train": d.train_file, "dev": d.dev_file, "test": d.test_file}
        options.update({k: v for k, v in files.items() if v is not None})
        options.update(text_column=d.text_column, label_column=d.label_column)
        options.setdefault("strict", d.strict)  # --strict refuses every reported row of the user's files
        if d.multi_label:
            options.update(multi_label=True, label_separator=d.label_separator)
        if d.arrow:  # the training file through a memory-mapped Arrow file (textcnn.data.stream)
            options.update(arrow=True)
    from textcnn.classify.multilabel import check_run

    splits = load_dataset(d.dataset, d.data_dir, fold=d.fold, seed=d.split_seed, dev_fraction=d.dev_fraction, **options)
    check_run(splits, multi_label=d.multi_label, class_weight=config.train.class_weight)
    return splits


def fit_text_model(
    config: ExperimentConfig,
    train,
    dev,
    label_names: list[str],
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    echo: Echo | None = print,
    extra_coverage: dict | None = None,
    callbacks: tuple = (),
) -> FittedModel:
    """Fit the tokenizer (on ``train`` only), build the model, train it keeping the best epoch on ``dev``.

    Args:
        config: Experiment config (its ``data`` section is only read for ``max_len`` and ``bucket``).
        train: Training :class:`~textcnn.data.splits.TextSplit`.
        dev: Dev split for model selection, or ``None``.
        label_names: Class names in id order.
        out_dir: Where the trainer writes its log and resumable checkpoint (``None``: nowhere).
        resume: Resume from ``out_dir/checkpoint.pt``.
        echo: Message sink (``None`` silences); it also gets one line per epoch.
        extra_coverage: More named splits whose vocabulary coverage is reported (e.g. the test split).
        callbacks: More trainer callbacks (see :mod:`textcnn.training.callbacks`).
    """
    from textcnn.training import Trainer
    from textcnn.training.callbacks import EpochLine
    from textcnn.training.trainer import class_weights_for

    say = echo or _silent
    tokenizer = fit_tokenizer(config, train.texts)
    named = {"dev": dev, **(extra_coverage or {})}
    coverage = {name: tokenizer.coverage(split.texts) for name, split in named.items() if split is not None}
    say(
        f"vocabulary: {tokenizer.vocab_size} tokens from the training split"
        + "".join(f"; {k} token coverage {v['token_coverage']:.1%}" for k, v in coverage.items())
    )
    model, effective, emb_report = build_text_model(config, tokenizer, len(label_names))
    if emb_report:
        from textcnn.text.vectors import format_coverage

        say(format_coverage(emb_report))
    min_len = int(getattr(model, "min_len", 1))
    weights = class_weights_for(config.train.class_weight, train.labels, label_names)
    if weights is not None:
        pairs = zip(label_names, weights.tolist(), strict=True)
        say("class weights in the loss: " + ", ".join(f"{n} {w:.3f}" for n, w in pairs))
    loss_fn, distilled = None, None
    if config.distill.teacher is None:
        train_loader, train_trunc = text_loader(tokenizer, train, config, min_len, shuffle=True)
    else:  # the teacher's logits on the training + augmented texts train the model
        from textcnn.distill.student import distillation_parts

        train_loader, loss_fn, distilled, train_trunc = distillation_parts(
            config, tokenizer, train, label_names, min_len, class_weights=weights, echo=echo
        )
    if config.data.max_len is not None:
        say(truncation_line(config, train_trunc, len(train)))
    dev_loader = (
        text_loader(tokenizer, dev, config, min_len, shuffle=False)[0] if dev is not None and len(dev) else None
    )
    lines = [EpochLine(echo)] if echo is not None else []
    trainer = Trainer(model, config.train, label_names=label_names, out_dir=out_dir, callbacks=[*lines, *callbacks],
                      class_weights=weights, loss_fn=loss_fn)  # fmt: skip
    fit = trainer.fit(train_loader, dev_loader, resume=resume)
    effective_config = replace(config, model=effective)
    return FittedModel(
        model, tokenizer, effective_config, emb_report, coverage, fit, min_len, train_trunc, trainer.device,
        len(label_names), distilled,
    )  # fmt: skip


def train_text_classifier(
    config: ExperimentConfig,
    out_dir: str | Path,
    resume: bool = False,
    echo: Echo | None = print,
    overwrite: bool = False,
) -> TrainOutcome:
    """Train a text model as ``config`` says and write a model directory to ``out_dir``.

    Args:
        config: A validated experiment config.
        out_dir: The run/model folder. While training it holds ``checkpoint.pt`` (for ``resume``) and
            ``train_log.jsonl``; at the end the model files (see :mod:`textcnn.classify.model_dir`).
        resume: Continue an interrupted run from ``out_dir/checkpoint.pt``.
        echo: Where progress messages go (``print``; the CLI passes ``click.echo``; ``None`` silences them).
        overwrite: Replace a model already in ``out_dir`` (otherwise that is an error).

    Returns:
        The trained classifier, its metrics and the folder.

    Raises:
        ValueError: ``out_dir`` already holds a model or a run (without ``overwrite`` / ``resume``), or cannot be
            written; anything the data or config refuses.
    """
    from textcnn.training.distributed import is_main

    echo = echo if is_main() else None  # under torchrun only rank 0 prints and writes the model directory
    say = echo or _silent
    config.validate()
    out_dir = Path(out_dir)
    if resume and md.is_complete(out_dir) and not md.has_checkpoint(out_dir):
        from textcnn.classify.hybrid import load_text_classifier

        say(f"{out_dir} already holds a finished model; nothing to resume")
        return TrainOutcome(load_text_classifier(out_dir), md.read_metrics(out_dir), out_dir)  # a hybrid too
    if not resume and not overwrite:
        md.check_free(out_dir)
    created = not out_dir.exists() and is_main()  # only rank 0 removes the folder of a run that failed
    md.check_writable(out_dir)
    from textcnn.training.device import torch_threads

    try:
        with torch_threads(config.train.num_threads):
            return _train_and_save(config, out_dir, resume, echo)
    except BaseException:
        if created and not md.has_checkpoint(out_dir):  # nothing to resume: leave no folder behind
            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _train_and_save(config: ExperimentConfig, out_dir: Path, resume: bool, echo: Echo | None) -> TrainOutcome:
    from textcnn.training.trackers import build_trackers, finish_trackers, tracking

    say = echo or _silent
    start = time.perf_counter()
    tracked = {**config.to_dict(), "model": {"name": config.model.name, **config.model.resolved()}}  # every model arg
    from textcnn.training.distributed import is_main

    # a missing library fails before any work; under torchrun only rank 0 tracks
    trackers = build_trackers(config.train.log if is_main() else [], out_dir, tracked)
    seed_everything(config.train.seed)
    splits = load_splits(config)
    check_decoding(splits.report, config.data.strict, say)
    for line in format_read_report(splits.report, replacements=False):  # check_decoding reported those
        say(f"read: {line}")
    sizes = {name: len(split) if split is not None else 0 for name, split in (("train", splits.train),
             ("dev", splits.dev), ("test", splits.test))}  # fmt: skip
    say(f"data: {splits.name}: " + ", ".join(f"{k} {v}" for k, v in sizes.items()) + f", classes {splits.num_classes}")
    with tracking(trackers):  # train.log: the trackers end as failed if the run fails
        fitted = fit_text_model(
            config, splits.train, splits.dev, splits.label_names, out_dir=out_dir, resume=resume, echo=echo,
            extra_coverage={"test": splits.test}, callbacks=tuple(trackers),
        )  # fmt: skip
        if not is_main():  # torchrun: the other ranks stop here; rank 0 evaluates and writes the model directory
            return TrainOutcome(fitted.classifier(splits.label_names), {}, out_dir)
        metrics = _run_metrics(fitted, splits, sizes)
        metrics["seconds"] = time.perf_counter() - start
        thresholds = list(metrics["thresholds"].values()) if metrics.get("multi_label") else None
        classifier = fitted.classifier(splits.label_names, metrics=metrics, thresholds=thresholds)
        if config.train.hybrid is not None:  # CNN + linear: the hybrid's dev/test metrics replace the CNN's
            from textcnn.classify.hybrid import fit_hybrid

            classifier = fit_hybrid(classifier, config.train.hybrid, splits, metric=config.train.metric, echo=say)
            metrics = classifier.metrics
        classifier.save_pretrained(out_dir)
        from textcnn.classify.plots import write_run_plots  # matplotlib is imported only once a model is saved

        plots = write_run_plots(out_dir, metrics, metric=config.train.metric)  # while the checkpoint keeps the folder
        finish_trackers(trackers, [out_dir / md.METRICS_FILE, *plots], metrics)
    md.remove_checkpoint(out_dir)
    say(_final_line(metrics, out_dir))
    return TrainOutcome(classifier, metrics, out_dir)


def _run_metrics(fitted: FittedModel, splits, sizes: dict) -> dict:
    """What ``metrics.json`` records about a run: selection, data, and dev/test metrics of the kept weights."""
    from textcnn.training import evaluate_model

    fit = fitted.fit
    metrics: dict = {
        "dataset": splits.name,
        "splits": sizes,
        "best_epoch": fit.best_epoch,
        "epochs_run": fit.epochs_run,
        "stopped_early": fit.stopped_early,
        "dev_best": fit.best_metric,
        "selection_metric": fitted.config.train.metric,
        "class_weight": fitted.config.train.class_weight,
        "truncated_train_examples": fitted.train_truncated,
        "long_documents": long_documents(fitted.config),
        "vocabulary_coverage": fitted.coverage,
        "embeddings": fitted.embedding_report,
        "data_report": json.loads(json.dumps(splits.report, default=str)),
    }
    if fitted.distill is not None:
        metrics["distill"] = fitted.distill
    if getattr(splits, "multi_label", False):
        return {**metrics, **_multilabel_metrics(fitted, splits)}
    for name, split in (("dev", splits.dev), ("test", splits.test)):
        if split is not None and len(split):
            loader, truncated = text_loader(fitted.tokenizer, split, fitted.config, fitted.min_len, shuffle=False)
            if fitted.config.data.windows != "off" and truncated:  # score long texts as the saved model will
                metrics[name] = _windowed_metrics(fitted, split, splits.label_names)
                metrics[name]["windowed_examples"] = truncated
                continue
            amp = fitted.config.train.amp
            metrics[name] = evaluate_model(fitted.model, loader, splits.label_names, fitted.device, amp)
            metrics[name]["truncated_examples"] = truncated
    return metrics


def _windowed_metrics(fitted: FittedModel, split, label_names: list[str]) -> dict:
    """Metrics of a split predicted as the saved model predicts: texts longer than ``data.max_len`` read as windows
    whose probabilities are pooled (``data.windows``)."""
    from textcnn.training.metrics import classification_metrics

    proba = fitted.classifier(label_names, device=str(fitted.device)).predict_proba(list(split.texts))
    return classification_metrics(list(split.labels), proba.argmax(axis=1).tolist(), label_names)


def long_documents(config: ExperimentConfig) -> dict:
    """How the model reads a text longer than ``data.max_len``: ``{"truncate", "windows", "window_stride"}`` (saved
    in ``textcnn.json`` and ``metrics.json``)."""
    d = config.data
    return {"truncate": d.truncate, "windows": d.windows, "window_stride": d.window_stride}


def truncation_line(config: ExperimentConfig, truncated: int, total: int) -> str:
    """The training log line on long texts: how many ``data.max_len`` cuts, which tokens they keep, and how
    prediction reads them."""
    from textcnn.data.batching import kept_tokens

    d = config.data
    head, tail = kept_tokens(d.max_len, d.truncate)
    kept = f"first {head} and last {tail}" if tail else f"first {head}"
    line = f"truncation: {truncated} of {total} training texts are longer than data.max_len {d.max_len}; "
    line += f"training reads their {kept} tokens (data.truncate={d.truncate})"
    if d.windows == "off":
        return line + "; so does prediction (data.windows=off)"
    from textcnn.classify.windows import describe_long_documents

    return line + f"; prediction reads them whole: {describe_long_documents(d.max_len, **long_documents(config))}"


def _multilabel_metrics(fitted: FittedModel, splits) -> dict:
    """Thresholds chosen on dev (``train.threshold``) and the dev/test metrics at them (multi-label runs); long texts
    are read as the saved model reads them (``data.windows``)."""
    from textcnn.classify.multilabel import DEFAULT_THRESHOLD, run_metrics, selection_metric
    from textcnn.training.trainer import predict_logits

    scored, truncated = {}, {}
    for name, split in (("dev", splits.dev), ("test", splits.test)):
        if split is not None and len(split):
            loader, truncated[name] = text_loader(fitted.tokenizer, split, fitted.config, fitted.min_len, shuffle=False)
            if fitted.config.data.windows != "off" and truncated[name]:  # pooled window probabilities
                limits = [DEFAULT_THRESHOLD] * len(splits.label_names)  # any thresholds: only the sigmoids are used
                clf = fitted.classifier(splits.label_names, device=str(fitted.device), thresholds=limits)
                scored[name] = (split.matrix(), clf.predict_proba(list(split.texts)))
                continue
            logits, gold = predict_logits(fitted.model, loader, fitted.device, fitted.config.train.amp)
            scored[name] = (gold.numpy(), torch.sigmoid(logits).numpy())  # (N, C) each
    metrics, _ = run_metrics(scored, splits.label_names, fitted.config.train.threshold)
    for name, count in truncated.items():
        metrics[name]["truncated_examples"] = count
    return {**metrics, "selection_metric": selection_metric(fitted.config.train.metric)}


def _final_line(metrics: dict, out_dir: Path) -> str:
    """The run's last line: what was measured (dev and, if there is one, test) and where the model went."""
    parts = []
    for name in ("dev", "test"):
        if name in metrics:
            m = metrics[name]
            if m.get("multi_label"):
                parts.append(f"{name} micro-F1 {m['micro_f1']:.4f} (macro-F1 {m['macro_f1']:.4f}, subset accuracy "
                             f"{m['subset_accuracy']:.4f})")  # fmt: skip
                continue
            parts.append(f"{name} accuracy {m['accuracy']:.4f} (macro-F1 {m['macro_f1']:.4f})")
    if not parts:
        parts.append("no dev or test split to measure")
    return f"{', '.join(parts)}, best epoch {metrics['best_epoch']}, {metrics['seconds']:.1f}s -> {out_dir}"


def cross_validate(
    config: ExperimentConfig,
    out_dir: str | Path,
    folds: list[int] | None = None,
    resume: bool = False,
    echo: Echo | None = print,
    overwrite: bool = False,
) -> dict:
    """Train one model per CV fold (``out_dir/fold-K``) and report test accuracy as mean +- std.

    Args:
        config: Experiment config; ``data.fold`` is replaced by each fold in turn.
        out_dir: Parent folder of the per-fold model directories; ``cv_summary.json`` is written there.
        folds: Which folds (default: all folds of the dataset).
        resume: Skip folds whose model directory is complete, resume an interrupted one.
        echo: Message sink (``None`` silences).
        overwrite: Replace fold models already there.
    """
    from textcnn.data.registry import get_dataset_spec

    say = echo or _silent
    spec = get_dataset_spec(config.data.dataset)
    if not spec.num_folds:
        raise ValueError(f"dataset {config.data.dataset!r} has fixed splits, not cross-validation folds")
    folds = list(range(spec.num_folds)) if folds is None else folds
    out_dir = Path(out_dir)
    say(f"cross-validation: {len(folds)} runs (folds {', '.join(map(str, folds))}) -> {out_dir}/fold-K")
    accuracies = []
    for fold in folds:
        fold_dir = out_dir / f"fold-{fold}"
        fold_config = replace(config, data=replace(config.data, fold=fold))
        say(f"== fold {fold} ({len(accuracies) + 1} of {len(folds)}) ==")
        if resume and md.is_complete(fold_dir) and not md.has_checkpoint(fold_dir):
            metrics = md.read_metrics(fold_dir)
        else:
            metrics = train_text_classifier(
                fold_config, fold_dir, resume=resume, echo=echo, overwrite=overwrite
            ).metrics
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


def check_decoding(report: dict, strict: bool, say: Echo) -> None:
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


def _silent(*_args, **_kwargs) -> None:
    """A message sink that drops everything."""
