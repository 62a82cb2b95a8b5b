"""Classifier heads: the l2 max-norm constraint and the dropout/linear layout."""

import pytest
import torch
from torch import nn

from textcnn.layers import ClassifierHead, MaxNormLinear, apply_constraints


def test_max_norm_rescales_long_rows_and_leaves_short_rows_untouched():
    layer = MaxNormLinear(4, 3, max_norm=3.0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[3.0, 4.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 6.0, 8.0]]))
    short_row = layer.weight[1].clone()
    bias = layer.bias.clone()
    layer.constrain_()
    norms = layer.weight.norm(dim=1)
    assert torch.allclose(norms, torch.tensor([3.0, 2.0, 3.0]))
    assert torch.equal(layer.weight[1], short_row)  # within the bound: unchanged
    assert torch.allclose(layer.weight[0], torch.tensor([1.8, 2.4, 0.0, 0.0]))  # direction kept
    assert torch.equal(layer.bias, bias)  # bias is not constrained


def test_max_norm_none_disables_constraint():
    layer = MaxNormLinear(4, 2)
    with torch.no_grad():
        layer.weight.fill_(10.0)
    layer.constrain_()
    assert torch.all(layer.weight == 10.0)


def test_max_norm_must_be_positive():
    with pytest.raises(ValueError, match="max_norm must be positive or None, got 0"):
        MaxNormLinear(4, 2, max_norm=0)


def test_apply_constraints_reaches_nested_layers_after_an_update():
    torch.manual_seed(0)
    head = ClassifierHead(8, 3, hidden=(16,), dropout=0.0, max_norm=0.5)
    model = nn.Sequential(nn.Linear(5, 8), head)
    model(torch.randn(4, 5)).pow(2).sum().backward()
    with torch.no_grad():  # a large plain gradient step
        for p in model.parameters():
            p -= 10.0 * p.grad
    assert head.fc.weight.norm(dim=1).max() > 0.5
    apply_constraints(model)
    assert head.fc.weight.norm(dim=1).max() <= 0.5 + 1e-6


def test_classifier_head_layout_vgg_style_dropout_after_hidden_layers():
    head = ClassifierHead(20, 7, hidden=(16, 12), dropout=0.5, dropout_first=False)
    kinds = [type(m).__name__ for m in head.hidden]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU"]
    assert isinstance(head.dropout, nn.Dropout) and isinstance(head.fc, MaxNormLinear)
    assert head(torch.randn(3, 20)).shape == (3, 7)


def test_classifier_head_kim_style_single_layer():
    head = ClassifierHead(300, 2, dropout=0.5, max_norm=3.0)
    assert len(head.hidden) == 0 and isinstance(head.dropout, nn.Dropout)
    assert head.fc.max_norm == 3.0
    head.eval()
    x = torch.randn(2, 300)
    assert torch.allclose(head(x), head.fc(x))  # dropout is off in eval mode


def test_classifier_head_without_dropout_has_identity():
    head = ClassifierHead(10, 3, hidden=(5,), dropout=0.0)
    assert isinstance(head.dropout, nn.Identity)
    assert not any(isinstance(m, nn.Dropout) for m in head.modules())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_classes": 0}, "num_classes must be >= 1, got 0"),
        ({"num_classes": 2, "dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ],
)
def test_classifier_head_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ClassifierHead(10, **kwargs)
