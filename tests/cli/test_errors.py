"""Every user-caused failure of the CLI is one `Error:` line that names the file and what is wrong, exit code 1, and
never a traceback; unwritable outputs are reported before any work starts."""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
from collections import namedtuple
from pathlib import Path

import pytest
from click.testing import CliRunner
from toy import TINY_OVERRIDES

from textcnn.cli.main import cli

_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _run(args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def _assert_one_line_error(result, *fragments: str) -> str:
    """The run failed with a ClickException (exit code 1), printed as a single `Error:` line holding ``fragments``."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an unexpected exception
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    assert "Traceback" not in result.output
    return errors[0]


def _edit_meta(folder: Path, **changes) -> None:
    meta = json.loads((folder / "textcnn.json").read_text())
    meta.update(changes)
    (folder / "textcnn.json").write_text(json.dumps(meta))


_DAMAGES = {
    "no-weights": (lambda d: (d / "model.safetensors").unlink(), "model.safetensors is missing"),
    "no-tokenizer": (lambda d: (d / "tokenizer.json").unlink(), "tokenizer.json is missing"),
    "no-meta": (lambda d: (d / "textcnn.json").unlink(), "textcnn.json is missing"),
    "version": (lambda d: _edit_meta(d, format_version=99), "format version 99 is not supported"),
    "truncated-weights": (
        lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:100]),
        "model.safetensors: corrupted or not a safetensors file",
    ),
    "bad-tokenizer": (lambda d: (d / "tokenizer.json").write_text("{"), "tokenizer.json: not a valid tokenizer"),
    "bad-json": (lambda d: (d / "textcnn.json").write_text("{"), "textcnn.json: not valid JSON"),
    "bad-yaml": (lambda d: (d / "config.yaml").write_text("a: [\n  b\n"), "config.yaml: not valid YAML"),
    "shapes": (
        lambda d: _edit_meta(
            d, model_kwargs={**json.loads((d / "textcnn.json").read_text())["model_kwargs"], "num_filters": 3}
        ),  # fmt: skip
        "do not match the model described by textcnn.json",
    ),
}


@pytest.mark.parametrize("damage", list(_DAMAGES))
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_damaged_model_directory_is_one_error_line(tiny_model_dir, toy_files, tmp_path, damage, command):
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    spoil, message = _DAMAGES[damage]
    spoil(folder)
    if command == "predict":
        result = _run(["predict", folder, "-"], input="good film\n")
    else:
        result = _run(["evaluate", folder, "--file", toy_files["test"]])
    _assert_one_line_error(result, message, str(folder))


def test_bad_prediction_inputs_are_one_error_line(tiny_model_dir, tmp_path):
    _assert_one_line_error(
        _run(["predict", tiny_model_dir, tmp_path / "missing.txt"]), "input file not found", "missing.txt"
    )
    bad_jsonl = tmp_path / "in.jsonl"
    bad_jsonl.write_text('{"text": "good"}\n{"text": oops}\n')
    _assert_one_line_error(_run(["predict", tiny_model_dir, bad_jsonl]), "in.jsonl: line 2 is not valid JSON")
    no_column = tmp_path / "in.csv"
    no_column.write_text("review,stars\ngood,5\n")
    _assert_one_line_error(_run(["predict", tiny_model_dir, no_column]), "in.csv: no column 'text'")
    broken_gz = tmp_path / "in.txt.gz"
    broken_gz.write_bytes(gzip.compress(b"good film\n" * 5000)[:100])
    _assert_one_line_error(_run(["predict", tiny_model_dir, broken_gz]), "in.txt.gz: not a complete gzip file")
    huge_cell = tmp_path / "huge.csv"
    huge_cell.write_text('text\n"' + "good " * 30_000 + '"\n')  # a 150 KB cell: over the csv module's default limit
    result = _run(["predict", tiny_model_dir, huge_cell, "--column", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split("\t")[0] == "pos"
    _assert_one_line_error(_run(["predict", tiny_model_dir, "-", "--top-k", "0"], input="x\n"), "top_k must be >= 1")
    _assert_one_line_error(_run(["predict", tiny_model_dir, "-", "--batch-size", "0"], input="x\n"), "batch_size")


def test_invalid_utf8_is_counted_not_a_crash(tiny_model_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"good film\ncaf\xe9 dull\n\xff\xfe\x81 superb\n\xc3\x28\n")
    result = _run(["predict", tiny_model_dir, source, "-o", tmp_path / "out.tsv"])
    assert result.exit_code == 0, result.output
    assert "predicted 4 lines" in result.output
    assert "3 not valid UTF-8, decoded as cp1252 or with replacement characters; 1 with U+FFFD" in result.output
    assert len((tmp_path / "out.tsv").read_text().splitlines()) == 1 + 4


def test_train_into_an_impossible_folder_fails_before_training(toy_files, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    sets = [x for o in TINY_OVERRIDES for x in ("--set", o)]
    result = _run(["train", "--dataset", "file", "--train-file", toy_files["train"], "--out", blocker / "run", *sets])
    _assert_one_line_error(result, "cannot write to output folder", "a-file/run", "Not a directory")
    assert "data:" not in result.output  # nothing was loaded, let alone trained


def test_train_on_a_nearly_full_disk_fails_before_training(toy_files, tmp_path, monkeypatch):
    statvfs = namedtuple("statvfs_result", "f_bavail f_frsize")
    monkeypatch.setattr(os, "statvfs", lambda _path: statvfs(f_bavail=10, f_frsize=4096))  # 40 KiB free
    sets = [x for o in TINY_OVERRIDES for x in ("--set", o)]
    result = _run(["train", "--dataset", "file", "--train-file", toy_files["train"], "--out", tmp_path / "run", *sets])
    _assert_one_line_error(result, "has less than 50 MB free")
    assert "data:" not in result.output


def test_predict_into_an_impossible_place_fails_before_loading_anything(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    missing_model = tmp_path / "no-model"  # the output is checked first: this is never looked at
    result = _run(["predict", missing_model, "-", "-o", blocker / "out" / "p.tsv"], input="good\n")
    _assert_one_line_error(result, "cannot write output file", "a-file/out/p.tsv", "Not a directory")


def test_predict_to_a_pipe_or_stdout_writes_through_it(tiny_model_dir, tmp_path):
    """A FIFO (like /dev/null, a device: not a regular file) is written to, never renamed over; `-o -` and
    `-o /dev/stdout` write through standard output. (Safe to run as root: a regression replaces only the FIFO.)"""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = _run(["predict", tiny_model_dir, "-", "-o", fifo], input="good\nbad\n")
    assert result.exit_code == 0, result.output
    reader.join(timeout=60)
    assert fifo.is_fifo() and not reader.is_alive()
    assert [row.split("\t")[0] for row in received[0].splitlines()] == ["label", "pos", "neg"]
    for target in ("-", "/dev/stdout"):
        result = _run(["predict", tiny_model_dir, "-", "-o", target], input="good\nbad\n")
        assert result.exit_code == 0, result.output
        assert [row.split("\t")[0] for row in result.stdout.splitlines()] == ["label", "pos", "neg"]


@pytest.mark.slow  # a subprocess
@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs /dev/full (Linux)")
def test_a_full_disk_while_writing_is_one_error_line(tiny_model_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("good film\n" * 2_000)  # 26 KB of output: more than one buffer
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        proc = subprocess.run([sys.executable, "-m", "textcnn.cli.main", "predict", str(tiny_model_dir), str(source)],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=_ENV, timeout=300)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: {os.strerror(errno.ENOSPC)}", proc.stderr


@pytest.mark.slow  # subprocesses
def test_a_closed_pipe_ends_predict_quietly(tiny_model_dir, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("good film\n" * 10_000)  # 130 KB of output: more than a pipe holds
    proc = subprocess.Popen([sys.executable, "-m", "textcnn.cli.main", "predict", str(tiny_model_dir), str(source)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_ENV)  # fmt: skip
    assert proc.stdout.readline() == b"label\tprobability\n"
    proc.stdout.close()  # as `| head -1` does
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert proc.returncode != 0 and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


def test_a_truncated_gzip_file_to_evaluate_is_one_error_line(tiny_model_dir, tmp_path):
    """The labelled-file reader lets the gzip module's EOFError through; the CLI still prints one line (not
    Click's bare "Aborted!")."""
    source = tmp_path / "test.txt.gz"
    source.write_bytes(gzip.compress(b"pos good film\nneg dull plot\n" * 500)[:60])
    result = _run(["evaluate", tiny_model_dir, "--file", source])
    _assert_one_line_error(result, "test.txt.gz: corrupt or truncated gzip file")
