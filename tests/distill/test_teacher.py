"""The teacher: fine-tuning a (tiny, random) BERT on real files, the folder it writes, loading and scoring with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.tiny_bert import bert_sentiment, make_tiny_bert
from textcnn.classify.config import load_config
from textcnn.cli.main import cli
from textcnn.distill.teacher import META_FILE, TeacherConfig, load_teacher, read_teacher_meta, teacher_fingerprint
from textcnn.distill.teacher_train import train_teacher

pytest.importorskip("transformers")


def test_teacher_learns_the_toy_task_and_keeps_the_best_dev_epoch(tiny_teacher_dir):
    metrics = json.loads((tiny_teacher_dir / "metrics.json").read_text())
    dev = [h["dev_accuracy"] for h in metrics["history"]]
    assert metrics["dev"]["accuracy"] == pytest.approx(max(dev))  # the kept weights are the best dev epoch's
    assert metrics["best_epoch"] == 1 + dev.index(max(dev))
    assert metrics["test"]["accuracy"] > 0.8  # one sentiment word decides the label: learnable
    assert metrics["test"]["texts_per_s"] > 0


def test_folder_is_self_describing_and_loads_to_the_same_scores(tiny_teacher_dir, bert_files):
    meta = read_teacher_meta(tiny_teacher_dir)
    assert meta["labels"] == ["neg", "pos"] and meta["max_length"] == 16
    assert (tiny_teacher_dir / "model.safetensors").is_file() and not list(tiny_teacher_dir.glob("*.bin"))
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    texts, labels = bert_sentiment(60, 2)
    logits = teacher.logits(texts, batch_size=7)
    assert logits.shape == (60, 2) and logits.dtype == np.float32
    accuracy = np.mean(np.array(teacher.labels)[logits.argmax(1)] == np.array(labels))
    metrics = json.loads((tiny_teacher_dir / "metrics.json").read_text())
    assert accuracy == pytest.approx(metrics["test"]["accuracy"])  # same texts as the test file: same scores
    one_by_one = np.stack([teacher.logits([t])[0] for t in texts[:5]])
    np.testing.assert_allclose(one_by_one, logits[:5], atol=1e-4)  # batching by length keeps the order


def test_fingerprint_changes_with_the_weights(tiny_teacher_dir, tmp_path):
    import shutil

    copy = Path(shutil.copytree(tiny_teacher_dir, tmp_path / "copy"))
    assert teacher_fingerprint(copy) == teacher_fingerprint(tiny_teacher_dir)
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-1] ^= 1
    (copy / "model.safetensors").write_bytes(bytes(data))
    assert teacher_fingerprint(copy) != teacher_fingerprint(tiny_teacher_dir)


def test_clear_errors(tmp_path, tiny_teacher_dir, bert_files):
    with pytest.raises(FileNotFoundError, match="not a teacher folder"):
        load_teacher(tmp_path)
    config = load_config(None, ["data.dataset=file", f"data.train_file={bert_files['train']}"])
    with pytest.raises(ValueError, match="already holds a teacher"):
        train_teacher(config, TeacherConfig(encoder=str(tiny_teacher_dir)), tiny_teacher_dir, echo=None)
    with pytest.raises(FileNotFoundError, match="encoder folder"):
        train_teacher(config, TeacherConfig(encoder=str(tmp_path / "none")), tmp_path / "o", echo=None)
    with pytest.raises(ValueError, match="teacher.epochs"):
        TeacherConfig(encoder="x", epochs=0).validate()
    meta = json.loads((tiny_teacher_dir / META_FILE).read_text())
    assert meta["format"] == "textcnn-teacher"


def test_cli_trains_a_teacher_and_refuses_non_data_settings(bert_files, tmp_path):
    encoder = make_tiny_bert(tmp_path / "bert")
    args = ["teacher", "train", "--encoder", str(encoder), "--dataset", "file", "--train-file", bert_files["train"],
            "--dev-file", bert_files["dev"], "--epochs", "1", "--max-length", "16"]  # fmt: skip
    args += ["--out", str(tmp_path / "t")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "teacher: dev accuracy" in result.output and (tmp_path / "t" / META_FILE).is_file()
    bad = CliRunner().invoke(cli, [*args[:-2], "--set", "train.epochs=3", "--out", str(tmp_path / "u")])
    assert bad.exit_code != 0 and "only data.* keys" in bad.output


def test_encoder_is_a_folder_or_the_packaged_minilm(tmp_path):
    from textcnn.distill.teacher_train import encoder_folder

    with (
        pytest.raises(FileNotFoundError, match="a packaged encoder: all-minilm-l6-v2"),
        encoder_folder(str(tmp_path / "nowhere")),
    ):
        pass
    pytest.importorskip("all_minilm_l6_v2")
    with encoder_folder("all-MiniLM-L6-v2") as folder:
        config = json.loads((folder / "config.json").read_text())
        assert config["hidden_size"] == 384 and config["num_hidden_layers"] == 6
    assert not folder.exists()  # extracted for the run only


def test_the_encoder_is_loaded_only_when_logits_are_computed(tiny_teacher_dir, tmp_path):
    from textcnn.distill.targets import teacher_logits

    texts, _ = bert_sentiment(12, 3)
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    assert not teacher.loaded and teacher.mask_token == "[MASK]"  # read from tokenizer_config.json
    first, cached = teacher_logits(teacher, texts, ["neg", "pos"], cache_dir=tmp_path)
    assert not cached and teacher.loaded
    again = load_teacher(tiny_teacher_dir, device="cpu")
    second, cached = teacher_logits(again, texts, ["neg", "pos"], cache_dir=tmp_path)
    assert cached and not again.loaded  # all logits cached: the weights were never read into a model
    np.testing.assert_array_equal(first, second)
