"""model2vec static models as vectors: word vectors for the CNN's vocabulary, and the subword Kim CNN.

The tests build a tiny model2vec model themselves: a ``tokenizers`` WordPiece tokenizer and a random table, saved
with ``StaticModel.save_pretrained``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from textcnn.text.tokenizers import PAD_TOKEN, UNK_TOKEN, TextTokenizer, TokenizerConfig
from textcnn.text.vectors import build_embedding_matrix, format_coverage, load_vectors

model2vec = pytest.importorskip("model2vec")

# The toy sentiment words (tests/toy.py), some only as pieces: "superb" = super ##b, "awful" = aw ##ful, ...
VOCAB = [
    "[PAD]", "[UNK]", "the", "film", "##maker", "maker", "was", "a", "plot", "and", "it", "story", "very", "quite",
    "act", "##ing", "music", "good", "great", "fine", "super", "##b", "love", "##ly", "fun", "bad", "aw", "##ful",
    "dull", "poor", "bor", "weak", "<unk>",
]  # fmt: skip
DIM = 8


def _tiny_static_model(seed: int = 0):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    tokenizer = Tokenizer(models.WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    table = np.random.default_rng(seed).normal(size=(len(VOCAB), DIM)).astype(np.float32)
    return model2vec.StaticModel(vectors=table, tokenizer=tokenizer, normalize=True)


@pytest.fixture(scope="module")
def m2v_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("m2v") / "tiny"
    _tiny_static_model().save_pretrained(folder)
    return folder


def _row(token: str, folder: Path) -> np.ndarray:
    table = model2vec.StaticModel.from_pretrained(folder).embedding
    return np.asarray(table[VOCAB.index(token)], dtype=np.float32)


# ---------------------------------------------------------------------------------------------------- word vectors
def test_word_vector_is_the_mean_of_its_subword_rows_as_model2vec_encodes(m2v_dir: Path) -> None:
    vectors = load_vectors(f"model2vec:{m2v_dir}", words=["filmmaker", "Film", "zzz"], lowercase_fallback=False)
    mean = (_row("film", m2v_dir) + _row("##maker", m2v_dir)) / 2
    np.testing.assert_allclose(vectors.vectors[vectors.index["filmmaker"]], mean, rtol=1e-6)
    static = model2vec.StaticModel.from_pretrained(m2v_dir)
    np.testing.assert_allclose(vectors.vectors[vectors.index["filmmaker"]], static.encode("filmmaker", normalize=False))
    np.testing.assert_allclose(vectors.vectors[vectors.index["Film"]], _row("film", m2v_dir))  # the model lower-cases
    assert "zzz" not in vectors  # only unknown pieces: no vector, a random row in the matrix
    assert vectors.source == f"model2vec:{m2v_dir}" and vectors.dim == DIM


def test_coverage_line_counts_words_with_a_known_piece(m2v_dir: Path) -> None:
    tokens = [PAD_TOKEN, UNK_TOKEN, "filmmaker", "superb", "zzz"]
    matrix, report = build_embedding_matrix(tokens, load_vectors(f"model2vec:{m2v_dir}", words=tokens), seed=0)
    line = format_coverage(report)
    assert line.startswith(
        f"model2vec:{m2v_dir}: 2/4 vocabulary tokens have pretrained 8-d vectors"
    )  # <unk>, zzz: random
    np.testing.assert_allclose(matrix[3], (_row("super", m2v_dir) + _row("##b", m2v_dir)) / 2, rtol=1e-6)


def test_no_words_gives_the_models_own_tokens(m2v_dir: Path) -> None:
    vectors = load_vectors(f"model2vec:{m2v_dir}")
    assert vectors.words == VOCAB
    np.testing.assert_allclose(vectors.vectors[VOCAB.index("##ful")], _row("##ful", m2v_dir))


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        ("model2vec:", ValueError, "names no model"),
        ("model2vec:{missing}", FileNotFoundError, "model2vec model folder not found"),
        ("model2vec:minishlab/no-such-model-here", FileNotFoundError, "Hugging Face Hub"),
        ("model2vec:{file}", ValueError, "is a file"),
        ("model2vec:{empty}", ValueError, "not a model2vec model folder"),
    ],
)
def test_bad_sources_are_clear_errors(tmp_path: Path, monkeypatch, source: str, error: type, match: str) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # as HF_HUB_OFFLINE=1: no network here
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "missing", "file": tmp_path / "file.txt", "empty": tmp_path / "empty"}
    with pytest.raises(error, match=match):
        load_vectors(source.format(**paths), words=["film"])


def test_format_is_refused_and_model2vec_missing_names_the_extra(m2v_dir: Path, monkeypatch) -> None:
    with pytest.raises(ValueError, match="takes no format"):
        load_vectors(f"model2vec:{m2v_dir}", words=["film"], format="glove")
    monkeypatch.setitem(sys.modules, "model2vec", None)
    with pytest.raises(ImportError, match=r"pip install \"textcnn\[model2vec\]\""):
        load_vectors(f"model2vec:{m2v_dir}", words=["film"])


# ---------------------------------------------------------------------------------------------------- subword input
def test_subword_tokenizer_is_the_models_with_ids_moved_up_by_two(m2v_dir: Path) -> None:
    tok = TextTokenizer.create("model2vec", path=str(m2v_dir)).fit([])
    assert tok.tokens() == [PAD_TOKEN, UNK_TOKEN, *VOCAB[:-1], "<unk>@model2vec"]
    static = model2vec.StaticModel.from_pretrained(m2v_dir)
    text = "The filmmaker was superb !"
    pieces = static.tokenizer.encode(text, add_special_tokens=False).ids  # "!" is [UNK]
    assert tok.encode(text) == [i + 2 if i != VOCAB.index("[UNK]") else 1 for i in pieces]
    assert tok.encode(text)[-1] == tok.unk_id and tok.tokenize("filmmaker") == ["film", "##maker"]
    again = TextTokenizer.from_str(tok.to_str())  # what a model dir stores; reading it needs no model2vec
    assert again.encode_batch([text]) == [tok.encode(text)] and again.config.path == str(m2v_dir)


def test_subword_kind_needs_a_path() -> None:
    with pytest.raises(ValueError, match=r"needs tokenizer.path"):
        TokenizerConfig(kind="model2vec")
    with pytest.raises(ValueError, match=r"tokenizer.path is only read by the kinds model2vec"):
        TokenizerConfig(kind="kim", path="somewhere")


def test_subword_matrix_is_the_models_table(m2v_dir: Path, tmp_path: Path) -> None:
    from textcnn.text.model2vec import subword_embedding_matrix

    tokens = TextTokenizer.create("model2vec", path=str(m2v_dir)).fit([]).tokens()
    matrix, report = subword_embedding_matrix(str(m2v_dir), tokens)
    table = np.asarray(model2vec.StaticModel.from_pretrained(m2v_dir).embedding)
    np.testing.assert_array_equal(matrix[2:], table)
    np.testing.assert_array_equal(matrix[1], table[VOCAB.index("[UNK]")])
    assert not matrix[0].any() and report["found"] == len(VOCAB) + 1 and report["random"] == 0
    other = tmp_path / "other"
    model = _tiny_static_model()
    model2vec.StaticModel(np.asarray(model.embedding)[:-1], _smaller_tokenizer(model)).save_pretrained(other)
    with pytest.raises(ValueError, match="must name the same model"):
        subword_embedding_matrix(str(other), tokens)


def _smaller_tokenizer(model):
    from tokenizers import Tokenizer

    data = json.loads(model.tokenizer.to_str())
    del data["model"]["vocab"]["<unk>"]
    return Tokenizer.from_str(json.dumps(data))


# ---------------------------------------------------------------------------------------------------- training
def _train(out: Path, toy_files: dict[str, Path], overrides: list[str]) -> tuple[Path, list[str]]:
    from toy import TINY_OVERRIDES

    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    files = [f"data.train_file={toy_files['train']}", f"data.dev_file={toy_files['dev']}"]
    config = load_config(None, ["data.dataset=file", *files, *TINY_OVERRIDES, "train.epochs=6", *overrides])
    lines: list[str] = []
    train_text_classifier(config, out, echo=lines.append)
    return out, lines


_PREDICT_WITHOUT_MODEL2VEC = """
import sys
sys.modules["model2vec"] = None  # as if not installed: importing it raises ImportError
import textcnn
for folder in sys.argv[1:]:
    print(" ".join(textcnn.load(folder).predict(["a superb film", "an awful plot", "the music was lovely"])))
assert not [name for name, module in sys.modules.items() if name.startswith("model2vec") and module is not None]
"""


def test_trained_models_predict_without_model2vec(m2v_dir: Path, toy_files, tmp_path: Path) -> None:
    source = f"embeddings.vectors=model2vec:{m2v_dir}"
    words, word_lines = _train(tmp_path / "words", toy_files, ["model.mode=non-static", source])
    assert any(line.startswith(f"model2vec:{m2v_dir}: ") for line in word_lines)
    subword_config = ["model.mode=non-static", source, "tokenizer.kind=model2vec", f"tokenizer.path={m2v_dir}"]
    subwords, subword_lines = _train(tmp_path / "subwords", toy_files, subword_config)
    assert any(f"vocabulary: {len(VOCAB) + 2} tokens from the training split" in line for line in subword_lines)
    assert any(
        "(its subword table)" in line and f"{len(VOCAB) + 1}/{len(VOCAB) + 1} " in line for line in subword_lines
    )
    done = subprocess.run(
        [sys.executable, "-c", _PREDICT_WITHOUT_MODEL2VEC, str(words), str(subwords)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["pos neg pos", "pos neg pos"]


def test_subword_kind_refuses_other_vectors(m2v_dir: Path, toy_files, tmp_path: Path) -> None:
    overrides = ["tokenizer.kind=model2vec", f"tokenizer.path={m2v_dir}", "embeddings.vectors=glove-6b-50d"]
    with pytest.raises(ValueError, match="embeddings.vectors must be 'model2vec:"):
        _train(tmp_path / "run", toy_files, ["model.mode=non-static", *overrides])
