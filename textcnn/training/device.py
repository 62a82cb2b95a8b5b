"""Device selection and moving batches to it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else CPU; anything else is passed to ``torch.device``.

    Raises:
        ValueError: If CUDA is asked for but not available, or the name is not a device.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available here; use --device cpu or auto")
    return dev


def to_device(obj, device: torch.device):
    """Move a tensor, or the tensors inside a dict/list/tuple, to ``device`` (non-blocking from pinned memory)."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


def call_model(model: torch.nn.Module, inputs):
    """Call ``model`` with a batch's inputs: a dict becomes keyword arguments, anything else one argument."""
    return model(**inputs) if isinstance(inputs, dict) else model(inputs)


def auto_num_threads() -> int:
    """Threads for CPU work when none is asked for: half the usable cores, between 1 and 4.

    Kim-size CNNs run small kernels (batch 50, ~20 tokens) where extra OpenMP threads gain little, and on a machine
    whose cores are shared, oversubscribed threads cost a lot: on a 2-core machine with one other busy process, two
    torch threads ran a training epoch 5-14x slower than one (measured; see docs/benchmarks.md).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores // 2))


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Generator[int, None, None]:
    """Run a block with ``num_threads`` torch CPU threads (``None``: :func:`auto_num_threads`), then restore."""
    previous = torch.get_num_threads()
    wanted = auto_num_threads() if num_threads is None else num_threads
    if wanted < 1:
        raise ValueError(f"num_threads must be >= 1, got {wanted}")
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(previous)
