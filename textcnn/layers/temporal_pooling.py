"""Pooling over time for padded text batches: k-max pooling and strided max pooling that carry the padding mask.

Text batches are padded at the end (each row's real tokens first, as :func:`textcnn.data.batching.pad_batch` writes
them) and come with a mask ``(B, T)`` that is True at real positions. The layers here never let a padded position
win a max and they return the mask of their output, so a deep text CNN (DPCNN, VDCNN) gives a text the same
prediction however much padding its batch needed. :func:`textcnn.layers.masked_max_over_time` is the global case.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def zero_padding(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Set the padded positions of ``x`` to zero (what a convolution's own zero padding reads).

    Args:
        x: Feature maps ``(B, C, T)``.
        mask: ``(B, T)``, True at real positions, or ``None`` (nothing padded: ``x`` is returned as it is).

    Returns:
        ``(B, C, T)``.
    """
    return x if mask is None else x.masked_fill(~mask.to(torch.bool).unsqueeze(1), 0)


def downsample_mask(mask: torch.Tensor, kernel_size: int, stride: int, padding: int) -> torch.Tensor:
    """The mask after a 1-D convolution or pooling window: an output is real when the same layer applied to the
    unpadded text would have produced it, i.e. ``j < floor((L + 2 * padding - kernel_size) / stride) + 1``.

    Args:
        mask: ``(B, T)`` prefix mask (each row's real positions first).
        kernel_size: Window size.
        stride: Stride.
        padding: Zero (or ``-inf``) padding on each side.

    Returns:
        ``(B, T_out)`` with ``T_out = floor((T + 2 * padding - kernel_size) / stride) + 1``.
    """
    lengths = mask.sum(dim=1)  # (B,)
    kept = torch.div(lengths + 2 * padding - kernel_size, stride, rounding_mode="floor") + 1  # (B,)
    width = (mask.shape[1] + 2 * padding - kernel_size) // stride + 1
    return torch.arange(width, device=mask.device).unsqueeze(0) < kept.clamp_min(0).unsqueeze(1)  # (B, T_out)


def kmax_over_time(
    x: torch.Tensor, k: int, mask: torch.Tensor | None = None, row_k: torch.Tensor | None = None
) -> torch.Tensor:
    """k-max pooling (Kalchbrenner et al., ACL 2014): the ``k`` largest values of each channel, in temporal order.

    Padded positions are never selected, and ties go to the earlier position (a stable sort), so the result does
    not depend on how much padding follows a text. A row with fewer than ``k`` values to keep gives them followed by
    zeros (a text shorter than ``k``, or a smaller ``row_k``).

    Args:
        x: Feature maps ``(B, C, T)``.
        k: Values kept per channel: the output width.
        mask: ``(B, T)``, True at real positions, or ``None`` when nothing is padded.
        row_k: ``(B,)`` per-row counts ``<= k`` (dynamic k-max pooling, e.g. half of each text's length), or ``None``
            for ``k`` in every row.

    Returns:
        ``(B, C, k)``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    batch, _, steps = x.shape
    scores = x if mask is None else x.masked_fill(~mask.to(torch.bool).unsqueeze(1), torch.finfo(x.dtype).min)
    order = torch.sort(scores, dim=2, descending=True, stable=True).indices[:, :, :k]  # (B, C, k'), k' = min(k, T)
    rank = torch.arange(order.shape[2], device=x.device).view(1, 1, -1)  # (1, 1, k')
    keep = torch.ones(batch, 1, 1, dtype=torch.bool, device=x.device)  # (B, 1, 1)
    if mask is not None:
        keep = keep & (rank < mask.sum(dim=1).view(-1, 1, 1))  # (B, 1, k')
    if row_k is not None:
        keep = keep & (rank < row_k.view(-1, 1, 1))  # (B, 1, k')
    positions = torch.where(keep, order, steps).sort(dim=2).values  # (B, C, k'): kept positions in order, then T
    values = x.gather(2, positions.clamp_max(steps - 1))  # (B, C, k')
    values = values.masked_fill(positions == steps, 0)  # (B, C, k')
    return F.pad(values, (0, k - values.shape[2]))  # (B, C, k)


class KMaxPool(nn.Module):
    """k-max pooling over time with an optional padding mask (see :func:`kmax_over_time`).

    Args:
        k: Values kept per channel (VDCNN: 8).
    """

    def __init__(self, k: int) -> None:
        super().__init__()
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k = k

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        # x: (B, C, T), mask: (B, T) -> (B, C, k)
        return kmax_over_time(x, self.k, mask)

    def extra_repr(self) -> str:
        return f"k={self.k}"


class MaskedMaxPool1d(nn.Module):
    """Max pooling over time that treats padded positions as its own ``-inf`` padding, and returns the new mask.

    ``kernel_size=3, stride=2, padding=1`` halves a length ``L`` to ``ceil(L / 2)`` (DPCNN, VDCNN).

    Args:
        kernel_size: Window size.
        stride: Stride (``None``: ``kernel_size``).
        padding: Implicit ``-inf`` padding on each side.
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Pool ``x`` ``(B, C, T)``; returns the pooled maps ``(B, C, T_out)`` (zero at padded outputs) and their
        mask ``(B, T_out)`` (``None`` when ``mask`` is ``None``)."""
        if mask is not None:
            x = x.masked_fill(~mask.to(torch.bool).unsqueeze(1), torch.finfo(x.dtype).min)  # (B, C, T)
        x = F.max_pool1d(x, self.kernel_size, self.stride, self.padding)  # (B, C, T_out)
        if mask is None:
            return x, None
        mask = downsample_mask(mask, self.kernel_size, self.stride, self.padding)  # (B, T_out)
        return zero_padding(x, mask), mask

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
