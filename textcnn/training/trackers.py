"""Experiment trackers as trainer callbacks: TensorBoard event files and MLflow runs (``train.log``).

Each tracker is a callback (see :mod:`textcnn.training.callbacks`) that records every finished epoch's row (train
loss and accuracy, dev metrics, learning rate, seconds) with the epoch as the step, and the run's config at the start.
A tracker also has ``close(files, summary, failed)``, called once the run is over: :func:`tracking` calls it
when its block ends, so a failed run is closed too. The libraries are imported only when a tracker is built; a
missing one is a :class:`ModuleNotFoundError` naming the pip extra.

>>> trackers = build_trackers(["tensorboard"], "runs/mr", config.to_dict())
>>> with tracking(trackers):
...     trainer = Trainer(model, config.train, out_dir="runs/mr", callbacks=trackers)
...     trainer.fit(train_loader, dev_loader)
...     finish_trackers(trackers, files=["runs/mr/metrics.json"], summary=metrics)

On a resumed run (``textcnn train --resume``) TensorBoard discards the events the interrupted run wrote after its
checkpoint (``purge_step``), and an MLflow run is started anew with the epochs already trained logged first.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import time
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path

__all__ = [
    "MLFLOW_DIR",
    "TENSORBOARD_DIR",
    "TRACKERS",
    "MLflowLog",
    "TensorBoardLog",
    "build_trackers",
    "finish_trackers",
    "flatten_config",
    "tracking",
]

#: The trackers ``train.log`` (``textcnn train --log``) may name.
TRACKERS = ("tensorboard", "mlflow")
#: Where :func:`build_trackers` puts TensorBoard's event files, under the run's folder.
TENSORBOARD_DIR = "tensorboard"
#: The local MLflow store :func:`build_trackers` uses under the run's folder when ``MLFLOW_TRACKING_URI`` is not set:
#: ``mlruns/mlflow.db`` (SQLite: MLflow 3 refuses new runs in its ``./mlruns`` file store, now in maintenance mode) and
#: the artifacts in ``mlruns/artifacts``.
MLFLOW_DIR = "mlruns"
#: MLflow experiment of the runs when ``MLFLOW_EXPERIMENT_NAME`` is not set.
DEFAULT_EXPERIMENT = "textcnn"
#: Keys of a run's ``metrics.json`` whose numbers :meth:`MLflowLog.close` logs as the run's final metrics.
SUMMARY_KEYS = ("dev", "test", "best_epoch", "epochs_run", "dev_best", "seconds")
_MAX_PARAM_CHARS = 6000  # MLflow's limit on a parameter value (older servers)


def _require(module: str, extra: str):
    """Import an optional library, or raise ``ModuleNotFoundError`` naming the pip extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModuleNotFoundError(
            f'train.log {extra} needs the {extra} library: pip install "textcnn[{extra}]"', name=extra
        ) from None


def flatten_config(config: dict) -> dict[str, str | int | float | bool]:
    """The experiment config as ``{"section.key": value}``: numbers, booleans and strings as they are, ``None`` as
    ``"null"``, lists and mappings as JSON (what TensorBoard's hparams and MLflow's params accept)."""
    flat: dict[str, str | int | float | bool] = {}
    for section, values in config.items():
        items = values.items() if isinstance(values, dict) else [("", values)]
        for key, value in items:
            name = f"{section}.{key}" if key else section
            if value is None:
                flat[name] = "null"
            elif isinstance(value, bool | int | float | str):
                flat[name] = value
            else:
                flat[name] = json.dumps(value, sort_keys=True, default=str)
    return flat


def _tag(key: str) -> str:
    """A record key as a tag: ``train_loss`` -> ``train/loss``, ``dev_macro_f1`` -> ``dev/macro_f1``, ``lr`` stays."""
    split, _, rest = key.partition("_")
    return f"{split}/{rest}" if split in ("train", "dev") and rest else key


def _scalars(record: dict) -> dict[str, float]:
    """The numbers of an epoch's record by tag (the epoch itself is the step, not a value)."""
    return {
        _tag(k): float(v)
        for k, v in record.items()
        if k != "epoch" and isinstance(v, int | float) and not isinstance(v, bool)
    }


class TensorBoardLog:
    """TensorBoard event files in ``log_dir``: per epoch the scalars of its record (``train/loss``,
    ``train/accuracy``, ``dev/accuracy``, ``dev/macro_f1``, ``lr``, ``seconds``, ``examples_per_s``) at step =
    epoch; at the start the config as text and as hparams (with ``dev/<metric>`` as the hparams metric).

    Args:
        log_dir: The folder of the event files (created).
        config: The experiment config (nested dict), or ``None``.
        metric: The dev metric the hparams dashboard shows (``accuracy`` or ``macro_f1``).

    Raises:
        ModuleNotFoundError: tensorboard is not installed (``pip install "textcnn[tensorboard]"``).
    """

    def __init__(self, log_dir: str | Path, config: dict | None = None, metric: str = "accuracy") -> None:
        self.tensorboard = _require("torch.utils.tensorboard", "tensorboard")
        self.log_dir = Path(log_dir)
        self.config = config
        self.metric = metric
        self.writer = None

    def on_fit_start(self, trainer, state) -> None:
        # purge_step: events of epochs after the checkpoint (a resumed run) or of an earlier run (a fresh one) are
        # discarded by TensorBoard, so each epoch is shown once
        self.writer = self.tensorboard.SummaryWriter(str(self.log_dir), purge_step=state.epoch + 1)
        if self.config is not None:
            self._write_config(self.config)
        self.writer.flush()

    def _write_config(self, config: dict) -> None:
        import yaml
        from torch.utils.tensorboard.summary import hparams

        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
        self.writer.add_text("config", "".join(f"    {line}\n" for line in text.splitlines()))  # markdown code block
        for summary in hparams(flatten_config(config), {f"dev/{self.metric}": 0.0}):
            self.writer.file_writer.add_summary(summary)

    def on_epoch_end(self, trainer, state, record: dict) -> None:
        for tag, value in _scalars(record).items():
            self.writer.add_scalar(tag, value, global_step=record["epoch"])
        self.writer.flush()

    def on_fit_end(self, trainer, state) -> None:
        self.writer.flush()

    def close(self, files: Iterable[str | Path] = (), summary: dict | None = None, failed: bool = False) -> None:
        """Close the event file (``files`` and ``summary`` are MLflow's; TensorBoard has them as scalars already)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class MLflowLog:
    """An MLflow run: params = the flattened experiment config, metrics per epoch (step = epoch), and at the end the
    run's final numbers and files (``metrics.json``, plots) as artifacts. The run is ``FINISHED`` after
    :meth:`close`, ``FAILED`` after ``close(failed=True)``.

    Uses :class:`mlflow.tracking.MlflowClient` (no global active run), so runs in one process do not interfere.

    Args:
        tracking_uri: MLflow tracking URI, e.g. ``file:///abs/path/mlruns`` or ``http://host:5000``.
        experiment: Experiment name (created when missing).
        config: The experiment config (nested dict), logged as params; ``None`` logs none.
        run_name: The run's name in the MLflow UI.
        artifact_location: Where a new experiment keeps its artifacts (``None``: the tracking server's default).

    Raises:
        ModuleNotFoundError: mlflow is not installed (``pip install "textcnn[mlflow]"``).
    """

    def __init__(
        self,
        tracking_uri: str,
        experiment: str,
        config: dict | None = None,
        run_name: str | None = None,
        artifact_location: str | None = None,
    ) -> None:
        _require("mlflow", "mlflow")
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.config = config
        self.run_name = run_name
        self.artifact_location = artifact_location
        self.client = None
        self.run_id: str | None = None

    def on_fit_start(self, trainer, state) -> None:
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        found = self.client.get_experiment_by_name(self.experiment)
        experiment_id = (
            found.experiment_id
            if found is not None
            else self.client.create_experiment(self.experiment, artifact_location=self.artifact_location)
        )
        self.run_id = self.client.create_run(experiment_id, run_name=self.run_name).info.run_id
        if self.config is not None:
            from mlflow.entities import Param

            params = [Param(k, str(v)[:_MAX_PARAM_CHARS]) for k, v in flatten_config(self.config).items()]
            for start in range(0, len(params), 100):  # MLflow takes at most 100 params per batch
                self.client.log_batch(self.run_id, params=params[start : start + 100])
        for record in state.history:  # the epochs a resumed run trained before its checkpoint
            self._log_scalars(_scalars(record), record["epoch"])

    def on_epoch_end(self, trainer, state, record: dict) -> None:
        self._log_scalars(_scalars(record), record["epoch"])

    def _log_scalars(self, values: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, step) for k, v in values.items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def close(self, files: Iterable[str | Path] = (), summary: dict | None = None, failed: bool = False) -> None:
        """Log the run's final numbers (those of ``summary``'s :data:`SUMMARY_KEYS`, e.g. ``final/test/accuracy``)
        and the ``files`` that exist as artifacts, and end the run (``FAILED`` with ``failed``). Idempotent."""
        if self.run_id is None:
            return
        run_id, self.run_id = self.run_id, None
        if not failed:
            from mlflow.entities import Metric

            final = _summary_numbers(summary or {})
            if final:
                now = int(time.time() * 1000)
                self.client.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in final])
            for file in files:
                if Path(file).is_file():
                    self.client.log_artifact(run_id, str(file))
        self.client.set_terminated(run_id, status="FAILED" if failed else "FINISHED")


def _summary_numbers(summary: dict) -> list[tuple[str, float]]:
    """``(name, value)`` of the numbers of a run's metrics, named apart from the per-epoch ones:
    ``final/test/accuracy``, ``final/dev/accuracy`` (of the kept weights), ``final/best_epoch`` ... (one level deep)."""
    out = []
    for key in SUMMARY_KEYS:
        value = summary.get(key)
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, number in items:
            if isinstance(number, int | float) and not isinstance(number, bool):
                out.append((f"final/{key}/{sub}" if sub else f"final/{key}", float(number)))
    return out


def _mlflow_log(out_dir: Path, config: dict | None) -> MLflowLog:
    """An :class:`MLflowLog` to ``$MLFLOW_TRACKING_URI``, else to a local store in ``out_dir/mlruns``."""
    _require("mlflow", "mlflow")  # before creating the store's folder
    experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
    uri, artifacts = os.environ.get("MLFLOW_TRACKING_URI"), None
    if not uri:
        store = (out_dir / MLFLOW_DIR).resolve()
        store.mkdir(parents=True, exist_ok=True)
        uri, artifacts = f"sqlite:///{store / 'mlflow.db'}", (store / "artifacts").as_uri()
    return MLflowLog(uri, experiment, config, run_name=out_dir.name, artifact_location=artifacts)


def build_trackers(names: Sequence[str], out_dir: str | Path, config: dict | None = None) -> list:
    """The trackers ``train.log`` names, writing under ``out_dir``: TensorBoard to ``out_dir/tensorboard``; MLflow
    to ``$MLFLOW_TRACKING_URI`` (experiment ``$MLFLOW_EXPERIMENT_NAME``, else ``textcnn``), else to a local store
    in ``out_dir/mlruns`` (see :data:`MLFLOW_DIR`); the run is named after ``out_dir``.

    Raises:
        ValueError: A name that is not one of :data:`TRACKERS`.
        ModuleNotFoundError: A tracker's library is not installed (the message names the pip extra).
    """
    out_dir = Path(out_dir)
    metric = ((config or {}).get("train") or {}).get("metric", "accuracy")
    trackers: list = []
    for name in dict.fromkeys(names):  # each tracker once, in the order given
        if name == "tensorboard":
            trackers.append(TensorBoardLog(out_dir / TENSORBOARD_DIR, config, metric=metric))
        elif name == "mlflow":
            trackers.append(_mlflow_log(out_dir, config))
        else:
            raise ValueError(f"train.log: unknown tracker {name!r}; expected {' or '.join(TRACKERS)}")
    return trackers


def finish_trackers(trackers: Sequence, files: Iterable[str | Path] = (), summary: dict | None = None) -> None:
    """Close every tracker of a run that succeeded, with its files and final metrics (see :meth:`MLflowLog.close`)."""
    files = list(files)
    for tracker in trackers:
        tracker.close(files, summary)


@contextlib.contextmanager
def tracking(trackers: Sequence) -> Generator[Sequence, None, None]:
    """Close the trackers when a ``with`` block ends: on an error each is closed as failed; otherwise those the block
    did not :func:`finish_trackers` are closed without files."""
    try:
        yield trackers
    except BaseException:
        for tracker in trackers:
            with contextlib.suppress(Exception):  # the run's own error is the one to report
                tracker.close(failed=True)
        raise
    for tracker in trackers:
        tracker.close()
