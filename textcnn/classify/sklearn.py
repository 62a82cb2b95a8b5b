"""A scikit-learn estimator: ``TextCNNClassifier().fit(texts, labels).predict(texts)``.

Works inside ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``: ``__init__`` only stores arguments, ``fit``
validates and sets attributes ending in ``_``, and every hyper-parameter is a constructor argument.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted


class TextCNNClassifier(ClassifierMixin, BaseEstimator):
    """Kim (2014) CNN text classifier with the scikit-learn API.

    ``X`` is a sequence of strings (a list, a 1-D array or a pandas Series); ``y`` any hashable labels.

    Args:
        mode: ``rand``, ``static``, ``non-static`` or ``multichannel`` (the last three need ``vectors``).
        vectors: ``glove-6b-50d`` or a path to word vectors.
        tokenizer: ``kim``, ``whitespace``, ``char``, ``wordpiece``, ``bpe`` or ``unigram``.
        lowercase: Lower-case the text.
        min_count: Minimum count of a word in the training texts to get its own id.
        embedding_dim: Embedding size (replaced by the vectors' size when ``vectors`` is set).
        filter_widths: n-gram widths.
        num_filters: Feature maps per width.
        dropout: Dropout before the output layer.
        max_norm: l2 max-norm of the output weight rows (``None`` disables).
        max_len: Truncate texts to this many tokens (``None``: no limit).
        epochs: Maximum epochs.
        batch_size: Examples per update.
        optimizer: ``adadelta``, ``adam``, ``adamw`` or ``sgd``.
        lr: Learning rate.
        dev_fraction: Share of the training data held out for early stopping (``0``: none, train all epochs).
        early_stopping: Patience in epochs.
        random_state: Seed of everything random.
        device: ``cpu``, ``cuda`` or ``auto``.
        verbose: Print progress.
    """

    def __init__(
        self,
        mode: str = "rand",
        vectors: str | None = None,
        tokenizer: str = "kim",
        lowercase: bool = True,
        min_count: int = 1,
        embedding_dim: int = 300,
        filter_widths: Sequence[int] = (3, 4, 5),
        num_filters: int = 100,
        dropout: float = 0.5,
        max_norm: float | None = 3.0,
        max_len: int | None = None,
        epochs: int = 25,
        batch_size: int = 50,
        optimizer: str = "adadelta",
        lr: float = 1.0,
        dev_fraction: float = 0.1,
        early_stopping: int | None = 5,
        random_state: int = 0,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        self.mode = mode
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.min_count = min_count
        self.embedding_dim = embedding_dim
        self.filter_widths = filter_widths
        self.num_filters = num_filters
        self.dropout = dropout
        self.max_norm = max_norm
        self.max_len = max_len
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.dev_fraction = dev_fraction
        self.early_stopping = early_stopping
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags

    def _config(self):
        from textcnn.classify.config import (
            DataConfig,
            EmbeddingConfig,
            ExperimentConfig,
            ModelConfig,
            TokenizerConfig,
        )
        from textcnn.training.config import TrainConfig

        config = ExperimentConfig(
            data=DataConfig(dataset="file", train_file="<fit>", max_len=self.max_len),
            tokenizer=TokenizerConfig(kind=self.tokenizer, lowercase=self.lowercase, min_count=self.min_count),
            embeddings=EmbeddingConfig(vectors=self.vectors),
            model=ModelConfig(
                mode=self.mode,
                embedding_dim=self.embedding_dim,
                filter_widths=[int(w) for w in self.filter_widths],
                num_filters=self.num_filters,
                dropout=self.dropout,
                max_norm=self.max_norm,
            ),
            train=TrainConfig(
                epochs=self.epochs,
                batch_size=self.batch_size,
                optimizer=self.optimizer,
                lr=self.lr,
                early_stopping=self.early_stopping,
                seed=self.random_state,
                device=self.device,
                progress=self.verbose,
            ),
        )
        config.validate()
        return config

    def fit(self, X, y) -> TextCNNClassifier:
        """Fit the tokenizer, vocabulary and CNN on ``X`` (texts) and ``y`` (labels); returns ``self``."""
        from sklearn.model_selection import train_test_split

        from textcnn.classify.train import _seed_everything, fit_text_model
        from textcnn.data.splits import TextSplit

        texts = _check_texts(X)
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if len(texts) != len(y):
            raise ValueError(f"X has {len(texts)} texts but y has {len(y)} labels")
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y has only one class ({self.classes_[0]!r}); a classifier needs at least two")
        config = self._config()
        _seed_everything(self.random_state)
        idx = np.arange(len(texts))
        dev = None
        if self.dev_fraction and len(texts) >= 20:
            counts = np.bincount(encoded)
            stratify = encoded if counts.min() >= 2 else None
            train_idx, dev_idx = train_test_split(
                idx, test_size=self.dev_fraction, random_state=self.random_state, stratify=stratify
            )
            dev = TextSplit([texts[i] for i in dev_idx], [int(encoded[i]) for i in dev_idx])
        else:
            train_idx = idx
        train = TextSplit([texts[i] for i in train_idx], [int(encoded[i]) for i in train_idx])
        names = [str(c) for c in self.classes_]
        fitted = fit_text_model(config, train, dev, names, echo=print if self.verbose else None)
        from textcnn.classify.classifier import TextClassifier

        self.classifier_ = TextClassifier(
            fitted.model,
            fitted.tokenizer,
            names,
            model_kwargs=fitted.model_kwargs,
            max_len=self.max_len,
            config=config.to_dict(),
            device=self.device,
        )
        self.n_features_in_ = 1
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` in the order of ``classes_``."""
        check_is_fitted(self, "classifier_")
        return self.classifier_.predict_proba(_check_texts(X))

    def predict(self, X) -> np.ndarray:
        """Predicted labels (values of ``classes_``)."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def save_pretrained(self, path) -> None:
        """Write the fitted model as a model directory (loadable by ``textcnn.load``)."""
        check_is_fitted(self, "classifier_")
        self.classifier_.save_pretrained(path)


def _check_texts(X) -> list[str]:
    """Accept a list/tuple/1-D array/Series of strings; reject 2-D input and non-text values with a clear error."""
    if isinstance(X, str):
        raise ValueError("X must be a sequence of texts, not a single string")
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"X must be a 1-D sequence of texts, got an array of shape {arr.shape}")
    texts = []
    for i, value in enumerate(arr):
        if value is None:
            texts.append("")
        elif isinstance(value, str):
            texts.append(value)
        else:
            raise ValueError(f"X[{i}] is {type(value).__name__} ({value!r}), expected a string")
    if not texts:
        raise ValueError("X is empty: 0 texts")
    return texts
