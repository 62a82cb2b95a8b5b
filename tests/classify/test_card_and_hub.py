"""Every model directory carries a model card; pushing and hf:// loading fail clearly without a network, and what
would be uploaded loads back from a local folder."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from huggingface_hub import ModelCard

import textcnn
from textcnn.classify import model_dir as md
from textcnn.cli.main import cli


def test_the_model_card_names_labels_scores_and_how_to_load(tiny_model_dir):
    card = ModelCard.load(tiny_model_dir / "README.md")  # parses the YAML block
    assert card.data.library_name == "textcnn" and card.data.pipeline_tag == "text-classification"
    metrics = md.read_metrics(tiny_model_dir)
    text = card.text
    assert "`neg`, `pos`" in text
    assert f"| test | {metrics['test']['n']} | {metrics['test']['accuracy']:.4f} |" in text
    assert 'textcnn.load("path/to/this/folder")' in text and "| num_filters | `8` |" in text


def test_the_files_a_push_uploads_load_back_from_a_local_folder(tiny_model_dir, tmp_path):
    shared = tmp_path / "as-uploaded"
    shared.mkdir()
    for name in md.SHARED_FILES:
        if (tiny_model_dir / name).is_file():  # the optional files (int8 graph, a hybrid's linear part) may be absent
            shutil.copy(tiny_model_dir / name, shared / name)
    assert {p.name for p in shared.iterdir()} >= {md.META_FILE, md.WEIGHTS_FILE, md.TOKENIZER_FILE}
    texts = ["great fun", "boring and dull"]
    assert textcnn.load(shared).predict(texts) == textcnn.load(tiny_model_dir).predict(texts)


def test_hub_loading_and_pushing_fail_with_one_clear_line_offline(tiny_model_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    with pytest.raises(ValueError, match=r"cannot fetch hf://org/no-such-model from the Hugging Face Hub"):
        textcnn.load("hf://org/no-such-model")
    with pytest.raises(ValueError, match="expected hf://ORG/NAME"):
        textcnn.load("hf://just-a-name")
    result = CliRunner().invoke(cli, ["push", str(tiny_model_dir), "org/name"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot push {tiny_model_dir} to the Hub repository 'org/name'")
    assert "Traceback" not in result.output
