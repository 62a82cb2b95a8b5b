"""XONet: the small ConvNet of Rohrer's X-and-O lecture, made trainable, and the lecture's hand-set filter layer."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, GlobalPool, pool2d
from textcnn.layers._create import LayerSpec
from textcnn.models._registry import register_model

__all__ = ["XONet", "lecture_filter", "xo_net"]


class XONet(nn.Module):
    """The lecture's stack -- ``[conv -> ReLU -> 2x2 max pool] * stages -> global pool -> fully connected vote``.

    From B. Rohrer, "How do Convolutional Neural Networks work?" (2016): convolution finds features wherever they
    are, ReLU keeps the matches, pooling shrinks the maps and tolerates small shifts, and a fully connected layer
    votes X or O. A global pool before the vote makes the net accept any input size and ignore where the shape is.

    Args:
        num_classes: Number of classes (2: X and O).
        in_channels: Input channels (1 for the grey-scale X/O images).
        channels: Output channels of each conv stage; one stage per entry (stage numbers are data).
        kernel_size: Filter size of every conv (the lecture uses 3x3 features).
        norm_layer: Normalisation after each conv (``"batchnorm"`` trains fastest; ``None`` is the lecture's).
        act_layer: Activation after each conv (the lecture's ReLU).
        global_pool: ``"max"`` (did the feature appear anywhere?) or ``"avg"``.
        dropout: Dropout before the vote.

    Raises:
        ValueError: If ``channels`` is empty or an entry is not positive.
    """

    def __init__(
        self,
        num_classes: int = 2,
        in_channels: int = 1,
        channels: tuple[int, ...] | list[int] = (8, 16),
        kernel_size: int = 3,
        norm_layer: LayerSpec = "batchnorm",
        act_layer: LayerSpec = "relu",
        global_pool: str = "max",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if len(channels) == 0 or any(c < 1 for c in channels):
            raise ValueError(f"channels must be a non-empty list of positive ints, got {list(channels)}")
        stages: OrderedDict[str, nn.Module] = OrderedDict()
        prev = in_channels
        for i, width in enumerate(channels, start=1):
            stages[f"conv{i}"] = ConvNormAct(prev, width, kernel_size, norm_layer=norm_layer, act_layer=act_layer)
            stages[f"pool{i}"] = pool2d("max", 2, stride=2, ceil_mode=True)
            prev = width
        self.features = nn.Sequential(stages)
        self.global_pool = GlobalPool(global_pool)
        self.classifier = ClassifierHead(prev, num_classes, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C_in, H, W)
        x = self.features(x)  # (B, channels[-1], H / 2**stages, W / 2**stages), sizes rounded up
        x = self.global_pool(x)  # (B, channels[-1])
        return self.classifier(x)  # (B, num_classes)


@register_model(task="image", input_size=(1, 28, 28))
def xo_net(
    num_classes: int = 2,
    in_channels: int = 1,
    channels: tuple[int, ...] | list[int] = (8, 16),
    kernel_size: int = 3,
    norm_layer: str | None = "batchnorm",
    act_layer: str = "relu",
    global_pool: str = "max",
    dropout: float = 0.0,
) -> XONet:
    """XONet for the X-and-O images of :mod:`textcnn.data.xo`. See :class:`XONet`.

    ``norm_layer="none"`` turns normalisation off (``create_model`` drops arguments set to ``None``).
    """
    if isinstance(norm_layer, str) and norm_layer.lower() == "none":
        norm_layer = None
    return XONet(
        num_classes=num_classes,
        in_channels=in_channels,
        channels=channels,
        kernel_size=kernel_size,
        norm_layer=norm_layer,
        act_layer=act_layer,
        global_pool=global_pool,
        dropout=dropout,
    )


def lecture_filter(features: np.ndarray | torch.Tensor | None = None) -> ConvNormAct:
    """The lecture's filtering step as a core conv layer: each output is the mean of feature * patch.

    A ``ConvNormAct`` without padding, bias, norm or activation whose weights are the features divided by their
    pixel count, so a 3x3 feature that matches a patch exactly gives 1 and its negative gives -1.

    Args:
        features: ``(F, k, k)`` features; ``None`` uses the lecture's three (:func:`textcnn.data.xo.lecture_features`).

    Returns:
        A layer mapping ``(B, 1, H, W)`` to ``(B, F, H - k + 1, W - k + 1)``.

    Raises:
        ValueError: If ``features`` is not a stack of square 2-D features.
    """
    if features is None:
        from textcnn.data.xo import lecture_features

        features = lecture_features()
    weight = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    if weight.ndim != 3 or weight.shape[1] != weight.shape[2]:
        raise ValueError(f"features must have shape (F, k, k), got {tuple(weight.shape)}")
    count, k = weight.shape[0], weight.shape[1]
    layer = ConvNormAct(1, count, k, padding=0, bias=False, norm_layer=None, act_layer=None)
    with torch.no_grad():
        layer.conv.weight.copy_(weight.unsqueeze(1) / (k * k))  # (F, 1, k, k)
    return layer
