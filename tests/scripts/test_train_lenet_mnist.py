"""scripts/train_lenet_mnist.py writes a model directory that textcnn.load opens and textcnn evaluate scores."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import textcnn
from textcnn.classify.image import ImageClassifier
from textcnn.cli.main import cli
from textcnn.data.mnist import load_mnist

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_lenet_mnist.py"


@pytest.fixture(scope="module")
def data_dir():
    from textcnn.data.paths import resolve_data_dir

    try:
        root = resolve_data_dir(None)
    except (FileNotFoundError, ValueError):
        pytest.skip("benchmark data (TEXTCNN_DATA) not available")
    if not (Path(root) / "mnist").is_dir():
        pytest.skip("MNIST not in the benchmark data")
    return str(root)


def test_the_lenet_script_writes_a_model_directory_that_load_and_evaluate_use(data_dir, tmp_path):
    spec = importlib.util.spec_from_file_location("train_lenet_mnist", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "lenet"
    argv = ["--data-dir", data_dir, "--epochs", "1", "--n-train", "3000", "--threads", "1", "--out", str(out)]
    metrics = script.main(argv)
    assert metrics["n_train"] + metrics["n_dev"] == 3000

    model = textcnn.load(out)
    assert isinstance(model, ImageClassifier) and model.model_name == "lenet5"
    images, labels = load_mnist(data_dir, "test")
    predicted = np.asarray(model.predict(images[:2000]), dtype=int)
    assert (predicted == labels[:2000]).mean() > 0.8  # 1 epoch on 3,000 images; chance is 0.1

    result = CliRunner().invoke(cli, ["evaluate", str(out), "--dataset", "mnist", "--data-dir", data_dir, "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.output)
    assert scored["scored"] == {"dataset": "mnist", "split": "test", "n": 10000}
    assert scored["accuracy"] == pytest.approx(metrics["test_accuracy"])
    table = CliRunner().invoke(cli, ["evaluate", str(out), "--dataset", "mnist", "--data-dir", data_dir])
    assert table.exit_code == 0 and f"{out} on dataset mnist, split test" in table.output
