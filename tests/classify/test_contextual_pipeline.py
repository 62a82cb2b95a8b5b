"""The contextual channel through the pipeline: ``textcnn train`` with ``model.name=kim_cnn_contextual`` and
``model.encoder=DIR`` (a tiny random BERT the tests write themselves), the feature cache, the model directory and
``textcnn predict``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.tiny_bert import HIDDEN, make_tiny_bert
from textcnn.cli.main import cli

transformers = pytest.importorskip("transformers", reason="contextual features need transformers")

OVERRIDES = ["--set", "model.num_filters=8", "--set", "model.embedding_dim=8", "--set", "train.epochs=3",
             "--set", "train.batch_size=20", "--set", "train.progress=false", "--set", "train.device=cpu",
             "--set", "train.optimizer=adam", "--set", "train.lr=0.01"]  # fmt: skip


@pytest.fixture()
def encoder(tmp_path) -> Path:
    return make_tiny_bert(tmp_path / "bert")


@pytest.fixture()
def forwards(monkeypatch) -> list[int]:
    """Counts the encoder's forward passes (every ContextualFeatures the pipeline creates)."""
    from textcnn.text.contextual import ContextualFeatures

    calls = [0]
    encode = ContextualFeatures._encode

    def counted(self, batch):
        calls[0] += 1
        return encode(self, batch)

    monkeypatch.setattr(ContextualFeatures, "_encode", counted)
    return calls


def _train(bert_files, encoder, out: Path, *extra: str):
    args = ["train", "--dataset", "file", "--train-file", bert_files["train"], "--dev-file", bert_files["dev"],
            "--test-file", bert_files["test"], "--out", str(out), "--set", "model.name=kim_cnn_contextual",
            "--set", f"model.encoder={encoder}", *OVERRIDES, *extra]  # fmt: skip
    return CliRunner().invoke(cli, args)


def test_train_predict_cache_and_reload(bert_files, encoder, forwards, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("TEXTCNN_CACHE", str(cache))
    result = _train(bert_files, encoder, tmp_path / "m1")
    assert result.exit_code == 0, result.output
    first = forwards[0]
    files = list((cache / "contextual").glob("*.npy"))
    assert first > 0 and len(files) >= 240  # every distinct non-empty text of the three splits, once
    meta = json.loads((tmp_path / "m1" / "textcnn.json").read_text())
    kwargs = meta["model_kwargs"]
    assert kwargs["encoder"] == str(encoder.resolve()) and kwargs["feature_dim"] == HIDDEN and kwargs["layer"] == -1
    assert json.loads((tmp_path / "m1" / "metrics.json").read_text())["test"]["accuracy"] > 0.5

    # A second run reads every feature from the cache: the encoder never runs (nor is it loaded).
    result = _train(bert_files, encoder, tmp_path / "m2")
    assert result.exit_code == 0, result.output
    assert forwards[0] == first and len(list((cache / "contextual").glob("*.npy"))) == len(files)

    # Prediction: one row per line (an empty line too), the encoder run in memory, nothing written to the cache.
    shutil.rmtree(cache)
    lines = ["the film was superb", "", "bad and dull plot", "awful"]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["predict", str(tmp_path / "m1"), str(tmp_path / "in.txt"),
                                      "-o", str(tmp_path / "out.tsv")])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "out.tsv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("label") and len(rows) == 1 + len(lines)
    assert all(row.split("\t")[0] in ("pos", "neg") for row in rows[1:])
    assert forwards[0] > first and not (cache / "contextual").exists()

    # The loaded model predicts what the trained one scored, from features recomputed without the cache.
    import textcnn

    clf = textcnn.load(tmp_path / "m1")
    proba = clf.predict_proba(lines)
    assert proba.shape == (4, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    texts = Path(bert_files["test"]).read_text(encoding="utf-8").splitlines()[1:]
    texts, labels = [t.rsplit(",", 1)[0] for t in texts], [t.rsplit(",", 1)[1] for t in texts]
    accuracy = np.mean([p == y for p, y in zip(clf.predict(texts), labels, strict=True)])
    assert accuracy == pytest.approx(json.loads((tmp_path / "m1" / "metrics.json").read_text())["test"]["accuracy"])
    # Long texts read as windows: each window's words go through the encoder, one row per text comes back.
    clf.max_len, clf.windows = 5, "mean"
    long = "the film was superb and the plot was good and it was great"
    windowed = clf.predict_proba([long, "dull", ""])
    clf.windows = "off"
    head = clf.predict_proba([long, "dull", ""])  # its first 5 words only
    assert windowed.shape == (3, 2) and np.isfinite(windowed).all() and not np.allclose(windowed[0], head[0])
    np.testing.assert_allclose(windowed[1:], head[1:], atol=1e-6)  # short texts are one window

    # Export, int8 quantisation and integrated gradients would run it without its features: refused, by name; a push
    # would upload a model whose encoder folder stays here: refused before any network is tried.
    export = ["export", str(tmp_path / "m1"), "--format", "onnx", "-o", str(tmp_path / "m.onnx")]
    explain = ["explain", str(tmp_path / "m1"), "the film was superb", "--method", "integrated_gradients"]
    push = ["push", str(tmp_path / "m1"), "org/name"]
    for args in (export, explain, push):
        refused = CliRunner().invoke(cli, args)
        assert refused.exit_code != 0 and "encoder" in refused.output and "Traceback" not in refused.output, args
    assert not (tmp_path / "m.onnx").exists()


def test_a_packaged_encoder_is_recorded_by_name_and_travels(bert_files, tmp_path, monkeypatch):
    """Trained with a packaged encoder's name, the model directory records the name, not this machine's folder: it
    loads where the encoder was never extracted (a fresh cache extracts it again), and a push passes that check."""
    import textcnn
    import textcnn.text.model2vec as m2v

    def fake_package(name: str, workdir: Path) -> Path:  # the package writes <workdir>/<model name>/
        return make_tiny_bert(Path(workdir) / "tiny-encoder")

    monkeypatch.setattr(m2v, "PACKAGED_ENCODERS", {"tiny-encoder": "tiny_encoder_package"})
    monkeypatch.setattr(m2v, "packaged_encoder", fake_package)
    monkeypatch.setenv("TEXTCNN_CACHE", str(tmp_path / "cache"))
    assert _train(bert_files, "Tiny-Encoder", tmp_path / "m").exit_code == 0
    assert json.loads((tmp_path / "m" / "textcnn.json").read_text())["model_kwargs"]["encoder"] == "Tiny-Encoder"
    texts = ["the film was superb", "bad and dull plot"]
    before = textcnn.load(tmp_path / "m").predict_proba(texts)
    monkeypatch.setenv("TEXTCNN_CACHE", str(tmp_path / "elsewhere"))  # another machine: nothing extracted yet
    np.testing.assert_allclose(textcnn.load(tmp_path / "m").predict_proba(texts), before, atol=1e-6)
    assert (tmp_path / "elsewhere" / "encoders" / "tiny-encoder" / "tiny-encoder" / "config.json").is_file()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pushed = CliRunner().invoke(cli, ["push", str(tmp_path / "m"), "org/name"])
    assert pushed.exit_code == 1 and "cannot push" in pushed.output and "would not carry" not in pushed.output


def test_features_follow_the_ids_through_truncation(bert_files, encoder, tmp_path):
    """A batch's features are the cached rows of the tokens its ids keep (head_tail), zero at padding."""
    from textcnn.classify.build import fit_tokenizer, text_loader
    from textcnn.classify.config import load_config
    from textcnn.classify.train import load_splits
    from textcnn.text.contextual import ContextualFeatures

    config = load_config(None, ["data.dataset=file", f"data.train_file={bert_files['train']}", "data.max_len=4",
                                "data.truncate=head_tail", "model.name=kim_cnn_contextual", f"model.encoder={encoder}",
                                "model.filter_widths=[2]", "data.bucket=false"])  # fmt: skip
    split = load_splits(config).train
    tokenizer = fit_tokenizer(config, split.texts)
    loader, truncated = text_loader(tokenizer, split, config, min_len=2, shuffle=False)
    inputs, _ = next(iter(loader))
    assert truncated > 0 and inputs["features"].shape == (*inputs["input_ids"].shape, HIDDEN)
    i = next(i for i in range(len(inputs["input_ids"])) if len(tokenizer.tokenize(split.texts[i])) > 4)
    full = ContextualFeatures(encoder).features([tokenizer.tokenize(split.texts[i])])[0]  # (N, H)
    kept = np.concatenate([full[:2], full[-2:]])  # head_tail: first and last two words
    np.testing.assert_allclose(inputs["features"][i].numpy(), kept, atol=1e-5)
    short = next(i for i in range(len(inputs["input_ids"])) if len(tokenizer.tokenize(split.texts[i])) < 4)
    assert not inputs["features"][short, 3:].any()  # padding reads zeros


def test_missing_encoder_is_a_clear_error(bert_files, encoder, tmp_path):
    result = _train(bert_files, tmp_path / "nowhere", tmp_path / "m")
    assert result.exit_code != 0 and "encoder folder not found" in result.output and "model.encoder" in result.output
    assert _train(bert_files, encoder, tmp_path / "m").exit_code == 0
    shutil.move(encoder, tmp_path / "moved")
    import textcnn

    with pytest.raises(FileNotFoundError, match=r"encoder folder not found: .*bert .*model_kwargs.encoder in .*json"):
        textcnn.load(tmp_path / "m")


def test_feature_dim_comes_from_the_encoder(bert_files, encoder, tmp_path):
    result = _train(bert_files, encoder, tmp_path / "m", "--set", "model.feature_dim=7")
    assert result.exit_code != 0 and f"hidden_size {HIDDEN}" in result.output
