"""XONet: registry entry, shapes, the lecture filter layer, and learning X versus O to >= 99% on held-out images."""

from __future__ import annotations

import pytest
import torch

import textcnn.models.xo_net  # noqa: F401  (registers xo_net until textcnn.models imports it)
from textcnn.classify.image import train_image_classifier
from textcnn.data.xo import XO_LABELS, make_xo_images
from textcnn.models import create_model, get_model_entry
from textcnn.models.xo_net import XONet, lecture_filter
from textcnn.training import TrainConfig


def test_registered_as_an_image_model():
    entry = get_model_entry("xo_net")
    assert entry.task == "image" and entry.input_size == (1, 28, 28)
    model = create_model("xo_net", num_classes=3, channels=[4, 6, 8], norm_layer="none")
    assert isinstance(model, XONet)
    assert [k for k in model.state_dict() if k.endswith("weight")] == [
        "features.conv1.conv.weight",
        "features.conv2.conv.weight",
        "features.conv3.conv.weight",
        "classifier.fc.weight",
    ]


@pytest.mark.parametrize("size", [9, 24, 28, 31])
def test_forward_backward_any_size(size):
    torch.manual_seed(0)
    model = create_model("xo_net", num_classes=5)
    x = torch.randn(3, 1, size, size)
    out = model(x)  # (3, 5)
    assert out.shape == (3, 5) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_bad_channels_raise():
    with pytest.raises(ValueError, match="channels"):
        XONet(channels=[])
    with pytest.raises(ValueError, match="channels"):
        XONet(channels=[8, 0])


def test_lecture_filter_custom_features_and_errors():
    layer = lecture_filter(torch.ones(2, 5, 5))
    assert layer.conv.weight.shape == (2, 1, 5, 5)
    out = layer(torch.ones(1, 1, 7, 7))  # (1, 2, 3, 3): a perfect match everywhere
    assert torch.allclose(out, torch.ones(1, 2, 3, 3))
    assert torch.allclose(layer(-torch.ones(1, 1, 5, 5)), -torch.ones(1, 2, 1, 1))
    with pytest.raises(ValueError, match=r"\(F, k, k\)"):
        lecture_filter(torch.ones(3, 3))


@pytest.fixture
def one_thread():
    """Train on one thread (far faster than two on a busy 2-core box), then restore torch's setting."""
    before = torch.get_num_threads()
    yield 1
    torch.set_num_threads(before)


def test_learns_x_versus_o_on_held_out_images(one_thread):
    size = 24
    train = make_xo_images(1500, size=size, seed=0)
    test = make_xo_images(1000, size=size, seed=12345)  # a different draw: new positions, sizes, angles, strokes
    config = TrainConfig(
        optimizer="adam",
        lr=1e-2,
        epochs=2,
        batch_size=32,
        early_stopping=None,
        device="cpu",
        progress=False,
        seed=0,
        num_threads=one_thread,
    )
    outcome = train_image_classifier("xo_net", train, test, config=config, label_names=XO_LABELS)
    model, metrics = outcome.model, outcome.metrics
    assert metrics["test_accuracy"] >= 0.99, metrics["test"]["confusion_matrix"]
    assert metrics["n_test"] == 1000 and metrics["n_dev"] == 150 and metrics["epochs"] == 2
    # The same net untrained is at chance: the accuracy comes from learning.
    torch.manual_seed(1)
    fresh = create_model("xo_net").eval()
    with torch.no_grad():
        guess = fresh(torch.from_numpy(test[0][:, None])).argmax(1)
    assert (guess == torch.from_numpy(test[1])).float().mean() < 0.9
    assert isinstance(model, XONet) and not model.training
