"""One trainer for every model in textcnn (text and image): it knows nothing about the model it trains.

A loader yields ``(inputs, labels)`` where ``inputs`` is a tensor (passed as one argument) or a dict of tensors
(passed as keyword arguments). A model output that is a tuple is read as ``(main_logits, *aux_logits)`` in training
(GoogLeNet's auxiliary classifiers); in evaluation the model returns the main logits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from textcnn.layers import apply_constraints
from textcnn.training import distributed
from textcnn.training.callbacks import (
    CHECKPOINT_NAME,
    LOG_NAME,
    Checkpoint,
    EarlyStopping,
    JsonLinesLog,
    ProgressBar,
    TrainState,
    call,
)
from textcnn.training.config import TrainConfig
from textcnn.training.device import call_model, resolve_device, to_device, torch_threads
from textcnn.training.metrics import classification_metrics
from textcnn.training.optim import LazyAdadelta, sparse_embedding_grads

__all__ = [
    "CHECKPOINT_NAME",
    "LOG_NAME",
    "FitResult",
    "Trainer",
    "class_weights_for",
    "evaluate_model",
    "predict_logits",
]


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


def classification_loss(
    output, labels: torch.Tensor, aux_weight: float = 0.3, class_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of the main logits plus ``aux_weight`` times that of each auxiliary output; ``class_weights``
    ``(C,)`` weight each example by its class (the weighted mean, as ``F.cross_entropy`` computes it). Multi-hot
    ``(B, C)`` labels (multi-label) take binary cross-entropy on the logits instead (one sigmoid per label; class
    weights do not apply)."""
    if isinstance(output, tuple):
        main, *aux = output
        loss = _loss(main, labels, class_weights)
        for extra in aux:
            if extra is not None:
                loss = loss + aux_weight * _loss(extra, labels, class_weights)
        return loss
    return _loss(output, labels, class_weights)


def _loss(logits: torch.Tensor, labels: torch.Tensor, class_weights: torch.Tensor | None) -> torch.Tensor:
    if is_multi_hot(labels):
        return F.binary_cross_entropy_with_logits(logits.float(), labels.float())  # (B, C) targets
    return F.cross_entropy(logits.float(), labels, weight=class_weights)


def is_multi_hot(labels: torch.Tensor) -> bool:
    """Whether a batch's labels are multi-hot rows ``(B, C)`` (multi-label) rather than class ids ``(B,)``."""
    return labels.dim() == 2


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
            out = _main_logits(call_model(model, to_device(inputs, device)))
        all_logits.append(out.float())  # stays on the device: one copy at the end, no host sync per batch
        if labels is not None:
            all_labels.append(labels)
    logits = torch.cat(all_logits).cpu() if all_logits else torch.empty(0, 0)
    return logits, (torch.cat(all_labels) if all_labels else None)


def evaluate_model(
    model: nn.Module, loader: Iterable, label_names: Sequence[str], device: torch.device | str = "cpu", amp: bool = True
) -> dict:
    """Metrics (see :func:`classification_metrics`) of ``model`` on a labelled loader; for multi-hot labels those of
    :func:`textcnn.classify.multilabel.multilabel_metrics` with every threshold at 0.5."""
    logits, labels = predict_logits(model, loader, device, amp)
    if labels is None:
        raise ValueError("evaluation needs labels, but the loader yields none")
    if is_multi_hot(labels):
        from textcnn.classify.multilabel import DEFAULT_THRESHOLD, multilabel_metrics

        return multilabel_metrics(labels.numpy(), torch.sigmoid(logits).numpy(), label_names, DEFAULT_THRESHOLD)
    return classification_metrics(labels.tolist(), logits.argmax(dim=1).tolist(), label_names)


def class_weights_for(
    class_weight: str | dict | None, labels: Sequence[int], label_names: Sequence
) -> torch.Tensor | None:
    """The ``(C,)`` loss weights that ``TrainConfig.class_weight`` asks for, from the training labels.

    ``balanced`` gives ``n / (C * n_c)`` (scikit-learn's rule; a class absent from ``labels`` gets 1); a mapping
    weights the named labels and leaves the others at 1.

    Raises:
        ValueError: A mapping names a label that is not one of ``label_names``.
    """
    if class_weight is None:
        return None
    names = [str(n) for n in label_names]
    if class_weight == "balanced":
        counts = torch.bincount(torch.as_tensor(list(labels), dtype=torch.long), minlength=len(names)).double()
        weights = torch.where(counts > 0, counts.sum() / (len(names) * counts.clamp_min(1)), torch.ones_like(counts))
        return weights.float()
    unknown = sorted(str(k) for k in class_weight if str(k) not in names)
    if unknown:
        raise ValueError(f"train.class_weight names {unknown[0]!r}, which is not a label; labels: {', '.join(names)}")
    given = {str(k): float(v) for k, v in class_weight.items()}
    return torch.tensor([given.get(n, 1.0) for n in names], dtype=torch.float32)


class Trainer:
    """Trains any classifier ``nn.Module``, keeping the weights of the best dev epoch.

    What happens around the loop is done by callbacks (see :mod:`textcnn.training.callbacks`): by default a progress
    bar (``config.progress``), early stopping (``config.early_stopping``) and, with an ``out_dir``, a JSON-lines log
    and a resumable checkpoint. ``callbacks`` adds more, called after those.

    Args:
        model: The model; it is trained in place and holds the best weights after :meth:`fit`.
        config: How to train.
        label_names: Class names (for metrics); needed when there is a dev loader.
        out_dir: Where the per-epoch JSON-lines log and the resumable checkpoint go; ``None`` writes nothing.
        callbacks: More callbacks (objects with some of the hook methods).
        class_weights: ``(C,)`` weights of the classes in the loss (see :func:`class_weights_for`), or ``None``.
        loss_fn: ``loss_fn(output, targets) -> loss`` replacing :func:`classification_loss` (distillation: see
            :mod:`textcnn.distill.student`); the loader's targets may then be a dict whose ``labels`` (B,) are the
            class ids, -1 for an example without one (left out of the training accuracy).
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        label_names: Sequence[str] | None = None,
        out_dir: str | Path | None = None,
        callbacks: Sequence[object] = (),
        class_weights: torch.Tensor | None = None,
        loss_fn: Callable | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.label_names = list(label_names) if label_names is not None else None
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.device = distributed.rank_device(resolve_device(config.device))  # cuda:LOCAL_RANK under torchrun
        self.model.to(self.device)
        self.class_weights = None if class_weights is None else class_weights.float().to(self.device)
        self.loss_fn = loss_fn
        self.optimizer = build_optimizer(self.model.parameters(), config)
        self.scheduler = _build_scheduler(self.optimizer, config)
        forward = distributed.wrap_model(self.model, self.device)  # DDP under torchrun; self.model is saved
        self._forward = torch.compile(forward) if config.compile else forward
        self.extra_callbacks = list(callbacks)
        self.state = TrainState()

    def default_callbacks(self, resume: bool) -> list[object]:
        """The callbacks the config asks for (progress bar, early stopping, log and checkpoint in ``out_dir``)."""
        out: list[object] = []
        main = distributed.is_main()  # under torchrun only rank 0 prints and writes; every rank reads a checkpoint
        if self.config.progress and main:
            out.append(ProgressBar())
        if self.config.early_stopping is not None:
            out.append(EarlyStopping(self.config.early_stopping))
        if self.out_dir is not None:
            out.append(Checkpoint(self.out_dir, resume=resume, write=main))
            out += [JsonLinesLog(self.out_dir)] if main else []
        return out

    # ------------------------------------------------------------------ training
    def fit(self, train_loader: Iterable, dev_loader: Iterable | None = None, resume: bool = False) -> FitResult:
        """Train for ``config.epochs`` epochs (or until a callback stops it) and keep the best dev epoch's weights.

        Args:
            train_loader: Yields ``(inputs, labels)``; if it (or its sampler) has ``set_epoch``, it is called with
                the epoch so shuffling depends only on ``(seed, epoch)``.
            dev_loader: Labelled loader for model selection and early stopping, or ``None``.
            resume: Continue from ``out_dir/checkpoint.pt`` when it exists (after a crash or kill); the result is
                the same as an uninterrupted run with the same seed (on CPU).
        """
        from textcnn.training.memory import fix_mmap_threshold

        fix_mmap_threshold()  # glibc: memory stays flat over the steps (see textcnn.training.memory)
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
            and not distributed.is_distributed()  # DDP fixes dense/sparse gradients when it wraps the model
        )

    def _fit(self, train_loader: Iterable, dev_loader: Iterable | None, resume: bool) -> FitResult:
        callbacks = [*self.default_callbacks(resume), *self.extra_callbacks]
        state = self.state = TrainState()
        call(callbacks, "on_fit_start", self, state)
        while state.epoch < self.config.epochs and not state.should_stop:
            record = self.train_epoch(train_loader, callbacks)
            if dev_loader is not None:
                self._select(
                    record, evaluate_model(self.model, dev_loader, self._names(), self.device, self.config.amp)
                )
            else:
                state.best_epoch = state.epoch + 1
            if self.scheduler is not None:
                self.scheduler.step()
            state.epoch += 1
            state.history.append(record)
            call(callbacks, "on_epoch_end", self, state, record)
            state.stopped_early = state.should_stop
        call(callbacks, "on_fit_end", self, state)
        if state.best_state is not None:
            self.model.load_state_dict(state.best_state)
        best = state.best_metric if dev_loader is not None else float("nan")
        return FitResult(state.best_epoch, best, len(state.history), state.history, state.stopped_early)

    def _select(self, record: dict, dev: dict) -> None:
        """Add the dev metrics to the epoch's record and keep the weights when the metric improved."""
        state = self.state
        record.update(dev_accuracy=dev["accuracy"], dev_macro_f1=dev["macro_f1"])
        key = self.config.metric
        if dev.get("multi_label"):
            from textcnn.classify.multilabel import selection_metric

            key = selection_metric(key)
            record.update(dev_micro_f1=dev["micro_f1"], dev_selection_metric=key)
        metric = dev[key]
        if metric > state.best_metric:
            state.best_metric, state.best_epoch, state.bad_epochs = metric, state.epoch + 1, 0
            state.best_state = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
        else:
            state.bad_epochs += 1

    def _names(self) -> list[str]:
        if self.label_names is None:
            raise ValueError("label_names are needed to evaluate; pass them to Trainer(...)")
        return self.label_names

    def train_epoch(self, loader: Iterable, callbacks: Sequence[object] = ()) -> dict:
        """One pass over ``loader`` (epoch ``state.epoch``); returns the epoch's record (loss, accuracy, time)."""
        cfg, epoch = self.config, self.state.epoch
        for target in (loader, getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
            if hasattr(target, "set_epoch"):
                target.set_epoch(epoch)
                break
        self.model.train()
        # Every random draw of the epoch (shuffling, dropout) depends only on (seed, epoch): resume is exact.
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        # loss and correct counts are summed on the device and read once per epoch (callbacks may read them more
        # often): reading them every step would make the host wait for the GPU at every batch
        totals = {"loss_sum": torch.zeros((), device=self.device), "correct": 0, "seen": 0, "labelled": 0}
        start = time.perf_counter()
        call(callbacks, "on_epoch_start", self, self.state, len(loader) if hasattr(loader, "__len__") else None)
        with sparse_embedding_grads([self.model], self._sparse_rows()):
            for step, (inputs, labels) in enumerate(loader):
                loss_sum, correct, n, labelled = self._train_step(inputs, labels)
                totals["loss_sum"] = totals["loss_sum"] + loss_sum
                totals["correct"] = totals["correct"] + correct
                totals["seen"] += n
                totals["labelled"] += labelled
                call(callbacks, "on_batch_end", self, self.state, step, totals)
        totals = distributed.reduce_totals(totals, self.device)  # summed over ranks under torchrun
        seconds = time.perf_counter() - start
        seen = max(totals["seen"], 1)
        return {
            "epoch": epoch + 1,
            "train_loss": float(totals["loss_sum"]) / seen,
            "train_accuracy": int(totals["correct"]) / max(totals["labelled"], 1),  # distillation: labelled texts only
            "seconds": seconds,
            "examples_per_s": totals["seen"] / max(seconds, 1e-9),
            "lr": self.optimizer.param_groups[0]["lr"],
        }

    def _train_step(self, inputs, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int, int]:
        """One optimisation step; returns the batch's ``(loss sum, correct predictions, examples, labelled
        examples)``, the first two as 0-d tensors on the device (not read here, so that the step does not wait for
        the GPU). Labelled examples are all of them, except for dict targets (a distillation transfer set), where
        only labels >= 0 count."""
        cfg = self.config
        inputs = to_device(inputs, self.device)
        targets = to_device(labels, self.device)
        n = len(labels["labels"]) if isinstance(labels, dict) else labels.shape[0]
        labelled = n  # a dict of targets (loss_fn): only labels >= 0 count in the accuracy
        if isinstance(labels, dict):
            labelled, labels = int((labels["labels"] >= 0).sum()), targets["labels"]
        with _autocast(self.device, cfg.amp):
            output = call_model(self._forward, inputs)
        if self.loss_fn is not None:
            loss = self.loss_fn(output, targets)
        else:
            loss = classification_loss(output, labels, cfg.aux_weight, self.class_weights)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        apply_constraints(self.model)
        logits = _main_logits(output)
        if is_multi_hot(labels):  # an example is right when every label is (subset accuracy at threshold 0.5)
            return loss.detach() * n, ((logits > 0) == labels.bool()).all(dim=1).sum(), n, n
        return loss.detach() * n, (logits.argmax(dim=1) == labels).sum(), n, labelled  # -1 never equals an argmax

    def evaluate(self, loader: Iterable, label_names: Sequence[str] | None = None) -> dict:
        """Metrics of the current model on a labelled loader."""
        names = list(label_names) if label_names is not None else self._names()
        return evaluate_model(self.model, loader, names, self.device, self.config.amp)
