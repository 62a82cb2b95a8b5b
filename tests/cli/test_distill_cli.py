"""`textcnn train --teacher DIR` end to end: a real (tiny, random-initialised, fine-tuned) BERT teacher distilled into
a Kim CNN student; the second run reads the teacher's logits from the cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tests.tiny_bert import bert_sentiment
from tests.toy import TINY_OVERRIDES
from textcnn.cli.main import cli

pytest.importorskip("transformers")


def test_train_with_teacher_distils_and_caches(bert_files, tiny_teacher_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTCNN_CACHE", str(tmp_path / "cache"))
    args = ["train", "--dataset", "file", "--train-file", bert_files["train"], "--dev-file", bert_files["dev"],
            "--test-file", bert_files["test"], "--teacher", str(tiny_teacher_dir), "--quiet"]  # fmt: skip
    for item in [*TINY_OVERRIDES, "train.epochs=8", "distill.augment=2"]:
        args += ["--set", item]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("distillation:"))
    assert f"teacher {tiny_teacher_dir}" in line and "loss mse, alpha 0" in line and "240 training + " in line
    assert "computed by the teacher" in line and len(list((tmp_path / "cache" / "teacher-logits").glob("*.npy"))) == 1
    metrics = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert metrics["distill"]["teacher"] == str(tiny_teacher_dir) and metrics["distill"]["augmented_texts"] > 0
    teacher_test = json.loads((tiny_teacher_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert metrics["test"]["accuracy"] >= teacher_test - 0.1  # the student about matches its teacher

    from textcnn.classify.hybrid import load_text_classifier
    from textcnn.distill.teacher import load_teacher

    texts = bert_sentiment(60, 2)[0]
    student = load_text_classifier(tmp_path / "s").predict(texts)
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    agree = np.mean(np.array(teacher.labels)[teacher.logits(texts).argmax(1)] == np.array(student))
    assert agree > 0.85

    again = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "s2")])
    assert again.exit_code == 0, again.output
    assert "teacher logits read from the cache" in again.output
    assert json.loads((tmp_path / "s2" / "metrics.json").read_text())["distill"]["logits_from_cache"] is True


def test_bad_distill_settings_name_the_key(bert_files, tmp_path):
    args = ["train", "--dataset", "file", "--train-file", bert_files["train"], "--teacher", str(tmp_path),
            "--set", "distill.loss=l2", "--out", str(tmp_path / "s")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0 and "distill.loss must be mse or kl" in result.output
