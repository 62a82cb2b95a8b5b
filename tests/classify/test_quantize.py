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
