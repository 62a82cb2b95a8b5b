"""GoogLeNet: the paper's Table 1 shapes, auxiliary heads in training mode only, and parameter counts."""

import pytest
import torch
from torch import nn

from textcnn.layers import count_parameters
from textcnn.models import create_model
from textcnn.models.googlenet import GoogLeNet, GoogLeNetOutputs
from textcnn.models.summary import summarize

# Output sizes of the paper's Table 1 (C x H x W) for a 224x224x3 input.
TABLE_1 = {
    "conv1": (64, 112, 112),
    "maxpool1": (64, 56, 56),
    "conv3": (192, 56, 56),
    "maxpool2": (192, 28, 28),
    "inception3a": (256, 28, 28),
    "inception3b": (480, 28, 28),
    "maxpool3": (480, 14, 14),
    "inception4a": (512, 14, 14),
    "inception4b": (512, 14, 14),
    "inception4c": (512, 14, 14),
    "inception4d": (528, 14, 14),
    "inception4e": (832, 14, 14),
    "maxpool4": (832, 7, 7),
    "inception5a": (832, 7, 7),
    "inception5b": (1024, 7, 7),
    "avgpool": (1024,),
    "fc": (1000,),
}

# torchvision's GoogLeNet has 6,624,904 parameters (13,004,888 with aux heads) but uses 3x3 convolutions in the
# "5x5" branch (kept for its pretrained weights). Here they are true 5x5: 16 more weights per (reduce, out) pair.
FIVE_BY_FIVE = [(16, 32), (32, 96), (16, 48), (24, 64), (24, 64), (32, 64), (32, 128), (32, 128), (48, 128)]
EXTRA_5X5 = sum((25 - 9) * red * out for red, out in FIVE_BY_FIVE)


def test_shapes_follow_table_1():
    with torch.device("meta"):
        model = create_model("googlenet")
    rows = {r.name: r.output_shape for r in summarize(model, (3, 224, 224))}
    assert {name: rows[name] for name in TABLE_1} == TABLE_1
    assert rows["aux1.conv.conv"] is None  # the auxiliary heads do not run in eval mode


def test_parameter_counts_equal_torchvision_plus_true_5x5_convolutions():
    with torch.device("meta"):
        assert count_parameters(create_model("googlenet", aux_logits=False)) == 6_624_904 + EXTRA_5X5 == 7_005_832
        assert count_parameters(create_model("googlenet")) == 13_004_888 + EXTRA_5X5


def test_training_mode_returns_main_logits_first_then_aux():
    torch.manual_seed(0)
    model = create_model("googlenet", num_classes=5).train()
    out = model(torch.randn(2, 3, 96, 96))
    assert isinstance(out, GoogLeNetOutputs) and out._fields == ("logits", "aux2", "aux1")
    main, *aux = out
    assert main is out.logits and len(aux) == 2
    assert all(o.shape == (2, 5) for o in out)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 96, 96))
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 5)


def test_without_aux_logits_training_returns_a_tensor():
    model = create_model("googlenet", num_classes=5, aux_logits=False).train()
    assert model.aux1 is None and model.aux2 is None
    assert not any("aux" in key for key in model.state_dict())
    out = model(torch.randn(2, 3, 64, 64))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 5)


def test_aux_heads_follow_the_paper():
    model = GoogLeNet(num_classes=10)
    aux = model.aux1
    assert aux.conv.conv.out_channels == 128 and aux.conv.conv.kernel_size == (1, 1)
    assert aux.classifier.hidden[0].in_features == 4 * 4 * 128 and aux.classifier.hidden[0].out_features == 1024
    assert [m.p for m in aux.modules() if isinstance(m, nn.Dropout)] == [0.7]
    assert model.dropout.p == 0.4
    assert model.aux2.conv.conv.in_channels == 528  # taps inception4d


def test_paper_variant_uses_lrn_and_no_batch_norm():
    model = create_model("googlenet", batch_norm=False, aux_logits=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert isinstance(model.norm1, nn.LocalResponseNorm) and isinstance(model.norm2, nn.LocalResponseNorm)
    assert all(m.bias is not None for m in model.modules() if isinstance(m, nn.Conv2d))


@pytest.mark.parametrize("name", ["inception3a", "inception4e", "inception5b"])
def test_state_dict_keys_are_named_after_the_paper(name):
    keys = create_model("googlenet", aux_logits=True).state_dict()
    assert any(k.startswith(f"{name}.branch3.1.conv.weight") for k in keys)
    assert keys[f"{name}.branch3.1.conv.weight"].shape[-1] == 5  # a true 5x5 convolution
    assert "aux1.classifier.fc.weight" in keys and "fc.weight" in keys
