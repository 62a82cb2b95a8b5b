"""``textcnn report``: one self-contained HTML page about a trained text model."""

from __future__ import annotations

import click

from textcnn.classify.report import DEFAULT_ERRORS, DEFAULT_NGRAMS, DEFAULT_SPLIT, DEFAULT_TOP_K, SPLITS
from textcnn.cli._common import data_dir_option, friendly_errors


@click.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option(
    "--data",
    default=None,
    help="Where the errors and n-grams come from: a labelled file (CSV/TSV/JSONL/Parquet or `label<TAB>text` "
    "lines), or a registered dataset (its --split of the model's fold).  [default: the dataset of the model's config]",
)
@click.option("--split", default=DEFAULT_SPLIT, type=click.Choice(SPLITS), help="Which split of the dataset.")
@click.option("--fold", type=int, default=None, help="Test fold of a CV dataset.  [default: the model's]")
@click.option(
    "--split-seed", type=int, default=None, help="Seed of the CV folds / dev hold-out.  [default: the model's]"
)
@click.option(
    "--text-column", default=None, help="Text column of a file.  [default: the one the model was trained with]"
)
@click.option(
    "--label-column", default=None, help="Label column of a file.  [default: the one the model was trained with]"
)
@click.option("--errors", "n_errors", type=click.IntRange(min=0), default=DEFAULT_ERRORS, help="Errors to show.")
@click.option("--top-k", type=click.IntRange(min=0), default=DEFAULT_TOP_K, help="Spans for/against per error.")
@click.option("--ngrams", "n_ngrams", type=click.IntRange(min=0), default=DEFAULT_NGRAMS, help="n-grams per class.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, help="Texts per forward pass.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@data_dir_option
@friendly_errors
def report(
    model_dir, data, split, fold, split_seed, text_column, label_column, n_errors, top_k, n_ngrams, batch_size, output,
    data_dir,
) -> None:  # fmt: skip
    """Write one self-contained HTML page about MODEL_DIR (a text model): its config, training curves and confusion
    matrix, per-class precision/recall/F1, the most confident wrong predictions (for a kim_cnn with the n-grams for
    and against the prediction highlighted) and the n-grams that push each class. The page loads nothing from the
    network: open it anywhere."""
    from textcnn.classify.report import build_report
    from textcnn.utils.io import atomic_write_text

    page = build_report(
        model_dir,
        data=data,
        data_dir=data_dir,
        split=split,
        fold=fold,
        split_seed=split_seed,
        text_column=text_column,
        label_column=label_column,
        n_errors=n_errors,
        top_k=top_k,
        n_ngrams=n_ngrams,
        batch_size=batch_size,
    )
    atomic_write_text(output, page)
    click.echo(f"report -> {output}", err=True)
