"""A scikit-learn estimator: ``TextCNNClassifier().fit(texts, labels).predict(texts)``.

Works inside ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``: ``__init__`` only stores arguments, ``fit``
validates and sets attributes ending in ``_``, and every hyper-parameter is a constructor argument.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

#: The value of a hyper-parameter left at its default: the default of the model builder, the tokenizer or the
#: trainer config, which is where defaults live (``None`` is a value: ``max_norm=None`` means no constraint). A
#: string, so that scikit-learn's checks and ``clone`` treat it like any other plain value.
DEFAULT = "default"

#: Constructor arguments that go to the model builder, the tokenizer config and the train config.
_MODEL_PARAMS = ("mode", "embedding_dim", "filter_widths", "num_filters", "dropout", "max_norm")
_TOKENIZER_PARAMS = {"tokenizer": "kind", "lowercase": "lowercase", "min_count": "min_count"}
_TRAIN_PARAMS = {"epochs": "epochs", "batch_size": "batch_size", "optimizer": "optimizer", "lr": "lr",
                 "early_stopping": "early_stopping", "random_state": "seed", "device": "device",
                 "class_weight": "class_weight"}  # fmt: skip


class TextCNNClassifier(ClassifierMixin, BaseEstimator):
    """CNN text classifier (Kim 2014 by default, any registered text model) with the scikit-learn API.

    ``X`` is a sequence of strings (a list, a 1-D array or a pandas Series); ``y`` any hashable labels.
    Arguments left at ``DEFAULT`` take the default of the model builder (``textcnn.models``), the tokenizer
    (:class:`textcnn.text.tokenizers.TokenizerConfig`) or the trainer (:class:`textcnn.training.TrainConfig`).

    Args:
        model: A registered text model (``textcnn list-models --task text``).
        mode: Kim CNN: ``rand``, ``static``, ``non-static`` or ``multichannel`` (the last three need ``vectors``).
        vectors: ``glove-6b-50d`` or a path to word vectors.
        tokenizer: ``kim``, ``whitespace``, ``char``, ``wordpiece``, ``bpe`` or ``unigram``.
        lowercase: Lower-case the text.
        min_count: Minimum count of a word in the training texts to get its own id.
        embedding_dim: Embedding size (replaced by the vectors' size when ``vectors`` is set).
        filter_widths: n-gram widths.
        num_filters: Feature maps per width.
        dropout: Dropout before the output layer.
        max_norm: l2 max-norm of the output weight rows (``None`` disables it).
        model_args: More arguments of the model builder, by name.
        max_len: Truncate texts to this many tokens (``None``: no limit).
        epochs: Maximum epochs.
        batch_size: Examples per update.
        optimizer: ``adadelta``, ``adam``, ``adamw`` or ``sgd``.
        lr: Learning rate.
        dev_fraction: Share of the training data held out for early stopping (``0``: none, train all epochs).
        early_stopping: Patience in epochs (``None``: train every epoch, keep the best dev epoch).
        class_weight: ``None``, ``"balanced"`` or ``{label: weight}``: weights of the classes in the loss.
        random_state: Seed of everything random.
        device: ``cpu``, ``cuda`` or ``auto``.
        verbose: Print progress.
    """

    def __init__(
        self,
        model: str = "kim_cnn",
        mode=DEFAULT,
        vectors: str | None = None,
        tokenizer=DEFAULT,
        lowercase=DEFAULT,
        min_count=DEFAULT,
        embedding_dim=DEFAULT,
        filter_widths=DEFAULT,
        num_filters=DEFAULT,
        dropout=DEFAULT,
        max_norm=DEFAULT,
        model_args: dict | None = None,
        max_len: int | None = None,
        epochs=DEFAULT,
        batch_size=DEFAULT,
        optimizer=DEFAULT,
        lr=DEFAULT,
        dev_fraction: float = 0.1,
        early_stopping: int | None = 5,
        class_weight: str | dict | None = None,
        random_state: int = 0,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        self.model = model
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
        self.model_args = model_args
        self.max_len = max_len
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.dev_fraction = dev_fraction
        self.early_stopping = early_stopping
        self.class_weight = class_weight
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
        """The experiment config these hyper-parameters describe (checked like a YAML config)."""
        from textcnn.classify.config import from_dict

        def given(names: dict) -> dict:
            return {key: getattr(self, p) for p, key in names.items() if not _is_default(getattr(self, p))}

        model = {"name": self.model, **(self.model_args or {}), **given({p: p for p in _MODEL_PARAMS})}
        config = from_dict(
            {
                "data": {"dataset": "file", "train_file": "<fit>", "max_len": self.max_len},
                "tokenizer": given(_TOKENIZER_PARAMS),
                "embeddings": {"vectors": self.vectors},
                "model": model,
                "train": {**given(_TRAIN_PARAMS), "progress": bool(self.verbose)},
            }
        )
        config.validate()
        return config

    def fit(self, X, y) -> TextCNNClassifier:
        """Fit the tokenizer, vocabulary and CNN on ``X`` (texts) and ``y`` (labels); returns ``self``."""
        from textcnn.classify.build import seed_everything
        from textcnn.classify.train import fit_text_model
        from textcnn.data.splits import TextSplit, holdout_dev

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
        seed_everything(self.random_state)
        data = TextSplit(texts, [int(c) for c in encoded])
        fraction = self.dev_fraction if len(texts) >= 20 else 0.0
        train, dev, _ = holdout_dev(data, fraction=fraction, seed=self.random_state)
        names = _label_names(self.classes_)
        fitted = fit_text_model(config, train, dev, names, echo=print if self.verbose else None)
        self.classifier_ = fitted.classifier(names, device=self.device)
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


def _label_names(classes: np.ndarray) -> list[str] | list[int]:
    """The classes as plain Python values a model directory keeps: ``int`` or ``str`` labels as they are (so a model
    fitted on ``[0, 1]`` predicts ``0`` and ``1`` again after ``save_pretrained`` and ``textcnn.load``), any other kind
    (floats, booleans, mixed objects) as their ``str``."""
    values = classes.tolist()
    for kind in (int, str):
        if all(type(v) is kind for v in values):
            return values
    return [str(v) for v in values]


def _is_default(value) -> bool:
    return isinstance(value, str) and value == DEFAULT


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
