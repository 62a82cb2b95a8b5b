"""``textcnn explain``: why a model gives a text its label (exactly for a Kim CNN, approximately by integrated
gradients for other models), or which n-grams push each class of a Kim CNN over a corpus."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click

from textcnn.classify.explain import METHODS
from textcnn.cli._common import friendly_errors


def _texts(arguments: tuple[str, ...]) -> Iterator[str]:
    """The texts given as arguments; ``-`` stands for every line of standard input."""
    from textcnn.data.files import read_texts

    for argument in arguments:
        if argument == "-":
            yield from read_texts("-", format="txt")
        else:
            yield argument


@click.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.argument("texts", nargs=-1, type=str, metavar="[TEXT]...")
@click.option("--top-k", type=click.IntRange(min=0), default=5, help="Spans (n-grams with --top-ngrams) to show.")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", help="Output format of TEXTs.")
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the top spans instead of marking them [[for]] and {{against}}.",
    show_default="when standard output is a terminal",
)
@click.option(
    "--top-ngrams",
    "corpus",
    default=None,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Instead of TEXTs: a corpus (one text per line; `-` reads standard input) whose n-grams that push each "
    "class most are written as a markdown table.",
)
@click.option("--per-filter", is_flag=True, default=False, help="With --top-ngrams: also each filter's top n-grams.")
@click.option(
    "--output",
    "-o",
    default=None,
    type=click.Path(dir_okay=False),
    help="With --top-ngrams: the markdown file to write. Default: stdout.",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, help="With --top-ngrams: texts per forward pass.")
@click.option(
    "--method",
    type=click.Choice(list(METHODS)),
    default="auto",
    help="exact: a Kim CNN's n-gram contributions; integrated_gradients: approximate per-token attributions (any "
    "model, needs captum); auto: exact when the model allows it.",
)
@click.option(
    "--steps",
    "n_steps",
    type=click.IntRange(min=1),
    default=None,
    help="Steps of integrated gradients (more: a smaller convergence delta, slower).",
    show_default="50",
)
@friendly_errors
def explain(model_dir, texts, top_k, fmt, color, corpus, per_filter, output, batch_size, method, n_steps) -> None:
    """Why MODEL_DIR gives each TEXT its label (`-` reads one text per line of standard input).

    Each class logit of a Kim CNN is exactly its bias plus a contribution from each n-gram that won a filter's
    max-over-time pooling. `text` output prints the label and probability, the text with the top spans for the label
    and against it marked, a table of those spans with their contributions to the label's logit, and the check
    `logit = bias + sum of spans`; `jsonl` writes one object per text with every span's contribution to every class.

    Other models (DPCNN, VDCNN, the character CNN) are explained approximately, by integrated gradients on the
    embedding layer: per token (per word for character models), labelled "approximate (integrated gradients)"
    (`"exact": false` in jsonl), with the check `logit ~ baseline + sum of spans` and Captum's convergence delta.
    """
    from textcnn.classify.classifier import load
    from textcnn.classify.hybrid import refuse_hybrid

    if corpus is None and not texts:
        raise click.UsageError("give at least one TEXT (or `-` to read lines from standard input), or --top-ngrams")
    if corpus is not None and texts:
        raise click.UsageError("give TEXTs or --top-ngrams FILE, not both")
    if corpus is None and (output or per_filter):
        raise click.UsageError("--output and --per-filter go with --top-ngrams")
    classifier = load(model_dir, backend="torch")  # explanations read the PyTorch model, even of an int8 directory
    refuse_hybrid(classifier)
    if corpus is not None:
        _write_corpus_table(classifier, corpus, output, top_k=top_k, per_filter=per_filter, batch_size=batch_size)
        return
    from textcnn.classify.explain import write_explanations

    color = sys.stdout.isatty() if color is None else color
    try:
        write_explanations(
            classifier, _texts(texts), sys.stdout, top_k=top_k, fmt=fmt, color=color, method=method, n_steps=n_steps
        )
    except ModuleNotFoundError as exc:
        if exc.name != "captum":
            raise
        raise click.ClickException(str(exc)) from None


def _write_corpus_table(classifier, corpus: str, output: str | None, *, top_k: int, per_filter: bool, batch_size: int):
    """The markdown table of :func:`~textcnn.classify.explain.corpus_ngrams` on stdout, or in ``output``."""
    from textcnn.classify.explain import corpus_ngrams, ngram_markdown
    from textcnn.data.files import read_texts
    from textcnn.utils.io import atomic_write_text

    report = corpus_ngrams(classifier, read_texts(corpus), batch_size=batch_size)
    table = ngram_markdown(report, top_k=top_k, per_filter=per_filter)
    if output is None:
        click.echo(table, nl=False)
        return
    atomic_write_text(output, table)
    click.echo(f"explained {report.n_texts} texts -> {output}", err=True)
