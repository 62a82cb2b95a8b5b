"""The benchmark's results file: one JSON line per finished run, keyed by dataset/method/mode/vectors/fold/seed/
options and appended line by line (one write, flush, fsync), so a killed run never corrupts earlier lines."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

RESULTS_FILE = "results.jsonl"
CNN = "cnn"
TEACHER = "teacher"


@dataclass(frozen=True)
class BenchRun:
    """One benchmark run. ``mode`` is ``None`` and ``vectors`` ``"-"`` for baselines; ``options`` are the dotted
    overrides that can change the result (see :func:`textcnn.bench.configs.result_options`)."""

    dataset: str
    method: str
    mode: str | None
    vectors: str
    fold: int
    seed: int
    options: tuple[tuple[str, object], ...] = ()

    @property
    def key(self) -> str:
        """The identity of the run in the results file."""
        return run_key(self.to_dict())

    @property
    def name(self) -> str:
        """``CNN-static``, ``Teacher`` or the baseline's display name."""
        from textcnn.bench.baselines import BASELINES

        if self.method == TEACHER:
            return "Teacher"
        return f"CNN-{self.mode}" if self.method == CNN else BASELINES[self.method][0]

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "method": self.method,
            "mode": self.mode,
            "vectors": self.vectors,
            "fold": self.fold,
            "seed": self.seed,
            "options": dict(self.options),
        }


def run_key(record: dict) -> str:
    """``dataset/method/mode/vectors/fold/seed/options`` of a run or a results record, as one string."""
    parts = [record.get(k) for k in ("dataset", "method", "mode", "vectors", "fold", "seed")]
    return json.dumps([*parts, dict(sorted((record.get("options") or {}).items()))], sort_keys=True, default=str)


def _git(*args: str, timeout: float) -> str | None:
    """Standard output of ``git ARGS`` run in the source tree, or ``None`` when git is missing or fails."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit() -> str:
    """``git rev-parse --short HEAD`` of the source tree, or ``"unknown"``."""
    out = _git("rev-parse", "--short", "HEAD", timeout=10)
    return out.strip() if out and out.strip() else "unknown"


def git_dirty() -> bool | None:
    """Whether the source tree has uncommitted changes (``git status --porcelain``), or ``None`` if unknown."""
    out = _git("status", "--porcelain", "--untracked-files=no", timeout=20)
    return None if out is None else bool(out.strip())


def append_record(path: str | Path, record: dict) -> None:
    """Append one complete JSON line to ``path`` (append mode, one write, flush and fsync)."""
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        if fh.tell() and _last_byte(path) != b"\n":
            line = "\n" + line  # a torn last line (a writer killed mid-write) stays on its own line
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def read_results(path: str | Path) -> list[dict]:
    """The records of a results file (a missing file has none; a line that is not a JSON object is skipped, as a
    run killed mid-write could leave one)."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
