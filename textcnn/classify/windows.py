"""Prediction over windows of a long text, with the class probabilities pooled over the windows.

A text of more than ``max_len`` tokens is cut into windows of exactly ``max_len`` tokens, starting every ``stride``
tokens (default ``max_len // 2``: each token is read by two windows, so a phrase cut by one window's edge is whole in
the next), plus one window that ends on the text's last token when the strides do not land there. Each window is
scored like a short text and the text gets the pooled probabilities:

- ``max``: the largest probability of each class over the windows, renormalised to sum to 1 (a class that any one
  window is sure of wins: a decisive passage anywhere decides); for a multi-label model (one sigmoid per label) the
  maxima are not renormalised: a label is as probable as in the window most sure of it;
- ``mean``: the mean of the windows' probabilities (every window has a say: the topic of the text as a whole).

A text of at most ``max_len`` tokens is one window: its probabilities are the model's, unpooled. Windows are only
planned here, as ``(text, start)`` pairs; the classifier slices each batch's windows when it pads that batch, so a
50,000-token text never becomes a ``windows x max_len`` tensor. Training keeps one window per text (see
``data.truncate``).
"""

from __future__ import annotations

import numpy as np

#: Pooling of window scores (``data.windows``, ``textcnn predict --windows``); ``off`` truncates long texts instead.
#: The first mode is the default.
WINDOW_POOLING: tuple[str, ...] = ("off", "max", "mean")


def check_windows(windows: str) -> str:
    """``windows`` if it is one of :data:`WINDOW_POOLING`, else a ``ValueError`` naming the modes."""
    if windows not in WINDOW_POOLING:
        raise ValueError(f"windows must be one of {', '.join(WINDOW_POOLING)}, got {windows!r}")
    return windows


def resolve_stride(max_len: int, stride: int | None) -> int:
    """The stride between window starts: ``stride``, or ``max_len // 2`` (at least 1) when ``None``.

    Raises:
        ValueError: If ``stride`` is not in ``[1, max_len]`` (a larger stride would skip tokens).
    """
    if stride is None:
        return max(1, max_len // 2)
    if not 1 <= stride <= max_len:
        raise ValueError(f"window stride must be in [1, max_len={max_len}], got {stride}")
    return stride


def window_starts(length: int, size: int, stride: int) -> np.ndarray:
    """Start offsets of the windows of a text of ``length`` tokens: ``[0]`` when it fits in ``size``, else every
    ``stride`` tokens while a whole window fits, and a last window ending on the last token."""
    if length <= size:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, length - size + 1, stride, dtype=np.int64)
    if starts[-1] != length - size:
        starts = np.append(starts, length - size)
    return starts


def plan_windows(lengths: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The windows of a chunk of texts, in text order.

    Args:
        lengths: Token count of each text, ``(N,)``.
        size: Window size (the model's ``max_len``).
        stride: Tokens between window starts.

    Returns:
        ``(owner, starts, counts)``: for each window, its text's index ``(W,)`` and start ``(W,)``; for each text,
        its number of windows ``(N,)`` (a text's windows are consecutive).
    """
    counts = np.ones(len(lengths), dtype=np.int64)  # (N,)
    long = np.flatnonzero(lengths > size)
    per_long = [window_starts(int(lengths[i]), size, stride) for i in long]
    counts[long] = [len(s) for s in per_long]
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), counts)  # (W,)
    starts = np.zeros(len(owner), dtype=np.int64)  # (W,)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)  # (N,) index of each text's first window
    for i, s in zip(long, per_long, strict=True):
        starts[first[i] : first[i] + len(s)] = s
    return owner, starts, counts


def pool_windows(proba: np.ndarray, counts: np.ndarray, windows: str, *, renormalise: bool = True) -> np.ndarray:
    """Pool window probabilities ``(W, C)`` into text probabilities ``(N, C)`` (``counts``: windows per text, each
    text's windows consecutive); ``max`` takes each class's maximum and (``renormalise``: softmax outputs) rescales
    the maxima to sum to 1, ``mean`` averages."""
    if len(counts) == len(proba):  # one window per text: nothing to pool
        return proba
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)  # (N,)
    if windows == "mean":
        return (np.add.reduceat(proba, first, axis=0) / counts[:, None]).astype(proba.dtype)  # (N, C)
    pooled = np.maximum.reduceat(proba, first, axis=0)  # (N, C)
    if not renormalise:
        return pooled
    many = counts > 1  # a single window's probabilities are the model's, left exactly as they are
    pooled[many] /= pooled[many].sum(axis=1, keepdims=True)
    return pooled


def describe_long_documents(max_len: int | None, truncate: str, windows: str, window_stride: int | None) -> str:
    """How texts longer than ``max_len`` are read, in words (``textcnn evaluate`` and ``predict`` print it)."""
    if max_len is None:
        return "whole (no max_len)"
    if windows == "off":
        return f"{truncate} truncation at {max_len} tokens"
    return f"{windows}-pooled {max_len}-token windows, stride {resolve_stride(max_len, window_stride)}"
