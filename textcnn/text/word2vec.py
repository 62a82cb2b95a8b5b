"""In-domain word2vec (Mikolov et al., 2013) trained with gensim, and line-by-line reading of text files.

The vectors are saved in word2vec binary format, which :func:`textcnn.text.vectors.load_vectors` reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from textcnn.text.tokenizers import SUBWORD_KINDS, WORD_KINDS, TextTokenizer

__all__ = ["count_tokens", "read_text_lines", "train_word2vec"]


def read_text_lines(path: str | Path, *, encoding: str = "utf-8", kim_format: bool = False) -> Iterator[str]:
    """The lines of a text file, one text per line, without line endings (read by the line reader of
    :mod:`textcnn.data.encoding`: lines end at ``\\n`` only, so cp1252's 0x85 "..." stays inside its line).

    Args:
        path: The file (``.gz`` is decompressed).
        encoding: Its encoding (the Kim MR and Subj files are ``cp1252``).
        kim_format: Lines are ``<label> <text>``: drop the label (a label-only line gives an empty text).

    Raises:
        FileNotFoundError: No such file.
        ValueError: A line that cannot be decoded; the message names the file and line.
    """
    from textcnn.data.encoding import iter_lines
    from textcnn.data.kim import split_label

    for line in iter_lines(path, encoding=encoding, strict=True):
        yield split_label(line)[1] if kim_format else line


def count_tokens(
    files: Sequence[str | Path],
    *,
    tokenizer: str = "whitespace",
    lowercase: bool = False,
    kim_format: bool = False,
    encoding: str = "utf-8",
) -> Counter[str]:
    """Token counts of text files, tokenized by a word-level ``TextTokenizer`` kind (no fitting needed)."""
    if tokenizer not in WORD_KINDS:
        raise ValueError(f"tokenizer must be a word-level kind ({', '.join(WORD_KINDS)}), got {tokenizer!r}")
    tok = TextTokenizer.create(tokenizer, lowercase=lowercase)
    counts: Counter[str] = Counter()
    for path in files:
        for line in read_text_lines(path, encoding=encoding, kim_format=kim_format):
            counts.update(tok.tokenize(line))
    return counts


class _Sentences:
    """A re-iterable corpus of token lists (gensim reads it once for the vocabulary, then once per epoch)."""

    def __init__(self, texts: Iterable[str] | None, files: list[Path], tok: TextTokenizer, **read_kwargs) -> None:
        self.texts, self.files, self.tok, self.read_kwargs = texts, files, tok, read_kwargs

    def lines(self) -> Iterator[str]:
        if self.texts is not None:
            yield from self.texts
        for path in self.files:
            yield from read_text_lines(path, **self.read_kwargs)

    def __iter__(self) -> Iterator[list[str]]:
        for line in self.lines():
            yield self.tok.tokenize(line)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def train_word2vec(
    texts: Iterable[str] | Sequence[Path],
    out_path: str | Path,
    *,
    tokenizer: str = "whitespace",
    lowercase: bool = False,
    dim: int = 300,
    window: int = 5,
    min_count: int = 1,
    epochs: int = 5,
    sg: int = 0,
    seed: int = 0,
    workers: int = 1,
    kim_format: bool = False,
    encoding: str = "utf-8",
) -> Path:
    """Train word2vec on in-domain text and save it in word2vec binary format.

    With ``workers=1`` the result depends only on the data and the arguments (gensim's threads race otherwise).

    Args:
        texts: The texts (``str``), or text files (``pathlib.Path``, one text per line).
        out_path: The output file; its folder is created.
        tokenizer: A ``TextTokenizer`` kind; subword kinds are first fitted on the same texts.
        lowercase: Lower-case the text first.
        dim: Vector dimension.
        window: Maximum distance between a word and its context words.
        min_count: Ignore words seen fewer times.
        epochs: Passes over the corpus.
        sg: 1 for skip-gram, 0 for CBOW.
        seed: Random seed.
        workers: Training threads.
        kim_format: Files hold ``<label> <text>`` lines: drop the label.
        encoding: Encoding of the files.

    Returns:
        ``out_path``.
    """
    from gensim.models import Word2Vec

    if isinstance(texts, (str, Path)):
        raise ValueError("texts must be an iterable of texts or a list of file paths, not a single str or Path")
    items = list(texts)
    files = [item for item in items if isinstance(item, Path)]
    if files and len(files) != len(items):
        raise ValueError("texts mixes file paths (pathlib.Path) and texts (str); pass one kind")
    kinds = WORD_KINDS + SUBWORD_KINDS
    if tokenizer not in kinds:
        raise ValueError(f"unknown tokenizer kind {tokenizer!r}; expected one of {', '.join(kinds)}")
    _check_positive(dim=dim, window=window, min_count=min_count, epochs=epochs, workers=workers)
    if sg not in (0, 1):
        raise ValueError(f"sg must be 0 (CBOW) or 1 (skip-gram), got {sg!r}")
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"text file not found: {path}")

    tok = TextTokenizer.create(tokenizer, lowercase=lowercase)
    corpus = _Sentences(None if files else items, files, tok, encoding=encoding, kim_format=kim_format)
    if tokenizer in SUBWORD_KINDS:
        tok.fit(corpus.lines())
    model = Word2Vec(vector_size=dim, window=window, min_count=min_count, sg=sg, seed=seed, workers=workers)
    model.build_vocab(corpus)
    if len(model.wv) == 0:
        raise ValueError(f"no word occurs at least min_count={min_count} times in the training text")
    model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model.wv.save_word2vec_format(str(out_path), binary=True)
    return out_path
