"""Distributed training: 2 Gloo processes on the CPU agree with one process on the same global batch; a dead rank
makes the run fail within the timeout instead of hanging.

What "agree" means here: a DDP step averages the per-rank mean gradients, which is the mean gradient of the global
batch when the ranks' shares are equal. ``DistributedBatchSampler`` gives each rank half of each global batch of the
single-process run (same seed, batch size 2b vs b per rank), so with dropout off the two runs do the same updates;
only the order of floating-point sums differs (the all-reduce, and each rank padding its own half), so the weights
agree to float32 round-off (checked at 1e-4 after 2 epochs of Adam) and the logged losses to 1e-5.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from toy import toy_sentiment, write_csv

from textcnn.data.batching import BucketBatchSampler
from textcnn.training.distributed import DistributedBatchSampler

REPO = Path(__file__).resolve().parents[2]
PER_RANK_BATCH = 16
WORLD = 2
OVERRIDES = [
    "model.embedding_dim=8",
    "model.num_filters=4",
    "model.dropout=0.0",
    "train.epochs=2",
    "train.progress=false",
    "train.device=cpu",
    "train.optimizer=adam",
    "train.lr=0.01",
    "train.num_threads=1",
    "train.seed=3",
]


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")}
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)  # textcnn importable from anywhere
    return {**env, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "TEXTCNN_DIST_TIMEOUT": "20", **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ddp")
    # 192 training texts: 6 global batches of 32, so every rank's share is exactly 16
    return {name: write_csv(root / f"{name}.csv", *toy_sentiment(n, seed)) for name, n, seed in
            (("train", 192, 0), ("dev", 64, 1))}  # fmt: skip


def _data_overrides(files: dict[str, Path]) -> list[str]:
    return ["data.dataset=file", f"data.train_file={files['train']}", f"data.dev_file={files['dev']}"]


def test_each_rank_takes_a_disjoint_equal_share_of_every_global_batch():
    lengths = [i % 7 for i in range(37)]
    base = BucketBatchSampler(lengths, 8, shuffle=True, seed=5)
    shares = [DistributedBatchSampler(BucketBatchSampler(lengths, 8, shuffle=True, seed=5), r, 2) for r in (0, 1)]
    for epoch in (0, 3):
        base.set_epoch(epoch)
        for share in shares:
            share.set_epoch(epoch)
        glob, mine = list(base), [list(s) for s in shares]
        assert len(mine[0]) == len(mine[1]) == len(glob) == len(shares[0])
        for batch, a, b in zip(glob, *mine, strict=True):
            assert a + b == batch and abs(len(a) - len(b)) <= 1  # contiguous halves: the bucketing is kept
    tiny = DistributedBatchSampler(BucketBatchSampler([1], 4, shuffle=True), 1, 2)
    assert list(tiny) == [[0]]  # a global batch smaller than the world is padded by repetition


def _torchrun(files: dict[str, Path], out: Path, *program: str, resume: bool = False) -> subprocess.CompletedProcess:
    """``torchrun --nproc-per-node 2 PROGRAM train ...`` (PROGRAM: ``-m textcnn`` or a worker script) into ``out``."""
    sets = [arg for o in [*_data_overrides(files), *OVERRIDES, f"train.batch_size={PER_RANK_BATCH}"]
            for arg in ("--set", o)]  # fmt: skip
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(WORLD), "--master-addr",
                "127.0.0.1", "--master-port", str(_free_port())]  # torchrun  # fmt: skip
    cmd = [*launcher, *program, "train", *sets, "--out", str(out), *(["--resume"] if resume else [])]
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def ddp_run(files, tmp_path_factory) -> Path:
    """The model folder of an uninterrupted 2-process ``torchrun -m textcnn train`` run."""
    out = tmp_path_factory.mktemp("ddp") / "run"
    run = _torchrun(files, out, "-m", "textcnn")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("vocabulary:") == 1  # only rank 0 prints
    return out


def _log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]


def test_two_gloo_processes_match_one_process_on_the_global_batch(files, ddp_run, tmp_path):
    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    common = [*_data_overrides(files), *OVERRIDES]
    ddp_out = ddp_run
    single = load_config(None, [*common, f"train.batch_size={PER_RANK_BATCH * WORLD}"])
    single_out = tmp_path / "single"
    train_text_classifier(single, single_out, echo=None)

    ddp_w, one_w = load_file(ddp_out / "model.safetensors"), load_file(single_out / "model.safetensors")
    assert ddp_w.keys() == one_w.keys()
    for name, weight in ddp_w.items():
        torch.testing.assert_close(weight, one_w[name], atol=1e-4, rtol=1e-4, msg=name)
    for ddp_epoch, one_epoch in zip(_log(ddp_out), _log(single_out), strict=True):
        assert ddp_epoch["train_loss"] == pytest.approx(one_epoch["train_loss"], abs=1e-5)  # reduced over ranks
        assert ddp_epoch["train_accuracy"] == one_epoch["train_accuracy"]
        assert ddp_epoch["dev_accuracy"] == one_epoch["dev_accuracy"]
    assert not (ddp_out / "checkpoint.pt").exists()


_DYING_WORKER = """
import os, sys
from textcnn.classify.config import load_config
from textcnn.classify.train import fit_text_model, load_splits

class DieOnRank1:
    def on_batch_end(self, trainer, state, step, totals):
        if os.environ["RANK"] == "1" and step == 1:
            os._exit(3)

config = load_config(None, sys.argv[1:])
splits = load_splits(config)
fit_text_model(config, splits.train, splits.dev, splits.label_names, echo=None, callbacks=(DieOnRank1(),))
"""


def test_a_rank_that_dies_makes_the_other_fail_within_the_timeout(files, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(_DYING_WORKER, encoding="utf-8")
    port = str(_free_port())
    args = [sys.executable, str(script), *_data_overrides(files), *OVERRIDES, f"train.batch_size={PER_RANK_BATCH}"]
    start = time.monotonic()
    ranks = [_env(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(WORLD), MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
             for r in range(WORLD)]  # what torchrun would set, without torchrun stopping the survivor  # fmt: skip
    procs = [subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True) for env in ranks]
    try:
        errors = [p.communicate(timeout=60)[1] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert procs[1].returncode == 3, errors[1]
    assert procs[0].returncode != 0, "rank 0 survived its peer's death"
    assert "RuntimeError" in errors[0]  # a traceback naming the broken collective (Gloo: connection reset)
    assert time.monotonic() - start < 40  # well under the 20 s collective timeout after the start-up


# `textcnn train` under torchrun whose ranks all die after epoch 1, once rank 0 has written its checkpoint (the barrier
# makes sure of that): a kill between epochs, as a crash or a lost machine would leave the run.
_CRASH_AFTER_EPOCH_1 = """
import os
from torch import distributed as dist
from textcnn.cli.main import cli
from textcnn.training.trainer import Trainer

class CrashAfterEpoch1:
    def on_epoch_end(self, trainer, state, record):
        dist.barrier()
        os._exit(17)

defaults = Trainer.default_callbacks
Trainer.default_callbacks = lambda self, resume: [*defaults(self, resume), CrashAfterEpoch1()]
cli(prog_name="textcnn")
"""


def test_a_two_process_run_killed_after_epoch_1_resumes_to_the_uninterrupted_model(files, ddp_run, tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(_CRASH_AFTER_EPOCH_1, encoding="utf-8")
    out = tmp_path / "resumed"
    crashed = _torchrun(files, out, str(script))
    assert crashed.returncode != 0, crashed.stdout + crashed.stderr
    assert (out / "checkpoint.pt").exists() and not (out / "model.safetensors").exists()
    assert [e["epoch"] for e in _log(out)] == [1]

    resumed = _torchrun(files, out, "-m", "textcnn", resume=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stdout.count("epoch 2/2") == 1 and "epoch 1/2" not in resumed.stdout  # epoch 1 is not run again
    weights, uninterrupted = load_file(out / "model.safetensors"), load_file(ddp_run / "model.safetensors")
    assert weights.keys() == uninterrupted.keys()
    for name, weight in weights.items():  # same world size, same seed: the same floating-point operations
        assert torch.equal(weight, uninterrupted[name]), name
    for got, want in zip(_log(out), _log(ddp_run), strict=True):
        assert {k: v for k, v in got.items() if k not in ("seconds", "examples_per_s")} == {
            k: v for k, v in want.items() if k not in ("seconds", "examples_per_s")
        }
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2
    assert not (out / "checkpoint.pt").exists()
