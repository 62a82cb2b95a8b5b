"""One benchmark run: a Kim CNN through :func:`textcnn.classify.train.train_text_classifier` (with in-domain word2vec
trained on the fold's training split when asked), or a baseline on the same ``load_dataset`` splits."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from textcnn.bench.configs import TEACHER_PREFIX, build_config, w2v_dim
from textcnn.bench.results import CNN, TEACHER, BenchRun

# In-domain word2vec (``--vectors w2v-indomain``): skip-gram, which suits small corpora, with more passes than
# gensim's default 5 because a fold's training split is only thousands of sentences.
W2V_SETTINGS = {"sg": 1, "window": 5, "min_count": 1, "epochs": 10}
#: ``--set distill.teacher=runner``: each CNN run is distilled from the teacher the runner trained on its dataset and
#: fold (method ``teacher``, seed 0), found in ``OUT/teachers/`` (see :func:`teacher_dir`).
RUNNER_TEACHER_KEY, RUNNER_TEACHER = "distill.teacher", "runner"


def _w2v_vectors(run: BenchRun, config, out_dir: Path) -> tuple[str, float]:
    """Train (or reuse) in-domain word2vec on the fold's training texts; ``(path, seconds spent training)``."""
    from textcnn.classify.train import load_splits
    from textcnn.text.word2vec import train_word2vec

    dim = w2v_dim(run.vectors)
    data_opts = {k: v for k, v in run.options if k.startswith("data.") and k != "data.max_len"}
    tag = hashlib.sha1(json.dumps(data_opts, sort_keys=True, default=str).encode()).hexdigest()[:8]
    path = out_dir / "w2v" / f"{run.dataset}-{tag}-fold{run.fold}-seed{run.seed}-{dim}d.bin"
    if path.is_file():
        return str(path), 0.0
    start = time.perf_counter()
    splits = load_splits(config)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    train_word2vec(
        list(splits.train.texts),
        tmp,
        tokenizer="kim",
        lowercase=config.tokenizer.lowercase,
        dim=dim,
        seed=run.seed,
        workers=1,
        **W2V_SETTINGS,
    )
    os.replace(tmp, path)  # concurrent runs of the same fold write the same file; the last rename wins
    return str(path), time.perf_counter() - start


def teacher_dir(out_dir: Path, dataset: str, fold: int, seed: int = 0) -> Path:
    """Where the runner keeps the teacher of ``(dataset, fold, seed)``: ``OUT/teachers/DATASET-fFOLD-sSEED``."""
    return Path(out_dir) / "teachers" / f"{dataset}-f{fold}-s{seed}"


def check_teacher_options(per_dataset: dict[str, dict[str, object]]) -> None:
    """Refuse a plan with the ``teacher`` method but no ``teacher.encoder``, or a ``teacher.*`` key that
    :class:`~textcnn.distill.teacher.TeacherConfig` does not have (named)."""
    from dataclasses import fields

    from textcnn.distill.teacher import TeacherConfig

    names = {f.name for f in fields(TeacherConfig)} - {"seed", "num_threads", "device"}  # the runner sets those
    for dataset, options in per_dataset.items():
        for key in (k for k in options if k.startswith(TEACHER_PREFIX)):
            if key.removeprefix(TEACHER_PREFIX) not in names:
                raise ValueError(
                    f"override {key}: the teacher has no such setting; settable: {', '.join(sorted(names))}"
                )
        if f"{TEACHER_PREFIX}encoder" not in options:
            raise ValueError(
                f"method teacher needs --set teacher.encoder=DIR (a local Hugging Face encoder); {dataset} has none"
            )


#: The data settings that make a split: a teacher is reused (or distilled from) only on the split it was trained on.
SPLIT_KEYS = ("dataset", "fold", "split_seed", "dev_fraction", "options")


def check_same_split(folder: Path, config) -> None:
    """Refuse a teacher of ``folder`` whose data settings (:data:`SPLIT_KEYS`) differ from ``config``'s, naming them."""
    from textcnn.distill.teacher import read_teacher_meta

    theirs = read_teacher_meta(folder).get("data", {})
    ours = config.to_dict()["data"]
    differ = [k for k in SPLIT_KEYS if theirs.get(k) != ours.get(k)]
    if differ:
        shown = ", ".join(f"data.{k} {theirs.get(k)!r} (here {ours.get(k)!r})" for k in differ)
        raise ValueError(f"the teacher in {folder} was trained on another split: {shown}")


def _run_teacher(run: BenchRun, data_dir: str | None, out_dir: Path) -> dict:
    """Fine-tune (or reuse, when its folder is complete with the same settings) the teacher of the run's fold."""
    import dataclasses

    from textcnn.distill.teacher import TeacherConfig, is_teacher_dir, read_teacher_meta
    from textcnn.distill.teacher_train import train_teacher

    options = dict(run.options)
    given = {k.removeprefix(TEACHER_PREFIX): v for k, v in options.items() if k.startswith(TEACHER_PREFIX)}
    settings = dataclasses.replace(TeacherConfig(), **given, seed=run.seed, num_threads=1, device="cpu")
    data_options = {k: v for k, v in options.items() if not k.startswith(TEACHER_PREFIX)}
    config = build_config(run.dataset, "rand", fold=run.fold, seed=run.seed, vectors=None, options=data_options,
                          data_dir=data_dir)  # fmt: skip
    folder = teacher_dir(out_dir, run.dataset, run.fold, run.seed)
    wanted = {k: v for k, v in dataclasses.asdict(settings).items() if k not in ("num_threads", "device")}
    if is_teacher_dir(folder):
        check_same_split(folder, config)
        kept = {k: v for k, v in read_teacher_meta(folder)["teacher"].items() if k in wanted}
        if kept != wanted:
            raise ValueError(f"{folder} holds a teacher trained with other settings ({kept}); move it away to retrain")
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    else:
        metrics = train_teacher(config, settings, folder, echo=None, overwrite=True)
    test = metrics["test"]
    return {
        "accuracy": test["accuracy"],
        "macro_f1": test["macro_f1"],
        "epochs": len(metrics["history"]),
        "best_epoch": metrics["best_epoch"],
        "seconds": round(metrics["seconds"], 2),
        "seconds_per_epoch": round(metrics["seconds_per_epoch"], 2),
        "test_texts_per_s": round(test["texts_per_s"], 1),
        "num_train": metrics["splits"]["train"],
        "num_test": test["n"],
        "teacher_dir": str(folder),
    }


def _run_cnn(run: BenchRun, data_dir: str | None, out_dir: Path, keep_models: bool) -> dict:
    from textcnn.classify.train import train_text_classifier
    from textcnn.distill.teacher import is_teacher_dir

    options = dict(run.options)
    if options.get(RUNNER_TEACHER_KEY) == RUNNER_TEACHER:
        folder = teacher_dir(out_dir, run.dataset, run.fold)
        if not is_teacher_dir(folder):
            raise ValueError(f"{RUNNER_TEACHER_KEY}={RUNNER_TEACHER}: no teacher in {folder}; run the teacher method "
                             "for this dataset and fold first (same --out)")  # fmt: skip
        options[RUNNER_TEACHER_KEY] = str(folder)
    vectors = None if run.mode == "rand" else run.vectors
    config = build_config(run.dataset, run.mode, fold=run.fold, seed=run.seed, vectors=vectors, options=options,
                          data_dir=data_dir)  # fmt: skip
    if config.distill.teacher is not None and is_teacher_dir(config.distill.teacher):
        check_same_split(Path(config.distill.teacher), config)
    extra: dict = {}
    if w2v_dim(run.vectors) is not None and run.mode != "rand":
        path, seconds = _w2v_vectors(run, config, out_dir)
        config.embeddings.vectors = path
        extra.update(w2v_seconds=round(seconds, 2), w2v={"dim": w2v_dim(run.vectors), **W2V_SETTINGS})
    if keep_models:
        model_dir = out_dir / "models" / _slug(run)
        metrics = train_text_classifier(config, model_dir, echo=None).metrics
        extra["model_dir"] = str(model_dir)
    else:
        (out_dir / "tmp").mkdir(parents=True, exist_ok=True)
        model_dir = Path(tempfile.mkdtemp(prefix=f"{_slug(run)}-", dir=out_dir / "tmp"))
        try:
            metrics = train_text_classifier(config, model_dir, echo=None).metrics
        finally:
            shutil.rmtree(model_dir, ignore_errors=True)
    sizes = metrics.get("splits", {})
    test = metrics["test"]
    emb = metrics.get("embeddings") or {}
    return {
        "accuracy": test["accuracy"],
        "macro_f1": test["macro_f1"],
        "epochs": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "seconds": round(metrics["seconds"], 2),
        "max_len": config.data.max_len,
        "truncated_train": metrics.get("truncated_train_examples", 0),
        "truncated_test": test.get("truncated_examples", 0),
        "num_train": sizes.get("train"),
        "num_test": test.get("n"),
        "vector_coverage": round((emb["found"] + emb["lower_found"]) / emb["total"], 4) if emb.get("total") else None,
        **_parts(metrics),
        **extra,
    }


def _parts(metrics: dict) -> dict:
    """What a hybrid's or a distilled student's record adds: the CNN's own test accuracy beside the hybrid's, the
    transfer set's size."""
    out = {}
    if "hybrid" in metrics:
        out["cnn_accuracy"] = metrics["cnn"]["test"]["accuracy"]
    if "distill" in metrics:
        out["augmented_texts"] = metrics["distill"]["augmented_texts"]
    return out


def _run_baseline(run: BenchRun, data_dir: str | None) -> dict:
    from textcnn.bench.baselines import run_baseline
    from textcnn.classify.train import load_splits

    config = build_config(run.dataset, "rand", fold=run.fold, seed=run.seed, vectors=None,
                          options=dict(run.options), data_dir=data_dir)  # fmt: skip
    start = time.perf_counter()
    splits = load_splits(config)
    load_seconds = time.perf_counter() - start
    result, accuracy = run_baseline(run.method, splits, lowercase=config.tokenizer.lowercase, seed=run.seed)
    return {
        "accuracy": accuracy,
        "epochs": result.epochs,
        "seconds": round(result.seconds, 2),
        "load_seconds": round(load_seconds, 2),
        "chosen": result.chosen,
        "num_train": len(splits.train),
        "num_test": len(splits.test),
        "tokenization": "kim_clean" + (" (lower-cased)" if config.tokenizer.lowercase else " (case kept)"),
    }


def _slug(run: BenchRun) -> str:
    """``mr-cnn-non-static-glove-6b-50d-f0-s0``, plus ``-o`` and a hash of the run's options when it has any (two runs
    that differ only by options, e.g. ``train.hybrid``, keep two model folders)."""
    slug = f"{run.dataset}-{run.method}-{run.mode or 'x'}-{run.vectors.replace('/', '_')[-40:]}-f{run.fold}-s{run.seed}"
    if not run.options:
        return slug
    digest = hashlib.sha1(run.key.encode()).hexdigest()[:8]  # the run's identity in the results file
    return f"{slug}-o{digest}"


def execute_run(run: BenchRun, data_dir: str | None, out_dir: str | Path, commit: str, keep_models: bool) -> dict:
    """Run one benchmark run and return its results record (no file is written here)."""
    out_dir = Path(out_dir)
    start = time.perf_counter()
    if run.method == CNN:
        fields = _run_cnn(run, data_dir, out_dir, keep_models)
    elif run.method == TEACHER:
        fields = _run_teacher(run, data_dir, out_dir)
    else:
        fields = _run_baseline(run, data_dir)
    return {
        **run.to_dict(),
        "name": run.name,
        **fields,
        "wall_seconds": round(time.perf_counter() - start, 2),
        "commit": commit,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def init_worker() -> None:
    """One thread per worker process for torch and the BLAS/OpenMP pools scikit-learn uses."""
    import torch

    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass


def worker(run: BenchRun, data_dir, out_dir, commit, keep_models) -> dict:
    """:func:`execute_run` for a worker process: ``{"ok": record}`` or ``{"error": message, "trace": traceback}``."""
    try:
        return {"ok": execute_run(run, data_dir, out_dir, commit, keep_models)}
    except Exception as exc:  # reported per run; the other runs go on
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
