"""A trained text classifier in one object: model + tokenizer + labels, loadable from a model directory.

>>> clf = textcnn.load("runs/mr")                 # or TextClassifier.from_pretrained("runs/mr")
>>> clf.predict(["a gripping , funny film", "dull"])
['positive', 'negative']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from textcnn.classify.model_dir import build_model, read_model_dir, save_model_dir
from textcnn.classify.windows import WINDOW_POOLING, check_windows, plan_windows, pool_windows, resolve_stride
from textcnn.data.batching import TRUNCATE_MODES, check_truncate, text_inputs
from textcnn.training.device import to_device, torch_threads

if TYPE_CHECKING:
    from textcnn.classify.explain import Explanation


@dataclass
class PredictStats:
    """Counts gathered while predicting (reported by ``textcnn predict``).

    Attributes:
        n: Texts predicted.
        empty: Texts without any token (predicted from the bias alone).
        truncated: Texts cut to the model's ``max_len`` (``truncate`` says which tokens they keep).
        windowed: Texts longer than ``max_len`` read whole, as windows whose scores are pooled (``windows``).
        not_utf8: Input lines that were not valid UTF-8 (decoded as cp1252, else with U+FFFD replacement
            characters); counted by :func:`textcnn.classify.predict.predict_files`.
        replaced: Input lines that hold U+FFFD replacement characters after decoding.
    """

    n: int = 0
    empty: int = 0
    truncated: int = 0
    windowed: int = 0
    not_utf8: int = 0
    replaced: int = 0


#: Batches of at least this many padded tokens are copied to a GPU from pinned memory, asynchronously; pinning a
#: small batch costs more than the copy it speeds up.
PIN_MIN_TOKENS = 2**14

#: Texts encoded, sorted and predicted together by :meth:`TextClassifier.iter_proba` (bounds its memory).
CHUNK_SIZE = 8192

#: Largest padded batch (rows x tokens) :meth:`TextClassifier.iter_proba` builds; a longer text gets a batch alone.
MAX_BATCH_TOKENS = 2**15


class TextClassifier:
    """Model, tokenizer and label names together; predicts on raw text.

    Args:
        model: A text model taking ``(input_ids, mask)``.
        tokenizer: A fitted :class:`textcnn.text.tokenizers.TextTokenizer`.
        labels: Class names in id order: all ``str`` or all ``int`` (kept as they are through save and load).
        model_name: Registry name of the model (saved so it can be rebuilt).
        model_kwargs: Keyword arguments that rebuild the model.
        max_len: Texts longer than this many tokens are truncated or read as windows (``None``: no limit).
        config: The experiment config (dict) to store with the model.
        metrics: Metrics and reports to store with the model.
        device: Where to run prediction (``auto``, ``cpu``, ``cuda``).
        amp: bf16 autocast when predicting on CUDA (ignored on CPU); probabilities are returned as float32. Off by
            default: for Kim-size models on an H200 it was no faster than float32 (slower at batch size 1).
        num_threads: Torch CPU threads while predicting (``None``: ``auto_num_threads()``).
        precision: ``float32``, or ``bfloat16`` for a model with ``set_inference_dtype`` (the Kim CNN: one bf16
            matrix product over unfolded windows, ~2-4x faster on CPUs with AVX-512 BF16/AMX; MR test accuracy in
            docs/speed.md). An opt-in: probabilities move by about 1e-3.
        truncate: Which tokens a truncated text keeps: ``head`` or ``head_tail`` (see
            :data:`textcnn.data.batching.TRUNCATE_MODES`).
        windows: A text longer than ``max_len``: ``off`` truncates it; ``max`` / ``mean`` score each window of
            ``max_len`` tokens and pool the probabilities (see :mod:`textcnn.classify.windows`). An attribute: set
            ``clf.windows = "max"`` to change it; ``save_pretrained`` saves it.
        window_stride: Tokens between window starts (``None``: ``max_len // 2``).
        thresholds: A multi-label model's decision threshold per label, in label order (saved with it): its
            probabilities are per-label sigmoids and :meth:`predict` gives each text the labels at or above their
            thresholds. ``None`` (single-label): softmax probabilities, one label per text.
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        labels: Sequence[str] | Sequence[int],
        *,
        model_name: str = "kim_cnn",
        model_kwargs: dict | None = None,
        max_len: int | None = None,
        config: dict | None = None,
        metrics: dict | None = None,
        device: str = "cpu",
        amp: bool = False,
        num_threads: int | None = None,
        precision: str = "float32",
        truncate: str = TRUNCATE_MODES[0],
        windows: str = WINDOW_POOLING[0],
        window_stride: int | None = None,
        thresholds: Sequence[float] | None = None,
    ) -> None:
        from textcnn.training.device import resolve_device

        self.num_threads = num_threads
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.thresholds = None if thresholds is None else [float(t) for t in thresholds]
        if self.thresholds is not None and len(self.thresholds) != len(self.labels):
            raise ValueError(f"TextClassifier: {len(self.thresholds)} thresholds for {len(self.labels)} labels")
        self.model_name = model_name
        self.model_kwargs = dict(model_kwargs or {})
        self.max_len = max_len
        self.truncate = truncate
        self.windows = windows
        self.window_stride = window_stride
        self.check_long_documents()
        self.config = dict(config or {})
        self.metrics = dict(metrics or {})
        self.device = resolve_device(device)
        self.amp = amp
        self.model.to(self.device)
        self.set_precision(precision)
        self.features = _feature_extractor(self.model, self.device)

    def set_precision(self, precision: str) -> TextClassifier:
        """Predict in ``precision`` from now on (``float32``, or ``bfloat16`` for a model with
        ``set_inference_dtype``, the Kim CNN); returns ``self``.

        Raises:
            ValueError: ``precision`` is unknown, or not ``float32`` for a model without reduced-precision prediction.
        """
        set_dtype = getattr(self.model, "set_inference_dtype", None)
        if set_dtype is not None:
            set_dtype(precision)
        elif precision != "float32":
            raise ValueError(
                f"TextClassifier: precision {precision!r} needs a model with set_inference_dtype "
                f"(the Kim CNN); {type(self.model).__name__} predicts in float32 only"
            )
        self.precision = precision
        return self

    # ------------------------------------------------------------------ persistence
    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str = "cpu",
        amp: bool = False,
        windows: str | None = None,
        precision: str = "float32",
    ) -> TextClassifier:
        """Load a model directory written by :meth:`save_pretrained` (or ``textcnn train``); runs no pickled code.
        ``windows`` replaces the saved window pooling (``None``: as saved); ``precision`` as in the class."""
        from textcnn.text.tokenizers import TextTokenizer

        files = read_model_dir(path)
        model = build_model(files, path)
        try:
            tokenizer = TextTokenizer.from_str(files.tokenizer_json)
        except Exception as exc:  # noqa: BLE001 - any parse failure of the file means it is unusable
            raise ValueError(f"{Path(path) / 'tokenizer.json'}: not a valid tokenizer ({exc})") from None
        embedding = getattr(model, "embedding", None)
        if embedding is not None and tokenizer.vocab_size > embedding.num_embeddings:
            raise ValueError(
                f"{path}: the tokenizer has {tokenizer.vocab_size} tokens but the model's embedding table has "
                f"{embedding.num_embeddings} rows"
            )
        _check_runs(model, tokenizer, files.labels, files.max_len, path)
        if getattr(model, "needs_features", False):  # a moved or missing encoder: name it and where it is recorded
            from textcnn.text.contextual import encoder_config

            encoder_config(model.encoder, f"model_kwargs.encoder in {Path(path) / 'textcnn.json'}")
        return cls(
            model,
            tokenizer,
            files.labels,
            model_name=files.model_name,
            model_kwargs=files.model_kwargs,
            max_len=files.max_len,
            config=files.config,
            metrics=files.metrics,
            device=device,
            amp=amp,
            precision=precision,
            thresholds=files.thresholds,
            **(files.long_documents | ({"windows": windows} if windows is not None else {})),
        )

    def save_pretrained(self, path: str | Path, *, hybrid: dict | None = None) -> Path:
        """Write the model directory (atomically; see :mod:`textcnn.classify.model_dir`); ``hybrid`` is what
        :class:`~textcnn.classify.hybrid.HybridClassifier` records in ``textcnn.json``."""
        return save_model_dir(
            path,
            self.model,
            model_name=self.model_name,
            model_kwargs=self.model_kwargs,
            labels=self.labels,
            tokenizer_json=self.tokenizer.to_str(),
            max_len=self.max_len,
            config=self.config,
            metrics=self.metrics,
            long_documents=self.long_documents,
            thresholds=self.thresholds,
            hybrid=hybrid,
        )

    # ------------------------------------------------------------------ long documents
    @property
    def long_documents(self) -> dict:
        """How a text longer than ``max_len`` is read: ``{"truncate", "windows", "window_stride"}`` (saved in
        ``textcnn.json``, reported by ``evaluate``)."""
        return {"truncate": self.truncate, "windows": self.windows, "window_stride": self.window_stride}

    def check_long_documents(self) -> None:
        """Check ``truncate``, ``windows`` and ``window_stride`` (a ``ValueError`` naming the attribute)."""
        try:
            check_truncate(self.truncate)
            check_windows(self.windows)
            if self.window_stride is not None:
                resolve_stride(self.max_len or self.window_stride, self.window_stride)
        except ValueError as exc:
            raise ValueError(f"TextClassifier: {exc}") from None

    # ------------------------------------------------------------------ prediction
    @property
    def min_len(self) -> int:
        return int(getattr(self.model, "min_len", 1))

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text (not truncated)."""
        return self.tokenizer.encode_batch([_clean(t) for t in texts])

    def iter_proba(
        self,
        texts: Iterable[str],
        batch_size: int = 256,
        chunk_size: int = CHUNK_SIZE,
        stats: PredictStats | None = None,
        max_batch_tokens: int = MAX_BATCH_TOKENS,
    ) -> Iterator[np.ndarray]:
        """Stream class probabilities, one ``(C,)`` row per input text, in input order, with bounded memory.

        Texts are read ``chunk_size`` at a time, sorted by length inside the chunk (less padding), predicted in
        batches of at most ``batch_size`` texts and ``max_batch_tokens`` padded positions (a longer text is predicted
        alone, so one huge line cannot make its whole batch huge) and yielded back in input order. Memory is bounded
        by the chunk's texts plus one batch, whatever the number of texts. A text longer than ``max_len`` is
        truncated as :attr:`truncate` says or, with :attr:`windows` ``max``/``mean``, read as windows of ``max_len``
        tokens that are batched like short texts, and whose probabilities are pooled back into its one row (see
        :mod:`textcnn.classify.windows`).
        """
        for block in self._iter_blocks(texts, batch_size, chunk_size, stats, max_batch_tokens):
            yield from block

    def _iter_blocks(
        self, texts: Iterable[str], batch_size: int, chunk_size: int, stats: PredictStats | None, max_batch_tokens: int
    ) -> Iterator[np.ndarray]:
        """The probabilities of each chunk of texts, ``(chunk, C)``: one array per chunk, so that the per-text cost is
        numpy's, not a generator's (resuming a generator costs more than a short text's share of a batch)."""
        from textcnn.data.batching import pad_batch

        if batch_size < 1 or chunk_size < 1 or max_batch_tokens < 1:
            raise ValueError(
                f"batch_size, chunk_size and max_batch_tokens must be >= 1, got {batch_size}, {chunk_size}, "
                f"{max_batch_tokens}"
            )
        _check_not_one_text(texts)
        self.check_long_documents()
        stats = stats if stats is not None else PredictStats()
        self.model.eval()
        chunk: list[str] = []
        for text in texts:
            chunk.append(text)
            if len(chunk) >= chunk_size:
                yield self._proba_chunk(chunk, batch_size, max_batch_tokens, stats, pad_batch)
                chunk = []
        if chunk:
            yield self._proba_chunk(chunk, batch_size, max_batch_tokens, stats, pad_batch)

    def _batches(self, lengths: np.ndarray, batch_size: int, max_tokens: int) -> Iterator[np.ndarray | list[int]]:
        """Indices of each batch: sorted by length, at most ``batch_size`` rows and ``max_tokens`` padded positions.
        With ``batch_size=1`` the texts go one by one in input order: sorting pads nothing then, and planning would
        cost as much as the model's forward."""
        if batch_size == 1:
            yield from ([i] for i in range(len(lengths)))
            return
        order = np.argsort(lengths, kind="stable")
        padded = np.maximum(np.minimum(lengths[order], self.max_len or np.iinfo(np.int64).max), self.min_len)
        start = 0
        while start < len(order):
            stop = min(start + batch_size, len(order))
            # rows are sorted, so a batch's padded width is its last row's: k rows cost k * padded[start + k - 1]
            cost = np.arange(1, stop - start + 1) * padded[start:stop]
            stop = start + max(1, int(np.searchsorted(cost, max_tokens, side="right")))
            yield order[start:stop]
            start = stop

    @torch.inference_mode()
    def _proba_chunk(
        self, texts: list[str], batch_size: int, max_tokens: int, stats: PredictStats, pad_batch
    ) -> np.ndarray:
        ids = self.encode(texts)
        stats.n += len(ids)
        stats.empty += sum(1 for seq in ids if not seq)
        lengths = np.fromiter((len(s) for s in ids), dtype=np.int64, count=len(ids))
        windowed = self.windows != "off" and self.max_len is not None and bool((lengths > self.max_len).any())
        # a contextual model's words (the encoder runs per batch, in memory: predicted texts are not cached on disk)
        words = [self.tokenizer.tokenize(_clean(t)) for t in texts] if self.features is not None else None
        if windowed:  # rows become windows (a short text is one); pooled back into one row per text below
            ids, lengths, counts = self._windows(ids, lengths)
            words = ids.over(words) if words is not None else None
            stats.windowed += int((counts > 1).sum())
        cuda = self.device.type == "cuda"
        order, probs = [], []
        with (
            torch_threads(self.num_threads if not cuda else torch.get_num_threads()),
            torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp and cuda),
        ):
            for idx in self._batches(lengths, batch_size, max_tokens):
                batch_ids, mask, n_truncated = pad_batch(
                    [ids[i] for i in idx],
                    pad_id=self.tokenizer.pad_id,
                    min_len=self.min_len,
                    max_len=self.max_len,
                    truncate=self.truncate,
                )
                stats.truncated += n_truncated
                inputs = text_inputs(batch_ids, mask)
                if words is not None:  # (b, T, H) encoder features aligned with the ids
                    inputs["features"] = self._batch_features([words[i] for i in idx], batch_ids.shape[1])
                if cuda:
                    if batch_ids.numel() >= PIN_MIN_TOKENS:  # the copy runs while the next batch is padded
                        inputs = {k: v.pin_memory() for k, v in inputs.items()}
                    inputs = to_device(inputs, self.device)
                extra = {"features": inputs["features"]} if "features" in inputs else {}
                logits = self.model(inputs["input_ids"], inputs.get("mask"), **extra)  # (b, C)
                order.append(idx)
                probs.append(self._probabilities(logits))  # stays on the device until the chunk ends
        out = np.empty((len(ids), len(self.labels)), dtype=np.float32)
        if probs:  # one copy (and one wait for the device) per chunk, not per batch
            out[np.concatenate(order)] = torch.cat(probs).cpu().numpy()
        return pool_windows(out, counts, self.windows, renormalise=not self.multi_label) if windowed else out

    def _windows(self, ids: list[list[int]], lengths: np.ndarray) -> tuple[_WindowIds, np.ndarray, np.ndarray]:
        """The windows of a chunk's texts as rows (sliced only when a batch takes them), their lengths ``(W,)``,
        and the number of windows of each text ``(N,)`` (see :func:`textcnn.classify.windows.plan_windows`)."""
        size = int(self.max_len)
        owner, starts, counts = plan_windows(lengths, size, resolve_stride(size, self.window_stride))
        return _WindowIds(ids, owner, starts, size), np.minimum(lengths[owner] - starts, size), counts

    def _batch_features(self, words: list[list[str]], width: int) -> torch.Tensor:
        """A contextual model's ``(b, width, H)`` features of one batch's texts (or windows), truncated as the ids."""
        from textcnn.data.batching import pad_features

        arrays = self.features.features(words)
        return pad_features(arrays, width, self.features.hidden_size, max_len=self.max_len, truncate=self.truncate)

    @property
    def multi_label(self) -> bool:
        """Whether each text gets a set of labels (a model trained with ``data.multi_label``)."""
        return self.thresholds is not None

    def _probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """``(b, C)`` probabilities of ``(b, C)`` logits: softmax, or one sigmoid per label (multi-label)."""
        return torch.sigmoid(logits.float()) if self.multi_label else torch.softmax(logits.float(), dim=1)

    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(N, C)`` in the order of :attr:`labels` (multi-label: each label's own
        probability; a row need not sum to 1)."""
        blocks = list(self._iter_blocks(texts, batch_size, CHUNK_SIZE, None, MAX_BATCH_TOKENS))
        return np.concatenate(blocks) if blocks else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> list[str] | list[int] | list[list]:
        """The most probable label of each text (a name from :attr:`labels`: ``str``, or ``int`` for a model fitted
        on integer labels); for a multi-label model, a list per text of the labels at or above their thresholds,
        most probable first (possibly empty)."""
        proba = self.predict_proba(texts, batch_size=batch_size)
        if self.multi_label:
            from textcnn.classify.multilabel import predicted_label_sets

            return predicted_label_sets(proba, self.labels, self.thresholds)
        return [self.labels[i] for i in proba.argmax(axis=1)] if len(proba) else []

    def explain(self, text: str, top_k: int = 5, method: str = "auto", n_steps: int | None = None) -> Explanation:
        """Why the model gives ``text`` its label: for a ``kim_cnn`` the logits split exactly into n-gram
        contributions (:func:`~textcnn.classify.explain.explain_kim`); for other models (or ``method=
        "integrated_gradients"``) approximate per-token attributions by integrated gradients, labelled
        ``exact=False`` (:mod:`textcnn.classify.explain_gradients`, needs captum). See
        :func:`textcnn.classify.explain.explain_text`.

        Raises:
            TypeError: If ``text`` is not one ``str`` (a list, say): it explains one text.
            ValueError: An unknown ``method``, or ``exact`` for a model that is not a Kim CNN.
        """
        from textcnn.classify.explain import explain_text

        return explain_text(self, text, top_k=top_k, method=method, n_steps=n_steps)


class _WindowIds:
    """Row ``w`` is window ``w``'s token ids, ``ids[owner[w]][starts[w] : starts[w] + size]``, sliced on access:
    a long text's windows never exist all at once."""

    def __init__(self, ids: list[list[int]], owner: np.ndarray, starts: np.ndarray, size: int) -> None:
        self.ids, self.owner, self.starts, self.size = ids, owner.tolist(), starts.tolist(), size

    def __len__(self) -> int:
        return len(self.owner)

    def __getitem__(self, w: int) -> list[int]:
        seq, start = self.ids[self.owner[w]], self.starts[w]
        return seq if start == 0 and len(seq) <= self.size else seq[start : start + self.size]

    def over(self, seqs: list) -> _WindowIds:
        """The same windows over other per-text sequences aligned with the ids (a contextual model's words)."""
        return _WindowIds(seqs, np.asarray(self.owner), np.asarray(self.starts), self.size)


def _check_runs(model: nn.Module, tokenizer, labels: list[str], max_len: int | None, path) -> None:
    """One forward pass on a one-token text: the model runs and has one output per label (else ``ValueError``)."""
    min_len = int(getattr(model, "min_len", 1))
    if max_len is not None and max_len < min_len:
        raise ValueError(f"{path}: max_len {max_len} is shorter than the model's widest filter ({min_len})")
    ids = torch.full((1, min_len), tokenizer.pad_id, dtype=torch.long)  # (1, T)
    ids[0, 0] = tokenizer.unk_id
    mask = torch.zeros(1, min_len, dtype=torch.bool)  # (1, T)
    mask[0, 0] = True
    extra = {"features": torch.zeros(1, min_len, model.feature_dim)} if getattr(model, "needs_features", False) else {}
    try:
        with torch.inference_mode():
            logits = model(ids, mask, **extra)  # (1, C)
    except Exception as exc:  # noqa: BLE001 - a model that cannot run on a text is unusable, whatever the reason
        raise ValueError(f"{path}: the model does not run on text ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (1, len(labels)):
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(
            f"{path}: textcnn.json lists {len(labels)} labels but the model gives outputs of shape {shape} "
            f"(expected (1, {len(labels)}))"
        )


def _feature_extractor(model: nn.Module, device: torch.device):
    """A contextual model's feature extractor (:class:`~textcnn.text.contextual.ContextualFeatures` over the encoder
    the model records, no disk cache; the encoder loads on the first prediction), or ``None`` for other models."""
    if not getattr(model, "needs_features", False):
        return None
    from textcnn.text.contextual import ContextualFeatures

    return ContextualFeatures(model.encoder, layer=model.layer, device=str(device), setting="model.encoder")


def _check_not_one_text(texts: object) -> None:
    """Refuse a single string where texts are expected (iterating over it would predict each character).

    Raises:
        TypeError: If ``texts`` is a ``str`` or ``bytes``.
    """
    if isinstance(texts, str | bytes):
        raise TypeError(
            f"expected a list of texts, got a single {type(texts).__name__} ({texts[:40]!r}); pass a list of texts, "
            f"e.g. [text]"
        )


def _clean(text) -> str:
    """Make any input a string the tokenizer accepts (``None`` -> empty, NUL bytes dropped)."""
    if text is None:
        return ""
    return str(text).replace("\x00", " ")


#: Prediction backends of :func:`load`.
BACKENDS = ("torch", "onnx", "onnx-int8")


def load(path: str | Path, device: str = "cpu", backend: str | None = None):
    """Load a model directory in one call: a :class:`TextClassifier` for a text model, an
    :class:`~textcnn.classify.image.ImageClassifier` for an image model (e.g. LeNet-5 from
    ``scripts/train_lenet_mnist.py --out DIR``). ``hf://ORG/NAME`` fetches a model pushed with ``textcnn push``
    from the Hugging Face Hub (a clear error where there is no network). ``backend="onnx"`` runs a text model with
    ONNX Runtime on CPU, with the same ``predict`` / ``predict_proba`` (see :func:`textcnn.classify.export.load_onnx`;
    needs ``pip install "textcnn[export]"``); ``backend="onnx-int8"`` runs the int8 graph that ``textcnn quantize
    --dtype int8`` writes. ``None`` (the default) runs a directory's int8 graph where it has one, else PyTorch."""
    from textcnn.classify.model_dir import read_task

    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend is not None and backend.startswith("onnx") and device != "cpu":
        raise ValueError(f"the {backend} backend runs on cpu, got device={device!r}")

    if str(path).startswith("hf://"):
        from textcnn.classify.hub import hub_path

        path = hub_path(str(path))

    from textcnn.classify.hybrid import HybridClassifier, hybrid_meta

    if hybrid_meta(path) is not None:  # a CNN + linear hybrid: torch for the CNN, numpy for the linear part
        if backend not in (None, "torch"):
            raise ValueError(f"{path} holds a CNN + linear hybrid, which runs on the torch backend only")
        return HybridClassifier.from_pretrained(path, device=device)
    if backend is None:
        from textcnn.classify.quantize import has_int8_graph

        backend = "onnx-int8" if device == "cpu" and has_int8_graph(path) else "torch"
    if backend.startswith("onnx"):  # text models only (load_onnx says so for an image model)
        from textcnn.classify.export import load_onnx

        return load_onnx(path, int8=backend == "onnx-int8")
    if read_task(path) == "image":
        from textcnn.classify.image import ImageClassifier

        return ImageClassifier.from_pretrained(path)
    return TextClassifier.from_pretrained(path, device=device)
