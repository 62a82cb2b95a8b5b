"""``textcnn explain``, run as a user would (CliRunner over a trained model directory)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from toy import toy_sentiment

from textcnn.cli.main import cli

POSITIVE = {"good", "great", "fine", "superb", "lovely", "fun"}
CHECK = re.compile(r"^  logit (-?\d+\.\d+) = bias (-?\d+\.\d+) \+ sum of spans (-?\d+\.\d+) \((\d+) spans?\)$")


def _run(args, **kwargs):
    return CliRunner().invoke(cli, ["explain", *map(str, args)], catch_exceptions=False, **kwargs)


def test_text_output_marks_the_top_spans_and_checks_the_sum(tiny_model_dir):
    result = _run([tiny_model_dir, "the film was quite superb", "awful music", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    blocks = [block.splitlines() for block in result.output.strip("\n").split("\n\n")]
    assert len(blocks) == 2
    first, second = blocks
    assert re.match(r"^pos  p=0\.\d{4}  .*\[\[[^\]]*superb[^\]]*\]\]", first[0]), first[0]
    assert first[1].split() == ["for", "pos", "contribution"]
    assert "  against pos" in first
    rows = first[2 : first.index("  against pos")]
    assert 1 <= len(rows) <= 2 and "superb" in rows[0] and float(rows[0].split()[-1]) > 0
    logit, bias, spans, _ = CHECK.match(first[-1]).groups()
    assert float(logit) == pytest.approx(float(bias) + float(spans), abs=2e-4)
    assert second[0].startswith("neg  p=") and "[[awful" in second[0]


def test_color_marks_with_styles_not_brackets(tiny_model_dir):
    result = _run([tiny_model_dir, "superb", "--color"])
    assert "\x1b[" in result.output and "[[" not in result.output


def test_jsonl_contributions_add_up_to_the_logits(tiny_model_dir):
    texts = ["the film was superb", "", "a dull story with great acting", "boring"]
    result = _run([tiny_model_dir, *texts, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["text"] for row in rows] == texts
    for row in rows:
        spans = np.array([span["contributions"] for span in row["spans"]]).reshape(-1, len(row["labels"]))
        np.testing.assert_allclose(np.array(row["bias"]) + spans.sum(axis=0), row["logits"], atol=1e-5)
        assert row["label"] == row["labels"][int(np.argmax(row["logits"]))]
        assert all(span["ngram"] == " ".join(row["tokens"][span["start"] : span["end"]]) for span in row["spans"])
    assert rows[0]["label"] == "pos" and POSITIVE & set(rows[0]["top_for"][0]["ngram"].split())


def test_dash_reads_texts_from_stdin(tiny_model_dir):
    result = _run([tiny_model_dir, "-", "--format", "jsonl"], input="great fun\nboring\n")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["label"] for line in result.output.splitlines()] == ["pos", "neg"]


def test_top_ngrams_writes_a_markdown_table(tiny_model_dir, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(toy_sentiment(150, 7)[0]) + "\n", encoding="utf-8")
    table = tmp_path / "table.md"
    result = _run([tiny_model_dir, "--top-ngrams", corpus, "-o", table, "--top-k", "3", "--per-filter"])
    assert result.exit_code == 0, result.output
    assert f"explained 150 texts -> {table}" in result.output
    text = table.read_text(encoding="utf-8")
    assert text.startswith("## n-grams that push each class (150 texts)")
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| pos |")]
    assert 1 <= len(rows) <= 3 and POSITIVE & set(rows[0][1].strip("`").split())
    filters = [line for line in text.splitlines() if re.match(r"^\| w\d+#\d+ \|", line)]
    assert len(filters) == 8 * 3  # TINY_OVERRIDES: 8 maps of each of the 3 widths


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give at least one TEXT"),
        (["great", "--top-ngrams", "-"], "not both"),
        (["great", "-o", "x.md"], "go with --top-ngrams"),
    ],
)
def test_usage_errors_are_one_line(tiny_model_dir, args, message):
    result = _run([tiny_model_dir, *args])
    assert result.exit_code == 2 and message in result.output


def test_missing_model_dir_is_a_one_line_error(tmp_path):
    result = _run([tmp_path / "nope", "great"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
