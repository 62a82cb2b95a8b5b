"""Trainer callbacks: everything around the optimisation loop (progress, logs, checkpoints, early stopping).

A callback is any object with some of these methods; the :class:`~textcnn.training.trainer.Trainer` calls each one
that exists, in the order the callbacks were given:

* ``on_fit_start(trainer, state)``: before the first epoch (after a resumed state is loaded).
* ``on_epoch_start(trainer, state, num_batches)``: ``num_batches`` is ``None`` when the loader has no length.
* ``on_batch_end(trainer, state, step, totals)``: ``totals`` holds the epoch's running ``loss_sum`` (a 0-d tensor
  on the device: reading it waits for the device, so read it rarely), ``correct``, ``seen`` and ``labelled`` (the
  examples with a label: all but a distillation transfer set's augmented texts).
* ``on_epoch_end(trainer, state, record)``: ``record`` is the epoch's row (``epoch``, ``train_loss``,
  ``train_accuracy``, dev metrics, ``seconds`` ...) after the best-epoch bookkeeping; setting
  ``state.should_stop = True`` ends training after this epoch.
* ``on_fit_end(trainer, state)``: after the last epoch, before the best weights are restored.

``state`` is the :class:`TrainState`; ``trainer`` gives the model, optimiser, scheduler, config and ``out_dir``.
"""

from __future__ import annotations

import json
import math
import pickle
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from textcnn.utils.io import atomic_write, atomic_write_text

CHECKPOINT_NAME = "checkpoint.pt"
LOG_NAME = "train_log.jsonl"
#: tqdm's ``disable``: ``None`` shows bars only on a terminal (tests set ``False`` to force them on).
PROGRESS_DISABLE: bool | None = None
_POSTFIX_EVERY = 20  # steps between progress-bar loss updates (each one reads the loss from the device)


@dataclass
class TrainState:
    """Where a fit stands; saved in checkpoints so a resumed run continues exactly.

    Attributes:
        epoch: Epochs finished.
        best_metric: Best dev metric so far (``-inf`` before any dev evaluation).
        best_epoch: 1-based epoch of ``best_metric`` (the last epoch when there is no dev split).
        bad_epochs: Epochs since the dev metric last improved.
        history: One record per finished epoch.
        stopped_early: Whether a callback ended training.
        best_state: Weights of the best epoch (CPU tensors), or ``None``.
        should_stop: Set by a callback to end training after the current epoch.
    """

    epoch: int = 0
    best_metric: float = -math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False
    best_state: dict | None = None
    should_stop: bool = False

    def state_dict(self) -> dict:
        """Plain values and tensors only (loadable with ``torch.load(weights_only=True)``)."""
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.best_epoch = int(state["epoch"]), int(state["best_epoch"])
        self.best_metric, self.bad_epochs = float(state["best_metric"]), int(state["bad_epochs"])
        self.history, self.best_state = list(state["history"]), state["best_state"]
        self.stopped_early = bool(state.get("stopped_early", False))
        self.should_stop = self.stopped_early


class Checkpoint:
    """Writes ``out_dir/checkpoint.pt`` after every epoch (model, optimiser, scheduler, :class:`TrainState`) and,
    with ``resume=True``, continues from it. Loading uses ``torch.load(weights_only=True)``: no pickled code runs.
    ``write=False`` only reads (the ranks other than 0 of a distributed run)."""

    def __init__(self, out_dir: str | Path, resume: bool = False, write: bool = True) -> None:
        self.path = Path(out_dir) / CHECKPOINT_NAME
        self.resume = resume
        self.write = write

    def on_fit_start(self, trainer, state: TrainState) -> None:
        if not self.resume or not self.path.exists():
            return
        checkpoint = self._load()
        trainer.model.load_state_dict(checkpoint["model"])
        trainer.optimizer.load_state_dict(checkpoint["optimizer"])
        if trainer.scheduler is not None and checkpoint.get("scheduler") is not None:
            trainer.scheduler.load_state_dict(checkpoint["scheduler"])
        state.load_state_dict(checkpoint.get("state", checkpoint))  # older checkpoints kept the fields at the top

    def on_epoch_end(self, trainer, state: TrainState, record: dict) -> None:
        if not self.write:
            return
        payload = {
            "model": trainer.model.state_dict(),
            "optimizer": trainer.optimizer.state_dict(),
            "scheduler": trainer.scheduler.state_dict() if trainer.scheduler is not None else None,
            "state": state.state_dict(),
        }
        atomic_write(self.path, lambda p: torch.save(payload, p))

    def _load(self) -> dict:
        try:
            checkpoint = torch.load(self.path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise ValueError(
                f"cannot resume: checkpoint {self.path} holds objects other than tensors and plain values; refused, "
                f"since loading it could run code. Delete it to start the run over."
            ) from None
        except Exception as exc:  # noqa: BLE001 - any failure to read means the file is unusable
            raise ValueError(
                f"cannot resume: checkpoint {self.path} is unreadable ({exc.__class__.__name__}: {exc})"
            ) from exc
        return checkpoint


class JsonLinesLog:
    """``out_dir/train_log.jsonl``: one JSON object per epoch (rewritten from the state's history on a resume)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir) / LOG_NAME

    def on_fit_start(self, trainer, state: TrainState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, "".join(json.dumps(h) + "\n" for h in state.history))

    def on_epoch_end(self, trainer, state: TrainState, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


class EarlyStopping:
    """Ends training when the dev metric has not improved for ``patience`` epochs."""

    def __init__(self, patience: int) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience = patience

    def on_epoch_end(self, trainer, state: TrainState, record: dict) -> None:
        if "dev_accuracy" in record and state.bad_epochs >= self.patience:
            state.should_stop = True


class ProgressBar:
    """A tqdm bar over each epoch's batches (on a terminal only, unless :data:`PROGRESS_DISABLE` says otherwise),
    showing the running loss and examples per second; erased at the end of the epoch."""

    def __init__(self) -> None:
        self.bar = None
        self.start = 0.0

    def on_epoch_start(self, trainer, state: TrainState, num_batches: int | None) -> None:
        from tqdm.auto import tqdm

        desc = f"epoch {state.epoch + 1}/{trainer.config.epochs}"
        self.bar = tqdm(
            desc=desc, total=num_batches, leave=False, dynamic_ncols=True, unit="batch", disable=PROGRESS_DISABLE
        )
        self.start = time.perf_counter()

    def on_batch_end(self, trainer, state: TrainState, step: int, totals: dict) -> None:
        self.bar.update(1)
        if step % _POSTFIX_EVERY == 0 and not self.bar.disable:
            rate = totals["seen"] / max(time.perf_counter() - self.start, 1e-9)
            loss = float(totals["loss_sum"]) / max(totals["seen"], 1)
            self.bar.set_postfix(loss=f"{loss:.4f}", ex_per_s=f"{rate:.0f}", refresh=False)

    def on_epoch_end(self, trainer, state: TrainState, record: dict) -> None:
        self.bar.close()


class EpochLine:
    """One line per epoch through ``echo``: epoch, train loss and accuracy, dev metric, time, throughput, the best
    epoch so far and an estimate of the time left. Written to logs and CI as well as terminals."""

    def __init__(self, echo: Callable[[str], object]) -> None:
        self.echo = echo

    def on_epoch_end(self, trainer, state: TrainState, record: dict) -> None:
        total = trainer.config.epochs
        parts = [
            f"epoch {record['epoch']}/{total}",
            f"loss {record['train_loss']:.4f}",
            f"train acc {record['train_accuracy']:.4f}",
        ]
        if "dev_accuracy" in record:
            metric = record.get("dev_selection_metric", trainer.config.metric)  # multi-label runs record theirs
            parts.append(
                f"dev {metric} {record[f'dev_{metric}']:.4f} (best {state.best_metric:.4f} @ {state.best_epoch})"
            )
        parts.append(f"{record['seconds']:.1f}s, {record['examples_per_s']:.0f} ex/s")
        left = total - record["epoch"]
        if left > 0 and not state.should_stop:
            parts.append(f"ETA {_duration(left * record['seconds'])}")
        self.echo("  ".join(parts))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def call(callbacks: list, hook: str, *args) -> None:
    """Call ``hook(*args)`` on every callback that defines it, in order."""
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(*args)
