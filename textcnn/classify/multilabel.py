"""Multi-label classification: label sets, multi-hot splits, decision thresholds and metrics.

A multi-label example has a *set* of labels (possibly empty). Splits hold them as multi-hot rows
(:class:`MultiLabelSplit`), the model has one sigmoid output per label and is trained with binary cross-entropy
(:func:`textcnn.training.trainer.classification_loss` picks it for multi-hot targets), and a label is predicted when
its probability reaches the label's threshold. Thresholds are chosen on the dev split (:func:`choose_thresholds`):
one per label (``train.threshold: per_label``, the default), one shared by every label (``global``), or fixed (a
number). Metrics (:func:`multilabel_metrics`) are scikit-learn's: micro/macro/samples F1, per-label precision,
recall and F1, and subset accuracy (the share of examples whose predicted set is exactly the gold set; this is what
``accuracy`` means for a multi-label model, as in ``sklearn.metrics.accuracy_score``).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from textcnn.data.splits import DatasetSplits, TextSplit, check_fraction

#: Separator of the labels in one CSV/TSV cell (``data.label_separator``).
LABEL_SEPARATOR = "|"
#: Threshold rules of ``train.threshold`` (or a number in (0, 1) for a fixed threshold).
THRESHOLD_RULES = ("per_label", "global")
#: The threshold of a label that dev cannot choose one for (no dev split, or no positive example of it in dev).
DEFAULT_THRESHOLD = 0.5
#: Candidate thresholds searched on dev.
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
#: Selection metric of a multi-label run for each ``train.metric`` (subset accuracy is too coarse to select on).
SELECTION_METRICS = {"accuracy": "micro_f1", "macro_f1": "macro_f1"}


def check_threshold_rule(rule: str | float, key: str = "train.threshold") -> str | float:
    """Return ``rule`` if it is ``per_label``, ``global`` or a number in (0, 1), else raise ``ValueError`` naming it."""
    if isinstance(rule, str):
        if rule not in THRESHOLD_RULES:
            raise ValueError(f"{key} must be {' or '.join(THRESHOLD_RULES)} or a number in (0, 1), got {rule!r}")
        return rule
    if isinstance(rule, bool) or not isinstance(rule, int | float) or not 0.0 < float(rule) < 1.0:
        raise ValueError(f"{key} must be {' or '.join(THRESHOLD_RULES)} or a number in (0, 1), got {rule!r}")
    return float(rule)


def selection_metric(metric: str) -> str:
    """The dev metric that selects the best epoch of a multi-label run for ``train.metric`` = ``metric``."""
    return SELECTION_METRICS.get(metric, metric)


# ---------------------------------------------------------------------------------------------------------- splits
@dataclass
class MultiLabelSplit(TextSplit):
    """Texts with label sets, stored as multi-hot rows: ``labels[i][c]`` is 1 when text ``i`` has label ``c``.

    Batching turns the rows into a ``(B, C)`` target tensor as it turns single labels into a ``(B,)`` one.

    Attributes:
        num_labels: ``C``, the width of every row.

    Raises:
        ValueError: Rows of another width or with values other than 0 and 1, or texts and rows of different lengths.
    """

    num_labels: int = 0

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"texts and labels differ in length: {len(self.texts)} texts, {len(self.labels)} labels")
        self.labels = [tuple(int(v) for v in row) for row in self.labels]
        bad = next((i for i, row in enumerate(self.labels) if len(row) != self.num_labels or set(row) - {0, 1}), None)
        if bad is not None:
            raise ValueError(f"label row {bad} is {self.labels[bad]!r}, expected {self.num_labels} values of 0 or 1")

    @classmethod
    def from_sets(cls, texts: list[str], sets: Iterable[Iterable[int]], num_labels: int) -> MultiLabelSplit:
        """A split from one iterable of label ids per text (each id in ``0 .. num_labels-1``)."""
        return cls(list(texts), [multi_hot(ids, num_labels) for ids in sets], num_labels)

    def label_sets(self) -> list[list[int]]:
        """The label ids of each text, in increasing order."""
        return [[c for c, v in enumerate(row) if v] for row in self.labels]

    def subset(self, indices: Sequence[int] | np.ndarray) -> MultiLabelSplit:
        """The examples at ``indices``, in that order."""
        return MultiLabelSplit([self.texts[i] for i in indices], [self.labels[i] for i in indices], self.num_labels)

    def class_counts(self, num_classes: int) -> list[int]:
        """How many texts carry each label ``0 .. num_classes-1``."""
        if num_classes != self.num_labels:
            raise ValueError(f"the split has {self.num_labels} labels, not {num_classes}")
        return self.matrix().sum(axis=0).astype(int).tolist()

    def matrix(self) -> np.ndarray:
        """The ``(N, C)`` multi-hot matrix."""
        return np.asarray(self.labels, dtype=np.int64).reshape(len(self.labels), self.num_labels)


@dataclass
class MultiLabelDatasetSplits(DatasetSplits):
    """A loaded multi-label dataset: every split is a :class:`MultiLabelSplit` over ``label_names``."""

    multi_label = True

    def __post_init__(self) -> None:
        for split_name, split in self.items():
            if not isinstance(split, MultiLabelSplit) or split.num_labels != len(self.label_names):
                raise ValueError(
                    f"{self.name}: {split_name} split is not a multi-label split over {len(self.label_names)} labels"
                )


def multi_hot(ids: Iterable[int], num_labels: int) -> tuple[int, ...]:
    """The multi-hot row of a set of label ids."""
    row = [0] * num_labels
    for i in ids:
        if not 0 <= i < num_labels:
            raise ValueError(f"label id {i} is out of range for {num_labels} labels")
        row[i] = 1
    return tuple(row)


def holdout_dev_multilabel(
    train: MultiLabelSplit, *, fraction: float, seed: int
) -> tuple[MultiLabelSplit, MultiLabelSplit | None, dict]:
    """Hold ``fraction`` of ``train`` out as dev, seeded (label sets cannot be stratified as classes are)."""
    fraction = check_fraction(fraction)
    note: dict = {"fraction": fraction, "seed": seed, "method": "seeded random hold-out (label sets, not stratified)"}
    if fraction == 0.0:
        return train, None, {**note, "dev": "none (dev_fraction=0)"}
    order = np.random.default_rng(seed).permutation(len(train))
    held = max(1, int(round(fraction * len(train))))
    if held >= len(train):
        raise ValueError(f"cannot hold out {fraction:.0%} of {len(train)} examples as dev and keep any for training")
    return train.subset(np.sort(order[held:])), train.subset(np.sort(order[:held])), note


# ---------------------------------------------------------------------------------------------------------- reading
def split_labels(value: object, where: str, name: str, column: str, separator: str) -> list[str]:
    """The labels of one multi-label cell: a JSON list of strings/integers, or a string split at ``separator``
    (surrounding spaces stripped, empty parts dropped), or one integer; a missing value or ``[]`` is no label.

    Raises:
        ValueError: Another type (a float, an object, a list holding one), naming the file, the place and the type.
    """
    items = value if isinstance(value, list) else [] if value is None else [value]
    labels: list[str] = []
    for item in items:
        if isinstance(item, str):
            labels += [part.strip() for part in item.split(separator)]
        elif isinstance(item, int) and not isinstance(item, bool):
            labels.append(str(item))
        else:
            raise ValueError(
                f"{name}: {where}: label {column!r} holds {item!r:.60} ({type(item).__name__}); multi-label labels "
                "must be strings or integers (a list of them, or one string with the labels separated by "
                f"{separator!r})"
            )
    return sorted({label for label in labels if label})


def label_set_ids(
    path: object, sets: list[list[str]], places: list[str], label_names: list[str] | None, sort_key
) -> tuple[list[list[int]], list[str]]:
    """``(id sets, label_names)``: ids in the order of ``label_names`` (default: the sorted distinct labels).

    Raises:
        ValueError: A label that is not in ``label_names`` (file and place named).
    """
    if label_names is None:
        distinct = {label for labels in sets for label in labels}
        label_names = sorted(distinct, key=sort_key(distinct)) if distinct else []
    index = {label: i for i, label in enumerate(label_names)}
    for labels, where in zip(sets, places, strict=True):
        unknown = [label for label in labels if label not in index]
        if unknown:
            raise ValueError(
                f"{path}: {where} has label {unknown[0]!r}, which is not a training label ({', '.join(label_names)})"
            )
    return [[index[label] for label in labels] for labels in sets], list(label_names)


# ---------------------------------------------------------------------------------------------------------- thresholds
def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros(np.shape(tp), dtype=float), where=denominator > 0)


def _counts(gold: np.ndarray, decided: np.ndarray, axis=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = (decided & gold).sum(axis=axis)
    return tp, (decided & ~gold).sum(axis=axis), (~decided & gold).sum(axis=axis)


def choose_thresholds(
    y_true: np.ndarray, proba: np.ndarray, rule: str | float = "per_label", grid: Sequence[float] = THRESHOLD_GRID
) -> np.ndarray:
    """The ``(C,)`` decision thresholds ``rule`` asks for, chosen on a labelled (dev) split.

    Args:
        y_true: ``(N, C)`` multi-hot gold labels.
        proba: ``(N, C)`` predicted probabilities.
        rule: ``per_label``: each label's threshold maximises its F1 on these examples (a label without a positive
            example keeps :data:`DEFAULT_THRESHOLD`); ``global``: one threshold maximises micro-F1; a number: that
            threshold for every label.
        grid: Candidate thresholds; ties go to the candidate closest to :data:`DEFAULT_THRESHOLD`.
    """
    rule = check_threshold_rule(rule)
    gold = np.asarray(y_true).astype(bool)
    proba = np.asarray(proba, dtype=float)
    num_labels = proba.shape[1] if proba.ndim == 2 else gold.shape[1]
    if not isinstance(rule, str):
        return np.full(num_labels, rule)
    if gold.size == 0:
        return np.full(num_labels, DEFAULT_THRESHOLD)
    candidates = np.asarray(sorted(grid, key=lambda t: (abs(t - DEFAULT_THRESHOLD), t)), dtype=float)
    decided = proba[None, :, :] >= candidates[:, None, None]  # (K, N, C)
    tp, fp, fn = _counts(gold[None], decided, axis=1)  # (K, C) each
    if rule == "global":
        micro = _f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))  # (K,)
        return np.full(num_labels, candidates[int(micro.argmax())])
    best = candidates[_f1(tp, fp, fn).argmax(axis=0)]  # argmax takes the first: the candidate closest to 0.5
    return np.where(gold.any(axis=0), best, DEFAULT_THRESHOLD)


def decide(proba: np.ndarray, thresholds: Sequence[float] | float) -> np.ndarray:
    """``(N, C)`` booleans: which labels each text gets (probability at or above the label's threshold)."""
    return np.asarray(proba) >= np.asarray(thresholds, dtype=float)


def thresholds_by_label(label_names: Sequence, thresholds: Sequence[float]) -> dict[str, float]:
    """``{label: threshold}`` as JSON stores it."""
    return {str(name): float(t) for name, t in zip(label_names, thresholds, strict=True)}


def thresholds_in_order(saved: dict, label_names: Sequence, where: object) -> list[float]:
    """The thresholds of ``saved`` (``{label: threshold}``) in the order of ``label_names``.

    Raises:
        ValueError: A label without a threshold, or a threshold outside [0, 1], naming ``where``.
    """
    if not isinstance(saved, dict):
        raise ValueError(f"{where}: thresholds must be an object {{label: threshold}}, got {saved!r:.60}")
    out = []
    for name in label_names:
        value = saved.get(str(name))
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{where}: label {name!r} needs a threshold in [0, 1], got {value!r}")
        out.append(float(value))
    return out


# ---------------------------------------------------------------------------------------------------------- metrics
def multilabel_metrics(
    y_true: np.ndarray, proba: np.ndarray, label_names: Sequence[str], thresholds: Sequence[float] | float
) -> dict:
    """The metrics textcnn reports for a multi-label split (scikit-learn's, JSON-serialisable).

    Returns:
        ``{"multi_label": True, "n", "accuracy" (= subset accuracy), "subset_accuracy", "micro_f1", "macro_f1",
        "samples_f1", "micro_precision", "micro_recall", "per_class": {name: {precision, recall, f1, support,
        threshold}}, "labels"}``.
    """
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    names = [str(n) for n in label_names]
    gold = np.asarray(y_true, dtype=np.int64).reshape(-1, len(names))
    limits = np.broadcast_to(np.asarray(thresholds, dtype=float), (len(names),))
    pred = decide(np.asarray(proba).reshape(-1, len(names)), limits).astype(np.int64)
    if gold.shape != pred.shape:
        raise ValueError(f"y_true has shape {gold.shape} but the predictions {pred.shape}")
    out: dict = {"multi_label": True, "n": int(gold.shape[0]), "labels": names}
    if gold.shape[0] == 0:
        nan = float("nan")
        keys = ("accuracy", "subset_accuracy", "micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall")
        return {**out, **dict.fromkeys(keys, nan), "per_class": {}}
    subset = float(accuracy_score(gold, pred))
    p, r, f, support = precision_recall_fscore_support(gold, pred, average=None, zero_division=0)
    micro_p, micro_r, micro_f, _ = precision_recall_fscore_support(gold, pred, average="micro", zero_division=0)
    out.update(
        accuracy=subset,
        subset_accuracy=subset,
        micro_f1=float(micro_f),
        macro_f1=float(f1_score(gold, pred, average="macro", zero_division=0)),
        samples_f1=float(f1_score(gold, pred, average="samples", zero_division=0)),
        micro_precision=float(micro_p),
        micro_recall=float(micro_r),
        per_class={
            name: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(support[i]),
                "threshold": float(limits[i]),
            }  # fmt: skip
            for i, name in enumerate(names)
        },
    )
    return out


def format_multilabel_metrics(metrics: dict, title: str = "") -> str:
    """Render multi-label metrics as a plain-text table (what ``textcnn evaluate`` prints)."""
    lines = [title] if title else []
    lines.append(f"examples         {metrics['n']}")
    for key, label in (("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("samples_f1", "samples-F1"),
                       ("subset_accuracy", "subset accuracy")):  # fmt: skip
        lines.append(f"{label:<16} {metrics[key]:.4f}")
    if metrics["per_class"]:
        width = max(10, *(len(k) for k in metrics["per_class"]))
        lines += ["", f"{'label':<{width}}  precision  recall     f1  support  threshold"]
        for name, row in metrics["per_class"].items():
            lines.append(
                f"{name:<{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:.4f}  {row['support']:7d}"
                f"  {row['threshold']:9.2f}"
            )
    return "\n".join(lines)


def predicted_label_sets(proba: np.ndarray, labels: Sequence, thresholds: Sequence[float]) -> list[list]:
    """The labels of each row of ``proba`` at or above their thresholds, most probable first."""
    chosen = decide(proba, thresholds)
    out = []
    for p, row in zip(np.asarray(proba), chosen, strict=True):
        ids = np.flatnonzero(row)
        out.append([labels[i] for i in ids[np.argsort(-p[ids], kind="stable")]])
    return out


# ---------------------------------------------------------------------------------------------------------- runs
def is_multi_label(splits: DatasetSplits) -> bool:
    """Whether a loaded dataset is multi-label (its splits hold label sets)."""
    return bool(getattr(splits, "multi_label", False))


def check_run(splits: DatasetSplits, *, multi_label: bool, class_weight: object) -> None:
    """Refuse what a run cannot do with its data: ``data.multi_label`` on a single-label dataset, class weights in a
    multi-label run.

    Raises:
        ValueError: Naming the config key.
    """
    if multi_label and not is_multi_label(splits):
        raise ValueError(
            f"data.multi_label is true but dataset {splits.name!r} is single-label; multi_label reads your own "
            "files (dataset `file`) as label sets, and multi-label datasets (20ng_hierarchy) need no flag"
        )
    if is_multi_label(splits) and class_weight is not None:
        raise ValueError(
            "train.class_weight is not supported for multi-label runs (binary cross-entropy per label); unset it"
        )


def run_metrics(
    scored: dict[str, tuple[np.ndarray, np.ndarray]], label_names: Sequence[str], rule: str | float
) -> tuple[dict, list[float]]:
    """The multi-label metrics of a run and its thresholds, chosen on dev by ``rule`` (see
    :func:`choose_thresholds`; 0.5 each without dev).

    Args:
        scored: ``{split: (gold (N, C), probabilities (N, C))}`` for ``dev`` and/or ``test``.
        label_names: The labels in id order.
        rule: ``train.threshold``.

    Returns:
        ``(metrics, thresholds)``: metrics hold ``multi_label``, ``threshold_rule``, ``thresholds`` ({label: t}) and
        the metrics of each scored split at those thresholds.
    """
    if "dev" in scored and len(scored["dev"][0]):
        thresholds = choose_thresholds(*scored["dev"], rule)
        chosen = rule if not isinstance(rule, str) else f"{rule} (chosen on dev)"
    else:
        thresholds = choose_thresholds(np.zeros((0, len(label_names))), np.zeros((0, len(label_names))), rule)
        chosen = rule if not isinstance(rule, str) else f"{DEFAULT_THRESHOLD} (no dev split to choose on)"
    metrics: dict = {"multi_label": True, "threshold_rule": chosen,
                     "thresholds": thresholds_by_label(label_names, thresholds)}  # fmt: skip
    for name, (gold, proba) in scored.items():
        metrics[name] = multilabel_metrics(gold, proba, label_names, thresholds)
    return metrics, [float(t) for t in thresholds]


# ---------------------------------------------------------------------------------------------------------- predict
def prediction_rows(
    proba_rows: Iterable[np.ndarray], labels: Sequence, thresholds: Sequence[float], all_probs: bool
) -> Iterator[dict]:
    """One row per text: ``{"labels": [...], "probs": {label: probability}}`` for the labels at or above their
    thresholds (most probable first), and ``"probabilities"`` of every label with ``all_probs``."""
    limits = np.asarray(thresholds, dtype=float)
    for p in proba_rows:
        ids = np.flatnonzero(p >= limits)
        ids = ids[np.argsort(-p[ids], kind="stable")]
        row: dict = {"labels": [labels[i] for i in ids], "probs": {str(labels[i]): float(p[i]) for i in ids}}
        if all_probs:
            row["probabilities"] = {str(labels[i]): float(p[i]) for i in range(len(labels))}
        yield row


def write_predictions(
    rows: Iterable[dict], out: TextIO, fmt: str, labels: Sequence, all_probs: bool, separator: str
) -> None:
    """Write multi-label prediction rows: JSON lines as they are; CSV/TSV with a ``labels`` and a ``probabilities``
    column holding the labels and their probabilities joined by ``separator`` (empty when no label reaches its
    threshold), and a ``p_<label>`` column per label with ``all_probs``."""
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    rows = iter(rows)
    first = next(rows, None)  # predict the first chunk before writing anything: early errors leave no header
    writer.writerow(["labels", "probabilities"] + ([f"p_{name}" for name in labels] if all_probs else []))
    for row in itertools.chain([first] if first is not None else [], rows):
        cells = [separator.join(map(str, row["labels"])), separator.join(f"{p:.6f}" for p in row["probs"].values())]
        if all_probs:
            cells += [f"{row['probabilities'][str(name)]:.6f}" for name in labels]
        writer.writerow(cells)


def trained_separator(config: dict) -> str:
    """The label separator a model was trained with (``data.label_separator`` of its saved config)."""
    data = config.get("data") if isinstance(config, dict) else None
    separator = data.get("label_separator") if isinstance(data, dict) else None
    return separator if isinstance(separator, str) and separator else LABEL_SEPARATOR


# ---------------------------------------------------------------------------------------------------------- evaluate
def file_examples(clf, file: str, text_column: str, label_column: str) -> tuple[list[str], np.ndarray, dict]:
    """``(texts, gold (N, C), scored)`` of a multi-label file scored by multi-label classifier ``clf``: labels are
    read as in training (lists, or cells split at the model's ``data.label_separator``).

    Raises:
        ValueError: A label the model never saw (file and line named), or what reading the file refuses.
    """
    from textcnn.data.files import FileOptions, read_labelled_file

    options = FileOptions(text_column=text_column, label_column=label_column, multi_label=True,
                          label_separator=trained_separator(clf.config))  # fmt: skip
    part, _, _ = read_labelled_file(file, options, label_names=[str(x) for x in clf.labels])
    return list(part.texts), part.matrix(), {"file": str(file), "n": len(part)}


def check_same_kind(splits: DatasetSplits, multi_label: bool) -> None:
    """Refuse to score a multi-label model on a single-label dataset, and the other way round."""
    if is_multi_label(splits) != multi_label:
        kinds = ("single-label", "multi-label")
        raise ValueError(
            f"dataset {splits.name!r} is {kinds[is_multi_label(splits)]} but the model is {kinds[multi_label]}"
        )
