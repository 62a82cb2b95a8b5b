"""Split containers (``TextSplit``, ``DatasetSplits``) and the seeded, stratified split helpers the loaders share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class TextSplit:
    """Texts with integer labels ``0 .. C-1``, aligned by position.

    Raises:
        ValueError: If ``texts`` and ``labels`` differ in length (both lengths are named) or a label is negative.
    """

    texts: list[str]
    labels: list[int]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"texts and labels differ in length: {len(self.texts)} texts, {len(self.labels)} labels")
        if self.labels and min(self.labels) < 0:
            raise ValueError(f"labels must be >= 0, got {min(self.labels)}")

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int] | np.ndarray) -> TextSplit:
        """The examples at ``indices``, in that order."""
        return TextSplit([self.texts[i] for i in indices], [self.labels[i] for i in indices])

    def class_counts(self, num_classes: int) -> list[int]:
        """How many examples each class ``0 .. num_classes-1`` has.

        Raises:
            ValueError: If a label is ``>= num_classes``.
        """
        if self.labels and max(self.labels) >= num_classes:
            raise ValueError(f"label {max(self.labels)} is out of range for {num_classes} classes")
        return np.bincount(np.asarray(self.labels, dtype=np.int64), minlength=num_classes).tolist()


@dataclass
class DatasetSplits:
    """A loaded dataset: train, optional dev and test splits, label names and a report of what loading did.

    Attributes:
        name: Dataset name (the registry name for benchmarks).
        label_names: Class names; label ``i`` is ``label_names[i]``.
        train: Training split.
        dev: Development split (held out from train for datasets without one), or ``None``.
        test: Test split (a CV fold for MR/Subj/CR/MPQA), or ``None``.
        report: What loading did: encodings per file, lines that needed replacement characters, the rule for
            empty examples, fold/seed, truncations, subset notes ... (JSON-friendly).
    """

    name: str
    label_names: list[str]
    train: TextSplit
    dev: TextSplit | None = None
    test: TextSplit | None = None
    report: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split_name, split in self.items():
            if split.labels and max(split.labels) >= len(self.label_names):
                raise ValueError(
                    f"{self.name}: {split_name} label {max(split.labels)} is out of range for "
                    f"{len(self.label_names)} label names"
                )

    @property
    def num_classes(self) -> int:
        """Number of classes (``len(label_names)``)."""
        return len(self.label_names)

    def items(self) -> list[tuple[str, TextSplit]]:
        """``(name, split)`` pairs of the splits that exist, in the order train, dev, test."""
        pairs = [("train", self.train), ("dev", self.dev), ("test", self.test)]
        return [(n, s) for n, s in pairs if s is not None]

    def summary(self) -> dict[str, dict[str, int]]:
        """Examples per class for each split: ``{"train": {"negative": 4, "positive": 5}, ...}``."""
        return {n: dict(zip(self.label_names, s.class_counts(self.num_classes), strict=True)) for n, s in self.items()}


def check_fraction(dev_fraction: float) -> float:
    """Return ``dev_fraction`` if it is in ``[0, 1)``, else raise ``ValueError`` naming it."""
    if not 0.0 <= float(dev_fraction) < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction!r}")
    return float(dev_fraction)


def holdout_indices(labels: Sequence[int], *, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Seeded stratified hold-out (scikit-learn's ``train_test_split`` with ``stratify``).

    Classes with a single example cannot be stratified; they stay entirely in the kept part (recorded in the
    returned note).

    Returns:
        ``(kept, held_out, note)``: sorted index arrays and a JSON-friendly note for the report.
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(labels, dtype=np.int64)
    all_idx = np.arange(len(y))
    note: dict = {"fraction": fraction, "seed": seed, "method": "stratified hold-out (sklearn train_test_split)"}
    if fraction == 0.0 or len(y) == 0:
        return all_idx, all_idx[:0], note
    counts = np.bincount(y)
    rare = np.isin(y, np.flatnonzero(counts == 1))
    if rare.any():
        note["singleton_classes_kept_in_train"] = np.unique(y[rare]).tolist()
    pool = all_idx[~rare]
    try:
        kept, held = train_test_split(pool, test_size=fraction, random_state=seed, stratify=y[pool])
    except ValueError as err:  # e.g. fewer held-out examples than classes
        raise ValueError(f"cannot hold out {fraction:.0%} of {len(y)} examples stratified by class: {err}") from None
    return np.sort(np.concatenate([kept, all_idx[rare]])), np.sort(held), note


def holdout_dev(train: TextSplit, *, fraction: float, seed: int) -> tuple[TextSplit, TextSplit | None, dict]:
    """Split ``fraction`` of ``train`` off as a stratified, seeded dev split (``None`` when ``fraction`` is 0)."""
    fraction = check_fraction(fraction)
    kept, held, note = holdout_indices(train.labels, fraction=fraction, seed=seed)
    if fraction == 0.0:
        return train, None, {**note, "dev": "none (dev_fraction=0)"}
    return train.subset(kept), train.subset(held), note


def cv_fold_indices(labels: Sequence[int], *, num_folds: int, fold: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices of one fold of seeded stratified K-fold CV (``StratifiedKFold(shuffle=True)``).

    Raises:
        ValueError: If ``fold`` is not in ``[0, num_folds)``.
    """
    from sklearn.model_selection import StratifiedKFold

    if not 0 <= fold < num_folds:
        raise ValueError(f"fold must be in [0, {num_folds}), got {fold!r}")
    y = np.asarray(labels, dtype=np.int64)
    folds = StratifiedKFold(n_splits=num_folds, shuffle=True, random_state=seed)
    try:
        return list(folds.split(np.zeros(len(y)), y))[fold]
    except ValueError as err:  # e.g. more folds than examples
        raise ValueError(f"cannot make {num_folds} stratified folds of {len(y)} examples: {err}") from None


def cv_splits(
    data: TextSplit, *, num_folds: int, fold: int, seed: int, dev_fraction: float
) -> tuple[TextSplit, TextSplit | None, TextSplit, dict]:
    """Kim's protocol for datasets without a test split: fold ``fold`` of stratified K-fold CV is the test split,
    and ``dev_fraction`` of the remaining training folds is held out as dev (stratified, seeded).

    Returns:
        ``(train, dev, test, note)`` with a JSON-friendly note for the report.
    """
    train_idx, test_idx = cv_fold_indices(data.labels, num_folds=num_folds, fold=fold, seed=seed)
    train_all = data.subset(train_idx)
    train, dev, dev_note = holdout_dev(train_all, fraction=dev_fraction, seed=seed)
    note = {
        "protocol": f"{num_folds}-fold stratified CV (sklearn StratifiedKFold, shuffle=True, random_state=seed)",
        "fold": fold,
        "num_folds": num_folds,
        "seed": seed,
        "dev": dev_note,
    }
    return train, dev, data.subset(test_idx), note
