"""``textcnn evaluate``: metrics of a saved model on a dataset split or a labelled file."""

from __future__ import annotations

import click

from textcnn.cli._common import data_dir_option, friendly_errors


@click.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option(
    "--dataset", default=None, help="A registered dataset (see `textcnn datasets list`); for an image model: mnist."
)
@click.option("--split", default="test", type=click.Choice(["train", "dev", "test"]), help="Which split of --dataset.")
@click.option("--fold", type=int, default=0, help="Test fold of a cross-validation dataset.")
@click.option("--split-seed", type=int, default=0, help="Seed of the CV folds / dev hold-out (as in training).")
@click.option(
    "--file",
    "file_",
    default=None,
    type=click.Path(dir_okay=False),
    help="A labelled file instead of --dataset (CSV/TSV/JSONL/Parquet or `label<TAB>text` lines).",
)
@click.option(
    "--text-column", default=None, help="Text column of --file.  [default: the one the model was trained with]"
)
@click.option(
    "--label-column", default=None, help="Label column of --file.  [default: the one the model was trained with]"
)
@click.option("--json", "as_json", is_flag=True, default=False, help="Print the metrics as JSON instead of a table.")
@data_dir_option
@friendly_errors
def evaluate(model_dir, dataset, split, fold, split_seed, file_, text_column, label_column, as_json, data_dir) -> None:
    """Print accuracy, macro-F1, per-class scores and the confusion matrix of MODEL_DIR (a text or image model),
    after a line that says what was scored (dataset, split and fold, or file)."""
    import json

    from textcnn.classify.evaluate import evaluate_model_dir
    from textcnn.training.metrics import format_metrics

    metrics = evaluate_model_dir(
        model_dir,
        dataset=dataset,
        data_dir=data_dir,
        fold=fold,
        split=split,
        split_seed=split_seed,
        file=file_,
        text_column=text_column,
        label_column=label_column,
    )
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
        return
    scored = metrics["scored"]
    what = ", ".join(f"{k} {v}" for k, v in scored.items() if k != "n")
    click.echo(format_metrics(metrics, title=f"{model_dir} on {what}"))
