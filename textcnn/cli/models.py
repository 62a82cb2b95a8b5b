"""``textcnn list-models`` and ``textcnn summary``: thin shells over the model registry and textcnn.models.summary."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors


def _parse_input_size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    from textcnn.models.summary import parse_input_size

    try:
        return parse_input_size(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@click.command("list-models")
@click.option(
    "--task",
    type=click.Choice(["image", "text"]),
    default=None,
    help="Only list models of this task. Default: all models.",
)
def list_models_cmd(task: str | None) -> None:
    """List the registered models with their task and default input size (channels x height x width, or tokens)."""
    from textcnn.models import get_model_entry, list_models

    names = list_models(task)
    width = max((len(n) for n in names), default=0)
    for name in names:
        entry = get_model_entry(name)
        note = "  (needs model.encoder: a local Hugging Face encoder)" if getattr(
            entry.builder, "needs_features", False) else ""  # fmt: skip
        click.echo(f"{name:<{width}}  {entry.task:<5}  {'x'.join(str(s) for s in entry.input_size)}{note}")


@click.command("summary")
@click.argument("model_name", metavar="MODEL|MODEL_DIR")
@click.option(
    "--input-size",
    callback=_parse_input_size,
    default=None,
    metavar="C,H,W",
    help="Shape of one example without the batch axis, e.g. 3,224,224 (images) or 64 (tokens). "
    "Default: the model's registered input size (see `textcnn list-models`).",
)
@click.option(
    "--num-classes",
    type=click.IntRange(min=1),
    default=None,
    help="Number of output classes. Default: the model's own default (1000 for ImageNet models, 10 for LeNet-5). "
    "Not for a MODEL_DIR (its classes are its labels).",
)
@friendly_errors
def summary(model_name: str, input_size: tuple[int, ...] | None, num_classes: int | None) -> None:
    """Print MODEL's layers with output shapes, activations and parameters, and the totals.

    MODEL is a registered model (`textcnn list-models`), or MODEL_DIR a trained model directory: then its model
    name, builder arguments, labels, max_len and dev/test accuracy come first, and the table is that of the saved
    model at its max_len (or the registered input size).

    One example runs through the model in eval mode (on PyTorch's meta device where possible, so even VGG-19 is
    summarised instantly). Activations in parentheses are not new memory (in-place layers, views, and blocks whose
    values their layers already hold).
    """
    from textcnn.models.summary import describe_model_dir, format_summary, summarize_model

    if _is_model_dir(model_name):
        if num_classes is not None:
            raise click.UsageError("--num-classes is for registered models; a MODEL_DIR's classes are its labels")
        click.echo(describe_model_dir(model_name, input_size=input_size))
        return
    click.echo(format_summary(summarize_model(model_name, input_size=input_size, num_classes=num_classes)))


def _is_model_dir(name: str) -> bool:
    """Whether ``summary`` should read ``name`` as a model directory: a folder holding ``textcnn.json``, or any
    folder whose name is not a registered model (so that a folder without a model is reported as one)."""
    from pathlib import Path

    from textcnn.classify.model_dir import is_complete
    from textcnn.models import list_models

    return is_complete(name) or (Path(name).is_dir() and name not in list_models())
