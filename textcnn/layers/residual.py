"""Residual blocks (He et al. 2016): basic (two 3x3) and bottleneck (1x1 reduce -> 3x3 -> 1x1 expand)."""

from __future__ import annotations

import torch
from torch import nn

from textcnn.layers._create import LayerSpec, get_act_layer
from textcnn.layers.conv_norm_act import ConvNormAct, make_act


def _shortcut(in_channels: int, out_channels: int, stride: int, dims: int, norm_layer: LayerSpec) -> nn.Module | None:
    """Projection shortcut (1x1 conv + norm) when the shape changes, else ``None`` (identity)."""
    if stride == 1 and in_channels == out_channels:
        return None
    return ConvNormAct(
        in_channels, out_channels, 1, stride=stride, padding=0, dims=dims, norm_layer=norm_layer, act_layer=None
    )


class BasicBlock(nn.Module):
    """Two ``k x k`` convolutions with an identity (or projection) shortcut; used by ResNet-18/34.

    Args:
        in_channels: Input channels.
        channels: Channels of both convolutions (the block's output; ``expansion = 1``).
        stride: Stride of the first convolution (2 halves the resolution).
        dims: 1 for sequences, 2 for images.
        kernel_size: Filter size (3 in ResNet).
        norm_layer: Normalisation (``"batchnorm"`` by default).
        act_layer: Activation.
    """

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        channels: int,
        stride: int = 1,
        dims: int = 2,
        kernel_size: int = 3,
        norm_layer: LayerSpec = "batchnorm",
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = ConvNormAct(
            in_channels, channels, kernel_size, stride=stride, dims=dims, norm_layer=norm_layer, act_layer=act_layer
        )
        self.conv2 = ConvNormAct(channels, out_channels, kernel_size, dims=dims, norm_layer=norm_layer, act_layer=None)
        self.downsample = _shortcut(in_channels, out_channels, stride, dims, norm_layer)
        self.act = make_act(get_act_layer(act_layer) or nn.Identity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C_in, *S) -> (B, C_out, *S / stride)
        identity = x if self.downsample is None else self.downsample(x)
        return self.act(self.conv2(self.conv1(x)) + identity)


class Bottleneck(nn.Module):
    """``1x1`` reduce -> ``k x k`` -> ``1x1`` expand (x4) with a shortcut; used by ResNet-50/101/152.

    The stride sits on the ``k x k`` convolution (the "ResNet v1.5" placement torchvision uses).

    Args:
        in_channels: Input channels.
        channels: Bottleneck width; the block outputs ``channels * 4``.
        stride: Stride of the middle convolution.
        dims: 1 for sequences, 2 for images.
        kernel_size: Middle filter size (3 in ResNet).
        norm_layer: Normalisation.
        act_layer: Activation.
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        channels: int,
        stride: int = 1,
        dims: int = 2,
        kernel_size: int = 3,
        norm_layer: LayerSpec = "batchnorm",
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = ConvNormAct(
            in_channels, channels, 1, padding=0, dims=dims, norm_layer=norm_layer, act_layer=act_layer
        )
        self.conv2 = ConvNormAct(
            channels, channels, kernel_size, stride=stride, dims=dims, norm_layer=norm_layer, act_layer=act_layer
        )
        self.conv3 = ConvNormAct(channels, out_channels, 1, padding=0, dims=dims, norm_layer=norm_layer, act_layer=None)
        self.downsample = _shortcut(in_channels, out_channels, stride, dims, norm_layer)
        self.act = make_act(get_act_layer(act_layer) or nn.Identity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C_in, *S) -> (B, 4 * channels, *S / stride)
        identity = x if self.downsample is None else self.downsample(x)
        return self.act(self.conv3(self.conv2(self.conv1(x))) + identity)
