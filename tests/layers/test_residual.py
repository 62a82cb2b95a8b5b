"""Residual blocks: shapes with stride 2 and projection shortcuts, identity shortcuts otherwise."""

import torch
from torch import nn

from textcnn.layers import BasicBlock, Bottleneck, count_parameters


def test_basic_block_identity_shortcut_keeps_shape():
    block = BasicBlock(64, 64)
    assert block.downsample is None
    assert block(torch.randn(2, 64, 14, 14)).shape == (2, 64, 14, 14)


def test_basic_block_stride_two_projects_the_shortcut():
    block = BasicBlock(64, 128, stride=2)
    assert isinstance(block.downsample.conv, nn.Conv2d)
    assert block.downsample.conv.kernel_size == (1, 1) and block.downsample.conv.stride == (2, 2)
    assert block(torch.randn(2, 64, 56, 56)).shape == (2, 128, 28, 28)
    # two 3x3 convs (no bias) + 2 BN, plus the 1x1 projection + BN (torchvision's layer2.0)
    assert count_parameters(block) == 3 * 3 * 64 * 128 + 256 + 3 * 3 * 128 * 128 + 256 + 64 * 128 + 256


def test_bottleneck_expands_four_times_and_projects():
    block = Bottleneck(64, 64)
    assert block.expansion == 4
    assert block.downsample is not None  # 64 -> 256 channels needs a projection even at stride 1
    assert block(torch.randn(2, 64, 8, 8)).shape == (2, 256, 8, 8)
    down = Bottleneck(256, 128, stride=2)
    assert down.conv2.conv.stride == (2, 2) and down.conv1.conv.stride == (1, 1)  # stride on the 3x3 ("v1.5")
    assert down(torch.randn(2, 256, 8, 8)).shape == (2, 512, 4, 4)
    assert Bottleneck(256, 64).downsample is None


def test_block_output_is_relu_of_residual_plus_shortcut():
    torch.manual_seed(0)
    block = BasicBlock(8, 8).eval()
    x = torch.randn(2, 8, 5, 5)
    expected = torch.relu(block.conv2(block.conv1(x)) + x)
    assert torch.allclose(block(x), expected)
    with torch.no_grad():
        block.conv2.norm.weight.zero_()
        block.conv2.norm.bias.zero_()
    assert torch.allclose(block(x), torch.relu(x))  # a zeroed residual branch leaves the identity


def test_one_dimensional_blocks():
    assert BasicBlock(16, 32, stride=2, dims=1)(torch.randn(2, 16, 20)).shape == (2, 32, 10)
    assert Bottleneck(16, 8, dims=1)(torch.randn(2, 16, 20)).shape == (2, 32, 20)


def test_blocks_backpropagate():
    block = BasicBlock(4, 8, stride=2)
    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    block(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
