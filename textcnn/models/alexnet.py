"""AlexNet (Krizhevsky et al. 2012), single-tower as taught: 227x227x3 in, five convolutions, three FC layers."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, get_norm_layer, pool2d
from textcnn.models._registry import register_model

__all__ = ["AlexNet", "alexnet"]

_NORMS = ("lrn", "batchnorm", "none")


class AlexNet(nn.Module):
    """AlexNet from "ImageNet Classification with Deep Convolutional Neural Networks" (Krizhevsky et al., 2012).

    The two GPU towers are merged into one, as taught (CS231n)::

        CONV1 96 11x11/4 -> 55x55x96, MAXPOOL1 3x3/2 -> 27x27x96, NORM1,
        CONV2 256 5x5 p2 -> 27x27x256, MAXPOOL2 -> 13x13x256, NORM2,
        CONV3 384 3x3 p1, CONV4 384 3x3 p1, CONV5 256 3x3 p1 -> 13x13x256, MAXPOOL3 -> 6x6x256,
        FC6 4096, FC7 4096, FC8 classes  (62,378,344 parameters for 1000 classes).

    An adaptive average pool to 6x6 (a no-op at 227x227) lets smaller inputs (>= 67x67) through, as in torchvision.

    Args:
        num_classes: Number of classes.
        in_channels: Input channels.
        dropout: Dropout on the outputs of FC6 and FC7 (0.5 in the paper).
        fc_width: Width of FC6 and FC7 (4096 in the paper).
        norm_layer: ``"lrn"`` (local response normalisation after pools 1 and 2, the paper), ``"batchnorm"`` (after
            every convolution) or ``"none"``.

    Raises:
        ValueError: If ``norm_layer`` is not one of the above.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        dropout: float = 0.5,
        norm_layer: str = "lrn",
        fc_width: int = 4096,
    ) -> None:
        super().__init__()
        if norm_layer not in _NORMS:
            raise ValueError(f"AlexNet norm_layer must be one of {_NORMS}, got {norm_layer!r}")
        conv_norm = "batchnorm" if norm_layer == "batchnorm" else None

        def norm(channels: int) -> nn.Module:
            return get_norm_layer("lrn")(channels) if norm_layer == "lrn" else nn.Identity()

        self.features = nn.Sequential(
            OrderedDict(
                conv1=ConvNormAct(in_channels, 96, 11, stride=4, padding=0, norm_layer=conv_norm),
                pool1=pool2d("max", 3, stride=2),
                norm1=norm(96),
                conv2=ConvNormAct(96, 256, 5, padding=2, norm_layer=conv_norm),
                pool2=pool2d("max", 3, stride=2),
                norm2=norm(256),
                conv3=ConvNormAct(256, 384, 3, padding=1, norm_layer=conv_norm),
                conv4=ConvNormAct(384, 384, 3, padding=1, norm_layer=conv_norm),
                conv5=ConvNormAct(384, 256, 3, padding=1, norm_layer=conv_norm),
                pool5=pool2d("max", 3, stride=2),
            )
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        # FC6, FC7 (dropout on their outputs) and FC8.
        self.classifier = ClassifierHead(
            256 * 6 * 6, num_classes, hidden=(fc_width, fc_width), dropout=dropout, dropout_first=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, 227, 227)
        x = self.features(x)  # (B, 96, 55, 55) -> (B, 96, 27, 27) -> (B, 256, 27, 27) -> (B, 256, 13, 13)
        #                       -> (B, 384, 13, 13) x2 -> (B, 256, 13, 13) -> (B, 256, 6, 6)
        x = torch.flatten(self.avgpool(x), 1)  # (B, 9216)
        return self.classifier(x)  # (B, 4096) -> (B, 4096) -> (B, num_classes)


@register_model(task="image", input_size=(3, 227, 227), test_kwargs={"fc_width": 64})
def alexnet(
    num_classes: int = 1000,
    in_channels: int = 3,
    dropout: float = 0.5,
    norm_layer: str = "lrn",
    fc_width: int = 4096,
) -> AlexNet:
    """AlexNet (Krizhevsky et al. 2012), single tower, 227x227 input. See :class:`AlexNet`."""
    return AlexNet(
        num_classes=num_classes, in_channels=in_channels, dropout=dropout, norm_layer=norm_layer, fc_width=fc_width
    )
