"""Classification metrics through scikit-learn: accuracy, macro-F1, per-class scores, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int], label_names: Sequence[str]) -> dict:
    """Compute the metrics textcnn reports for a labelled split.

    Args:
        y_true: Gold label ids.
        y_pred: Predicted label ids.
        label_names: Names of the label ids ``0 .. C-1``.

    Returns:
        ``{"n", "accuracy", "macro_f1", "per_class": {name: {precision, recall, f1, support}}, "confusion_matrix",
        "labels"}`` with plain Python numbers (JSON-serialisable).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.shape[0]} labels but y_pred has {y_pred.shape[0]}")
    labels = list(range(len(label_names)))
    if y_true.size == 0:
        return {
            "n": 0,
            "accuracy": float("nan"),
            "macro_f1": float("nan"),
            "per_class": {},
            "confusion_matrix": [],
            "labels": list(label_names),
        }
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "n": int(y_true.size),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {
            str(name): {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(label_names)
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "labels": list(label_names),
    }


def format_metrics(metrics: dict, title: str = "") -> str:
    """Render metrics as a plain-text table (what ``textcnn evaluate`` prints); multi-label metrics as
    :func:`textcnn.classify.multilabel.format_multilabel_metrics` does."""
    if metrics.get("multi_label"):
        from textcnn.classify.multilabel import format_multilabel_metrics

        return format_multilabel_metrics(metrics, title)
    lines = [title] if title else []
    lines.append(f"examples  {metrics['n']}")
    lines.append(f"accuracy  {metrics['accuracy']:.4f}")
    lines.append(f"macro-F1  {metrics['macro_f1']:.4f}")
    if metrics["per_class"]:
        width = max(10, *(len(k) for k in metrics["per_class"]))
        lines.append("")
        lines.append(f"{'class':<{width}}  precision  recall     f1  support")
        for name, row in metrics["per_class"].items():
            lines.append(
                f"{name:<{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:.4f}  {row['support']:7d}"
            )
        lines.append("")
        lines.append("confusion matrix (rows = gold, columns = predicted)")
        for name, row in zip(metrics["labels"], metrics["confusion_matrix"], strict=True):
            lines.append(f"{name:<{width}}  " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)
