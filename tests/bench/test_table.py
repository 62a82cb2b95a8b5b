"""Markdown tables from results records: mean ± std, n, partial cells, notes, Kim's numbers, truncation."""

from __future__ import annotations

import pytest

from textcnn.bench.lengths import length_stats, render_length_table
from textcnn.bench.table import (
    KIM_2014,
    MISSING,
    accuracy_table,
    collect,
    kim_gap_table,
    paired_table,
    render_report,
    row_label,
    time_table,
    truncation_table,
)


def rec(dataset, accuracy, *, fold=0, seed=0, method="cnn", mode="static", vectors="glove-6b-50d", **extra):
    names = {"tfidf_lr": "TF-IDF+LR", "nbsvm": "NBSVM", "fasttext": "fastText"}
    return {
        "dataset": dataset,
        "method": method,
        "name": f"CNN-{mode}" if method == "cnn" else names[method],
        "mode": mode if method == "cnn" else None,
        "vectors": vectors if method == "cnn" else "-",
        "fold": fold,
        "seed": seed,
        "options": extra.pop("options", {}),
        "accuracy": accuracy,
        "seconds": extra.pop("seconds", 10.0),
        "commit": "abc1234",
        **extra,
    }


def _row(table: str, label: str) -> list[str]:
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in\n{table}")


def test_mean_std_n_and_partial_marks():
    records = [rec("mr", a, fold=f) for f, a in enumerate([0.80, 0.82, 0.84])]
    records += [rec("trec", 0.9), rec("trec", 0.92, seed=1)]
    row = _row(accuracy_table(records), "CNN-static, glove-6b-50d")
    mr, sst1, _, _, trec, *_ = row
    assert mr == "82.0 ± 2.0 (n=3, partial: 3/10 folds)"
    assert sst1 == MISSING
    assert trec == "91.0 ± 1.4 (n=2)"  # fixed test split: 1 fold is the whole protocol


def test_full_cv_cell_is_not_partial_and_single_run_has_no_std():
    records = [rec("cr", 0.8, fold=f) for f in range(10)] + [rec("sst2", 0.861)]
    row = _row(accuracy_table(records), "CNN-static, glove-6b-50d")
    assert row[5] == "80.0 ± 0.0 (n=10)"
    assert row[2] == "86.1 (n=1)"


def test_kim_rows_and_baselines_are_side_by_side():
    records = [rec("mr", 0.79, method="nbsvm"), rec("mr", 0.78, method="tfidf_lr"), rec("mr", 0.7, mode="rand")]
    table = accuracy_table(records)
    assert _row(table, "Kim (2014) CNN-non-static") == [f"{v:.1f}" for v in KIM_2014["CNN-non-static"].values()]
    assert _row(table, "NBSVM")[0].startswith("79.0")
    labels = [line.split("|")[1].strip() for line in table.splitlines()[2:] if line.startswith("|")]
    assert labels.index("CNN-rand") < labels.index("TF-IDF+LR") < labels.index("NBSVM")  # CNN first, then baselines


def test_data_options_and_epochs_become_notes_and_other_options_split_rows():
    sst = {"data.options.phrases": False}
    records = [
        rec("sst2", 0.85, options=sst),
        rec("sst2", 0.80, options={**sst, "train.early_stopping": 5}),
        rec("mr", 0.75, options={"train.early_stopping": 5}),
        rec("sst1", 0.45, options={"train.epochs": 10}),
    ]
    table = accuracy_table(records)
    assert _row(table, "CNN-static, glove-6b-50d")[2] == "85.0 (n=1) [a]"
    assert _row(table, "CNN-static, glove-6b-50d")[1] == "45.0 (n=1) [b]"
    assert _row(table, "CNN-static, glove-6b-50d [train.early_stopping=5]")[0].startswith("75.0")
    assert "[a] data.options.phrases=false" in table and "[b] train.epochs=10" in table


def test_one_row_with_two_data_variants_gets_a_row_per_variant():
    records = [rec("20ng", 0.6, options={"data.max_len": 400}), rec("20ng", 0.5, options={"data.max_len": 100})]
    rows, cells = collect(records, ["20ng"])
    assert rows == ["CNN-static, glove-6b-50d {data.max_len=100}", "CNN-static, glove-6b-50d {data.max_len=400}"]
    assert cells[(rows[1], "20ng")].mean == pytest.approx(60.0)
    table = accuracy_table(records, [("20ng", "20NG")], kim=False)
    assert _row(table, rows[0]) == ["50.0 (n=1)"]  # the variant is in the label, not repeated as a note
    assert "[a]" not in table


def test_row_labels():
    assert row_label(rec("mr", 0.7, mode="rand", vectors="none")) == "CNN-rand"
    assert row_label(rec("mr", 0.7, mode="multichannel", vectors="w2v-indomain-100d")) == (
        "CNN-multichannel, w2v-indomain-100d"
    )
    assert row_label(rec("mr", 0.7, method="fasttext")) == "fastText"


def test_time_and_truncation_tables():
    records = [
        rec("20ng", 0.6, options={"data.max_len": 400}, max_len=400, truncated_train=30, num_train=100,
            truncated_test=20, num_test=50, seconds=30.0),
        rec("20ng", 0.5, options={"data.max_len": 100}, max_len=100, truncated_train=60, num_train=100,
            truncated_test=25, num_test=50),
        rec("mr", 0.8, seconds=4.0),
        rec("mr", 0.8, fold=1, seconds=6.0),
    ]  # fmt: skip
    assert _row(time_table(records), "CNN-static, glove-6b-50d")[0] == "5.0"
    trunc = truncation_table(records)
    assert "| 20ng | CNN-static, glove-6b-50d | 100 | 50.0 (n=1) | 60.0% | 50.0% | 10 |" in trunc
    assert "| 20ng | CNN-static, glove-6b-50d | 400 | 60.0 (n=1) | 30.0% | 40.0% | 30 |" in trunc
    assert truncation_table(records[2:]).startswith("No CNN runs")


def test_render_report_has_every_section_and_ignores_records_without_accuracy():
    text = render_report([rec("mr", 0.8), {"dataset": "mr", "method": "cnn"}])
    for heading in ("### Kim (2014) datasets", "### Long documents", "### Training time", "### Truncation"):
        assert heading in text
    assert "2 runs; commit(s): abc1234, unknown" in text
    assert _row(text, "CNN-static, glove-6b-50d")[0] == "80.0 (n=1, partial: 1/10 folds)"


def test_length_stats_on_trec(data_dir):
    stats = length_stats("trec", data_dir, max_lens=[5, 1000])
    train = stats["splits"]["train"]
    assert train["n"] == 4906  # 5452 less the 10% dev hold-out
    assert train["truncated"][1000] == 0.0 and 0.0 < train["truncated"][5] < 1.0
    assert train["max"] >= train["p99"] >= train["p90"] >= train["median"]
    table = render_length_table([stats])
    assert "| trec | test | 500 |" in table and "> 1000" in table
    with pytest.raises(ValueError, match="max_len must be >= 1, got 0"):
        length_stats("trec", data_dir, max_lens=[0])


def test_kim_gap_table_gives_gap_and_gain_over_rand():
    records = [rec("mr", 0.70, mode="rand", vectors="none"), rec("mr", 0.75, mode="rand", vectors="none", fold=1)]
    records += [rec("mr", 0.78), rec("mr", 0.80, fold=1), rec("cr", 0.80)]
    records += [rec("mr", 0.9, method="nbsvm")]
    table = kim_gap_table(records)
    # rand: 72.5 - 76.1; static: 79.0 - 81.0, and 79.0 - 72.5 over our rand beside Kim's 81.0 - 76.1
    assert _row(table, "CNN-rand")[0] == "-3.6"
    assert _row(table, "CNN-static, glove-6b-50d")[0] == "-2.0 / +6.5 (Kim +4.9)"
    assert _row(table, "CNN-static, glove-6b-50d")[5] == f"{80.0 - 84.7:+.1f} / {MISSING} (Kim +4.9)"
    with pytest.raises(AssertionError):
        _row(table, "NBSVM")
    assert kim_gap_table([rec("mr", 0.9, method="nbsvm")]) == "No CNN runs yet.\n"


def test_paired_table_subtracts_the_baseline_run_on_the_same_fold():
    records = [
        rec("mr", 0.80, fold=0, mode="non-static"),
        rec("mr", 0.70, fold=1, mode="non-static"),
        rec("mr", 0.72, fold=1, seed=1, mode="non-static"),  # a second seed pairs with the same baseline run
        rec("mr", 0.78, fold=0, method="nbsvm"),
        rec("mr", 0.69, fold=1, method="nbsvm"),
        rec("mr", 0.90, fold=5, mode="non-static"),  # no baseline on fold 5: left out, not paired with another fold
    ]
    row = _row(paired_table(records), "CNN-non-static, glove-6b-50d − NBSVM")
    # differences +2, +1, +3 points: mean 2.00, std 1.00, smallest +1.00
    assert row[0] == "+2.00 ± 1.00 (n=3, min +1.00)"
    assert row[1] == MISSING  # SST-1: no runs
    assert paired_table([rec("mr", 0.8)]).startswith("No CNN and baseline runs")


def test_paired_table_matches_seeds_and_subtracts_the_best_baseline_of_each_split():
    teacher = {"method": "teacher", "name": "Teacher", "mode": None, "vectors": "-"}
    records = [
        rec("trec", 0.90, seed=0, mode="non-static"),
        rec("trec", 0.93, seed=1, mode="non-static"),
        {**rec("trec", 0.95, seed=0), **teacher},
        {**rec("trec", 0.97, seed=1), **teacher},  # a teacher per seed: each CNN seed meets its own
        rec("trec", 0.89, method="nbsvm"),  # deterministic baselines: one run serves both seeds
        rec("trec", 0.91, method="tfidf_lr"),
        rec("trec", 0.88, seed=1, method="fasttext"),  # one seed only: serves both seeds too
    ]
    table = paired_table(records)
    assert _row(table, "CNN-non-static, glove-6b-50d − Teacher")[4] == "-4.50 ± 0.71 (n=2, min -5.00)"
    assert _row(table, "CNN-non-static, glove-6b-50d − NBSVM")[4] == "+2.50 ± 2.12 (n=2, min +1.00)"
    # the best baseline of the split is TF-IDF+LR (91), never the teacher: -1 and +2 points
    assert _row(table, "CNN-non-static, glove-6b-50d − best baseline (per split)")[4] == "+0.50 ± 2.12 (n=2, min -1.00)"


def test_a_hybrid_run_also_gives_the_row_of_its_cnn_alone():
    hybrid = {"options": {"train.hybrid": "nbsvm"}}
    records = [
        rec("mr", 0.82, fold=0, mode="non-static", cnn_accuracy=0.79, **hybrid),
        rec("mr", 0.84, fold=1, mode="non-static", cnn_accuracy=0.77, **hybrid),
        rec("mr", 0.80, fold=0, method="nbsvm"),
        rec("mr", 0.78, fold=1, method="nbsvm"),
        rec("mr", 0.75, fold=0, mode="non-static"),  # a plain CNN run stays its own row: never mixed with a part
    ]
    label = "CNN-non-static, glove-6b-50d [train.hybrid=nbsvm]"
    table = accuracy_table(records)
    assert _row(table, label)[0] == "83.0 ± 1.4 (n=2, partial: 2/10 folds)"
    assert _row(table, label + " (its CNN alone)")[0] == "78.0 ± 1.4 (n=2, partial: 2/10 folds)"
    assert _row(table, "CNN-non-static, glove-6b-50d")[0] == "75.0 (n=1, partial: 1/10 folds)"
    # paired on the same folds: the CNN alone is -1 and -1 points from NBSVM, the hybrid +2 and +6
    paired = paired_table(records)
    assert _row(paired, f"{label} (its CNN alone) − NBSVM")[0] == "-1.00 ± 0.00 (n=2, min -1.00)"
    assert _row(paired, f"{label} − NBSVM")[0] == "+4.00 ± 2.83 (n=2, min +2.00)"
