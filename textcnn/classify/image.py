"""Train and test any registered image model on in-memory arrays through the generic trainer.

``train_image_classifier("lenet5", (x_train, y_train), (x_test, y_test), config=TrainConfig(...))`` converts the
images to tensors (scaling, optional standardisation and resizing), holds out a stratified dev split for model
selection, builds the model with :func:`textcnn.models.create_model`, fits it with
:class:`textcnn.training.Trainer` and reports :func:`textcnn.training.evaluate_model` on the test split.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from textcnn.layers import count_parameters
from textcnn.models import create_model, get_model_entry
from textcnn.training import TrainConfig, Trainer, evaluate_model
from textcnn.utils.io import atomic_write, atomic_write_json

__all__ = [
    "METRICS_NAME",
    "WEIGHTS_NAME",
    "fit_image_classifier",
    "image_loader",
    "images_to_tensor",
    "split_dev",
    "train_image_classifier",
]

METRICS_NAME = "metrics.json"
WEIGHTS_NAME = "model.safetensors"
FORMAT_VERSION = 1

ImageSplit = tuple[np.ndarray, np.ndarray]


def images_to_tensor(
    images: np.ndarray | torch.Tensor,
    *,
    mean: float | None = None,
    std: float | None = None,
    image_size: int | None = None,
) -> torch.Tensor:
    """Turn a stack of images into a float32 ``(N, C, H, W)`` tensor.

    Args:
        images: ``(N, H, W)`` or ``(N, C, H, W)``; uint8 pixels are scaled to [0, 1], other dtypes are kept as given.
        mean: Subtracted after scaling (e.g. MNIST's 0.1307); ``None`` skips standardisation.
        std: Divides after subtracting ``mean`` (e.g. 0.3081); needed when ``mean`` is set.
        image_size: Resize (bilinear) to ``image_size x image_size`` when the images have another size, e.g. 8x8
            digits to LeNet-5's 32x32; ``None`` keeps the size.

    Raises:
        ValueError: If the array is not 3-D or 4-D, ``std`` is missing or not positive, or ``image_size < 1``.
    """
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if x.ndim not in (3, 4):
        raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got {tuple(x.shape)}")
    x = x.float().div(255.0) if x.dtype == torch.uint8 else x.float()
    if x.ndim == 3:
        x = x.unsqueeze(1)  # (N, 1, H, W)
    if mean is not None:
        if std is None or std <= 0:
            raise ValueError(f"std must be > 0 when mean is given, got {std}")
        x = (x - mean) / std
    if image_size is not None:
        if image_size < 1:
            raise ValueError(f"image_size must be >= 1, got {image_size}")
        if tuple(x.shape[-2:]) != (image_size, image_size):
            x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    return x.contiguous()  # (N, C, image_size, image_size)


def image_loader(
    images: torch.Tensor, labels: torch.Tensor, *, batch_size: int, shuffle: bool = False, seed: int = 0
) -> DataLoader:
    """A ``DataLoader`` over image and label tensors yielding ``(images (B, C, H, W), labels (B,))``."""
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=shuffle, generator=generator)


def split_dev(labels: np.ndarray, dev_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded, stratified ``(train, dev)`` split (each class keeps its share in both parts).

    Args:
        labels: ``(N,)`` label ids.
        dev_fraction: Share of each class held out, in ``[0, 1)``; 0 gives an empty dev split.
        seed: Seed of the split.

    Raises:
        ValueError: If ``dev_fraction`` is outside ``[0, 1)``.
    """
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    rng = np.random.default_rng(seed)
    dev: list[np.ndarray] = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        dev.append(members[: int(round(dev_fraction * members.size))])
    dev_idx = np.sort(np.concatenate(dev)) if dev else np.empty(0, dtype=np.int64)
    train_idx = np.setdiff1d(np.arange(labels.shape[0]), dev_idx)
    return train_idx, dev_idx


def fit_image_classifier(
    model_name: str,
    train: ImageSplit,
    test: ImageSplit | None = None,
    *,
    config: TrainConfig,
    dev_fraction: float = 0.1,
    model_kwargs: dict | None = None,
    out_dir: str | Path | None = None,
    image_size: int | None = None,
    mean: float | None = None,
    std: float | None = None,
    label_names: Sequence[str] | None = None,
) -> tuple[nn.Module, dict]:
    """Like :func:`train_image_classifier`, but also return the trained model (holding the best dev epoch)."""
    x_train, y_train = _check_split(train, "train")
    num_classes = int(y_train.max()) + 1 if label_names is None else len(label_names)
    names = [str(i) for i in range(num_classes)] if label_names is None else [str(n) for n in label_names]
    if int(y_train.max()) >= len(names):
        raise ValueError(f"train labels go up to {int(y_train.max())} but only {len(names)} label_names were given")

    train_idx, dev_idx = split_dev(y_train, dev_fraction, config.seed)
    prep = {"mean": mean, "std": std, "image_size": image_size}
    x_all = images_to_tensor(x_train, **prep)  # (N, C, H, W)
    y_all = torch.from_numpy(y_train)
    loader_kw = {"batch_size": config.batch_size}
    train_loader = image_loader(x_all[train_idx], y_all[train_idx], shuffle=True, seed=config.seed, **loader_kw)
    dev_loader = image_loader(x_all[dev_idx], y_all[dev_idx], **loader_kw) if dev_idx.size else None

    kwargs = _model_kwargs(model_name, model_kwargs, num_classes=len(names), in_channels=x_all.shape[1])
    torch.manual_seed(config.seed)
    model = create_model(model_name, **kwargs)
    start = time.perf_counter()
    fit = Trainer(model, config, label_names=names, out_dir=out_dir).fit(train_loader, dev_loader)
    seconds = time.perf_counter() - start

    metrics: dict = {
        "model": model_name,
        "model_kwargs": kwargs,
        "parameters": count_parameters(model),
        "n_train": int(train_idx.size),
        "n_dev": int(dev_idx.size),
        "epochs": fit.epochs_run,
        "best_epoch": fit.best_epoch,
        f"best_dev_{config.metric}": fit.best_metric,
        "stopped_early": fit.stopped_early,
        "seconds": seconds,
        "history": fit.history,
    }
    if test is not None:
        x_test, y_test = _check_split(test, "test")
        test_loader = image_loader(images_to_tensor(x_test, **prep), torch.from_numpy(y_test), **loader_kw)
        start = time.perf_counter()
        result = evaluate_model(model, test_loader, names, next(model.parameters()).device, config.amp)
        metrics.update(
            n_test=result["n"],
            test_accuracy=result["accuracy"],
            test_macro_f1=result["macro_f1"],
            test_seconds=time.perf_counter() - start,
            test=result,
        )
    if out_dir is not None:
        _save(Path(out_dir), model, metrics, names, prep)
    return model, metrics


def train_image_classifier(
    model_name: str,
    train: ImageSplit,
    test: ImageSplit | None = None,
    *,
    config: TrainConfig,
    dev_fraction: float = 0.1,
    model_kwargs: dict | None = None,
    out_dir: str | Path | None = None,
    image_size: int | None = None,
    mean: float | None = None,
    std: float | None = None,
    label_names: Sequence[str] | None = None,
) -> dict:
    """Train a registered image model on arrays and measure it on a test split.

    Args:
        model_name: A registered image model (``textcnn.models.list_models("image")``), e.g. ``"lenet5"``.
        train: ``(images, labels)``: images ``(N, H, W)`` or ``(N, C, H, W)`` (uint8 is scaled to [0, 1]) and int
            labels ``0 .. C-1``.
        test: The held-out split, same form, or ``None`` to skip testing.
        config: How to train (optimiser, epochs, batch size, seed, device ...).
        dev_fraction: Share of each training class held out as the dev split that selects the best epoch and drives
            early stopping; 0 trains on everything and keeps the last epoch.
        model_kwargs: Keyword arguments of the model builder; ``num_classes`` and ``in_channels`` are filled in
            from the data when the builder takes them and they are not given.
        out_dir: Where the trainer's log and checkpoint, ``metrics.json`` and ``model.safetensors`` (with the
            model name, kwargs, label names and preprocessing in its metadata) go; ``None`` writes nothing.
        image_size: Resize images to this square size (e.g. 32 for LeNet-5 on 8x8 digits); ``None`` keeps them.
        mean: Pixel mean subtracted after scaling; ``None`` skips standardisation.
        std: Pixel standard deviation divided by after subtracting ``mean``.
        label_names: Class names; default ``"0" .. "C-1"``.

    Returns:
        Metrics: ``test_accuracy``, ``test_macro_f1``, ``test`` (full metrics), ``seconds`` (training wall time),
        ``epochs`` (run), ``best_epoch``, ``best_dev_<metric>``, sizes, parameters and the per-epoch ``history``.

    Raises:
        ValueError: If the arrays are malformed or an option is out of range (the message names it).
    """
    _, metrics = fit_image_classifier(
        model_name,
        train,
        test,
        config=config,
        dev_fraction=dev_fraction,
        model_kwargs=model_kwargs,
        out_dir=out_dir,
        image_size=image_size,
        mean=mean,
        std=std,
        label_names=label_names,
    )
    return metrics


def _check_split(split: ImageSplit, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate one ``(images, labels)`` pair; labels come back as int64."""
    if not isinstance(split, tuple | list) or len(split) != 2:
        raise ValueError(f"{name} must be an (images, labels) pair")
    images, labels = np.asarray(split[0]), np.asarray(split[1])
    if images.ndim not in (3, 4):
        raise ValueError(f"{name} images must have shape (N, H, W) or (N, C, H, W), got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{name} has {images.shape[0]} images but labels of shape {labels.shape}")
    if labels.size == 0:
        raise ValueError(f"{name} split is empty")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"{name} labels must be integers >= 0, got dtype {labels.dtype}, min {labels.min()}")
    return images, labels.astype(np.int64)


def _model_kwargs(model_name: str, given: dict | None, *, num_classes: int, in_channels: int) -> dict:
    """The builder's kwargs: the caller's, plus ``num_classes``/``in_channels`` from the data where accepted."""
    entry = get_model_entry(model_name)
    if entry.task != "image":
        raise ValueError(f"model {model_name!r} is a {entry.task} model; choose an image model")
    kwargs = dict(given or {})
    params = inspect.signature(entry.builder).parameters
    for key, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        if key in params and kwargs.get(key) is None:
            kwargs[key] = value
    return kwargs


def _save(out_dir: Path, model: nn.Module, metrics: dict, names: list[str], prep: dict) -> None:
    """Write ``metrics.json`` and a self-describing ``model.safetensors``."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {
        "format_version": str(FORMAT_VERSION),
        "model": metrics["model"],
        "model_kwargs": json.dumps(metrics["model_kwargs"]),
        "label_names": json.dumps(names),
        "preprocessing": json.dumps(prep),
    }
    atomic_write(out_dir / WEIGHTS_NAME, lambda p: save_file(state, str(p), metadata=meta))
    atomic_write_json(out_dir / METRICS_NAME, metrics)
