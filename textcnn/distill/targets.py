"""The teacher's logits for the transfer set, computed once and cached on disk.

A teacher pass over thousands of texts costs minutes on a CPU, so its logits are kept in
``<cache dir>/<key>.npy`` (float32, ``(N, C)`` in the teacher's label order) with ``<key>.json`` beside it (the
teacher's fingerprint and labels, the number of texts); ``key`` is a sha256 of the teacher's fingerprint and the
texts. A second run with the same teacher and texts reads the file and never calls the teacher. The cache lives
outside the run's folder (which a failed or overwritten run deletes): ``$TEXTCNN_CACHE/teacher-logits``, else
``~/.cache/textcnn/teacher-logits`` (see :func:`default_cache_dir`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from textcnn.utils.io import CACHE_ENV_VAR, cache_dir  # noqa: F401 - CACHE_ENV_VAR: re-exported (tests read it)

#: Sub-folder of the cache root holding teacher logits.
LOGITS_SUBDIR = "teacher-logits"


def default_cache_dir() -> Path:
    """``$TEXTCNN_CACHE/teacher-logits``, or ``~/.cache/textcnn/teacher-logits`` when the variable is unset."""
    return cache_dir(LOGITS_SUBDIR)


def logits_key(fingerprint: str, texts: Sequence[str]) -> str:
    """The cache file stem: sha256 of the teacher's fingerprint and the texts (in order)."""
    digest = hashlib.sha256(fingerprint.encode("utf-8"))
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little") + data)  # length-prefixed: no two lists hash alike
    return digest.hexdigest()


def label_order(teacher_labels: Sequence[str], label_names: Sequence[str]) -> list[int]:
    """Column ``j`` of the result is the teacher's column of ``label_names[j]``.

    Raises:
        ValueError: The two label lists are not the same set of names (both lists named).
    """
    teacher_labels, label_names = [str(x) for x in teacher_labels], [str(x) for x in label_names]
    if sorted(teacher_labels) != sorted(label_names) or len(set(label_names)) != len(label_names):
        raise ValueError(
            f"the teacher's labels {teacher_labels} are not the dataset's labels {label_names}; distil with a teacher "
            "fine-tuned on the same labels"
        )
    return [teacher_labels.index(name) for name in label_names]


def teacher_logits(
    teacher,
    texts: Sequence[str],
    label_names: Sequence[str],
    *,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    echo: Callable[[str], object] | None = None,
) -> tuple[np.ndarray, bool]:
    """The teacher's logits of ``texts``, its columns in the order of ``label_names``, from the cache when there.

    Args:
        teacher: Has ``labels`` (class names in id order), ``fingerprint`` (a stable hash of its weights and
            settings) and ``logits(texts, batch_size=..., echo=...) -> (N, C) array``.
        texts: The texts (the training split followed by the augmented texts).
        label_names: The dataset's class names in id order; the teacher's may be a permutation of them.
        cache_dir: Folder of the cache; ``None``: :func:`default_cache_dir`.
        batch_size: Texts per teacher call.
        echo: Passed to the teacher (progress lines).

    Returns:
        ``(logits (N, C) float32, from_cache)``.

    Raises:
        ValueError: The labels differ (see :func:`label_order`), or the teacher returns an array of the wrong shape.
    """
    order = label_order(teacher.labels, label_names)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = logits_key(teacher.fingerprint, texts)
    path = folder / f"{key}.npy"
    logits = _read(path, len(texts), len(order))
    from_cache = logits is not None
    if logits is None:
        logits = np.asarray(teacher.logits(list(texts), batch_size=batch_size, echo=echo), dtype=np.float32)
        if logits.shape != (len(texts), len(order)):
            raise ValueError(
                f"the teacher returned logits of shape {logits.shape} for {len(texts)} texts and {len(order)} labels"
            )
        _write(folder, key, logits, teacher)
    return np.ascontiguousarray(logits[:, order]), from_cache


def _read(path: Path, rows: int, columns: int) -> np.ndarray | None:
    """The cached array, or ``None`` when it is missing, unreadable or of another shape (then it is recomputed)."""
    if not path.is_file():
        return None
    try:
        logits = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return logits if logits.shape == (rows, columns) and logits.dtype == np.float32 else None


def _write(folder: Path, key: str, logits: np.ndarray, teacher) -> None:
    """Write ``<key>.json`` then ``<key>.npy``, each atomically (a killed run leaves no half file)."""
    from textcnn.utils.io import atomic_write, atomic_write_json

    meta = {"fingerprint": teacher.fingerprint, "labels": list(teacher.labels), "texts": int(logits.shape[0])}
    atomic_write_json(folder / f"{key}.json", meta)

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file object: np.save would add ".npy" to the temporary name
            np.save(fh, logits, allow_pickle=False)

    atomic_write(folder / f"{key}.npy", save)
