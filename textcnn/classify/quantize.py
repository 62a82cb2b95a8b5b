"""Smaller model directories: weights stored in float16 or bfloat16 (half the size on disk).

A halved directory is a model directory like any other: loading builds the model in float32 and copies the stored
weights into it (``load_state_dict`` converts), so prediction runs exactly as before on the rounded weights. The
stored dtype is recorded in ``metrics.json`` (``weights_dtype``) and in the model card.
"""

from __future__ import annotations

from pathlib import Path

import torch

from textcnn.classify import model_dir as md

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def halve_model_dir(src: str | Path, out: str | Path, dtype: str = "float16", *, overwrite: bool = False) -> Path:
    """Write a copy of model directory ``src`` to ``out`` with its floating-point weights stored as ``dtype``.

    Raises:
        ValueError: An unknown ``dtype``, ``out`` equal to ``src``, or ``out`` holding a model (without
            ``overwrite``).
    """
    from textcnn.classify.classifier import load

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    src, out = Path(src), Path(out)
    if src.resolve() == out.resolve():
        raise ValueError(f"the output folder must differ from the model directory {src}")
    if not overwrite:
        md.check_free(out)
    clf = load(src)
    for tensor in [*clf.model.parameters(), *clf.model.buffers()]:
        if tensor.is_floating_point():
            tensor.data = tensor.data.to(DTYPES[dtype])
    clf.metrics = {**clf.metrics, "weights_dtype": dtype}
    return clf.save_pretrained(out)
