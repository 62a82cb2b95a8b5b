"""Linear and fastText baselines for the accuracy benchmark, on the same splits as the Kim CNN.

Every baseline sees text cleaned by Kim's tokenizer (:func:`textcnn.text.kim_clean.kim_clean`, lower-cased unless the
dataset's Kim config keeps case, as for TREC), split on spaces. Each picks at most one hyper-parameter on the dev
split (the CNN uses dev for early stopping) and is then scored once on the test split.

- ``tfidf_lr``: TF-IDF of word 1-2 grams (sublinear tf) + logistic regression (liblinear; one-vs-rest for more than
  two classes), ``C`` chosen on dev.
- ``tfidf_svm``: the same features + a linear SVM (``LinearSVC``), ``C`` chosen on dev.
- ``nbsvm``: NBSVM (Wang & Manning, 2012, "Baselines and Bigrams"): binarized uni+bigram features scaled by the
  log-count ratio ``r``, a linear SVM (squared hinge, ``C=1``), weights interpolated with ``beta=0.25``;
  one-vs-rest for more than two classes.
- ``fasttext``: fastText supervised (Joulin et al., 2017) with word bigrams, learning rate chosen on dev
  (module ``fasttext`` from the ``fasttext-numpy2`` package; optional).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = [
    "BASELINES",
    "BaselineResult",
    "LINEAR_FITS",
    "NBSVM",
    "baseline_texts",
    "fasttext_available",
    "fit_nbsvm",
    "fit_tfidf_lr",
    "ovr_sigmoid_proba",
    "run_baseline",
]

TFIDF_C_GRID = (1.0, 10.0, 100.0)
FASTTEXT_LR_GRID = (0.1, 0.5, 1.0)
FASTTEXT_SETTINGS = {"dim": 100, "epoch": 10, "wordNgrams": 2, "minCount": 1, "bucket": 200_000, "loss": "softmax"}


class NBSVM(ClassifierMixin, BaseEstimator):
    """NBSVM of Wang & Manning (2012) on a binarized (0/1) feature matrix.

    For each class ``c`` (one model for two classes, one-vs-rest otherwise) with ``p = alpha + sum of the rows of
    class c`` and ``q = alpha + sum of the other rows``, the log-count ratio is
    ``r = log((p / |p|_1) / (q / |q|_1))``; a linear SVM is trained on ``x * r`` and its weights are interpolated
    as ``w' = (1 - beta) * mean(|w|) + beta * w``, the bias counted as the weight of a constant feature (as liblinear
    learns it) and interpolated with the rest.

    Args:
        C: Inverse regularisation strength of the SVM (Wang & Manning: 1).
        beta: Interpolation weight (Wang & Manning: 0.25).
        alpha: Smoothing count (Wang & Manning: 1).
        max_iter: Iteration limit of liblinear.
    """

    def __init__(self, C: float = 1.0, beta: float = 0.25, alpha: float = 1.0, max_iter: int = 10_000):
        self.C = C
        self.beta = beta
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(self, X, y) -> NBSVM:
        from scipy import sparse
        from sklearn.svm import LinearSVC

        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {self.beta}")
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha}")
        X = sparse.csr_matrix(X, dtype=np.float64)
        X.data[:] = 1.0  # binarize
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"NBSVM needs at least 2 classes, got {len(self.classes_)}")
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        coefs, intercepts = [], []
        for c in targets:
            positive = y == c
            p = self.alpha + np.asarray(X[positive].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(X[~positive].sum(axis=0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=self.C, max_iter=self.max_iter).fit(X.multiply(r).tocsr(), positive.astype(int))
            # liblinear learns the bias as the weight of an appended constant feature, so, as in Wang & Manning's
            # code, it is part of w and is interpolated with the rest.
            w = np.append(svm.coef_.ravel(), svm.intercept_[0])
            w = (1.0 - self.beta) * np.abs(w).mean() + self.beta * w
            coefs.append(r * w[:-1])  # decision = (x * r) . w' + b' = x . (r * w') + b'
            intercepts.append(float(w[-1]))
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts)
        return self

    def decision_function(self, X) -> np.ndarray:
        from scipy import sparse

        if not hasattr(self, "coef_"):
            raise ValueError("this NBSVM is not fitted yet; call fit first")
        X = sparse.csr_matrix(X, dtype=np.float64)
        X.data[:] = 1.0
        scores = np.asarray(X @ self.coef_.T) + self.intercept_  # (N, models)
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict_proba(self, X) -> np.ndarray:
        """``(N, C)`` probabilities from the decision values, as scikit-learn's one-vs-rest logistic models make
        them (:func:`ovr_sigmoid_proba`); an SVM's margins are not calibrated, so they only rank."""
        scores = self.decision_function(X)
        return ovr_sigmoid_proba(scores[:, None] if scores.ndim == 1 else scores)

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if len(self.classes_) == 2:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


def ovr_sigmoid_proba(scores: np.ndarray) -> np.ndarray:
    """Class probabilities ``(N, C)`` from one-vs-rest decision values ``(N, K)``: ``K = 1`` (two classes) gives
    ``[1 - s, s]`` with ``s = sigmoid(score)``; otherwise each class's sigmoid, normalised to sum to 1 (what
    ``LogisticRegression`` and ``OneVsRestClassifier`` compute)."""
    from scipy.special import expit

    p = expit(np.asarray(scores, dtype=np.float64))  # (N, K)
    if p.shape[1] == 1:
        return np.hstack([1.0 - p, p])
    return p / p.sum(axis=1, keepdims=True)


@dataclass
class BaselineResult:
    """Test predictions of a baseline and what it chose on dev."""

    predictions: list[int]
    seconds: float
    chosen: dict = field(default_factory=dict)
    epochs: int | None = None


def _vectorizer(kind: str):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    common = {"tokenizer": str.split, "token_pattern": None, "lowercase": False, "ngram_range": (1, 2)}
    if kind == "tfidf":
        return TfidfVectorizer(sublinear_tf=True, **common)
    return CountVectorizer(binary=True, **common)


def _pick_on_dev(fits: Sequence[tuple[object, object]], X_dev, y_dev) -> tuple[object, object, float | None]:
    """``(setting, model, dev_accuracy)`` of the best ``(setting, model)`` pair on dev (the first if no dev)."""
    if X_dev is None:
        setting, model = fits[0]
        return setting, model, None
    scored = [(float(np.mean(model.predict(X_dev) == y_dev)), i) for i, (_, model) in enumerate(fits)]
    best, index = max(scored, key=lambda t: (t[0], -t[1]))
    return fits[index][0], fits[index][1], best


@dataclass
class FittedLinear:
    """A fitted linear baseline: its vectorizer (on :func:`baseline_texts`), its model and what it chose on dev."""

    vectorizer: object
    model: object
    chosen: dict


def fit_tfidf_lr(train, dev) -> FittedLinear:
    """TF-IDF word 1-2 grams + logistic regression; ``C`` from :data:`TFIDF_C_GRID` chosen on dev."""
    from sklearn.linear_model import LogisticRegression

    return _fit_tfidf_linear(lambda c: LogisticRegression(C=c, solver="liblinear", max_iter=1000), train, dev)


def fit_nbsvm(train, dev) -> FittedLinear:
    """NBSVM (Wang & Manning 2012) on binarized word 1-2 grams, ``C=1``, ``beta=0.25`` (their settings); ``dev``
    is only scored."""
    vec = _vectorizer("binary")
    model = NBSVM(C=1.0, beta=0.25).fit(vec.fit_transform(train[0]), train[1])
    dev_acc = float(np.mean(model.predict(vec.transform(dev[0])) == dev[1])) if dev is not None else None
    return FittedLinear(vec, model, {"C": 1.0, "beta": 0.25, "dev_accuracy": dev_acc})


#: Linear baselines that give probabilities, by name: ``fit(train, dev) -> FittedLinear`` with ``train`` and ``dev``
#: pairs ``(texts, labels)`` of :func:`baseline_texts` and label ids (``dev`` may be ``None``).
LINEAR_FITS: dict[str, Callable[..., FittedLinear]] = {"nbsvm": fit_nbsvm, "tfidf_lr": fit_tfidf_lr}


def tfidf_lr(train, dev, test, *, seed: int = 0) -> BaselineResult:
    """TF-IDF word 1-2 grams + logistic regression; ``C`` from :data:`TFIDF_C_GRID` chosen on dev."""
    return _scored(fit_tfidf_lr, train, dev, test)


def tfidf_svm(train, dev, test, *, seed: int = 0) -> BaselineResult:
    """TF-IDF word 1-2 grams + a linear SVM (``LinearSVC``, squared hinge); ``C`` from :data:`TFIDF_C_GRID` chosen
    on dev. The strongest linear baseline on topic data in the literature (e.g. 20 Newsgroups)."""
    from sklearn.svm import LinearSVC

    return _scored(lambda tr, dv: _fit_tfidf_linear(lambda c: LinearSVC(C=c, max_iter=10_000), tr, dv), train, dev,
                   test)  # fmt: skip


def nbsvm(train, dev, test, *, seed: int = 0) -> BaselineResult:
    """NBSVM (Wang & Manning 2012) on binarized word 1-2 grams, ``C=1``, ``beta=0.25`` (their settings)."""
    return _scored(fit_nbsvm, train, dev, test)


def _scored(fit: Callable[..., FittedLinear], train, dev, test) -> BaselineResult:
    """Fit (timed) and predict the test split."""
    start = time.perf_counter()
    fitted = fit(train, dev)
    seconds = time.perf_counter() - start
    pred = fitted.model.predict(fitted.vectorizer.transform(test[0]))
    return BaselineResult(pred.tolist(), seconds, fitted.chosen)


def _fit_tfidf_linear(make_model, train, dev) -> FittedLinear:
    """Fit ``make_model(C)`` (one-vs-rest beyond two classes) on TF-IDF features for each ``C`` of the grid and keep
    the best on dev."""
    from sklearn.multiclass import OneVsRestClassifier

    vec = _vectorizer("tfidf")
    X = vec.fit_transform(train[0])
    X_dev = vec.transform(dev[0]) if dev is not None else None
    grid = TFIDF_C_GRID if dev is not None else (10.0,)

    def fit(c: float):
        model = make_model(c)
        return (model if len(np.unique(train[1])) == 2 else OneVsRestClassifier(model)).fit(X, train[1])

    fits = [(c, fit(c)) for c in grid]
    c, model, dev_acc = _pick_on_dev(fits, X_dev, dev[1] if dev is not None else None)
    return FittedLinear(vec, model, {"C": c, "dev_accuracy": dev_acc, "features": X.shape[1]})


def fasttext_available() -> bool:
    """Whether the optional ``fasttext`` module (package ``fasttext-numpy2``) can be imported."""
    try:
        import fasttext  # noqa: F401
    except ImportError:
        return False
    return True


def fasttext_supervised(train, dev, test, *, seed: int = 0) -> BaselineResult:
    """fastText supervised (:data:`FASTTEXT_SETTINGS`, 1 thread, seeded); learning rate chosen on dev.

    fastText does not shuffle: it reads its training file once per epoch in order, so the lines are written in a
    seeded random order (training on class-sorted lines gives near-chance accuracy).
    """
    import fasttext

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="textcnn-fasttext-") as tmp:
        path = os.path.join(tmp, "train.txt")
        order = np.random.default_rng(seed).permutation(len(train[0]))  # fastText reads the file in order, and
        with open(path, "w", encoding="utf-8") as fh:  # the splits are sorted by class where the source files are
            for i in order:
                fh.write(f"__label__{train[1][i]} {train[0][i]}\n")
        grid = FASTTEXT_LR_GRID if dev is not None else (0.5,)
        fits = [
            (
                lr,
                _FastTextModel(
                    fasttext.train_supervised(path, lr=lr, thread=1, seed=seed, verbose=0, **FASTTEXT_SETTINGS)
                ),
            )
            for lr in grid
        ]
    lr, model, dev_acc = _pick_on_dev(fits, dev[0] if dev is not None else None, dev[1] if dev is not None else None)
    seconds = time.perf_counter() - start
    chosen = {"lr": lr, "dev_accuracy": dev_acc, **FASTTEXT_SETTINGS}
    return BaselineResult(model.predict(test[0]).tolist(), seconds, chosen, epochs=FASTTEXT_SETTINGS["epoch"])


class _FastTextModel:
    """A fastText model with a ``predict(texts) -> label ids`` like the scikit-learn models."""

    def __init__(self, model):
        self.model = model

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        labels, _ = self.model.predict([t.replace("\n", " ") for t in texts], k=1)
        return np.asarray([int(lab[0].removeprefix("__label__")) for lab in labels])


BASELINES: dict[str, tuple[str, Callable[..., BaselineResult]]] = {
    "tfidf_lr": ("TF-IDF+LR", tfidf_lr),
    "tfidf_svm": ("TF-IDF+LinearSVC", tfidf_svm),
    "nbsvm": ("NBSVM", nbsvm),
    "fasttext": ("fastText", fasttext_supervised),
}
DETERMINISTIC = frozenset({"tfidf_lr", "tfidf_svm", "nbsvm"})  # their results do not depend on the seed


def run_baseline(method: str, splits, *, lowercase: bool = True, seed: int = 0) -> tuple[BaselineResult, float]:
    """Fit baseline ``method`` on ``splits.train`` (dev for its one choice) and score it on ``splits.test``.

    Args:
        method: A key of :data:`BASELINES`.
        splits: A :class:`~textcnn.data.splits.DatasetSplits` with a test split.
        lowercase: Lower-case in Kim's cleaner (as the dataset's Kim config does).
        seed: Seed (fastText; the scikit-learn baselines are deterministic).

    Returns:
        ``(result, test_accuracy)``.

    Raises:
        ValueError: Unknown method or no test split.
        ImportError: ``fasttext`` asked for but not installed.
    """
    if method not in BASELINES:
        raise ValueError(f"unknown baseline {method!r}; choose from {', '.join(BASELINES)}")
    if splits.test is None or not len(splits.test):
        raise ValueError(f"dataset {splits.name!r} has no test split to score baseline {method!r} on")

    def prepare(split):
        if split is None or not len(split):
            return None
        return baseline_texts(split.texts, lowercase), np.asarray(split.labels)

    fn = BASELINES[method][1]
    result = fn(prepare(splits.train), prepare(splits.dev), prepare(splits.test), seed=seed)
    accuracy = float(np.mean(np.asarray(result.predictions) == np.asarray(splits.test.labels)))
    return result, accuracy


def baseline_texts(texts, lowercase: bool = True) -> list[str]:
    """What the baselines read: each text cleaned by Kim's tokenizer (lower-cased when ``lowercase``); their
    vectorizers split it on spaces."""
    from textcnn.text.kim_clean import kim_clean

    return [kim_clean(t, lowercase=lowercase) for t in texts]
