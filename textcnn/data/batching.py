"""Padding, length-bucketed batching and the DataLoader of encoded texts.

``pad_batch`` pads to the longest sequence of the batch (capped by ``max_len``) but never below ``min_len``, the
widest convolution filter, so short or empty texts cannot crash a model. ``BucketBatchSampler`` groups texts of
similar length to cut padding; its order depends only on ``(seed, epoch)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

#: How a text longer than ``max_len`` is cut (``data.truncate``): ``head`` keeps its first ``max_len`` tokens;
#: ``head_tail`` keeps its first ``ceil(max_len / 2)`` and its last ``floor(max_len / 2)`` tokens (Sun et al. 2019,
#: "How to Fine-Tune BERT for Text Classification?", found head + tail better than either end alone on long reviews).
#: The first mode is the default.
TRUNCATE_MODES: tuple[str, ...] = ("head", "head_tail")


def check_truncate(truncate: str) -> str:
    """``truncate`` if it is one of :data:`TRUNCATE_MODES`, else a ``ValueError`` naming the modes."""
    if truncate not in TRUNCATE_MODES:
        raise ValueError(f"truncate must be one of {', '.join(TRUNCATE_MODES)}, got {truncate!r}")
    return truncate


def kept_tokens(max_len: int, truncate: str) -> tuple[int, int]:
    """``(head, tail)``: how many of its first and last tokens a text longer than ``max_len`` keeps."""
    tail = max_len // 2 if truncate == "head_tail" else 0
    return max_len - tail, tail


def truncate_ids(seq: list[int], max_len: int, truncate: str = TRUNCATE_MODES[0]) -> list[int]:
    """``seq`` cut to ``max_len`` tokens as ``truncate`` says (see :data:`TRUNCATE_MODES`); shorter ones unchanged."""
    if len(seq) <= max_len:
        return seq
    head, tail = kept_tokens(max_len, truncate)
    return seq[:head] + seq[len(seq) - tail :] if tail else seq[:head]


def pad_batch(
    sequences: list[list[int]],
    *,
    pad_id: int = 0,
    min_len: int = 1,
    max_len: int | None = None,
    truncate: str = TRUNCATE_MODES[0],
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Pad token-id sequences into one tensor.

    Args:
        sequences: Token ids per example (may be empty).
        pad_id: Id written at padded positions.
        min_len: Minimum padded length (use the widest filter size).
        max_len: Longer sequences are truncated to ``max_len`` tokens (``None``: no limit).
        truncate: Which tokens a truncated sequence keeps: ``head`` (its first ``max_len``) or ``head_tail`` (its
            first and last halves of ``max_len``); see :data:`TRUNCATE_MODES`.

    Returns:
        ``(ids, mask, n_truncated)``: ``ids`` is a ``LongTensor`` (B, T) with
        ``T = max(min(longest, max_len), min_len)``, ``mask`` a ``BoolTensor`` (B, T) that is True at real tokens,
        and ``n_truncated`` the number of sequences cut by ``max_len``.

    Raises:
        ValueError: If ``min_len < 0``, ``max_len < max(min_len, 1)`` or ``truncate`` is not a mode.
    """
    check_truncate(truncate)
    if min_len < 0:
        raise ValueError(f"min_len must be >= 0, got {min_len}")
    if max_len is not None and max_len < max(min_len, 1):
        raise ValueError(f"max_len must be >= min_len ({min_len}) and >= 1, got {max_len}")
    if len(sequences) == 1:  # one text (prediction with batch size 1): no numpy round trip
        seq = sequences[0]
        n_truncated = int(max_len is not None and len(seq) > max_len)
        if n_truncated:
            seq = truncate_ids(seq, max_len, truncate)
        if len(seq) >= min_len:  # nothing to pad
            ids = torch.tensor([seq], dtype=torch.long)  # (1, T)
            return ids, torch.ones_like(ids, dtype=torch.bool), n_truncated
        ids = torch.full((1, min_len), pad_id, dtype=torch.long)  # (1, T)
        ids[0, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask = torch.zeros((1, min_len), dtype=torch.bool)  # (1, T)
        mask[0, : len(seq)] = True
        return ids, mask, n_truncated
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))  # (B,)
    longest = int(lengths.max(initial=0))
    cap = longest if max_len is None else min(longest, max_len)
    width = max(cap, min_len)
    kept = np.minimum(lengths, cap)  # (B,)
    n_truncated = int((lengths > cap).sum())
    mask = np.arange(width) < kept[:, None]  # (B, T)
    chunks = sequences if n_truncated == 0 else (truncate_ids(s, cap, truncate) for s in sequences)
    flat = np.fromiter(itertools.chain.from_iterable(chunks), dtype=np.int64, count=int(kept.sum()))
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)  # (B, T)
    ids[mask] = flat  # row-major boolean assignment fills each row's first kept[i] slots in order
    return torch.from_numpy(ids), torch.from_numpy(mask), n_truncated


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of indices of similar length.

    With ``shuffle=True`` each pass permutes the examples, sorts them by length inside buckets of ``bucket_size``
    examples, cuts batches, and shuffles the batch order; the permutation depends only on ``(seed, epoch)``.
    Each pass uses the current epoch and then advances it by one, so a loop that never calls ``set_epoch`` still
    sees a new order every epoch; call ``set_epoch(e)`` before a pass to pin it (e.g. when resuming).

    With ``shuffle=False`` (inference) the batches are the examples sorted by length (ties by index), in a fixed
    order. To restore input order, concatenate the batches' indices as you go and scatter the outputs back::

        order = [i for batch in sampler for i in batch]   # or collect per batch while predicting
        outputs_in_input_order = [None] * len(order)
        for position, i in enumerate(order): outputs_in_input_order[i] = outputs[position]

    (or ``torch.empty_like(out).index_copy_(0, torch.tensor(order), out)``).

    Args:
        lengths: Length of each example (tokens).
        batch_size: Examples per batch.
        shuffle: Shuffle (training) or sort deterministically (inference).
        seed: Seed of the shuffling.
        drop_last: Drop the one incomplete batch, if any.
        bucket_size: Examples sorted together (default ``100 * batch_size``; larger = less padding, less noise).
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        bucket_size: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        bucket_size = 100 * batch_size if bucket_size is None else bucket_size
        if bucket_size < batch_size:
            raise ValueError(f"bucket_size ({bucket_size}) must be >= batch_size ({batch_size})")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.bucket_size = bucket_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` for the next pass (the order depends only on ``seed`` and the epoch)."""
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.lengths)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, rng: np.random.Generator | None) -> np.ndarray:
        if rng is None:
            return np.argsort(self.lengths, kind="stable")
        perm = rng.permutation(len(self.lengths))
        buckets = [perm[i : i + self.bucket_size] for i in range(0, len(perm), self.bucket_size)]
        return np.concatenate([b[np.argsort(self.lengths[b], kind="stable")] for b in buckets] or [perm])

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch]) if self.shuffle else None
        self.epoch += 1
        order = self._order(rng)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if rng is not None:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        for batch in batches:
            yield batch.tolist()


def pad_features(
    arrays: Sequence[np.ndarray],
    width: int,
    dim: int,
    *,
    max_len: int | None = None,
    truncate: str = TRUNCATE_MODES[0],
) -> torch.Tensor:
    """Per-token feature rows (e.g. contextual vectors) of one batch as a zero-padded ``(B, width, dim)`` float32
    tensor aligned with :func:`pad_batch`'s ids: a text longer than ``max_len`` keeps the rows of the tokens its ids
    keep (``truncate``), and rows beyond ``width`` are dropped.

    Args:
        arrays: One ``(num_tokens, dim)`` array per text (memory-mapped ones are read here, row range only).
        width: The padded length (the ids' ``T``).
        dim: Width of each row.
        max_len: The ids' truncation length (``None``: none).
        truncate: Which tokens a truncated text keeps (see :data:`TRUNCATE_MODES`).
    """
    out = torch.zeros(len(arrays), width, dim)  # (B, T, H)
    for b, array in enumerate(arrays):
        if max_len is not None and len(array) > max_len:
            head, tail = kept_tokens(max_len, truncate)
            array = np.concatenate([array[:head], array[len(array) - tail :]]) if tail else array[:head]
        n = min(len(array), width)
        if n:
            out[b, :n] = torch.from_numpy(np.array(array[:n], dtype=np.float32))  # a copy: a memmap is read-only
    return out


class PackedIds(Sequence):
    """Token-id sequences packed into one flat array (int32 when every id fits, else int64) and their offsets.

    A list of Python lists costs 8 bytes per token (36 when the ints are not shared); this costs 4. Item ``i`` is a
    new ``list[int]``, equal to the sequence given, so code that reads lists sees no difference.

    Args:
        sequences: Token ids per example (lists, tuples or arrays of ints; may be empty).
    """

    def __init__(self, sequences: Iterable[Sequence[int]] = ()) -> None:
        sequences = sequences if isinstance(sequences, (list, tuple)) else list(sequences)
        lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))  # (N,)
        self.offsets = np.zeros(len(sequences) + 1, dtype=np.int64)  # (N + 1,): sequence i is flat[o[i]:o[i + 1]]
        np.cumsum(lengths, out=self.offsets[1:])
        total = int(self.offsets[-1])
        try:
            self.flat = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int32, count=total)  # (sum,)
        except OverflowError:  # an id beyond int32
            self.flat = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64, count=total)

    @classmethod
    def concatenate(cls, parts: Sequence[PackedIds]) -> PackedIds:
        """One ``PackedIds`` of ``parts`` in order (e.g. chunks encoded one after another)."""
        out = cls()
        if parts:
            out.flat = np.concatenate([p.flat for p in parts])
            shifts = np.cumsum([0] + [len(p.flat) for p in parts[:-1]])
            out.offsets = np.concatenate([[0], *(p.offsets[1:] + s for p, s in zip(parts, shifts, strict=True))])
        return out

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> list[int]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"sequence index {index} out of range for {len(self)} sequences")
        index %= len(self)
        return self.flat[self.offsets[index] : self.offsets[index + 1]].tolist()

    @property
    def lengths(self) -> np.ndarray:
        """``(N,)`` length of each sequence."""
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return self.flat.nbytes + self.offsets.nbytes


class EncodedDataset(Dataset):
    """Token-id sequences with optional integer labels; item ``i`` is ``(ids[i], labels[i] or None)``, ``ids[i]`` a
    ``list[int]``. The sequences are kept as :class:`PackedIds` (4 bytes a token). With ``features`` (one
    ``(len(ids[i]), dim)`` array per text, e.g. :class:`textcnn.text.contextual.FeatureRows`), item ``i`` is
    ``(ids[i], label, features[i])``.

    Raises:
        ValueError: If ``labels`` or ``features`` is given and differs in length from ``ids``.
    """

    def __init__(
        self, ids: Sequence[Sequence[int]], labels: list[int] | None = None, features: Sequence | None = None
    ) -> None:
        if labels is not None and len(labels) != len(ids):
            raise ValueError(f"ids and labels differ in length: {len(ids)} sequences, {len(labels)} labels")
        if features is not None and len(features) != len(ids):
            raise ValueError(f"ids and features differ in length: {len(ids)} sequences, {len(features)} feature rows")
        self.ids = ids if isinstance(ids, PackedIds) else PackedIds(ids)
        self.labels = labels
        self.features = features

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple:
        label = None if self.labels is None else self.labels[index]
        if self.features is None:
            return self.ids[index], label
        return self.ids[index], label, self.features[index]

    @property
    def lengths(self) -> list[int]:
        """Length of each sequence."""
        return self.ids.lengths.tolist()


class _Collate:
    """Picklable collate function (works with ``num_workers > 0``); see ``make_collate``."""

    def __init__(self, *, pad_id: int, min_len: int, max_len: int | None, truncate: str = TRUNCATE_MODES[0]) -> None:
        self.pad_id, self.min_len, self.max_len, self.truncate = pad_id, min_len, max_len, truncate
        self.n_truncated = 0  # running total, counted in this process only (not in DataLoader workers)

    def __call__(
        self, batch: list[tuple[list[int], int | None]]
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        sequences = [item[0] for item in batch]
        ids, mask, truncated = pad_batch(
            sequences, pad_id=self.pad_id, min_len=self.min_len, max_len=self.max_len, truncate=self.truncate
        )
        self.n_truncated += truncated
        labels = [item[1] for item in batch]
        label_tensor = None if any(y is None for y in labels) else torch.tensor(labels, dtype=torch.long)
        inputs = text_inputs(ids, mask)
        if len(batch[0]) > 2:  # per-token features (EncodedDataset with features): (B, T, dim), aligned with the ids
            rows = [item[2] for item in batch]
            inputs["features"] = pad_features(rows, ids.shape[1], rows[0].shape[1], max_len=self.max_len,
                                              truncate=self.truncate)  # fmt: skip
        return inputs, label_tensor


def text_inputs(ids: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """A text model's keyword inputs for one padded batch: ``input_ids`` (B, T), and ``mask`` (B, T) only when some
    position is padding. Text models read a missing mask as "every position is real"; leaving an all-True mask out
    here, on the host where checking it is free, saves the model from masking (or, on a GPU, from waiting for the
    device to learn that nothing is padded)."""
    if bool(mask.all()):
        return {"input_ids": ids}
    return {"input_ids": ids, "mask": mask}


def make_collate(
    *, pad_id: int = 0, min_len: int = 1, max_len: int | None = None, truncate: str = TRUNCATE_MODES[0]
) -> Callable:
    """A collate function for ``EncodedDataset`` items (``truncate``: see :data:`TRUNCATE_MODES`).

    Returns:
        ``collate(batch) -> ({"input_ids": LongTensor (B, T), "mask": BoolTensor (B, T)}, labels)`` (the mask left
        out when nothing is padded, see :func:`text_inputs`; with ``"features"`` (B, T, dim) when the items carry
        feature rows, see :class:`EncodedDataset`) where
        ``labels`` is a ``LongTensor`` (B,) or ``None`` when the dataset has no labels. The callable's
        ``n_truncated`` attribute counts sequences cut by ``max_len`` so far (in the main process).
    """
    pad_batch([], min_len=min_len, max_len=max_len, truncate=truncate)  # validate the arguments now, not later
    return _Collate(pad_id=pad_id, min_len=min_len, max_len=max_len, truncate=truncate)


def make_text_loader(
    ids: Sequence[Sequence[int]],
    labels: list[int] | None,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    min_len: int,
    max_len: int | None,
    pad_id: int = 0,
    bucket: bool = True,
    pin_memory: bool = False,
    truncate: str = TRUNCATE_MODES[0],
    features: Sequence | None = None,
) -> DataLoader:
    """A ``DataLoader`` over encoded texts.

    Args:
        ids: Token ids per example (lists, or a :class:`PackedIds`, which is used as it is).
        labels: Labels, or ``None`` for prediction.
        batch_size: Examples per batch.
        shuffle: Shuffle (training) or keep a deterministic order (evaluation/prediction).
        seed: Seed of the order (reproducible across runs).
        min_len: Minimum padded length (the widest filter).
        max_len: Truncation length (``None``: none).
        pad_id: Padding id.
        bucket: Batch texts of similar length (``BucketBatchSampler``; without shuffle: sorted by length, so use
            ``list(loader.batch_sampler)`` to restore input order). ``False``: plain batches, in input order when
            ``shuffle=False``.
        pin_memory: Put batches in page-locked memory, so copies to a GPU can be non-blocking.
        truncate: Which tokens a text longer than ``max_len`` keeps (see :data:`TRUNCATE_MODES`).
        features: One ``(num_tokens, dim)`` array per text: batches then carry ``features`` (B, T, dim) aligned with
            the ids (see :func:`pad_features`).
    """
    dataset = EncodedDataset(ids, labels, features)
    collate = make_collate(pad_id=pad_id, min_len=min_len, max_len=max_len, truncate=truncate)
    if bucket:
        sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, pin_memory=pin_memory)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=generator, collate_fn=collate, pin_memory=pin_memory
    )
