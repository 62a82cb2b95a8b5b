"""Where the benchmark data lives: an explicit argument, else the ``TEXTCNN_DATA`` environment variable."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV_VAR = "TEXTCNN_DATA"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The benchmark data root.

    Args:
        data_dir: Folder holding ``kim/``, ``sst_trees/``, ``20newsgroups/``, ``ag_news/`` ... If ``None`` (or
            empty), the ``TEXTCNN_DATA`` environment variable is used.

    Returns:
        The folder as an absolute ``Path`` (``~`` expanded).

    Raises:
        ValueError: If neither the argument nor ``TEXTCNN_DATA`` is set.
        FileNotFoundError: If the folder does not exist or is not a directory.
    """
    source = "data_dir argument"
    if data_dir is None or str(data_dir) == "":
        data_dir = os.environ.get(DATA_ENV_VAR, "")
        source = f"${DATA_ENV_VAR}"
        if not data_dir:
            raise ValueError(
                f"no data directory given: pass data_dir (CLI: --data-dir) or set the {DATA_ENV_VAR} environment "
                "variable to the folder that holds the benchmark data"
            )
    path = Path(data_dir).expanduser().resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"data directory {str(path)!r} (from {source}) does not exist or is not a folder")
    return path


def require_file(path: Path, *, what: str = "data file") -> Path:
    """Return ``path`` if it is an existing file, else raise ``FileNotFoundError`` naming it and ``what`` it is."""
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {str(path)!r}")
    return path
