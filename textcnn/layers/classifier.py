"""Fully connected classifier heads, with dropout and an optional l2 max-norm constraint."""

from __future__ import annotations

import torch
from torch import nn

from textcnn.layers._create import LayerSpec, get_act_layer


class MaxNormLinear(nn.Linear):
    """A linear layer whose weight rows are rescaled to l2 norm ``<= max_norm`` after each update.

    Kim (2014) constrains the softmax weights with ``s = 3`` (Hinton et al. 2012). The constraint is applied by
    :meth:`constrain_`, which the trainer calls after every optimiser step (see :func:`apply_constraints`).

    Args:
        in_features: Input size.
        out_features: Output size (classes).
        bias: Whether to learn a bias (not constrained).
        max_norm: Largest allowed l2 norm of each weight row; ``None`` disables the constraint.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, max_norm: float | None = None) -> None:
        super().__init__(in_features, out_features, bias=bias)
        if max_norm is not None and max_norm <= 0:
            raise ValueError(f"max_norm must be positive or None, got {max_norm}")
        self.max_norm = max_norm

    @torch.no_grad()
    def constrain_(self) -> None:
        """Rescale rows whose l2 norm exceeds ``max_norm`` (in place); rows within the bound are left alone."""
        if self.max_norm is None:
            return
        norms = self.weight.norm(dim=1, keepdim=True)  # (out, 1)
        scale = torch.clamp(self.max_norm / norms.clamp_min(1e-12), max=1.0)
        self.weight.mul_(scale)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, max_norm={self.max_norm}"


def apply_constraints(module: nn.Module) -> None:
    """Call ``constrain_()`` on every submodule that has one (the trainer does after each optimiser step): a layer
    with a weight constraint only has to define that method, as :class:`MaxNormLinear` does."""
    for m in module.modules():
        constrain = getattr(m, "constrain_", None)
        if callable(constrain):
            constrain()


class ClassifierHead(nn.Module):
    """``[dropout -> linear -> act] * len(hidden) -> dropout -> linear`` producing class logits.

    Args:
        in_features: Input size.
        num_classes: Number of classes.
        hidden: Sizes of hidden fully connected layers (AlexNet/VGG use ``(4096, 4096)``); empty for one layer.
        dropout: Dropout probability before each linear layer.
        act_layer: Activation between hidden layers.
        max_norm: l2 max-norm of the output layer's weight rows (Kim: 3.0), or ``None``.
        dropout_first: Whether dropout precedes the first linear layer (Kim, VGG) or only the later ones.
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        hidden: tuple[int, ...] | list[int] = (),
        dropout: float = 0.5,
        act_layer: LayerSpec = "relu",
        max_norm: float | None = None,
        dropout_first: bool = True,
    ) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        act = get_act_layer(act_layer)
        layers: list[nn.Module] = []
        size = in_features
        for i, width in enumerate(hidden):
            if dropout > 0 and (dropout_first or i > 0):
                layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(size, width))
            if act is not None:
                layers.append(act())
            size = width
        self.hidden = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout) if dropout > 0 and (dropout_first or hidden) else nn.Identity()
        self.fc = MaxNormLinear(size, num_classes, max_norm=max_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, in_features) -> (B, num_classes)
        return self.fc(self.dropout(self.hidden(x)))
