"""scripts/bench_stream_memory.py trains on generated short lines read into memory and through data.arrow, and prints
peak memory and time of each run."""

from __future__ import annotations

import json


def test_the_script_runs_both_modes_and_prints_their_peak_memory(tmp_path, capsys, load_script):
    argv = ["--lines", "300", "--dev-lines", "40", "--words", "6", "--word-types", "200", "--work", str(tmp_path)]
    summary = load_script("bench_stream_memory").main(
        [*argv, "--set", "model.num_filters=2", "--set", "model.embedding_dim=4"]
    )
    out = capsys.readouterr().out
    runs = summary["runs"]
    assert [(r["lines"], r["mode"]) for r in runs] == [(300, "memory"), (300, "arrow")]
    assert all(r["peak_rss_mib"] > 50 and 0 < r["peak_anon_mib"] <= r["peak_rss_mib"] for r in runs)
    assert runs[0]["dev_accuracy"] == runs[1]["dev_accuracy"]  # the same model either way
    assert out.count("--set data.arrow=true") == 1 and "--set model.num_filters=2" in out
    assert json.loads(out.splitlines()[-1])["runs"][1]["mode"] == "arrow"
    report = json.loads((tmp_path / "run-300-arrow" / "metrics.json").read_text())["data_report"]
    assert report["files"]["train"]["rows_used"] == 300 and "arrow" in report["files"]["train"]
    assert not any((tmp_path / "hf-cache").glob("textcnn-arrow-*"))  # the Arrow files went with the run
