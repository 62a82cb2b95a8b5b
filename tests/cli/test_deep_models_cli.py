"""DPCNN, VDCNN and char-CNN through every entry point a Kim CNN has: train, evaluate, predict and summary on the
command line, the model directory, and the scikit-learn estimator (tiny sizes; real files, real training)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from toy import toy_sentiment

import textcnn
from textcnn import TextCNNClassifier
from textcnn.cli.main import cli

COMMON = ["train.batch_size=20", "train.progress=false", "train.device=cpu", "train.optimizer=adam"]
#: Per model: the config overrides of a tiny version that learns the toy task, and the same as estimator arguments.
#: The character models need more epochs and, at this size, no dropout and a wider initialisation than the paper's.
TINY = {
    "dpcnn": (
        ["model.embedding_dim=16", "model.num_filters=8", "model.num_blocks=3", "train.lr=0.01", "train.epochs=6"],
        {"embedding_dim": 16, "num_filters": 8, "model_args": {"num_blocks": 3}, "lr": 0.01, "epochs": 6},
    ),
    "vdcnn9": (
        ["tokenizer.kind=char", "model.embedding_dim=8", "model.channels=[8,8,16,16]", "model.fc_dim=32",
         "train.lr=0.01", "train.epochs=10"],
        {"tokenizer": "char", "embedding_dim": 8, "model_args": {"channels": [8, 8, 16, 16], "fc_dim": 32},
         "lr": 0.01, "epochs": 10},
    ),
    "char_cnn_small": (
        ["tokenizer.kind=char", "model.input_length=150", "data.max_len=150", "model.num_filters=32",
         "model.fc_dim=32", "model.dropout=0.0", "model.init_std=0.1", "train.lr=0.003", "train.epochs=10"],
        {"tokenizer": "char", "num_filters": 32, "dropout": 0.0, "max_len": 150,
         "model_args": {"input_length": 150, "fc_dim": 32, "init_std": 0.1}, "lr": 0.003, "epochs": 10},
    ),
}  # fmt: skip


def _run(args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


@pytest.mark.parametrize("name", TINY)
def test_train_evaluate_predict_summary_on_the_command_line(name, toy_files, tmp_path):
    out = tmp_path / name
    sets = [x for o in [f"model.name={name}", *TINY[name][0], *COMMON] for x in ("--set", o)]
    files = ["--train-file", toy_files["train"], "--dev-file", toy_files["dev"], "--test-file", toy_files["test"]]
    result = _run(["train", "--dataset", "file", *files, "--out", out, "--quiet", *sets])
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "textcnn.json").read_text())
    assert saved["model_name"] == name

    # the directory loads as the model it was trained as, and evaluate scores the trained model, not a fresh one
    clf = textcnn.load(out)
    assert clf.model_name == name
    evaluated = json.loads(_run(["evaluate", out, "--file", toy_files["test"], "--json"]).output)
    assert evaluated["n"] == 200 and evaluated["accuracy"] > 0.75
    assert evaluated["accuracy"] == pytest.approx(json.loads((out / "metrics.json").read_text())["test"]["accuracy"])

    # one output line per input line, empty and over-long lines included, in order
    lines = ["the film was superb and lovely", "", "awful dull boring plot", "x" * 5000]
    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(["predict", out, inputs, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(lines) and [r["label"] for r in rows] == clf.predict(lines)

    summary = _run(["summary", out])
    assert summary.exit_code == 0, summary.output
    params = sum(p.numel() for p in clf.model.parameters())
    assert name in summary.output and f"{params:,}" in summary.output


@pytest.mark.parametrize("name", TINY)
def test_scikit_learn_estimator(name):
    texts, labels = toy_sentiment(400, seed=7)
    test_texts, test_labels = toy_sentiment(200, seed=8)
    est = TextCNNClassifier(model=name, batch_size=20, optimizer="adam", **TINY[name][1])
    est.fit(texts, np.array(labels))
    assert est.classifier_.model_name == name
    assert est.score(test_texts, np.array(test_labels)) > 0.75
    assert est.predict_proba(test_texts[:5]).shape == (5, 2)
