"""Encoded texts are packed (4 bytes a token) and the batches are those of plain lists."""

import random
import tracemalloc

import pytest
import torch

from textcnn.classify import build
from textcnn.classify.config import load_config
from textcnn.data.batching import BucketBatchSampler, EncodedDataset, PackedIds, make_text_loader, pad_batch
from textcnn.data.splits import TextSplit
from textcnn.text.tokenizers import TextTokenizer, TokenizerConfig


def _sequences(n: int = 300, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(300, 60_000) for _ in range(rng.randrange(0, 40))] for _ in range(n)]


def test_packed_ids_give_back_the_lists():
    seqs = _sequences()
    packed = PackedIds(seqs)
    assert len(packed) == len(seqs) and packed.flat.dtype.itemsize == 4
    assert [packed[i] for i in range(len(seqs))] == seqs and packed[-1] == seqs[-1]
    assert all(type(x) is int for x in packed[1]) and packed.lengths.tolist() == [len(s) for s in seqs]
    with pytest.raises(IndexError, match="300"):
        packed[300]
    wide = PackedIds([[1, 2**40], []])  # ids beyond int32 are kept, in int64
    assert wide[0] == [1, 2**40] and wide[1] == [] and len(PackedIds()) == 0
    parts = PackedIds.concatenate([PackedIds(seqs[:7]), PackedIds([]), PackedIds(seqs[7:])])
    assert list(parts) == seqs


def test_encoded_dataset_holds_about_four_bytes_a_token():
    seqs = _sequences(2000)
    tokens = sum(map(len, seqs))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        dataset = EncodedDataset(seqs, [0] * len(seqs))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / tokens < 5  # the lists it was given cost 8 bytes a token (pointers) + 28 per int object
    assert dataset.ids.nbytes < 5 * tokens and dataset[3] == (seqs[3], 0) and dataset.lengths[3] == len(seqs[3])


@pytest.mark.parametrize("bucket", [True, False])
def test_batches_equal_those_of_plain_lists(bucket):
    seqs, labels = _sequences(), [i % 3 for i in range(300)]
    kw = {"batch_size": 16, "shuffle": True, "seed": 3, "min_len": 3, "max_len": 25, "bucket": bucket}
    loader, before = make_text_loader(seqs, labels, **kw), make_text_loader(seqs, labels, **kw)
    assert isinstance(loader.dataset.ids, PackedIds)
    before.dataset.ids = seqs  # the plain lists the dataset held before packing
    batches, expected = list(loader), list(before)
    assert len(batches) == len(expected) == 19
    for (inputs, y), (want, want_y) in zip(batches, expected, strict=True):
        assert inputs.keys() == want.keys() and torch.equal(y, want_y)
        assert all(torch.equal(inputs[k], want[k]) for k in inputs)
    order = [i for batch in BucketBatchSampler([len(s) for s in seqs], 16, seed=3) for i in batch]
    if bucket:  # and they are the padded texts in the sampler's order
        first = pad_batch([seqs[i] for i in order[:16]], min_len=3, max_len=25)[0]
        assert torch.equal(batches[0][0]["input_ids"], first)


def test_text_loader_encodes_in_chunks_the_same_ids(monkeypatch):
    rng = random.Random(1)
    words = ["good", "bad", "film", "plot", "very", "dull", "fun", "a", "the", "music"]
    texts = [" ".join(rng.choices(words, k=rng.randrange(0, 30))) for _ in range(53)]
    split = TextSplit(texts, [i % 2 for i in range(53)])
    tokenizer = TextTokenizer(TokenizerConfig()).fit(texts[:20])  # words of the other texts can be unknown
    config = load_config(None, ["data.dataset=mr", "data.max_len=12", "train.device=cpu"])
    monkeypatch.setattr(build, "ENCODE_CHUNK", 8)
    loader, truncated = build.text_loader(tokenizer, split, config, 3, shuffle=False)
    expected = tokenizer.encode_batch(texts)
    assert list(loader.dataset.ids) == expected and truncated == sum(len(s) > 12 for s in expected)
