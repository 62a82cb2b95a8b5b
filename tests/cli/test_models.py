"""`textcnn list-models` and `textcnn summary`, run through the real command group with CliRunner."""

import pytest
from click.testing import CliRunner

from textcnn.cli.main import cli
from textcnn.models import list_models


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_list_models_lists_every_registered_model(runner):
    result = runner.invoke(cli, ["list-models"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list_models()
    assert ["vgg16", "image", "3x224x224"] in [line.split() for line in lines]
    assert ["alexnet", "image", "3x227x227"] in [line.split() for line in lines]
    (contextual,) = [line for line in lines if line.startswith("kim_cnn_contextual ")]  # trainable, given an encoder
    assert "model.encoder" in contextual and not any("Python only" in line for line in lines)


@pytest.mark.parametrize("task", ["image", "text"])
def test_list_models_filters_by_task(runner, task):
    result = runner.invoke(cli, ["list-models", "--task", task])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == list_models(task)
    assert all(line.split()[1] == task for line in result.output.splitlines())


def test_list_models_rejects_unknown_task(runner):
    result = runner.invoke(cli, ["list-models", "--task", "audio"])
    assert result.exit_code == 2
    assert "'audio' is not one of 'image', 'text'" in result.output


def test_summary_vgg16_prints_138m_parameters(runner):
    result = runner.invoke(cli, ["summary", "vgg16"])
    assert result.exit_code == 0, result.output
    assert "Total params: 138,357,544" in result.output
    assert "64x224x224" in result.output and "102,764,544" in result.output  # CONV3-64 and FC6 (+ bias)


def test_summary_options(runner):
    result = runner.invoke(cli, ["summary", "resnet18", "--input-size", "3,64,64", "--num-classes", "10"])
    assert result.exit_code == 0, result.output
    assert "512x2x2" in result.output
    assert "Total params: 11,181,642" in result.output  # 11,689,512 - 513,000 + 5,130
    text = runner.invoke(cli, ["summary", "kim_cnn", "--input-size", "20"])
    assert text.exit_code == 0, text.output
    assert "Input values: 20" in text.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["summary", "vgg17"], 1, "unknown model 'vgg17'"),
        (["summary", "vgg16", "--input-size", "3,a"], 2, "comma-separated positive integers"),
        (["summary", "vgg16", "--input-size", "224,224"], 1, "needs 3 axes"),
        (["summary", "vgg16", "--input-size", "3,16,16"], 1, "does not fit model 'vgg16'"),
        (["summary", "vgg16", "--num-classes", "0"], 2, "--num-classes"),
    ],
)
def test_summary_errors_name_the_bad_value(runner, args, code, message):
    result = runner.invoke(cli, args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_help_explains_every_option_and_default(runner):
    summary_help = runner.invoke(cli, ["summary", "--help"]).output
    assert "MODEL" in summary_help and "--input-size" in summary_help and "--num-classes" in summary_help
    assert summary_help.count("Default:") == 2
    list_help = runner.invoke(cli, ["list-models", "--help"]).output
    assert "--task [image|text]" in list_help and "Default: all models" in list_help
    assert {"list-models", "summary"} <= set(runner.invoke(cli, ["--help"]).output.split())
