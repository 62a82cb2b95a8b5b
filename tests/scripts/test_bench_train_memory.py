"""scripts/bench_train_memory.py trains on generated long documents and prints peak RSS per 1,000 documents."""

from __future__ import annotations

import json


def test_the_script_prints_a_table_of_peak_rss_per_1000_documents(tmp_path, capsys, load_script):
    argv = ["--sizes", "30", "60", "--dims", "8", "--words", "20", "--word-types", "400", "--work", str(tmp_path)]
    summary = load_script("bench_train_memory").main([*argv, "--set", "model.num_filters=2"])
    out = capsys.readouterr().out
    rows = summary["runs"][8]
    assert [r["n"] for r in rows] == [30, 60] and all(r["peak_rss_mib"] > 50 for r in rows)
    assert "model.embedding_dim=8" in out and "--set model.num_filters=2" in out and "train.epochs=1" in out
    lines = out.splitlines()
    row = next(line.split() for line in lines if line.split()[:1] == ["60"])
    assert float(row[1]) == rows[1]["peak_rss_mib"] and float(row[2]) == round(rows[1]["peak_rss_mib"] / 0.06, 1)
    marginal = (rows[1]["peak_rss_mib"] - rows[0]["peak_rss_mib"]) / 0.03
    assert abs(float(row[3]) - marginal) < 0.1
    assert any(line.startswith("fit: peak = ") and "per 1,000 training documents" in line for line in lines)
    assert json.loads(lines[-1])["runs"]["8"][0]["train_tokens"] == rows[0]["train_tokens"]
    assert (tmp_path / "run-60-8" / "metrics.json").is_file()  # a real run wrote its model


def test_corpus_and_linear_fit(tmp_path, load_script):
    script = load_script("bench_train_memory")
    words = script.word_list(50, seed=0)
    tokens = script.write_corpus(tmp_path / "c.jsonl", 20, words, mean_words=10, zipf=1.1, seed=0)
    docs = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert len(docs) == 20 and sum(len(d["text"].split()) for d in docs) == tokens
    assert {d["label"] for d in docs} <= set(script.CLASSES)
    intercept, slope = script.linear_fit([1000, 2000, 4000], [110.0, 120.0, 140.0])
    assert abs(intercept - 100) < 1e-6 and abs(slope - 10) < 1e-6
