"""Tokenizers that carry their vocabulary, built on Hugging Face ``tokenizers``.

Every kind is one ``tokenizers.Tokenizer`` (normalizer + pre-tokenizer + model) wrapped by :class:`TextTokenizer`,
so the tokenizer and its vocabulary are saved together (a JSON document that embeds the ``tokenizers`` JSON),
round-trip exactly, and batch encoding runs in Rust. A model checkpoint stores this JSON, so prediction needs no
training data.

Kinds:
    ``kim``: Kim's (2014) ``clean_str`` rules (see :mod:`textcnn.text.kim_clean`) as ``Replace`` normalizers, then
        whitespace split and a word-level vocabulary.
    ``whitespace``: for pre-tokenized text (the Kim benchmark files are); whitespace split, word-level vocabulary.
    ``char``: one token per Unicode code point (spaces included), vocabulary of the characters seen in training.
    ``wordpiece`` / ``bpe`` / ``unigram``: subword models trained with the ``tokenizers`` trainers (NFKC first).
    ``model2vec`` (``PRETRAINED_KINDS``): not trained: the subword tokenizer of the model2vec model at ``path``
        (see :mod:`textcnn.text.model2vec`), whose ids then index that model's embedding table.

Ids 0 and 1 are always ``<pad>`` and ``<unk>``. Encoding never returns the padding id: a text that spells a token
that maps to id 0 (``"<pad>"`` with the ``whitespace`` kind, say) gets ``<unk>`` instead, so real positions are never
masked as padding. The two special tokens are plain vocabulary entries, not ``tokenizers`` "added tokens", so the
literal strings in raw text are normalized like any other text.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from textcnn.text.kim_clean import KIM_RULES, kim_clean

__all__ = [
    "KINDS",
    "PAD_ID",
    "PAD_TOKEN",
    "PRETRAINED_KINDS",
    "SUBWORD_KINDS",
    "UNK_ID",
    "UNK_TOKEN",
    "WORD_KINDS",
    "TextTokenizer",
    "TokenizerConfig",
]

PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
WORD_KINDS = ("kim", "whitespace", "char")
SUBWORD_KINDS = ("wordpiece", "bpe", "unigram")
KINDS = WORD_KINDS + SUBWORD_KINDS  # the kinds fitted on training text
PRETRAINED_KINDS = ("model2vec",)  # taken whole from a pretrained model (needs ``path``)
FORMAT_NAME, FORMAT_VERSION = "textcnn-tokenizer", 1
_UNLIMITED = 2**32  # WordLevelTrainer's own default caps the vocabulary at 30,000


@dataclass(frozen=True)
class TokenizerConfig:
    """Settings of a :class:`TextTokenizer`.

    Args:
        kind: One of ``KINDS`` or ``PRETRAINED_KINDS``.
        lowercase: Lower-case text first. Kim lower-cased every dataset except TREC.
        min_count: Keep only tokens seen at least this often in the training texts (word kinds, ``wordpiece`` and
            ``bpe``; the ``unigram`` trainer has no such option and ignores it).
        max_size: Word kinds: keep at most this many tokens besides ``<pad>`` and ``<unk>`` (the most frequent);
            ``None`` keeps all.
        vocab_size: Subword kinds: the target vocabulary size, the two special tokens included.
        path: ``model2vec`` kind only (and required there): the model2vec model folder (or Hugging Face Hub name)
            whose tokenizer is used; ``lowercase``, ``min_count``, ``max_size`` and ``vocab_size`` are then ignored
            (the model's tokenizer decides).
    """

    kind: str = "kim"
    lowercase: bool = True
    min_count: int = 1
    max_size: int | None = None
    vocab_size: int = 8000
    path: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS + PRETRAINED_KINDS:
            raise ValueError(
                f"unknown tokenizer kind {self.kind!r}; expected one of {', '.join(KINDS + PRETRAINED_KINDS)}"
            )
        if self.kind in PRETRAINED_KINDS and not (isinstance(self.path, str) and self.path):
            raise ValueError(
                f"tokenizer kind {self.kind!r} needs tokenizer.path (a {self.kind} model), got {self.path!r}"
            )
        if self.kind not in PRETRAINED_KINDS and self.path is not None:
            raise ValueError(
                f"tokenizer.path is only read by the kinds {', '.join(PRETRAINED_KINDS)}, not {self.kind!r}"
            )
        if not isinstance(self.lowercase, bool):
            raise ValueError(f"lowercase must be a bool, got {self.lowercase!r}")
        if not isinstance(self.min_count, int) or self.min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {self.min_count!r}")
        if self.max_size is not None and (not isinstance(self.max_size, int) or self.max_size < 0):
            raise ValueError(f"max_size must be None or an integer >= 0, got {self.max_size!r}")
        if not isinstance(self.vocab_size, int) or self.vocab_size < 3:
            raise ValueError(f"vocab_size must be an integer >= 3, got {self.vocab_size!r}")

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (JSON/YAML ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenizerConfig:
        """Build from a dict; an unknown key is an error that names it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown tokenizer setting(s) {unknown}; expected some of {sorted(known)}")
        return cls(**data)


def _build_pipeline(config: TokenizerConfig) -> Tokenizer:
    """An untrained ``tokenizers.Tokenizer`` for ``config``."""
    steps: list[normalizers.Normalizer] = []
    if config.kind == "kim":
        steps += [normalizers.Replace(Regex(pattern), replacement) for pattern, replacement in KIM_RULES]
        steps.append(normalizers.Strip())
    elif config.kind in SUBWORD_KINDS:
        steps.append(normalizers.NFKC())
    if config.lowercase:
        steps.append(normalizers.Lowercase())

    if config.kind in WORD_KINDS + PRETRAINED_KINDS:  # pretrained kinds: an empty placeholder until fit()
        tokenizer = Tokenizer(models.WordLevel(unk_token=UNK_TOKEN))
        if config.kind in PRETRAINED_KINDS:
            return tokenizer
    elif config.kind == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=UNK_TOKEN))
    elif config.kind == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token=UNK_TOKEN))
    else:
        tokenizer = Tokenizer(models.Unigram())
    if steps:
        tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = {
        "kim": pre_tokenizers.WhitespaceSplit(),
        "whitespace": pre_tokenizers.WhitespaceSplit(),
        "char": pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated"),
        "wordpiece": pre_tokenizers.BertPreTokenizer(),
        "bpe": pre_tokenizers.Whitespace(),
        "unigram": pre_tokenizers.Metaspace(),
    }[config.kind]
    return tokenizer


def _build_trainer(config: TokenizerConfig) -> trainers.Trainer:
    specials = [PAD_TOKEN, UNK_TOKEN]  # trainers put special tokens first, in this order: ids 0 and 1
    common = {"special_tokens": specials, "show_progress": False}
    if config.kind in WORD_KINDS:
        # two extra slots: the training text may contain the special tokens as words (see _word_vocab)
        size = _UNLIMITED if config.max_size is None else config.max_size + 2 * len(specials)
        return trainers.WordLevelTrainer(vocab_size=size, min_frequency=config.min_count, **common)
    if config.kind == "wordpiece":
        return trainers.WordPieceTrainer(vocab_size=config.vocab_size, min_frequency=config.min_count, **common)
    if config.kind == "bpe":
        return trainers.BpeTrainer(vocab_size=config.vocab_size, min_frequency=config.min_count, **common)
    return trainers.UnigramTrainer(vocab_size=config.vocab_size, unk_token=UNK_TOKEN, **common)


def _check_text(text: object, position: int) -> str:
    """Validate one input text; lone surrogates (which cannot cross into Rust) become U+FFFD."""
    if not isinstance(text, str):
        raise ValueError(f"text {position} is a {type(text).__name__}, not a str: {text!r:.80}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # surrogate pairs are joined, lone surrogates replaced
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _no_pad(ids: list[int]) -> list[int]:
    return [UNK_ID if i == PAD_ID else i for i in ids] if PAD_ID in ids else ids


class TextTokenizer:
    """A text tokenizer and its vocabulary, serialisable as one JSON document.

    Build one with :meth:`create`, fit it on the training split with :meth:`fit`, then :meth:`encode` or
    :meth:`encode_batch`. Word vocabularies (``kim``, ``whitespace``, ``char``) are built by ``tokenizers``'
    ``WordLevelTrainer``: ``<pad>`` = 0, ``<unk>`` = 1, then tokens by decreasing count, ties broken by the token
    in code-point order.

    Args:
        config: The settings.
        tokenizer: A fitted ``tokenizers.Tokenizer`` matching ``config`` (used by :meth:`from_str`); ``None``
            builds an untrained one.
    """

    def __init__(self, config: TokenizerConfig, *, tokenizer: Tokenizer | None = None) -> None:
        self.config = config
        self._tokenizer = tokenizer if tokenizer is not None else _build_pipeline(config)

    @classmethod
    def create(
        cls,
        kind: str = "kim",
        *,
        lowercase: bool = True,
        min_count: int = 1,
        max_size: int | None = None,
        vocab_size: int = 8000,
        path: str | None = None,
    ) -> TextTokenizer:
        """An untrained tokenizer; see :class:`TokenizerConfig` for the arguments."""
        config = TokenizerConfig(
            kind=kind, lowercase=lowercase, min_count=min_count, max_size=max_size, vocab_size=vocab_size, path=path
        )
        return cls(config)

    def __repr__(self) -> str:
        size = self.vocab_size if self.is_fitted else "unfitted"
        return f"TextTokenizer(kind={self.config.kind!r}, lowercase={self.config.lowercase}, vocab_size={size})"

    # ------------------------------------------------------------------ fitting
    def fit(self, texts: Iterable[str]) -> TextTokenizer:
        """Build the vocabulary (or train the subword model) from ``texts``, the training split only.

        Refitting replaces the previous vocabulary. Returns ``self``. The ``model2vec`` kind reads its model's
        tokenizer instead (``texts`` are not used).
        """
        if isinstance(texts, str):
            raise ValueError("fit() takes an iterable of texts, not a single str")
        if self.config.kind in PRETRAINED_KINDS:
            from textcnn.text.model2vec import load_static_model, subword_tokenizer

            self._tokenizer = subword_tokenizer(load_static_model(self.config.path), self.config.path)
            return self
        tokenizer = _build_pipeline(self.config)
        stream = (_check_text(text, i) for i, text in enumerate(texts))
        tokenizer.train_from_iterator(stream, trainer=_build_trainer(self.config))
        if self.config.kind in WORD_KINDS:
            tokenizer.model = models.WordLevel(self._word_vocab(tokenizer), unk_token=UNK_TOKEN)
        # Keep <pad>/<unk> as plain vocabulary entries: as "added tokens" they would be matched in raw text before
        # normalization, so the kim kind would no longer agree with kim_clean.
        data = json.loads(tokenizer.to_str())
        data["added_tokens"] = []
        self._tokenizer = Tokenizer.from_str(json.dumps(data))
        return self

    def _word_vocab(self, trained: Tokenizer) -> dict[str, int]:
        """The trained word vocabulary with ``<pad>`` = 0 and ``<unk>`` = 1 restored.

        WordLevelTrainer gives the special tokens other ids when the training text itself contains them, so the words
        are re-numbered in the trainer's order (count, then token) after the two special tokens.
        """
        vocab = trained.get_vocab(with_added_tokens=False)
        words = [token for token in sorted(vocab, key=vocab.__getitem__) if token not in (PAD_TOKEN, UNK_TOKEN)]
        if self.config.max_size is not None:
            words = words[: self.config.max_size]
        return {PAD_TOKEN: PAD_ID, UNK_TOKEN: UNK_ID, **{word: i for i, word in enumerate(words, start=2)}}

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has built a vocabulary (``<pad>`` = 0 and ``<unk>`` = 1 present)."""
        return self._tokenizer.token_to_id(PAD_TOKEN) == PAD_ID and self._tokenizer.token_to_id(UNK_TOKEN) == UNK_ID

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ValueError(
                f"this TextTokenizer (kind={self.config.kind!r}) is not fitted; call fit(training_texts) first"
            )

    # ------------------------------------------------------------------ vocabulary
    @property
    def hf_tokenizer(self) -> Tokenizer:
        """The underlying ``tokenizers.Tokenizer``."""
        return self._tokenizer

    @property
    def vocab_size(self) -> int:
        """Number of ids, special tokens included (0 when unfitted)."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True) if self.is_fitted else 0

    @property
    def pad_id(self) -> int:
        """Id of ``<pad>``: always 0."""
        return PAD_ID

    @property
    def unk_id(self) -> int:
        """Id of ``<unk>``: always 1."""
        return UNK_ID

    @property
    def pad_token(self) -> str:
        return PAD_TOKEN

    @property
    def unk_token(self) -> str:
        return UNK_TOKEN

    def get_vocab(self) -> dict[str, int]:
        """A new dict token -> id."""
        self._check_fitted()
        return self._tokenizer.get_vocab(with_added_tokens=True)

    def tokens(self) -> list[str]:
        """The tokens in id order: ``tokens()[i]`` is the token of id ``i``."""
        vocab = self.get_vocab()
        out = [""] * len(vocab)
        for token, index in vocab.items():
            out[index] = token
        return out

    # ------------------------------------------------------------------ encoding
    def tokenize(self, text: str) -> list[str]:
        """Split ``text`` into tokens.

        Word kinds return the normalized words before vocabulary lookup (out-of-vocabulary words appear as
        themselves, and no fitting is needed); subword kinds return the model's pieces (needs fitting).
        """
        text = _check_text(text, 0)
        if self.config.kind not in WORD_KINDS:
            self._check_fitted()
            return self._tokenizer.encode(text, add_special_tokens=False).tokens
        normalizer = self._tokenizer.normalizer
        normalized = normalizer.normalize_str(text) if normalizer is not None else text
        return [word for word, _ in self._tokenizer.pre_tokenizer.pre_tokenize_str(normalized)]

    def encode(self, text: str) -> list[int]:
        """Ids of one text: no special tokens, no padding, no truncation (an empty list for an empty text)."""
        self._check_fitted()
        try:
            ids = self._tokenizer.encode(text, add_special_tokens=False).ids
        except TypeError:  # not a str, or lone surrogates
            ids = self._tokenizer.encode(_check_text(text, 0), add_special_tokens=False).ids
        return _no_pad(ids)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        """Ids of many texts, encoded in parallel in Rust; no padding or truncation (lists may be empty)."""
        self._check_fitted()
        if isinstance(texts, str):
            raise ValueError("encode_batch() takes a list of texts, not a single str; use encode()")
        texts = texts if isinstance(texts, list) else list(texts)
        if self.config.kind == "kim":
            return self._encode_batch_kim(texts)
        try:
            encodings = self._tokenizer.encode_batch_fast(texts, add_special_tokens=False)
        except TypeError:  # not all str, or lone surrogates
            checked = [_check_text(text, i) for i, text in enumerate(texts)]
            encodings = self._tokenizer.encode_batch_fast(checked, add_special_tokens=False)
        return [_no_pad(encoding.ids) for encoding in encodings]

    def _encode_batch_kim(self, texts: list[str]) -> list[list[int]]:
        """The ``kim`` kind in Python: :func:`kim_clean` (the same rules as the Rust normalizers, tested equal) leaves
        only ASCII letters, digits, ``(),!?'``` and single spaces, so ``str.split`` and a dict lookup give exactly the
        ids of the ``tokenizers`` pipeline, about four times faster than it on short sentences."""
        vocab = self._vocab_lookup()
        lowercase = self.config.lowercase
        out = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                text = _check_text(text, i)
            out.append([vocab.get(word, UNK_ID) for word in kim_clean(text, lowercase).split()])
        return out

    def _vocab_lookup(self) -> dict[str, int]:
        """token -> id, cached per fitted tokenizer."""
        cached = getattr(self, "_vocab_cache", None)
        if cached is None or cached[0] is not self._tokenizer:
            cached = (self._tokenizer, self._tokenizer.get_vocab(with_added_tokens=True))
            self._vocab_cache = cached
        return cached[1]

    def _surface_tokens(self, text: str) -> Iterator[tuple[str, bool]]:
        """(token, in vocabulary) pairs; an unknown subword piece is given as the text it covers."""
        if self.config.kind not in WORD_KINDS:
            encoding = self._tokenizer.encode(_check_text(text, 0), add_special_tokens=False)
            for piece, index, (start, end) in zip(encoding.tokens, encoding.ids, encoding.offsets, strict=True):
                known = index not in (PAD_ID, UNK_ID)
                yield (piece if known else text[start:end]), known
        else:
            vocab_lookup = self._tokenizer.token_to_id
            for word in self.tokenize(text):
                yield word, vocab_lookup(word) not in (None, PAD_ID, UNK_ID)

    def coverage(self, texts: Iterable[str], *, top: int = 20) -> dict[str, Any]:
        """How much of ``texts`` (a dev or test split) the vocabulary covers.

        Args:
            texts: The texts to measure.
            top: How many of the most frequent out-of-vocabulary tokens to list.

        Returns:
            ``{"tokens", "types", "token_coverage", "type_coverage", "oov_tokens", "oov_types", "top_oov"}``:
            counts of running tokens and distinct tokens, the covered fractions (1.0 when there are no tokens),
            the out-of-vocabulary counts, and ``top_oov`` as ``[(token, count), ...]``.
        """
        self._check_fitted()
        counts: Counter[str] = Counter()
        known: dict[str, bool] = {}
        for text in texts:
            for token, in_vocab in self._surface_tokens(text):
                counts[token] += 1
                known[token] = in_vocab
        n_tokens, n_types = sum(counts.values()), len(counts)
        covered_tokens = sum(n for token, n in counts.items() if known[token])
        covered_types = sum(known.values())
        oov = Counter({token: n for token, n in counts.items() if not known[token]})
        return {
            "tokens": n_tokens,
            "types": n_types,
            "token_coverage": covered_tokens / n_tokens if n_tokens else 1.0,
            "type_coverage": covered_types / n_types if n_types else 1.0,
            "oov_tokens": n_tokens - covered_tokens,
            "oov_types": n_types - covered_types,
            "top_oov": oov.most_common(top),
        }

    # ------------------------------------------------------------------ serialisation
    def to_str(self) -> str:
        """JSON: ``{"format", "format_version", "config", "tokenizer"}``; ``tokenizer`` is the ``tokenizers`` JSON."""
        payload = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "tokenizer": json.loads(self._tokenizer.to_str()),
        }
        return json.dumps(payload, ensure_ascii=False)

    @classmethod
    def from_str(cls, s: str) -> TextTokenizer:
        """Rebuild from :meth:`to_str` output. Parses JSON only; runs no code."""
        try:
            payload = json.loads(s)
        except (json.JSONDecodeError, TypeError) as error:
            raise ValueError(f"not a textcnn tokenizer: invalid JSON ({error})") from error
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
            raise ValueError(f"not a textcnn tokenizer: expected a JSON object with 'format': {FORMAT_NAME!r}")
        unknown = sorted(set(payload) - {"format", "format_version", "config", "tokenizer"})
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in textcnn tokenizer JSON")
        version = payload.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise ValueError(f"unsupported textcnn tokenizer format_version {version!r} (this build reads 1)")
        config = TokenizerConfig.from_dict(payload.get("config", {}))
        try:
            tokenizer = Tokenizer.from_str(json.dumps(payload["tokenizer"]))
        except Exception as error:  # tokenizers raises its own Exception type for a bad document
            raise ValueError(f"invalid 'tokenizer' section in textcnn tokenizer JSON: {error}") from error
        return cls(config, tokenizer=tokenizer)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_str` to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.to_str(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> TextTokenizer:
        """Read a file written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"tokenizer file not found: {path}")
        try:
            return cls.from_str(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: {error}") from error
