"""The model directory: the self-describing unit users share.

Layout (fixed file names; nothing in the metadata can point outside the folder)::

    textcnn.json       format version, task (text or image), model name + keyword arguments, labels, lengths or
                       image preprocessing, library versions; multi-label models: "multi_label": true and
                       "thresholds" {label: threshold}
    model.safetensors  weights (no pickle)
    tokenizer.json     tokenizer and vocabulary (Hugging Face ``tokenizers`` JSON; text models only)
    config.yaml        the full experiment config
    metrics.json       metrics, coverage and data reports
    README.md          the model card (Hugging Face format): labels, data, scores, arguments, how to load it
    linear.json        a CNN + linear hybrid only (``"hybrid"`` in ``textcnn.json``): the linear model's settings and
    linear.safetensors n-gram vocabulary, and its arrays (see :mod:`textcnn.classify.hybrid`)

A text training run also leaves, beside them (for people; loading never reads them)::

    train_log.jsonl        one JSON record per epoch (train loss and accuracy, dev metrics)
    training_curves.png    train loss and the dev metric per epoch, the kept epoch marked
    confusion_matrix.png   row-normalised confusion matrix of the test split (else dev), counts and shares per cell
    label_f1.png           multi-label runs, instead: each label's F1 at its threshold on the test split (else dev)

The plot names are defined in :mod:`textcnn.classify.plots`.

``textcnn.json`` is written last and removed first, so a folder holding it is always complete.

Loading an untrusted folder is safe in these ways: only the fixed file names above are read (keys in
``textcnn.json`` never name files, so ``../`` paths in it are inert), nothing is unpickled (safetensors, JSON and
``yaml.safe_load`` only), and the shapes the metadata describes are checked against the weights file on PyTorch's
``meta`` device before any memory is allocated, so a forged ``vocab_size`` cannot make loading allocate more than the
weights file holds. Symbolic links named like the fixed files are followed, as the operating system does (the
Hugging Face cache stores files that way).
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch
import yaml
from torch import nn

from textcnn.classify.card import model_card
from textcnn.training.callbacks import CHECKPOINT_NAME
from textcnn.utils.io import atomic_write, atomic_write_json, atomic_write_text

FORMAT_NAME = "textcnn-model"
FORMAT_VERSION = 1
META_FILE = "textcnn.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
#: The int8 ONNX graph of a directory written by ``textcnn quantize --dtype int8`` (optional).
INT8_GRAPH_FILE = "model.int8.onnx"
#: The linear part of a CNN + linear hybrid (see :mod:`textcnn.classify.hybrid`): settings and vocabulary, arrays.
LINEAR_FILE = "linear.json"
LINEAR_WEIGHTS_FILE = "linear.safetensors"
#: What a shared model directory holds (uploaded to and fetched from the Hub; plots and logs stay local).
SHARED_FILES = [META_FILE, WEIGHTS_FILE, TOKENIZER_FILE, CONFIG_FILE, METRICS_FILE, CARD_FILE, INT8_GRAPH_FILE,
                LINEAR_FILE, LINEAR_WEIGHTS_FILE]  # fmt: skip
_REQUIRED_META = ("format", "format_version", "model_name", "model_kwargs", "labels")


def is_complete(path: str | Path) -> bool:
    """Whether ``path`` holds a complete model directory (``textcnn.json`` is written last, so its presence says so)."""
    return (Path(path) / META_FILE).is_file()


def has_checkpoint(path: str | Path) -> bool:
    """Whether ``path`` holds an unfinished run's resumable checkpoint."""
    return (Path(path) / CHECKPOINT_NAME).exists()


def remove_checkpoint(path: str | Path) -> None:
    """Delete a finished run's checkpoint (the model files replace it)."""
    (Path(path) / CHECKPOINT_NAME).unlink(missing_ok=True)


def read_metrics(path: str | Path) -> dict:
    """The ``metrics.json`` of a model directory (``{}`` when there is none)."""
    file = Path(path) / METRICS_FILE
    return json.loads(_read_text(file)) if file.is_file() else {}


def read_task(path: str | Path) -> str:
    """``"text"`` or ``"image"``: what kind of model a complete model directory holds (checked fully on loading)."""
    meta_path = Path(path) / META_FILE
    try:
        meta = json.loads(_read_text(meta_path)) if meta_path.is_file() else {}
    except json.JSONDecodeError:
        meta = {}
    return meta.get("task", "text") if isinstance(meta, dict) else "text"


def check_free(path: str | Path) -> None:
    """Refuse to train into a folder that already holds a model or an unfinished run.

    Raises:
        ValueError: Naming what is there (with the model's test accuracy when it has one) and the options that
            replace or continue it.
    """
    path = Path(path)
    if is_complete(path):
        test = read_metrics(path).get("test") or {}
        score = f" (test accuracy {test['accuracy']:.4f})" if isinstance(test.get("accuracy"), float) else ""
        raise ValueError(f"{path} already holds a trained model{score}; pass --overwrite to replace it")
    if has_checkpoint(path):
        raise ValueError(
            f"{path} holds an unfinished run ({CHECKPOINT_NAME}); pass --resume to continue it or --overwrite to "
            f"start over"
        )


def check_writable(path: str | Path, min_free_mb: int = 50) -> None:
    """Create ``path`` and check a file can be written in it and that it has ``min_free_mb`` free, before any work.

    Raises:
        ValueError: Naming the folder and the reason.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to output folder {path}: {exc.strerror or exc}") from None
    if hasattr(os, "statvfs"):
        st = os.statvfs(path)
        if st.f_bavail * st.f_frsize < min_free_mb * 1024 * 1024:
            raise ValueError(f"output folder {path} has less than {min_free_mb} MB free; free some space first")


@dataclass
class ModelFiles:
    """What a model directory holds, read back without running any pickled code."""

    model_name: str
    model_kwargs: dict
    labels: list[str] | list[int]
    state_dict: dict[str, torch.Tensor]
    tokenizer_json: str | None
    max_len: int | None = None
    long_documents: dict = field(default_factory=dict)
    thresholds: list[float] | None = None
    task: str = "text"
    preprocessing: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model was made with (recorded in ``textcnn.json``)."""
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for name in ("textcnn", "torch", "tokenizers", "safetensors", "numpy", "scikit-learn"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def save_model_dir(
    path: str | Path,
    model: nn.Module,
    *,
    model_name: str,
    model_kwargs: dict,
    labels: list[str] | list[int],
    tokenizer_json: str | None = None,
    max_len: int | None = None,
    config: dict | None = None,
    metrics: dict | None = None,
    preprocessing: dict | None = None,
    long_documents: dict | None = None,
    thresholds: list[float] | None = None,
    hybrid: dict | None = None,
) -> Path:
    """Write a model directory (each file atomically, ``textcnn.json`` last).

    Args:
        path: The folder (created if needed).
        model: The trained model; its unwrapped ``state_dict`` is saved as safetensors.
        model_name: Registered model name, so :func:`load_model_dir` can rebuild it.
        model_kwargs: Keyword arguments that rebuild the model with ``create_model(model_name, **model_kwargs)``.
        labels: Class names in id order: all ``str`` or all ``int`` (read back with the same type).
        tokenizer_json: Serialised tokenizer (``TextTokenizer.to_str()``); ``None`` for an image model.
        max_len: Truncation length used in training (applied again at prediction).
        config: The experiment config as a dict.
        metrics: Metrics and reports as a JSON-serialisable dict.
        preprocessing: Image models: how images become the model's input (``mean``, ``std``, ``image_size``).
        long_documents: Text models: how a text longer than ``max_len`` is read at prediction, ``{"truncate",
            "windows", "window_stride"}`` (see :func:`long_document_settings`).
        thresholds: Multi-label models: the decision threshold of each label, in label order (saved as
            ``"multi_label": true`` and ``"thresholds": {label: threshold}``); ``None`` for a single-label model.
        hybrid: ``{"linear": KIND, "weight": W}`` of a CNN + linear hybrid, whose linear files the caller has written
            (:meth:`textcnn.classify.hybrid.HybridClassifier.save_pretrained`).
    """
    from safetensors.torch import save_file

    path = Path(path)
    labels = _check_labels(list(labels), path / META_FILE)  # what is saved must load: refuse others before writing
    multi_label = _multi_label_meta(labels, thresholds)
    path.mkdir(parents=True, exist_ok=True)
    (path / META_FILE).unlink(missing_ok=True)
    model = getattr(model, "_orig_mod", model)  # unwrap torch.compile
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(path / WEIGHTS_FILE, lambda p: save_file(state, str(p), metadata={"format": FORMAT_NAME}))
    if tokenizer_json is not None:
        atomic_write_text(path / TOKENIZER_FILE, tokenizer_json)
    atomic_write_text(path / CONFIG_FILE, yaml.safe_dump(config or {}, sort_keys=False))
    atomic_write_json(path / METRICS_FILE, metrics or {})
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "task": "text" if tokenizer_json is not None else "image",
        "model_name": model_name,
        "model_kwargs": model_kwargs,
        "labels": list(labels),
        "max_len": max_len,
        "long_documents": long_documents or {},
        "preprocessing": preprocessing or {},
        **multi_label,
        **({"hybrid": hybrid} if hybrid is not None else {}),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }
    card = model_card(model_name=model_name, model_kwargs=model_kwargs, labels=list(labels), task=meta["task"],
                      config=config or {}, metrics=metrics or {}, versions=meta["versions"])  # fmt: skip
    atomic_write_text(path / CARD_FILE, card)
    atomic_write_json(path / META_FILE, meta)
    return path


def _read_meta(path: Path) -> tuple[dict, list]:
    """``textcnn.json`` of a model directory, checked (format, version, kwargs, labels, lengths, task), and its
    labels."""
    if not path.is_dir():
        raise FileNotFoundError(f"model directory not found: {path}")
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"{path} is not a complete textcnn model directory: {META_FILE} is missing (an unfinished or "
            f"interrupted save, or not a model folder)"
        )
    try:
        meta = json.loads(_read_text(meta_path))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_path}: expected a JSON object")
    missing = [k for k in _REQUIRED_META if k not in meta]
    if missing:
        raise ValueError(f"{meta_path}: missing keys {', '.join(missing)}")
    if meta["format"] != FORMAT_NAME:
        raise ValueError(f"{meta_path}: format is {meta['format']!r}, expected {FORMAT_NAME!r}")
    if meta["format_version"] != FORMAT_VERSION:
        raise ValueError(
            f"{meta_path}: format version {meta['format_version']!r} is not supported by this textcnn "
            f"(which reads version {FORMAT_VERSION}); use the textcnn release that wrote it"
        )
    if not isinstance(meta["model_kwargs"], dict) or not isinstance(meta["labels"], list) or not meta["labels"]:
        raise ValueError(f"{meta_path}: model_kwargs must be an object and labels a non-empty list")
    labels = _check_labels(meta["labels"], meta_path)
    if len(set(labels)) != len(labels):
        duplicated = sorted({x for x in labels if labels.count(x) > 1})
        raise ValueError(f"{meta_path}: labels must be distinct, but {', '.join(map(repr, duplicated))} repeats")
    max_len = meta.get("max_len")
    if max_len is not None and (isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1):
        raise ValueError(f"{meta_path}: max_len must be a positive integer or null, got {max_len!r}")
    if meta.get("task", "text") not in ("text", "image"):
        raise ValueError(f"{meta_path}: task must be 'text' or 'image', got {meta['task']!r}")
    long_document_settings(meta.get("long_documents"), meta_path)
    if not isinstance(meta.get("preprocessing") or {}, dict):
        raise ValueError(f"{meta_path}: preprocessing must be an object")
    return meta, labels


def read_model_dir(path: str | Path) -> ModelFiles:
    """Read and check a model directory without building the model.

    Raises:
        FileNotFoundError: If the folder or one of its files is missing.
        ValueError: If a file is corrupt, of another format version, or inconsistent.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    meta, labels = _read_meta(path)
    task = meta.get("task", "text")  # directories written before image models were saved have no task
    for name in (WEIGHTS_FILE, TOKENIZER_FILE) if task == "text" else (WEIGHTS_FILE,):
        if not (path / name).is_file():
            raise FileNotFoundError(f"{path}: {name} is missing")
    try:
        state = load_file(str(path / WEIGHTS_FILE))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"{path / WEIGHTS_FILE}: corrupted or not a safetensors file ({exc})") from None
    config, metrics = {}, {}
    if (path / CONFIG_FILE).is_file():
        try:
            config = yaml.safe_load(_read_text(path / CONFIG_FILE)) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path / CONFIG_FILE}: not valid YAML ({_one_line(exc)})") from None
    if (path / METRICS_FILE).is_file():
        try:
            metrics = json.loads(_read_text(path / METRICS_FILE))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path / METRICS_FILE}: not valid JSON ({exc})") from None
    max_len, preprocessing = meta.get("max_len"), meta.get("preprocessing") or {}
    return ModelFiles(
        model_name=str(meta["model_name"]),
        model_kwargs=meta["model_kwargs"],
        labels=labels,
        state_dict=state,
        tokenizer_json=_read_text(path / TOKENIZER_FILE) if task == "text" else None,
        max_len=max_len,
        long_documents=long_document_settings(meta.get("long_documents"), path / META_FILE),
        thresholds=_read_thresholds(meta, labels, path / META_FILE),
        task=task,
        preprocessing=preprocessing,
        config=config if isinstance(config, dict) else {},
        metrics=metrics if isinstance(metrics, dict) else {},
        meta=meta,
    )


def _multi_label_meta(labels: list, thresholds: list[float] | None) -> dict:
    """The ``textcnn.json`` entries of a multi-label model (``{}`` for a single-label one)."""
    if thresholds is None:
        return {}
    from textcnn.classify.multilabel import thresholds_by_label

    if len(thresholds) != len(labels):
        raise ValueError(f"{len(thresholds)} thresholds for {len(labels)} labels; give one threshold per label")
    return {"multi_label": True, "thresholds": thresholds_by_label(labels, thresholds)}


def _read_thresholds(meta: dict, labels: list, meta_path: Path) -> list[float] | None:
    """The thresholds of a multi-label model in label order (``None`` for a single-label model), checked."""
    multi_label = meta.get("multi_label", False)
    if not isinstance(multi_label, bool):
        raise ValueError(f"{meta_path}: multi_label must be true or false, got {multi_label!r}")
    if not multi_label:
        return None
    from textcnn.classify.multilabel import thresholds_in_order

    return thresholds_in_order(meta.get("thresholds"), labels, meta_path)


def long_document_settings(value, meta_path: Path) -> dict:
    """The ``long_documents`` entry of ``textcnn.json``, checked and completed: ``{"truncate", "windows",
    "window_stride"}`` (a folder written before these settings existed reads as ``head`` truncation, no windows).

    Raises:
        ValueError: Naming the file and the bad entry.
    """
    from textcnn.classify.windows import WINDOW_POOLING
    from textcnn.data.batching import TRUNCATE_MODES

    value = {} if value is None else value
    if not isinstance(value, dict):
        raise ValueError(f"{meta_path}: long_documents must be an object, got {value!r}")
    settings = {"truncate": TRUNCATE_MODES[0], "windows": WINDOW_POOLING[0], "window_stride": None} | value
    unknown = sorted(set(settings) - {"truncate", "windows", "window_stride"})
    stride = settings["window_stride"]
    if unknown:
        raise ValueError(f"{meta_path}: long_documents has unknown keys {', '.join(unknown)}")
    if settings["truncate"] not in TRUNCATE_MODES or settings["windows"] not in WINDOW_POOLING:
        raise ValueError(
            f"{meta_path}: long_documents.truncate must be one of {', '.join(TRUNCATE_MODES)} and "
            f"long_documents.windows one of {', '.join(WINDOW_POOLING)}, got {value!r}"
        )
    if stride is not None and (isinstance(stride, bool) or not isinstance(stride, int) or stride < 1):
        raise ValueError(
            f"{meta_path}: long_documents.window_stride must be a positive integer or null, got {stride!r}"
        )
    return settings


def _check_labels(labels: list, meta_path: Path) -> list[str] | list[int]:
    """The labels of ``textcnn.json`` as they were saved: all strings or all integers (``bool`` is not an integer).

    Raises:
        ValueError: Naming the file and the first label of another type.
    """
    kind = type(labels[0]) if labels else str
    odd = [x for x in labels if type(x) is not kind or kind not in (str, int)]  # type(True) is bool, not int
    if odd:
        raise ValueError(
            f"{meta_path}: labels must be all strings or all integers, got {odd[0]!r} ({type(odd[0]).__name__}) "
            f"in {labels[:5]!r}{' ...' if len(labels) > 5 else ''}"
        )
    return list(labels)


def _read_text(path: Path) -> str:
    """A UTF-8 file's text; a file that is not UTF-8 is a ``ValueError`` naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def build_model(files: ModelFiles, source: str | Path = "") -> nn.Module:
    """Rebuild the registered model from its name and kwargs and load the weights (strictly).

    The model is first built on PyTorch's ``meta`` device (no memory) and its parameter names and shapes compared
    with the weights file, so metadata that does not match the weights fails before anything is allocated.

    Raises:
        ValueError: If the name is unknown or the weights do not match the model the kwargs describe.
    """
    from textcnn.models import create_model

    try:
        with torch.device("meta"):
            skeleton = create_model(files.model_name, **files.model_kwargs)
    except (TypeError, ValueError, RuntimeError, OverflowError, NotImplementedError) as exc:
        raise ValueError(f"{source}: cannot rebuild model {files.model_name!r} from its kwargs: {exc}") from None
    problems = _shape_problems({k: tuple(v.shape) for k, v in skeleton.state_dict().items()}, files.state_dict)
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise ValueError(
            f"{source}: the weights in {WEIGHTS_FILE} do not match the model described by {META_FILE}: {shown}"
        )
    model = create_model(files.model_name, **files.model_kwargs)
    try:
        model.load_state_dict(files.state_dict, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = "; ".join(line.strip() for line in first[1:4]) or first[0]
        raise ValueError(f"{source}: the weights do not match the model described by {META_FILE}: {detail}") from None
    return model.eval()


def _shape_problems(expected: dict[str, tuple], state: dict[str, torch.Tensor]) -> list[str]:
    """Differences between the parameter shapes a model expects and those of a weights file, one line each."""
    problems = [f"{k} is missing" for k in expected if k not in state]
    problems += [f"{k} is not a parameter of the model" for k in state if k not in expected]
    problems += [
        f"{k} has shape {list(state[k].shape)} but the model_kwargs give {list(shape)}"
        for k, shape in expected.items()
        if k in state and tuple(state[k].shape) != shape
    ]
    return problems
