"""Smaller and faster model directories: half-precision weights, and an int8 graph for CPU inference.

``float16`` / ``bfloat16``: the weights are stored in half precision (half the size on disk). Loading builds the
model in float32 and copies the stored weights into it (``load_state_dict`` converts), so prediction runs exactly as
before on the rounded weights.

``int8``: the directory holds, beside float16 weights (for ``explain``, ``export`` and ``backend="torch"``),
``model.int8.onnx``: the model quantised by ONNX Runtime's static quantiser (QDQ format, per-channel symmetric int8
weights, uint8 activations whose ranges are calibrated on a few hundred of the run's training texts). ``load`` runs
that graph by default, so ``predict``, ``evaluate`` and ``serve`` use the int8 kernels unchanged. Static rather than
dynamic quantisation because ONNX Runtime's dynamic quantiser turns the convolutions into ``ConvInteger``, which ran
about 3x slower than float32 here (docs/speed.md); the calibrated graph runs the convolutions in int8 (VNNI) kernels.

The stored dtype is recorded in ``metrics.json`` (``weights_dtype``) and in the model card.
"""

from __future__ import annotations

import contextlib
import logging
import random
import shutil
import tempfile
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch

from textcnn.classify import model_dir as md

HALF_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}
#: What ``textcnn quantize --dtype`` takes.
DTYPES = (*HALF_DTYPES, "int8")
#: The int8 graph of an ``int8`` model directory (run by ``load`` unless another backend is asked for).
INT8_GRAPH = md.INT8_GRAPH_FILE
#: How many texts calibrate the activation ranges of the int8 graph.
CALIBRATION_TEXTS = 512
CALIBRATION_BATCH = 64


def quantize_model_dir(
    src: str | Path,
    out: str | Path,
    dtype: str = "float16",
    *,
    calibration_texts: Iterable[str] | None = None,
    num_calibration: int = CALIBRATION_TEXTS,
    overwrite: bool = False,
) -> Path:
    """Write a copy of model directory ``src`` to ``out`` with its weights stored as ``dtype`` (see the module doc).

    Args:
        src: A text model directory.
        out: The new model directory.
        dtype: One of :data:`DTYPES`.
        calibration_texts: ``int8`` only: texts that calibrate the activation ranges; ``None`` reads the run's own
            training split (the dataset and fold in its ``config.yaml``).
        num_calibration: ``int8`` only: how many of them (a seeded random sample) are used.
        overwrite: Replace a model already in ``out``.

    Raises:
        ValueError: An unknown ``dtype``, ``out`` equal to ``src``, ``out`` holding a model (without
            ``overwrite``), or no calibration texts.
    """
    from textcnn.classify.classifier import load
    from textcnn.classify.hybrid import hybrid_meta

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    src, out = Path(src), Path(out)
    if src.resolve() == out.resolve():
        raise ValueError(f"the output folder must differ from the model directory {src}")
    if not overwrite:
        md.check_free(out)
    if hybrid_meta(src) is not None:
        raise ValueError(f"{src} is a CNN + linear hybrid; quantise the CNN run it was made from instead")
    clf = load(src, backend="torch")
    extra: dict = {"weights_dtype": dtype}
    with tempfile.TemporaryDirectory(prefix="textcnn-int8-") as tmp:
        if dtype == "int8":
            texts = _calibration_sample(clf, calibration_texts, num_calibration)
            graph = write_int8_graph(clf, texts, Path(tmp) / INT8_GRAPH)
            extra["int8"] = {"graph": INT8_GRAPH, "calibration_texts": len(texts), "weights_for_torch": "float16"}
            (out / INT8_GRAPH).unlink(missing_ok=True)
            out.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(graph, out / INT8_GRAPH)  # before textcnn.json, which save_pretrained writes last
        else:
            (out / INT8_GRAPH).unlink(missing_ok=True)  # --overwrite of an int8 directory with a half one
        for tensor in [*clf.model.parameters(), *clf.model.buffers()]:
            if tensor.is_floating_point():
                tensor.data = tensor.data.to(HALF_DTYPES.get(dtype, torch.float16))
        clf.metrics = {**clf.metrics, **extra}
        return clf.save_pretrained(out)


def write_int8_graph(clf, texts: Sequence[str], path: str | Path) -> Path:
    """Export ``clf``'s model to ONNX and quantise it statically to int8, calibrated on ``texts``; returns ``path``.

    Raises:
        ModuleNotFoundError: If ``onnxruntime`` (or the exporter's ``onnx``) is not installed.
        ValueError: If ONNX Runtime cannot quantise the graph.
    """
    from textcnn.classify.export import _require, export_onnx

    quantization = _require("onnxruntime.quantization")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="textcnn-onnx-") as tmp:
        graph = export_onnx(clf, Path(tmp) / "model.onnx")
        try:
            with _quiet_root_logger():  # ONNX Runtime logs a pre-processing hint that its own shape inference refuses
                quantization.quantize_static(
                    str(graph),
                    str(path),
                    _CalibrationReader(clf, texts, quantization.CalibrationDataReader),
                    quant_format=quantization.QuantFormat.QDQ,
                    per_channel=True,
                    weight_type=quantization.QuantType.QInt8,
                    activation_type=quantization.QuantType.QUInt8,
                )
        except Exception as exc:  # ONNX Runtime raises bare Exceptions for graphs it cannot quantise
            raise ValueError(f"ONNX Runtime could not quantise {clf.model_name} to int8: {exc}") from None
    return path


@contextlib.contextmanager
def _quiet_root_logger() -> Generator[None, None, None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def has_int8_graph(path: str | Path) -> bool:
    """Whether a (local) model directory holds an int8 graph."""
    return (Path(path) / INT8_GRAPH).is_file()


def _calibration_sample(clf, texts: Iterable[str] | None, n: int) -> list[str]:
    if n < 1:
        raise ValueError(f"the number of calibration texts must be >= 1, got {n}")
    pool = [t for t in (_training_texts(clf) if texts is None else texts) if isinstance(t, str) and t.strip()]
    if not pool:
        raise ValueError("no calibration texts: give some (--calibration FILE), one text per line")
    return random.Random(0).sample(pool, min(n, len(pool)))


def _training_texts(clf) -> list[str]:
    """The training split of the run that made ``clf`` (its dataset and fold, from its config)."""
    from textcnn.classify.config import from_dict
    from textcnn.classify.train import load_splits

    try:
        return list(load_splits(from_dict(clf.config)).train.texts)
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(
            f"cannot read this run's training texts to calibrate the int8 graph ({exc}); "
            "give calibration texts with --calibration FILE (one text per line)"
        ) from None


def _encode_batch(clf, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """``input_ids`` and ``mask`` ``(B, T)`` as the exported graph takes them (rows padded to at least min_len)."""
    ids = clf.encode(texts)
    length = max(clf.min_len, max(len(row) for row in ids))
    input_ids = np.full((len(ids), length), clf.tokenizer.pad_id, dtype=np.int64)  # (B, T)
    mask = np.zeros((len(ids), length), dtype=bool)  # (B, T)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = row
        mask[i, : len(row)] = True
    return {"input_ids": input_ids, "mask": mask}


def _CalibrationReader(clf, texts: Sequence[str], base: type):  # noqa: N802 (a class made on demand)
    """An ``onnxruntime.quantization.CalibrationDataReader`` over ``texts`` in batches (its base class is imported
    lazily, with onnxruntime)."""

    class Reader(base):
        def __init__(self) -> None:
            self._batches = iter(
                _encode_batch(clf, texts[i : i + CALIBRATION_BATCH]) for i in range(0, len(texts), CALIBRATION_BATCH)
            )

        def get_next(self) -> dict | None:
            return next(self._batches, None)

    return Reader()
