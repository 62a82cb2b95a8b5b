"""Convolution arithmetic as taught: output size (N - F + 2P) / S + 1, parameters, multiplies."""

import pytest
import torch
from torch import nn

from textcnn.layers import conv_multiplies, conv_output_size, conv_params, count_parameters


@pytest.mark.parametrize(
    ("n", "f", "s", "p", "expected"),
    [
        (7, 3, 1, 0, 5),  # the lecture's 7x7 input, 3x3 filter
        (7, 3, 2, 0, 3),
        (7, 3, 3, 0, 2),  # "doesn't fit" in the lecture; floored as PyTorch does
        (32, 5, 1, 2, 32),  # 5x5 filters with pad 2 keep 32x32
        (32, 5, 1, 0, 28),
        (227, 11, 4, 0, 55),  # AlexNet CONV1
        (55, 3, 2, 0, 27),  # AlexNet POOL1
        (224, 3, 1, 1, 224),  # VGG 3x3 pad 1
    ],
)
def test_conv_output_size_matches_formula_and_pytorch(n, f, s, p, expected):
    assert conv_output_size(n, f, s, p) == expected
    assert nn.Conv2d(1, 1, f, stride=s, padding=p)(torch.zeros(1, 1, n, n)).shape[-1] == expected


def test_conv_output_size_with_dilation():
    assert conv_output_size(10, 3, dilation=2) == 6  # effective filter 5


@pytest.mark.parametrize(
    ("args", "match"), [((0, 3), "N=0"), ((5, 7), "does not fit"), ((5, 3, 0), "S=0"), ((5, 3, 1, -1), "P=-1")]
)
def test_conv_output_size_rejects_bad_values(args, match):
    with pytest.raises(ValueError, match=match):
        conv_output_size(*args)


def test_conv_params_counts_weights_and_biases():
    assert conv_params(3, 10, 5) == 760  # 5*5*3*10 + 10
    assert conv_params(3, 64, 3, bias=False) == 1728  # VGG's first layer weights
    assert conv_params(256, 64, 1) == 256 * 64 + 64
    assert conv_params(300, 100, (3,)) == 90_100  # a Kim-CNN width-3 filter bank over 300-d embeddings
    assert conv_params(3, 10, 5) == count_parameters(nn.Conv2d(3, 10, 5))


def test_conv_multiplies_is_one_dot_product_per_output_value():
    assert conv_multiplies((96, 28, 28), 256, 5) == 28 * 28 * 96 * 5 * 5 * 256
    assert conv_multiplies((100, 62), 300, 3) == 100 * 62 * 3 * 300  # 1-D
    assert conv_multiplies((8, 4, 6), 2, (3, 5)) == 8 * 4 * 6 * 3 * 5 * 2


def test_count_parameters_trainable_only():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[0].requires_grad_(False)
    assert count_parameters(model) == 15 + 8
    assert count_parameters(model, trainable_only=True) == 8
