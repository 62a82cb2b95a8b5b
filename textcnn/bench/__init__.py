"""Accuracy benchmark: Kim (2014) CNNs beside TF-IDF+LR, NBSVM and fastText on the same splits.

``plan_runs`` lists the runs, ``run_benchmark`` runs those not yet in ``results.jsonl`` (appending one line per
finished run), ``render_report`` turns the results into markdown tables next to Kim's published numbers.
"""

from textcnn.bench.execute import execute_run
from textcnn.bench.lengths import length_stats, render_length_table
from textcnn.bench.results import RESULTS_FILE, BenchRun, append_record, git_commit, read_results, run_key
from textcnn.bench.runner import METHODS, BenchReport, plan_runs, quick_plan, run_benchmark
from textcnn.bench.table import KIM_2014, accuracy_table, render_report, time_table, truncation_table

__all__ = [
    "KIM_2014",
    "METHODS",
    "RESULTS_FILE",
    "BenchReport",
    "BenchRun",
    "accuracy_table",
    "append_record",
    "execute_run",
    "git_commit",
    "length_stats",
    "plan_runs",
    "quick_plan",
    "read_results",
    "render_length_table",
    "render_report",
    "run_benchmark",
    "run_key",
    "time_table",
    "truncation_table",
]
