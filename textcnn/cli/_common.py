"""Options and error handling shared by the CLI commands."""

from __future__ import annotations

import csv
import errno
import functools
import zlib

import click

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="TEXTCNN_DATA",
    default=None,
    help="Folder holding the benchmark data (kim/, sst_trees/, ...). Default: the TEXTCNN_DATA environment variable.",
)

overrides_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config key, e.g. --set train.epochs=5 --set model.num_filters=50 --set model.max_norm=null "
    "(any argument of the model's builder). Repeatable.",
)


def friendly_errors(fn):
    """Turn expected user errors into a one-line ``Error:`` message and exit code 1 (no traceback).

    Expected errors are ``ValueError`` (bad values, bad or corrupt files: the message names the file and line),
    ``OSError`` (missing files, permissions, a full disk, a path through a regular file) and the standard library's
    data errors (``EOFError`` of a truncated ``.gz``, ``zlib.error``, ``csv.Error``) where a reader lets one
    through. A closed pipe (``textcnn predict ... | head``) is left to Click, which exits quietly.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:
            raise click.ClickException(one_line(str(exc))) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise click.ClickException(one_line(describe_os_error(exc))) from None
        except (EOFError, zlib.error, csv.Error) as exc:  # the standard parsers' "bad data" errors; Click would
            # print a bare "Aborted!" for EOFError (a truncated .gz file, say)
            detail = str(exc) or "the data ends too early"
            raise click.ClickException(one_line(f"unreadable input ({type(exc).__name__}): {detail}")) from None

    return wrapper


def describe_os_error(exc: OSError) -> str:
    """``No space left on device: out.tsv`` rather than ``[Errno 28] No space left on device: 'out.tsv'``."""
    if exc.strerror and exc.filename is not None:
        return f"{exc.strerror}: {exc.filename}"
    return exc.strerror or str(exc)


def one_line(message: str) -> str:
    """The message with its line breaks (a YAML parser's caret diagram, say) folded into single spaces."""
    return " ".join(message.split())


def yaml_scalar(value) -> str:
    """A flag's value as the right-hand side of a ``--set KEY=VALUE`` override: strings quoted, so YAML keeps them as
    strings (a path like ``1e5`` or ``yes`` stays text)."""
    import json

    return json.dumps(value) if isinstance(value, str) else str(value)
