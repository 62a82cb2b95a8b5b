"""Convolution + optional normalisation + activation, for sequences (1-D) and images (2-D)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from textcnn.layers._create import LayerSpec, get_act_layer, get_norm_layer

_CONVS: dict[int, type[nn.Module]] = {1: nn.Conv1d, 2: nn.Conv2d}


class ConvNormAct(nn.Sequential):
    """``conv -> norm -> act``, the unit every CNN in textcnn is built from.

    The submodules are named ``conv``, ``norm`` and ``act`` (absent when not used), so state-dict keys are stable.

    Args:
        in_channels: Input channels (the embedding size for text).
        out_channels: Output channels (feature maps).
        kernel_size: Filter size (the n-gram width for text).
        stride: Stride.
        padding: Zero padding; ``None`` pads ``kernel_size // 2`` ("same" for odd kernels).
        dims: 1 for ``(B, C, T)`` sequences, 2 for ``(B, C, H, W)`` images.
        groups: Convolution groups.
        bias: Conv bias; ``None`` means "only when there is no norm layer".
        norm_layer: Normalisation, as a name or class (see :func:`get_norm_layer`), or ``None``.
        act_layer: Activation, as a name or class (see :func:`get_act_layer`), or ``None``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | None = None,
        dims: int = 2,
        groups: int = 1,
        bias: bool | None = None,
        norm_layer: LayerSpec = None,
        act_layer: LayerSpec = "relu",
    ) -> None:
        super().__init__()
        if dims not in _CONVS:
            raise ValueError(f"dims must be 1 or 2, got {dims}")
        if padding is None:
            padding = tuple(k // 2 for k in kernel_size) if isinstance(kernel_size, tuple) else kernel_size // 2
        norm = get_norm_layer(norm_layer, dims)
        act = get_act_layer(act_layer)
        self.conv = _CONVS[dims](
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            groups=groups,
            bias=norm is None if bias is None else bias,
        )
        if norm is not None:
            self.norm = norm(out_channels)
        if act is not None:
            self.act = make_act(act)


def make_act(act: Callable[..., nn.Module]) -> nn.Module:
    """Build an activation from its class or factory, in place where the layer supports it."""
    try:
        return act(inplace=True)
    except TypeError:
        return act()
