"""GoogLeNet / Inception v1 (Szegedy et al. 2015), with its two auxiliary classifiers."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, GlobalPool, Inception, get_norm_layer, pool2d
from textcnn.models._registry import register_model

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "InceptionAux", "googlenet"]

# The paper's Table 1: (in_channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj) per Inception module.
INCEPTION_CFG: dict[str, tuple[int, int, int, int, int, int, int]] = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNetOutputs(NamedTuple):
    """What :class:`GoogLeNet` returns in training mode with ``aux_logits=True``.

    The main logits come first, so a trainer can treat the tuple as ``(main, *aux)`` and add the auxiliary losses
    with weight 0.3 (the paper's discount).
    """

    logits: torch.Tensor
    aux2: torch.Tensor
    aux1: torch.Tensor


class InceptionAux(nn.Module):
    """Auxiliary classifier: 4x4 average pool -> 1x1 conv 128 -> FC 1024 -> dropout 0.7 -> FC classes.

    The paper pools 14x14 maps with a 5x5 window and stride 3 to 4x4; an adaptive pool to 4x4 gives the same grid
    at 224x224 and accepts other input sizes (as torchvision).

    Args:
        in_channels: Channels of the Inception output it taps (512 for 4a, 528 for 4d).
        num_classes: Number of classes.
        dropout: Dropout on the FC 1024 output.
        norm_layer: Normalisation after the 1x1 convolution, or ``None``.
    """

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7, norm_layer: str | None = None) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
        self.conv = ConvNormAct(in_channels, 128, 1, norm_layer=norm_layer)
        self.classifier = ClassifierHead(128 * 4 * 4, num_classes, hidden=(1024,), dropout=dropout, dropout_first=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C, 14, 14)
        x = self.conv(self.avgpool(x))  # (B, C, 4, 4) -> (B, 128, 4, 4)
        return self.classifier(torch.flatten(x, 1))  # (B, 2048) -> (B, 1024) -> (B, num_classes)


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) from "Going Deeper with Convolutions" (Szegedy et al., 2015).

    Stem ``conv 7x7/2 (64) -> maxpool -> conv 1x1 (64) -> conv 3x3 (192) -> maxpool``, then Inception modules 3a-3b,
    4a-4e, 5a-5b (the paper's Table 1, with true 5x5 convolutions) separated by 3x3/2 max pools, global average pool,
    dropout 0.4 and a linear layer. Auxiliary classifiers tap 4a (``aux1``) and 4d (``aux2``).

    **Output**: in training mode with ``aux_logits=True`` the forward pass returns
    :class:`GoogLeNetOutputs` ``(logits, aux2, aux1)``, each ``(B, num_classes)``; in eval mode (or without
    auxiliary heads) it returns the main logits tensor only.

    Args:
        num_classes: Number of classes.
        in_channels: Input channels.
        aux_logits: Build the two auxiliary classifiers (used in training mode only).
        dropout: Dropout before the final linear layer (0.4 in the paper).
        dropout_aux: Dropout inside the auxiliary classifiers (0.7 in the paper).
        batch_norm: Batch norm after every convolution (as torchvision's GoogLeNet). ``False`` gives the paper's
            network: no batch norm, local response normalisation in the stem.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        aux_logits: bool = True,
        dropout: float = 0.4,
        dropout_aux: float = 0.7,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        norm = "batchnorm" if batch_norm else None
        self.aux_logits = aux_logits
        self.conv1 = ConvNormAct(in_channels, 64, 7, stride=2, padding=3, norm_layer=norm)
        self.maxpool1 = pool2d("max", 3, stride=2, ceil_mode=True)
        self.norm1 = nn.Identity() if batch_norm else get_norm_layer("lrn")(64)
        self.conv2 = ConvNormAct(64, 64, 1, norm_layer=norm)
        self.conv3 = ConvNormAct(64, 192, 3, norm_layer=norm)
        self.norm2 = nn.Identity() if batch_norm else get_norm_layer("lrn")(192)
        self.maxpool2 = pool2d("max", 3, stride=2, ceil_mode=True)

        def inception(name: str) -> Inception:
            return Inception(*INCEPTION_CFG[name], norm_layer=norm)

        self.inception3a = inception("inception3a")
        self.inception3b = inception("inception3b")
        self.maxpool3 = pool2d("max", 3, stride=2, ceil_mode=True)
        self.inception4a = inception("inception4a")
        self.inception4b = inception("inception4b")
        self.inception4c = inception("inception4c")
        self.inception4d = inception("inception4d")
        self.inception4e = inception("inception4e")
        self.maxpool4 = pool2d("max", 3, stride=2, ceil_mode=True)
        self.inception5a = inception("inception5a")
        self.inception5b = inception("inception5b")

        self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux, norm_layer=norm) if aux_logits else None
        self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux, norm_layer=norm) if aux_logits else None
        self.avgpool = GlobalPool("avg")
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        # x: (B, 3, 224, 224)
        x = self.maxpool1(self.conv1(x))  # (B, 64, 112, 112) -> (B, 64, 56, 56)
        x = self.norm1(x)  # (B, 64, 56, 56)
        x = self.norm2(self.conv3(self.conv2(x)))  # (B, 64, 56, 56) -> (B, 192, 56, 56)
        x = self.maxpool2(x)  # (B, 192, 28, 28)
        x = self.inception3b(self.inception3a(x))  # (B, 256, 28, 28) -> (B, 480, 28, 28)
        x = self.maxpool3(x)  # (B, 480, 14, 14)
        x = self.inception4a(x)  # (B, 512, 14, 14)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None  # (B, num_classes)
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # (B, 512, 14, 14) x2 -> (B, 528, 14, 14)
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None  # (B, num_classes)
        x = self.inception4e(x)  # (B, 832, 14, 14)
        x = self.maxpool4(x)  # (B, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))  # (B, 832, 7, 7) -> (B, 1024, 7, 7)
        x = self.dropout(self.avgpool(x))  # (B, 1024)
        logits = self.fc(x)  # (B, num_classes)
        if aux1 is not None and aux2 is not None:
            return GoogLeNetOutputs(logits, aux2, aux1)
        return logits


@register_model(task="image", input_size=(3, 224, 224))
def googlenet(
    num_classes: int = 1000,
    in_channels: int = 3,
    aux_logits: bool = True,
    dropout: float = 0.4,
    dropout_aux: float = 0.7,
    batch_norm: bool = True,
) -> GoogLeNet:
    """GoogLeNet / Inception v1 (Szegedy et al. 2015). Training mode returns :class:`GoogLeNetOutputs`."""
    return GoogLeNet(
        num_classes=num_classes,
        in_channels=in_channels,
        aux_logits=aux_logits,
        dropout=dropout,
        dropout_aux=dropout_aux,
        batch_norm=batch_norm,
    )
