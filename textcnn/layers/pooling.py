"""Pooling: 2-D max/average windows, global pooling, and masked max-over-time pooling for text."""

from __future__ import annotations

import torch
from torch import nn


def masked_max_over_time(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Max over the time axis where padded positions can never win.

    Args:
        x: Feature maps ``(B, C, T)``.
        mask: ``(B, T)`` with True (or 1) at real positions, or ``None`` when nothing is padded. A row with no
            real position gives 0 for every channel (never ``-inf``).

    Returns:
        ``(B, C)`` maxima.
    """
    if mask is None:
        return x.amax(dim=2)
    if mask.shape != (x.shape[0], x.shape[2]):
        raise ValueError(f"mask shape {tuple(mask.shape)} does not match (B, T) = {(x.shape[0], x.shape[2])}")
    keep = mask.to(torch.bool).unsqueeze(1)  # (B, 1, T)
    filled = x.masked_fill(~keep, torch.finfo(x.dtype).min)  # (B, C, T)
    pooled = filled.amax(dim=2)  # (B, C)
    return torch.where(keep.any(dim=2), pooled, torch.zeros_like(pooled))


class MaxOverTimePool(nn.Module):
    """Max-over-time pooling (Collobert et al. 2011; Kim 2014) with an optional padding mask."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        # x: (B, C, T), mask: (B, T) -> (B, C)
        return masked_max_over_time(x, mask)


class GlobalPool(nn.Module):
    """Global average or max pooling over all spatial/time axes, flattened to ``(B, C)``.

    Args:
        kind: ``"avg"`` or ``"max"``.
    """

    def __init__(self, kind: str = "avg") -> None:
        super().__init__()
        if kind not in ("avg", "max"):
            raise ValueError(f"global pool kind must be 'avg' or 'max', got {kind!r}")
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, C, *spatial) -> (B, C)
        flat = x.flatten(2)
        return flat.mean(dim=2) if self.kind == "avg" else flat.amax(dim=2)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}"


def pool2d(kind: str, kernel_size: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False):
    """A 2-D max or average pooling window, by name (``"max"`` or ``"avg"``)."""
    if kind == "max":
        return nn.MaxPool2d(kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    if kind == "avg":
        return nn.AvgPool2d(kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    raise ValueError(f"pool kind must be 'max' or 'avg', got {kind!r}")
