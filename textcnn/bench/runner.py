"""The accuracy benchmark runner: Kim (2014) CNNs and linear/fastText baselines on the same splits.

Each run is one (dataset, method, mode, vectors, fold, seed, options). Finished runs are appended, one JSON line
each, to ``<out>/results.jsonl``; a run whose key is already there is skipped, so a long table can be built over
several shorter invocations, and ``jobs`` runs go in parallel processes with one torch thread each.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from textcnn.bench.configs import BENCH_DATASETS, MODES, build_config, parse_overrides, result_options, w2v_dim
from textcnn.bench.execute import RUNNER_TEACHER_KEY, check_teacher_options, init_worker, worker
from textcnn.bench.results import (
    CNN,
    RESULTS_FILE,
    BenchRun,
    append_record,
    git_commit,
    git_dirty,
    read_results,
    run_key,
)

METHODS = ("cnn", "tfidf_lr", "tfidf_svm", "nbsvm", "fasttext", "teacher")
#: What a plan runs unless told: every method but the (slow, opt-in) transformer teacher.
DEFAULT_METHODS = METHODS[:-1]
NO_VECTORS = "none"


def _parse_list(values: Iterable[str] | str | None, allowed: Iterable[str], what: str) -> list[str]:
    items = [v.strip() for v in values.split(",")] if isinstance(values, str) else list(values or [])
    allowed = list(allowed)
    for item in items:
        if item not in allowed:
            raise ValueError(f"unknown {what} {item!r}; choose from {', '.join(allowed)}")
    return items


def plan_runs(
    datasets: Iterable[str],
    *,
    methods: Iterable[str] = DEFAULT_METHODS,
    modes: Iterable[str] = ("static", "non-static"),
    vectors: Iterable[str] = ("glove-6b-50d",),
    folds: Iterable[int] | None = None,
    seeds: Iterable[int] = (0,),
    overrides: Iterable[str] = (),
) -> list[BenchRun]:
    """The runs of a benchmark, cheapest first: baselines, then the CNN by mode as given, fold by fold.

    Args:
        datasets: Registry names (``mr``, ``sst1``, ``sst2``, ``subj``, ``trec``, ``cr``, ``mpqa``, ``20ng``,
            ``ag_news``).
        methods: ``cnn`` and/or baselines ``tfidf_lr``, ``tfidf_svm``, ``nbsvm``, ``fasttext``, and/or ``teacher``
            (a transformer fine-tuned with ``textcnn teacher train``; ``--set teacher.encoder=DIR`` is required and
            ``teacher.*`` settings go to it only). Its folder is kept in ``out/teachers/`` for CNN runs with
            ``distill.teacher=runner`` (see :func:`textcnn.bench.execute.teacher_dir`).
        modes: CNN embedding modes.
        vectors: For the pretrained modes: ``glove-6b-50d``, ``w2v-indomain`` (100-d word2vec trained on each fold's
            training split), ``w2v-indomain-300d``, or a vectors file. ``rand`` always runs without vectors.
        folds: CV test folds (``None``: all 10); fixed-split datasets always use fold 0.
        seeds: Training seeds (the CV folds do not change with them). TF-IDF+LR and NBSVM are deterministic and
            run once per fold (seed 0).
        overrides: Dotted config overrides (``train.epochs=5``, ``sst2:data.options.phrases=false``).

    Raises:
        ValueError: Unknown dataset, method, mode, or a bad override or fold (named).
    """
    from textcnn.bench.baselines import DETERMINISTIC
    from textcnn.data.registry import get_dataset_spec

    datasets = _parse_list(datasets, BENCH_DATASETS, "dataset")
    methods = _parse_list(methods, METHODS, "method")
    modes = _parse_list(modes, MODES, "mode")
    vectors = [_canonical_vectors(v) for v in vectors]
    seeds = [int(s) for s in seeds]
    if not datasets or not methods or not seeds:
        raise ValueError("give at least one dataset, method and seed")
    per_dataset = parse_overrides(list(overrides), datasets)
    if "teacher" in methods:
        check_teacher_options(per_dataset)
    runs: list[BenchRun] = []
    fold_lists = {}
    for name in datasets:
        n = get_dataset_spec(name).num_folds
        wanted = list(range(n)) if folds is None else [int(f) for f in folds]
        bad = [f for f in wanted if n and not 0 <= f < n]
        if bad:
            raise ValueError(f"fold {bad[0]} is out of range for {name!r} (folds 0-{n - 1})")
        fold_lists[name] = wanted if n else [0]
    for method in (m for m in METHODS if m in methods and m != CNN):
        run_seeds = seeds[:1] if method in DETERMINISTIC else seeds
        for name in datasets:
            opts = tuple(result_options(per_dataset[name], method).items())
            for fold in fold_lists[name]:
                for seed in [0] if method in DETERMINISTIC else run_seeds:
                    runs.append(BenchRun(name, method, None, "-", fold, seed, opts))
    if CNN in methods:
        for name in datasets:  # fail now, not in the middle of a long run, on a bad override
            for mode in modes:
                opts = {k: v for k, v in result_options(per_dataset[name], CNN).items() if k != RUNNER_TEACHER_KEY}
                build_config(name, mode, fold=0, seed=0, vectors="glove-6b-50d", options=opts, data_dir=None)
        for mode in modes:
            for vec in [NO_VECTORS] if mode == "rand" else vectors:
                for fold in range(max(len(f) for f in fold_lists.values())):
                    for seed in seeds:
                        for name in datasets:
                            if fold < len(fold_lists[name]):
                                opts = tuple(result_options(per_dataset[name], CNN).items())
                                runs.append(BenchRun(name, CNN, mode, vec, fold_lists[name][fold], seed, opts))
    return list(dict.fromkeys(runs))


QUICK_OVERRIDES = ("train.epochs=2",)


def quick_plan(datasets: Iterable[str] | None = None, *, overrides: Iterable[str] = ()) -> list[BenchRun]:
    """A smoke benchmark (under two minutes on a CPU for CR or MR): fold 0, seed 0, the baselines and CNN-static
    with ``glove-6b-50d`` for 2 epochs (long-document datasets cut to 100 tokens). ``overrides`` come last."""
    datasets = list(datasets or ["cr"])
    long_docs = [f"{name}:data.max_len=100" for name in datasets if name in ("20ng", "ag_news")]
    return plan_runs(
        datasets,
        methods=DEFAULT_METHODS,
        modes=["static"],
        vectors=["glove-6b-50d"],
        folds=[0],
        seeds=[0],
        overrides=[*QUICK_OVERRIDES, *long_docs, *overrides],
    )


def _canonical_vectors(name: str) -> str:
    dim = w2v_dim(name)
    if dim is not None:
        return f"w2v-indomain-{dim}d"
    if name in (NO_VECTORS, "-"):
        raise ValueError(f"vectors {name!r} is not a source of vectors; rand mode needs none")
    return name


@dataclass
class BenchReport:
    """What :func:`run_benchmark` did."""

    results_path: Path
    planned: int = 0
    ran: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    unavailable: dict[str, int] = field(default_factory=dict)


def run_benchmark(
    runs: list[BenchRun],
    out_dir: str | Path,
    *,
    data_dir: str | None = None,
    jobs: int = 1,
    keep_models: bool = False,
    echo: Callable[[str], None] | None = print,
) -> BenchReport:
    """Run ``runs`` that ``out_dir/results.jsonl`` does not hold yet, appending one line per finished run.

    Args:
        runs: From :func:`plan_runs`.
        out_dir: Output folder: ``results.jsonl``, the ``w2v/`` cache, ``models/`` with ``keep_models``.
        data_dir: Benchmark data root (``None``: ``$TEXTCNN_DATA``).
        jobs: Parallel worker processes (each with one torch thread); 1 runs in this process.
        keep_models: Keep each CNN's model directory under ``out_dir/models/`` (default: deleted after scoring).
        echo: Progress messages (``None`` silences).

    Raises:
        ValueError: ``jobs`` < 1.
    """
    from textcnn.bench.baselines import fasttext_available

    say = echo or (lambda _msg: None)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BenchReport(out_dir / RESULTS_FILE, planned=len(runs))
    done = {run_key(r) for r in read_results(report.results_path)}
    todo = []
    for run in runs:
        if run.key in done:
            report.skipped += 1
        elif run.method == "fasttext" and not fasttext_available():
            report.unavailable["fasttext"] = report.unavailable.get("fasttext", 0) + 1
        else:
            todo.append(run)
    if report.unavailable:
        say(
            "fastText is not importable (pip install fasttext-numpy2): skipping "
            f"{report.unavailable['fasttext']} fastText run(s)"
        )
    say(f"{len(runs)} runs planned, {report.skipped} already in {report.results_path}, {len(todo)} to run")
    commit = git_commit()
    dirty = git_dirty()
    data_dir = None if data_dir is None else str(data_dir)

    def record(run: BenchRun, outcome: dict) -> None:
        if "ok" in outcome:
            outcome["ok"]["uncommitted_changes"] = dirty
            append_record(report.results_path, outcome["ok"])
            report.ran += 1
            rec = outcome["ok"]
            say(f"[{report.ran + len(report.failed)}/{len(todo)}] {_describe(run)}: accuracy {rec['accuracy']:.4f}, "
                f"{rec['seconds']:.1f}s")  # fmt: skip
        else:
            report.failed.append((run.key, outcome["error"]))
            say(f"FAILED {_describe(run)}: {outcome['error']}")

    if jobs == 1 or len(todo) <= 1:
        for run in todo:
            record(run, worker(run, data_dir, out_dir, commit, keep_models))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=init_worker) as pool:
            futures = {pool.submit(worker, run, data_dir, out_dir, commit, keep_models): run for run in todo}
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except Exception as exc:  # a worker process died (killed, out of memory): the others go on
                    outcome = {"error": f"{type(exc).__name__}: {exc}"}
                record(futures[future], outcome)
    with contextlib.suppress(OSError):  # CNN runs train in OUT/tmp/<run>-*/ and remove it; drop the empty parent
        (out_dir / "tmp").rmdir()
    return report


def _describe(run: BenchRun) -> str:
    opts = ", ".join(f"{k}={v}" for k, v in run.options)
    vec = f" {run.vectors}" if run.method == CNN else ""
    return f"{run.dataset} {run.name}{vec} fold {run.fold} seed {run.seed}" + (f" [{opts}]" if opts else "")
