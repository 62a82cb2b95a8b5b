"""Atomic writes: the final name holds the old complete file or the new complete file, never part of one, even when
the writer is killed with SIGKILL half-way."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import textcnn.utils.io
from textcnn.utils.io import atomic_write, atomic_write_json, atomic_write_text, new_file_mode

# A writer that announces itself, then writes 1 MiB chunks slowly (flushed, so the bytes reach the temporary file)
# until it is killed; it would write 512 MiB if nobody stopped it.
_SLOW_WRITER = """
import importlib.util, sys, time

spec = importlib.util.spec_from_file_location("textcnn_io", sys.argv[2])  # the real module, without importing torch
io = importlib.util.module_from_spec(spec)
spec.loader.exec_module(io)

def write(tmp):
    with open(tmp, "wb") as fh:
        for i in range(512):
            fh.write(b"N" * (1 << 20))
            fh.flush()
            if i == 1:
                print("writing", flush=True)
            time.sleep(0.01)

io.atomic_write(sys.argv[1], write)
"""


def _temp_files(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.tmp"))


def test_atomic_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "sub" / "file.json"
    atomic_write_json(target, {"a": 1, "é": [1, 2]})
    atomic_write_text(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_files_get_the_usual_permissions_not_mkstemps_private_ones(tmp_path):
    old = os.umask(0o022)
    try:
        assert new_file_mode() == 0o644
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644  # mkstemp alone gives 0o600


def test_a_writer_that_fails_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old complete content")

    def disk_full(tmp: Path) -> None:
        tmp.write_bytes(b"half of the new")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, disk_full)
    assert target.read_bytes() == b"old complete content"
    assert _temp_files(tmp_path, target.name) == []


@pytest.mark.slow  # subprocesses
@pytest.mark.parametrize("old_content", [b"old complete content\n" * 1000, None], ids=["old-file", "no-file"])
def test_sigkill_while_writing_leaves_the_old_file_or_nothing(tmp_path, old_content):
    target = tmp_path / "checkpoint.pt"
    if old_content is not None:
        target.write_bytes(old_content)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(target), textcnn.utils.io.__file__],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline() == "writing\n", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the kill came mid-write: a partly written temporary file is there, under another name
    (partial,) = _temp_files(tmp_path, target.name)
    assert 2 << 20 <= partial.stat().st_size < 512 << 20
    if old_content is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == old_content


def test_a_reader_never_sees_a_partly_written_file(tmp_path):
    target = tmp_path / "checkpoint.pt"
    versions = [b"A" * (4 << 20), b"B" * (4 << 20)]
    target.write_bytes(versions[0])
    done = threading.Event()

    def writer() -> None:
        try:
            for i in range(16):
                atomic_write(target, lambda p, data=versions[i % 2]: p.write_bytes(data))
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads, seen = 0, set()
    deadline = time.monotonic() + 60
    while not done.is_set() and time.monotonic() < deadline:
        data = target.read_bytes()
        assert data in versions, f"read {len(data)} bytes that are neither complete version"
        seen.add(data[:1])
        reads += 1
    thread.join()
    assert target.read_bytes() == versions[1]
    assert reads >= 2 and seen  # the reader really ran while the writer was writing
