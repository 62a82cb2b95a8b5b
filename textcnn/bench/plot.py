"""A picture of the paired comparison: each CNN row's difference from a baseline on the same test splits, per
dataset (the numbers of :func:`textcnn.bench.table.paired_table`, drawn).

One panel; datasets along x; per row, a marker at the mean difference with a bar of ± one std of the differences,
and each run's difference as a small dot beside it. Above the zero line means above the baseline; a bar that stays
above zero is issue #13's target (a mean larger than its std).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path

from textcnn.bench.table import BEST_BASELINE, KIM_COLUMNS, LONG_COLUMNS, paired_differences
from textcnn.classify.plots import new_figure, save_png


def plot_paired(
    records: Iterable[dict],
    path: str | Path,
    *,
    rows: Mapping[str, str] | None = None,
    baseline: str = BEST_BASELINE,
    columns=KIM_COLUMNS + LONG_COLUMNS,
) -> Path:
    """Draw each CNN row minus ``baseline`` per dataset and write it as a PNG.

    Args:
        records: Results records (``results.jsonl``).
        path: The PNG file to write.
        rows: ``{row label: name shown}``, in the order to draw; ``None``: every CNN row under its own label.
        baseline: The baseline row to subtract (default: the best baseline of each split).
        columns: ``(dataset, title)`` pairs; datasets where no drawn row has a pair are left out.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: A row or the baseline is not in the records, or nothing is paired.
    """
    diffs = paired_differences(list(records), columns)
    known = list(dict.fromkeys(row for row, _ in diffs))  # the table's row order
    if rows is None:
        rows = {row: row for row in known}
    missing = [row for row in rows if (row, baseline) not in diffs]
    if missing:
        have = "; ".join(sorted(known)) or "none"
        raise ValueError(f"no paired runs for {missing[0]!r} against {baseline!r}; rows with pairs: {have}")
    shown = [(d, title) for d, title in columns if any(diffs[(row, baseline)][d] for row in rows)]
    if not shown:
        raise ValueError(f"no CNN run is paired with a {baseline!r} run on the same split")
    fig = new_figure((max(6.0, 1.3 * len(shown) + 3.0), 4.8))
    ax = fig.subplots()
    width = 0.8 / len(rows)
    for i, (row, name) in enumerate(rows.items()):
        offset = (i - (len(rows) - 1) / 2) * width
        color, label = f"C{i % 10}", name  # the legend entry goes with the row's first marker
        for x, (dataset, _) in enumerate(shown):
            values = diffs[(row, baseline)][dataset]
            if not values:
                continue
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            ax.errorbar(x + offset, statistics.fmean(values), yerr=std, fmt="o", color=color, capsize=3, label=label)
            label = None
            ax.scatter([x + offset + width * 0.25] * len(values), values, s=8, color=color, alpha=0.5)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(shown)), [title for _, title in shown])
    ax.set_ylabel(f"test accuracy − {baseline} (points)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return save_png(fig, path)
