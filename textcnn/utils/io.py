"""Atomic file writes: write to a temporary name in the same folder, then rename, so a crash never leaves a
half-written file under the final name.

A process killed while writing (``kill -9``, power loss) leaves the final name untouched (the complete old file, or
nothing) and may leave its temporary file behind: ``.NAME.<random>.tmp`` beside ``NAME``. Such files are never
read by textcnn and are safe to delete; they are not removed automatically, because a writer that is still running
(another process, another machine on a shared file system) cannot be told apart from a dead one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Environment variable naming textcnn's cache root (default ``~/.cache/textcnn``).
CACHE_ENV_VAR = "TEXTCNN_CACHE"


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and rename the result onto ``path`` (atomic on POSIX within one file system).

    Args:
        path: The final file name.
        write: Writes the complete file at the temporary path it is given.

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        commit_file(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return path


def commit_file(tmp_path: Path, path: Path) -> None:
    """Make a fully written temporary file durable and rename it onto ``path``: flush it to disk, give it the
    permissions a new file gets (``mkstemp`` made it private, 0600), rename, flush the folder entry."""
    with open(tmp_path, "rb+") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp_path, new_file_mode())
    os.replace(tmp_path, path)
    fsync_dir(path.parent)


def new_file_mode() -> int:
    """The permission bits a newly created file gets (``0o666`` less the process umask), as ``open`` would give.

    Temporary files from :func:`tempfile.mkstemp` are created ``0600``; files renamed into place from them are set to
    this mode so that a model directory or prediction file is as readable as any other file the user writes.
    """
    try:  # Linux: read the umask without changing it (changing it is not thread-safe)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_dir(folder: str | Path) -> None:
    """Flush a folder's entries (a rename) to disk where the platform allows it (POSIX); a no-op elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write a text file (UTF-8) atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | Path, obj) -> Path:
    """Write JSON (indented, UTF-8, keys in insertion order) atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def replace_dir(tmp_dir: Path, final_dir: Path) -> Path:
    """Move a fully written folder onto ``final_dir``, replacing an earlier one only once the new one is complete.

    The old folder is first renamed aside, the new one renamed into place, then the old one removed; at every
    moment ``final_dir`` is either the complete old folder, absent for an instant, or the complete new one.
    """
    final_dir = Path(final_dir)
    old = None
    if final_dir.exists():
        old = final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(final_dir, old)
    os.replace(tmp_dir, final_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final_dir


def cache_dir(name: str) -> Path:
    """``$TEXTCNN_CACHE/<name>``, or ``~/.cache/textcnn/<name>`` when the variable is unset: caches (teacher logits,
    contextual features) live outside run folders, which a failed or overwritten run deletes."""
    root = os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "textcnn"
    return Path(root).expanduser() / name
