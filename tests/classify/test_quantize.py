"""Half-precision model directories: half the weights on disk, the same predictions, a model directory like any
other."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors import safe_open

import textcnn
from textcnn.classify import model_dir as md
from textcnn.cli.main import cli


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_halved_weights_are_smaller_and_predict_the_same(tiny_model_dir, tmp_path, dtype):
    out = tmp_path / dtype
    result = CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(out), "--dtype", dtype])
    assert result.exit_code == 0, result.output
    before, after = ((d / md.WEIGHTS_FILE).stat().st_size for d in (tiny_model_dir, out))
    assert after < 0.6 * before
    with safe_open(str(out / md.WEIGHTS_FILE), framework="pt") as fh:
        names = fh.keys()  # a safe_open handle is not iterable itself
        assert names and all(str(fh.get_tensor(k).dtype) == f"torch.{dtype}" for k in names)
    texts = ["great fun", "boring and dull", "a fine lovely film", ""]
    full, half = textcnn.load(tiny_model_dir), textcnn.load(out)
    assert half.predict(texts) == full.predict(texts)
    np.testing.assert_allclose(half.predict_proba(texts), full.predict_proba(texts), atol=0.02)
    assert md.read_metrics(out)["weights_dtype"] == dtype


def test_quantize_refuses_to_replace_a_model_or_itself(tiny_model_dir, tmp_path):
    again = CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(tiny_model_dir)])
    assert again.exit_code == 1 and "must differ from the model directory" in again.output
    out = tmp_path / "h"
    assert CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(out)]).exit_code == 0
    twice = CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(out)])
    assert twice.exit_code == 1 and "--overwrite" in twice.output


def _texts(toy_files) -> list[str]:
    from textcnn.data.files import load_text_file

    part, _ = load_text_file(toy_files["test"])
    return [*part.texts, "", "a", "great " * 300]  # empty, shorter than the widest filter, a long one


def test_int8_directory_runs_its_int8_graph_by_default_and_agrees_with_float32(tiny_model_dir, toy_files, tmp_path):
    from textcnn.classify.export import OnnxTextClassifier
    from textcnn.classify.quantize import INT8_GRAPH

    out = tmp_path / "int8"
    result = CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(out), "--dtype", "int8"])
    assert result.exit_code == 0, result.output
    assert INT8_GRAPH in result.output
    meta = md.read_metrics(out)
    assert meta["weights_dtype"] == "int8" and meta["int8"]["calibration_texts"] > 0  # the run's own training texts
    int8, full = textcnn.load(out), textcnn.load(tiny_model_dir)
    assert isinstance(int8, OnnxTextClassifier)
    texts = _texts(toy_files)
    p8, p32 = int8.predict_proba(texts), full.predict_proba(texts)
    assert p8.shape == p32.shape
    assert np.abs(p8 - p32).max() < 0.1  # int8 rounding moves probabilities a little ...
    assert (p8.argmax(1) == p32.argmax(1)).mean() >= 0.95  # ... and rarely a label
    # The graph really holds int8 weights: most of its initializer bytes are int8.
    import onnx

    graph = onnx.load(str(out / INT8_GRAPH)).graph
    sizes = {}
    for init in graph.initializer:
        kind = onnx.helper.tensor_dtype_to_np_dtype(init.data_type)
        sizes[kind] = sizes.get(kind, 0) + int(np.prod(init.dims)) * np.dtype(kind).itemsize
    assert sizes.get(np.dtype(np.int8), 0) > 0.6 * sum(sizes.values())
    # backend="torch" gives the PyTorch model (float16 weights) for explain and export.
    torch_clf = textcnn.load(out, backend="torch")
    assert not isinstance(torch_clf, OnnxTextClassifier)
    assert torch_clf.predict(texts) == full.predict(texts)


def test_int8_calibrates_on_a_given_file_and_a_half_overwrite_drops_the_graph(tiny_model_dir, tmp_path):
    from textcnn.classify.quantize import INT8_GRAPH

    texts = tmp_path / "calib.txt"
    texts.write_text("a fine lovely film\nboring and dull\n", encoding="utf-8")
    out = tmp_path / "int8"
    args = ["quantize", str(tiny_model_dir), "-o", str(out), "--dtype", "int8", "--calibration", str(texts)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert md.read_metrics(out)["int8"]["calibration_texts"] == 2
    again = CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(out), "--overwrite"])
    assert again.exit_code == 0, again.output
    assert not (out / INT8_GRAPH).exists()
    assert md.read_metrics(out)["weights_dtype"] == "float16"


def test_int8_without_a_graph_or_with_calibration_for_half_is_a_clear_error(tiny_model_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="textcnn quantize"):
        textcnn.load(tiny_model_dir, backend="onnx-int8")
    calib = tmp_path / "c.txt"
    calib.write_text("x\n", encoding="utf-8")
    args = ["quantize", str(tiny_model_dir), "-o", str(tmp_path / "h"), "--calibration", str(calib)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--calibration is for --dtype int8" in result.output


def test_an_int8_directory_predicts_through_the_cli_with_its_graph_and_explains_with_torch(tiny_model_dir, tmp_path):
    out = tmp_path / "int8"
    assert CliRunner().invoke(cli, ["quantize", str(tiny_model_dir), "-o", str(out), "--dtype", "int8"]).exit_code == 0
    texts = tmp_path / "in.txt"
    texts.write_text("great fun\nboring and dull\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["predict", str(out), str(texts), "--format", "jsonl", "--all-probs"])
    assert result.exit_code == 0, result.output
    import json

    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    graph = textcnn.load(out).predict_proba(["great fun", "boring and dull"])  # the int8 graph
    assert len(rows) == 2
    for row, probs in zip(rows, graph, strict=True):
        got = [row["probabilities"][str(label)] for label in textcnn.load(out).labels]
        assert got == pytest.approx(probs.tolist(), abs=1e-6)
    explained = CliRunner().invoke(cli, ["explain", str(out), "great fun"])
    assert explained.exit_code == 0, explained.output
