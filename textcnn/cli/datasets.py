"""``textcnn datasets``: list the registered datasets and show one (counts per class, examples, load report)."""

from __future__ import annotations

import click

from textcnn.cli._common import data_dir_option, friendly_errors


def parse_options(pairs: tuple[str, ...]) -> dict:
    """``("phrases=true", "remove=[]")`` -> ``{"phrases": True, "remove": []}`` (values parsed as YAML).

    Raises:
        click.BadParameter: For an item without ``=``.
    """
    import yaml

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        options[key.strip()] = yaml.safe_load(value) if value.strip() else None
    return options


def format_overview(rows: list[dict[str, str]]) -> str:
    """A plain-text table of ``dataset_overview`` rows."""
    if not rows:
        return "no datasets registered"
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)


def format_splits(splits, *, n_examples: int = 5) -> str:
    """Counts per class and split, ``n_examples`` examples per split (evenly spaced), and the load report as YAML."""
    import yaml

    summary = splits.summary()
    names = list(summary)
    width = max(len("label"), *(len(n) for n in splits.label_names))
    lines = [f"{splits.name}: {splits.num_classes} classes", ""]
    lines.append(f"{'id':>3}  {'label'.ljust(width)}  " + "  ".join(f"{n:>7}" for n in names))
    for i, label in enumerate(splits.label_names):
        lines.append(f"{i:>3}  {label.ljust(width)}  " + "  ".join(f"{summary[n][label]:>7}" for n in names))
    lines.append(f"{'':>3}  {'total'.ljust(width)}  " + "  ".join(f"{sum(summary[n].values()):>7}" for n in names))
    for name, split in splits.items():
        if n_examples > 0:
            lines += ["", f"{name} examples:"]
        shown = min(n_examples, len(split))
        for i in sorted({k * len(split) // shown for k in range(shown)}):  # spread over the (often sorted) split
            text = split.texts[i].replace("\n", "\\n")
            text = text if len(text) <= 100 else text[:97] + "..."
            lines.append(f"  [{splits.label_names[split.labels[i]]}] {text}")
    lines += ["", "report:", yaml.safe_dump(splits.report, sort_keys=False, allow_unicode=True).rstrip()]
    return "\n".join(lines)


@click.group()
def datasets() -> None:
    """List the registered datasets or show one in detail."""


@datasets.command("list")
@data_dir_option
@friendly_errors
def list_cmd(data_dir: str | None) -> None:
    """List every dataset: classes, split sizes (CV datasets: total and folds), description, and whether its
    files are present under --data-dir (when one is set)."""
    from textcnn.data.registry import dataset_overview

    click.echo(format_overview(dataset_overview(data_dir)))


@datasets.command("show")
@click.argument("name")
@data_dir_option
@click.option("--fold", type=int, default=0, show_default=True, help="Test fold of CV datasets (0-9); 0 otherwise.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the CV folds and the dev hold-out.")
@click.option(
    "--dev-fraction",
    type=float,
    default=0.1,
    show_default=True,
    help="Share of train held out as dev for datasets without a dev split.",
)
@click.option("--n", "n_examples", type=int, default=5, show_default=True, help="Examples shown per split.")
@click.option(
    "--option",
    "-o",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Dataset option, repeatable; VALUE is read as YAML (e.g. -o phrases=true for sst1/sst2, -o fine=true for "
    "trec, -o skip_empty=true for the Kim files, -o remove=[] for 20ng, -o train=my.csv for file).",
)
@friendly_errors
def show_cmd(
    name: str, data_dir: str | None, fold: int, seed: int, dev_fraction: float, n_examples: int, options: tuple
) -> None:
    """Load dataset NAME and show its examples per class and split, a few examples and the load report."""
    from textcnn.data.registry import load_dataset

    try:
        splits = load_dataset(name, data_dir, fold=fold, seed=seed, dev_fraction=dev_fraction, **parse_options(options))
    except (ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(format_splits(splits, n_examples=n_examples))
