"""Experiment trackers (``train.log`` / ``textcnn train --log``): a real run read back from TensorBoard's event files
and from MLflow's store, and a missing library reported as one line naming the pip extra."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from toy import TINY_OVERRIDES

from textcnn.cli.main import cli
from textcnn.training import Trainer
from textcnn.training.config import TrainConfig
from textcnn.training.trackers import MLflowLog, TensorBoardLog, build_trackers, finish_trackers, flatten_config

HAS_MLFLOW = importlib.util.find_spec("mlflow") is not None
EPOCHS = 3


def _train_args(toy_files: dict[str, Path], out: Path, *logs: str) -> list[str]:
    sets = [a for o in [*TINY_OVERRIDES, f"train.epochs={EPOCHS}", "train.num_threads=1"] for a in ("--set", o)]
    files = ["--train-file", toy_files["train"], "--dev-file", toy_files["dev"], "--test-file", toy_files["test"]]
    return ["train", "--dataset", "file", *files, *sets, *[a for log in logs for a in ("--log", log)], "--out", out]


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory, toy_files) -> Path:
    """One `textcnn train --log tensorboard [--log mlflow]` run (MLflow to its default local store in OUT/mlruns)."""
    out = tmp_path_factory.mktemp("tracked") / "run"
    logs = ["tensorboard", "mlflow"] if HAS_MLFLOW else ["tensorboard"]
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
        result = CliRunner().invoke(cli, [str(a) for a in _train_args(toy_files, out, *logs)])
    assert result.exit_code == 0, result.output
    return out


def _history(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines()]


def test_tensorboard_scalars_are_the_run_history(tracked_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tracked_run / "tensorboard"))
    events.Reload()
    history = _history(tracked_run)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for tag, key in (("dev/accuracy", "dev_accuracy"), ("train/loss", "train_loss"), ("lr", "lr")):
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [1, 2, 3]
        assert [s.value for s in scalars] == pytest.approx([h[key] for h in history], rel=1e-6)
    assert {"train/accuracy", "dev/macro_f1", "seconds"} <= set(events.Tags()["scalars"])
    config = events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "optimizer: adam" in config and "log:" in config and "- tensorboard" in config


def test_a_fresh_run_in_the_same_folder_replaces_the_earlier_epochs(tmp_path, toy_files):
    """--overwrite: the new run's event file purges the old run's steps, so each epoch is shown once."""
    out = tmp_path / "run"
    for _ in range(2):
        result = CliRunner().invoke(cli, [str(a) for a in [*_train_args(toy_files, out, "tensorboard"), "--overwrite"]])
        assert result.exit_code == 0, result.output
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    assert len(list((out / "tensorboard").glob("events.out.tfevents.*"))) == 2
    assert [s.step for s in events.Scalars("dev/accuracy")] == [1, 2, 3]


@pytest.mark.skipif(not HAS_MLFLOW, reason="mlflow is not installed (pip install 'textcnn[mlflow]')")
def test_mlflow_run_holds_the_config_the_history_and_the_files(tracked_run):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tracked_run.resolve() / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("textcnn")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert run.data.params["train.lr"] == "0.01" and run.data.params["model.name"] == "kim_cnn"
    assert run.data.params["model.num_filters"] == "8" and run.data.params["model.filter_widths"] == "[3, 4, 5]"
    assert run.data.params["train.log"] == '["tensorboard", "mlflow"]'
    history = _history(tracked_run)
    for tag, key in (("dev/accuracy", "dev_accuracy"), ("train/loss", "train_loss")):
        logged = client.get_metric_history(run.info.run_id, tag)
        assert sorted((m.step, m.value) for m in logged) == [(h["epoch"], pytest.approx(h[key])) for h in history]
    metrics = json.loads((tracked_run / "metrics.json").read_text(encoding="utf-8"))
    assert run.data.metrics["final/test/accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert run.data.metrics["final/best_epoch"] == metrics["best_epoch"]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"metrics.json", "training_curves.png", "confusion_matrix.png"} <= artifacts


@pytest.mark.parametrize(("tracker", "module"), [("mlflow", "mlflow"), ("tensorboard", "torch.utils.tensorboard")])
def test_a_missing_library_is_one_line_naming_the_extra(tmp_path, toy_files, monkeypatch, tracker, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails as if it were not installed
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, [str(a) for a in _train_args(toy_files, out, tracker)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f'Error: train.log {tracker} needs the {tracker} library: pip install "textcnn[{tracker}]"'
    ]
    assert not out.exists()  # refused before any work; no folder left behind


def _tiny_fit(out: Path, epochs: int, callbacks: list, resume: bool = False) -> list[dict]:
    """A 6-feature linear problem trained with the generic trainer (checkpoint and log in ``out``)."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(0)
    x = torch.randn(192, 6, generator=g)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    train, dev = DataLoader(data, batch_size=32, shuffle=True), DataLoader(data, batch_size=96)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
    config = TrainConfig(epochs=epochs, optimizer="adam", lr=0.01, progress=False, device="cpu", num_threads=1)
    return Trainer(model, config, ["a", "b"], out_dir=out, callbacks=callbacks).fit(train, dev, resume=resume).history


class _KeepCheckpoint:
    """Copies the checkpoint written at ``epoch`` (the trainer's Checkpoint callback runs first)."""

    def __init__(self, out: Path, epoch: int) -> None:
        self.out, self.epoch = out, epoch

    def on_epoch_end(self, trainer, state, record: dict) -> None:
        if record["epoch"] == self.epoch:
            (self.out / "kept.pt").write_bytes((self.out / "checkpoint.pt").read_bytes())


def test_a_resumed_run_shows_each_epoch_once(tmp_path):
    """A run killed after epoch 3 but resumed from epoch 2's checkpoint: TensorBoard drops the orphaned epoch 3;
    the new MLflow run (when mlflow is installed) holds every epoch, the ones before the checkpoint included."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _tiny_fit(tmp_path, 3, [TensorBoardLog(tmp_path / "tb"), _KeepCheckpoint(tmp_path, 2)])
    (tmp_path / "kept.pt").replace(tmp_path / "checkpoint.pt")
    resumed = [TensorBoardLog(tmp_path / "tb")]
    if HAS_MLFLOW:
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        resumed.append(MLflowLog(uri, "resume", run_name="r", artifact_location=(tmp_path / "art").as_uri()))
    history = _tiny_fit(tmp_path, 4, resumed, resume=True)
    for tracker in resumed:
        tracker.close()
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    scalars = events.Scalars("dev/accuracy")
    assert [s.step for s in scalars] == [1, 2, 3, 4]
    assert [s.value for s in scalars] == pytest.approx([h["dev_accuracy"] for h in history], rel=1e-6)
    if HAS_MLFLOW:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        (run,) = client.search_runs([client.get_experiment_by_name("resume").experiment_id])
        logged = sorted(m.step for m in client.get_metric_history(run.info.run_id, "train/loss"))
        assert logged == [1, 2, 3, 4] and run.info.status == "FINISHED"


@pytest.mark.skipif(not HAS_MLFLOW, reason="mlflow is not installed (pip install 'textcnn[mlflow]')")
def test_mlflow_tracking_uri_and_experiment_come_from_the_environment(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'server.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "sweep")
    monkeypatch.chdir(tmp_path)  # the store's own default artifact root is relative to the working directory
    out = tmp_path / "run-7"
    trackers = build_trackers(["mlflow"], out, {"train": {"lr": 0.01}})
    _tiny_fit(out, 2, trackers)
    (out / "notes.txt").write_text("kept", encoding="utf-8")
    finish_trackers(trackers, [out / "notes.txt", out / "missing.png"], {"best_epoch": 2, "test": {"accuracy": 0.5}})
    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("sweep").experiment_id])
    assert run.info.run_name == "run-7" and run.data.params == {"train.lr": "0.01"}
    assert run.data.metrics["final/best_epoch"] == 2 and run.data.metrics["final/test/accuracy"] == 0.5
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
    assert not (out / "mlruns").exists()


def test_an_unknown_tracker_names_the_key():
    with pytest.raises(ValueError, match=r"train\.log: unknown tracker 'wandb'; expected tensorboard or mlflow"):
        TrainConfig(log=["wandb"])


def test_flatten_config_keeps_numbers_and_writes_the_rest_as_text():
    flat = flatten_config({"train": {"lr": 0.5, "log": ["mlflow"], "grad_clip": None}, "model": {"name": "dpcnn"}})
    assert flat == {"train.lr": 0.5, "train.log": '["mlflow"]', "train.grad_clip": "null", "model.name": "dpcnn"}
