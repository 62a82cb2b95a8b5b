"""``textcnn predict``: classify raw text files, one output line per input line, in order."""

from __future__ import annotations

import functools

import click

from textcnn.classify.precision import PRECISIONS
from textcnn.classify.windows import WINDOW_POOLING
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
@click.option(
    "--column",
    default=None,
    help="Text column when the inputs are CSV/JSONL/Parquet files.  [default: the one the model was trained with]",
)
@click.option(
    "--input-format",
    type=click.Choice(["txt", "csv", "tsv", "jsonl", "parquet"]),
    default=None,
    help="Input format. Default: from the file extension (.txt and others: one text per line).",
)
@click.option("--batch-size", type=int, default=256, help="Texts per forward pass.")
@click.option("--device", default="cpu", help="cpu, cuda or auto.")
@click.option(
    "--windows",
    type=click.Choice(WINDOW_POOLING),
    default=None,
    help="Texts longer than the model's max_len: off truncates them; max or mean read them whole, scoring each "
    "max_len-token window and pooling the probabilities (max: per-class maximum, renormalised; mean: average).",
    show_default="as the model was saved, data.windows",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Count the lines predicted on a progress bar (standard error).",
    show_default="when standard error is a terminal and the output is not",
)
@click.option(
    "--precision",
    type=click.Choice(PRECISIONS),
    default=PRECISIONS[0],
    show_default=True,
    help="bfloat16: a Kim CNN predicts through one bf16 matrix product over its windows (PyTorch backend; 2-3x the "
    "texts/s on CPUs with AVX-512 BF16 or AMX, MR accuracy unchanged in docs/speed.md; probabilities move by ~1e-3).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    help="Processes that predict contiguous shards of each text file (merged in order; stdin and CSV/JSONL/Parquet "
    "inputs use one).",
)
@friendly_errors
def predict(
    model_dir, inputs, output, fmt, top_k, all_probs, column, input_format, batch_size, device, windows, progress,
    precision, workers,
) -> None:  # fmt: skip
    """Predict a label for every line of INPUTS (files; `-` or nothing reads standard input).

    Each input line (ended by a newline; CRLF is read as one) gets exactly one output line, in order: empty
    lines, very short and very long texts included (long ones are truncated to the model's max_len, or read as
    pooled windows with --windows, and counted).
    Lines that are not UTF-8 are decoded as cp1252, else with replacement characters, and counted. A summary goes
    to standard error. With -o, the file appears only when complete.
    """
    from textcnn.classify.predict import predict_files
    from textcnn.classify.predict_workers import predict_files_parallel

    run = predict_files if workers == 1 else functools.partial(predict_files_parallel, workers=workers)
    stats = run(
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
        progress=progress,
        windows=windows,
        precision=precision,
    )
    not_utf8 = (
        f"; {stats.not_utf8} not valid UTF-8, decoded as cp1252 or with replacement characters"
        if stats.not_utf8
        else ""
    )
    replaced = f"; {stats.replaced} with U+FFFD replacement characters" if stats.replaced else ""
    windowed = f", {stats.windowed} read whole as pooled windows" if stats.windowed else ""
    click.echo(
        f"predicted {stats.n} lines ({stats.empty} without any token, {stats.truncated} truncated{windowed}{not_utf8}"
        f"{replaced})" + (f" -> {output}" if output else ""),
        err=True,
    )
