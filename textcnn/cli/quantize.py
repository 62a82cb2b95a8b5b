"""``textcnn quantize``: a copy of a model directory with its weights stored in half precision."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors


@click.command("quantize", context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option(
    "-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="The new model directory."
)
@click.option("--dtype", type=click.Choice(["float16", "bfloat16"]), default="float16", help="Stored weight type.")
@click.option("--overwrite", is_flag=True, default=False, help="Replace a model already in OUT.")
@friendly_errors
def quantize(model_dir: str, out_dir: str, dtype: str, overwrite: bool) -> None:
    """Write MODEL_DIR to OUT with its weights stored as float16 or bfloat16 (half the size on disk). OUT is a model
    directory like any other: predict, evaluate and serve it as usual (it runs in float32 on the rounded weights)."""
    from pathlib import Path

    from textcnn.classify.model_dir import WEIGHTS_FILE
    from textcnn.classify.quantize import halve_model_dir

    out = halve_model_dir(model_dir, out_dir, dtype, overwrite=overwrite)
    before, after = (Path(model_dir) / WEIGHTS_FILE).stat().st_size, (out / WEIGHTS_FILE).stat().st_size
    click.echo(f"{model_dir} -> {out} ({dtype}): {WEIGHTS_FILE} {before:,} -> {after:,} bytes")
