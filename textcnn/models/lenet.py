"""LeNet-5 (LeCun et al. 1998), the first convolutional network trained end to end on digits."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, pool2d
from textcnn.layers._create import LayerSpec
from textcnn.models._registry import register_model

__all__ = ["LeNet5", "lenet5"]

_INPUT_SIZES = (28, 32)


class LeNet5(nn.Module):
    """LeNet-5 from "Gradient-based learning applied to document recognition" (LeCun et al., 1998).

    ``C1 6@5x5 -> S2 -> C3 16@5x5 -> S4 -> C5 120@5x5 -> F6 84 -> output``. The paper's sparse C3 connection table and
    scaled-tanh/RBF output are replaced by full connections and a linear output, as usually done today (61,706
    parameters for 10 classes). A 28x28 input (MNIST) is padded by 2 in C1 so every later shape is the paper's.

    Args:
        num_classes: Number of classes.
        in_channels: Input channels (1 for grey-scale digits).
        input_size: Input height and width, 32 (the paper) or 28 (MNIST, padded to 32 by C1).
        act_layer: Activation after each layer (``"tanh"`` as in the paper, or e.g. ``"relu"``).
        pool: Subsampling kind, ``"avg"`` (the paper's S2/S4) or ``"max"``.

    Raises:
        ValueError: If ``input_size`` is not 28 or 32.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        input_size: int = 32,
        act_layer: LayerSpec = "tanh",
        pool: str = "avg",
    ) -> None:
        super().__init__()
        if input_size not in _INPUT_SIZES:
            raise ValueError(f"LeNet-5 input_size must be one of {_INPUT_SIZES}, got {input_size}")
        c1_padding = (32 - input_size) // 2
        self.features = nn.Sequential(
            OrderedDict(
                c1=ConvNormAct(in_channels, 6, 5, padding=c1_padding, act_layer=act_layer),
                s2=pool2d(pool, 2, stride=2),
                c3=ConvNormAct(6, 16, 5, padding=0, act_layer=act_layer),
                s4=pool2d(pool, 2, stride=2),
                c5=ConvNormAct(16, 120, 5, padding=0, act_layer=act_layer),
            )
        )
        # F6 (120 -> 84) and the output layer (84 -> classes).
        self.classifier = ClassifierHead(120, num_classes, hidden=(84,), dropout=0.0, act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C, 32, 32) or (B, C, 28, 28)
        x = self.features(x)  # c1 (B, 6, 28, 28) -> s2 (B, 6, 14, 14) -> c3 (B, 16, 10, 10) -> s4 (B, 16, 5, 5) -> c5
        x = torch.flatten(x, 1)  # (B, 120, 1, 1) -> (B, 120)
        return self.classifier(x)  # (B, 84) -> (B, num_classes)


@register_model(task="image", input_size=(1, 32, 32))
def lenet5(
    num_classes: int = 10,
    in_channels: int = 1,
    input_size: int = 32,
    act_layer: str = "tanh",
    pool: str = "avg",
) -> LeNet5:
    """LeNet-5 (LeCun et al. 1998); ``input_size=28`` for MNIST. See :class:`LeNet5`."""
    return LeNet5(
        num_classes=num_classes, in_channels=in_channels, input_size=input_size, act_layer=act_layer, pool=pool
    )
