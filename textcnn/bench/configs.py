"""The experiment configs of benchmark runs: Kim's (2014) settings, the same as ``configs/kim/<dataset>-<mode>.yaml``.

The settings are written here (the YAML files are not part of the installed package); a test checks that both
agree for every Kim dataset and mode. Overrides are dotted ``key=value`` strings as for ``textcnn train --set``;
a ``DATASET:`` prefix limits one to a dataset (``sst2:data.options.phrases=false``), and an unprefixed
``data.options.NAME`` override applies to the datasets whose loader has option ``NAME``.
"""

from __future__ import annotations

import copy
import re

from textcnn.classify.config import ExperimentConfig, from_dict
from textcnn.models.kim_cnn import MODES
from textcnn.utils.config import apply_override, set_dotted

KIM_DATASETS = ("mr", "sst1", "sst2", "subj", "trec", "cr", "mpqa")
LONG_DATASETS = ("20ng", "ag_news")
BENCH_DATASETS = KIM_DATASETS + LONG_DATASETS
# Per-dataset defaults of the runner (documents are long there); a user override of the same key wins.
DATASET_DEFAULTS: dict[str, dict[str, object]] = {"20ng": {"data.max_len": 400}, "ag_news": {"data.max_len": 100}}
# Keys that change how a run executes, not its result: left out of the run's key.
EXECUTION_KEYS = frozenset({"train.num_threads", "train.progress", "train.device", "data.data_dir", "data.bucket"})
# Keys the runner sets itself for each run.
RUNNER_KEYS = frozenset({"data.dataset", "data.fold", "train.seed", "model.mode", "embeddings.vectors"})
# ``--set teacher.FIELD=VALUE``: settings of the teacher method (textcnn.distill.teacher.TeacherConfig fields).
TEACHER_PREFIX = "teacher."
W2V_PATTERN = re.compile(r"^w2v-indomain(?:-(\d+)d)?$")
W2V_DEFAULT_DIM = 100

_KIM_TRAIN = {
    "optimizer": "adadelta",
    "lr": 1.0,
    "rho": 0.95,
    "eps": 1.0e-6,
    "batch_size": 50,
    "epochs": 25,
    "early_stopping": None,  # Kim: train all epochs, keep the epoch with the best dev accuracy
    "seed": 0,
    "device": "auto",
}
_KIM_MODEL = {"name": "kim_cnn"}  # the builder's defaults are Kim's settings


def kim_config_dict(dataset: str, mode: str) -> dict:
    """Kim's settings for ``dataset`` and ``mode`` as a config dict (what ``configs/kim/`` holds).

    TREC keeps case (as in Kim's code); SST trains on labelled phrases; pretrained modes use ``glove-6b-50d``.

    Raises:
        ValueError: Unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    data: dict = {"dataset": dataset, "fold": 0, "split_seed": 0}
    if dataset in ("sst1", "sst2"):
        data["options"] = {"phrases": True}
    config = {
        "data": data,
        "tokenizer": {"kind": "kim", "lowercase": dataset != "trec", "min_count": 1},
        "model": {**_KIM_MODEL, "mode": mode},
        "train": dict(_KIM_TRAIN),
    }
    if mode != "rand":
        config["embeddings"] = {"vectors": "glove-6b-50d", "oov_init": "match"}
    return copy.deepcopy(config)


def parse_overrides(items: list[str] | tuple[str, ...], datasets: list[str]) -> dict[str, dict[str, object]]:
    """Split ``--set`` items into dotted-key -> value dicts per dataset (dataset defaults first).

    Raises:
        ValueError: A malformed item, a prefix naming a dataset not in ``datasets``, a key the runner sets itself,
            or a ``data.options.NAME`` that no dataset in ``datasets`` accepts (each named).
    """
    from textcnn.data.registry import get_dataset_spec

    per_dataset = {name: dict(DATASET_DEFAULTS.get(name, {})) for name in datasets}
    for item in items:
        scope, text = None, item
        head = item.split("=", 1)[0]
        if ":" in head:
            scope, text = item.split(":", 1)
            if scope not in per_dataset:
                raise ValueError(f"override {item!r} names dataset {scope!r}, which is not among {datasets}")
        parsed: dict = {}
        apply_override(parsed, text)
        ((key, value),) = _flatten(parsed).items()
        if key in RUNNER_KEYS:
            raise ValueError(f"override {item!r}: {key} is set by the benchmark runner for each run")
        targets = [scope] if scope else list(per_dataset)
        if key.startswith("data.options.") and scope is None:
            option = key.split(".")[2]
            targets = [name for name in per_dataset if option in get_dataset_spec(name).options]
            if not targets:
                raise ValueError(f"override {item!r}: no dataset among {datasets} has option {option!r}")
        for name in targets:
            per_dataset[name][key] = tuple(value) if isinstance(value, list) else value  # a run's options are hashed
    return per_dataset


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def result_options(overrides: dict[str, object], method: str) -> dict[str, object]:
    """The overrides that can change a run's result (its key): everything but ``teacher.*`` for the CNN; for
    baselines only the data choices that change the splits (``data.options.*``, ``data.split_seed``,
    ``data.dev_fraction``); for the teacher those and the ``teacher.*`` settings (:class:`TeacherConfig` fields)."""
    kept = {k: v for k, v in overrides.items() if k not in EXECUTION_KEYS}
    teacher = {k: v for k, v in kept.items() if k.startswith(TEACHER_PREFIX)}
    kept = {k: v for k, v in kept.items() if not k.startswith(TEACHER_PREFIX)}  # teacher.* goes to the teacher only
    if method != "cnn":
        kept = {k: v for k, v in kept.items() if k.startswith("data.") and k not in ("data.max_len",)}
    if method == "teacher":
        kept.update(teacher)
    return dict(sorted(kept.items()))


def w2v_dim(vectors: str) -> int | None:
    """The dimension of an in-domain word2vec name (``w2v-indomain`` = 100-d, ``w2v-indomain-300d``), else ``None``."""
    match = W2V_PATTERN.match(vectors)
    if match is None:
        return None
    return int(match.group(1)) if match.group(1) else W2V_DEFAULT_DIM


def _drop_mode_if_not_taken(model: dict, mode: str) -> None:
    """Character models (VDCNN, char-CNN) have no embedding mode: their runs are ``rand`` and pass no ``mode``.

    Raises:
        ValueError: A pretrained mode asked of a model without pretrained embeddings.
    """
    from textcnn.models import get_model_entry

    name = model.get("name", _KIM_MODEL["name"])
    if "mode" in get_model_entry(name).arguments():
        return
    if mode != "rand":
        raise ValueError(f"model {name!r} has no pretrained embeddings: run it with --modes rand, not {mode!r}")
    model.pop("mode", None)


def build_config(
    dataset: str, mode: str, *, fold: int, seed: int, vectors: str | None, options: dict, data_dir: str | None
) -> ExperimentConfig:
    """The validated config of one CNN run: Kim's settings, then ``options`` (dotted keys), then the run's own
    fields (1 torch thread and no progress bars unless ``options`` say otherwise)."""
    config = kim_config_dict(dataset, mode)
    config["train"].update(num_threads=1, progress=False, device="cpu")
    for key, value in options.items():
        set_dotted(config, key, value)
    _drop_mode_if_not_taken(config["model"], mode)
    config["data"].update(dataset=dataset, fold=fold, data_dir=data_dir)
    config["train"]["seed"] = seed
    config.setdefault("embeddings", {})["vectors"] = vectors if mode != "rand" else None
    experiment = from_dict(config)
    experiment.validate()
    return experiment
