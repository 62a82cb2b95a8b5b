"""AlexNet as taught: 227x227x3 input, the lecture's layer-by-layer shapes and parameters."""

import pytest
import torch
from torch import nn

from textcnn.layers import conv_params, count_parameters
from textcnn.models import create_model
from textcnn.models.summary import summarize

# (row name, output shape as C x H x W, parameters) down the network, as on the lecture slide.
LECTURE_TABLE = [
    ("features.conv1.conv", (96, 55, 55), conv_params(3, 96, 11)),  # CONV1: 96 11x11 filters at stride 4
    ("features.pool1", (96, 27, 27), 0),  # MAX POOL1: 3x3 filters at stride 2
    ("features.norm1", (96, 27, 27), 0),  # NORM1
    ("features.conv2.conv", (256, 27, 27), conv_params(96, 256, 5)),  # CONV2: 256 5x5, pad 2
    ("features.pool2", (256, 13, 13), 0),
    ("features.norm2", (256, 13, 13), 0),
    ("features.conv3.conv", (384, 13, 13), conv_params(256, 384, 3)),  # CONV3: 384 3x3, pad 1
    ("features.conv4.conv", (384, 13, 13), conv_params(384, 384, 3)),
    ("features.conv5.conv", (256, 13, 13), conv_params(384, 256, 3)),
    ("features.pool5", (256, 6, 6), 0),  # MAX POOL3
    ("classifier.hidden.0", (4096,), 6 * 6 * 256 * 4096 + 4096),  # FC6
    ("classifier.hidden.3", (4096,), 4096 * 4096 + 4096),  # FC7
    ("classifier.fc", (1000,), 4096 * 1000 + 1000),  # FC8
]


@pytest.fixture(scope="module")
def alexnet_rows():
    """A real CPU pass of the default AlexNet (one 227x227x3 image)."""
    torch.manual_seed(0)
    return {r.name: r for r in summarize(create_model("alexnet"), (3, 227, 227))}


def test_layer_shapes_and_parameters_match_the_lecture(alexnet_rows):
    got = [(name, alexnet_rows[name].output_shape, alexnet_rows[name].params) for name, _, _ in LECTURE_TABLE]
    assert got == LECTURE_TABLE
    assert alexnet_rows["features.conv1.conv"].params == 34_944  # (11*11*3 + 1) * 96
    assert alexnet_rows["features.norm1"].type == "LocalResponseNorm"


def test_total_parameters():
    with torch.device("meta"):
        model = create_model("alexnet")
    assert count_parameters(model) == sum(p for _, _, p in LECTURE_TABLE) == 62_378_344


def test_dropout_on_fc6_and_fc7_outputs_only():
    model = create_model("alexnet", dropout=0.3, fc_width=32)
    kinds = [type(m).__name__ for m in model.classifier.hidden] + [type(model.classifier.dropout).__name__]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout"]
    assert all(m.p == 0.3 for m in model.modules() if isinstance(m, nn.Dropout))


def test_norm_layer_options():
    bn = create_model("alexnet", norm_layer="batchnorm", fc_width=32)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in bn.modules()) == 5
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in bn.modules())
    plain = create_model("alexnet", norm_layer="none", fc_width=32)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.LocalResponseNorm)) for m in plain.modules())
    with pytest.raises(ValueError, match="norm_layer must be one of .*'layernorm'"):
        create_model("alexnet", norm_layer="layernorm")
