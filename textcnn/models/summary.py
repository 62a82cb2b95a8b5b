"""Layer-by-layer model summaries: output shapes, activations and parameters, as in the CNN lecture tables.

``summarize`` runs one forward pass (batch 1, eval mode, no gradients) with forward hooks and returns one
:class:`LayerRow` per layer; ``summary_totals`` adds them up and ``format_summary`` renders the table. A model built
on the ``meta`` device is summarised without allocating memory (``summarize_model`` does this for registered models).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "BYTES_PER_VALUE",
    "LayerRow",
    "SummaryTotals",
    "describe_model_dir",
    "format_summary",
    "parse_input_size",
    "summarize",
    "summarize_model",
    "summary_totals",
]

BYTES_PER_VALUE = 4  # float32, as in the lecture's memory column
_MAX_LABELS_SHOWN = 20  # labels listed by describe_model_dir before "... (N more)"
_PLAIN_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


@dataclass(frozen=True)
class LayerRow:
    """One row of a summary table.

    Attributes:
        name: Qualified module name (``"features.0.conv"``); ``"input"`` for the input row.
        type: Module class name.
        depth: Nesting depth among the rows (1 for top-level rows, 2 inside a block that has a row, ...; 0 for the
            input row and the model's own parameters).
        output_shape: Output shape without the batch axis, or ``None`` if the layer did not run (e.g. GoogLeNet's
            auxiliary heads, which run in training mode only).
        activations: Values in the output for one example (all output tensors together).
        params: Parameters owned by this module itself (not its children); counted once if a module runs twice.
        trainable_params: The part of ``params`` with ``requires_grad``.
        is_leaf: Whether the module has no children. Container rows (blocks such as ``BasicBlock`` or
            ``Inception``) show their output shape; their parameters are on their children's rows.
        in_place: Whether the output aliases the input (in-place activation, eval-mode dropout, a view).
    """

    name: str
    type: str
    depth: int
    output_shape: tuple[int, ...] | None
    activations: int
    params: int
    trainable_params: int
    is_leaf: bool
    in_place: bool = False

    @property
    def counted(self) -> bool:
        """Whether the row's activations count towards forward memory (a leaf that wrote new values)."""
        return self.is_leaf and not self.in_place and self.output_shape is not None


@dataclass(frozen=True)
class SummaryTotals:
    """Totals of a summary.

    Attributes:
        total_params: All parameters.
        trainable_params: Parameters with ``requires_grad``.
        input_values: Values in one input example.
        total_activations: Values written by leaf layers for one example (in-place outputs and views excluded).
    """

    total_params: int
    trainable_params: int
    input_values: int
    total_activations: int

    @property
    def forward_mb(self) -> float:
        """Forward-pass memory of one example at 4 bytes per value (input + activations), in MB (10^6 bytes)."""
        return (self.input_values + self.total_activations) * BYTES_PER_VALUE / 1e6


def _tensors(output: object) -> list[torch.Tensor]:
    """The tensors in a module output (a tensor, a tuple/list/NamedTuple or dict of them)."""
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in _tensors(item)]
    if isinstance(output, dict):
        return [t for item in output.values() for t in _tensors(item)]
    return []


def _aliases(out: torch.Tensor, inp: torch.Tensor | None) -> bool:
    """Whether ``out`` is ``inp`` or shares its memory (in-place op or view)."""
    if inp is None:
        return False
    if out is inp:
        return True
    if out.device.type == "meta" or inp.device.type == "meta":
        return False
    return out.untyped_storage().data_ptr() == inp.untyped_storage().data_ptr()


def _depth(name: str, shown: set[str]) -> int:
    """1 + the number of ancestors of ``name`` that have rows (plain containers are skipped)."""
    parts = name.split(".")
    return 1 + sum(".".join(parts[:i]) in shown for i in range(1, len(parts)))


def _example_input(
    model: nn.Module, input_size: tuple[int, ...], dtype: torch.dtype, device: torch.device, vocab_size: int | None
) -> torch.Tensor:
    """A batch of one: standard normal values, or token ids in ``[2, vocab_size)`` for integer dtypes."""
    if dtype.is_floating_point:
        return torch.randn((1, *input_size), dtype=dtype, device=device)
    if vocab_size is None:
        embeddings = [m for m in model.modules() if isinstance(m, nn.Embedding)]
        vocab_size = embeddings[0].num_embeddings if embeddings else getattr(model, "vocab_size", None)
        if vocab_size is None:
            raise ValueError("integer input needs vocab_size: the model has no nn.Embedding to take it from")
    if vocab_size <= 2:
        raise ValueError(f"vocab_size must be > 2 (ids 0 and 1 are reserved for <pad> and <unk>), got {vocab_size}")
    return torch.randint(2, vocab_size, (1, *input_size), dtype=dtype, device=device)


def summarize(
    model: nn.Module,
    input_size: tuple[int, ...],
    dtype: torch.dtype = torch.float32,
    vocab_size: int | None = None,
) -> list[LayerRow]:
    """Run one example through ``model`` and describe every layer.

    Rows follow the order in which modules run (a block before the layers inside it). Leaf modules and blocks
    (containers other than plain ``nn.Sequential``/``ModuleList``/``ModuleDict``) get rows; modules owning
    parameters that did not run are appended with ``output_shape=None``, so the ``params`` column always adds up to
    the model's parameter count. The model runs in eval mode under ``torch.no_grad()``; every module's mode is
    restored afterwards.

    Args:
        model: The model, on any device (``meta`` works and allocates nothing).
        input_size: Shape of one example without the batch axis: ``(C, H, W)`` for images, ``(T,)`` for text.
        dtype: Input dtype. Integer dtypes (``torch.long``) make token ids ``torch.randint(2, vocab_size, (1, T))``.
        vocab_size: Vocabulary size for token ids; by default the first ``nn.Embedding``'s ``num_embeddings``.

    Returns:
        The rows, starting with an ``"input"`` row.

    Raises:
        ValueError: If ``input_size`` has a non-positive entry, or token ids are needed but no vocabulary size is known.
    """
    input_size = tuple(int(s) for s in input_size)
    if not input_size or min(input_size) < 1:
        raise ValueError(f"input_size must be positive sizes without the batch axis, got {input_size}")
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    x = _example_input(model, input_size, dtype, device, vocab_size)

    rows: list[LayerRow | None] = [LayerRow("input", "Input", 0, input_size, math.prod(input_size), 0, 0, True)]
    inputs: dict[str, torch.Tensor] = {}
    if getattr(model, "needs_features", False):  # a contextual channel: encoder vectors beside the token ids
        inputs["features"] = torch.randn((1, *input_size, model.feature_dim), device=device)  # (1, T, H)
        shape = tuple(inputs["features"].shape[1:])
        rows.append(LayerRow("features", "Input", 0, shape, math.prod(shape), 0, 0, True))
    stack: list[int] = []
    seen: set[int] = set()
    handles = []

    def own_params(module: nn.Module) -> tuple[int, int]:
        if id(module) in seen:
            return 0, 0
        seen.add(id(module))
        params = list(module.parameters(recurse=False))
        return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)

    def make_hooks(name: str, module: nn.Module):
        depth = _depth(name, shown)
        is_leaf = next(module.children(), None) is None

        def pre_hook(_module: nn.Module, _args: tuple) -> None:
            stack.append(len(rows))
            rows.append(None)

        def hook(_module: nn.Module, args: tuple, output: object) -> None:
            index = stack.pop()
            outs = _tensors(output)
            inputs = _tensors(args)
            shape = tuple(outs[0].shape[1:]) if outs else ()
            params, trainable = own_params(module)
            in_place = bool(outs) and _aliases(outs[0], inputs[0] if inputs else None)
            acts = sum(t.numel() for t in outs)
            rows[index] = LayerRow(
                name, type(module).__name__, depth, shape, acts, params, trainable, is_leaf, in_place
            )

        return pre_hook, hook

    shown = {name for name, module in model.named_modules() if name and type(module) not in _PLAIN_CONTAINERS}
    for name, module in model.named_modules():
        if name not in shown:
            continue
        pre_hook, hook = make_hooks(name, module)
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(hook))

    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with torch.no_grad():
            model(x, **inputs)
    finally:
        for handle in handles:
            handle.remove()
        for m, training in modes:  # restore each module's own mode (e.g. a frozen batch norm stays in eval)
            m.training = training

    result = [row for row in rows if row is not None]
    for name, module in model.named_modules():
        if id(module) in seen or next(module.parameters(recurse=False), None) is None:
            continue
        params, trainable = own_params(module)
        is_leaf = next(module.children(), None) is None
        depth = _depth(name, shown) if name else 0
        result.append(LayerRow(name or "(model)", type(module).__name__, depth, None, 0, params, trainable, is_leaf))
    return result


def summary_totals(rows: list[LayerRow]) -> SummaryTotals:
    """Add up a summary's parameters and activations (see :class:`SummaryTotals`)."""
    return SummaryTotals(
        total_params=sum(r.params for r in rows),
        trainable_params=sum(r.trainable_params for r in rows),
        input_values=sum(r.activations for r in rows if r.name in ("input", "features") and r.depth == 0),
        total_activations=sum(r.activations for r in rows if r.counted and r.depth > 0),
    )


def format_summary(rows: list[LayerRow]) -> str:
    """Render summary rows as a text table followed by the totals.

    Activations in parentheses are not new memory (in-place outputs, views, and blocks whose values their layers
    already hold); ``-`` marks a layer that did not run in the eval-mode pass.
    """
    table = [("Layer", "Type", "Output shape", "Activations", "Params")]
    for r in rows:
        if r.output_shape is None:
            shape, acts = "-", "-"
        else:
            shape = "x".join(str(s) for s in r.output_shape) or "scalar"
            acts = f"{r.activations:,}" if r.counted or r.depth == 0 else f"({r.activations:,})"
        params = f"{r.params:,}" if r.is_leaf or r.params else ""
        table.append(("  " * max(r.depth - 1, 0) + r.name, r.type, shape, acts, params))
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    aligns = ("<", "<", ">", ">", ">")
    lines = ["  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(line, aligns, widths, strict=True)) for line in table]
    rule = "-" * len(lines[0])
    totals = summary_totals(rows)
    lines[1:1] = [rule]
    lines += [
        rule,
        f"Total params: {totals.total_params:,}",
        f"Trainable params: {totals.trainable_params:,}",
        f"Non-trainable params: {totals.total_params - totals.trainable_params:,}",
        f"Input values: {totals.input_values:,}",
        f"Activations (leaf layer outputs, one example): {totals.total_activations:,}",
        f"Forward memory (input + activations, {BYTES_PER_VALUE} bytes per value): {totals.forward_mb:,.2f} MB",
    ]
    return "\n".join(lines)


def parse_input_size(text: str) -> tuple[int, ...]:
    """Parse ``"3,224,224"`` (or ``"3x224x224"``) into ``(3, 224, 224)``.

    Raises:
        ValueError: If a part is not a positive integer.
    """
    parts = [p.strip() for p in text.replace("x", ",").split(",")]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"input size must be comma-separated positive integers like 3,224,224, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise ValueError(f"input size must be comma-separated positive integers like 3,224,224, got {text!r}")
    return sizes


def summarize_model(
    name: str,
    input_size: tuple[int, ...] | None = None,
    num_classes: int | None = None,
) -> list[LayerRow]:
    """Summarise a registered model at its registered input size (or ``input_size``).

    The model is built on the ``meta`` device (no memory, no initialisation cost); if a layer cannot run there it is
    rebuilt on the CPU. Text models get token ids (see :func:`summarize`).

    Args:
        name: Registry name, e.g. ``"vgg16"``.
        input_size: Example shape without batch; defaults to the registry entry's ``input_size``.
        num_classes: Passed to the builder; ``None`` keeps the model's default.

    Raises:
        ValueError: If the model is unknown, ``input_size`` has the wrong number of axes, or the input does not fit the
            model (e.g. too small for its pooling).
    """
    from textcnn.models import create_model, get_model_entry

    entry = get_model_entry(name)
    size = tuple(input_size) if input_size is not None else entry.input_size
    if len(size) != len(entry.input_size):
        raise ValueError(
            f"input size {size} for {name!r} needs {len(entry.input_size)} axes like {entry.input_size} (no batch axis)"
        )
    dtype = torch.long if entry.task == "text" else torch.float32
    kwargs = {} if num_classes is None else {"num_classes": num_classes}
    try:
        with torch.device("meta"):
            model = create_model(name, **kwargs)
        return summarize(model, size, dtype=dtype)
    except NotImplementedError:
        pass  # an op without a meta kernel: retry on the CPU
    except RuntimeError as err:
        if "meta" not in str(err).lower():  # a shape error (e.g. the input is too small), not a meta limitation
            raise ValueError(f"input size {size} does not fit model {name!r}: {err}") from err
    model = create_model(name, **kwargs)
    try:
        return summarize(model, size, dtype=dtype)
    except RuntimeError as err:
        raise ValueError(f"input size {size} does not fit model {name!r}: {err}") from err


def describe_model_dir(path: str | Path, input_size: tuple[int, ...] | None = None) -> str:
    """Describe a trained model directory: its model name and builder arguments, labels, ``max_len``, the dev/test
    accuracy of its ``metrics.json``, then the per-layer table of :func:`format_summary` for the saved model.

    Args:
        path: A model directory written by ``textcnn train`` or ``save_pretrained``.
        input_size: Example shape without batch; default: ``(max_len,)`` for a text model that has one, else the
            registered input size of the model.

    Raises:
        FileNotFoundError: If ``path`` is not a complete model directory (the missing file named).
        ValueError: If a file of it is corrupt, or the input does not fit the model.
    """
    from textcnn.classify.model_dir import build_model, read_model_dir
    from textcnn.models import get_model_entry

    files = read_model_dir(path)
    entry = get_model_entry(files.model_name)
    text = files.meta.get("task", entry.task) == "text"
    if input_size is not None:
        size, why = tuple(input_size), "--input-size"
    elif text and files.max_len is not None:
        size, why = (files.max_len,), "max_len"
    else:
        size, why = entry.input_size, "the model's registered input size"
    model = build_model(files, path)
    try:
        rows = summarize(model, size, dtype=torch.long if text else torch.float32)
    except RuntimeError as err:
        raise ValueError(f"input size {size} does not fit the model in {path}: {err}") from err
    header = _model_dir_header(path, files.model_name, files.model_kwargs, files.labels, files.max_len, files.metrics)
    shape = "x".join(str(s) for s in size) + (" tokens" if text else "")
    return "\n".join([*header, f"input: {shape} ({why})", "", format_summary(rows)])


def _model_dir_header(
    path: str | Path, name: str, kwargs: dict, labels: list, max_len: int | None, metrics: dict
) -> list[str]:
    """The lines above a model directory's layer table."""
    shown = ", ".join(str(label) for label in labels[:_MAX_LABELS_SHOWN])
    if len(labels) > _MAX_LABELS_SHOWN:
        shown += f", ... ({len(labels) - _MAX_LABELS_SHOWN} more)"
    return [
        f"model directory: {path}",
        f"model: {name}",
        "kwargs: " + ", ".join(f"{key}={value!r}" for key, value in kwargs.items()),
        f"labels ({len(labels)}): {shown}",
        f"max_len: {max_len} tokens" if max_len is not None else "max_len: none (no truncation)",
        f"metrics: {_metrics_headline(metrics)}",
    ]


def _metrics_headline(metrics: dict) -> str:
    """``dev accuracy 0.8123 (n=1101), test accuracy 0.8034 (n=2210), best epoch 4 of 9`` from a ``metrics.json``."""
    parts = []
    for split in ("dev", "test"):
        scores = metrics.get(split)
        if isinstance(scores, dict) and isinstance(scores.get("accuracy"), int | float):
            n = f" (n={scores['n']})" if isinstance(scores.get("n"), int) else ""
            parts.append(f"{split} accuracy {scores['accuracy']:.4f}{n}")
    best, run = metrics.get("best_epoch"), metrics.get("epochs_run")
    if isinstance(best, int) and isinstance(run, int):
        parts.append(f"best epoch {best} of {run}")
    return ", ".join(parts) or "none recorded"
