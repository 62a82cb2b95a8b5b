"""``textcnn train``: train a text model from a YAML config and/or flags, writing a model directory."""

from __future__ import annotations

import json

import click

from textcnn.classify.hybrid import LINEAR_KINDS
from textcnn.cli._common import data_dir_option, friendly_errors, overrides_option, yaml_scalar
from textcnn.models.kim_cnn import MODES as KIM_MODES
from textcnn.training.trackers import TRACKERS


def default_of(key: str):
    """The default of a dotted config key, read from where it is defined (the section dataclass, or the model
    builder's signature for ``model.*``), so that --help never states a second copy."""
    from textcnn.classify.config import ExperimentConfig

    section, name = key.split(".")
    if section == "model":
        from textcnn.models import get_model_entry

        return get_model_entry(ExperimentConfig().model.name).defaults()[name]
    return getattr(getattr(ExperimentConfig(), section), name)


@click.command(context_settings={"show_default": True})
@click.argument("config_file", required=False, type=click.Path(dir_okay=False))
@overrides_option
@click.option(
    "--dataset", default=None, help="Dataset name (see `textcnn datasets list`), or `file`. Sets data.dataset."
)
@click.option(
    "--mode",
    type=click.Choice(list(KIM_MODES)),
    default=None,
    help="Embedding mode of the Kim CNN (Kim 2014). Sets model.mode.",
    show_default=str(default_of("model.mode")),
)
@click.option(
    "--vectors",
    default=None,
    help="Pretrained vectors: glove-6b-50d, model2vec:DIR (a model2vec model, e.g. from `textcnn embeddings "
    "distill`), or a path to word2vec/GloVe/fastText vectors. Sets embeddings.vectors.",
)
@click.option("--fold", type=int, default=None, help="Test fold of a cross-validation dataset (0-9). Sets data.fold.")
@click.option(
    "--cv",
    is_flag=True,
    default=False,
    help="Run every fold of a cross-validation dataset (MR, Subj, CR, MPQA) and report mean +- std.",
)
@click.option(
    "--epochs",
    type=int,
    default=None,
    help="Maximum epochs. Sets train.epochs.",
    show_default=str(default_of("train.epochs")),
)
@click.option(
    "--seed", type=int, default=None, help="Random seed. Sets train.seed.", show_default=str(default_of("train.seed"))
)
@click.option(
    "--device",
    default=None,
    help="auto, cpu, cuda or cuda:N. Sets train.device.",
    show_default=default_of("train.device"),
)
@click.option("--train-file", default=None, help="Your training file (with --dataset file). Sets data.train_file.")
@click.option("--dev-file", default=None, help="Your dev file. Sets data.dev_file.")
@click.option("--test-file", default=None, help="Your test file. Sets data.test_file.")
@click.option(
    "--text-column",
    default=None,
    help="Text column of your CSV/TSV/JSONL/Parquet files. Sets data.text_column.",
    show_default=default_of("data.text_column"),
)
@click.option(
    "--label-column",
    default=None,
    help="Label column of your files. Sets data.label_column.",
    show_default=default_of("data.label_column"),
)
@click.option(
    "--multi-label",
    is_flag=True,
    default=None,
    help="Each row of your files has a set of labels (a JSONL list, or one cell split at --label-separator); "
    "sigmoid outputs, thresholds chosen on dev. Sets data.multi_label.",
)
@click.option(
    "--label-separator",
    default=None,
    help="Separator of the labels in one cell of your files (with --multi-label). Sets data.label_separator.",
    show_default=default_of("data.label_separator"),
)
@click.option(
    "--arrow",
    is_flag=True,
    default=None,
    help="Your training file is larger than memory: convert it once to a memory-mapped Arrow file and read it a chunk "
    "at a time (vocabulary in one streaming pass; docs/scale.md). Sets data.arrow.",
)
@data_dir_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output model directory (for --cv: the parent of fold-K directories).",
)
@click.option(
    "--resume",
    is_flag=True,
    default=False,
    help="Continue an interrupted run from OUT/checkpoint.pt (same final result as an uninterrupted run).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    default=False,
    help="Replace a model (or an unfinished run) already in OUT; without it, train refuses to touch one.",
)
@click.option("--quiet", is_flag=True, default=False, help="No progress bars.")
@click.option(
    "--log",
    "trackers",
    multiple=True,
    type=click.Choice(list(TRACKERS)),
    help="Record the run with an experiment tracker: tensorboard (OUT/tensorboard) or mlflow ($MLFLOW_TRACKING_URI, "
    "else OUT/mlruns). Repeatable. Sets train.log.",
)
@click.option(
    "--strict",
    is_flag=True,
    default=False,
    help="Refuse data files with bytes that are neither UTF-8 nor cp1252 (default: read them with "
    "replacement characters, counted and reported). Sets data.strict.",
)
@click.option(
    "--hybrid",
    type=click.Choice(list(LINEAR_KINDS)),
    default=None,
    help="Also fit this linear model on the training split and save a CNN + linear hybrid, the CNN's weight in "
    "the mixed probabilities chosen on dev (see textcnn.classify.hybrid). Sets train.hybrid.",
    show_default=str(default_of("train.hybrid")),
)
@click.option(
    "--teacher",
    default=None,
    type=click.Path(file_okay=False),
    help="Distil from this teacher folder (`textcnn teacher train`): train on its logits over the training texts and "
    f"{default_of('distill.augment')} augmented texts per training text (Tang et al. 2019; loss "
    f"{default_of('distill.loss')}, alpha {default_of('distill.alpha')}: see --set distill.*). Sets distill.teacher.",
)
@friendly_errors
def train(
    config_file,
    overrides,
    dataset,
    mode,
    vectors,
    fold,
    cv,
    epochs,
    seed,
    device,
    train_file,
    dev_file,
    test_file,
    text_column,
    label_column,
    multi_label,
    label_separator,
    arrow,
    data_dir,
    out_dir,
    resume,
    overwrite,
    quiet,
    trackers,
    strict,
    hybrid,
    teacher,
) -> None:
    """Train a text CNN (Kim 2014 by default) and save a self-contained model directory.

    CONFIG_FILE is an optional YAML config (see configs/); flags and --set override it. Any registered text model
    and any of its builder arguments can be set with --set model.name=... --set model.ARG=VALUE (see
    `textcnn list-models --task text`, `textcnn config show`). Examples:

      textcnn train configs/kim/mr-non-static.yaml --out runs/mr

      textcnn train --dataset mr --mode non-static --vectors glove-6b-50d --out runs/mr

      textcnn train --dataset mr --mode non-static --vectors glove-6b-50d --hybrid nbsvm --out runs/mr-hybrid

      textcnn train --dataset file --train-file reviews.csv --text-column review --label-column sentiment --out runs/r
    """
    from textcnn.classify.config import load_config
    from textcnn.classify.train import cross_validate, train_text_classifier

    flags = {
        "data.dataset": dataset,
        "model.mode": mode,
        "embeddings.vectors": vectors,
        "data.fold": fold,
        "train.epochs": epochs,
        "train.seed": seed,
        "train.device": device,
        "data.train_file": train_file,
        "data.dev_file": dev_file,
        "data.test_file": test_file,
        "data.text_column": text_column,
        "data.label_column": label_column,
        "data.multi_label": multi_label,
        "data.label_separator": label_separator,
        "data.arrow": arrow,
        "data.data_dir": data_dir,
        "train.hybrid": hybrid,
        "distill.teacher": teacher,
    }
    extra = [f"{k}={yaml_scalar(v)}" for k, v in flags.items() if v is not None]
    if trackers:
        extra.append(f"train.log={json.dumps(list(trackers))}")
    if quiet:
        extra.append("train.progress=false")
    if strict:
        extra.append("data.strict=true")
    config = load_config(config_file, [*extra, *overrides])
    try:
        if cv:
            cross_validate(config, out_dir, resume=resume, echo=click.echo, overwrite=overwrite)
        else:
            train_text_classifier(config, out_dir, resume=resume, echo=click.echo, overwrite=overwrite)
    except ModuleNotFoundError as exc:
        if exc.name not in TRACKERS:  # a tracker's library (train.log) is missing: say which extra installs it
            raise
        raise click.ClickException(str(exc)) from None
