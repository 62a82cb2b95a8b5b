"""Export a trained text model to ONNX or TorchScript, and predict with ONNX Runtime through the usual API.

An exported graph takes two inputs, both ``(batch, length)`` with dynamic axes:

* ``input_ids``: int64 token ids, each row's real tokens first, padded with the tokenizer's ``<pad>`` id;
* ``mask``: bool, True at real tokens. It is always an input: pass an all-True mask when nothing is padded.

and gives one output, ``logits`` ``(batch, num_classes)``. Rows must be at least the model's ``min_len`` long (the
widest filter of a Kim CNN; pad with ``<pad>``/False). The text is turned into ids by the model directory's
``tokenizer.json`` (Hugging Face ``tokenizers``), which goes with the exported file; the label names are in its
``textcnn.json``.

>>> export_onnx("runs/mr", "mr.onnx")
>>> clf = textcnn.load("runs/mr", backend="onnx")       # same predict / predict_proba, run by ONNX Runtime
"""

from __future__ import annotations

import copy
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from textcnn.classify.classifier import TextClassifier
from textcnn.utils.io import atomic_write

__all__ = ["FORMATS", "OnnxRuntimeModel", "OnnxTextClassifier", "export_model", "export_onnx", "export_torchscript"]

#: Export formats (``textcnn export --format``).
FORMATS = ("onnx", "torchscript")
INPUT_NAMES = ("input_ids", "mask")
OUTPUT_NAME = "logits"
#: ONNX opset of the TorchScript-based exporter (the fallback); the dynamo exporter picks its own.
LEGACY_OPSET = 18
INSTALL_HINT = 'pip install "textcnn[export]"  (onnx, onnxruntime, onnxscript)'


def export_onnx(model_dir_or_classifier: str | Path | TextClassifier, path: str | Path) -> Path:
    """Write the text model as an ONNX graph with dynamic batch and length axes (see the module docstring).

    The ``torch.export``-based (dynamo) exporter is used when the model exports with symbolic batch and length; a
    model whose trace pins a length (DPCNN: ``max_pool1d`` reads the concrete length on CPU) falls back to the
    TorchScript-based exporter with ``dynamic_axes``.

    Args:
        model_dir_or_classifier: A model directory (``textcnn train`` output) or a loaded :class:`TextClassifier`.
        path: The ``.onnx`` file to write (atomically).

    Returns:
        ``path``.

    Raises:
        ModuleNotFoundError: If ``onnx`` (or ``onnxscript``) is not installed.
        ValueError: If the directory does not hold a text model, or neither exporter can export the model (e.g. VDCNN:
            its k-max pooling's stable sort has no ONNX form).
    """
    _require("onnx")
    model, example = _export_inputs(model_dir_or_classifier)
    return atomic_write(path, lambda tmp: _write_onnx(model, example, tmp))


def export_torchscript(model_dir_or_classifier: str | Path | TextClassifier, path: str | Path) -> Path:
    """Write the text model as a traced TorchScript module (``torch.jit.load(path)(input_ids, mask)`` -> logits).

    Tracing records tensor sizes symbolically, so any batch size and length run; the mask is always an input.

    Args:
        model_dir_or_classifier: A model directory or a loaded :class:`TextClassifier`.
        path: The file to write (atomically), e.g. ``model.pt``.

    Returns:
        ``path``.
    """
    model, example = _export_inputs(model_dir_or_classifier)
    with warnings.catch_warnings():
        # torch.jit is deprecated in favour of torch.export (which cannot save a model that runs without Python), and
        # the shape checks on the mask (masked_max_over_time) are Python booleans the trace cannot record; they only
        # guard against misuse, so nothing is lost.
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, example)
        return atomic_write(path, lambda tmp: torch.jit.save(traced, str(tmp)))


def export_model(model_dir_or_classifier: str | Path | TextClassifier, path: str | Path, fmt: str = "onnx") -> Path:
    """:func:`export_onnx` or :func:`export_torchscript` by format name (one of :data:`FORMATS`)."""
    exporters = {"onnx": export_onnx, "torchscript": export_torchscript}
    if fmt not in exporters:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return exporters[fmt](model_dir_or_classifier, path)


def _export_inputs(model_dir_or_classifier: str | Path | TextClassifier) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """A CPU copy of the classifier's model in eval mode and example ``(input_ids, mask)`` for tracing.

    The example has two rows of different lengths (one padded) and a length different from the batch size, so no
    axis is mistaken for a constant or for another axis.
    """
    classifier = _as_classifier(model_dir_or_classifier)
    model = copy.deepcopy(classifier.model).to("cpu").eval()  # the classifier's own model stays where it is
    length = max(classifier.min_len + 1, 5)
    mask = torch.ones(2, length, dtype=torch.bool)  # (2, T)
    mask[1, length // 2 :] = False
    ids = torch.full((2, length), classifier.tokenizer.unk_id, dtype=torch.long)  # (2, T)
    ids[~mask] = classifier.tokenizer.pad_id
    return model, (ids, mask)


def _as_classifier(model_dir_or_classifier: str | Path | TextClassifier) -> TextClassifier:
    from textcnn.classify.hybrid import hybrid_meta

    if not isinstance(model_dir_or_classifier, TextClassifier) and hybrid_meta(model_dir_or_classifier) is not None:
        raise ValueError(
            f"{model_dir_or_classifier} is a CNN + linear hybrid: exporting or quantising it would keep the CNN alone "
            "and change its predictions; export the CNN run it was made from instead"
        )
    if isinstance(model_dir_or_classifier, TextClassifier):
        if isinstance(model_dir_or_classifier, OnnxTextClassifier):
            raise ValueError("this classifier runs an ONNX graph already; export the model directory instead")
        return refuse_feature_models(model_dir_or_classifier, "exported or quantised")
    from textcnn.classify.model_dir import read_task

    if read_task(model_dir_or_classifier) != "text":
        raise ValueError(f"{model_dir_or_classifier}: only text models can be exported (this is an image model)")
    return refuse_feature_models(TextClassifier.from_pretrained(model_dir_or_classifier), "exported or quantised")


def refuse_feature_models(classifier: TextClassifier, what: str) -> TextClassifier:
    """``classifier``, unless its model reads encoder features beside the ids (``kim_cnn_contextual``): a graph or an
    attribution over the ids alone would run it on zero features and give other answers than ``predict``.

    Raises:
        ValueError: Naming the model and its encoder.
    """
    model = classifier.model
    if getattr(model, "needs_features", False):
        raise ValueError(
            f"a {type(model).__name__} reads features of the encoder {getattr(model, 'encoder', '?')} beside the "
            f"token ids; it cannot be {what} (that would run it without them): predict with textcnn predict or serve"
        )
    return classifier


def _write_onnx(model: nn.Module, example: tuple[torch.Tensor, ...], path: Path) -> None:
    """Export with the dynamo exporter when the model traces with dynamic shapes, else the TorchScript-based one.

    Raises:
        ValueError: If neither exporter can export the model (both reasons given).
    """
    program, reason = _exported_program(model, example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation and "axis name not used" notices of the exporters
        if program is not None:
            _require("onnxscript")
            onnx_program = torch.onnx.export(
                program, example, dynamo=True, input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME]
            )
            onnx_program.save(str(path))
            return
        try:
            _legacy_export(model, example, path)
        except Exception as exc:  # noqa: BLE001 - the exporter's errors have no common type; the message says why
            raise ValueError(
                f"{type(model).__name__} does not export to ONNX: torch.export cannot keep its batch and length "
                f"dynamic ({reason}), and the TorchScript-based exporter fails ({_first_line(exc)}); "
                f"--format torchscript may work"
            ) from None


def _legacy_export(model: nn.Module, example: tuple[torch.Tensor, ...], path: Path) -> None:
    """The TorchScript-based ONNX exporter, with named dynamic batch and length axes."""
    axes = {0: "batch", 1: "length"}
    torch.onnx.export(
        model,
        example,
        str(path),
        dynamo=False,
        input_names=list(INPUT_NAMES),
        output_names=[OUTPUT_NAME],
        dynamic_axes={"input_ids": axes, "mask": axes, OUTPUT_NAME: {0: "batch"}},
        opset_version=LEGACY_OPSET,
    )


def _exported_program(model: nn.Module, example: tuple[torch.Tensor, ...]) -> tuple[object | None, str]:
    """``(torch.export program, "")`` with symbolic batch and length, or ``(None, why)`` when the model cannot be
    exported so, e.g. pins the length (the ONNX dynamo exporter would then quietly write a graph of fixed shape)."""
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    shapes = ({0: batch, 1: length}, {0: batch, 1: length})
    try:
        return torch.export.export(model, example, dynamic_shapes=shapes, strict=False), ""
    except Exception as exc:  # noqa: BLE001 - any failure of torch.export means: use the TorchScript-based exporter
        return None, _first_line(exc)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _require(module: str):
    """Import an optional dependency of export, or raise ``ModuleNotFoundError`` saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"{module} is not installed; ONNX export and inference need it: {INSTALL_HINT}"
        ) from None


# ---------------------------------------------------------------------------------------------- ONNX Runtime backend
class OnnxRuntimeModel(nn.Module):
    """An ONNX Runtime session behind a text model's interface: ``forward(input_ids, mask=None)`` -> logits.

    Args:
        session: An ``onnxruntime.InferenceSession`` of a graph written by :func:`export_onnx`.
        min_len: Shortest input the graph takes (the source model's ``min_len``); batches are padded to it.
    """

    def __init__(self, session, min_len: int = 1) -> None:
        super().__init__()
        self.session = session
        self.min_len = min_len

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, C)`` of ``input_ids`` ``(B, T)``; a missing mask means nothing is padded (all True)."""
        ids = input_ids.detach().cpu().numpy().astype(np.int64, copy=False)  # (B, T)
        keep = np.ones(ids.shape, dtype=bool) if mask is None else mask.detach().cpu().numpy().astype(bool, copy=False)
        (logits,) = self.session.run([OUTPUT_NAME], {INPUT_NAMES[0]: ids, INPUT_NAMES[1]: keep})
        return torch.from_numpy(logits)  # (B, C)


class OnnxTextClassifier(TextClassifier):
    """A :class:`TextClassifier` whose model is an ONNX Runtime session (CPU): the same tokenizer, labels, batching
    and ``predict`` / ``predict_proba`` / ``iter_proba``. Made by :func:`load_onnx`; it cannot be saved or explained
    (load the model directory with the PyTorch backend for that)."""

    def save_pretrained(self, path: str | Path) -> Path:
        raise ValueError("an ONNX Runtime classifier cannot be saved; save the PyTorch classifier (backend='torch')")

    def explain(self, text: str, top_k: int = 5):
        raise ValueError("explain needs the PyTorch model; load the model directory with backend='torch'")


def load_onnx(path: str | Path, num_threads: int | None = None, *, int8: bool = False) -> OnnxTextClassifier:
    """Load a model directory and run it with ONNX Runtime on CPU.

    The float32 graph is exported from the directory's weights when loading (into a temporary file), so it always
    matches them: there is no second copy of the model in the directory that could go stale. ``int8`` runs the
    directory's int8 graph instead (written by ``textcnn quantize --dtype int8``; see
    :mod:`textcnn.classify.quantize`).

    Args:
        path: A text model directory.
        num_threads: ONNX Runtime intra-op threads (``None``: :func:`textcnn.training.device.auto_num_threads`).
        int8: Run the directory's ``model.int8.onnx``.

    Raises:
        ModuleNotFoundError: If ``onnxruntime`` (or the exporter's ``onnx`` / ``onnxscript``) is not installed.
        FileNotFoundError: If ``int8`` is asked for and the directory has no int8 graph.
    """
    from textcnn.classify.quantize import INT8_GRAPH, has_int8_graph

    ort = _require("onnxruntime")
    source = _as_classifier(path)
    options = _session_options(ort, num_threads)
    if int8:
        if not has_int8_graph(path):
            raise FileNotFoundError(
                f"{path}: no {INT8_GRAPH}; make one with `textcnn quantize {path} --dtype int8 -o OUT`"
            )
        session = ort.InferenceSession(str(Path(path) / INT8_GRAPH), options, providers=["CPUExecutionProvider"])
    else:
        with tempfile.TemporaryDirectory(prefix="textcnn-onnx-") as tmp:
            graph = export_onnx(source, Path(tmp) / "model.onnx")
            session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    return OnnxTextClassifier(
        OnnxRuntimeModel(session, min_len=source.min_len),
        source.tokenizer,
        source.labels,
        model_name=source.model_name,
        model_kwargs=source.model_kwargs,
        max_len=source.max_len,
        config=source.config,
        metrics=source.metrics,
        device="cpu",
        num_threads=num_threads,
        thresholds=source.thresholds,  # a multi-label model's sigmoids and thresholds
        truncate=source.truncate,  # long texts are read as the model was trained to read them
        windows=source.windows,
        window_stride=source.window_stride,
    )


def _session_options(ort, num_threads: int | None):
    from textcnn.training.device import auto_num_threads

    options = ort.SessionOptions()
    options.intra_op_num_threads = auto_num_threads() if num_threads is None else num_threads
    options.inter_op_num_threads = 1
    return options
