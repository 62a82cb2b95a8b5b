"""Data loading: benchmark and user datasets, splits, encodings and batching.

Importing this package stays light (no ``datasets``, ``sklearn`` or ``torch`` import); the names below are loaded
on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "resolve_data_dir": "textcnn.data.paths",
    "TextSplit": "textcnn.data.splits",
    "DatasetSplits": "textcnn.data.splits",
    "DatasetSpec": "textcnn.data.registry",
    "register_dataset": "textcnn.data.registry",
    "list_datasets": "textcnn.data.registry",
    "get_dataset_spec": "textcnn.data.registry",
    "load_dataset": "textcnn.data.registry",
    "load_text_file": "textcnn.data.files",
    "read_texts": "textcnn.data.files",
    "pad_batch": "textcnn.data.batching",
    "BucketBatchSampler": "textcnn.data.batching",
    "EncodedDataset": "textcnn.data.batching",
    "make_collate": "textcnn.data.batching",
    "make_text_loader": "textcnn.data.batching",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'textcnn.data' has no attribute {name!r}")
