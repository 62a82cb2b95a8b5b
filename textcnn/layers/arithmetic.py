"""Convolution arithmetic: output sizes, parameter and multiply counts (as taught in CNN lectures)."""

from __future__ import annotations

from torch import nn


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Spatial output size of a convolution or pooling window: ``(N - F + 2P) / S + 1``.

    Args:
        size: Input size ``N`` along one axis.
        kernel_size: Filter size ``F``.
        stride: Stride ``S``.
        padding: Zero padding ``P`` on each side.
        dilation: Dilation (``F`` becomes ``dilation * (F - 1) + 1``).

    Returns:
        The output size (floored, as PyTorch does).

    Raises:
        ValueError: If the filter does not fit the padded input or an argument is not positive.
    """
    if size <= 0 or kernel_size <= 0 or stride <= 0 or padding < 0 or dilation <= 0:
        raise ValueError(
            f"need positive size/kernel/stride/dilation and padding >= 0, got N={size}, F={kernel_size}, "
            f"S={stride}, P={padding}, D={dilation}"
        )
    effective = dilation * (kernel_size - 1) + 1
    span = size + 2 * padding - effective
    if span < 0:
        raise ValueError(f"filter of size {effective} does not fit input of size {size} with padding {padding}")
    return span // stride + 1


def conv_params(in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...], bias: bool = True) -> int:
    """Parameters of a convolution: ``F*F*C_in*C_out`` weights plus ``C_out`` biases (ignoring groups)."""
    ks = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
    weights = in_channels * out_channels
    for k in ks:
        weights *= k
    return weights + (out_channels if bias else 0)


def conv_multiplies(out_shape: tuple[int, ...], in_channels: int, kernel_size: int | tuple[int, ...]) -> int:
    """Multiplications of a convolution: one ``F*F*C_in`` dot product per output value.

    Args:
        out_shape: Output shape without batch, e.g. ``(C_out, H, W)``.
        in_channels: Input channels.
        kernel_size: Filter size (int for square, or a tuple).
    """
    ks = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * (len(out_shape) - 1)
    per_output = in_channels
    for k in ks:
        per_output *= k
    outputs = 1
    for d in out_shape:
        outputs *= d
    return outputs * per_output


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of a module (optionally only those with ``requires_grad``)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
