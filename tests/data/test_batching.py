import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from textcnn.data.batching import BucketBatchSampler, EncodedDataset, make_collate, make_text_loader, pad_batch

_SEQS = st.lists(st.lists(st.integers(1, 1000), max_size=12), max_size=6)


@given(_SEQS, st.integers(0, 6), st.one_of(st.none(), st.integers(6, 10)))
def test_pad_batch_matches_reference(seqs, min_len, max_len):
    ids, mask, n_truncated = pad_batch(seqs, pad_id=0, min_len=min_len, max_len=max_len)
    cap = max((len(s) for s in seqs), default=0)
    cap = cap if max_len is None else min(cap, max_len)
    width = max(cap, min_len)
    assert ids.shape == mask.shape == (len(seqs), width) and ids.dtype == torch.long and mask.dtype == torch.bool
    for row, s in enumerate(seqs):
        kept = s[:cap]
        assert ids[row].tolist() == kept + [0] * (width - len(kept))
        assert mask[row].tolist() == [True] * len(kept) + [False] * (width - len(kept))
    assert n_truncated == sum(len(s) > cap for s in seqs)


def test_pad_batch_short_and_empty_inputs_reach_min_len():
    ids, mask, _ = pad_batch([[], [7]], pad_id=3, min_len=5)
    assert ids.tolist() == [[3, 3, 3, 3, 3], [7, 3, 3, 3, 3]] and mask.sum().item() == 1
    with pytest.raises(ValueError, match="max_len"):
        pad_batch([[1]], min_len=5, max_len=4)


def _flatten(batches):
    return [i for b in batches for i in b]


def test_bucket_sampler_covers_every_index_once_and_is_reproducible():
    lengths = np.random.default_rng(0).integers(0, 50, size=103).tolist()
    sampler = BucketBatchSampler(lengths, 8, seed=3, bucket_size=32)
    epoch0 = list(sampler)
    assert sorted(_flatten(epoch0)) == list(range(103)) and len(epoch0) == len(sampler) == 13
    epoch1 = list(sampler)  # advanced automatically
    assert epoch0 != epoch1
    sampler.set_epoch(0)
    assert list(sampler) == epoch0
    other = BucketBatchSampler(lengths, 8, seed=3, bucket_size=32)
    other.set_epoch(1)
    assert list(other) == epoch1
    assert list(BucketBatchSampler(lengths, 8, seed=4, bucket_size=32)) != epoch0


def test_bucketing_reduces_padding():
    lengths = np.random.default_rng(1).integers(1, 200, size=2000)
    bucketed = BucketBatchSampler(lengths.tolist(), 32, seed=0)
    padded = sum(lengths[b].max() * len(b) for b in bucketed)
    rng = np.random.default_rng(0).permutation(2000)
    random_padded = sum(lengths[rng[i : i + 32]].max() * len(rng[i : i + 32]) for i in range(0, 2000, 32))
    assert padded < 0.7 * random_padded


def test_unshuffled_sampler_sorts_and_order_can_be_restored():
    lengths = [5, 1, 3, 1, 9, 0]
    sampler = BucketBatchSampler(lengths, 4, shuffle=False)
    batches = list(sampler)
    assert batches == [[5, 1, 3, 2], [0, 4]] and batches == list(sampler)
    order = _flatten(batches)
    outputs = [lengths[i] * 10 for i in order]  # e.g. predictions in batch order
    restored = [None] * len(order)
    for position, i in enumerate(order):
        restored[i] = outputs[position]
    assert restored == [x * 10 for x in lengths]


def test_drop_last_and_bad_arguments():
    sampler = BucketBatchSampler([1] * 10, 4, drop_last=True)
    assert len(sampler) == 2 and all(len(b) == 4 for b in sampler)
    with pytest.raises(ValueError, match="bucket_size"):
        BucketBatchSampler([1], 4, bucket_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        BucketBatchSampler([1], 0)
    with pytest.raises(ValueError, match="1 labels"):
        EncodedDataset([[1], [2]], [0])


def test_collate_with_and_without_labels():
    collate = make_collate(pad_id=0, min_len=3, max_len=4)
    inputs, labels = collate([([1, 2, 3, 4, 5], 1), ([6], 0)])
    assert inputs["input_ids"].tolist() == [[1, 2, 3, 4], [6, 0, 0, 0]] and labels.tolist() == [1, 0]
    assert collate.n_truncated == 1
    inputs, labels = collate([([1], None)])
    assert labels is None and inputs["mask"].tolist() == [[True, False, False]]


def test_text_loader_training_and_inference():
    ids = [[i + 1] * (i % 7) for i in range(50)]
    labels = [i % 3 for i in range(50)]
    loader = make_text_loader(ids, labels, batch_size=8, shuffle=True, seed=0, min_len=3, max_len=None)
    seen = []
    for inputs, y in loader:
        assert inputs["input_ids"].shape[1] >= 3
        # the mask is there exactly when something is padded (a length-0..6 text among min_len 3 rows)
        if "mask" in inputs:
            assert inputs["input_ids"].shape == inputs["mask"].shape and not bool(inputs["mask"].all())
        seen.extend(y.tolist())
    assert sorted(seen) == sorted(labels)
    again = make_text_loader(ids, labels, batch_size=8, shuffle=True, seed=0, min_len=3, max_len=None)
    assert [y.tolist() for _, y in again] == [y.tolist() for _, y in make_text_loader(
        ids, labels, batch_size=8, shuffle=True, seed=0, min_len=3, max_len=None)]  # fmt: skip
    plain = make_text_loader(ids, None, batch_size=16, shuffle=False, seed=0, min_len=1, max_len=2, bucket=False)
    first, y = next(iter(plain))
    assert y is None and first["input_ids"][:, 0].tolist() == [i + 1 if i % 7 else 0 for i in range(16)]
