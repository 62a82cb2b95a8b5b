"""Dataclass configs from YAML: safe loading, type checks that name the dotted key, dotted overrides.

Nothing here knows about models or text; :mod:`textcnn.classify.config` composes the sections. A section class may
define ``from_mapping(data, prefix)`` / ``to_mapping()`` to read and write itself (the model section does: its keys
are the model builder's arguments, not dataclass fields).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from pathlib import Path

import yaml


def dataclass_from_dict(cls: type, data: dict | None, prefix: str = ""):
    """Build config dataclass ``cls`` from a plain dict, rejecting unknown keys and wrong types by dotted name.

    Raises:
        ValueError: An unknown key (named, with the known keys listed), a wrong type, or a value the dataclass
            refuses (its message prefixed with the section).
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        section = prefix.rstrip(".") or "<root>"
        raise ValueError(f"config section {section!r} must be a mapping, got {type(data).__name__}")
    if hasattr(cls, "from_mapping"):
        return cls.from_mapping(data, prefix)
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown config key {prefix + unknown[0]!r}; known keys here: {', '.join(sorted(names))}")
    kwargs = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = dataclass_from_dict(hint, value, f"{prefix}{key}.")
        else:
            kwargs[key] = check_type(value, hint, prefix + key)
    try:
        return cls(**kwargs)
    except ValueError as exc:
        message = str(exc)
        section = prefix.rstrip(".")
        raise ValueError(message if not section or message.startswith(section) else f"{section}: {message}") from None


def dataclass_to_dict(obj) -> dict:
    """The plain-dict form of a config dataclass (sections with ``to_mapping`` write themselves)."""
    if hasattr(obj, "to_mapping"):
        return obj.to_mapping()
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = dataclass_to_dict(value) if dataclasses.is_dataclass(value) else _plain(value)
    return out


def _plain(value):
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check_type(value, hint, key: str):
    """Return ``value`` (ints widened to floats where a float is expected, sequences as lists) or raise naming
    ``key``. Hints this checker does not know (a class, a callable) accept any value: the consumer checks it."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return check_type(value, option, key)
            except ValueError:
                pass
        raise _wrong_type(value, hint, key)
    if hint is type(None):
        ok = value is None
    elif hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        ok = False
    elif hint is str:
        ok = isinstance(value, str)
    elif origin in (list, tuple, collections.abc.Sequence) or hint in (list, tuple):
        if not isinstance(value, list | tuple):
            raise _wrong_type(value, hint, key)
        args = typing.get_args(hint)
        item = args[0] if args else typing.Any
        return [check_type(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    elif hint is dict or origin is dict:
        if isinstance(value, dict):
            return dict(value)
        ok = False
    else:  # typing.Any, classes, callables: not checked here
        return value
    if not ok:
        raise _wrong_type(value, hint, key)
    return value


def _wrong_type(value, hint, key: str) -> ValueError:
    return ValueError(
        f"config key {key!r} has the wrong type: got {value!r} ({type(value).__name__}), expected {type_name(hint)}"
    )


def type_name(hint) -> str:
    """A short name for a type hint (``int or null``)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if typing.get_origin(hint) in (list, tuple, collections.abc.Sequence):
        return "list"
    return getattr(hint, "__name__", str(hint))


def read_yaml_mapping(path: str | Path) -> dict:
    """A YAML file's top-level mapping, read with ``yaml.safe_load`` (no tags that build Python objects).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: On a YAML error (with its line) or a document that is not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not a valid YAML config: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config must be a mapping of sections, got {type(data).__name__}")
    return data


def apply_override(data: dict, item: str) -> None:
    """Apply one ``a.b=value`` override to a nested dict in place (the value is parsed as a YAML scalar or list)."""
    if "=" not in item:
        raise ValueError(f"override {item!r} must look like key.sub=value")
    key, raw = item.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ValueError(f"override {item!r}: value is not valid YAML ({exc})") from None
    set_dotted(data, key.strip(), value, what=f"override {item!r}")


def set_dotted(data: dict, key: str, value, what: str | None = None) -> None:
    """Set ``data[a][b] = value`` for ``key = "a.b"``, creating sections on the way.

    Raises:
        ValueError: An empty key part, or a part that is a value rather than a section.
    """
    what = what or f"key {key!r}"
    parts = key.split(".")
    if not all(parts):
        raise ValueError(f"{what} has an empty key part")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"{what}: {part!r} is not a section")
    node[parts[-1]] = value
