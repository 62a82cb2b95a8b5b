"""Resolve activation and normalisation layers given as a class or a name (what YAML configs need)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

LayerSpec = str | type[nn.Module] | Callable[..., nn.Module] | None

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "silu": nn.SiLU,
    "identity": nn.Identity,
}

_NORMS: dict[str, dict[int, type[nn.Module]]] = {
    "batchnorm": {1: nn.BatchNorm1d, 2: nn.BatchNorm2d},
    "instancenorm": {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d},
}


def list_activations() -> list[str]:
    """Names accepted by :func:`get_act_layer`."""
    return sorted(_ACTIVATIONS)


def get_act_layer(act: LayerSpec) -> Callable[..., nn.Module] | None:
    """Return an activation layer constructor.

    Args:
        act: A name such as ``"relu"`` (case-insensitive), an ``nn.Module`` class, any callable returning a
            module, or ``None`` for no activation.

    Returns:
        A callable building the activation module, or ``None``.

    Raises:
        ValueError: If ``act`` is an unknown name.
    """
    if act is None or callable(act):
        return act
    key = str(act).lower().replace("-", "_")
    if key not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; choose one of {', '.join(list_activations())}")
    return _ACTIVATIONS[key]


def get_norm_layer(norm: LayerSpec, dims: int = 2) -> Callable[..., nn.Module] | None:
    """Return a normalisation layer constructor taking the number of channels.

    Args:
        norm: ``"batchnorm"``, ``"instancenorm"``, ``"lrn"`` (AlexNet's local response normalisation), a class or
            callable taking ``num_features``, or ``None`` for none.
        dims: 1 for sequences ``(B, C, T)``, 2 for images ``(B, C, H, W)``.

    Raises:
        ValueError: If ``norm`` is an unknown name or ``dims`` is not 1 or 2.
    """
    if dims not in (1, 2):
        raise ValueError(f"dims must be 1 or 2, got {dims}")
    if norm is None or callable(norm):
        return norm
    key = str(norm).lower().replace("_", "")
    if key in _NORMS:
        return _NORMS[key][dims]
    if key == "lrn":
        # Krizhevsky et al. (2012): k=2, n=5, alpha=1e-4, beta=0.75. Ignores the channel count.
        return lambda _channels: nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)
    raise ValueError(f"unknown norm {norm!r}; choose one of batchnorm, instancenorm, lrn")
