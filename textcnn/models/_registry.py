"""An explicit model registry: builders register themselves by name; tests and the CLI iterate over it."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn


@dataclass(frozen=True)
class ModelEntry:
    """One registered model builder.

    Attributes:
        name: Registry name (``"vgg16"``).
        builder: Function returning the model; takes keyword arguments only.
        task: ``"image"`` or ``"text"``.
        input_size: Default input shape without batch, e.g. ``(3, 224, 224)`` for images or ``(64,)`` (tokens) for
            text; used by ``textcnn summary`` and the registry-driven tests.
        test_kwargs: Keyword arguments that make a small instance for fast tests (e.g. a tiny vocabulary).
    """

    name: str
    builder: Callable[..., nn.Module]
    task: str
    input_size: tuple[int, ...]
    test_kwargs: dict = field(default_factory=dict)

    def arguments(self) -> dict[str, inspect.Parameter]:
        """The builder's keyword arguments by name (its signature: the one place their defaults live)."""
        return dict(inspect.signature(self.builder).parameters)

    def defaults(self) -> dict:
        """Each argument's default value (arguments without a default are left out)."""
        empty = inspect.Parameter.empty
        return {name: p.default for name, p in self.arguments().items() if p.default is not empty}

    def type_hints(self) -> dict:
        """The builder's type hints by argument name."""
        target = getattr(self.builder, "func", self.builder)  # a functools.partial of a class or function
        return typing.get_type_hints(target.__init__ if isinstance(target, type) else target)


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    name: str | None = None,
    *,
    task: str = "image",
    input_size: tuple[int, ...] = (3, 224, 224),
    test_kwargs: dict | None = None,
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering a model builder under ``name`` (default: the function's name).

    Raises:
        ValueError: If the name is already registered or ``task`` is unknown.
    """
    if task not in ("image", "text"):
        raise ValueError(f"task must be 'image' or 'text', got {task!r}")

    def decorator(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:  # a function, class or partial
        key = name or fn.__name__
        if key in _REGISTRY:
            raise ValueError(f"model {key!r} is already registered")
        _REGISTRY[key] = ModelEntry(key, fn, task, tuple(input_size), dict(test_kwargs or {}))
        return fn

    return decorator


def list_models(task: str | None = None) -> list[str]:
    """Sorted names of the registered models, optionally only those of one task (``"image"`` or ``"text"``)."""
    _import_families()
    return sorted(k for k, e in _REGISTRY.items() if task is None or e.task == task)


def get_model_entry(name: str) -> ModelEntry:
    """The registry entry of ``name``.

    Raises:
        ValueError: If no model of that name is registered (the message lists the known names).
    """
    _import_families()
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered models: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def create_model(name: str, **kwargs) -> nn.Module:
    """Build a registered model by name with exactly the keyword arguments given.

    ``None`` is passed on like any other value (``max_norm=None`` means "no constraint"); an argument that is not set
    is simply not given, so the builder's own default applies.

    Raises:
        ValueError: An unknown model, or an argument the builder does not take (named, with the valid ones listed).
    """
    entry = get_model_entry(name)
    valid = entry.arguments()
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in valid.values())
    unknown = sorted(set(kwargs) - set(valid))
    if unknown and not takes_any:
        raise ValueError(
            f"model {name!r} has no argument {unknown[0]!r}; its arguments are: {', '.join(sorted(valid))}"
        )
    return entry.builder(**kwargs)


def _import_families() -> None:
    """Import every model family so its builders register (explicit list, no module scanning)."""
    import textcnn.models  # noqa: F401  (the package __init__ imports each family file)
