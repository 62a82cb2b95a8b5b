"""`textcnn train` as a user meets it: any model argument, own columns, one line per epoch, a last line that says
what was measured, no silent replacement of a model, and an evaluate that says what it scored (issues #11, #17)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from toy import TINY_OVERRIDES, toy_sentiment

import textcnn
from textcnn.classify.config import load_config
from textcnn.cli.main import cli
from textcnn.models import create_model

FAST = [a for o in TINY_OVERRIDES for a in ("--set", o)]


def _run(args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], **kw)


def _review_csv(path: Path, n: int, seed: int) -> Path:
    """A CSV with the columns `review` and `sentiment` (not the default text/label), and an extra column."""
    texts, labels = toy_sentiment(n, seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "review", "sentiment"])
        writer.writerows((i, t, y) for i, (t, y) in enumerate(zip(texts, labels, strict=True)))
    return path


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reviews")
    return {name: _review_csv(root / f"{name}.csv", n, seed) for name, n, seed in (("train", 300, 0), ("test", 80, 2))}


def test_trec_with_model_arguments_builds_that_model_and_saves_the_effective_config(tmp_path):
    out = tmp_path / "trec"
    args = ["train", "--dataset", "trec", "--set", "model.name=kim_cnn", "--set", "model.num_filters=50",
            "--set", "model.max_norm=null", "--set", "train.epochs=1", "--set", "model.embedding_dim=8",
            "--set", "train.num_threads=1", "--quiet", "--out", out]  # fmt: skip
    result = _run(args)
    assert result.exit_code == 0, result.output
    clf = textcnn.load(out)
    assert clf.model.head.fc.max_norm is None  # the built model has no constraint
    assert clf.model.convs[0].conv.out_channels == 50
    # the saved config rebuilds the same model: train again from it (no training needed to compare kwargs)
    saved = load_config(out / "config.yaml")
    assert saved.model.args["max_norm"] is None and saved.model.args["num_filters"] == 50
    meta = json.loads((out / "textcnn.json").read_text())
    rebuilt = {**{k: meta["model_kwargs"][k] for k in ("vocab_size", "num_classes", "pad_index", "unk_index")},
               **saved.model.args}  # fmt: skip
    assert rebuilt == meta["model_kwargs"]
    assert create_model("kim_cnn", **rebuilt).head.fc.max_norm is None


def test_an_unknown_model_argument_fails_naming_it(tmp_path):
    result = _run(["train", "--dataset", "trec", "--set", "model.num_filterz=5", "--out", tmp_path / "x"])
    assert result.exit_code == 1
    assert "'model.num_filterz'" in result.output and "num_filters" in result.output
    assert not (tmp_path / "x").exists()


def test_vectors_set_the_embedding_size_in_the_saved_config(tmp_path, reviews):
    vectors = tmp_path / "vec.txt"
    words = sorted({w for t in toy_sentiment(300, 0)[0] for w in t.split()})
    vectors.write_text("".join(f"{w} " + " ".join(["0.1"] * 6) + "\n" for w in words), encoding="utf-8")
    out = tmp_path / "m"
    args = ["train", "--dataset", "file", "--train-file", reviews["train"], "--text-column", "review",
            "--label-column", "sentiment", "--mode", "non-static", "--vectors", vectors, *FAST, "--quiet",
            "--out", out]  # fmt: skip
    result = _run(args)
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert (
        saved["model"]["embedding_dim"]
        == 6
        == json.loads((out / "textcnn.json").read_text())["model_kwargs"]["embedding_dim"]
    )
    assert load_config(out / "config.yaml").model.resolved() == load_config(out / "config.yaml").model.args


def test_own_columns_epoch_lines_and_the_last_line_with_only_a_train_file(tmp_path, reviews):
    out = tmp_path / "own"
    args = ["train", "--dataset", "file", "--train-file", reviews["train"], "--text-column", "review",
            "--label-column", "sentiment", *FAST, "--set", "train.epochs=3", "--out", out]  # fmt: skip
    result = _run(args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert all("loss" in line and "dev accuracy" in line and "ex/s" in line for line in epochs)
    assert "ETA" in epochs[0] and "ETA" not in epochs[-1]
    assert lines[-1].startswith("dev accuracy ") and lines[-1].endswith(f"-> {out}")
    # evaluate reuses the columns the model was trained with and says what it scored
    scored = _run(["evaluate", out, "--file", reviews["test"]])
    assert scored.exit_code == 0, scored.output
    assert scored.output.splitlines()[0] == f"{out} on file {reviews['test']}"


def test_a_model_in_out_is_not_replaced_without_overwrite(tmp_path, reviews):
    out = tmp_path / "kept"
    base = ["train", "--dataset", "file", "--train-file", reviews["train"], "--text-column", "review",
            "--label-column", "sentiment", *FAST, "--quiet", "--out", out]  # fmt: skip
    assert _run(base).exit_code == 0
    before = (out / "model.safetensors").read_bytes()
    again = _run([*base, "--set", "train.seed=7"])
    assert again.exit_code == 1
    assert f"Error: {out} already holds a trained model; pass --overwrite to replace it" in again.output
    assert (out / "model.safetensors").read_bytes() == before
    replaced = _run([*base, "--set", "train.seed=7", "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert (out / "model.safetensors").read_bytes() != before


def test_a_failed_run_leaves_no_empty_output_folder(tmp_path):
    out = tmp_path / "never"
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nonly one class,pos\nstill one,pos\n", encoding="utf-8")
    result = _run(["train", "--dataset", "file", "--train-file", bad, "--quiet", "--out", out])
    assert result.exit_code == 1
    assert not out.exists()


def test_cv_says_up_front_how_many_runs_it_will_do(tmp_path, monkeypatch):
    import textcnn.classify.train as train_module

    def stop(*_args, **_kwargs):
        raise ValueError("stopped before training (test)")

    monkeypatch.setattr(train_module, "train_text_classifier", stop)
    result = _run(["train", "--dataset", "mr", "--cv", "--out", tmp_path / "cv"])
    lines = result.output.splitlines()
    assert lines[0].startswith("cross-validation: 10 runs (folds 0, 1,") and lines[1] == "== fold 0 (1 of 10) =="


def test_train_help_shows_the_defaults_from_their_one_source():
    from textcnn.training import TrainConfig

    result = _run(["train", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert f"Sets train.epochs. [default: ({TrainConfig().epochs})]" in text
    assert "Sets model.mode. [default: (rand)]" in text
    assert "--overwrite" in text and "--text-column" in text and "--label-column" in text


def test_predict_reads_the_column_the_model_was_trained_with(tmp_path, reviews):
    out = tmp_path / "cols"
    args = ["train", "--dataset", "file", "--train-file", reviews["train"], "--text-column", "review",
            "--label-column", "sentiment", *FAST, "--quiet", "--out", out]  # fmt: skip
    assert _run(args).exit_code == 0
    predictions = tmp_path / "p.tsv"
    result = _run(["predict", out, reviews["test"], "-o", predictions])
    assert result.exit_code == 0, result.output
    assert len(predictions.read_text().splitlines()) == 1 + 80  # header and one row per review


def test_a_missing_column_lists_the_columns_and_the_flags(tmp_path, reviews):
    result = _run(["train", "--dataset", "file", "--train-file", reviews["train"], "--out", tmp_path / "x"])
    assert result.exit_code == 1
    assert "no column 'text'; columns: id, review, sentiment (choose them with --text-column" in result.output


def test_arrow_flag_trains_the_same_model_from_a_memory_mapped_training_file(tmp_path, reviews):
    common = ["train", "--dataset", "file", "--train-file", reviews["train"], "--text-column", "review",
              "--label-column", "sentiment", *FAST, "--set", "train.epochs=2"]  # fmt: skip
    runs = {}
    for name, extra in (("memory", []), ("arrow", ["--arrow"])):
        result = _run([*common, *extra, "--out", tmp_path / name])
        assert result.exit_code == 0, result.output
        runs[name] = json.loads((tmp_path / name / "metrics.json").read_text())
    assert "arrow" in runs["arrow"]["data_report"]["files"]["train"]
    assert "arrow" not in runs["memory"]["data_report"]["files"]["train"]
    assert runs["arrow"]["dev"] == runs["memory"]["dev"]  # same split, vocabulary and training: same dev scores
    refused = _run(["train", "--dataset", "mr", "--arrow", "--out", tmp_path / "mr"])
    assert refused.exit_code != 0 and "data.arrow" in refused.output and "Traceback" not in refused.output
