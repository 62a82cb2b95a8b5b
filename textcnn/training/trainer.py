"""One trainer for every model in textcnn (text and image): it knows nothing about the model it trains.

A loader yields ``(inputs, labels)`` where ``inputs`` is a tensor (passed as one argument) or a dict of tensors
(passed as keyword arguments). A model output that is a tuple is read as ``(main_logits, *aux_logits)`` in training
(GoogLeNet's auxiliary classifiers); in evaluation the model returns the main logits.
"""

from __future__ import annotations

import json
import math
import pickle
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from textcnn.layers import apply_constraints
from textcnn.training.config import TrainConfig
from textcnn.training.device import call_model, drop_full_mask, resolve_device, to_device, torch_threads
from textcnn.training.metrics import classification_metrics
from textcnn.training.optim import LazyAdadelta, sparse_embedding_grads
from textcnn.utils.io import atomic_write, atomic_write_text

CHECKPOINT_NAME = "checkpoint.pt"
#: tqdm's ``disable``: ``None`` shows bars only on a terminal (tests set ``False`` to force them on).
PROGRESS_DISABLE: bool | None = None
LOG_NAME = "train_log.jsonl"


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns.

    Attributes:
        best_epoch: 1-based epoch whose weights the model holds at the end (the last epoch when there is no dev).
        best_metric: Dev metric of that epoch (``nan`` without dev).
        epochs_run: Epochs trained, including those of an interrupted run that was resumed.
        history: One dict per epoch, as written to the JSON-lines log.
        stopped_early: Whether early stopping ended training.
    """

    best_epoch: int
    best_metric: float
    epochs_run: int
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False


def build_optimizer(params: Iterable[nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser named by ``config.optimizer`` over the trainable ``params`` (Adadelta: :class:`LazyAdadelta`,
    which also takes the sparse gradients of embedding tables)."""
    params = [p for p in params if p.requires_grad]
    if config.optimizer == "adadelta":
        return LazyAdadelta(params, lr=config.lr, rho=config.rho, eps=config.eps, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, eps=config.eps, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, eps=config.eps, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)


def _build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig):
    if config.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    if config.scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.step_size, gamma=0.1)
    return None


def classification_loss(output, labels: torch.Tensor, aux_weight: float = 0.3) -> torch.Tensor:
    """Cross-entropy of the main logits plus ``aux_weight`` times that of each auxiliary output."""
    if isinstance(output, tuple):
        main, *aux = output
        loss = F.cross_entropy(main.float(), labels)
        for extra in aux:
            if extra is not None:
                loss = loss + aux_weight * F.cross_entropy(extra.float(), labels)
        return loss
    return F.cross_entropy(output.float(), labels)


_POSTFIX_EVERY = 20  # steps between progress-bar loss updates (each one reads the loss from the device)


def _main_logits(output) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output


def _autocast(device: torch.device, amp: bool):
    enabled = amp and device.type == "cuda"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    loader: Iterable,
    device: torch.device | str = "cpu",
    amp: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Run ``model`` over ``loader`` in eval mode.

    Returns:
        ``(logits (N, C) float32 on CPU, labels (N,) or None when the loader has no labels)``, in loader order.
    """
    device = resolve_device(device)
    model.eval()
    all_logits, all_labels = [], []
    for inputs, labels in loader:
        with _autocast(device, amp):
            out = _main_logits(call_model(model, to_device(drop_full_mask(inputs, device), device)))
        all_logits.append(out.float())  # stays on the device: one copy at the end, no host sync per batch
        if labels is not None:
            all_labels.append(labels)
    logits = torch.cat(all_logits).cpu() if all_logits else torch.empty(0, 0)
    return logits, (torch.cat(all_labels) if all_labels else None)


def evaluate_model(
    model: nn.Module, loader: Iterable, label_names: Sequence[str], device: torch.device | str = "cpu", amp: bool = True
) -> dict:
    """Metrics (see :func:`classification_metrics`) of ``model`` on a labelled loader."""
    logits, labels = predict_logits(model, loader, device, amp)
    if labels is None:
        raise ValueError("evaluation needs labels, but the loader yields none")
    return classification_metrics(labels.tolist(), logits.argmax(dim=1).tolist(), label_names)


class Trainer:
    """Trains any classifier ``nn.Module`` with early stopping on a dev split, checkpoints and resume.

    Args:
        model: The model; it is trained in place and holds the best weights after :meth:`fit`.
        config: How to train.
        label_names: Class names (for metrics); defaults to ``"0" .. "C-1"`` inferred from the first batch.
        out_dir: Where the per-epoch JSON-lines log and the resumable checkpoint go; ``None`` writes nothing.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        label_names: Sequence[str] | None = None,
        out_dir: str | Path | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.label_names = list(label_names) if label_names is not None else None
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.device = resolve_device(config.device)
        self.model.to(self.device)
        self.optimizer = build_optimizer(self.model.parameters(), config)
        self.scheduler = _build_scheduler(self.optimizer, config)
        self._forward = torch.compile(self.model) if config.compile else self.model

    # ------------------------------------------------------------------ checkpoints
    def _save_checkpoint(self, state: dict) -> None:
        if self.out_dir is None:
            return
        atomic_write(self.out_dir / CHECKPOINT_NAME, lambda p: torch.save(state, p))

    def _load_checkpoint(self) -> dict | None:
        path = self.out_dir / CHECKPOINT_NAME if self.out_dir is not None else None
        if path is None or not path.exists():
            return None
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise ValueError(
                f"cannot resume: checkpoint {path} holds objects other than tensors and plain values; refused, "
                f"since loading it could run code. Delete it to start the run over."
            ) from None
        except Exception as exc:  # noqa: BLE001 - any failure to read means the file is unusable
            raise ValueError(
                f"cannot resume: checkpoint {path} is unreadable ({exc.__class__.__name__}: {exc})"
            ) from exc

    # ------------------------------------------------------------------ training
    def fit(self, train_loader: Iterable, dev_loader: Iterable | None = None, resume: bool = False) -> FitResult:
        """Train for ``config.epochs`` epochs (or until early stopping) and keep the best dev epoch's weights.

        Args:
            train_loader: Yields ``(inputs, labels)``; if it (or its sampler) has ``set_epoch``, it is called with
                the epoch so shuffling depends only on ``(seed, epoch)``.
            dev_loader: Labelled loader for model selection and early stopping, or ``None``.
            resume: Continue from ``out_dir/checkpoint.pt`` when it exists (after a crash or kill); the result is
                the same as an uninterrupted run with the same seed (on CPU).
        """
        with torch_threads(self.config.num_threads):
            return self._fit(train_loader, dev_loader, resume)

    def _sparse_rows(self) -> bool:
        """Whether embedding tables can train with sparse gradients: on CPU, when the optimiser takes them and
        nothing needs the dense gradient (weight decay, gradient clipping, ``torch.compile``). On a GPU the dense
        update of a whole table is one cheap kernel, and coalescing a sparse gradient waits for the device (an MR
        non-static epoch on an H200 took 0.68-0.77 s dense vs 0.79-0.86 s sparse; see docs/speed.md)."""
        cfg = self.config
        return (
            self.device.type == "cpu"
            and isinstance(self.optimizer, LazyAdadelta)
            and cfg.weight_decay == 0
            and cfg.grad_clip is None
            and not cfg.compile
        )

    def _fit(self, train_loader: Iterable, dev_loader: Iterable | None, resume: bool) -> FitResult:
        cfg = self.config
        history: list[dict] = []
        start_epoch, best_metric, best_epoch, bad_epochs, best_state = 0, -math.inf, 0, 0, None
        checkpoint = self._load_checkpoint() if resume else None
        if checkpoint is not None:
            self.model.load_state_dict(checkpoint["model"])
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            if self.scheduler is not None and checkpoint.get("scheduler") is not None:
                self.scheduler.load_state_dict(checkpoint["scheduler"])
            start_epoch = int(checkpoint["epoch"])
            best_metric, best_epoch = float(checkpoint["best_metric"]), int(checkpoint["best_epoch"])
            bad_epochs, best_state, history = (
                int(checkpoint["bad_epochs"]),
                checkpoint["best_state"],
                list(checkpoint["history"]),
            )
            if checkpoint.get("stopped_early"):
                start_epoch = cfg.epochs
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.out_dir / LOG_NAME, "".join(json.dumps(h) + "\n" for h in history))

        stopped_early = bool(checkpoint.get("stopped_early")) if checkpoint else False
        for epoch in range(start_epoch, cfg.epochs):
            record = self._train_epoch(train_loader, epoch)
            if dev_loader is not None:
                dev = evaluate_model(self.model, dev_loader, self._names(), self.device, cfg.amp)
                record.update(dev_accuracy=dev["accuracy"], dev_macro_f1=dev["macro_f1"])
                metric = dev[cfg.metric]
                if metric > best_metric:
                    best_metric, best_epoch, bad_epochs = metric, epoch + 1, 0
                    best_state = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
                else:
                    bad_epochs += 1
                stopped_early = cfg.early_stopping is not None and bad_epochs >= cfg.early_stopping
            else:
                best_epoch = epoch + 1
            if self.scheduler is not None:
                self.scheduler.step()
            history.append(record)
            self._log(record)
            self._save_checkpoint(
                {
                    "model": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                    "epoch": epoch + 1,
                    "best_metric": best_metric,
                    "best_epoch": best_epoch,
                    "bad_epochs": bad_epochs,
                    "best_state": best_state,
                    "history": history,
                    "stopped_early": stopped_early,
                }
            )
            if stopped_early:
                break
        if best_state is not None:
            self.model.load_state_dict(best_state)
        return FitResult(
            best_epoch, best_metric if dev_loader is not None else float("nan"), len(history), history, stopped_early
        )

    def _names(self) -> list[str]:
        if self.label_names is None:
            raise ValueError("label_names are needed to evaluate; pass them to Trainer(...)")
        return self.label_names

    def _train_epoch(self, loader: Iterable, epoch: int) -> dict:
        cfg = self.config
        for target in (loader, getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
            if hasattr(target, "set_epoch"):
                target.set_epoch(epoch)
                break
        self.model.train()
        # Every random draw of the epoch (shuffling, dropout) depends only on (seed, epoch): resume is exact. The
        # progress bar wraps the loader's iterator, not the loader: tqdm wrapping a DataLoader draws once more from
        # the global generator, which made results depend on whether progress bars were shown.
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        batches = iter(loader)
        # loss and correct counts are summed on the device and read once per epoch (and at progress updates):
        # reading them every step would make the host wait for the GPU at every batch
        total_loss, total_correct, seen, start = torch.zeros((), device=self.device), 0, 0, time.perf_counter()
        bar = _progress(
            batches,
            len(loader) if hasattr(loader, "__len__") else None,
            f"epoch {epoch + 1}/{cfg.epochs}",
            cfg.progress,
        )
        with sparse_embedding_grads([self.model], self._sparse_rows()):
            for step, (inputs, labels) in enumerate(bar):
                loss_sum, correct, n = self._train_step(inputs, labels)
                total_loss, total_correct, seen = total_loss + loss_sum, total_correct + correct, seen + n
                if hasattr(bar, "set_postfix") and step % _POSTFIX_EVERY == 0:
                    elapsed = max(time.perf_counter() - start, 1e-9)
                    loss_now = float(total_loss) / seen
                    bar.set_postfix(loss=f"{loss_now:.4f}", ex_per_s=f"{seen / elapsed:.0f}", refresh=False)
        seconds = time.perf_counter() - start
        return {
            "epoch": epoch + 1,
            "train_loss": float(total_loss) / max(seen, 1),
            "train_accuracy": int(total_correct) / max(seen, 1),
            "seconds": seconds,
            "examples_per_s": seen / max(seconds, 1e-9),
            "lr": self.optimizer.param_groups[0]["lr"],
        }

    def _train_step(self, inputs, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """One optimisation step; returns the batch's ``(loss sum, correct predictions, examples)``, the first two
        as 0-d tensors on the device (not read here, so that the step does not wait for the GPU)."""
        cfg = self.config
        inputs = to_device(drop_full_mask(inputs, self.device), self.device)
        labels = labels.to(self.device, non_blocking=True)
        with _autocast(self.device, cfg.amp):
            output = call_model(self._forward, inputs)
        loss = classification_loss(output, labels, cfg.aux_weight)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        apply_constraints(self.model)
        n = labels.shape[0]
        return loss.detach() * n, (_main_logits(output).argmax(dim=1) == labels).sum(), n

    def _log(self, record: dict) -> None:
        if self.out_dir is not None:
            with open(self.out_dir / LOG_NAME, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")

    def evaluate(self, loader: Iterable, label_names: Sequence[str] | None = None) -> dict:
        """Metrics of the current model on a labelled loader."""
        names = list(label_names) if label_names is not None else self._names()
        return evaluate_model(self.model, loader, names, self.device, self.config.amp)


def _progress(batches, total: int | None, desc: str, enabled: bool):
    """Wrap an iterator of batches in a progress bar (only on a terminal)."""
    if not enabled:
        return batches
    from tqdm.auto import tqdm

    return tqdm(
        batches, desc=desc, total=total, leave=False, dynamic_ncols=True, unit="batch", disable=PROGRESS_DISABLE
    )
