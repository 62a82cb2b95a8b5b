"""PNG plots of a training run, written next to ``metrics.json``: training curves and a confusion matrix.

Figures are drawn with :class:`matplotlib.figure.Figure` and its Agg canvas (no pyplot, no display, no global
state), and each file is written atomically.

* :data:`CURVES_FILE` (``training_curves.png``): train loss and the dev metric per epoch (two panels), the kept
  epoch marked with a labelled vertical line.
* :data:`CONFUSION_FILE` (``confusion_matrix.png``): the row-normalised confusion matrix of the test split (the dev
  split when there is no test split), with counts and shares in the cells.
* :data:`LABEL_F1_FILE` (``label_f1.png``): multi-label runs, instead of the confusion matrix: each label's F1 at its
  threshold on the test (else dev) split, micro-F1 marked.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from textcnn.training.callbacks import LOG_NAME
from textcnn.utils.io import atomic_write

CURVES_FILE = "training_curves.png"
CONFUSION_FILE = "confusion_matrix.png"
#: Multi-label runs write this bar chart of each label's F1 instead of a confusion matrix.
LABEL_F1_FILE = "label_f1.png"
PLOT_FILES = (CURVES_FILE, CONFUSION_FILE)
DPI = 120
_ANNOTATE_MAX_CLASSES = 30  # beyond this many classes the cells are too small to hold text


def plot_training_curves(history: list[dict], best_epoch: int, metric: str, path: str | Path) -> Path:
    """Plot train loss and the dev metric per epoch, marking the kept epoch.

    Args:
        history: One record per epoch, as in ``train_log.jsonl`` (``epoch``, ``train_loss`` and, with a dev split,
            ``dev_<metric>``).
        best_epoch: 1-based epoch whose weights were kept (``0`` or less: not marked).
        metric: The dev metric that selected the kept epoch (``accuracy`` or ``macro_f1``).
        path: The PNG file to write.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: If ``history`` is empty.
    """
    if not history:
        raise ValueError(f"no epochs to plot for {path}: the training history is empty")
    dev_key = f"dev_{metric}"
    has_dev = any(dev_key in record for record in history)
    fig = new_figure((7.0, 6.0 if has_dev else 3.8))
    axes = fig.subplots(2 if has_dev else 1, 1, sharex=True, squeeze=False)[:, 0]
    _plot_series(axes[0], history, "train_loss", "train loss", "tab:blue")
    if has_dev:
        _plot_series(axes[1], history, dev_key, f"dev {_metric_label(metric)}", "tab:orange")
    for ax in axes:
        _mark_epoch(ax, best_epoch)
    axes[-1].set_xlabel("epoch")
    axes[-1].xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"Training curves ({len(history)} epochs, kept epoch {best_epoch})")
    return save_png(fig, path)


def plot_confusion_matrix(matrix: list[list[int]], labels: list, path: str | Path, title: str) -> Path:
    """Plot a row-normalised confusion matrix (rows = gold, columns = predicted) with counts and shares in the cells.

    Args:
        matrix: ``C x C`` counts, ``matrix[gold][predicted]``.
        labels: The ``C`` class names in id order.
        path: The PNG file to write.
        title: The figure title.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: If ``matrix`` is not square with one row per label.
    """
    import numpy as np

    counts = np.asarray(matrix, dtype=np.int64)
    n = len(labels)
    if n == 0 or counts.shape != (n, n):
        raise ValueError(f"confusion matrix of shape {counts.shape} does not match {n} labels ({labels[:5]!r})")
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)
    side = min(max(4.5, 0.7 * n + 2.5), 20.0)
    fig = new_figure((side + 1.0, side))
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, label="share of the gold row")
    names = [str(label) for label in labels]
    rotate = max(map(len, names)) > 4
    ax.set_xticks(range(n), names, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    if n <= _ANNOTATE_MAX_CLASSES:
        _annotate_cells(ax, counts, shares)
    return save_png(fig, path)


def write_run_plots(out_dir: str | Path, metrics: dict, metric: str | None = None) -> list[Path]:
    """Write the plots of a finished training run into its folder; only what the run recorded is plotted.

    Args:
        out_dir: The run's model directory, holding ``train_log.jsonl`` (and ``config.yaml``).
        metrics: What ``metrics.json`` holds (``best_epoch`` and the ``dev``/``test`` metrics).
        metric: The dev metric that selected the kept epoch; ``None`` takes ``metrics["selection_metric"]``, else
            ``train.metric`` of the folder's ``config.yaml`` (``accuracy`` when neither names one).

    Returns:
        The files written: :data:`CURVES_FILE` when there is a training log, :data:`CONFUSION_FILE` when the test
        (or else dev) split has a confusion matrix, :data:`LABEL_F1_FILE` instead for a multi-label run (whose
        curves show the dev metric that selected the epoch, ``metrics["selection_metric"]``).
    """
    out_dir = Path(out_dir)
    written = []
    history = read_history(out_dir)
    if metrics.get("multi_label"):
        metric = metrics.get("selection_metric") or metric
        split = next((name for name in ("test", "dev") if (metrics.get(name) or {}).get("per_class")), None)
        if split is not None:
            written.append(plot_label_f1(metrics[split], out_dir / LABEL_F1_FILE, split))
    if history:
        metric = metric or metrics.get("selection_metric") or _saved_metric(out_dir)
        best_epoch = int(metrics.get("best_epoch") or 0)
        written.append(plot_training_curves(history, best_epoch, metric, out_dir / CURVES_FILE))
    split = next((name for name in ("test", "dev") if (metrics.get(name) or {}).get("confusion_matrix")), None)
    if split is not None:
        m = metrics[split]
        title = f"Confusion matrix, {split} split (n={m['n']}, accuracy {m['accuracy']:.4f})"
        written.append(plot_confusion_matrix(m["confusion_matrix"], m["labels"], out_dir / CONFUSION_FILE, title))
    return written


def plot_label_f1(metrics: dict, path: str | Path, split: str) -> Path:
    """A horizontal bar per label: its F1 at its threshold (multi-label metrics of one split), micro-F1 marked.

    Args:
        metrics: One split's multi-label metrics (:func:`textcnn.classify.multilabel.multilabel_metrics`).
        path: The PNG file to write.
        split: The split's name, for the title.

    Raises:
        ValueError: If the metrics hold no label.
    """
    rows = metrics.get("per_class") or {}
    if not rows:
        raise ValueError(f"no labels to plot for {path}")
    names = list(rows)
    fig = new_figure((7.0, min(max(2.5, 0.28 * len(names) + 1.5), 20.0)))
    ax = fig.subplots()
    ax.barh(range(len(names)), [rows[n]["f1"] for n in names], color="tab:blue")
    ax.set_yticks(range(len(names)), [f"{n} ({rows[n]['support']})" for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(metrics["micro_f1"], color="tab:red", linestyle="--", label=f"micro-F1 {metrics['micro_f1']:.3f}")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("F1 at the label's threshold (support in brackets)")
    ax.legend(loc="lower right")
    ax.set_title(f"Per-label F1, {split} split (n={metrics['n']}, macro-F1 {metrics['macro_f1']:.3f})")
    return save_png(fig, path)


def read_history(out_dir: str | Path) -> list[dict]:
    """The per-epoch records of a run's ``train_log.jsonl`` (``[]`` when there is no log)."""
    path = Path(out_dir) / LOG_NAME
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _saved_metric(out_dir: Path) -> str:
    """``train.metric`` of the run's saved ``config.yaml`` (``accuracy`` when it is absent)."""
    from textcnn.classify.model_dir import CONFIG_FILE

    path = out_dir / CONFIG_FILE
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    train = config.get("train") if isinstance(config, dict) else None
    return str(train.get("metric") or "accuracy") if isinstance(train, dict) else "accuracy"


def new_figure(size: tuple[float, float]):
    """A pyplot-free figure with the Agg canvas attached (what ``savefig`` renders with)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _plot_series(ax, history: list[dict], key: str, label: str, color: str) -> None:
    """One line (with points) of ``key`` per epoch; epochs without the key are left out."""
    points = [(r["epoch"], r[key]) for r in history if r.get(key) is not None]
    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color=color, label=label)
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)


def _mark_epoch(ax, epoch: int) -> None:
    """A labelled vertical line at the kept epoch, and the legend."""
    if epoch > 0:
        ax.axvline(epoch, color="tab:red", linestyle="--", linewidth=1.2, label=f"kept epoch {epoch}")
    ax.legend(loc="best")


def _metric_label(metric: str) -> str:
    return {"accuracy": "accuracy", "macro_f1": "macro-F1", "micro_f1": "micro-F1"}.get(metric, metric)


def _annotate_cells(ax, counts, shares) -> None:
    """Write ``count`` and ``share`` in every cell, white on dark cells."""
    n = counts.shape[0]
    size = 10 if n <= 8 else 7 if n <= 16 else 5
    for i in range(n):
        for j in range(n):
            color = "white" if shares[i, j] > 0.5 else "black"
            text = f"{counts[i, j]}\n{shares[i, j]:.0%}"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=size)


def save_png(fig, path: str | Path) -> Path:
    """Write ``fig`` as a PNG atomically."""
    return atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=DPI))
