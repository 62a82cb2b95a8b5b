"""ConvNormAct: shapes, parameter counts, stable submodule names, 1-D and 2-D."""

import pytest
import torch
from torch import nn

from textcnn.layers import ConvNormAct, conv_output_size, conv_params, count_parameters


def test_lecture_example_32x32x3_through_ten_5x5_filters_pad_2():
    layer = ConvNormAct(3, 10, 5, stride=1, padding=2, act_layer=None)
    out = layer(torch.randn(2, 3, 32, 32))
    side = conv_output_size(32, 5, stride=1, padding=2)
    assert side == 32
    assert out.shape == (2, 10, side, side)
    assert count_parameters(layer) == conv_params(3, 10, 5) == 760


def test_submodules_are_named_conv_norm_act():
    layer = ConvNormAct(3, 8, 3, norm_layer="batchnorm", act_layer="relu")
    assert [name for name, _ in layer.named_children()] == ["conv", "norm", "act"]
    assert isinstance(layer.norm, nn.BatchNorm2d) and isinstance(layer.act, nn.ReLU)
    assert set(layer.state_dict()) >= {"conv.weight", "norm.weight", "norm.bias", "norm.running_mean"}
    plain = ConvNormAct(3, 8, 3, act_layer=None)
    assert [name for name, _ in plain.named_children()] == ["conv"]


def test_bias_only_without_norm_by_default():
    assert ConvNormAct(3, 8, 3).conv.bias is not None
    assert ConvNormAct(3, 8, 3, norm_layer="batchnorm").conv.bias is None
    assert ConvNormAct(3, 8, 3, norm_layer="batchnorm", bias=True).conv.bias is not None


def test_default_padding_keeps_size_for_odd_kernels():
    x = torch.randn(1, 4, 9, 11)
    assert ConvNormAct(4, 6, 5)(x).shape == (1, 6, 9, 11)
    assert ConvNormAct(4, 6, (3, 5))(x).shape == (1, 6, 9, 11)
    assert ConvNormAct(4, 6, 3, stride=2)(x).shape == (1, 6, 5, 6)


def test_one_dimensional_text_convolution():
    layer = ConvNormAct(300, 100, 3, padding=0, dims=1)
    assert isinstance(layer.conv, nn.Conv1d)
    out = layer(torch.randn(2, 300, 20))  # (B, E, T)
    assert out.shape == (2, 100, 18)
    assert (out >= 0).all()  # ReLU


def test_activation_by_name_and_class():
    x = torch.randn(2, 3, 4, 4)
    assert isinstance(ConvNormAct(3, 3, 1, act_layer="tanh").act, nn.Tanh)
    assert isinstance(ConvNormAct(3, 3, 1, act_layer=nn.GELU).act, nn.GELU)
    assert ConvNormAct(3, 3, 1, act_layer="tanh")(x).abs().max() <= 1


def test_bad_dims_and_names_raise_value_error():
    with pytest.raises(ValueError, match="dims must be 1 or 2, got 3"):
        ConvNormAct(3, 3, 3, dims=3)
    with pytest.raises(ValueError, match="'nope'"):
        ConvNormAct(3, 3, 3, act_layer="nope")
