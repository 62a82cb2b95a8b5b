"""``textcnn bench plot``: the paired differences drawn as a PNG, from a results file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from textcnn.bench.plot import plot_paired
from textcnn.cli.main import cli

NAMES = {"cnn": "CNN-rand", "nbsvm": "NBSVM", "tfidf_lr": "TF-IDF+LR"}


def _rec(method: str, fold: int, accuracy: float, dataset: str = "mr") -> dict:
    cnn = method == "cnn"
    return {"dataset": dataset, "method": method, "name": NAMES[method], "mode": "rand" if cnn else None,
            "vectors": "none" if cnn else "-", "fold": fold, "seed": 0, "options": {},
            "accuracy": accuracy}  # fmt: skip


def _records(cnn_accuracy: float) -> list[dict]:
    return [_rec("cnn", 0, cnn_accuracy), _rec("cnn", 1, cnn_accuracy + 0.01), _rec("nbsvm", 0, 0.78),
            _rec("nbsvm", 1, 0.79), _rec("tfidf_lr", 0, 0.77), _rec("tfidf_lr", 1, 0.80)]  # fmt: skip


def test_writes_a_png_that_changes_with_the_differences(tmp_path):
    up = plot_paired(_records(0.82), tmp_path / "up.png", rows={"CNN-rand": "mine"})
    down = plot_paired(_records(0.70), tmp_path / "down.png", rows={"CNN-rand": "mine"})
    a, b = imread(up), imread(down)
    assert a.ndim == 3 and a.shape[0] > 100 and a.shape[1] > 100
    assert a.shape != b.shape or not np.array_equal(a, b)  # the marker moved from +3.5 to -8.5 points


def test_unknown_row_or_baseline_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no paired runs for 'CNN-static'.*rows with pairs: CNN-rand"):
        plot_paired(_records(0.8), tmp_path / "x.png", rows={"CNN-static": "x"})
    with pytest.raises(ValueError, match="no paired runs for 'CNN-rand' against 'fastText'"):
        plot_paired(_records(0.8), tmp_path / "x.png", baseline="fastText")
    assert not (tmp_path / "x.png").exists()


def test_cli_draws_named_rows_and_reports_bad_input_without_a_traceback(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in _records(0.82)), encoding="utf-8")
    out = tmp_path / "paired.png"
    result = CliRunner().invoke(cli, ["bench", "plot", str(results), "-o", str(out), "--row", "CNN-rand => mine",
                                      "--baseline", "NBSVM"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output and imread(out).shape[0] > 100
    result = CliRunner().invoke(cli, ["bench", "plot", str(tmp_path / "nope.jsonl"), "-o", str(out)])
    assert result.exit_code != 0 and "results file not found" in result.output and "Traceback" not in result.output


def test_topic_datasets_are_drawn_too(tmp_path):
    """20 Newsgroups and AG News (the long-document columns of the tables) are plotted, not refused as unpaired."""

    def records(cnn: float) -> list[dict]:
        return [_rec("cnn", 0, cnn, "ag_news"), _rec("nbsvm", 0, 0.90, "ag_news"), _rec("tfidf_lr", 0, 0.89, "ag_news")]

    up, down = (
        imread(plot_paired(records(0.91), tmp_path / "up.png")),
        imread(plot_paired(records(0.85), tmp_path / "d.png")),
    )
    assert up.shape[0] > 100 and (up.shape != down.shape or not np.array_equal(up, down))
