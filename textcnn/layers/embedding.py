"""Word-embedding tables: pretrained vectors copied in, and the rows of special tokens kept at zero."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def zero_rows_(tables: Iterable[nn.Embedding | None], indices: Iterable[int | None]) -> None:
    """Set the given rows (``<pad>``, ``<unk>``; ``None`` skipped) of every table to zero, in place."""
    indices = [i for i in indices if i is not None]
    for table in tables:
        if table is not None:
            for index in indices:
                table.weight[index] = 0


@torch.no_grad()
def copy_pretrained_(tables: Iterable[nn.Embedding], vectors: np.ndarray | torch.Tensor) -> None:
    """Copy a pretrained ``(vocab_size, embedding_dim)`` matrix into each table, in place.

    Raises:
        ValueError: If the matrix does not have the tables' shape.
    """
    tables = list(tables)
    weight = torch.as_tensor(np.asarray(vectors), dtype=tables[0].weight.dtype)
    if weight.shape != tables[0].weight.shape:
        raise ValueError(
            f"pretrained vectors have shape {tuple(weight.shape)} but the embedding table is "
            f"{tuple(tables[0].weight.shape)} (vocab_size, embedding_dim)"
        )
    for table in tables:
        table.weight.copy_(weight)
