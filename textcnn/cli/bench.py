"""``textcnn bench``: the accuracy benchmark (Kim 2014 Table 2 with mean +- std, beside linear and fastText
baselines), a thin shell over :mod:`textcnn.bench`."""

from __future__ import annotations

import click

from textcnn.bench.runner import DEFAULT_METHODS
from textcnn.bench.table import BEST_BASELINE
from textcnn.cli._common import data_dir_option, friendly_errors

_DATASETS_HELP = "Comma-separated datasets: mr, sst1, sst2, subj, trec, cr, mpqa, 20ng, ag_news."


def _int_list(text: str | None) -> list[int] | None:
    """``"0-2,5"`` -> ``[0, 1, 2, 5]``; ``None``/``"all"`` -> ``None``."""
    if text is None or text.strip() == "all":
        return None
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = part.split("-", 1)
                values.extend(range(int(lo), int(hi) + 1))
            else:
                values.append(int(part))
        except ValueError:
            raise ValueError(f"{text!r} is not a list of integers or ranges like 0-2,5") from None
    return values


@click.group(context_settings={"show_default": True})
def bench() -> None:
    """Accuracy benchmark: Kim (2014) CNNs and baselines (TF-IDF+LR, NBSVM, fastText) on the same splits.

    `textcnn bench run` appends one JSON line per finished run to OUT/results.jsonl (runs already there are
    skipped) and writes OUT/results.md; `textcnn bench table` renders the tables from a results file.
    """


@bench.command("run", context_settings={"show_default": True})
@click.option("--datasets", default="mr,sst1,sst2,subj,trec,cr,mpqa", help=_DATASETS_HELP)
@click.option(
    "--methods",
    default=",".join(DEFAULT_METHODS),
    help="Comma-separated: cnn (Kim CNN), tfidf_lr (TF-IDF 1-2 grams + logistic regression), tfidf_svm (the same "
    "features + LinearSVC), nbsvm "
    "(Wang & Manning 2012), fasttext (skipped, and counted, if the fasttext module is not installed), teacher (a "
    "transformer fine-tuned per fold, kept in OUT/teachers/; needs --set teacher.encoder=DIR).",
)
@click.option(
    "--modes", default="static,non-static", help="Comma-separated CNN modes: rand, static, non-static, multichannel."
)
@click.option(
    "--vectors",
    default="glove-6b-50d",
    help="Comma-separated vectors for the pretrained modes: glove-6b-50d; w2v-indomain (100-d word2vec trained on "
    "each fold's training split, cached in OUT/w2v/); w2v-indomain-300d; or a vectors file.",
)
@click.option("--folds", default="all", help="CV test folds, e.g. 0-2 or 0,3 (fixed-split datasets use fold 0).")
@click.option("--seeds", default="0", help="Training seeds, e.g. 0-2 (TF-IDF+LR and NBSVM run once: deterministic).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="[DATASET:]KEY=VALUE",
    help="Config override for the CNN runs, e.g. train.epochs=10, sst2:data.options.phrases=false, "
    "20ng:data.max_len=1000. data.options.* also applies to the baselines' splits; teacher.* (encoder, epochs, lr, "
    "...) only to the teacher; distill.teacher=runner distils each CNN from its fold's teacher. Repeatable. "
    "Defaults: 20ng:data.max_len=400, ag_news:data.max_len=100.",
)
@click.option("--jobs", type=int, default=1, help="Parallel worker processes (each with one torch thread).")
@click.option(
    "--quick",
    is_flag=True,
    default=False,
    help="Smoke run in under two minutes on CPU: --datasets (default cr) fold 0, seed 0, CNN-static with "
    "glove-6b-50d for 2 epochs and the baselines; other run-selection flags are ignored except --set.",
)
@click.option("--keep-models", is_flag=True, default=False, help="Keep each CNN model directory in OUT/models/.")
@data_dir_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@friendly_errors
def run_cmd(datasets, methods, modes, vectors, folds, seeds, overrides, jobs, quick, keep_models, data_dir, out_dir):
    """Run the benchmark runs not yet in OUT/results.jsonl, then write OUT/results.md.

    Examples:

      textcnn bench run --quick --out runs/bench-quick

      textcnn bench run --methods tfidf_lr,nbsvm,fasttext --jobs 2 --out runs/bench

      textcnn bench run --datasets mr,cr --modes static,non-static --folds 0-2 --jobs 2 --out runs/bench

      textcnn bench run --datasets mr --methods teacher --set teacher.encoder=enc/all-MiniLM-L6-v2 --folds 0-2 --out
      runs/bench; then the same --out with --methods cnn --set distill.teacher=runner
    """
    from pathlib import Path

    from textcnn.bench import plan_runs, quick_plan, read_results, render_report, run_benchmark
    from textcnn.utils.io import atomic_write_text

    if quick:
        datasets_given = click.get_current_context().get_parameter_source("datasets")
        names = datasets.split(",") if datasets_given == click.core.ParameterSource.COMMANDLINE else None
        runs = quick_plan(names, overrides=list(overrides))
    else:
        runs = plan_runs(
            datasets.split(","),
            methods=methods.split(","),
            modes=modes.split(","),
            vectors=vectors.split(","),
            folds=_int_list(folds),
            seeds=_int_list(seeds) or [0],
            overrides=list(overrides),
        )
    report = run_benchmark(runs, out_dir, data_dir=data_dir, jobs=jobs, keep_models=keep_models, echo=click.echo)
    markdown = render_report(read_results(report.results_path))
    atomic_write_text(Path(out_dir) / "results.md", markdown)
    click.echo(
        f"ran {report.ran}, skipped {report.skipped} (already done), failed {len(report.failed)}, "
        f"unavailable {sum(report.unavailable.values())}; table: {Path(out_dir) / 'results.md'}"
    )
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} run(s) failed; first: {report.failed[0][1]}")


_FOLDS_HELP = ("Only runs on these CV test folds, e.g. 0-2 to compare baselines and CNNs on the same folds "
               "(fixed-split datasets, fold 0, are kept).")  # fmt: skip


def _read_records(results: str, folds: str) -> list[dict]:
    """The records of ``results`` on ``folds`` (``all``, ``0-2``, ...); a missing file is a ``ValueError``."""
    from pathlib import Path

    from textcnn.bench import read_results

    if not Path(results).is_file():
        raise ValueError(f"results file not found: {results}")
    records = read_results(results)
    wanted = _int_list(folds)
    return records if wanted is None else [r for r in records if r.get("fold", 0) in wanted]


@bench.command("table", context_settings={"show_default": True})
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write here (default: stdout).")
@click.option("--folds", default="all", help=_FOLDS_HELP)
@friendly_errors
def table_cmd(results, output, folds):
    """Render the markdown tables (mean +- std, n runs, Kim's numbers, times) from a results.jsonl file."""
    from textcnn.bench import render_report
    from textcnn.utils.io import atomic_write_text

    markdown = render_report(_read_records(results, folds))
    if output:
        atomic_write_text(output, markdown)
    else:
        click.echo(markdown, nl=False)


@bench.command("plot", context_settings={"show_default": True})
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The PNG file to write.")
@click.option(
    "--row",
    "rows",
    multiple=True,
    metavar="'LABEL[ => NAME]'",
    help="A CNN row of `textcnn bench table` to draw (its label as the table prints it), optionally shown as NAME. "
    "Repeatable, drawn in this order. Default: every CNN row.",
)
@click.option("--baseline", default=BEST_BASELINE, help="The baseline row to subtract (a row label of the table).")
@click.option("--folds", default="all", help=_FOLDS_HELP)
@friendly_errors
def plot_cmd(results, output, rows, baseline, folds):
    """Draw the paired comparison: each CNN row minus a baseline on the same test splits, per dataset (mean +- std
    of the differences, and each run's difference as a dot).

    \b
    Example:
      textcnn bench plot runs/bench/results.jsonl -o paired.png \\
          --row 'CNN-non-static, glove-6b-50d [train.hybrid=nbsvm] => CNN + NBSVM'
    """
    from textcnn.bench.plot import plot_paired

    names = dict(_row_spec(spec) for spec in rows) or None
    path = plot_paired(_read_records(results, folds), output, rows=names, baseline=baseline)
    click.echo(f"wrote {path}")


def _row_spec(spec: str) -> tuple[str, str]:
    """``'LABEL => NAME'`` -> ``(LABEL, NAME)``; ``'LABEL'`` -> ``(LABEL, LABEL)``."""
    label, _, name = (part.strip() for part in spec.partition("=>"))
    return label, name or label


@bench.command("lengths", context_settings={"show_default": True})
@click.option("--datasets", default="20ng,ag_news", help=_DATASETS_HELP)
@click.option("--max-len", "max_lens", default="100,400,1000", help="Comma-separated token limits to report.")
@data_dir_option
@friendly_errors
def lengths_cmd(datasets, max_lens, data_dir):
    """Token-length statistics (Kim tokenizer) and the share of examples each max_len would truncate."""
    from textcnn.bench import length_stats, render_length_table

    limits = _int_list(max_lens) or []
    rows = [length_stats(name, data_dir, max_lens=limits) for name in datasets.split(",")]
    click.echo(render_length_table(rows), nl=False)
