"""scripts/bench_recipes.py: texts/s from raw text beside NBSVM in the same run, and size on disk with the encoder a
contextual model needs."""

from __future__ import annotations

import json

import pytest

from tests.toy import TINY_OVERRIDES
from textcnn.classify.config import load_config


def _row(capsys) -> list[str]:
    return [c.strip() for c in capsys.readouterr().out.strip().splitlines()[-1].split("|")[1:-1]]


def test_a_word_cnn_row_gives_accuracy_rates_and_its_folder_size(tiny_model_dir, capsys, load_script):
    module = load_script("bench_recipes")
    module.main([str(tiny_model_dir), "--repeats", "1"])
    name, split, accuracy, rate, nbsvm_rate, ratio, size = _row(capsys)
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text(encoding="utf-8"))
    assert name == tiny_model_dir.name and split == "file fold 0 seed 0"
    assert accuracy == f"{metrics['test']['accuracy']:.2%}"  # the reloaded model scores as it did when trained
    assert float(rate.replace(",", "")) > 0 and float(nbsvm_rate.replace(",", "")) > 0 and float(ratio) > 0
    assert size == f"{module.folder_bytes(tiny_model_dir) / 1e6:.1f} MB" and "encoder" not in size


def test_a_contextual_hybrid_counts_its_encoder(bert_files, tmp_path, capsys, load_script):
    pytest.importorskip("transformers")
    from tests.tiny_bert import make_tiny_bert
    from textcnn.classify.train import train_text_classifier

    encoder = make_tiny_bert(tmp_path / "bert")
    files = [f"data.{name}_file={path}" for name, path in bert_files.items()]
    config = load_config(None, ["data.dataset=file", *files, *TINY_OVERRIDES, "model.name=kim_cnn_contextual",
                                f"model.encoder={encoder}", "train.hybrid=nbsvm"])  # fmt: skip
    train_text_classifier(config, tmp_path / "m", echo=None)
    module = load_script("bench_recipes")
    module.main([str(tmp_path / "m"), "--repeats", "1"])
    *_, size = _row(capsys)
    assert (tmp_path / "m" / "linear.safetensors").is_file()  # the hybrid's linear part is in the folder it measures
    own, weights = module.folder_bytes(tmp_path / "m") / 1e6, module.folder_bytes(encoder) / 1e6
    assert weights > 0 and size == f"{own:.1f} MB + {weights:.1f} MB encoder"
