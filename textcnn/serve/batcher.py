"""Dynamic batching: texts of concurrent requests are predicted together, in one worker thread.

Requests wait in a bounded :class:`asyncio.Queue`. One task takes the first waiting request, then waits at most
``max_wait_ms`` for more, up to ``max_batch`` texts, and runs the batch in a single worker thread while the next
requests queue up. A request larger than ``max_batch`` texts is predicted alone; a request is never split.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


class QueueFullError(RuntimeError):
    """The request queue is full (the server answers 503)."""


@dataclass
class BatchStats:
    """Counts since the batcher started (reported by ``GET /health``).

    Attributes:
        requests: Requests predicted.
        texts: Texts predicted.
        batches: Batches run (fewer than ``requests`` when requests were batched together).
        largest_batch: Most texts in one batch.
        rejected: Requests refused because the queue was full.
    """

    requests: int = 0
    texts: int = 0
    batches: int = 0
    largest_batch: int = 0
    rejected: int = 0


@dataclass
class _Request:
    texts: Sequence[str]
    future: asyncio.Future


class Batcher:
    """Batches the texts of concurrent requests and predicts them in one worker thread.

    Args:
        predict: Class probabilities ``(N, C)`` of a list of texts (e.g. ``TextClassifier.predict_proba``); runs in
            the worker thread.
        max_batch: Most texts predicted together (a larger request is predicted alone).
        max_wait_ms: How long the first request of a batch waits for others (0: take only those already waiting).
        max_queue: Most requests waiting; :meth:`submit` raises :class:`QueueFullError` beyond it.
    """

    def __init__(
        self, predict: Callable[[list[str]], np.ndarray], *, max_batch: int, max_wait_ms: float, max_queue: int
    ) -> None:
        if max_batch < 1 or max_queue < 1 or max_wait_ms < 0:
            raise ValueError(
                f"max_batch and max_queue must be >= 1 and max_wait_ms >= 0, got {max_batch}, {max_queue}, "
                f"{max_wait_ms}"
            )
        self.predict = predict
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Request] | None = None
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._held: _Request | None = None  # taken off the queue, did not fit in the last batch

    @property
    def queued(self) -> int:
        """Requests waiting for a batch."""
        return self._queue.qsize() if self._queue is not None else 0

    async def start(self) -> None:
        """Create the queue, the worker thread and the batching task (in the running event loop)."""
        self._queue = asyncio.Queue(self.max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="textcnn-predict")
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop batching; requests still waiting fail with :class:`QueueFullError` (the server is going away)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._held is not None:
            _fail([self._held], QueueFullError("the server is shutting down"))
            self._held = None
        while self._queue is not None and not self._queue.empty():
            _fail([self._queue.get_nowait()], QueueFullError("the server is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def submit(self, texts: Sequence[str]) -> np.ndarray:
        """The class probabilities ``(len(texts), C)`` of ``texts``, predicted in a batch with other requests.

        Raises:
            QueueFullError: If ``max_queue`` requests are already waiting, or the batcher is not running.
        """
        if self._queue is None or self._task is None or self._task.done():
            raise QueueFullError("the batcher is not running")
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Request(texts, future))
        except asyncio.QueueFull:
            self.stats.rejected += 1
            raise QueueFullError(f"{self.max_queue} requests are already waiting; retry later") from None
        return await future

    async def run_in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the worker thread, between batches (the model is only ever used by that thread)."""
        if self._executor is None:
            raise QueueFullError("the batcher is not running")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _run(self) -> None:
        """Take batches off the queue and predict them, until cancelled (then every request taken fails)."""
        queue = self._queue
        if queue is None:
            raise RuntimeError("start() creates the queue before the batching task")
        while True:
            batch = [self._held if self._held is not None else await queue.get()]
            self._held = None
            try:
                self._held = await self._fill(batch)
            except asyncio.CancelledError:
                _fail(batch, QueueFullError("the server is shutting down"))
                raise
            await self._predict(batch)

    async def _fill(self, batch: list[_Request]) -> _Request | None:
        """Add the requests arriving within ``max_wait`` to ``batch`` while it has room; returns the request that did
        not fit (held for the next batch), if any."""
        size = sum(len(request.texts) for request in batch)
        deadline = asyncio.get_running_loop().time() + self.max_wait
        while size < self.max_batch:
            request = await self._next(deadline)
            if request is None:
                return None
            if size + len(request.texts) > self.max_batch:
                return request
            batch.append(request)
            size += len(request.texts)
        return None

    async def _next(self, deadline: float) -> _Request | None:
        """The next waiting request, waiting until ``deadline`` (loop time) at most; ``None`` when none came."""
        if self._queue is None:
            return None
        if not self._queue.empty():
            return self._queue.get_nowait()
        timeout = deadline - asyncio.get_running_loop().time()
        if timeout <= 0:
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def _predict(self, batch: list[_Request]) -> None:
        """Predict one batch in the worker thread and hand each request its rows (or the error)."""
        live = [r for r in batch if not r.future.done()]  # a client that went away cancelled its future
        if not live:
            return
        texts = [text for request in live for text in request.texts]
        try:
            proba = await self.run_in_worker(self.predict, texts)
        except asyncio.CancelledError:  # stopping: no request may wait forever
            _fail(live, QueueFullError("the server is shutting down"))
            raise
        except Exception as exc:  # noqa: BLE001 - the error goes to the requests; the batcher keeps running
            _fail(live, exc)
            return
        self._count(len(live), len(texts))
        start = 0
        for request in live:
            stop = start + len(request.texts)
            if not request.future.done():
                request.future.set_result(proba[start:stop])
            start = stop

    def _count(self, requests: int, texts: int) -> None:
        self.stats.requests += requests
        self.stats.texts += texts
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, texts)


def _fail(requests: list[_Request], exc: BaseException) -> None:
    """Hand ``exc`` to each request still waiting for its answer."""
    for request in requests:
        if not request.future.done():
            request.future.set_exception(exc)
