"""A CNN + linear-model hybrid: ``p = w * p_cnn + (1 - w) * p_linear``, the weight ``w`` chosen on the dev split.

The linear part is one of the benchmark's linear baselines (:data:`textcnn.bench.baselines.LINEAR_FITS`: NBSVM of
Wang & Manning 2012, or TF-IDF + logistic regression), fitted with the benchmark's own code on the CNN's training
split, then kept as plain arrays (:class:`LinearTextModel`): its n-gram vocabulary and settings in ``linear.json``,
``coef`` / ``intercept`` (and the IDF weights of TF-IDF) in ``linear.safetensors``. Predicting rebuilds the
features from those alone and gives the fitted scikit-learn pipeline's probabilities (to float64 rounding); no
pickle is read or written.

A hybrid model directory is a CNN model directory (:mod:`textcnn.classify.model_dir`) with ``linear.json`` and
``linear.safetensors`` beside it and ``"hybrid": {"linear": KIND, "weight": W}`` in ``textcnn.json``;
:func:`textcnn.load` returns a :class:`HybridClassifier` for it. Make one with
``textcnn train ... --hybrid nbsvm`` (config key ``train.hybrid``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textcnn.classify import model_dir as md
from textcnn.classify.classifier import (
    CHUNK_SIZE,
    MAX_BATCH_TOKENS,
    PredictStats,
    TextClassifier,
    _check_not_one_text,
    _clean,
)

#: Linear models a hybrid can hold (keys of :data:`textcnn.bench.baselines.LINEAR_FITS`).
LINEAR_KINDS = ("nbsvm", "tfidf_lr")
#: Features of each linear model: ``binary`` 0/1 n-gram indicators, or ``tfidf`` (sublinear tf x idf, L2-normed).
FEATURES = {"nbsvm": "binary", "tfidf_lr": "tfidf"}
#: The CNN weights ``w`` tried on the dev split: 0, 0.05, ..., 1.
WEIGHT_GRID = tuple(round(0.05 * i, 2) for i in range(21))
LINEAR_FORMAT = "textcnn-linear"
LINEAR_FORMAT_VERSION = 1


@dataclass
class LinearTextModel:
    """A linear text model over word n-grams, as plain arrays (no scikit-learn needed to predict).

    A text is cleaned with Kim's tokenizer (lower-cased when ``lowercase``), split on spaces, and its n-grams
    (``ngram_range``, joined by a space as scikit-learn joins them) looked up in ``vocabulary``; unknown n-grams are
    dropped. ``binary`` features are 0/1; ``tfidf`` features are ``(1 + log count) * idf``, each row L2-normalised.
    The scores are ``X @ coef.T + intercept``, turned into probabilities one-vs-rest
    (:func:`textcnn.bench.baselines.ovr_sigmoid_proba`).

    Attributes:
        kind: One of :data:`LINEAR_KINDS`.
        vocabulary: The n-grams, in feature order.
        coef: ``(K, F)`` weights; ``K = 1`` for two classes (the score of class 1), else one row per class. For NBSVM
            the log-count ratios are folded in (``r * w``).
        intercept: ``(K,)`` biases.
        num_classes: Number of classes ``C``.
        lowercase: Lower-case in Kim's cleaner.
        idf: ``(F,)`` IDF weights (``tfidf`` only).
        ngram_range: Smallest and largest n.
        chosen: What the fit chose on dev (``C``, dev accuracy), for the record.
    """

    kind: str
    vocabulary: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    num_classes: int
    lowercase: bool = True
    idf: np.ndarray | None = None
    ngram_range: tuple[int, int] = (1, 2)
    chosen: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index = {term: i for i, term in enumerate(self.vocabulary)}

    @property
    def features(self) -> str:
        return FEATURES[self.kind]

    # ------------------------------------------------------------------ from scikit-learn
    @classmethod
    def from_sklearn(cls, kind: str, vectorizer, model, *, num_classes: int, lowercase: bool, chosen: dict):
        """The arrays of a fitted baseline (:class:`~textcnn.bench.baselines.FittedLinear` parts).

        Raises:
            ValueError: If the model was not fitted on the label ids ``0 .. num_classes - 1`` (a class missing from
                the training split, say).
        """
        classes = np.asarray(model.classes_)
        if classes.tolist() != list(range(num_classes)):
            raise ValueError(
                f"the {kind} model was fitted on classes {classes.tolist()}, expected 0..{num_classes - 1}: every "
                f"class needs training examples"
            )
        if hasattr(model, "estimators_"):  # OneVsRestClassifier: one binary model per class
            coef = np.vstack([np.asarray(e.coef_, dtype=np.float64).reshape(1, -1) for e in model.estimators_])
            intercept = np.concatenate([np.asarray(e.intercept_, dtype=np.float64).ravel() for e in model.estimators_])
        else:
            coef = np.asarray(model.coef_, dtype=np.float64).reshape(-1, len(vectorizer.vocabulary_))
            intercept = np.asarray(model.intercept_, dtype=np.float64).ravel()
        vocabulary = [""] * len(vectorizer.vocabulary_)
        for term, i in vectorizer.vocabulary_.items():
            vocabulary[i] = term
        idf = np.asarray(vectorizer.idf_, dtype=np.float64) if FEATURES[kind] == "tfidf" else None
        return cls(kind, vocabulary, coef, intercept, num_classes, lowercase, idf, tuple(vectorizer.ngram_range),
                   dict(chosen))  # fmt: skip

    # ------------------------------------------------------------------ prediction
    def transform(self, texts: Sequence[str]):
        """The ``(N, F)`` sparse feature matrix (``scipy.sparse.csr_matrix``, float64)."""
        from scipy import sparse

        from textcnn.text.kim_clean import kim_clean

        lo, hi = self.ngram_range
        indptr, indices, values = [0], [], []
        for text in texts:
            tokens = kim_clean(_clean(text), lowercase=self.lowercase).split()
            counts: dict[int, int] = {}
            for n in range(lo, hi + 1):
                for i in range(len(tokens) - n + 1):
                    j = self._index.get(" ".join(tokens[i : i + n]))
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
            indices.extend(counts)
            values.extend(counts.values())
            indptr.append(len(indices))
        X = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(indptr) - 1, len(self.vocabulary)),
        )
        if self.features == "binary":
            X.data[:] = 1.0
            return X
        X.data = (np.log(X.data) + 1.0) * self.idf[X.indices]  # sublinear tf x idf
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())  # (N,)
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sparse.csr_matrix(sparse.diags(scale) @ X)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Scores ``(N, K)``."""
        return np.asarray(self.transform(texts) @ self.coef.T) + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities ``(N, C)`` (float64)."""
        from textcnn.bench.baselines import ovr_sigmoid_proba

        _check_not_one_text(texts)
        return ovr_sigmoid_proba(self.decision_function(list(texts)))

    # ------------------------------------------------------------------ files
    def save(self, folder: str | Path) -> None:
        """Write ``linear.json`` and ``linear.safetensors`` into ``folder`` (atomically, each)."""
        from safetensors.numpy import save_file

        from textcnn.utils.io import atomic_write, atomic_write_json

        folder = Path(folder)
        arrays = {"coef": np.ascontiguousarray(self.coef), "intercept": np.ascontiguousarray(self.intercept)}
        if self.idf is not None:
            arrays["idf"] = np.ascontiguousarray(self.idf)
        atomic_write(folder / md.LINEAR_WEIGHTS_FILE, lambda p: save_file(arrays, str(p)))
        atomic_write_json(folder / md.LINEAR_FILE, {
            "format": LINEAR_FORMAT, "format_version": LINEAR_FORMAT_VERSION, "kind": self.kind,
            "features": self.features, "text_cleaning": "kim_clean", "lowercase": self.lowercase,
            "ngram_range": list(self.ngram_range), "num_classes": self.num_classes, "chosen": self.chosen,
            "vocabulary": self.vocabulary,
        })  # fmt: skip

    @classmethod
    def load(cls, folder: str | Path) -> LinearTextModel:
        """Read the arrays :meth:`save` wrote, checking their shapes against ``linear.json``.

        Raises:
            FileNotFoundError: A file is missing.
            ValueError: A file is corrupt or the arrays do not match the vocabulary / number of classes.
        """
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        folder = Path(folder)
        meta_path, weights_path = folder / md.LINEAR_FILE, folder / md.LINEAR_WEIGHTS_FILE
        for path in (meta_path, weights_path):
            if not path.is_file():
                raise FileNotFoundError(f"{folder}: {path.name} is missing (textcnn.json says the model is a hybrid)")
        meta = _read_json(meta_path)
        kind, vocab, c = meta.get("kind"), meta.get("vocabulary"), meta.get("num_classes")
        if meta.get("format") != LINEAR_FORMAT or meta.get("format_version") != LINEAR_FORMAT_VERSION:
            raise ValueError(f"{meta_path}: not a {LINEAR_FORMAT} file of version {LINEAR_FORMAT_VERSION}")
        if kind not in LINEAR_KINDS:
            raise ValueError(f"{meta_path}: kind must be one of {', '.join(LINEAR_KINDS)}, got {kind!r}")
        if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab) or len(set(vocab)) != len(vocab):
            raise ValueError(f"{meta_path}: vocabulary must be a list of distinct strings")
        if isinstance(c, bool) or not isinstance(c, int) or c < 2:
            raise ValueError(f"{meta_path}: num_classes must be an integer >= 2, got {c!r}")
        ngrams = meta.get("ngram_range")
        if not (isinstance(ngrams, list) and len(ngrams) == 2 and all(isinstance(n, int) for n in ngrams)
                and 1 <= ngrams[0] <= ngrams[1]):  # fmt: skip
            raise ValueError(f"{meta_path}: ngram_range must be [min_n, max_n] with 1 <= min_n <= max_n")
        try:
            arrays = load_file(str(weights_path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ValueError(f"{weights_path}: corrupted or not a safetensors file ({exc})") from None
        k, f = (1 if c == 2 else c), len(vocab)
        expected = {"coef": (k, f), "intercept": (k,), **({"idf": (f,)} if FEATURES[kind] == "tfidf" else {})}
        shapes = {name: tuple(a.shape) for name, a in arrays.items()}
        if shapes != expected:
            raise ValueError(f"{weights_path}: arrays {shapes} do not match {md.LINEAR_FILE}, which needs {expected}")
        return cls(kind, vocab, arrays["coef"].astype(np.float64), arrays["intercept"].astype(np.float64), c,
                   bool(meta.get("lowercase", True)), arrays["idf"].astype(np.float64) if "idf" in arrays else None,
                   (ngrams[0], ngrams[1]), dict(meta.get("chosen") or {}))  # fmt: skip


def fit_linear(kind: str, train, dev, *, num_classes: int, lowercase: bool = True) -> LinearTextModel:
    """Fit linear model ``kind`` with the benchmark's code (:data:`textcnn.bench.baselines.LINEAR_FITS`).

    Args:
        kind: One of :data:`LINEAR_KINDS`.
        train: ``(texts, label ids)`` to fit on.
        dev: ``(texts, label ids)`` for the fit's own choice (TF-IDF+LR's ``C``), or ``None``.
        num_classes: Number of classes.
        lowercase: Lower-case in Kim's cleaner (as the CNN's tokenizer does).
    """
    from textcnn.bench.baselines import LINEAR_FITS, baseline_texts

    if kind not in LINEAR_KINDS:
        raise ValueError(f"unknown linear model {kind!r}; choose from {', '.join(LINEAR_KINDS)}")

    def prepare(pair):
        return None if pair is None else (baseline_texts(pair[0], lowercase), np.asarray(pair[1]))

    fitted = LINEAR_FITS[kind](prepare(train), prepare(dev))
    return LinearTextModel.from_sklearn(kind, fitted.vectorizer, fitted.model, num_classes=num_classes,
                                        lowercase=lowercase, chosen=fitted.chosen)  # fmt: skip


def choose_weight(
    p_cnn: np.ndarray, p_linear: np.ndarray, gold: Sequence[int], metric: str = "accuracy",
    grid: Sequence[float] = WEIGHT_GRID,
) -> tuple[float, dict[float, float]]:  # fmt: skip
    """The CNN weight ``w`` of ``grid`` whose mix ``w * p_cnn + (1 - w) * p_linear`` scores best on ``gold``.

    Ties on ``metric`` (``accuracy`` or ``macro_f1``) go to the lower log-loss, then to the larger ``w``.

    Returns:
        ``(w, {w: metric})``.
    """
    gold = np.asarray(gold, dtype=np.int64)
    if len(gold) == 0:
        raise ValueError("choosing the hybrid weight needs a non-empty dev split")
    scores, keys = {}, []
    for w in grid:
        p = w * p_cnn + (1.0 - w) * p_linear  # (N, C)
        score = _score(gold, p.argmax(axis=1), p.shape[1], metric)
        log_loss = float(-np.mean(np.log(np.clip(p[np.arange(len(gold)), gold], 1e-12, None))))
        scores[float(w)] = score
        keys.append((score, -log_loss, w))
    return float(max(keys)[2]), scores


def _score(gold: np.ndarray, pred: np.ndarray, num_classes: int, metric: str) -> float:
    if metric == "accuracy":
        return float(np.mean(gold == pred))
    if metric == "macro_f1":
        from sklearn.metrics import f1_score

        return float(f1_score(gold, pred, labels=list(range(num_classes)), average="macro", zero_division=0))
    raise ValueError(f"metric must be accuracy or macro_f1, got {metric!r}")


def _explain_refusal(hybrid: HybridClassifier) -> str:
    """Why a hybrid is not explained: its label mixes in the linear model's probabilities, so an account of the CNN
    alone (an explanation, a table of its n-grams) would explain another model than the one that predicts."""
    return (
        f"explain covers a Kim CNN alone; this model is a CNN + {hybrid.linear.kind} hybrid (CNN weight "
        f"{hybrid.weight:g}) whose probabilities mix in the linear model's: explain a CNN trained without --hybrid "
        f"(or this one's CNN with TextClassifier.from_pretrained(...))"
    )


def refuse_hybrid(classifier) -> None:
    """Nothing, unless ``classifier`` is a :class:`HybridClassifier` (see :func:`_explain_refusal`).

    Raises:
        ValueError: Naming the linear part and the CNN's weight.
    """
    if isinstance(classifier, HybridClassifier):
        raise ValueError(_explain_refusal(classifier))


class HybridClassifier:
    """A :class:`TextClassifier` and a :class:`LinearTextModel` whose probabilities are mixed:
    ``p = weight * p_cnn + (1 - weight) * p_linear``. Same prediction API as :class:`TextClassifier`.

    Args:
        cnn: The neural classifier (its labels, tokenizer settings and config are the hybrid's).
        linear: The linear model, over the same label ids.
        weight: The CNN's weight in ``[0, 1]``.
        metrics: Metrics to store (default: the CNN's).
    """

    def __init__(self, cnn: TextClassifier, linear: LinearTextModel, weight: float, metrics: dict | None = None):
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"the hybrid weight must be in [0, 1], got {weight}")
        if linear.num_classes != len(cnn.labels):
            raise ValueError(f"the linear model has {linear.num_classes} classes, the CNN {len(cnn.labels)}")
        if getattr(cnn, "thresholds", None) is not None:
            raise ValueError("a hybrid mixes single-label probabilities; this CNN is a multi-label model")
        self.cnn = cnn
        self.linear = linear
        self.weight = float(weight)
        if metrics is not None:
            cnn.metrics = dict(metrics)  # saved with the CNN's files

    # What predicting, evaluating and serving read, as a TextClassifier has it (the CNN's; the linear part reads
    # every text whole).
    labels = property(lambda self: self.cnn.labels)
    model_name = property(lambda self: self.cnn.model_name)
    model_kwargs = property(lambda self: self.cnn.model_kwargs)
    max_len = property(lambda self: self.cnn.max_len)
    config = property(lambda self: self.cnn.config)
    metrics = property(lambda self: self.cnn.metrics)
    device = property(lambda self: self.cnn.device)
    tokenizer = property(lambda self: self.cnn.tokenizer)
    thresholds = None
    multi_label = False

    @property
    def windows(self):
        return self.cnn.windows

    @windows.setter
    def windows(self, value) -> None:
        self.cnn.windows = value

    @property
    def long_documents(self) -> dict:
        return self.cnn.long_documents

    @property
    def hybrid_meta(self) -> dict:
        """What ``textcnn.json`` records under ``hybrid``."""
        return {"linear": self.linear.kind, "weight": self.weight}

    # ------------------------------------------------------------------ prediction
    def iter_proba(
        self, texts: Iterable[str], batch_size: int = 256, chunk_size: int = CHUNK_SIZE,
        stats: PredictStats | None = None, max_batch_tokens: int = MAX_BATCH_TOKENS,
    ) -> Iterator[np.ndarray]:  # fmt: skip
        """Stream mixed probabilities, one ``(C,)`` row per text, in input order, ``chunk_size`` texts at a time
        (see :meth:`TextClassifier.iter_proba`)."""
        for block in self._iter_blocks(texts, batch_size, chunk_size, stats, max_batch_tokens):
            yield from block

    def _iter_blocks(self, texts, batch_size, chunk_size, stats, max_batch_tokens) -> Iterator[np.ndarray]:
        _check_not_one_text(texts)
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        chunk: list[str] = []
        for text in texts:
            chunk.append(text)
            if len(chunk) >= chunk_size:
                yield self._mix(chunk, batch_size, stats, max_batch_tokens)
                chunk = []
        if chunk:
            yield self._mix(chunk, batch_size, stats, max_batch_tokens)

    def _mix(self, texts: list[str], batch_size: int, stats: PredictStats | None, max_batch_tokens: int) -> np.ndarray:
        blocks = self.cnn._iter_blocks(texts, batch_size, len(texts), stats, max_batch_tokens)
        p_cnn = np.concatenate(list(blocks)).astype(np.float64)  # (N, C)
        p_linear = self.linear.predict_proba(texts)  # (N, C)
        return (self.weight * p_cnn + (1.0 - self.weight) * p_linear).astype(np.float32)

    def predict_proba(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(N, C)`` in the order of :attr:`labels`."""
        blocks = list(self._iter_blocks(texts, batch_size, CHUNK_SIZE, None, MAX_BATCH_TOKENS))
        return np.concatenate(blocks) if blocks else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> list[str] | list[int]:
        """The most probable label of each text."""
        proba = self.predict_proba(texts, batch_size=batch_size)
        return [self.labels[i] for i in proba.argmax(axis=1)] if len(proba) else []

    def explain(self, text: str, top_k: int = 5):
        """Not available: the n-gram explanation covers a Kim CNN alone, not its mix with a linear model.

        Raises:
            ValueError: Always.
        """
        raise ValueError(_explain_refusal(self))

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, path: str | Path) -> Path:
        """Write the CNN's model directory with the linear files beside it (``textcnn.json`` last)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / md.META_FILE).unlink(missing_ok=True)  # the folder is incomplete until textcnn.json is back
        self.linear.save(path)
        return self.cnn.save_pretrained(path, hybrid=self.hybrid_meta)

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str = "cpu", amp: bool = False, windows: str | None = None
    ) -> HybridClassifier:
        """Load a hybrid model directory (runs no pickled code); the arguments are those of
        :meth:`TextClassifier.from_pretrained`, for the CNN."""
        cnn = TextClassifier.from_pretrained(path, device=device, amp=amp, windows=windows)
        meta = hybrid_meta(path)
        if meta is None:
            raise ValueError(f"{Path(path) / md.META_FILE}: no 'hybrid' entry; this is a plain CNN model directory")
        linear = LinearTextModel.load(path)
        if linear.kind != meta["linear"]:
            raise ValueError(f"{path}: textcnn.json says the linear part is {meta['linear']!r}, linear.json "
                             f"{linear.kind!r}")  # fmt: skip
        return cls(cnn, linear, meta["weight"])


def load_text_classifier(
    path: str | Path, device: str = "cpu", windows: str | None = None
) -> TextClassifier | HybridClassifier:
    """A text model directory's classifier on torch: a :class:`HybridClassifier` where ``textcnn.json`` records a
    linear part, else a :class:`TextClassifier` (arguments as :meth:`TextClassifier.from_pretrained`)."""
    cls = HybridClassifier if hybrid_meta(path) is not None else TextClassifier
    return cls.from_pretrained(path, device=device, windows=windows)


def hybrid_meta(path: str | Path) -> dict | None:
    """The checked ``hybrid`` entry of a model directory's ``textcnn.json`` (``None`` for a plain model).

    Raises:
        ValueError: The entry is malformed (named with the file).
    """
    meta_path = Path(path) / md.META_FILE
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # the full read of the folder reports it
    entry = meta.get("hybrid") if isinstance(meta, dict) else None
    if entry is None:
        return None
    weight = entry.get("weight") if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or entry.get("linear") not in LINEAR_KINDS:
        raise ValueError(f"{meta_path}: hybrid.linear must be one of {', '.join(LINEAR_KINDS)}, got {entry!r}")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0.0 <= weight <= 1.0:
        raise ValueError(f"{meta_path}: hybrid.weight must be a number in [0, 1], got {weight!r}")
    return {"linear": entry["linear"], "weight": float(weight)}


def fit_hybrid(
    cnn: TextClassifier, kind: str, splits, *, metric: str = "accuracy", echo: Callable[[str], object] | None = None
) -> HybridClassifier:
    """Fit linear model ``kind`` on ``splits.train``, choose the CNN weight on ``splits.dev`` and score everything.

    The hybrid's ``metrics`` are the CNN's with ``dev`` / ``test`` replaced by the hybrid's (what is saved is what
    is measured), the CNN's own under ``cnn``, and ``hybrid``: the linear model, the weight, the dev metric of every
    weight tried, and the dev and test accuracy of the CNN alone, the linear model alone and the hybrid.

    Raises:
        ValueError: No dev split (the weight is chosen on it), or a class without training examples.
    """
    from textcnn.training.metrics import classification_metrics

    if splits.dev is None or not len(splits.dev):
        raise ValueError("train.hybrid needs a dev split to choose the weight on (set data.dev_file or dev_fraction)")
    start = time.perf_counter()
    lowercase = bool(getattr(getattr(cnn.tokenizer, "config", None), "lowercase", True))
    pair = {name: (list(s.texts), list(s.labels)) for name, s in (("train", splits.train), ("dev", splits.dev),
            ("test", splits.test)) if s is not None and len(s)}  # fmt: skip
    linear = fit_linear(kind, pair["train"], pair["dev"], num_classes=len(cnn.labels), lowercase=lowercase)
    probs = {name: (cnn.predict_proba(texts).astype(np.float64), linear.predict_proba(texts)) for name, (texts, _) in
             pair.items() if name != "train"}  # fmt: skip
    weight, table = choose_weight(*probs["dev"], pair["dev"][1], metric=metric)
    accuracy: dict = {"cnn": {}, "linear": {}, "hybrid": {}}
    metrics = dict(cnn.metrics)
    metrics["cnn"] = {name: cnn.metrics[name] for name in ("dev", "test") if name in cnn.metrics}
    for name, (p_cnn, p_lin) in probs.items():
        gold = np.asarray(pair[name][1])
        mixed = weight * p_cnn + (1.0 - weight) * p_lin
        for part, p in (("cnn", p_cnn), ("linear", p_lin), ("hybrid", mixed)):
            accuracy[part][name] = float(np.mean(p.argmax(axis=1) == gold))
        metrics[name] = classification_metrics(gold.tolist(), mixed.argmax(axis=1).tolist(), cnn.labels)
    metrics["hybrid"] = {
        "linear": kind, "weight": weight, "selection_metric": metric, "dev_by_weight": table, "accuracy": accuracy,
        "linear_chosen": linear.chosen, "linear_features": len(linear.vocabulary),
        "seconds": time.perf_counter() - start,
    }  # fmt: skip
    if echo is not None:
        line = "; ".join(f"{part} " + ", ".join(f"{k} {v:.4f}" for k, v in accs.items())
                         for part, accs in accuracy.items())  # fmt: skip
        echo(f"hybrid: cnn weight {weight:.2f} chosen on dev ({metric}); accuracy: {line}")
    return HybridClassifier(cnn, linear, weight, metrics=metrics)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid UTF-8 JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data
