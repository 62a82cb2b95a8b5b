"""Train, save, load and test any registered image model on in-memory arrays through the generic trainer.

``train_image_classifier("lenet5", (x_train, y_train), (x_test, y_test), config=TrainConfig(...))`` converts the
images to tensors (scaling, optional standardisation and resizing), holds out a stratified dev split for model
selection, builds the model with :func:`textcnn.models.create_model`, fits it with
:class:`textcnn.training.Trainer`, reports :func:`textcnn.training.evaluate_model` on the test split and, given an
``out_dir``, saves an :class:`ImageClassifier` as a model directory (the same format as text models), which
``textcnn.load`` opens and ``textcnn evaluate`` scores.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from textcnn.classify import model_dir as md
from textcnn.layers import count_parameters
from textcnn.models import create_model, get_model_entry
from textcnn.training import TrainConfig, Trainer, evaluate_model

__all__ = [
    "ImageClassifier",
    "ImageOutcome",
    "Preprocessing",
    "image_loader",
    "images_to_tensor",
    "train_image_classifier",
]

ImageSplit = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Preprocessing:
    """How images become a model's input (saved with the model, applied again at prediction).

    Attributes:
        mean: Subtracted after scaling uint8 pixels to [0, 1] (e.g. MNIST's 0.1307); ``None`` skips it.
        std: Divides after subtracting ``mean``.
        image_size: Resize (bilinear) to this square size; ``None`` keeps the size.
    """

    mean: float | None = None
    std: float | None = None
    image_size: int | None = None


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


class ImageClassifier:
    """A trained image model with its labels and preprocessing; predicts on arrays of images.

    Args:
        model: A registered image model.
        labels: Class names in id order.
        model_name: Registry name (saved so the model can be rebuilt).
        model_kwargs: Keyword arguments that rebuild it.
        preprocessing: Applied to every image before the model.
        config: What trained it (saved as ``config.yaml``).
        metrics: Saved as ``metrics.json``.
    """

    task = "image"

    def __init__(
        self,
        model: nn.Module,
        labels: Sequence,
        *,
        model_name: str,
        model_kwargs: dict,
        preprocessing: Preprocessing = Preprocessing(),
        config: dict | None = None,
        metrics: dict | None = None,
    ) -> None:
        self.model = model.eval()
        self.labels = list(labels)
        self.model_name = model_name
        self.model_kwargs = dict(model_kwargs)
        self.preprocessing = preprocessing
        self.config = dict(config or {})
        self.metrics = dict(metrics or {})

    @classmethod
    def from_pretrained(cls, path: str | Path) -> ImageClassifier:
        """Load an image model directory (runs no pickled code)."""
        files = md.read_model_dir(path)
        if files.task != "image":
            raise ValueError(f"{path} holds a {files.task} model, not an image model")
        try:
            prep = Preprocessing(**files.preprocessing)
        except TypeError as exc:
            raise ValueError(f"{path}: bad preprocessing in {md.META_FILE} ({exc})") from None
        return cls(
            md.build_model(files, path), files.labels, model_name=files.model_name, model_kwargs=files.model_kwargs,
            preprocessing=prep, config=files.config, metrics=files.metrics,
        )  # fmt: skip

    def save_pretrained(self, path: str | Path) -> Path:
        """Write the model directory (see :mod:`textcnn.classify.model_dir`)."""
        return md.save_model_dir(
            path, self.model, model_name=self.model_name, model_kwargs=self.model_kwargs, labels=self.labels,
            config=self.config, metrics=self.metrics, preprocessing=asdict(self.preprocessing),
        )  # fmt: skip

    @torch.inference_mode()
    def predict_proba(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(N, C)`` of ``(N, H, W)`` or ``(N, C, H, W)`` images."""
        x = images_to_tensor(images, **asdict(self.preprocessing))  # (N, C, H, W)
        device = next(self.model.parameters()).device
        self.model.eval()
        out = [
            torch.softmax(self.model(x[i : i + batch_size].to(device)).float(), dim=1)
            for i in range(0, len(x), batch_size)
        ]
        return torch.cat(out).cpu().numpy() if out else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict(self, images: np.ndarray, batch_size: int = 256) -> list:
        """The most probable label of each image."""
        return [self.labels[i] for i in self.predict_proba(images, batch_size).argmax(axis=1)]


@dataclass
class ImageOutcome:
    """What :func:`train_image_classifier` returns: the classifier (holding the best dev epoch) and its metrics."""

    classifier: ImageClassifier
    metrics: dict = field(default_factory=dict)

    @property
    def model(self) -> nn.Module:
        return self.classifier.model


def train_image_classifier(
    model_name: str,
    train: ImageSplit,
    test: ImageSplit | None = None,
    *,
    config: TrainConfig,
    dev_fraction: float = 0.1,
    model_kwargs: dict | None = None,
    out_dir: str | Path | None = None,
    preprocessing: Preprocessing = Preprocessing(),
    label_names: Sequence[str] | None = None,
) -> ImageOutcome:
    """Train a registered image model on arrays, measure it on a test split, and save it to ``out_dir``.

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
        out_dir: The model directory to write (trainer log and checkpoint while training); ``None`` writes nothing.
        preprocessing: Scaling, standardisation and resizing of the images (saved with the model).
        label_names: Class names; default ``"0" .. "C-1"``.

    Returns:
        The classifier and its metrics: ``test_accuracy``, ``test_macro_f1``, ``test`` (full metrics), ``seconds``
        (training wall time), ``epochs`` (run), ``best_epoch``, ``best_dev_<metric>``, sizes, parameters and the
        per-epoch ``history``.

    Raises:
        ValueError: If the arrays are malformed or an option is out of range (the message names it).
    """
    from textcnn.data.splits import check_fraction, holdout_indices

    x_train, y_train = _check_split(train, "train")
    names = _label_names(y_train, label_names)
    train_idx, dev_idx, _ = holdout_indices(y_train, fraction=check_fraction(dev_fraction), seed=config.seed)
    x_all, y_all = images_to_tensor(x_train, **asdict(preprocessing)), torch.from_numpy(y_train)  # (N, C, H, W)
    train_loader = image_loader(x_all[train_idx], y_all[train_idx], batch_size=config.batch_size, shuffle=True,
                                seed=config.seed)  # fmt: skip
    dev_loader = image_loader(x_all[dev_idx], y_all[dev_idx], batch_size=config.batch_size) if dev_idx.size else None
    kwargs = _model_kwargs(model_name, model_kwargs, num_classes=len(names), in_channels=x_all.shape[1])
    torch.manual_seed(config.seed)
    model = create_model(model_name, **kwargs)
    start = time.perf_counter()
    fit = Trainer(model, config, label_names=names, out_dir=out_dir).fit(train_loader, dev_loader)
    sizes = {"n_train": int(train_idx.size), "n_dev": int(dev_idx.size)}
    metrics = _fit_metrics(model_name, kwargs, model, fit, config, sizes, time.perf_counter() - start)
    if test is not None:
        metrics.update(_test_metrics(model, test, names, config, preprocessing))
    saved_config = {"model": {"name": model_name, **kwargs}, "train": asdict(config),
                    "data": {"dev_fraction": dev_fraction, "preprocessing": asdict(preprocessing)}}  # fmt: skip
    classifier = ImageClassifier(model, names, model_name=model_name, model_kwargs=kwargs, preprocessing=preprocessing,
                                 config=saved_config, metrics=metrics)  # fmt: skip
    if out_dir is not None:
        classifier.save_pretrained(out_dir)
        md.remove_checkpoint(out_dir)
    return ImageOutcome(classifier, metrics)


def _fit_metrics(name: str, kwargs: dict, model: nn.Module, fit, config: TrainConfig, sizes: dict, seconds: float):
    return {
        "model": name, "model_kwargs": kwargs, "parameters": count_parameters(model), **sizes,
        "epochs": fit.epochs_run, "best_epoch": fit.best_epoch, f"best_dev_{config.metric}": fit.best_metric,
        "stopped_early": fit.stopped_early, "seconds": seconds, "history": fit.history,
    }  # fmt: skip


def _label_names(labels: np.ndarray, given: Sequence[str] | None) -> list[str]:
    names = [str(i) for i in range(int(labels.max()) + 1)] if given is None else [str(n) for n in given]
    if int(labels.max()) >= len(names):
        raise ValueError(f"train labels go up to {int(labels.max())} but only {len(names)} label_names were given")
    return names


def _test_metrics(model: nn.Module, test: ImageSplit, names: list[str], config: TrainConfig, prep: Preprocessing):
    x_test, y_test = _check_split(test, "test")
    loader = image_loader(
        images_to_tensor(x_test, **asdict(prep)), torch.from_numpy(y_test), batch_size=config.batch_size
    )
    start = time.perf_counter()
    result = evaluate_model(model, loader, names, next(model.parameters()).device, config.amp)
    return {"n_test": result["n"], "test_accuracy": result["accuracy"], "test_macro_f1": result["macro_f1"],
            "test_seconds": time.perf_counter() - start, "test": result}  # fmt: skip


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
    params = entry.arguments()
    for key, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        if key in params and key not in kwargs:
            kwargs[key] = value
    return kwargs
