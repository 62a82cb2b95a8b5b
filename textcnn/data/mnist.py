"""MNIST (LeCun et al. 1998) from its four IDX files, gzip'd or not, into numpy arrays and torch datasets.

The IDX format: a big-endian header -- a 4-byte magic number (two zero bytes, a type code, the number of
dimensions: 2051 = ``0x00000803`` for images, 2049 = ``0x00000801`` for labels), then one 4-byte size per
dimension -- followed by the unsigned bytes in row-major order. Every header field and the payload length are
checked, and a bad file raises ``ValueError`` naming it.

Reference: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11), 1998; the file format is described on http://yann.lecun.com/exdb/mnist/.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from textcnn.data.paths import require_file, resolve_data_dir

__all__ = [
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "MNIST_FILES",
    "MNIST_MEAN",
    "MNIST_STD",
    "load_mnist",
    "mnist_dataset",
    "mnist_loader",
    "read_idx_images",
    "read_idx_labels",
]

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
MNIST_MEAN = 0.1307
"""Mean pixel value of the training images scaled to [0, 1]."""
MNIST_STD = 0.3081
"""Standard deviation of the training pixels scaled to [0, 1]."""

MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx_images(path: str | Path) -> np.ndarray:
    """Read an IDX image file (magic 2051).

    Args:
        path: The ``...-images-idx3-ubyte`` file, gzip'd (``.gz``) or raw.

    Returns:
        uint8 array ``(N, rows, columns)``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not a complete IDX image file (bad gzip stream, magic, header or length).
    """
    return _read_idx(Path(path), IMAGES_MAGIC)


def read_idx_labels(path: str | Path) -> np.ndarray:
    """Read an IDX label file (magic 2049) into an int64 array ``(N,)``; raises like :func:`read_idx_images`."""
    return _read_idx(Path(path), LABELS_MAGIC).astype(np.int64)


def load_mnist(data_dir: str | Path | None = None, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load one MNIST split.

    Args:
        data_dir: The benchmark data root (holding ``mnist/``) or the folder with the four files themselves;
            ``None`` uses the ``TEXTCNN_DATA`` environment variable.
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000).

    Returns:
        ``(images, labels)``: uint8 ``(N, 28, 28)`` and int64 ``(N,)`` with digits 0-9.

    Raises:
        ValueError: If ``split`` is unknown, a file is malformed, the two files disagree on the count, or a label is
            not a digit.
        FileNotFoundError: If the folder or a file is missing.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"MNIST split must be one of {', '.join(MNIST_FILES)}, got {split!r}")
    root = resolve_data_dir(data_dir)
    folder = root / "mnist" if (root / "mnist").is_dir() else root
    image_file, label_file = (folder / name for name in MNIST_FILES[split])
    images = read_idx_images(require_file(image_file, what=f"MNIST {split} images"))
    labels = read_idx_labels(require_file(label_file, what=f"MNIST {split} labels"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{image_file} holds {images.shape[0]} images but {label_file} holds {labels.shape[0]} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{label_file} holds labels outside 0-9 (min {labels.min()}, max {labels.max()})")
    return images, labels


def mnist_dataset(images: np.ndarray, labels: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD):
    """A ``TensorDataset`` of normalised images ``(N, 1, H, W)`` float32 and labels ``(N,)`` int64.

    Pixels are scaled to [0, 1], then standardised: ``(x / 255 - mean) / std``.

    Raises:
        ValueError: If the shapes do not match or ``std`` is not positive.
    """
    import torch
    from torch.utils.data import TensorDataset

    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"need images (N, H, W) and labels (N,), got {images.shape} and {labels.shape}")
    if std <= 0:
        raise ValueError(f"std must be > 0, got {std}")
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).sub_(mean).div_(std).unsqueeze(1)
    return TensorDataset(x, torch.from_numpy(labels.astype(np.int64)))


def mnist_loader(
    data_dir: str | Path | None = None,
    split: str = "train",
    *,
    batch_size: int = 64,
    shuffle: bool | None = None,
    seed: int = 0,
):
    """A ``DataLoader`` over a normalised MNIST split yielding ``(images (B, 1, 28, 28), labels (B,))``.

    Args:
        data_dir: See :func:`load_mnist`.
        split: ``"train"`` or ``"test"``.
        batch_size: Examples per batch.
        shuffle: Reshuffle every epoch; ``None`` shuffles the training split only.
        seed: Seed of the shuffling.
    """
    import torch
    from torch.utils.data import DataLoader

    images, labels = load_mnist(data_dir, split)
    generator = torch.Generator().manual_seed(seed)
    shuffle = split == "train" if shuffle is None else shuffle
    return DataLoader(mnist_dataset(images, labels), batch_size=batch_size, shuffle=shuffle, generator=generator)


def _read_idx(path: Path, magic: int) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {str(path)!r}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path} is not a readable gzip file ({exc.__class__.__name__}: {exc})") from exc
    ndim = 3 if magic == IMAGES_MAGIC else 1
    header = 4 * (1 + ndim)
    if len(data) < header:
        raise ValueError(f"{path} is too short for an IDX header ({len(data)} bytes, need {header})")
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        kind = "image" if magic == IMAGES_MAGIC else "label"
        raise ValueError(f"{path} has magic number {found}, expected {magic} for an IDX {kind} file")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    got = len(data) - header
    if got != expected:
        problem = "is truncated" if got < expected else "has trailing bytes"
        raise ValueError(f"{path} {problem}: header sizes {dims} need {expected} data bytes, found {got}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()
