"""Options and error handling shared by the CLI commands."""

from __future__ import annotations

import functools

import click

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="TEXTCNN_DATA",
    default=None,
    help="Folder holding the benchmark data (kim/, sst_trees/, ...). Default: the TEXTCNN_DATA environment variable.",
)


def friendly_errors(fn):
    """Turn expected user errors (bad files, bad values) into a one-line ``Error:`` message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (FileNotFoundError, ValueError, PermissionError, IsADirectoryError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper
