"""get_act_layer / get_norm_layer: names, classes, None, and errors that name the bad value."""

import pytest
import torch
from torch import nn

from textcnn.layers import get_act_layer, get_norm_layer, list_activations


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("relu", nn.ReLU),
        ("ReLU", nn.ReLU),
        ("leaky-relu", nn.LeakyReLU),
        ("gelu", nn.GELU),
        ("tanh", nn.Tanh),
        ("identity", nn.Identity),
    ],
)
def test_get_act_layer_resolves_names_case_insensitively(name, cls):
    assert get_act_layer(name) is cls


def test_get_act_layer_passes_classes_callables_and_none_through():
    assert get_act_layer(nn.SiLU) is nn.SiLU
    factory = lambda: nn.ReLU6()  # noqa: E731
    assert get_act_layer(factory) is factory
    assert get_act_layer(None) is None


def test_list_activations_are_all_resolvable_and_sorted():
    names = list_activations()
    assert names == sorted(names) and {"relu", "tanh", "gelu"} <= set(names)
    for name in names:
        assert isinstance(get_act_layer(name)(), nn.Module)


def test_get_act_layer_unknown_name_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="'swishy'.*relu"):
        get_act_layer("swishy")


@pytest.mark.parametrize(
    ("name", "dims", "cls"),
    [
        ("batchnorm", 2, nn.BatchNorm2d),
        ("batchnorm", 1, nn.BatchNorm1d),
        ("batch_norm", 2, nn.BatchNorm2d),
        ("BatchNorm", 1, nn.BatchNorm1d),
        ("instancenorm", 2, nn.InstanceNorm2d),
        ("instance_norm", 1, nn.InstanceNorm1d),
    ],
)
def test_get_norm_layer_resolves_names_per_dims(name, dims, cls):
    assert get_norm_layer(name, dims) is cls
    assert get_norm_layer(name, dims)(8).num_features == 8


def test_get_norm_layer_lrn_is_alexnets_local_response_norm():
    layer = get_norm_layer("lrn")(96)
    assert isinstance(layer, nn.LocalResponseNorm)
    assert (layer.size, layer.alpha, layer.beta, layer.k) == (5, 1e-4, 0.75, 2.0)
    x = torch.randn(2, 96, 5, 5)
    assert layer(x).shape == x.shape


def test_get_norm_layer_passes_classes_and_none_through():
    assert get_norm_layer(None) is None
    assert get_norm_layer(nn.GroupNorm) is nn.GroupNorm


def test_get_norm_layer_errors_name_the_bad_value():
    with pytest.raises(ValueError, match="'layernormx'"):
        get_norm_layer("layernormx")
    with pytest.raises(ValueError, match="dims must be 1 or 2, got 3"):
        get_norm_layer("batchnorm", dims=3)
