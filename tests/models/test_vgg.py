"""VGG: torchvision's parameter counts and the lecture's VGG-16 table, layer by layer."""

import math

import pytest
import torch
from torch import nn

from textcnn.layers import conv_params, count_parameters
from textcnn.models import create_model
from textcnn.models.summary import summarize, summary_totals
from textcnn.models.vgg import CFGS, make_features

# torchvision's num_params for each builder (1000 classes); the *_bn convolutions keep their biases.
TORCHVISION_PARAMS = {
    "vgg11": 132_863_336,
    "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848,
    "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544,
    "vgg16_bn": 138_365_992,
    "vgg19": 143_667_240,
    "vgg19_bn": 143_678_248,
}

# The lecture's VGG-16 table: (layer, output C x H x W, weights) from INPUT [224x224x3] to FC 1000.
C3 = 3 * 3
VGG16_LECTURE = [
    ("CONV3-64", (64, 224, 224), C3 * 3 * 64),
    ("CONV3-64", (64, 224, 224), C3 * 64 * 64),
    ("POOL2", (64, 112, 112), 0),
    ("CONV3-128", (128, 112, 112), C3 * 64 * 128),
    ("CONV3-128", (128, 112, 112), C3 * 128 * 128),
    ("POOL2", (128, 56, 56), 0),
    ("CONV3-256", (256, 56, 56), C3 * 128 * 256),
    ("CONV3-256", (256, 56, 56), C3 * 256 * 256),
    ("CONV3-256", (256, 56, 56), C3 * 256 * 256),
    ("POOL2", (256, 28, 28), 0),
    ("CONV3-512", (512, 28, 28), C3 * 256 * 512),
    ("CONV3-512", (512, 28, 28), C3 * 512 * 512),
    ("CONV3-512", (512, 28, 28), C3 * 512 * 512),
    ("POOL2", (512, 14, 14), 0),
    ("CONV3-512", (512, 14, 14), C3 * 512 * 512),
    ("CONV3-512", (512, 14, 14), C3 * 512 * 512),
    ("CONV3-512", (512, 14, 14), C3 * 512 * 512),
    ("POOL2", (512, 7, 7), 0),
    ("FC", (4096,), 7 * 7 * 512 * 4096),
    ("FC", (4096,), 4096 * 4096),
    ("FC", (1000,), 4096 * 1000),
]


@pytest.fixture(scope="module")
def vgg16_rows():
    with torch.device("meta"):
        model = create_model("vgg16")
    return summarize(model, (3, 224, 224)), model


@pytest.mark.parametrize(("name", "expected"), TORCHVISION_PARAMS.items())
def test_parameter_counts_equal_torchvision(name, expected):
    with torch.device("meta"):
        model = create_model(name)
    assert count_parameters(model) == expected


def test_vgg16_table_matches_the_lecture(vgg16_rows):
    rows, model = vgg16_rows
    layers = [r for r in rows if r.type in ("Conv2d", "MaxPool2d", "Linear", "MaxNormLinear")]
    weights = {name: p.numel() for name, p in model.named_parameters() if name.endswith("weight")}
    got = [(r.output_shape, weights.get(f"{r.name}.weight", 0)) for r in layers]
    assert got == [(shape, w) for _, shape, w in VGG16_LECTURE]
    first = layers[0]
    assert first.activations == 224 * 224 * 64 == 3_211_264  # "memory: 224*224*64 = 3.2M"
    assert weights["features.0.conv.weight"] == 1_728  # "params: (3*3*3)*64 = 1,728"
    assert first.params == conv_params(3, 64, 3) == 1_728 + 64  # plus biases
    assert weights["classifier.hidden.0.weight"] == 102_760_448  # "params: 7*7*512*4096 = 102,760,448"


def test_vgg16_table_adds_up_to_138m_parameters(vgg16_rows):
    rows, model = vgg16_rows
    assert sum(r.params for r in rows) == count_parameters(model) == 138_357_544
    totals = summary_totals(rows)
    assert totals.total_params == totals.trainable_params == 138_357_544
    assert totals.input_values == 224 * 224 * 3
    # conv, pool and FC outputs as on the slide (~15.2M with the input), plus the 7x7 adaptive pool and the two
    # FC ReLUs, which allocate here; the in-place conv ReLUs are not counted twice.
    lecture_values = 224 * 224 * 3 + sum(math.prod(shape) for _, shape, _ in VGG16_LECTURE)
    assert 15_200_000 < lecture_values < 15_300_000
    extra = 512 * 7 * 7 + 2 * 4096  # adaptive pool and FC ReLU outputs
    assert totals.input_values + totals.total_activations == lecture_values + extra
    assert 60 < totals.forward_mb < 62  # about 61 MB per image, forward only


def test_make_features_follows_the_configuration_lists():
    features = make_features(CFGS["A"], batch_norm=True)
    convs = [m for m in features.modules() if isinstance(m, nn.Conv2d)]
    pools = [m for m in features if isinstance(m, nn.MaxPool2d)]
    assert [c.out_channels for c in convs] == [v for v in CFGS["A"] if v != "M"]
    assert len(pools) == 5 and all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in features.modules()) == len(convs)
    assert {len([v for v in cfg if v != "M"]) + 3 for cfg in CFGS.values()} == {11, 13, 16, 19}


def test_classifier_options():
    model = create_model("vgg11", num_classes=5, dropout=0.2, fc_width=32)
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.2, 0.2]
    assert model.classifier.fc.out_features == 5 and model.classifier.fc.in_features == 32
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 5)  # the smallest input (5 pools to 1x1)
