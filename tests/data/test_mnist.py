"""MNIST IDX reading: the staged files match their PROVENANCE counts; malformed files fail with clear errors."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from textcnn.data.mnist import (
    MNIST_FILES,
    MNIST_MEAN,
    MNIST_STD,
    load_mnist,
    mnist_dataset,
    mnist_loader,
    read_idx_images,
    read_idx_labels,
)

# From data/mnist/PROVENANCE.md ("Counts").
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_test(data_dir):
    return load_mnist(data_dir, "test")


def _write_idx(path, magic: int, dims: tuple[int, ...], payload: bytes, compress: bool = True) -> None:
    raw = struct.pack(f">I{len(dims)}I", magic, *dims) + payload
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_train_split_matches_provenance(data_dir):
    images, labels = load_mnist(data_dir, "train")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS
    # The well-known pixel statistics the normalisation constants come from.
    assert images.mean() / 255 == pytest.approx(MNIST_MEAN, abs=1e-4)
    assert (images / 255.0).std() == pytest.approx(MNIST_STD, abs=1e-4)


def test_test_split_matches_provenance(mnist_test):
    images, labels = mnist_test
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the famous first test digits
    assert images.max() == 255 and images.min() == 0


def test_data_dir_from_environment_and_mnist_folder(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("TEXTCNN_DATA", str(data_dir))
    _, labels = load_mnist(None, "test")
    assert labels.shape == (10000,)
    # The folder holding the four files works as well as the data root.
    _, labels = load_mnist(data_dir / "mnist", "test")
    assert labels.shape == (10000,)
    with pytest.raises(ValueError, match="split"):
        load_mnist(data_dir, "dev")
    with pytest.raises(FileNotFoundError, match="t10k-images"):
        load_mnist(tmp_path, "test")


def test_dataset_normalises_and_loader_batches(mnist_test, data_dir):
    images, labels = mnist_test
    ds = mnist_dataset(images[:100], labels[:100])
    x, y = ds.tensors
    assert x.shape == (100, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min().item() == pytest.approx(-MNIST_MEAN / MNIST_STD)
    assert x.max().item() == pytest.approx((1 - MNIST_MEAN) / MNIST_STD)
    with pytest.raises(ValueError, match="std"):
        mnist_dataset(images[:2], labels[:2], std=0.0)
    loader = mnist_loader(data_dir, "test", batch_size=256)
    xb, yb = next(iter(loader))
    assert xb.shape == (256, 1, 28, 28) and yb.tolist() == labels[:256].tolist()  # the test split is not shuffled


def test_round_trip_of_a_small_written_file(tmp_path):
    pixels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "img.gz", 2051, (2, 3, 4), pixels.tobytes())
    _write_idx(tmp_path / "lab", 2049, (2,), bytes([3, 9]), compress=False)  # raw (not gzip'd) works too
    np.testing.assert_array_equal(read_idx_images(tmp_path / "img.gz"), pixels)
    assert read_idx_labels(tmp_path / "lab").tolist() == [3, 9]


def test_corrupted_files_give_clear_errors(tmp_path):
    bad_magic = tmp_path / "bad-magic.gz"
    _write_idx(bad_magic, 2049, (2, 3, 4), bytes(24))  # a label magic on an image file
    with pytest.raises(ValueError, match=r"bad-magic\.gz has magic number 2049, expected 2051"):
        read_idx_images(bad_magic)

    short = tmp_path / "short-images.gz"
    _write_idx(short, 2051, (10, 28, 28), bytes(5 * 28 * 28))  # header says 10 images, data holds 5
    with pytest.raises(ValueError, match=r"short-images\.gz is truncated.*7840 data bytes, found 3920"):
        read_idx_images(short)

    long = tmp_path / "long-labels.gz"
    _write_idx(long, 2049, (2,), bytes(3))
    with pytest.raises(ValueError, match=r"long-labels\.gz has trailing bytes"):
        read_idx_labels(long)

    header = tmp_path / "header.gz"
    header.write_bytes(gzip.compress(struct.pack(">II", 2051, 1)))
    with pytest.raises(ValueError, match=r"header\.gz is too short for an IDX header"):
        read_idx_images(header)

    cut = tmp_path / "cut.gz"  # a gzip stream cut in the middle (an interrupted download)
    full = gzip.compress(struct.pack(">IIII", 2051, 4, 28, 28) + np.random.default_rng(0).bytes(4 * 784))
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz is not a readable gzip file"):
        read_idx_images(cut)

    with pytest.raises(FileNotFoundError, match="missing"):
        read_idx_images(tmp_path / "missing.gz")


def test_mismatched_counts_and_bad_labels(tmp_path):
    images_name, labels_name = MNIST_FILES["test"]
    _write_idx(tmp_path / images_name, 2051, (3, 2, 2), bytes(12))
    _write_idx(tmp_path / labels_name, 2049, (2,), bytes([1, 2]))
    with pytest.raises(ValueError, match="3 images but .*2 labels"):
        load_mnist(tmp_path, "test")
    _write_idx(tmp_path / labels_name, 2049, (3,), bytes([1, 2, 12]))
    with pytest.raises(ValueError, match="outside 0-9"):
        load_mnist(tmp_path, "test")
