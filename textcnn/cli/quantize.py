"""``textcnn quantize``: a copy of a model directory with smaller weights (half precision) or an int8 graph."""

from __future__ import annotations

import click

from textcnn.classify.quantize import CALIBRATION_TEXTS, DTYPES
from textcnn.cli._common import friendly_errors


@click.command("quantize", context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option(
    "-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="The new model directory."
)
@click.option(
    "--dtype",
    type=click.Choice(DTYPES),
    default="float16",
    help="float16/bfloat16: weights stored in half precision (half the size, same speed). int8: adds an int8 ONNX "
    "graph (ONNX Runtime static quantisation, calibrated on training texts) that load/predict/serve run by default.",
)
@click.option(
    "--calibration",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="int8: a file of texts (one per line) to calibrate on; default: the run's own training split.",
)
@click.option("--calibration-size", type=click.IntRange(min=1), default=CALIBRATION_TEXTS, help="int8: texts used.")
@click.option("--overwrite", is_flag=True, default=False, help="Replace a model already in OUT.")
@friendly_errors
def quantize(
    model_dir: str, out_dir: str, dtype: str, calibration: str | None, calibration_size: int, overwrite: bool
) -> None:
    """Write MODEL_DIR to OUT with smaller weights. OUT is a model directory like any other: predict, evaluate and
    serve it as usual. float16/bfloat16 run in float32 on the rounded weights; int8 runs the int8 graph with ONNX
    Runtime on CPU (`textcnn.load(OUT, backend="torch")` still gives the PyTorch model, for explain and export).
    Needs `pip install "textcnn[export]"` for int8."""
    from pathlib import Path

    from textcnn.classify.model_dir import WEIGHTS_FILE
    from textcnn.classify.quantize import INT8_GRAPH, quantize_model_dir

    if dtype != "int8" and calibration is not None:
        raise click.UsageError("--calibration is for --dtype int8")
    texts = None
    if calibration is not None:
        from textcnn.classify.predict import iter_input_texts

        texts = list(iter_input_texts([calibration]))
    out = quantize_model_dir(
        model_dir, out_dir, dtype, calibration_texts=texts, num_calibration=calibration_size, overwrite=overwrite
    )
    before, after = (Path(model_dir) / WEIGHTS_FILE).stat().st_size, (out / WEIGHTS_FILE).stat().st_size
    click.echo(f"{model_dir} -> {out} ({dtype}): {WEIGHTS_FILE} {before:,} -> {after:,} bytes")
    if dtype == "int8":
        click.echo(f"  {INT8_GRAPH} {(out / INT8_GRAPH).stat().st_size:,} bytes (run by default; backend='torch' "
                   "runs the float16 weights)")  # fmt: skip
