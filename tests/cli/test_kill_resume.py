"""`kill -9` at the worst moments, as a user's machine would do it: training resumes to the same model, prediction
leaves a complete output file or none, and a checkpoint that is really a pickle bomb runs no code."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from toy import TINY_OVERRIDES, toy_sentiment

from textcnn.cli.main import cli

EPOCHS = 3
_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _write_kim(path: Path, n: int, seed: int) -> Path:
    texts, labels = toy_sentiment(n, seed)
    path.write_text("".join(f"{label} {text}\n" for text, label in zip(texts, labels, strict=True)))
    return path


@pytest.fixture(scope="module")
def kim_files(tmp_path_factory) -> dict[str, Path]:
    """``label text`` files (read without Hugging Face datasets, so a training subprocess starts fast)."""
    root = tmp_path_factory.mktemp("kim")
    return {name: _write_kim(root / f"{name}.txt", n, seed) for name, n, seed in
            (("train", 600, 10), ("dev", 100, 11), ("test", 100, 12))}  # fmt: skip


def _train_args(files: dict[str, Path], out: Path) -> list[str]:
    sets = [*TINY_OVERRIDES, f"train.epochs={EPOCHS}", "train.num_threads=1", "train.early_stopping=null"]
    data = ["--train-file", str(files["train"]), "--dev-file", str(files["dev"]), "--test-file", str(files["test"])]
    return ["train", "--dataset", "file", *data, "--out", str(out), "--quiet", *[x for s in sets for x in ("--set", s)]]


def _popen_cli(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "textcnn.cli.main", *args], env=_ENV, **kwargs)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the process ended (or hung) before the moment to kill it came (exit code {proc.returncode})")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow  # subprocesses
def test_kill_9_during_training_then_resume_gives_the_uninterrupted_model(kim_files, tmp_path):
    victim_dir = tmp_path / "victim"
    victim = _popen_cli(_train_args(kim_files, victim_dir), stdout=subprocess.DEVNULL)
    _kill_when(victim, lambda: (victim_dir / "checkpoint.pt").exists())

    # killed mid-training: a checkpoint of a completed epoch, no model yet
    state = torch.load(victim_dir / "checkpoint.pt", weights_only=True)
    assert 1 <= state["state"]["epoch"] < EPOCHS
    assert not (victim_dir / "textcnn.json").exists()

    # resume, and an uninterrupted run to compare with (both in-process, on one thread like the killed run)
    resumed = CliRunner().invoke(cli, [*_train_args(kim_files, victim_dir), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    ref_dir = tmp_path / "reference"
    reference = CliRunner().invoke(cli, _train_args(kim_files, ref_dir))
    assert reference.exit_code == 0, reference.output

    got, want = (json.loads((d / "metrics.json").read_text()) for d in (victim_dir, ref_dir))
    for key in ("test", "dev", "best_epoch", "epochs_run", "dev_best"):
        assert got[key] == want[key], key
    assert (victim_dir / "model.safetensors").read_bytes() == (ref_dir / "model.safetensors").read_bytes()
    epochs = [json.loads(line)["epoch"] for line in (victim_dir / "train_log.jsonl").read_text().splitlines()]
    assert epochs == list(range(1, EPOCHS + 1))
    assert not (victim_dir / "checkpoint.pt").exists()


class _MaliciousPayload:
    """Unpickling this creates ``marker`` (a stand-in for any code an attacker would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_a_malicious_checkpoint_is_refused_on_resume_without_running_it(kim_files, tmp_path, how):
    marker = tmp_path / "pwned"
    out = tmp_path / "run"
    out.mkdir()
    bomb = {"model": _MaliciousPayload(marker), "epoch": 1}
    if how == "torch.save":
        torch.save(bomb, out / "checkpoint.pt")
        torch.load(out / "checkpoint.pt", weights_only=False)  # the bomb is live: a plain load runs it
    else:
        (out / "checkpoint.pt").write_bytes(pickle.dumps(bomb, protocol=2))
        pickle.loads((out / "checkpoint.pt").read_bytes())
    assert marker.exists()
    marker.unlink()

    result = CliRunner().invoke(cli, [*_train_args(kim_files, out), "--resume"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if "Error" in line]
    assert len(errors) == 1 and errors[0].startswith("Error: cannot resume: checkpoint ")
    assert "checkpoint.pt holds objects other than tensors and plain values; refused" in errors[0]
    assert "Traceback" not in result.output
    assert not marker.exists()
    assert not (out / "textcnn.json").exists()


@pytest.mark.slow  # subprocesses
def test_kill_9_during_predict_leaves_the_old_output_or_a_complete_one(tiny_model_dir, tmp_path):
    import textcnn
    from textcnn.classify.predict import predict_files

    texts = ["superb film", "a dull plot", "", "great fun", "boring"]
    order = [(i * 7 + i // 3) % len(texts) for i in range(60_000)]
    source = tmp_path / "in.txt"
    source.write_text("".join(texts[i] + "\n" for i in order))
    out = tmp_path / "out.tsv"
    out.write_text("old predictions\n")

    proc = _popen_cli(["predict", str(tiny_model_dir), str(source), "-o", str(out)], stderr=subprocess.PIPE)
    partials = lambda: list(tmp_path.glob(".out.tsv.*.partial"))  # noqa: E731
    _kill_when(proc, lambda: any(p.stat().st_size > 0 for p in partials()))

    assert out.read_text() == "old predictions\n"  # the final name still holds the complete old file
    (partial,) = partials()
    written = partial.read_text().split("\n")
    assert written[0] == "label\tprobability"
    labels = textcnn.load(tiny_model_dir).predict(texts)
    complete_rows = written[1:-1]  # the last piece may be cut mid-line
    assert 0 < len(complete_rows) < len(order)
    assert [row.split("\t")[0] for row in complete_rows] == [labels[i] for i in order[: len(complete_rows)]]

    # a new run completes; the dead run's temporary file stays behind (never read; documented, safe to delete)
    predict_files(tiny_model_dir, [str(source)], out)
    rows = out.read_text().splitlines()
    assert len(rows) == 1 + len(order)
    assert [row.split("\t")[0] for row in rows[1:]] == [labels[i] for i in order]
    assert partials() == [partial]
