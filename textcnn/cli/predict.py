"""``textcnn predict``: classify raw text files, one output line per input line, in order."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors


@click.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.argument("inputs", nargs=-1, type=str)
@click.option(
    "--output",
    "-o",
    default=None,
    type=click.Path(dir_okay=False),
    help="Output file (written under a temporary name and renamed when complete). Default: stdout.",
)
@click.option("--format", "fmt", type=click.Choice(["tsv", "csv", "jsonl"]), default="tsv", help="Output format.")
@click.option("--top-k", type=int, default=1, help="Also write the K most probable labels with their probabilities.")
@click.option("--all-probs", is_flag=True, default=False, help="Also write the probability of every label.")
@click.option("--column", default=None, help="Text column when the inputs are CSV/JSONL/Parquet files.")
@click.option(
    "--input-format",
    type=click.Choice(["txt", "csv", "tsv", "jsonl", "parquet"]),
    default=None,
    help="Input format. Default: from the file extension (.txt and others: one text per line).",
)
@click.option("--batch-size", type=int, default=256, help="Texts per forward pass.")
@click.option("--device", default="cpu", help="cpu, cuda or auto.")
@friendly_errors
def predict(model_dir, inputs, output, fmt, top_k, all_probs, column, input_format, batch_size, device) -> None:
    """Predict a label for every line of INPUTS (files; `-` or nothing reads standard input).

    Empty lines, very short and very long texts each get exactly one output line (long ones are truncated to the
    model's max_len, and counted). A summary goes to standard error.
    """
    from textcnn.predict import predict_files

    stats = predict_files(
        model_dir,
        inputs or ("-",),
        output,
        fmt=fmt,
        top_k=top_k,
        all_probs=all_probs,
        batch_size=batch_size,
        column=column,
        input_format=input_format,
        device=device,
    )
    click.echo(
        f"predicted {stats.n} lines ({stats.empty} without any token, {stats.truncated} truncated)"
        + (f" -> {output}" if output else ""),
        err=True,
    )
