"""Training end to end on real files: model directory contents, metrics, resume, cross-validation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from toy import TINY_OVERRIDES

import textcnn
from textcnn.classify.config import load_config
from textcnn.classify.evaluate import evaluate_model_dir
from textcnn.classify.train import cross_validate, train_text_classifier


def test_model_directory_is_complete_and_self_describing(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {
        "textcnn.json",
        "model.safetensors",
        "tokenizer.json",
        "config.yaml",
        "metrics.json",
        "train_log.jsonl",
    } <= names
    assert "checkpoint.pt" not in names  # removed once the model is saved
    meta = json.loads((tiny_model_dir / "textcnn.json").read_text())
    assert meta["format_version"] == 1 and meta["model_name"] == "kim_cnn"
    assert meta["labels"] == ["neg", "pos"]
    assert {"torch", "textcnn", "tokenizers"} <= set(meta["versions"])
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9
    assert set(metrics["test"]) >= {"macro_f1", "per_class", "confusion_matrix"}


def test_reloaded_model_predicts_the_same(tiny_model_dir, toy_files):
    import csv

    with open(toy_files["test"], encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    first = textcnn.load(tiny_model_dir)
    proba = first.predict_proba(texts)
    again = textcnn.TextClassifier.from_pretrained(tiny_model_dir)
    np.testing.assert_array_equal(proba, again.predict_proba(texts))
    # predictions do not depend on batch size or on the other texts in the batch
    np.testing.assert_allclose(proba, again.predict_proba(texts, batch_size=7), atol=1e-6)
    assert first.predict(["the film was superb", "the plot was dull"]) == ["pos", "neg"]


def test_save_pretrained_round_trip(tiny_model_dir, tmp_path):
    clf = textcnn.load(tiny_model_dir)
    clf.save_pretrained(tmp_path / "copy")
    texts = ["great", "", "awful acting", "x" * 50]
    np.testing.assert_array_equal(clf.predict_proba(texts), textcnn.load(tmp_path / "copy").predict_proba(texts))


def test_evaluate_on_a_labelled_file(tiny_model_dir, toy_files, tmp_path):
    metrics = evaluate_model_dir(tiny_model_dir, file=str(toy_files["test"]))
    assert metrics["n"] == 200 and metrics["accuracy"] >= 0.9
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngood film,pos\nbad film,meh\n")
    with pytest.raises(ValueError, match=r"row 2 has label 'meh', which the model never saw"):
        evaluate_model_dir(tiny_model_dir, file=str(bad))


def test_same_seed_same_model(toy_files, tmp_path):
    overrides = [
        "data.dataset=file",
        f"data.train_file={toy_files['train']}",
        f"data.test_file={toy_files['test']}",
        *TINY_OVERRIDES,
        "train.epochs=2",
    ]
    a = train_text_classifier(load_config(None, overrides), tmp_path / "a", echo=None)
    b = train_text_classifier(load_config(None, overrides), tmp_path / "b", echo=None)
    assert a.metrics["test"] == b.metrics["test"]
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()


def test_cross_validation_on_a_kim_dataset(data_dir, tmp_path):
    config = load_config(None, ["data.dataset=cr", f"data.data_dir={data_dir}", *TINY_OVERRIDES, "train.epochs=1"])
    summary = cross_validate(config, tmp_path, folds=[0, 1], echo=None)
    assert summary["folds"] == [0, 1] and len(summary["test_accuracy"]) == 2
    assert 0.5 < summary["mean"] <= 1.0
    assert json.loads((tmp_path / "cv_summary.json").read_text())["std"] == summary["std"]
    assert (tmp_path / "fold-1" / "textcnn.json").is_file()
