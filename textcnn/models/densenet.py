"""DenseNet-121/169/201 (Huang et al. 2017), built from the core's DenseBlock and Transition."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from textcnn.layers import ConvNormAct, DenseBlock, GlobalPool, Transition, get_act_layer, get_norm_layer, pool2d
from textcnn.models._registry import register_model

__all__ = ["DenseNet", "densenet121", "densenet169", "densenet201"]


class DenseNet(nn.Module):
    """DenseNet-BC from "Densely Connected Convolutional Networks" (Huang et al., 2017).

    ``conv0 7x7/2 -> pool0 3x3/2 -> [denseblock_i -> transition_i] ... -> denseblock4 -> norm5 -> ReLU -> global
    average pool -> classifier``. Each dense layer adds ``growth_rate`` channels; each transition halves channels and
    resolution. DenseNet-121 has 7,978,856 parameters for 1000 classes (as torchvision).

    Args:
        growth_rate: Channels added per dense layer (k = 32).
        block_config: Dense layers per block, e.g. ``(6, 12, 24, 16)``.
        num_init_features: Channels of the stem convolution.
        bn_size: Bottleneck width multiplier (4 in DenseNet-BC).
        drop_rate: Dropout after each dense layer.
        num_classes: Number of classes.
        in_channels: Input channels.
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: tuple[int, ...] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        num_classes: int = 1000,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        stages: OrderedDict[str, nn.Module] = OrderedDict(
            conv0=ConvNormAct(in_channels, num_init_features, 7, stride=2, padding=3, norm_layer="batchnorm"),
            pool0=pool2d("max", 3, stride=2, padding=1),
        )
        channels = num_init_features
        for i, num_layers in enumerate(block_config, start=1):
            block = DenseBlock(num_layers, channels, growth_rate, bn_size=bn_size, drop_rate=drop_rate)
            stages[f"denseblock{i}"] = block
            channels = block.out_channels
            if i < len(block_config):
                stages[f"transition{i}"] = Transition(channels, channels // 2)
                channels //= 2
        stages["norm5"] = get_norm_layer("batchnorm")(channels)
        stages["relu5"] = get_act_layer("relu")(inplace=True)
        self.features = nn.Sequential(stages)
        self.avgpool = GlobalPool("avg")
        self.classifier = nn.Linear(channels, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, 224, 224)
        x = self.features(x)  # conv0 (B, 64, 112, 112) -> pool0 (B, 64, 56, 56) -> blocks/transitions
        #                       -> (B, C, 7, 7), C = 1024 for DenseNet-121
        x = self.avgpool(x)  # (B, C)
        return self.classifier(x)  # (B, num_classes)


def _densenet(block_config: tuple[int, ...], num_classes: int, in_channels: int, drop_rate: float) -> DenseNet:
    return DenseNet(32, block_config, 64, num_classes=num_classes, in_channels=in_channels, drop_rate=drop_rate)


@register_model(task="image", input_size=(3, 224, 224))
def densenet121(num_classes: int = 1000, in_channels: int = 3, drop_rate: float = 0.0) -> DenseNet:
    """DenseNet-121: k=32, blocks ``(6, 12, 24, 16)``. See :class:`DenseNet`."""
    return _densenet((6, 12, 24, 16), num_classes, in_channels, drop_rate)


@register_model(task="image", input_size=(3, 224, 224))
def densenet169(num_classes: int = 1000, in_channels: int = 3, drop_rate: float = 0.0) -> DenseNet:
    """DenseNet-169: k=32, blocks ``(6, 12, 32, 32)``. See :class:`DenseNet`."""
    return _densenet((6, 12, 32, 32), num_classes, in_channels, drop_rate)


@register_model(task="image", input_size=(3, 224, 224))
def densenet201(num_classes: int = 1000, in_channels: int = 3, drop_rate: float = 0.0) -> DenseNet:
    """DenseNet-201: k=32, blocks ``(6, 12, 48, 32)``. See :class:`DenseNet`."""
    return _densenet((6, 12, 48, 32), num_classes, in_channels, drop_rate)
