"""Dense blocks grow channels by the growth rate per layer; transitions halve channels and resolution."""

import torch
from torch import nn

from textcnn.layers import DenseBlock, DenseLayer, Transition, count_parameters


def test_dense_layer_concatenates_its_input_and_k_new_channels():
    layer = DenseLayer(64, growth_rate=32, bn_size=4).eval()
    x = torch.randn(2, 64, 7, 7)
    out = layer(x)
    assert out.shape == (2, 96, 7, 7)
    assert torch.equal(out[:, :64], x)  # the input is passed on unchanged
    # BN(64) + 1x1 conv 64->128 + BN(128) + 3x3 conv 128->32, no conv biases (torchvision's denselayer1)
    assert count_parameters(layer) == 2 * 64 + 64 * 128 + 2 * 128 + 9 * 128 * 32


def test_dense_block_channel_growth():
    block = DenseBlock(num_layers=6, in_channels=64, growth_rate=32)
    assert block.out_channels == 64 + 6 * 32 == 256
    assert [name for name, _ in block.named_children()] == [f"denselayer{i}" for i in range(1, 7)]
    out = block(torch.randn(2, 64, 8, 8))
    assert out.shape == (2, 256, 8, 8)


def test_transition_halves_channels_and_resolution():
    transition = Transition(256, 128)
    assert isinstance(transition.pool, nn.AvgPool2d)
    assert transition(torch.randn(2, 256, 56, 56)).shape == (2, 128, 28, 28)


def test_dense_block_and_transition_in_one_dimension():
    block = DenseBlock(3, 8, growth_rate=4, dims=1)
    out = Transition(block.out_channels, 10, dims=1)(block(torch.randn(2, 8, 16)))
    assert out.shape == (2, 10, 8)


def test_dense_layer_dropout_only_in_training():
    torch.manual_seed(0)
    layer = DenseLayer(4, 8, drop_rate=0.5)
    assert isinstance(layer.drop, nn.Dropout)
    x = torch.randn(2, 4, 5, 5)
    layer.eval()
    assert torch.equal(layer(x), layer(x))


def test_norm_and_activation_can_be_switched_off():
    layer = DenseLayer(4, 8, norm_layer=None, act_layer=None)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.ReLU)) for m in layer.modules())
    assert layer(torch.randn(2, 4, 5, 5)).shape == (2, 12, 5, 5)
    assert Transition(12, 6, norm_layer=None)(torch.randn(2, 12, 4, 4)).shape == (2, 6, 2, 2)
