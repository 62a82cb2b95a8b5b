"""ResNet: torchvision's parameter counts, stage shapes, and zero-initialised residual branches."""

import pytest
import torch

from textcnn.layers import BasicBlock, Bottleneck, count_parameters
from textcnn.models import create_model
from textcnn.models.resnet import ResNet
from textcnn.models.summary import summarize

TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
}
DEPTHS = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3], "resnet50": [3, 4, 6, 3], "resnet101": [3, 4, 23, 3],
          "resnet152": [3, 8, 36, 3]}  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), TORCHVISION_PARAMS.items())
def test_parameter_counts_equal_torchvision(name, expected):
    with torch.device("meta"):
        model = create_model(name)
    assert count_parameters(model) == expected
    assert [len(getattr(model, f"layer{i}")) for i in range(1, 5)] == DEPTHS[name]


@pytest.mark.parametrize(("name", "expansion"), [("resnet18", 1), ("resnet50", 4)])
def test_stage_shapes_at_224(name, expansion):
    with torch.device("meta"):
        model = create_model(name)
    rows = {r.name: r.output_shape for r in summarize(model, (3, 224, 224))}
    last = {1: "layer1.1", 2: "layer2.1", 3: "layer3.1", 4: "layer4.1"}
    assert rows["conv1"] == (64, 112, 112) and rows["maxpool"] == (64, 56, 56)
    for stage, (channels, side) in enumerate([(64, 56), (128, 28), (256, 14), (512, 7)], start=1):
        assert rows[last[stage]] == (channels * expansion, side, side)
    assert rows["avgpool"] == (512 * expansion,) and rows["fc"] == (1000,)


def test_blocks_and_state_dict_keys():
    model = create_model("resnet50", num_classes=3)
    assert isinstance(model.layer1[0], Bottleneck) and model.layer1[0].downsample is not None
    assert model.layer1[1].downsample is None
    assert model.layer2[0].conv2.conv.stride == (2, 2)
    keys = model.state_dict()
    assert {"conv1.conv.weight", "conv1.norm.weight", "layer4.2.conv3.norm.weight", "fc.weight"} <= set(keys)
    assert keys["fc.weight"].shape == (3, 2048)
    assert isinstance(create_model("resnet18").layer3[1], BasicBlock)


def test_zero_init_residual_starts_every_block_as_identity():
    torch.manual_seed(0)
    model = create_model("resnet18", zero_init_residual=True).eval()
    block = model.layer1[0]
    assert torch.count_nonzero(block.conv2.norm.weight) == 0
    x = torch.randn(2, 64, 8, 8)
    with torch.no_grad():
        assert torch.allclose(block(x), torch.relu(x))
    assert torch.count_nonzero(create_model("resnet50", zero_init_residual=True).layer3[4].conv3.norm.weight) == 0
    assert torch.count_nonzero(create_model("resnet18").layer1[0].conv2.norm.weight) > 0


def test_in_channels_and_validation():
    model = create_model("resnet18", in_channels=1, num_classes=4)
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 4)
    with pytest.raises(ValueError, match=r"four stages.*\[2, 2, 2\]"):
        ResNet(BasicBlock, [2, 2, 2])
