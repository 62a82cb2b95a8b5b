"""The PNG plots a training run writes: training curves and the confusion matrix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from textcnn.classify.plots import (
    CONFUSION_FILE,
    CURVES_FILE,
    plot_confusion_matrix,
    plot_training_curves,
    write_run_plots,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

HISTORY = [
    {"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.5, "dev_accuracy": 0.6, "dev_macro_f1": 0.55},
    {"epoch": 2, "train_loss": 0.6, "train_accuracy": 0.7, "dev_accuracy": 0.8, "dev_macro_f1": 0.78},
    {"epoch": 3, "train_loss": 0.4, "train_accuracy": 0.8, "dev_accuracy": 0.75, "dev_macro_f1": 0.74},
]
MATRIX = [[8, 1, 1], [2, 6, 2], [0, 0, 5]]
LABELS = ["negative", "neutral", "positive"]


def read_png(path: Path) -> np.ndarray:
    """The pixels of a PNG file, after checking its signature and that it is a non-trivial, non-blank image."""
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] >= 200 and pixels.shape[1] >= 200
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 10  # not a single colour
    return pixels


def test_training_run_writes_plots_beside_metrics(tiny_model_dir):
    for name in (CURVES_FILE, CONFUSION_FILE):
        assert (tiny_model_dir / name).is_file()
        read_png(tiny_model_dir / name)
    assert (tiny_model_dir / "metrics.json").is_file()
    assert not list(tiny_model_dir.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_plot_training_curves_writes_png(tmp_path):
    path = plot_training_curves(HISTORY, 2, "accuracy", tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    pixels = read_png(path)
    assert pixels.shape[0] > pixels.shape[1] * 0.7  # two stacked panels


def test_plot_training_curves_without_dev_plots_the_loss(tmp_path):
    history = [
        {"epoch": r["epoch"], "train_loss": r["train_loss"], "train_accuracy": r["train_accuracy"]} for r in HISTORY
    ]
    one_panel = read_png(plot_training_curves(history, 3, "accuracy", tmp_path / "loss.png"))
    two_panels = read_png(plot_training_curves(HISTORY, 3, "accuracy", tmp_path / "both.png"))
    assert one_panel.shape[1] == two_panels.shape[1]
    assert one_panel.shape[0] < two_panels.shape[0]  # only the loss panel was drawn


def test_plot_training_curves_refuses_empty_history(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plot_training_curves([], 0, "accuracy", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_confusion_matrix_three_classes(tmp_path):
    path = plot_confusion_matrix(MATRIX, LABELS, tmp_path / "cm.png", "Confusion matrix, test split")
    read_png(path)


def test_plot_confusion_matrix_handles_empty_rows_and_int_labels(tmp_path):
    read_png(plot_confusion_matrix([[3, 1], [0, 0]], [0, 1], tmp_path / "cm.png", "two classes"))


def test_plot_confusion_matrix_refuses_mismatched_labels(tmp_path):
    with pytest.raises(ValueError, match="does not match 2 labels"):
        plot_confusion_matrix(MATRIX, LABELS[:2], tmp_path / "cm.png", "bad")
    assert not (tmp_path / "cm.png").exists()


def _split_metrics(matrix: list[list[int]]) -> dict:
    return {"n": int(np.sum(matrix)), "accuracy": 0.5, "confusion_matrix": matrix, "labels": LABELS}


def test_write_run_plots_prefers_test_and_plots_only_what_is_there(tmp_path, monkeypatch):
    import textcnn.classify.plots as plots

    seen = []
    real = plots.plot_confusion_matrix
    monkeypatch.setattr(
        plots,
        "plot_confusion_matrix",
        lambda m, labels, path, title: seen.append(title) or real(m, labels, path, title),
    )
    metrics = {"best_epoch": 2, "dev": _split_metrics(MATRIX), "test": _split_metrics(MATRIX)}
    assert plots.write_run_plots(tmp_path, metrics) == [tmp_path / CONFUSION_FILE]  # no train_log.jsonl: no curves
    assert "test split" in seen[-1]
    (tmp_path / "train_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in HISTORY), encoding="utf-8")
    written = plots.write_run_plots(tmp_path, {"best_epoch": 2, "dev": _split_metrics(MATRIX)})
    assert written == [tmp_path / CURVES_FILE, tmp_path / CONFUSION_FILE]
    assert "dev split" in seen[-1]
    assert write_run_plots(tmp_path / "nothing", {"best_epoch": 1, "test": _split_metrics([])}) == []
