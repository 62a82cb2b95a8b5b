"""Dense blocks and transitions (Huang et al. 2017, DenseNet)."""

from __future__ import annotations

import torch
from torch import nn

from textcnn.layers._create import LayerSpec, get_act_layer, get_norm_layer
from textcnn.layers.conv_norm_act import make_act


class _NormActConv(nn.Sequential):
    """Pre-activation unit ``norm -> act -> conv`` (DenseNet's ordering)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        dims: int,
        norm_layer: LayerSpec,
        act_layer: LayerSpec,
    ) -> None:
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        norm, act = get_norm_layer(norm_layer, dims), get_act_layer(act_layer)
        self.norm = norm(in_channels) if norm is not None else nn.Identity()  # None: no normalisation
        self.act = make_act(act) if act is not None else nn.Identity()
        self.conv = conv(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)


class DenseLayer(nn.Module):
    """Bottleneck dense layer: ``BN-ReLU-1x1 (bn_size * growth) -> BN-ReLU-3x3 (growth)``, output concatenated.

    Args:
        in_channels: Input channels.
        growth_rate: Channels added by this layer (k).
        bn_size: Bottleneck multiplier (4 in DenseNet-BC).
        drop_rate: Dropout after the layer.
        dims: 1 for sequences, 2 for images.
        norm_layer: Normalisation.
        act_layer: Activation.
    """

    def __init__(
        self,
        in_channels: int,
        growth_rate: int,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        dims: int = 2,
        norm_layer: LayerSpec = "batchnorm",
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        self.unit1 = _NormActConv(in_channels, bn_size * growth_rate, 1, dims, norm_layer, act_layer)
        self.unit2 = _NormActConv(bn_size * growth_rate, growth_rate, 3, dims, norm_layer, act_layer)
        self.drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C, *S) -> (B, C + growth_rate, *S)
        return torch.cat([x, self.drop(self.unit2(self.unit1(x)))], dim=1)


class DenseBlock(nn.Sequential):
    """``num_layers`` dense layers; output channels ``in_channels + num_layers * growth_rate``."""

    def __init__(
        self,
        num_layers: int,
        in_channels: int,
        growth_rate: int,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        dims: int = 2,
        norm_layer: LayerSpec = "batchnorm",
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(
                f"denselayer{i + 1}",
                DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size, drop_rate, dims, norm_layer, act_layer),
            )
        self.out_channels = in_channels + num_layers * growth_rate


class Transition(nn.Sequential):
    """Between dense blocks: ``BN-ReLU-1x1 conv`` (compression) then 2x2 average pooling with stride 2."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        dims: int = 2,
        norm_layer: LayerSpec = "batchnorm",
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        self.unit = _NormActConv(in_channels, out_channels, 1, dims, norm_layer, act_layer)
        self.pool = nn.AvgPool1d(2, stride=2) if dims == 1 else nn.AvgPool2d(2, stride=2)
