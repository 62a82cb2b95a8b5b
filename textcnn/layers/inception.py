"""The Inception module (Szegedy et al. 2015, GoogLeNet), naive or with 1x1 bottleneck reductions."""

from __future__ import annotations

import torch
from torch import nn

from textcnn.layers._create import LayerSpec
from textcnn.layers.conv_norm_act import ConvNormAct


class Inception(nn.Module):
    """Four parallel branches concatenated along channels: 1x1; (1x1 ->) 3x3; (1x1 ->) 5x5; 3x3 pool (-> 1x1).

    With ``ch3x3red``, ``ch5x5red`` and ``pool_proj`` set, this is GoogLeNet's module with 1x1 bottlenecks. With all
    three ``None`` it is the naive module: the pool branch passes all input channels through, so the output grows by
    ``in_channels`` (the lecture's 28x28x256 -> 28x28x672 example).

    Args:
        in_channels: Input channels.
        ch1x1: Output channels of the 1x1 branch.
        ch3x3red: 1x1 reduction before the 3x3 conv, or ``None`` (naive).
        ch3x3: Output channels of the 3x3 branch.
        ch5x5red: 1x1 reduction before the 5x5 conv, or ``None`` (naive).
        ch5x5: Output channels of the 5x5 branch.
        pool_proj: 1x1 projection after the pool, or ``None`` (naive: pool output kept as is).
        norm_layer: Normalisation after each conv (``None`` as in the original GoogLeNet).
        act_layer: Activation after each conv.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int | None,
        ch3x3: int,
        ch5x5red: int | None,
        ch5x5: int,
        pool_proj: int | None,
        norm_layer: LayerSpec = None,
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        kw = {"norm_layer": norm_layer, "act_layer": act_layer}

        def reduce_then(red: int | None, out: int, k: int) -> nn.Module:
            if red is None:
                return ConvNormAct(in_channels, out, k, **kw)
            return nn.Sequential(ConvNormAct(in_channels, red, 1, **kw), ConvNormAct(red, out, k, **kw))

        self.branch1 = ConvNormAct(in_channels, ch1x1, 1, **kw)
        self.branch2 = reduce_then(ch3x3red, ch3x3, 3)
        self.branch3 = reduce_then(ch5x5red, ch5x5, 5)
        pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.branch4 = pool if pool_proj is None else nn.Sequential(pool, ConvNormAct(in_channels, pool_proj, 1, **kw))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + (in_channels if pool_proj is None else pool_proj)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C_in, H, W) -> (B, ch1x1 + ch3x3 + ch5x5 + pool channels, H, W)
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)
