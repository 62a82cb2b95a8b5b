"""Markdown tables of benchmark results: mean +- std over folds and seeds, with the number of runs, beside Kim's
(2014) published accuracies.

A row is a method (``CNN-static, glove-6b-50d``, ``NBSVM``, ...) plus any non-data options of its runs; data options
(``data.options.phrases=false``, ``data.max_len=400``) and the epoch budget (``train.epochs=10``) are shown as lettered
notes on the cells. A cell with fewer
test folds than the protocol (10-fold CV; one test split) is marked partial; a cell without runs shows "–".
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from textcnn.utils.tables import markdown_table

KIM_COLUMNS = (("mr", "MR"), ("sst1", "SST-1"), ("sst2", "SST-2"), ("subj", "Subj"), ("trec", "TREC"),
               ("cr", "CR"), ("mpqa", "MPQA"))  # fmt: skip
LONG_COLUMNS = (("20ng", "20 Newsgroups"), ("ag_news", "AG News (20k train subset)"))
# Kim (2014), Table 2: test accuracy (%); CV datasets are 10-fold means.
KIM_2014: dict[str, dict[str, float]] = {
    "CNN-rand": {"mr": 76.1, "sst1": 45.0, "sst2": 82.7, "subj": 89.6, "trec": 91.2, "cr": 79.8, "mpqa": 83.4},
    "CNN-static": {"mr": 81.0, "sst1": 45.5, "sst2": 86.8, "subj": 93.0, "trec": 92.8, "cr": 84.7, "mpqa": 89.6},
    "CNN-non-static": {"mr": 81.5, "sst1": 48.0, "sst2": 87.2, "subj": 93.4, "trec": 93.6, "cr": 84.3, "mpqa": 89.5},
    "CNN-multichannel": {"mr": 81.1, "sst1": 47.4, "sst2": 88.1, "subj": 93.2, "trec": 92.2, "cr": 85.0,
                         "mpqa": 89.4},
}  # fmt: skip
MISSING = "–"
_METHOD_ORDER = {"cnn": 0, "tfidf_lr": 1, "tfidf_svm": 2, "nbsvm": 3, "fasttext": 4, "teacher": 5}
CELL_NOTE_KEYS = frozenset({"train.epochs"})
_MODE_ORDER = {"rand": 0, "static": 1, "non-static": 2, "multichannel": 3}


@dataclass
class Cell:
    """The runs of one row on one dataset."""

    accuracies: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    folds: set[int] = field(default_factory=set)
    seeds: set[int] = field(default_factory=set)
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.accuracies)

    @property
    def mean(self) -> float:
        return 100.0 * statistics.fmean(self.accuracies)

    @property
    def std(self) -> float:
        return 100.0 * statistics.stdev(self.accuracies) if self.n > 1 else 0.0


def expected_folds(dataset: str) -> int:
    """Test folds of the protocol: the dataset's CV folds, or 1 for a fixed test split."""
    from textcnn.data.registry import get_dataset_spec

    try:
        return get_dataset_spec(dataset).num_folds or 1
    except ValueError:
        return 1


def _is_cell_note(key: str) -> bool:
    """Options shown as a lettered note on each cell instead of a separate row: the data options and the epoch
    budget (set per dataset, e.g. fewer epochs for SST's 159k training phrases)."""
    return key.startswith("data.") or key in CELL_NOTE_KEYS


def _split_options(record: dict) -> tuple[str, str]:
    """``(row options, cell-note options)`` of a record as display strings."""
    options = record.get("options") or {}
    row = ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(options.items()) if not _is_cell_note(k))
    data = ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(options.items()) if _is_cell_note(k))
    return row, data


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


#: Suffix of the row made of the CNN parts of hybrid runs (``train.hybrid=...``).
CNN_PART = " (its CNN alone)"


def row_label(record: dict) -> str:
    """``CNN-static, glove-6b-50d`` / ``CNN-rand`` / ``NBSVM``, plus ``[non-data options]`` if any, plus
    :data:`CNN_PART` for the CNN part of a hybrid run (see :func:`with_cnn_parts`)."""
    if record.get("method") == "cnn":
        label = f"CNN-{record['mode']}"
        if record.get("mode") != "rand":
            label += f", {record.get('vectors')}"
    else:
        label = record.get("name") or record.get("method", "?")
    options, _ = _split_options(record)
    label = f"{label} [{options}]" if options else label
    return label + CNN_PART if record.get("cnn_part") else label


def with_cnn_parts(records: Iterable[dict]) -> list[dict]:
    """The records, each hybrid run (one with ``cnn_accuracy``) followed by a record of its CNN alone: the same
    run's CNN, scored on the same test split before its probabilities were mixed with the linear model's, so one
    hybrid run gives both rows."""
    out = []
    for rec in records:
        out.append(rec)
        if isinstance(rec.get("cnn_accuracy"), int | float):
            out.append({**rec, "accuracy": rec["cnn_accuracy"], "cnn_part": True})
    return out


def _row_order(record: dict) -> tuple:
    return (
        _METHOD_ORDER.get(record.get("method"), 9),
        _MODE_ORDER.get(record.get("mode"), 9),
        str(record.get("vectors")),
        row_label(record),
    )


def collect(records: Iterable[dict], datasets: Iterable[str]) -> tuple[list[str], dict[tuple[str, str], Cell]]:
    """Group records of ``datasets`` into cells: ``(row labels in display order, {(row, dataset): cell})``.

    Where one row has runs with different data options on one dataset, each variant gets its own row
    (``row {data options}``).
    """
    wanted = set(datasets)
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    order: dict[str, tuple] = {}
    for rec in with_cnn_parts(records):
        if rec.get("dataset") not in wanted or not isinstance(rec.get("accuracy"), int | float):
            continue
        label = row_label(rec)
        groups[(label, rec["dataset"], _split_options(rec)[1])].append(rec)
        order.setdefault(label, _row_order(rec))
    variants: dict[tuple[str, str], list[str]] = defaultdict(list)
    for label, dataset, data_opts in groups:
        variants[(label, dataset)].append(data_opts)
    cells: dict[tuple[str, str], Cell] = {}
    rows: dict[str, tuple] = {}
    for (label, dataset, data_opts), recs in groups.items():
        single = len(variants[(label, dataset)]) == 1
        name = label if single else f"{label} {{{data_opts or 'defaults'}}}"
        rows.setdefault(name, (*order[label], name))
        cell = cells.setdefault((name, dataset), Cell(note=data_opts if single else ""))  # else the label says it
        for rec in recs:
            cell.accuracies.append(float(rec["accuracy"]))
            cell.seconds.append(float(rec.get("seconds") or 0.0))
            cell.folds.add(int(rec.get("fold", 0)))
            cell.seeds.add(int(rec.get("seed", 0)))
    return sorted(rows, key=rows.__getitem__), cells


def format_cell(cell: Cell | None, dataset: str) -> str:
    """``81.2 ± 0.9 (n=3, partial: 3/10 folds)``, ``86.0 (n=1)`` or "–"."""
    if cell is None or cell.n == 0:
        return MISSING
    text = f"{cell.mean:.1f} ± {cell.std:.1f}" if cell.n > 1 else f"{cell.mean:.1f}"
    need = expected_folds(dataset)
    detail = f"n={cell.n}"
    if len(cell.folds) < need:
        detail += f", partial: {len(cell.folds)}/{need} folds"
    return f"{text} ({detail})"


def _notes(cells: dict[tuple[str, str], Cell]) -> dict[str, str]:
    """Letters for the distinct data options of the cells: ``{"data.options.phrases=false": "a"}``."""
    distinct = sorted({c.note for c in cells.values() if c.note})
    return {note: chr(ord("a") + i) for i, note in enumerate(distinct)}


def accuracy_table(records: Iterable[dict], columns=KIM_COLUMNS, *, kim: bool = True) -> str:
    """Accuracy (%) mean ± std per row and dataset, Kim's numbers on top (``kim=True``), notes below."""
    rows, cells = collect(records, [c for c, _ in columns])
    letters = _notes(cells)
    body = []
    if kim:
        for name, values in KIM_2014.items():
            body.append([f"Kim (2014) {name}", *(f"{values[c]:.1f}" if c in values else MISSING for c, _ in columns)])
    for row in rows:
        out = [row]
        for dataset, _ in columns:
            cell = cells.get((row, dataset))
            text = format_cell(cell, dataset)
            if cell is not None and cell.note:
                text += f" [{letters[cell.note]}]"
            out.append(text)
        body.append(out)
    table = markdown_table(["", *(title for _, title in columns)], body)
    if letters:
        table += "\n" + "\n".join(f"[{letter}] {note}" for note, letter in letters.items()) + "\n"
    return table


def time_table(records: Iterable[dict], columns=KIM_COLUMNS) -> str:
    """Mean training seconds per run (the CNN: data loading, vocabulary, training with early stopping and scoring;
    the baselines: vectorizing and fitting, dev selection included)."""
    rows, cells = collect(records, [c for c, _ in columns])
    body = []
    for row in rows:
        out = [row]
        for dataset, _ in columns:
            cell = cells.get((row, dataset))
            out.append(f"{statistics.fmean(cell.seconds):.1f}" if cell is not None and cell.n else MISSING)
        body.append(out)
    return markdown_table(["seconds per run", *(title for _, title in columns)], body)


def truncation_table(records: Iterable[dict]) -> str:
    """CNN accuracy by ``max_len`` with the share of truncated train/test examples (runs with a ``max_len``)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for rec in records:
        if rec.get("method") == "cnn" and rec.get("max_len") and isinstance(rec.get("accuracy"), int | float):
            groups[(rec["dataset"], row_label(rec), rec["max_len"])].append(rec)
    body = []
    for (dataset, label, max_len), recs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        cell = Cell(accuracies=[r["accuracy"] for r in recs], folds={int(r.get("fold", 0)) for r in recs})
        train_share = _share(recs, "truncated_train", "num_train")
        test_share = _share(recs, "truncated_test", "num_test")
        seconds = statistics.fmean(float(r.get("seconds") or 0.0) for r in recs)
        body.append([dataset, label, str(max_len), format_cell(cell, dataset), train_share, test_share,
                     f"{seconds:.0f}"])  # fmt: skip
    if not body:
        return "No CNN runs with a max_len yet.\n"
    header = ["dataset", "model", "max_len", "accuracy (%)", "train truncated", "test truncated", "s/run"]
    return markdown_table(header, body)


def _share(recs: list[dict], count_key: str, total_key: str) -> str:
    counts = [(r.get(count_key), r.get(total_key)) for r in recs]
    if any(c is None or not t for c, t in counts):
        return MISSING
    return f"{100.0 * sum(c for c, _ in counts) / sum(t for _, t in counts):.1f}%"


def _mode_of(label: str) -> str | None:
    """``static`` from ``CNN-static, glove-6b-50d [opts]``; ``None`` for a baseline row."""
    if not label.startswith("CNN-"):
        return None
    return label[4:].split(",")[0].split(" ")[0]


def _options_suffix(label: str) -> str:
    """`` [opts] {data}`` after the method and vectors of a row label, or ``""``."""
    head = label.split(" [", 1)
    if len(head) == 2:
        return " [" + head[1]
    head = label.split(" {", 1)
    return " {" + head[1] if len(head) == 2 else ""


def kim_gap_table(records: Iterable[dict], columns=KIM_COLUMNS) -> str:
    """How far each CNN row is from Kim's number for its mode, and how much its vectors add over ``rand``.

    A cell reads ``-4.2 / +3.1 (Kim +4.9)``: our mean minus Kim's (same mode), then, for the pretrained modes, our
    mean minus our ``rand`` row with the same options, beside Kim's mode-minus-rand. Where ``rand`` is close to
    Kim's and the gain is smaller than his, the shortfall is the vectors; a ``rand`` gap is not.
    """
    rows, cells = collect(records, [c for c, _ in columns])
    body = []
    for row in rows:
        mode = _mode_of(row)
        if mode is None or f"CNN-{mode}" not in KIM_2014:
            continue
        kim = KIM_2014[f"CNN-{mode}"]
        rand = "CNN-rand" + _options_suffix(row)
        out = [row]
        for dataset, _ in columns:
            cell = cells.get((row, dataset))
            if cell is None or cell.n == 0 or dataset not in kim:
                out.append(MISSING)
                continue
            text = f"{cell.mean - kim[dataset]:+.1f}"
            base = cells.get((rand, dataset))
            if mode != "rand":
                gain = f"{cell.mean - base.mean:+.1f}" if base is not None and base.n else MISSING
                text += f" / {gain} (Kim {kim[dataset] - KIM_2014['CNN-rand'][dataset]:+.1f})"
            out.append(text)
        body.append(out)
    if not body:
        return "No CNN runs yet.\n"
    return markdown_table(["ours − Kim / gain over rand (Kim's gain)", *(title for _, title in columns)], body)


#: The label of the paired row against the best baseline of each split.
BEST_BASELINE = "best baseline (per split)"


def paired_differences(records: Iterable[dict], columns=KIM_COLUMNS) -> dict[tuple[str, str], dict[str, list[float]]]:
    """Each CNN row minus each baseline on the same test splits, in points, run by run:
    ``{(cnn row, baseline row): {dataset: [differences]}}``, in display order (the CNN rows, each with the baselines,
    then :data:`BEST_BASELINE` when there are two or more linear baselines).

    A CNN run is paired with the baseline's run on its fold and seed, or, for a baseline run with one seed only (the
    deterministic TF-IDF+LR and NBSVM), with that run. :data:`BEST_BASELINE` subtracts the best baseline of each
    split (the highest of the TF-IDF, NBSVM and fastText runs on it; a teacher is not a baseline)."""
    wanted = {c for c, _ in columns}
    baseline: dict[tuple[str, str, int, int], float] = {}
    seeds: dict[tuple[str, str, int], set[int]] = defaultdict(set)
    teachers: set[str] = set()
    cnn: dict[tuple[str, str], list[dict]] = defaultdict(list)
    order: dict[str, tuple] = {}
    for rec in with_cnn_parts(records):
        if rec.get("dataset") not in wanted or not isinstance(rec.get("accuracy"), int | float):
            continue
        label = row_label(rec)
        order.setdefault(label, _row_order(rec))
        if rec.get("method") == "cnn":
            cnn[(label, rec["dataset"])].append(rec)
            continue
        fold, seed = int(rec.get("fold", 0)), int(rec.get("seed", 0))
        baseline.setdefault((label, rec["dataset"], fold, seed), float(rec["accuracy"]))
        seeds[(label, rec["dataset"], fold)].add(seed)
        if rec.get("method") == "teacher":
            teachers.add(label)

    def score(base: str, run: dict) -> float | None:
        """``base``'s accuracy on ``run``'s split: its run with the same seed, or its only run there."""
        dataset, fold, seed = run["dataset"], int(run.get("fold", 0)), int(run.get("seed", 0))
        found = seeds.get((base, dataset, fold), set())
        if seed not in found and len(found) == 1:
            seed = next(iter(found))
        return baseline.get((base, dataset, fold, seed))

    baselines = sorted({b for b, _, _, _ in baseline}, key=order.__getitem__)
    linear = [b for b in baselines if b not in teachers]
    out: dict[tuple[str, str], dict[str, list[float]]] = {}
    for row in sorted({label for label, _ in cnn}, key=order.__getitem__):
        for base in [*baselines, BEST_BASELINE] if len(linear) > 1 else baselines:
            per_dataset = out.setdefault((row, base), {})
            for dataset, _ in columns:
                diffs = []
                for run in cnn.get((row, dataset), []):
                    if base == BEST_BASELINE:
                        other = max((x for x in (score(b, run) for b in linear) if x is not None), default=None)
                    else:
                        other = score(base, run)
                    if other is not None:
                        diffs.append(100.0 * (float(run["accuracy"]) - other))
                per_dataset[dataset] = diffs
    return out


def paired_table(records: Iterable[dict], columns=KIM_COLUMNS) -> str:
    """Each CNN row minus each baseline on the same test splits (:func:`paired_differences`), in points: the mean ±
    std of the per-run differences, ``n`` pairs, and the smallest difference. A difference larger than its std is
    the target of issue #13; the pairing removes the fold-to-fold spread both methods share."""
    body = [
        [f"{row} − {base}", *(_paired_cell(diffs[dataset]) for dataset, _ in columns)]
        for (row, base), diffs in paired_differences(records, columns).items()
    ]
    if not body:
        return "No CNN and baseline runs on the same splits yet.\n"
    return markdown_table(["paired difference (points)", *(title for _, title in columns)], body)


def _paired_cell(diffs: list[float]) -> str:
    if not diffs:
        return MISSING
    if len(diffs) == 1:
        return f"{diffs[0]:+.2f} (n=1)"
    return f"{statistics.fmean(diffs):+.2f} ± {statistics.stdev(diffs):.2f} (n={len(diffs)}, min {min(diffs):+.2f})"


def render_report(records: list[dict]) -> str:
    """All tables of a results file as one markdown document."""
    commits = sorted({str(r.get("commit", "unknown")) for r in records})
    parts = [
        f"{len(records)} runs; commit(s): {', '.join(commits) or 'none'}. Accuracy in %, mean ± std over folds and "
        "seeds, n = runs; 'partial' = fewer test folds than the protocol; – = not run.\n",
        "### Kim (2014) datasets\n",
        accuracy_table(records, KIM_COLUMNS),
        "\n### CNN rows against the baselines, paired on the same test splits (points)\n",
        paired_table(records, KIM_COLUMNS),
        "\n### Against Kim: the gap, and what the vectors add over rand (points)\n",
        kim_gap_table(records, KIM_COLUMNS),
        "\n### Long documents\n",
        accuracy_table(records, LONG_COLUMNS, kim=False),
        "\n### Training time\n",
        time_table(records, KIM_COLUMNS),
        "\n" + time_table(records, LONG_COLUMNS),
        "\n### Truncation\n",
        truncation_table(records),
    ]
    return "\n".join(parts)
