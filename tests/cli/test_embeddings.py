"""`textcnn embeddings train|coverage` through Click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from textcnn.cli.embeddings import TOKENIZER_KINDS, VECTOR_FORMATS, WORD_TOKENIZER_KINDS, embeddings
from textcnn.cli.main import cli
from textcnn.text.tokenizers import KINDS, WORD_KINDS
from textcnn.text.vectors import FORMATS, load_vectors


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "train.txt"
    path.write_text("\n".join(["1 a good movie", "0 a bad movie", "1 good good film", "0 bad film"] * 10) + "\n")
    return path


def test_choices_match_the_library() -> None:
    assert TOKENIZER_KINDS == KINDS and WORD_TOKENIZER_KINDS == WORD_KINDS and ("auto", *FORMATS) == VECTOR_FORMATS


def test_train_then_coverage(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "vec.bin"
    result = CliRunner().invoke(
        cli, ["embeddings", "train", str(corpus), "--out", str(out), "--dim", "5", "--epochs", "1", "--kim-format",
              "--min-count", "11"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    vectors = load_vectors(out)
    assert vectors.dim == 5 and sorted(vectors.words) == ["a", "bad", "film", "good", "movie"]  # count >= 11

    test = tmp_path / "test.txt"
    test.write_text("1 a good movie\n0 an awful film\n")
    result = CliRunner().invoke(embeddings, ["coverage", str(out), str(test), "--kim-format", "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "tokens: 6  covered 66.67%  (oov 2)" in result.output  # an, awful missing
    assert "types:  6  covered 66.67%" in result.output
    assert "most frequent oov: an (1), awful (1)" in result.output


def test_coverage_with_named_source(corpus: Path) -> None:
    result = CliRunner().invoke(embeddings, ["coverage", "glove-6b-50d", str(corpus), "--kim-format"])
    assert result.exit_code == 0, result.output
    assert "vectors: glove-6b-50d" in result.output and "covered 100.00%" in result.output


def test_errors_are_reported_without_traceback(corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(embeddings, ["coverage", str(tmp_path / "none.bin"), str(corpus)])
    assert result.exit_code == 1 and "vectors file not found" in result.output
    result = CliRunner().invoke(embeddings, ["train", str(corpus), "--out", str(tmp_path / "o.bin"), "--min-count",
                                             "1000"])  # fmt: skip
    assert result.exit_code == 1 and "min_count=1000" in result.output
    result = CliRunner().invoke(embeddings, ["train", str(tmp_path / "missing.txt"), "--out", "o.bin"])
    assert result.exit_code == 2 and "missing.txt" in result.output


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("train", ["--out", "--dim", "--window", "--min-count", "--epochs", "--sg", "--seed", "--workers",
                   "--tokenizer", "--lowercase", "--kim-format", "--encoding"]),
        ("coverage", ["--format", "--tokenizer", "--lowercase", "--lowercase-fallback", "--top", "--kim-format",
                      "--encoding"]),
    ],
)  # fmt: skip
def test_help_lists_every_option_with_its_default(command: str, options: list[str]) -> None:
    result = CliRunner().invoke(cli, ["embeddings", command, "--help"])
    assert result.exit_code == 0
    for option in options:
        assert option in result.output
    assert result.output.count("default") >= len(options) - 1  # --out is required, --kim-format says "Off"
