"""Accuracy benchmark: Kim (2014) Table 2 (mean +- std) beside TF-IDF+LR, NBSVM and fastText on the same splits.

A thin wrapper over ``textcnn bench`` (see ``textcnn bench --help`` and docs/benchmarks.md). Examples:

  TEXTCNN_DATA=../shared/data python scripts/bench_accuracy.py run --quick --out runs/bench-quick
  TEXTCNN_DATA=../shared/data python scripts/bench_accuracy.py run --datasets mr,cr --folds 0-2 --out runs/b
  python scripts/bench_accuracy.py table runs/bench/results.jsonl
"""

from textcnn.cli.bench import bench

if __name__ == "__main__":
    bench(prog_name="bench_accuracy.py")
