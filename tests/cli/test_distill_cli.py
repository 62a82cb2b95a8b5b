"""`textcnn train --teacher DIR` end to end: a real (tiny, random-initialised, fine-tuned) BERT teacher distilled into
a Kim CNN student; the second run reads the teacher's logits from the cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tests.tiny_bert import bert_sentiment, make_tiny_bert
from tests.toy import TINY_OVERRIDES, write_csv
from textcnn.cli.main import cli

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("toy")
    return {name: str(write_csv(root / f"{name}.csv", *bert_sentiment(n, seed))) for name, n, seed in
            (("train", 240, 0), ("dev", 60, 1), ("test", 60, 2))}  # fmt: skip


@pytest.fixture(scope="module")
def teacher_dir(files, tmp_path_factory):
    from textcnn.classify.config import load_config
    from textcnn.distill.teacher import TeacherConfig
    from textcnn.distill.teacher_train import train_teacher

    encoder = make_tiny_bert(tmp_path_factory.mktemp("bert"))
    out = tmp_path_factory.mktemp("teacher") / "t"
    config = load_config(None, ["data.dataset=file", *(f"data.{k}_file={v}" for k, v in files.items())])
    settings = TeacherConfig(encoder=str(encoder), epochs=4, batch_size=16, lr=3e-3, max_length=16, num_threads=1)
    train_teacher(config, settings, out, echo=None)
    return out


def test_train_with_teacher_distils_and_caches(files, teacher_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTCNN_CACHE", str(tmp_path / "cache"))
    args = ["train", "--dataset", "file", "--train-file", files["train"], "--dev-file", files["dev"],
            "--test-file", files["test"], "--teacher", str(teacher_dir), "--quiet"]  # fmt: skip
    for item in [*TINY_OVERRIDES, "train.epochs=8", "distill.augment=2"]:
        args += ["--set", item]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("distillation:"))
    assert f"teacher {teacher_dir}" in line and "loss mse, alpha 0" in line and "240 training + " in line
    assert "computed by the teacher" in line and len(list((tmp_path / "cache" / "teacher-logits").glob("*.npy"))) == 1
    metrics = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert metrics["distill"]["teacher"] == str(teacher_dir) and metrics["distill"]["augmented_texts"] > 0
    teacher_test = json.loads((teacher_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert metrics["test"]["accuracy"] >= teacher_test - 0.1  # the student about matches its teacher

    from textcnn.classify.hybrid import load_text_classifier
    from textcnn.distill.teacher import load_teacher

    texts = bert_sentiment(60, 2)[0]
    student = load_text_classifier(tmp_path / "s").predict(texts)
    teacher = load_teacher(teacher_dir, device="cpu")
    agree = np.mean(np.array(teacher.labels)[teacher.logits(texts).argmax(1)] == np.array(student))
    assert agree > 0.85

    again = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "s2")])
    assert again.exit_code == 0, again.output
    assert "teacher logits read from the cache" in again.output
    assert json.loads((tmp_path / "s2" / "metrics.json").read_text())["distill"]["logits_from_cache"] is True


def test_bad_distill_settings_name_the_key(files, tmp_path):
    args = ["train", "--dataset", "file", "--train-file", files["train"], "--teacher", str(tmp_path),
            "--set", "distill.loss=l2", "--out", str(tmp_path / "s")]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0 and "distill.loss must be mse or kl" in result.output
