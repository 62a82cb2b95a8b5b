import pytest
from click.testing import CliRunner

from textcnn.cli.datasets import datasets, parse_options
from textcnn.cli.main import cli


@pytest.fixture
def runner():
    return CliRunner()


def test_list_shows_every_dataset_with_sizes(runner, data_dir):
    result = runner.invoke(cli, ["datasets", "list", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) >= {"mr", "sst1", "sst2", "subj", "trec", "cr", "mpqa", "20ng", "ag_news", "file", "hub"}
    assert "10662 (10-fold CV)" in lines["mr"] and lines["mr"].rstrip().endswith("ok")
    assert "train 8544 / dev 1101 / test 2210" in lines["sst1"]
    assert "SUBSET" in lines["ag_news"]


def test_list_reads_the_environment_and_works_without_data(runner, data_dir, monkeypatch):
    monkeypatch.setenv("TEXTCNN_DATA", str(data_dir))
    assert runner.invoke(datasets, ["list"]).output.splitlines()[0].split()[-1] == "data"
    monkeypatch.delenv("TEXTCNN_DATA")
    result = runner.invoke(datasets, ["list"])
    assert result.exit_code == 0 and "data" not in result.output.splitlines()[0].split()


def test_show_cv_dataset(runner, data_dir):
    result = runner.invoke(datasets, ["show", "mr", "--fold", "2", "--n", "1", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "mr: 2 classes" in result.output and "encoding: cp1252" in result.output
    assert "fold: 2" in result.output
    total = next(line for line in result.output.splitlines() if line.strip().startswith("total"))
    assert sum(int(x) for x in total.split()[1:]) == 10662


def test_show_with_options(runner, data_dir, tmp_path):
    result = runner.invoke(datasets, ["show", "trec", "-o", "fine=true", "--n", "0", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "trec: 50 classes" in result.output and "NUM:dist" in result.output
    train = tmp_path / "mine.csv"
    train.write_text("text,label\n" + "".join(f"text {i},{'xy'[i % 2]}\n" for i in range(20)))
    result = runner.invoke(datasets, ["show", "file", "-o", f"train={train}", "--n", "2"])
    assert result.exit_code == 0, result.output
    assert "mine: 2 classes" in result.output and "[x] text 0" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "unknown dataset 'nope'"),
        (["show", "sst1", "--fold", "3"], "fold must be 0"),
        (["show", "sst2", "-o", "phrase=true"], "unknown option 'phrase'"),
        (["show", "sst2", "-o", "phrases"], "expected KEY=VALUE"),
    ],
)
def test_show_errors_are_clean(runner, data_dir, args, message):
    result = runner.invoke(datasets, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


def test_help_explains_options_and_defaults(runner):
    text = runner.invoke(datasets, ["show", "--help"]).output
    for needle in ("--data-dir", "TEXTCNN_DATA", "--fold", "--seed", "--dev-fraction", "--n", "--option", "default: 5"):
        assert needle in text


def test_parse_options_reads_yaml_values():
    assert parse_options(("phrases=true", "remove=[]", "train=a=b.csv")) == {
        "phrases": True,
        "remove": [],
        "train": "a=b.csv",
    }
