"""Image training through the generic trainer: LeNet-5 on scikit-learn's bundled 8x8 digits, preprocessing, splits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from textcnn.classify.image import ImageClassifier, Preprocessing, images_to_tensor, train_image_classifier
from textcnn.training import TrainConfig


@pytest.fixture(autouse=True)
def _restore_threads():
    """The configs below train on one thread (far faster than two on a busy 2-core box); restore torch's setting."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _config(**kw) -> TrainConfig:
    base = dict(optimizer="adam", lr=3e-3, epochs=10, batch_size=32, early_stopping=None, device="cpu")
    return TrainConfig(**{**base, "progress": False, "seed": 0, "num_threads": 1, **kw})


@pytest.fixture(scope="module")
def digits():
    """1797 8x8 digits scaled to [0, 1], split 1437 / 360 with a fixed permutation."""
    bunch = load_digits()
    images, labels = (bunch.images / 16.0).astype(np.float32), bunch.target
    order = np.random.default_rng(0).permutation(labels.shape[0])
    test, train = order[:360], order[360:]
    return (images[train], labels[train]), (images[test], labels[test])


def test_lenet5_learns_sklearn_digits_and_is_a_model_directory(digits, tmp_path):
    import textcnn

    train, test = digits
    out = tmp_path / "run"
    prep = Preprocessing(mean=0.3, std=0.4, image_size=32)
    outcome = train_image_classifier("lenet5", train, test, config=_config(), preprocessing=prep, out_dir=out)
    metrics = outcome.metrics
    assert metrics["test_accuracy"] >= 0.95, metrics["test"]["confusion_matrix"]
    assert metrics["n_train"] + metrics["n_dev"] == 1437 and metrics["n_test"] == 360
    assert metrics["epochs"] == 10 and 1 <= metrics["best_epoch"] <= 10 and metrics["seconds"] > 0
    assert metrics["model_kwargs"] == {"num_classes": 10, "in_channels": 1}
    # The folder is a model directory: textcnn.load rebuilds the model, with its preprocessing, from the files alone.
    loaded = textcnn.load(out)
    assert isinstance(loaded, ImageClassifier) and loaded.preprocessing == prep
    assert not (out / "checkpoint.pt").exists()
    expected = outcome.classifier.predict_proba(test[0][:16])
    np.testing.assert_allclose(loaded.predict_proba(test[0][:16]), expected, rtol=1e-5, atol=1e-6)
    accuracy = np.mean(np.asarray(loaded.predict(test[0])) == np.asarray([str(y) for y in test[1]]))
    assert accuracy == pytest.approx(metrics["test_accuracy"])


def test_images_to_tensor_scales_standardises_and_resizes():
    raw = np.array([[[0, 255], [255, 0]]], dtype=np.uint8)  # (1, 2, 2)
    x = images_to_tensor(raw)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32 and x.max() == 1.0
    x = images_to_tensor(raw, mean=0.5, std=0.5)
    assert x.flatten().tolist() == [-1.0, 1.0, 1.0, -1.0]
    big = images_to_tensor(np.ones((2, 3, 8, 8), dtype=np.float32) * 0.25, image_size=32)
    assert big.shape == (2, 3, 32, 32) and torch.allclose(big, torch.full_like(big, 0.25))
    with pytest.raises(ValueError, match="shape"):
        images_to_tensor(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="std"):
        images_to_tensor(raw, mean=0.1)
    with pytest.raises(ValueError, match="image_size"):
        images_to_tensor(raw, image_size=0)


def test_bad_inputs_name_the_problem(digits):
    (x, y), _ = digits
    config = _config(epochs=1)
    with pytest.raises(ValueError, match="train has 1437 images but labels of shape"):
        train_image_classifier("lenet5", (x, y[:10]), config=config)
    with pytest.raises(ValueError, match="labels must be integers >= 0"):
        train_image_classifier("lenet5", (x, -np.ones_like(y)), config=config)
    with pytest.raises(ValueError, match="text model"):
        train_image_classifier("kim_cnn", (x, y), config=config)
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        train_image_classifier("nope", (x, y), config=config)
    with pytest.raises(ValueError, match="only 2 label_names"):
        train_image_classifier("lenet5", (x, y), config=config, label_names=["a", "b"])
