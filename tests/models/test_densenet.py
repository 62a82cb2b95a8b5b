"""DenseNet: torchvision's parameter counts and the channel bookkeeping of blocks and transitions."""

import pytest
import torch

from textcnn.layers import DenseBlock, Transition, count_parameters
from textcnn.models import create_model
from textcnn.models.summary import summarize

TORCHVISION_PARAMS = {"densenet121": 7_978_856, "densenet169": 14_149_480, "densenet201": 20_013_928}


@pytest.mark.parametrize(("name", "expected"), TORCHVISION_PARAMS.items())
def test_parameter_counts_equal_torchvision(name, expected):
    with torch.device("meta"):
        model = create_model(name)
    assert count_parameters(model) == expected


def test_densenet121_channels_and_resolution_at_224():
    with torch.device("meta"):
        model = create_model("densenet121")
    rows = {r.name: r.output_shape for r in summarize(model, (3, 224, 224))}
    expected = {
        "features.conv0": (64, 112, 112),
        "features.pool0": (64, 56, 56),
        "features.denseblock1": (64 + 6 * 32, 56, 56),
        "features.transition1": (128, 28, 28),
        "features.denseblock2": (128 + 12 * 32, 28, 28),
        "features.transition2": (256, 14, 14),
        "features.denseblock3": (256 + 24 * 32, 14, 14),
        "features.transition3": (512, 7, 7),
        "features.denseblock4": (512 + 16 * 32, 7, 7),
        "features.norm5": (1024, 7, 7),
        "avgpool": (1024,),
        "classifier": (1000,),
    }
    assert {name: rows[name] for name in expected} == expected


def test_structure_and_keys():
    model = create_model("densenet169", num_classes=6, drop_rate=0.1)
    blocks = [m for m in model.features if isinstance(m, DenseBlock)]
    assert [len(b) for b in blocks] == [6, 12, 32, 32]
    assert sum(isinstance(m, Transition) for m in model.features) == 3
    keys = model.state_dict()
    expected_keys = {
        "features.conv0.conv.weight",
        "features.denseblock1.denselayer1.unit1.conv.weight",
        "features.transition3.unit.conv.weight",
        "features.norm5.weight",
        "classifier.weight",
    }
    assert expected_keys <= set(keys)
    assert keys["classifier.weight"].shape == (6, 1664)
    assert model.features.denseblock2.denselayer3.drop.p == 0.1
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 6)
