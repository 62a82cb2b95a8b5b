"""``textcnn train --hybrid``: one command makes a CNN + linear hybrid that predict, evaluate and serve use as is."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from fastapi.testclient import TestClient
from toy import TINY_OVERRIDES, toy_sentiment

from textcnn.classify import model_dir as md
from textcnn.classify.classifier import load
from textcnn.classify.hybrid import HybridClassifier
from textcnn.cli.main import cli


def _run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _train(toy_files, out, *extra):
    sets = [x for o in TINY_OVERRIDES for x in ("--set", o)]
    return _run(["train", "--dataset", "file", "--train-file", toy_files["train"], "--dev-file", toy_files["dev"],
                 "--test-file", toy_files["test"], "--out", out, "--quiet", *sets, *extra])  # fmt: skip


def test_train_hybrid_then_predict_evaluate_and_serve(toy_files, tmp_path):
    out = tmp_path / "hybrid"
    result = _train(toy_files, out, "--hybrid", "nbsvm")
    assert result.exit_code == 0, result.output
    assert "hybrid: cnn weight" in result.output

    meta = json.loads((out / md.META_FILE).read_text())
    metrics = json.loads((out / md.METRICS_FILE).read_text())
    assert meta["hybrid"]["linear"] == "nbsvm" and meta["hybrid"]["weight"] == metrics["hybrid"]["weight"]
    assert (out / md.LINEAR_FILE).is_file() and (out / md.LINEAR_WEIGHTS_FILE).is_file()
    for part in ("cnn", "linear", "hybrid"):
        assert set(metrics["hybrid"]["accuracy"][part]) == {"dev", "test"}
    assert metrics["test"]["accuracy"] == metrics["hybrid"]["accuracy"]["hybrid"]["test"]
    clf = load(out)
    assert isinstance(clf, HybridClassifier)

    texts = toy_sentiment(30, 7)[0] + ["", "good but boring"]
    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(texts) + "\n", encoding="utf-8")
    predicted = _run(["predict", out, inputs, "--all-probs", "--format", "jsonl", "-o", tmp_path / "out.jsonl"])
    assert predicted.exit_code == 0, predicted.output
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["label"] for r in rows] == clf.predict(texts)

    evaluated = _run(["evaluate", out, "--file", toy_files["test"], "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["accuracy"] == metrics["test"]["accuracy"]

    from textcnn.serve import create_app

    with TestClient(create_app(clf, meta=meta)) as client:
        answer = client.post("/predict", json={"texts": texts[:3]})
        assert answer.status_code == 200, answer.text
        proba = clf.predict_proba(texts[:3])
        assert [p["label"] for p in answer.json()["predictions"]] == [clf.labels[i] for i in proba.argmax(1)]
        assert client.post("/explain", json={"text": texts[0]}).status_code == 400

    # explanations cover a CNN alone: a hybrid is refused in one line (the CNN part's account would explain another
    # model than the one that predicts), and the report says so instead of marking spans
    for args in (["explain", out, "good film"], ["explain", out, "--top-ngrams", toy_files["test"]]):
        refused = CliRunner().invoke(cli, [str(a) for a in args])
        assert refused.exit_code == 1 and "Traceback" not in refused.output
        assert "CNN + nbsvm hybrid (CNN weight" in refused.output and "without --hybrid" in refused.output
    report = _run(["report", out, "--data", toy_files["test"], "-o", tmp_path / "report.html"])
    assert report.exit_code == 0, report.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "this model is a kim_cnn + nbsvm hybrid" in page and '<mark class="for">' not in page


def test_hybrid_option_errors(toy_files, tmp_path):
    bad = _train(toy_files, tmp_path / "a", "--set", "train.hybrid=svm")
    assert bad.exit_code == 1 and "train.hybrid must be nbsvm, tfidf_lr or null, got 'svm'" in bad.output
    assert "Traceback" not in bad.output
    assert _train(toy_files, tmp_path / "b", "--hybrid", "svm").exit_code == 2  # not a choice
    assert not (tmp_path / "a").exists()


def test_plain_training_has_no_linear_part(tiny_model_dir):
    assert not (tiny_model_dir / md.LINEAR_FILE).exists()
    assert "hybrid" not in json.loads((tiny_model_dir / md.META_FILE).read_text())
    assert not isinstance(load(tiny_model_dir), HybridClassifier)
    assert np.isfinite(load(tiny_model_dir).predict_proba(["good"])).all()
