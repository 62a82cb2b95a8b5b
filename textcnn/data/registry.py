"""An explicit dataset registry: loaders register a ``DatasetSpec``; ``load_dataset`` validates and dispatches.

Every loader has the signature ``loader(data_dir, *, fold, seed, dev_fraction, **options) -> DatasetSplits`` with
its options as explicit keyword-only parameters; ``load_dataset`` rejects options the loader does not declare.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from textcnn.data.paths import resolve_data_dir
from textcnn.data.splits import DatasetSplits, check_fraction

# Modules whose import registers the built-in datasets (each calls ``register_dataset`` at import time).
_BUILTIN_MODULES = ("textcnn.data.kim", "textcnn.data.newsgroups", "textcnn.data.ag_news", "textcnn.data.files")
_COMMON_ARGS = ("data_dir", "fold", "seed", "dev_fraction")


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset.

    Attributes:
        name: Registry name (``"mr"``).
        description: One line for ``textcnn datasets list``.
        label_names: Class names in label order (empty where they come from the user's data: ``file``, ``hub``).
        num_folds: ``0`` for fixed splits, else the number of CV folds (``fold`` picks the test fold).
        splits: Names of the splits the source provides (``("all",)`` for CV datasets).
        citation: Reference to cite.
        loader: ``loader(data_dir, *, fold, seed, dev_fraction, **options) -> DatasetSplits``.
        split_sizes: Examples per source split as documented in the data's PROVENANCE (checked by the tests).
        files: Files the loader reads, relative to the data directory.
        needs_data_dir: False for loaders that read only paths given as options (``file``, ``hub``).
        multi_label: Each example has a set of labels (the loader returns
            :class:`~textcnn.classify.multilabel.MultiLabelDatasetSplits`).
    """

    name: str
    description: str
    label_names: tuple[str, ...]
    num_folds: int
    splits: tuple[str, ...]
    citation: str
    loader: Callable[..., DatasetSplits]
    split_sizes: Mapping[str, int] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    needs_data_dir: bool = True
    multi_label: bool = False

    @property
    def options(self) -> dict[str, object]:
        """Loader options and their defaults (``inspect.Parameter.empty`` for required ones)."""
        params = inspect.signature(self.loader).parameters
        return {n: p.default for n, p in params.items() if n not in _COMMON_ARGS}


_REGISTRY: dict[str, DatasetSpec] = {}
REGISTRY = MappingProxyType(_REGISTRY)


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` to the registry and return it.

    Raises:
        ValueError: If the name is taken or ``num_folds`` is negative or 1.
    """
    if spec.name in _REGISTRY:
        raise ValueError(f"dataset {spec.name!r} is already registered")
    if spec.num_folds < 0 or spec.num_folds == 1:
        raise ValueError(f"num_folds must be 0 (fixed splits) or >= 2, got {spec.num_folds} for {spec.name!r}")
    _REGISTRY[spec.name] = spec
    return spec


def _import_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def list_datasets() -> list[str]:
    """Sorted names of the registered datasets."""
    _import_builtins()
    return sorted(_REGISTRY)


def get_dataset_spec(name: str) -> DatasetSpec:
    """The spec registered as ``name``; case does not matter (``MR`` is ``mr``) where it picks one dataset.

    Raises:
        ValueError: If no dataset has that name (the message suggests the closest registered name, if one is close,
            and lists them all).
    """
    _import_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    by_folded_name = {key.casefold(): key for key in _REGISTRY}
    folded = str(name).casefold()
    if folded in by_folded_name:
        return _REGISTRY[by_folded_name[folded]]
    registered = ", ".join(sorted(_REGISTRY))
    close = difflib.get_close_matches(folded, list(by_folded_name), n=1)
    if close:
        raise ValueError(
            f"unknown dataset {name!r}; did you mean {by_folded_name[close[0]]!r}? (registered datasets: {registered})"
        )
    raise ValueError(f"unknown dataset {name!r}; registered datasets: {registered}")


def load_dataset(
    name: str,
    data_dir: str | Path | None = None,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    **options,
) -> DatasetSplits:
    """Load a registered dataset.

    Args:
        name: Registry name (see ``list_datasets()``); case does not matter.
        data_dir: Benchmark data root; ``None`` uses ``$TEXTCNN_DATA`` (not needed by ``file`` and ``hub``).
        fold: Test fold for CV datasets (``0 .. num_folds-1``); must be 0 for datasets with fixed splits.
        seed: Seed of the CV folds and of the dev hold-out.
        dev_fraction: Share of the training data held out as dev where the dataset has no dev split (0 = none).
        **options: Dataset-specific options (e.g. ``phrases=True`` for SST, ``fine=True`` for TREC,
            ``skip_empty=True`` for the Kim files, ``remove=()`` for 20ng); see ``get_dataset_spec(name).options``.

    Returns:
        The splits with a ``report`` of what loading did (fold and seed included).

    Raises:
        ValueError: Unknown name, bad fold or dev_fraction, unknown or missing option.
        FileNotFoundError: A data file is missing.
    """
    spec = get_dataset_spec(name)
    name = spec.name  # the registered spelling (``MR`` loads ``mr``)
    if isinstance(fold, bool) or not isinstance(fold, int):
        raise ValueError(f"fold must be an integer, got {fold!r}")
    if spec.num_folds == 0 and fold != 0:
        raise ValueError(f"dataset {name!r} has fixed splits, so fold must be 0, got {fold}")
    if spec.num_folds and not 0 <= fold < spec.num_folds:
        raise ValueError(f"fold must be in [0, {spec.num_folds}) for dataset {name!r}, got {fold}")
    check_fraction(dev_fraction)
    accepted = spec.options
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"unknown option {unknown[0]!r} for dataset {name!r}; its options are: {', '.join(accepted) or 'none'}"
        )
    missing = [k for k, v in accepted.items() if v is inspect.Parameter.empty and k not in options]
    if missing:
        raise ValueError(f"dataset {name!r} needs option {missing[0]!r}")
    root = resolve_data_dir(data_dir) if spec.needs_data_dir else None
    splits = spec.loader(root, fold=fold, seed=seed, dev_fraction=dev_fraction, **options)
    splits.report.setdefault("dataset", name)
    splits.report.setdefault("fold", fold)
    splits.report.setdefault("seed", seed)
    return splits


def split_sizes_text(spec: DatasetSpec) -> str:
    """Human summary of a spec's split sizes: ``"10662 (10-fold CV)"``, ``"train 8544 / dev 1101 / test 2210"``."""
    if not spec.split_sizes:
        return "from your options"
    if spec.num_folds:
        total = sum(spec.split_sizes.values())
        return f"{total} ({spec.num_folds}-fold CV)"
    text = " / ".join(f"{k} {v}" for k, v in spec.split_sizes.items())
    return text if "dev" in spec.split_sizes else f"{text} (dev held out from train)"


def dataset_overview(data_dir: str | Path | None = None) -> list[dict[str, str]]:
    """One row per registered dataset: ``name``, ``classes``, ``sizes``, ``description`` and, when a data
    directory is given (or ``$TEXTCNN_DATA`` is set), ``data`` = ``"ok"`` or the first missing file."""
    try:
        root: Path | None = resolve_data_dir(data_dir)
    except (ValueError, FileNotFoundError):
        if data_dir is not None:
            raise
        root = None
    rows = []
    for name in list_datasets():
        spec = _REGISTRY[name]
        row = {
            "name": name,
            "classes": str(len(spec.label_names)) if spec.label_names else "-",
            "sizes": split_sizes_text(spec),
            "description": spec.description,
        }
        if root is not None:
            missing = [f for f in spec.files if not (root / f).is_file()]
            row["data"] = "-" if not spec.needs_data_dir else f"missing {missing[0]}" if missing else "ok"
        rows.append(row)
    return rows
