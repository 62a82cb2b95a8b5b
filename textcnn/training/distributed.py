"""Data-parallel training over several processes with ``torchrun`` (PyTorch DDP; Gloo on CPU, NCCL on GPU).

``torchrun --nproc-per-node N -m textcnn train ...`` starts N copies of ``textcnn train``; each reads the launcher's
environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``) and this module makes them one
run:

* :class:`DistributedBatchSampler` cuts each epoch's length-bucketed batches of the *global* batch
  (``train.batch_size`` x world size, the order depending only on ``(seed, epoch)``) into one disjoint share per
  rank, so a 2-process run with ``batch_size`` b sees, step for step, the batches a single process sees with
  ``batch_size`` 2b (the equivalence the tests check).
* :func:`wrap_model` wraps the model in ``DistributedDataParallel`` (gradients averaged across ranks); the trainer
  keeps and saves the unwrapped model.
* :func:`reduce_totals` sums the epoch's loss, correct predictions and examples over the ranks, so every rank logs the
  global training metrics.
* Dev evaluation runs on every rank over the whole dev set (the weights are identical on every rank, so is the
  result: no reduction, and every rank takes the same best-epoch and early-stopping decisions).
* Only rank 0 (:func:`is_main`) prints, writes the checkpoint, the log and the model directory; every rank reads the
  checkpoint on a resume.

A rank that dies makes the others fail instead of hanging: the process group is created with a finite timeout
(:data:`TIMEOUT_ENV`, default :data:`DEFAULT_TIMEOUT_S` seconds) and Gloo reports a closed peer at once.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import torch
from torch import distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Sampler

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "TIMEOUT_ENV",
    "DistributedBatchSampler",
    "init_from_env",
    "is_distributed",
    "is_main",
    "rank_and_world",
    "rank_device",
    "reduce_totals",
    "shard_train_loader",
    "wrap_model",
]

#: Environment variable: seconds a collective may wait for the other ranks before the run fails.
TIMEOUT_ENV = "TEXTCNN_DIST_TIMEOUT"
#: Default of :data:`TIMEOUT_ENV` (long enough for a slow dev evaluation on rank 0, short enough not to hang a job).
DEFAULT_TIMEOUT_S = 600


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process: from the process group when there is one, else from the launcher's
    ``RANK``/``WORLD_SIZE`` environment, else ``(0, 1)``.

    Raises:
        ValueError: ``RANK``/``WORLD_SIZE`` are not integers or the rank is out of range.
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    raw_rank, raw_world = os.environ.get("RANK", "0"), os.environ.get("WORLD_SIZE", "1")
    try:
        rank, world = int(raw_rank), int(raw_world)
    except ValueError:
        raise ValueError(f"RANK={raw_rank!r} and WORLD_SIZE={raw_world!r} must be integers") from None
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"RANK={rank} must be in [0, WORLD_SIZE={world})")
    return rank, world


def is_distributed() -> bool:
    """Whether this process is one of several (launched by ``torchrun`` with more than one process)."""
    return rank_and_world()[1] > 1


def is_main() -> bool:
    """Whether this process prints and writes files: rank 0, or the only process."""
    return rank_and_world()[0] == 0


def timeout_seconds() -> float:
    """The collective timeout from :data:`TIMEOUT_ENV` (default :data:`DEFAULT_TIMEOUT_S`).

    Raises:
        ValueError: The variable is not a positive number.
    """
    raw = os.environ.get(TIMEOUT_ENV, str(DEFAULT_TIMEOUT_S))
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{TIMEOUT_ENV}={raw!r} must be a positive number of seconds")
    return seconds


def rank_device(device: torch.device) -> torch.device:
    """The device of this rank: ``cuda:LOCAL_RANK`` for a CUDA run with several processes, else ``device``."""
    if device.type != "cuda" or not is_distributed():
        return device
    local = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.cuda.set_device(local)
    return local


def init_from_env(device: torch.device) -> bool:
    """Create the process group from the launcher's environment when there are several processes and none exists
    yet: NCCL for a CUDA device, Gloo otherwise, with the :func:`timeout_seconds` timeout. The group is destroyed
    when the process exits. Returns whether this process is part of a distributed run."""
    if not is_distributed():
        return False
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, init_method="env://", timeout=timedelta(seconds=timeout_seconds()))
        atexit.register(_destroy)
    return True


def _destroy() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap_model(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` in ``DistributedDataParallel`` for a distributed run (creating the process group if needed), else
    ``model`` itself. The wrapper is only for the forward/backward pass: save and evaluate ``model``."""
    if not init_from_env(device):
        return model
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


#: The epoch's counts that :func:`reduce_totals` sums (besides ``loss_sum``): see ``Trainer.train_epoch``.
COUNT_KEYS = ("correct", "seen", "labelled")


def reduce_totals(totals: dict, device: torch.device) -> dict:
    """The epoch's ``loss_sum`` and counts (``correct``, ``seen``, ``labelled``) summed over the ranks (unchanged for
    a single process)."""
    if not (dist.is_available() and dist.is_initialized()):
        return totals
    keys = ("loss_sum", *COUNT_KEYS)
    packed = torch.stack([torch.as_tensor(totals[k], dtype=torch.float64, device=device) for k in keys])  # (4,)
    dist.all_reduce(packed, op=dist.ReduceOp.SUM)
    loss_sum, *counts = packed.tolist()
    summed = {k: int(round(v)) for k, v in zip(COUNT_KEYS, counts, strict=True)}
    return {**totals, "loss_sum": torch.tensor(loss_sum), **summed}


class DistributedBatchSampler(Sampler[list[int]]):
    """This rank's share of the global batches of ``base``, a batch sampler with ``set_epoch`` that yields batches of
    the global size (e.g. :class:`~textcnn.data.batching.BucketBatchSampler` with ``batch_size`` x world size).

    Every global batch is split into ``world_size`` contiguous chunks of (nearly) equal size and rank ``r`` takes
    chunk ``r``: the shares are disjoint, cover each epoch once, keep the length bucketing, and depend only on
    ``base``'s ``(seed, epoch)``. Every rank takes the same number of steps (one per global batch); a global batch
    smaller than the world size is padded by repeating its examples, so no rank gets an empty batch.

    Args:
        base: Batch sampler of global batches.
        rank: This process's rank.
        world_size: Number of processes.

    Raises:
        ValueError: ``world_size < 1`` or ``rank`` outside ``[0, world_size)``.
    """

    def __init__(self, base: Sampler, rank: int, world_size: int) -> None:
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} must be in [0, world_size={world_size}) and world_size >= 1")
        self.base, self.rank, self.world_size = base, rank, world_size

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` for the next pass (forwarded to ``base``)."""
        self.base.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.base)

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.base:
            if len(batch) < self.world_size:  # pad by repetition: every rank needs at least one example
                batch = [batch[i % len(batch)] for i in range(self.world_size)]
            yield np.array_split(np.asarray(batch), self.world_size)[self.rank].tolist()


def shard_train_loader(loader: DataLoader, *, batch_size: int, seed: int, bucket: bool) -> DataLoader:
    """In a distributed run, a loader over ``loader``'s dataset that yields this rank's share of global batches of
    ``batch_size`` x world size (:class:`DistributedBatchSampler`); for a single process, ``loader`` itself.

    With ``bucket`` the global batches are those of a shuffled :class:`~textcnn.data.batching.BucketBatchSampler`
    (the same as a single process with the global batch size); without, random global batches (a bucket the size of
    one batch: no length sorting across batches).
    """
    rank, world = rank_and_world()
    if world == 1:
        return loader
    from textcnn.data.batching import BucketBatchSampler

    dataset = loader.dataset
    global_batch = batch_size * world
    bucket_size = None if bucket else global_batch
    base = BucketBatchSampler(dataset.lengths, global_batch, shuffle=True, seed=seed, bucket_size=bucket_size)
    sampler = DistributedBatchSampler(base, rank, world)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=loader.collate_fn, pin_memory=loader.pin_memory)
