"""ResNet-18/34/50/101/152 (He et al. 2016), built from the core's BasicBlock and Bottleneck."""

from __future__ import annotations

import torch
from torch import nn

from textcnn.layers import BasicBlock, Bottleneck, ConvNormAct, GlobalPool, pool2d
from textcnn.models._registry import register_model

__all__ = ["ResNet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]

Block = type[BasicBlock] | type[Bottleneck]


class ResNet(nn.Module):
    """ResNet from "Deep Residual Learning for Image Recognition" (He et al., 2016).

    ``conv1 7x7/2 (64) -> maxpool 3x3/2 -> layer1..layer4 (64, 128, 256, 512 channels x expansion; layers 2-4 start
    with stride 2) -> global average pool -> fc``. Bottleneck blocks put the stride on the 3x3 convolution
    ("v1.5", as torchvision); parameter counts equal torchvision's (ResNet-18: 11,689,512; ResNet-50: 25,557,032).

    Args:
        block: :class:`~textcnn.layers.BasicBlock` (18, 34) or :class:`~textcnn.layers.Bottleneck` (50, 101, 152).
        layers: Blocks per stage, e.g. ``[2, 2, 2, 2]``.
        num_classes: Number of classes.
        in_channels: Input channels.
        zero_init_residual: Start each block's last batch-norm scale at 0, so every block begins as the identity
            (Goyal et al. 2017).
    """

    def __init__(
        self,
        block: Block,
        layers: list[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if len(layers) != 4 or min(layers) < 1:
            raise ValueError(f"ResNet needs four stages of >= 1 block, got layers={layers}")
        self.conv1 = ConvNormAct(in_channels, 64, 7, stride=2, padding=3, norm_layer="batchnorm")
        self.maxpool = pool2d("max", 3, stride=2, padding=1)
        self._channels = 64
        self.layer1 = self._make_layer(block, 64, layers[0], stride=1)
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = GlobalPool("avg")
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.conv3.norm.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.conv2.norm.weight)

    def _make_layer(self, block: Block, channels: int, blocks: int, stride: int) -> nn.Sequential:
        """One stage: the first block changes stride/channels (projection shortcut), the rest keep them."""
        stage = [block(self._channels, channels, stride=stride)]
        self._channels = channels * block.expansion
        stage += [block(self._channels, channels) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, 224, 224)
        x = self.conv1(x)  # (B, 64, 112, 112)
        x = self.maxpool(x)  # (B, 64, 56, 56)
        x = self.layer1(x)  # (B, 64 * e, 56, 56), e = block.expansion
        x = self.layer2(x)  # (B, 128 * e, 28, 28)
        x = self.layer3(x)  # (B, 256 * e, 14, 14)
        x = self.layer4(x)  # (B, 512 * e, 7, 7)
        x = self.avgpool(x)  # (B, 512 * e)
        return self.fc(x)  # (B, num_classes)


def _resnet(block: Block, layers: list[int], num_classes: int, in_channels: int, zero_init_residual: bool) -> ResNet:
    return ResNet(
        block, layers, num_classes=num_classes, in_channels=in_channels, zero_init_residual=zero_init_residual
    )


@register_model(task="image", input_size=(3, 224, 224))
def resnet18(num_classes: int = 1000, in_channels: int = 3, zero_init_residual: bool = False) -> ResNet:
    """ResNet-18: BasicBlock, ``[2, 2, 2, 2]``. See :class:`ResNet`."""
    return _resnet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, zero_init_residual)


@register_model(task="image", input_size=(3, 224, 224))
def resnet34(num_classes: int = 1000, in_channels: int = 3, zero_init_residual: bool = False) -> ResNet:
    """ResNet-34: BasicBlock, ``[3, 4, 6, 3]``. See :class:`ResNet`."""
    return _resnet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, zero_init_residual)


@register_model(task="image", input_size=(3, 224, 224))
def resnet50(num_classes: int = 1000, in_channels: int = 3, zero_init_residual: bool = False) -> ResNet:
    """ResNet-50: Bottleneck, ``[3, 4, 6, 3]``. See :class:`ResNet`."""
    return _resnet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, zero_init_residual)


@register_model(task="image", input_size=(3, 224, 224))
def resnet101(num_classes: int = 1000, in_channels: int = 3, zero_init_residual: bool = False) -> ResNet:
    """ResNet-101: Bottleneck, ``[3, 4, 23, 3]``. See :class:`ResNet`."""
    return _resnet(Bottleneck, [3, 4, 23, 3], num_classes, in_channels, zero_init_residual)


@register_model(task="image", input_size=(3, 224, 224))
def resnet152(num_classes: int = 1000, in_channels: int = 3, zero_init_residual: bool = False) -> ResNet:
    """ResNet-152: Bottleneck, ``[3, 8, 36, 3]``. See :class:`ResNet`."""
    return _resnet(Bottleneck, [3, 8, 36, 3], num_classes, in_channels, zero_init_residual)
