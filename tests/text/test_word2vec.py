"""In-domain word2vec: trains on texts or files, saves word2vec binary that load_vectors reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from textcnn.text.vectors import load_vectors
from textcnn.text.vectors_io import detect_format
from textcnn.text.word2vec import count_tokens, read_text_lines, train_word2vec

CORPUS = [
    "the movie was good",
    "the film was bad",
    "a good movie and a good film",
    "a bad movie , a bad film",
] * 10


def test_trains_on_texts_and_loads_back(tmp_path: Path) -> None:
    path = train_word2vec(CORPUS, tmp_path / "sub" / "w2v.bin", dim=12, epochs=2)
    assert path == tmp_path / "sub" / "w2v.bin"
    assert detect_format(path) == "word2vec-bin"
    vectors = load_vectors(path)
    assert set(vectors.words) == {w for text in CORPUS for w in text.split()}
    assert vectors.dim == 12 and np.isfinite(vectors.vectors).all()


def test_same_seed_same_vectors(tmp_path: Path) -> None:
    first = train_word2vec(CORPUS, tmp_path / "a.bin", dim=8, epochs=2, seed=7, sg=1)
    again = train_word2vec(CORPUS, tmp_path / "b.bin", dim=8, epochs=2, seed=7, sg=1)
    other = train_word2vec(CORPUS, tmp_path / "c.bin", dim=8, epochs=2, seed=8, sg=1)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_trains_on_kim_format_files_in_cp1252(tmp_path: Path) -> None:
    text = tmp_path / "mr.txt"
    lines = ["0 a dull , dull movie \u2026 ", "1 Café movie", "1"] * 5
    text.write_bytes("\n".join(lines).encode("cp1252"))
    assert b"\x85" in text.read_bytes()  # the ellipsis is 0x85, a line break for latin-1 + splitlines
    assert list(read_text_lines(text, encoding="cp1252", kim_format=True))[:3] == [
        "a dull , dull movie \u2026",
        "Café movie",
        "",
    ]
    path = train_word2vec([text], tmp_path / "mr.bin", dim=6, epochs=1, lowercase=True, kim_format=True,
                          encoding="cp1252", tokenizer="kim", min_count=2)  # fmt: skip
    assert sorted(load_vectors(path).words) == [",", "a", "caf", "dull", "movie"]  # labels dropped, kim-cleaned


def test_subword_tokenizer_kind(tmp_path: Path) -> None:
    path = train_word2vec(CORPUS, tmp_path / "bpe.bin", tokenizer="bpe", dim=4, epochs=1)
    assert len(load_vectors(path)) > 0


def test_read_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(ValueError, match=r"bad\.txt: line 2 is not valid utf-8"):
        list(read_text_lines(bad))
    with pytest.raises(ValueError, match="'klingon'"):
        list(read_text_lines(bad, encoding="klingon"))
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        train_word2vec([tmp_path / "missing.txt"], tmp_path / "o.bin")


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="min_count=99"):
        train_word2vec(CORPUS, tmp_path / "o.bin", min_count=99, dim=4)
    with pytest.raises(ValueError, match="mixes"):
        train_word2vec(["text", tmp_path / "x.txt"], tmp_path / "o.bin")
    with pytest.raises(ValueError, match="dim must be"):
        train_word2vec(CORPUS, tmp_path / "o.bin", dim=0)
    with pytest.raises(ValueError, match="sg must be"):
        train_word2vec(CORPUS, tmp_path / "o.bin", sg=2)
    with pytest.raises(ValueError, match="'nltk'"):
        train_word2vec(CORPUS, tmp_path / "o.bin", tokenizer="nltk")


def test_count_tokens(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("1 It's good\n0 it's BAD\n", encoding="utf-8")
    assert count_tokens([path], kim_format=True) == {"It's": 1, "good": 1, "it's": 1, "BAD": 1}
    assert count_tokens([path], kim_format=True, tokenizer="kim", lowercase=True) == {
        "it": 2, "'s": 2, "good": 1, "bad": 1,
    }  # fmt: skip
    with pytest.raises(ValueError, match="word-level"):
        count_tokens([path], tokenizer="bpe")
