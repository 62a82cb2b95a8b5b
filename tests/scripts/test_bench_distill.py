"""scripts/bench_distill.py: a (tiny) teacher and its distilled student predict the same test split from raw text."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.tiny_bert import bert_sentiment, make_tiny_bert
from tests.toy import TINY_OVERRIDES, write_csv
from textcnn.classify.config import load_config

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_distill.py"
pytest.importorskip("transformers")


def test_prints_one_row_of_accuracies_speeds_and_sizes(tmp_path, capsys):
    from textcnn.classify.train import train_text_classifier
    from textcnn.distill.teacher import TeacherConfig
    from textcnn.distill.teacher_train import train_teacher

    files = [f"data.{name}_file={write_csv(tmp_path / f'{name}.csv', *bert_sentiment(n, seed))}"
             for name, n, seed in (("train", 200, 0), ("dev", 50, 1), ("test", 80, 2))]  # fmt: skip
    config = load_config(None, ["data.dataset=file", *files])
    settings = TeacherConfig(encoder=str(make_tiny_bert(tmp_path / "bert")), epochs=3, batch_size=16, lr=3e-3,
                             max_length=16, num_threads=1)  # fmt: skip
    train_teacher(config, settings, tmp_path / "teacher", echo=None)
    student = load_config(
        None, ["data.dataset=file", *files, *TINY_OVERRIDES, f"distill.teacher={tmp_path / 'teacher'}"]
    )
    train_text_classifier(student, tmp_path / "student", echo=None)
    spec = importlib.util.spec_from_file_location("bench_distill", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([str(tmp_path / "teacher"), str(tmp_path / "student"), "--repeats", "1"])
    row = capsys.readouterr().out.strip().splitlines()[-1].split("|")[1:-1]
    name, teacher_acc, student_acc, agree, teacher_rate, student_rate, speedup, *_sizes = (c.strip() for c in row)
    assert name == "file f0" and teacher_acc.endswith("%") and float(agree.rstrip("%")) > 50
    assert float(speedup.rstrip("x")) > 0 and float(student_rate.replace(",", "")) > 0
    with pytest.raises(SystemExit):
        module.main([str(tmp_path / "teacher")])  # pairs only
