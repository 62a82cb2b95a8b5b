"""Token-length statistics (Kim's tokenizer) of a dataset's splits and the share of examples a ``max_len`` cuts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textcnn.utils.tables import markdown_table


def length_stats(
    dataset: str, data_dir: str | Path | None = None, *, max_lens: list[int] = (100, 400, 1000), **options
) -> dict:
    """Token counts per example of the train and test splits (the dataset's Kim tokenizer settings).

    Args:
        dataset: A registered dataset name.
        data_dir: Benchmark data root (``None``: ``$TEXTCNN_DATA``).
        max_lens: Limits to report the truncated share for.
        **options: Dataset options (as for ``load_dataset``).

    Returns:
        ``{"dataset", "splits": {split: {"n", "mean", "median", "p90", "p99", "max",
        "truncated": {max_len: share}}}}``.

    Raises:
        ValueError: Unknown dataset or a ``max_len`` < 1.
    """
    from textcnn.data.registry import load_dataset
    from textcnn.text.tokenizers import TextTokenizer

    for limit in max_lens:
        if limit < 1:
            raise ValueError(f"max_len must be >= 1, got {limit}")
    splits = load_dataset(dataset, data_dir, **options)
    tok = TextTokenizer.create("kim", lowercase=dataset != "trec")
    out: dict = {"dataset": dataset, "splits": {}}
    for name, split in (("train", splits.train), ("test", splits.test)):
        if split is None or not len(split):
            continue
        lengths = np.asarray([len(tok.tokenize(t)) for t in split.texts])
        out["splits"][name] = {
            "n": int(len(lengths)),
            "mean": float(lengths.mean()),
            "median": float(np.median(lengths)),
            "p90": float(np.percentile(lengths, 90)),
            "p99": float(np.percentile(lengths, 99)),
            "max": int(lengths.max()),
            "truncated": {int(m): float((lengths > m).mean()) for m in max_lens},
        }
    return out


def render_length_table(rows: list[dict]) -> str:
    """Markdown table of :func:`length_stats` results."""
    limits = sorted({m for row in rows for s in row["splits"].values() for m in s["truncated"]})
    header = ["dataset", "split", "n", "mean", "median", "p90", "p99", "max", *(f"> {m}" for m in limits)]
    table = []
    for row in rows:
        for split, s in row["splits"].items():
            stats = [f"{s[k]:.0f}" for k in ("mean", "median", "p90", "p99")]
            shares = [f"{100 * s['truncated'].get(m, 0.0):.1f}%" for m in limits]
            table.append([row["dataset"], split, str(s["n"]), *stats, str(s["max"]), *shares])
    return markdown_table(header, table)
