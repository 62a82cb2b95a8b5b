"""Contextual features from a frozen encoder: subword alignment, the on-disk cache and its memory-mapped reads.

The tests build a tiny random BERT themselves (``transformers`` ``BertConfig`` and a ``tokenizers`` WordPiece
tokenizer saved with ``BertTokenizerFast.save_pretrained``) in a temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tiny_bert import HIDDEN, make_tiny_bert
from textcnn.data.batching import pad_features
from textcnn.text.contextual import ContextualFeatures, cache_key, encoder_fingerprint

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("bert"))


def _count_forwards(features: ContextualFeatures) -> list[int]:
    calls = [0]
    features.model.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def test_each_word_gets_the_mean_of_its_subword_vectors(bert_dir):
    words = [["the", "film", "was", "superb"], ["awful", "plot"]]
    for layer in (-1, 1):
        out = ContextualFeatures(bert_dir, layer=layer).features(words)
        assert [a.shape for a in out] == [(4, HIDDEN), (2, HIDDEN)] and all(a.dtype == np.float32 for a in out)
        # Direct call on the first text alone: [CLS] the film was super ##b [SEP]
        model = transformers.AutoModel.from_pretrained(bert_dir).eval()
        ids = torch.tensor([[2, 5, 6, 7, 14, 15, 3]])
        with torch.no_grad():
            states = model(input_ids=ids, output_hidden_states=True).hidden_states[layer][0].numpy()  # (7, H)
        np.testing.assert_allclose(out[0][:3], states[1:4], atol=1e-5)
        np.testing.assert_allclose(out[0][3], states[4:6].mean(axis=0), atol=1e-5)  # super + ##b
        assert not np.allclose(out[0][3], states[4], atol=1e-3)  # really a mean, not the first subword
    # Batching (padding) does not change a text's features.
    alone = ContextualFeatures(bert_dir).features([words[1]])[0]
    np.testing.assert_allclose(alone, ContextualFeatures(bert_dir, batch_size=2).features(words)[1], atol=1e-5)


def test_second_call_reads_the_memory_mapped_cache_without_the_encoder(bert_dir, tmp_path):
    words = [["good", "film"], ["dull", "plot", "and", "awful"], []]
    first = ContextualFeatures(bert_dir, cache_dir=tmp_path / "cache")
    calls = _count_forwards(first)
    computed = [np.array(a) for a in first.features(words)]
    assert calls[0] == 1 and len(list((tmp_path / "cache").glob("*.npy"))) == 2  # the empty text is not cached
    assert computed[2].shape == (0, HIDDEN)

    second = ContextualFeatures(bert_dir, cache_dir=tmp_path / "cache")
    calls = _count_forwards(second)
    cached = second.features(words)
    assert calls[0] == 0
    assert isinstance(cached[0], np.memmap) and cached[0].mode == "r"
    for a, b in zip(cached, computed, strict=True):
        np.testing.assert_array_equal(a, b)
    # Another layer is another key: the encoder runs again.
    other = ContextualFeatures(bert_dir, layer=0, cache_dir=tmp_path / "cache")
    calls = _count_forwards(other)
    other.features(words[:1])
    assert calls[0] == 1 and len(list((tmp_path / "cache").glob("*.npy"))) == 3


def test_cache_key_changes_with_encoder_layer_and_words(bert_dir, tmp_path):
    fp = encoder_fingerprint(bert_dir)
    assert cache_key(fp, -1, ["a"]) == cache_key(fp, -1, ["a"])
    assert len({cache_key(fp, -1, ["a"]), cache_key(fp, 0, ["a"]), cache_key(fp, -1, ["a", "a"])}) == 3
    changed = make_tiny_bert(tmp_path / "other", max_position_embeddings=32)
    assert encoder_fingerprint(changed) != fp


def test_words_beyond_the_encoder_length_get_zeros(tmp_path):
    short = make_tiny_bert(tmp_path / "short", max_position_embeddings=8)  # [CLS] + 6 subwords + [SEP]
    features = ContextualFeatures(short)
    (out,) = features.features([["good"] * 10])
    assert out.shape == (10, HIDDEN)
    assert np.abs(out[:6]).sum(axis=1).min() > 0 and not out[6:].any()
    assert features.truncated_words == 4


def test_pad_features_zero_pads_and_truncates():
    arrays = [np.ones((2, 3), np.float32), np.full((5, 3), 2, np.float32)]
    out = pad_features(arrays, 4, 3, max_len=4)
    assert out.shape == (2, 4, 3) and out.dtype == torch.float32
    assert out[0, :2].eq(1).all() and not out[0, 2:].any() and out[1].eq(2).all()


def test_clear_errors(bert_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="encoder folder not found"):
        ContextualFeatures(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        ContextualFeatures(tmp_path / "empty")
    with pytest.raises(ValueError, match="layer 3 is outside"):
        ContextualFeatures(bert_dir, layer=3)


def test_missing_transformers_names_the_extra(bert_dir):
    code = (
        "import sys; sys.modules['transformers'] = None\n"
        "from textcnn.text.contextual import ContextualFeatures\n"
        f"ContextualFeatures({str(bert_dir)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert 'pip install "textcnn[contextual]"' in result.stderr.splitlines()[-1]


def test_cache_files_are_plain_npy(bert_dir, tmp_path):
    ContextualFeatures(bert_dir, cache_dir=tmp_path).features([["good"]])
    (path,) = tmp_path.glob("*.npy")
    array = np.load(path, allow_pickle=False)
    assert array.shape == (1, HIDDEN) and array.dtype == np.float32
    assert len(path.stem) == 64 and int(path.stem, 16) >= 0  # a sha256 hex digest as the file name


def test_a_packaged_encoder_name_is_extracted_once_into_the_cache(tmp_path, monkeypatch):
    import textcnn.text.model2vec as m2v
    from textcnn.text.contextual import encoder_arguments, packaged_encoder_dir

    monkeypatch.setenv("TEXTCNN_CACHE", str(tmp_path / "cache"))
    extracted: list[Path] = []

    def fake_package(name: str, workdir: Path) -> Path:  # the package writes <workdir>/<model name>/
        extracted.append(workdir)
        return make_tiny_bert(Path(workdir) / "tiny-encoder")

    monkeypatch.setattr(m2v, "PACKAGED_ENCODERS", {"tiny-encoder": "tiny_encoder_package"})
    monkeypatch.setattr(m2v, "packaged_encoder", fake_package)
    first = packaged_encoder_dir("Tiny-Encoder")
    assert Path(first) == tmp_path / "cache" / "encoders" / "tiny-encoder" / "tiny-encoder"
    assert packaged_encoder_dir("tiny-encoder") == first and len(extracted) == 1  # kept: not extracted again
    assert encoder_arguments({"encoder": "tiny-encoder"})["encoder"] == "tiny-encoder"  # recorded by name
    assert not [p for p in (tmp_path / "cache" / "encoders").iterdir() if p.name.startswith(".")]  # no temp left
    local = make_tiny_bert(tmp_path / "tiny-encoder")
    monkeypatch.chdir(tmp_path)
    assert packaged_encoder_dir("tiny-encoder") == "tiny-encoder"  # a folder of that name here wins
    assert local.is_dir()
