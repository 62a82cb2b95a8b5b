"""scripts/bench_distill.py: a (tiny) teacher and its distilled student predict the same test split from raw text."""

from __future__ import annotations

import pytest

from tests.toy import TINY_OVERRIDES
from textcnn.classify.config import load_config

pytest.importorskip("transformers")


def test_prints_one_row_of_accuracies_speeds_and_sizes(bert_files, tiny_teacher_dir, tmp_path, capsys, load_script):
    from textcnn.classify.train import train_text_classifier

    files = [f"data.{name}_file={path}" for name, path in bert_files.items()]
    student = load_config(None, ["data.dataset=file", *files, *TINY_OVERRIDES, f"distill.teacher={tiny_teacher_dir}"])
    train_text_classifier(student, tmp_path / "student", echo=None)
    module = load_script("bench_distill")
    module.main([str(tiny_teacher_dir), str(tmp_path / "student"), "--repeats", "1"])
    row = capsys.readouterr().out.strip().splitlines()[-1].split("|")[1:-1]
    name, teacher_acc, student_acc, agree, teacher_rate, student_rate, speedup, *_sizes = (c.strip() for c in row)
    assert name == "file f0" and teacher_acc.endswith("%") and float(agree.rstrip("%")) > 50
    assert float(speedup.rstrip("x")) > 0 and float(student_rate.replace(",", "")) > 0
    with pytest.raises(SystemExit):
        module.main([str(tiny_teacher_dir)])  # pairs only
