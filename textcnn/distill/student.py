"""The student side of distillation: the loss, the transfer set with its teacher logits, and its loader.

Tang et al. 2019 train a small network on ``alpha * CE(hard labels) + (1 - alpha) * ||z_teacher - z_student||^2``
over the training texts and an augmented transfer set (:mod:`textcnn.distill.augment`) whose texts have no label
(label -1 here: left out of the cross-entropy, kept in the teacher loss). The trainer takes the loss as its
``loss_fn`` and the loader's targets as ``{"labels": (B,), "teacher": (B, C)}``; dev selection and test metrics
stay on the hard labels. Nothing here imports ``transformers``: the teacher arrives as an object with ``labels``,
``fingerprint`` and ``logits(texts)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from textcnn.distill.config import LOSSES, DistillConfig

#: Hard label of a transfer text that has none (an augmented text).
NO_LABEL = -1


def distillation_loss(
    logits: torch.Tensor,
    hard_labels: torch.Tensor,
    teacher_logits: torch.Tensor,
    *,
    loss: str,
    alpha: float,
    temperature: float,
    class_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """``alpha * CE + (1 - alpha) * teacher loss`` of one batch.

    Args:
        logits: Student logits (B, C).
        hard_labels: Class ids (B,), :data:`NO_LABEL` (-1) where a text has none (left out of the cross-entropy,
            which averages over the labelled texts; 0 when the batch has none).
        teacher_logits: Teacher logits (B, C).
        loss: ``mse``: squared distance of the logit vectors, summed over classes, averaged over the batch (Tang);
            ``kl``: ``temperature**2 * KL(softmax(t / T) || softmax(s / T))`` averaged over the batch (Hinton).
        alpha: Weight of the cross-entropy, in [0, 1].
        temperature: Temperature of ``kl``.
        class_weights: ``(C,)`` class weights of the cross-entropy, or ``None``.

    Raises:
        ValueError: On an unknown ``loss`` or mismatched shapes.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be {' or '.join(LOSSES)}, got {loss!r}")
    if logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student logits {tuple(logits.shape)} and teacher logits {tuple(teacher_logits.shape)} differ"
        )
    logits, teacher_logits = logits.float(), teacher_logits.float()  # (B, C) each
    if loss == "mse":
        soft = (logits - teacher_logits).pow(2).sum(dim=1).mean()
    else:
        log_p = F.log_softmax(logits / temperature, dim=1)  # (B, C)
        log_q = F.log_softmax(teacher_logits / temperature, dim=1)  # (B, C)
        soft = F.kl_div(log_p, log_q, reduction="batchmean", log_target=True) * temperature**2
    if alpha == 0:
        return soft
    known = hard_labels >= 0  # (B,)
    hard = F.cross_entropy(logits, hard_labels.clamp_min(0), weight=class_weights, reduction="none")  # (B,)
    weights = known.float() if class_weights is None else known.float() * class_weights[hard_labels.clamp_min(0)]
    hard = (hard * known).sum() / weights.sum().clamp_min(1e-12)  # the weighted mean over labelled texts
    return alpha * hard + (1 - alpha) * soft


class DistillLoss:
    """The trainer's ``loss_fn``: :func:`distillation_loss` of ``(output, {"labels", "teacher"})`` (a tuple output
    is read as ``(main_logits, *aux)``; the teacher only teaches the main logits)."""

    def __init__(self, config: DistillConfig, class_weights: torch.Tensor | None = None) -> None:
        self.loss, self.alpha, self.temperature = config.loss, config.alpha, config.temperature
        self.class_weights = class_weights

    def __call__(self, output, targets: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = output[0] if isinstance(output, tuple) else output  # (B, C)
        weights = None if self.class_weights is None else self.class_weights.to(logits.device)
        return distillation_loss(
            logits, targets["labels"], targets["teacher"], loss=self.loss, alpha=self.alpha,
            temperature=self.temperature, class_weights=weights,
        )  # fmt: skip


@dataclass
class TransferSet:
    """The training texts followed by the augmented ones, with hard labels (-1 for augmented) and teacher logits.

    Attributes:
        texts: ``N`` training texts, then ``M`` augmented texts.
        labels: ``N + M`` class ids (:data:`NO_LABEL` for the augmented texts).
        logits: ``(N + M, C)`` float32 teacher logits in the dataset's label order.
        num_train: ``N``.
        from_cache: Whether the logits were read from the cache.
    """

    texts: list[str]
    labels: list[int]
    logits: np.ndarray
    num_train: int
    from_cache: bool

    @property
    def num_augmented(self) -> int:
        return len(self.texts) - self.num_train


def build_transfer_set(
    teacher,
    train_texts: Sequence[str],
    train_labels: Sequence[int],
    label_names: Sequence[str],
    config: DistillConfig,
    *,
    seed: int,
    cache_dir=None,
    echo: Callable[[str], object] | None = None,
) -> TransferSet:
    """Augment the training texts (``config``'s rates, ``seed``) and get the teacher's logits of all of them (cached,
    see :func:`textcnn.distill.targets.teacher_logits`). A masked word is ``<unk>`` in the student's texts (its
    unknown word, whatever its tokenizer) and the teacher's ``mask_token`` (if it has one) in the texts it scores."""
    from textcnn.distill.augment import augment_texts
    from textcnn.distill.targets import teacher_logits
    from textcnn.text.tokenizers import UNK_TOKEN

    train_texts = list(train_texts)
    augmented = augment_texts(
        train_texts, per_text=config.augment, p_mask=config.p_mask, p_replace=config.p_replace,
        p_ngram=config.p_ngram, ngram_range=config.ngram_range, mask_token=UNK_TOKEN, seed=seed,
    )  # fmt: skip
    texts = train_texts + augmented
    mask = getattr(teacher, "mask_token", None) or UNK_TOKEN  # the teacher reads a masked word as its own mask
    shown = train_texts + [" ".join(mask if w == UNK_TOKEN else w for w in t.split(" ")) for t in augmented]
    logits, from_cache = teacher_logits(
        teacher, shown, label_names, cache_dir=cache_dir, batch_size=config.batch_size, echo=echo
    )
    labels = [int(y) for y in train_labels] + [NO_LABEL] * len(augmented)
    return TransferSet(texts, labels, logits, len(train_texts), from_cache)


class _TargetsCollate:
    """Wraps the text collate (whose "labels" are the example indices) to yield ``{"labels", "teacher"}`` targets."""

    def __init__(self, collate: Callable, labels: torch.Tensor, logits: torch.Tensor) -> None:
        self.collate, self.labels, self.logits = collate, labels, logits

    @property
    def n_truncated(self) -> int:
        return self.collate.n_truncated

    def __call__(self, batch) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        inputs, index = self.collate(batch)  # index: (B,) positions in the transfer set
        return inputs, {"labels": self.labels[index], "teacher": self.logits[index]}  # (B,), (B, C)


def distill_loader(tokenizer, transfer: TransferSet, experiment, min_len: int) -> tuple[DataLoader, int]:
    """A shuffled training loader over the transfer set: :func:`textcnn.classify.build.text_loader`'s (same bucketing,
    padding, truncation and, under torchrun, the same per-rank shares) with ``{"labels", "teacher"}`` targets, and
    how many of the training texts (the transfer set's first ``num_train``) are longer than ``data.max_len``."""
    from types import SimpleNamespace

    from textcnn.classify.build import text_loader

    indexed = SimpleNamespace(texts=transfer.texts, labels=range(len(transfer.texts)))  # labels: positions
    loader, _ = text_loader(tokenizer, indexed, experiment, min_len, shuffle=True)
    labels = torch.tensor(transfer.labels, dtype=torch.long)  # (N + M,)
    loader.collate_fn = _TargetsCollate(loader.collate_fn, labels, torch.from_numpy(transfer.logits))
    max_len = experiment.data.max_len
    lengths = loader.dataset.ids.lengths[: transfer.num_train]  # (N,) the training texts' token counts
    return loader, 0 if max_len is None else int((lengths > max_len).sum())


def distill_summary(config: DistillConfig, transfer: TransferSet) -> dict:
    """What ``metrics.json`` records under ``distill``: the settings and the transfer set's counts."""
    from dataclasses import asdict

    return {**asdict(config), "train_texts": transfer.num_train, "augmented_texts": transfer.num_augmented,
            "logits_from_cache": transfer.from_cache}  # fmt: skip


def distill_line(config: DistillConfig, transfer: TransferSet) -> str:
    """The training log line about distillation."""
    where = "read from the cache" if transfer.from_cache else "computed by the teacher (now cached)"
    loss = config.loss if config.loss == "mse" else f"kl (temperature {config.temperature:g})"
    return (
        f"distillation: teacher {config.teacher}, loss {loss}, alpha {config.alpha:g}; {transfer.num_train} training "
        f"+ {transfer.num_augmented} augmented texts; teacher logits {where}"
    )


def distillation_parts(
    experiment, tokenizer, train, label_names: Sequence[str], min_len: int, *,
    class_weights: torch.Tensor | None = None, echo: Callable[[str], object] | None = None,
) -> tuple[DataLoader, DistillLoss, dict, int]:  # fmt: skip
    """What :func:`textcnn.classify.train.fit_text_model` trains with when ``distill.teacher`` is set: the loader
    over the transfer set (the only encoding of the training texts), the trainer's ``loss_fn``, the summary for
    ``metrics.json`` and the number of training texts longer than ``data.max_len``. The teacher's encoder is
    loaded (``transformers`` needed) only when some logits are not in the cache.

    Raises:
        ValueError: A multi-label run (not supported), or the teacher's labels are not the dataset's.
    """
    cfg = experiment.distill
    if experiment.data.multi_label or (len(train) and isinstance(train.labels[0], list | tuple)):
        raise ValueError("distill.teacher is set, but multi-label runs cannot be distilled (single-label only)")
    from textcnn.distill.teacher import load_teacher

    teacher = load_teacher(cfg.teacher, device=experiment.train.device)
    transfer = build_transfer_set(
        teacher, train.texts, train.labels, label_names, cfg, seed=experiment.train.seed, echo=echo
    )
    if echo is not None:
        echo(distill_line(cfg, transfer))
    loader, truncated = distill_loader(tokenizer, transfer, experiment, min_len)
    return loader, DistillLoss(cfg, class_weights), distill_summary(cfg, transfer), truncated
