"""A multi-label model trained, used and scored through the CLI on CSV files with `|`-separated labels."""

from __future__ import annotations

import csv
import json
import random

from click.testing import CliRunner
from toy import TINY_OVERRIDES

from textcnn.cli.main import cli

_FILL = ["the", "film", "was", "a", "plot", "and", "it", "story", "very", "quite"]
_WORDS = {"sport": "match", "politics": "vote", "music": "guitar"}


def _write(path, n: int, seed: int):
    """Rows whose labels are the topics whose word the text holds (one or two), joined by `|`."""
    rng = random.Random(seed)
    topics = list(_WORDS)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "topics"])
        for i in range(n):
            chosen = [topics[i % 3]] + ([topics[(i + 1) % 3]] if i % 2 else [])
            words = rng.choices(_FILL, k=rng.randint(3, 7))
            for topic in chosen:
                words.insert(rng.randint(0, len(words)), _WORDS[topic])
            writer.writerow([" ".join(words), "|".join(chosen)])
    return path


def _run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_train_predict_evaluate_multi_label(tmp_path):
    files = {name: _write(tmp_path / f"{name}.csv", n, seed) for name, n, seed in
             (("train", 240, 0), ("dev", 60, 1), ("test", 60, 2))}  # fmt: skip
    out = tmp_path / "run"
    sets = [x for o in [*TINY_OVERRIDES, "train.epochs=10", "model.mode=rand"] for x in ("--set", o)]
    result = _run(["train", "--dataset", "file", "--train-file", files["train"], "--dev-file", files["dev"],
                   "--test-file", files["test"], "--label-column", "topics", "--multi-label", "--label-separator",
                   "|", "--out", out, "--quiet", *sets])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "test micro-F1" in result.output and "subset accuracy" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["micro_f1"] > 0.9 and set(metrics["thresholds"]) == set(_WORDS)

    inputs = tmp_path / "in.txt"
    inputs.write_text("the match and the vote\nquite a guitar\nthe plot\n", encoding="utf-8")
    result = _run(["predict", out, inputs, "--format", "jsonl", "-o", tmp_path / "out.jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 3
    assert sorted(rows[0]["labels"]) == ["politics", "sport"] and rows[1]["labels"] == ["music"]
    assert set(rows[0]["probs"]) == {"politics", "sport"} and all(p > 0.5 for p in rows[0]["probs"].values())
    result = _run(["predict", out, inputs, "--format", "csv", "--all-probs", "-o", tmp_path / "out.csv"])
    assert result.exit_code == 0, result.output
    table = list(csv.reader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert table[0] == ["labels", "probabilities", "p_music", "p_politics", "p_sport"]
    assert sorted(table[1][0].split("|")) == ["politics", "sport"] and len(table[1][1].split("|")) == 2
    refused = CliRunner().invoke(cli, ["predict", str(out), str(inputs), "--top-k", "2"])
    assert refused.exit_code == 1 and "top_k does not apply to a multi-label model" in refused.output

    result = _run(["evaluate", out, "--file", files["test"]])
    assert result.exit_code == 0, result.output
    assert "micro-F1" in result.output and "samples-F1" in result.output and "confusion matrix" not in result.output
    scored = json.loads(_run(["evaluate", out, "--file", files["test"], "--json"]).output)
    assert scored["n"] == 60 and scored["micro_f1"] == metrics["test"]["micro_f1"]
    assert set(scored["per_class"]) == set(_WORDS)


def test_label_lists_need_multi_label(tmp_path, data_dir):
    train = tmp_path / "train.jsonl"
    train.write_text('{"text": "a b", "label": "x"}\n{"text": "c d", "label": ["x", "y"]}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["train", "--dataset", "file", "--train-file", str(train), "--out",
                                      str(tmp_path / "run"), "--quiet"])  # fmt: skip
    assert result.exit_code == 1
    assert "train.jsonl: line 2: label 'label' is a list" in result.output and "--multi-label" in result.output
    args = ["train", "--dataset", "mr", "--multi-label", "--data-dir", str(data_dir), "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "dataset 'mr' is single-label" in result.output
