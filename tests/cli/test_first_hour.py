"""What a new user trips over in the first hour (issue #17), run as a user would (CliRunner over real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from toy import toy_sentiment, write_csv

import textcnn
from textcnn.cli.main import cli

REPO = Path(__file__).resolve().parents[2]


def _run(args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


# ---------------------------------------------------------------------------------------------- integer labels
@pytest.fixture(scope="module")
def int_model_dir(tmp_path_factory) -> Path:
    """A model fitted by the scikit-learn estimator on integer labels (1 = positive, 0 = negative)."""
    texts, labels = toy_sentiment(300, seed=5)
    y = [1 if label == "pos" else 0 for label in labels]
    fast = dict(embedding_dim=16, num_filters=8, epochs=4, batch_size=20, optimizer="adam", lr=0.01)
    out = tmp_path_factory.mktemp("int") / "model"
    textcnn.TextCNNClassifier(**fast).fit(texts, y).save_pretrained(out)
    return out


def test_predict_writes_integer_labels(int_model_dir, tmp_path):
    as_jsonl = _run(["predict", int_model_dir, "-", "--format", "jsonl", "--top-k", "2"], input="great fun\nboring\n")
    assert as_jsonl.exit_code == 0, as_jsonl.output
    rows = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert [r["label"] for r in rows] == [1, 0]
    assert [t["label"] for t in rows[0]["top_k"]] == [1, 0]
    out = tmp_path / "out.tsv"
    as_tsv = _run(["predict", int_model_dir, "-", "-o", out, "--all-probs"], input="great fun\nboring\n")
    assert as_tsv.exit_code == 0, as_tsv.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["label", "probability", "p_0", "p_1"]
    assert [line.split("\t")[0] for line in lines[1:]] == ["1", "0"]


def test_evaluate_a_model_with_integer_labels_on_a_file(int_model_dir, tmp_path):
    texts, labels = toy_sentiment(100, seed=9)
    test_file = write_csv(tmp_path / "test.csv", texts, ["1" if label == "pos" else "0" for label in labels])
    result = _run(["evaluate", int_model_dir, "--file", test_file, "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["n"] == 100 and metrics["accuracy"] > 0.9 and [str(x) for x in metrics["labels"]] == ["0", "1"]
    table = _run(["evaluate", int_model_dir, "--file", test_file])
    assert table.exit_code == 0, table.output
    assert "confusion matrix" in table.output and any(line.startswith("1 ") for line in table.output.splitlines())


# ---------------------------------------------------------------------------------------------- dataset names
def test_a_misspelt_dataset_name_suggests_the_registered_one():
    result = _run(["datasets", "show", "mrr"])
    assert result.exit_code == 1
    assert "Error: unknown dataset 'mrr'; did you mean 'mr'?" in result.output


def test_an_upper_case_dataset_name_is_found(data_dir):
    result = _run(["datasets", "show", "TREC", "--data-dir", data_dir, "--n", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("trec: 6 classes")


# ---------------------------------------------------------------------------------------------- predict progress
def _many_lines(tmp_path: Path, n: int) -> Path:
    inputs = tmp_path / "many.txt"
    inputs.write_text("".join("superb\n" if i % 2 else "dull\n" for i in range(n)), encoding="utf-8")
    return inputs


def test_predict_shows_a_progress_bar_of_lines_when_asked(tiny_model_dir, tmp_path):
    result = _run(["predict", tiny_model_dir, _many_lines(tmp_path, 300), "-o", tmp_path / "o.tsv", "--progress"])
    assert result.exit_code == 0, result.output
    assert "predicting: 300 lines" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("predicted 300 lines (")  # the summary stays last


def test_predict_shows_no_bar_when_standard_error_is_not_a_terminal(tiny_model_dir, tmp_path):
    result = _run(["predict", tiny_model_dir, _many_lines(tmp_path, 300), "-o", tmp_path / "o.tsv"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"predicted 300 lines (0 without any token, 0 truncated) -> {tmp_path}/o.tsv"]


# ---------------------------------------------------------------------------------------------- summary MODEL_DIR
def test_summary_describes_a_trained_model_directory(tiny_model_dir):
    result = _run(["summary", tiny_model_dir])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"model directory: {tiny_model_dir}"
    assert "model: kim_cnn" in lines
    kwargs = next(line for line in lines if line.startswith("kwargs: "))
    assert "embedding_dim=16" in kwargs and "num_filters=8" in kwargs and "filter_widths=[3, 4, 5]" in kwargs
    assert "labels (2): neg, pos" in lines
    assert "max_len: none (no truncation)" in lines
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert f"dev accuracy {metrics['dev']['accuracy']:.4f} (n={metrics['dev']['n']})" in result.output
    assert f"test accuracy {metrics['test']['accuracy']:.4f} (n={metrics['test']['n']})" in result.output
    params = sum(p.numel() for p in textcnn.load(tiny_model_dir).model.parameters())
    assert f"Total params: {params:,}" in lines
    assert any(line.startswith("embedding ") and "Embedding" in line for line in lines)  # the per-layer table


def test_summary_of_a_model_directory_without_metrics(tiny_model_dir, tmp_path):
    import shutil

    copy = Path(shutil.copytree(tiny_model_dir, tmp_path / "m"))
    (copy / "metrics.json").unlink()
    result = _run(["summary", copy, "--input-size", "7"])
    assert result.exit_code == 0, result.output
    assert "metrics: none recorded" in result.output and "accuracy" not in result.output
    assert "input: 7 tokens (--input-size)" in result.output
    assert ["input", "Input", "7", "7", "0"] in [line.split() for line in result.output.splitlines()]


def test_summary_of_a_model_directory_runs_the_table_at_its_max_len(tiny_model_dir, tmp_path):
    import shutil

    copy = Path(shutil.copytree(tiny_model_dir, tmp_path / "m"))
    meta = json.loads((copy / "textcnn.json").read_text(encoding="utf-8"))
    (copy / "textcnn.json").write_text(json.dumps({**meta, "max_len": 12}), encoding="utf-8")
    result = _run(["summary", copy])
    assert result.exit_code == 0, result.output
    assert "max_len: 12 tokens" in result.output and "input: 12 tokens (max_len)" in result.output
    assert ["embedding", "Embedding", "12x16", "192", "416"] in [line.split() for line in result.output.splitlines()]


def test_summary_of_a_folder_without_a_model_says_so(tmp_path):
    result = _run(["summary", tmp_path])
    assert result.exit_code == 1
    assert "is not a complete textcnn model directory: textcnn.json is missing" in result.output


# ---------------------------------------------------------------------------------------------- config show
def test_config_show_prints_every_section_with_the_model_resolved():
    result = _run(["config", "show", "--set", "model.num_filters=50", "--set", "train.epochs=3"])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.output)
    assert list(shown) == ["data", "tokenizer", "embeddings", "model", "train", "distill"]
    assert shown["model"] == {
        "name": "kim_cnn",
        "embedding_dim": 300,
        "mode": "rand",
        "filter_widths": [3, 4, 5],
        "num_filters": 50,
        "dropout": 0.5,
        "max_norm": 3.0,
        "act_layer": "relu",
    }
    assert shown["train"]["epochs"] == 3 and shown["tokenizer"]["kind"] == "kim"
    assert "# note: data.dataset is not set; `textcnn train` needs it" in result.output  # shown all the same


def test_config_show_of_a_file_reads_back_as_the_same_config(tmp_path):
    from textcnn.classify.config import load_config

    path = REPO / "configs" / "kim" / "sst2-static.yaml"
    result = _run(["config", "show", path, "--set", "model.dropout=0.3"])
    assert result.exit_code == 0, result.output
    assert "refuse" not in result.output and "not set" not in result.output
    assert "# note: model.embedding_dim becomes the dimension of embeddings.vectors" in result.output  # glove: 50
    saved = tmp_path / "effective.yaml"
    saved.write_text(result.output, encoding="utf-8")
    back, expected = load_config(saved), load_config(path, ["model.dropout=0.3"])
    assert {**back.to_dict(), "model": None} == {**expected.to_dict(), "model": None}
    assert back.model.resolved() == expected.model.resolved()
    assert yaml.safe_load(result.output)["model"]["mode"] == "static"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "model.nonsense=1"], "unknown config key 'model.nonsense'"),
        (["--set", "train.epochs=many"], "config key 'train.epochs' has the wrong type"),
        (["no-such.yaml"], "config file not found: no-such.yaml"),
    ],
)
def test_config_show_refuses_what_train_would_refuse(args, message):
    result = _run(["config", "show", *args])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_config_show_notes_a_model_argument_the_builder_refuses():
    result = _run(["config", "show", "--set", "data.dataset=mr", "--set", "model.mode=static"])
    assert result.exit_code == 0, result.output
    assert "# note: `textcnn train` would refuse this config: model.mode 'static' needs pretrained vectors" in (
        result.output
    )
    assert yaml.safe_load(result.output)["model"]["mode"] == "static"


# ---------------------------------------------------------------------------------------------- the guide
def test_the_guide_is_linked_from_the_readme_and_its_commands_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/guide.md)" in readme
    guide = (REPO / "docs" / "guide.md").read_text(encoding="utf-8")
    for command in ("train", "evaluate", "predict", "config show", "summary", "embeddings"):
        assert f"textcnn {command}" in guide
    flags = {"--train-file", "--dev-file", "--test-file", "--text-column", "--label-column", "--vectors", "--set"}
    flags |= {"--top-k", "--format", "--column", "--input-format"}
    helps = "".join(_run([*c.split(), "--help"]).output for c in ("train", "predict", "config show"))
    for flag in sorted(flags):
        assert flag in guide and flag in helps, flag
    assert all(name in guide for name in ("textcnn.load", "TextCNNClassifier", "glove-6b-50d", "__label__"))
