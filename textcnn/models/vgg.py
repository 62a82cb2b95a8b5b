"""VGG-11/13/16/19 (Simonyan & Zisserman 2015), with and without batch normalisation."""

from __future__ import annotations

import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, pool2d
from textcnn.models._registry import register_model

__all__ = ["VGG", "make_features", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

# The paper's configurations A, B, D, E: output channels of each 3x3 conv (pad 1), "M" = 2x2 max pool with stride 2.
CFGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_features(cfg: list[int | str], in_channels: int = 3, batch_norm: bool = False) -> nn.Sequential:
    """The convolutional part of a VGG from a configuration list (see :data:`CFGS`).

    Convolutions keep their bias even with batch norm, as torchvision's ``vgg*_bn`` do (so parameter counts match).
    """
    layers: list[nn.Module] = []
    channels = in_channels
    for v in cfg:
        if v == "M":
            layers.append(pool2d("max", 2, stride=2))
        else:
            layers.append(
                ConvNormAct(channels, int(v), 3, padding=1, bias=True, norm_layer="batchnorm" if batch_norm else None)
            )
            channels = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (Simonyan & Zisserman, 2015).

    Stacks of 3x3 convolutions (stride 1, pad 1) and 2x2 max pools halve 224x224 to 7x7x512, then
    ``FC 4096 -> FC 4096 -> FC classes`` with dropout on the outputs of the first two. VGG-16 has 138,357,544
    parameters for 1000 classes. An adaptive average pool to 7x7 (a no-op at 224x224) admits inputs down to 32x32.

    Args:
        features: The convolutional stack (see :func:`make_features`).
        num_classes: Number of classes.
        dropout: Dropout on the outputs of the first two FC layers.
        fc_width: Width of the first two FC layers (4096 in the paper).
    """

    def __init__(
        self, features: nn.Sequential, num_classes: int = 1000, dropout: float = 0.5, fc_width: int = 4096
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = ClassifierHead(
            512 * 7 * 7, num_classes, hidden=(fc_width, fc_width), dropout=dropout, dropout_first=False
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, 224, 224)
        x = self.features(x)  # (B, 64, 224, 224) -> ... -> (B, 512, 7, 7)
        x = torch.flatten(self.avgpool(x), 1)  # (B, 25088)
        return self.classifier(x)  # (B, 4096) -> (B, 4096) -> (B, num_classes)


def _vgg(cfg: str, batch_norm: bool, num_classes: int, in_channels: int, dropout: float, fc_width: int) -> VGG:
    return VGG(
        make_features(CFGS[cfg], in_channels, batch_norm), num_classes=num_classes, dropout=dropout, fc_width=fc_width
    )


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg11(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-11 (configuration A). See :class:`VGG`."""
    return _vgg("A", False, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-11 (configuration A) with batch normalisation. See :class:`VGG`."""
    return _vgg("A", True, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg13(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-13 (configuration B). See :class:`VGG`."""
    return _vgg("B", False, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-13 (configuration B) with batch normalisation. See :class:`VGG`."""
    return _vgg("B", True, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg16(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-16 (configuration D). See :class:`VGG`."""
    return _vgg("D", False, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-16 (configuration D) with batch normalisation. See :class:`VGG`."""
    return _vgg("D", True, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg19(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-19 (configuration E). See :class:`VGG`."""
    return _vgg("E", False, num_classes, in_channels, dropout, fc_width)


@register_model(task="image", input_size=(3, 224, 224), test_kwargs={"fc_width": 64})
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, fc_width: int = 4096) -> VGG:
    """VGG-19 (configuration E) with batch normalisation. See :class:`VGG`."""
    return _vgg("E", True, num_classes, in_channels, dropout, fc_width)
