"""Entry point of the ``textcnn`` command. Subcommands are imported lazily so ``--help`` stays fast."""

from __future__ import annotations

import importlib

import click

from textcnn import __version__

# command name -> "module:attribute"; each module holds one command (or group) and imports heavy libraries inside it.
_COMMANDS: dict[str, str] = {
    "train": "textcnn.cli.train:train",
    "evaluate": "textcnn.cli.evaluate:evaluate",
    "predict": "textcnn.cli.predict:predict",
    "explain": "textcnn.cli.explain:explain",
    "list-models": "textcnn.cli.models:list_models_cmd",
    "summary": "textcnn.cli.models:summary",
    "datasets": "textcnn.cli.datasets:datasets",
    "embeddings": "textcnn.cli.embeddings:embeddings",
    "bench": "textcnn.cli.bench:bench",
    "push": "textcnn.cli.push:push",
    "serve": "textcnn.cli.serve:serve",
    "config": "textcnn.cli.config:config",
    "export": "textcnn.cli.export:export",
    "quantize": "textcnn.cli.quantize:quantize",
    "report": "textcnn.cli.report:report",
    "teacher": "textcnn.cli.teacher:teacher",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used (the pattern in Click's documentation)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            module_name, attr = _COMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="textcnn")
def cli() -> None:
    """textcnn: convolutional text classification (Kim 2014) and a classic CNN zoo, in PyTorch.

    Train with `textcnn train`, score with `textcnn evaluate`, classify text files with `textcnn predict`.
    Data is found under --data-dir or the TEXTCNN_DATA environment variable.
    """


if __name__ == "__main__":
    cli()
