"""`textcnn bench`: quick mode end to end (results file, skipping, table), table and lengths commands, errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from textcnn.cli.main import cli


@pytest.fixture(scope="module")
def quick_out(tmp_path_factory, data_dir):
    """One quick benchmark (CR fold 0: three baselines and CNN-static, 1 epoch) run in 2 worker processes."""
    out = tmp_path_factory.mktemp("bench") / "quick"
    args = ["bench", "run", "--quick", "--jobs", "2", "--set", "train.epochs=1", "--set", "model.num_filters=20",
            "--data-dir", str(data_dir), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out, args, result.output


def _records(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_quick_run_writes_one_line_per_run(quick_out):
    out, _, output = quick_out
    records = _records(out)
    assert sorted(r["method"] for r in records) == ["cnn", "fasttext", "nbsvm", "tfidf_lr", "tfidf_svm"]
    for r in records:
        assert (r["dataset"], r["fold"], r["seed"]) == ("cr", 0, 0)
        assert 0.5 < r["accuracy"] <= 1.0 and r["seconds"] >= 0 and r["commit"]
    (cnn,) = [r for r in records if r["method"] == "cnn"]
    assert cnn["mode"] == "static" and cnn["vectors"] == "glove-6b-50d" and cnn["epochs"] == 1
    assert cnn["options"] == {"model.num_filters": 20, "train.epochs": 1}
    assert "ran 5, skipped 0" in output


def test_rerun_skips_finished_runs(quick_out, data_dir):
    out, args, _ = quick_out
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "ran 0, skipped 5" in result.output
    assert len(_records(out)) == 5


def test_table_has_the_quick_cells(quick_out):
    out, _, _ = quick_out
    result = CliRunner().invoke(cli, ["bench", "table", str(out / "results.jsonl")])
    assert result.exit_code == 0, result.output
    assert result.output == (out / "results.md").read_text(encoding="utf-8")
    records = {r["method"]: r for r in _records(out)}
    kim_table = result.output.split("### Against Kim")[0]
    lines = {line.split("|")[1].strip(): line for line in kim_table.splitlines() if line.startswith("| ")}
    for label, method, note in (("NBSVM", "nbsvm", ""), ("TF-IDF+LR", "tfidf_lr", ""), ("fastText", "fasttext", ""),
                                ("TF-IDF+LinearSVC", "tfidf_svm", ""),
                                ("CNN-static, glove-6b-50d [model.num_filters=20]", "cnn", " [a]")):  # fmt: skip
        cells = [c.strip() for c in lines[label].strip().strip("|").split("|")][1:]
        assert cells[5] == f"{100 * records[method]['accuracy']:.1f} (n=1, partial: 1/10 folds){note}"  # CR column
        assert cells[:5] + cells[6:] == ["–"] * 6
    assert "| Kim (2014) CNN-static | 81.0 | 45.5 | 86.8 | 93.0 | 92.8 | 84.7 | 89.6 |" in result.output
    assert "[a] train.epochs=1" in kim_table


def test_table_to_file_and_missing_results(quick_out, tmp_path):
    out, _, _ = quick_out
    result = CliRunner().invoke(cli, ["bench", "table", str(out / "results.jsonl"), "-o", str(tmp_path / "t.md")])
    assert result.exit_code == 0 and (tmp_path / "t.md").read_text(encoding="utf-8").startswith("5 runs")
    result = CliRunner().invoke(cli, ["bench", "table", str(out / "results.jsonl"), "--folds", "1-2"])
    assert result.exit_code == 0 and result.output.startswith("0 runs")  # the quick runs are all on fold 0
    result = CliRunner().invoke(cli, ["bench", "table", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1 and "results file not found" in result.output


def test_lengths_command(data_dir):
    result = CliRunner().invoke(cli, ["bench", "lengths", "--datasets", "trec", "--max-len", "5,20",
                                      "--data-dir", str(data_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| trec | train | 4906 |" in result.output and "> 20" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--datasets", "imdb"], "unknown dataset 'imdb'"),
        (["--folds", "a-b"], "'a-b' is not a list of integers"),
        (["--jobs", "0"], "jobs must be >= 1, got 0"),
        (["--set", "model.mode=static"], "model.mode is set by the benchmark runner"),
    ],
)
def test_bad_input_is_a_one_line_error(extra, message, tmp_path):
    result = CliRunner().invoke(cli, ["bench", "run", "--datasets", "cr", "--methods", "nbsvm", *extra,
                                      "--out", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_help_explains_every_option():
    result = CliRunner().invoke(cli, ["bench", "run", "--help"])
    assert result.exit_code == 0
    for option in ("--datasets", "--methods", "--modes", "--vectors", "--folds", "--seeds", "--set", "--jobs",
                   "--quick", "--keep-models", "--data-dir", "--out"):  # fmt: skip
        assert option in result.output
    assert "default: cnn,tfidf_lr,tfidf_svm,nbsvm,fasttext" in " ".join(result.output.split())
    assert "table" in CliRunner().invoke(cli, ["bench", "--help"]).output
