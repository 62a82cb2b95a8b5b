"""``textcnn export``: write a trained text model as an ONNX graph or a TorchScript module."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors


@click.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
# the formats of textcnn.classify.export.FORMATS (written out so that --help does not import torch; a test compares)
@click.option("--format", "fmt", type=click.Choice(["onnx", "torchscript"]), default="onnx", help="What to write.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@friendly_errors
def export(model_dir, fmt, output) -> None:
    """Write the text model of MODEL_DIR as an ONNX graph (`onnx`, for ONNX Runtime) or a traced TorchScript module.

    The exported model maps token ids to class logits; it has dynamic batch and length axes. Inputs: `input_ids`
    (int64, batch x length; each row's tokens first, padded with the <pad> id to at least the model's widest filter)
    and `mask` (bool, batch x length, True at real tokens; always given: all True when nothing is padded). Output:
    `logits` (batch x classes).

    Only the model is exported: the texts are turned into ids by MODEL_DIR/tokenizer.json (Hugging Face
    `tokenizers`), which goes with the exported file, and the label names are in MODEL_DIR/textcnn.json. ONNX needs
    `pip install "textcnn[export]"`. In Python, `textcnn.load(MODEL_DIR, backend="onnx")` predicts with ONNX Runtime.
    """
    from textcnn.classify.export import export_model

    try:
        path = export_model(model_dir, output, fmt=fmt)
    except ModuleNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"exported {model_dir} ({fmt}) -> {path}", err=True)
