"""The batcher: texts of concurrent requests go into shared batches, bounded in size, queue and waiting."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from textcnn.serve.batcher import Batcher, QueueFullError


class _Recorder:
    """A fake ``predict_proba``: row ``i`` is ``[len(text), 0]``; remembers each batch; may wait for a gate."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[list[str]] = []
        self.gate = gate
        self.started = threading.Event()

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        if self.gate is not None and not self.gate.wait(timeout=10):
            raise TimeoutError("gate never opened")
        self.batches.append(list(texts))
        return np.array([[len(t), 0.0] for t in texts], dtype=np.float32)


async def _with_batcher(recorder: _Recorder, body, **options):
    batcher = Batcher(recorder, **{"max_batch": 64, "max_wait_ms": 50, "max_queue": 100, **options})
    await batcher.start()
    try:
        return await asyncio.wait_for(body(batcher), timeout=10)
    finally:
        await batcher.stop()


def test_concurrent_requests_share_a_batch_and_get_their_own_rows():
    recorder = _Recorder()
    requests = [["a"], ["bb", "ccc"], ["dddd"], ["eeeee"] * 3]

    async def body(batcher):
        return await asyncio.gather(*(batcher.submit(texts) for texts in requests)), batcher.stats

    answers, stats = asyncio.run(_with_batcher(recorder, body))
    assert recorder.batches == [["a", "bb", "ccc", "dddd", "eeeee", "eeeee", "eeeee"]]
    for texts, rows in zip(requests, answers, strict=True):
        assert rows[:, 0].tolist() == [len(t) for t in texts]
    assert (stats.requests, stats.texts, stats.batches, stats.largest_batch) == (4, 7, 1, 7)


def test_batches_hold_at_most_max_batch_texts_and_requests_are_not_split():
    recorder = _Recorder()
    requests = [["x"]] * 5 + [["y"] * 3, ["z"] * 9]

    async def body(batcher):
        return await asyncio.gather(*(batcher.submit(texts) for texts in requests))

    answers = asyncio.run(_with_batcher(recorder, body, max_batch=4))
    assert [len(b) for b in recorder.batches] == [4, 4, 9]  # x x x x | x y y y | the 9-text request alone
    assert [len(a) for a in answers] == [len(r) for r in requests]


def test_zero_wait_takes_only_what_is_queued():
    recorder = _Recorder()

    async def body(batcher):
        first = await batcher.submit(["one"])
        second = await batcher.submit(["two"])
        return first, second

    asyncio.run(_with_batcher(recorder, body, max_wait_ms=0))
    assert recorder.batches == [["one"], ["two"]]


def test_a_full_queue_refuses_and_the_rest_are_answered():
    gate = threading.Event()
    recorder = _Recorder(gate)

    async def body(batcher):
        busy = asyncio.ensure_future(batcher.submit(["in the worker"]))
        await asyncio.to_thread(recorder.started.wait, 5)  # the first batch is running, the queue is empty
        waiting = [asyncio.ensure_future(batcher.submit([f"q{i}"])) for i in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(QueueFullError, match="2 requests are already waiting"):
            await batcher.submit(["one too many"])
        gate.set()
        return await asyncio.gather(busy, *waiting), batcher.stats.rejected

    answers, rejected = asyncio.run(_with_batcher(recorder, body, max_queue=2, max_wait_ms=0))
    assert len(answers) == 3 and rejected == 1


def test_a_failing_prediction_fails_its_requests_and_batching_goes_on():
    calls = []

    def predict(texts):
        calls.append(texts)
        if "boom" in texts:
            raise RuntimeError("model broke")
        return np.zeros((len(texts), 2), dtype=np.float32)

    async def body(batcher):
        with pytest.raises(RuntimeError, match="model broke"):
            await batcher.submit(["boom"])
        return await batcher.submit(["fine"])

    batcher_answer = asyncio.run(_with_batcher(predict, body, max_wait_ms=0))
    assert batcher_answer.shape == (1, 2) and calls == [["boom"], ["fine"]]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="max_batch"):
        Batcher(_Recorder(), max_batch=0, max_wait_ms=1, max_queue=1)
