"""LeNet-5: the paper's layer shapes, its parameter count, the 28x28 option, and a short real MNIST run."""

import pytest
import torch
import torch.nn.functional as F

from textcnn.data.mnist import load_mnist, mnist_dataset
from textcnn.layers import count_parameters
from textcnn.models import create_model
from textcnn.models.lenet import LeNet5, lenet5
from textcnn.models.summary import summarize

LENET_SHAPES = {
    "features.c1": (6, 28, 28),
    "features.s2": (6, 14, 14),
    "features.c3": (16, 10, 10),
    "features.s4": (16, 5, 5),
    "features.c5": (120, 1, 1),
    "classifier.hidden.0": (84,),  # F6
    "classifier.fc": (10,),  # output
}


@pytest.mark.parametrize("input_size", [32, 28])
def test_layer_shapes_match_the_paper(input_size):
    rows = {r.name: r for r in summarize(lenet5(input_size=input_size), (1, input_size, input_size))}
    assert {name: rows[name].output_shape for name in LENET_SHAPES} == LENET_SHAPES


def test_parameter_count_with_full_c3_connections():
    model = lenet5()
    # C1 156, C3 2,416, C5 48,120, F6 10,164, output 850
    assert count_parameters(model) == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    assert count_parameters(lenet5(input_size=28)) == 61_706  # padding adds no parameters
    assert count_parameters(lenet5(num_classes=3)) == 61_706 - 850 + 85 * 3


def test_options_and_validation():
    model = create_model("lenet5", act_layer="relu", pool="max", in_channels=3)
    assert isinstance(model.features.c1.act, torch.nn.ReLU)
    assert isinstance(model.features.s2, torch.nn.MaxPool2d)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert isinstance(LeNet5().features.c1.act, torch.nn.Tanh)
    with pytest.raises(ValueError, match="input_size must be one of .*got 30"):
        lenet5(input_size=30)


def test_learns_mnist_digits(data_dir):
    torch.manual_seed(0)
    images, labels = mnist_dataset(*(a[:2000] for a in load_mnist(data_dir, "train"))).tensors
    test_images, test_labels = mnist_dataset(*(a[:1000] for a in load_mnist(data_dir, "test"))).tensors
    model = lenet5(input_size=28)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _epoch in range(2):
        for batch in torch.randperm(len(labels)).split(50):
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(test_images).argmax(dim=1) == test_labels).float().mean().item()
    assert accuracy > 0.85  # 2,000 training digits, two epochs; chance is 0.1
