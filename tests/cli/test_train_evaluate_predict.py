"""The train / evaluate / predict commands, run as a user would (CliRunner over real files)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from toy import TINY_OVERRIDES

from textcnn.cli.main import cli


def _run(args, **kw):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)
    return result


def test_train_with_flags_then_evaluate_and_predict(toy_files, tmp_path):
    out = tmp_path / "run"
    sets = [x for o in TINY_OVERRIDES for x in ("--set", o)]
    result = _run(
        [
            "train",
            "--dataset",
            "file",
            "--train-file",
            toy_files["train"],
            "--dev-file",
            toy_files["dev"],
            "--test-file",
            toy_files["test"],
            "--out",
            out,
            "--quiet",
            *sets,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output
    evaluated = _run(["evaluate", out, "--file", toy_files["test"]])
    assert evaluated.exit_code == 0 and "accuracy" in evaluated.output and "confusion matrix" in evaluated.output
    as_json = json.loads(_run(["evaluate", out, "--file", toy_files["test"], "--json"]).output)
    assert as_json["n"] == 200

    lines = ["the film was superb", "", "   ", "awful", "x" * 10000, "bad\x00good", "\u05e9\u05dc\u05d5\u05dd 😀"]
    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    predictions = tmp_path / "out.tsv"
    result = _run(["predict", out, inputs, "-o", predictions, "--top-k", "2", "--all-probs"])
    assert result.exit_code == 0, result.output
    rows = predictions.read_text(encoding="utf-8").splitlines()
    assert rows[0].split("\t") == [
        "label",
        "probability",
        "top1_label",
        "top1_probability",
        "top2_label",
        "top2_probability",
        "p_neg",
        "p_pos",
    ]
    assert len(rows) == 1 + len(lines)
    assert rows[1].split("\t")[0] == "pos" and rows[4].split("\t")[0] == "neg"
    assert "predicted 7 lines (3 without any token" in result.output  # "", "   ", and non-ASCII for kim


def test_predict_from_stdin_as_jsonl(tiny_model_dir):
    result = _run(["predict", tiny_model_dir, "-", "--format", "jsonl"], input="great fun\nboring\n")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    assert all(0.5 <= r["probability"] <= 1 for r in rows)


def test_predict_ten_thousand_lines_in_order(tiny_model_dir, tmp_path):
    texts = ["superb" if i % 3 == 0 else ("dull" if i % 3 == 1 else "") for i in range(10_000)]
    inputs = tmp_path / "many.txt"
    inputs.write_text("\n".join(texts) + "\n")
    out = tmp_path / "many.csv"
    result = _run(["predict", tiny_model_dir, inputs, "-o", out, "--format", "csv", "--batch-size", "512"])
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == 10_000
    labels = [r.split(",")[0] for r in rows]
    assert labels[0::3] == ["pos"] * len(labels[0::3]) and labels[1::3] == ["neg"] * len(labels[1::3])
    assert len({r for r in rows[2::3]}) == 1  # every empty line gets the same (bias-only) prediction


def test_user_errors_are_one_line_messages(tmp_path, toy_files):
    missing = _run(["predict", tmp_path / "nope", "-"], input="x\n")
    assert missing.exit_code != 0 and "model directory not found" in missing.output
    assert "Traceback" not in missing.output
    bad_key = _run(["train", "--dataset", "mr", "--set", "model.widths=[3]", "--out", tmp_path / "r"])
    assert bad_key.exit_code != 0 and "unknown config key 'model.widths'" in bad_key.output
    both = _run(["evaluate", tmp_path, "--dataset", "mr", "--file", toy_files["test"]])
    assert both.exit_code != 0


def test_help_explains_options():
    for command in ("train", "evaluate", "predict"):
        result = _run([command, "--help"])
        assert result.exit_code == 0
        assert "--" in result.output and "default" in result.output.lower()
    top = _run(["--help"])
    for name in ("train", "evaluate", "predict", "datasets", "embeddings", "summary", "list-models"):
        assert name in top.output


def test_undecodable_training_bytes_are_reported_or_refused_with_strict(tmp_path):
    from toy import toy_sentiment

    texts, labels = toy_sentiment(120, seed=3)
    lines = [f"{label}\t{text}".encode() for label, text in zip(labels, texts, strict=True)]
    lines[7] = b"pos\tgreat \x81\x8d film"  # 0x81 and 0x8D are undefined in cp1252 and invalid UTF-8
    train = tmp_path / "train.tsv"
    train.write_bytes(b"\n".join(lines) + b"\n")
    base = [
        "train",
        "--dataset",
        "file",
        "--train-file",
        train,
        "--quiet",
        *[x for o in TINY_OVERRIDES for x in ("--set", o)],
        "--set",
        "train.epochs=1",
    ]
    lenient = _run([*base, "--out", tmp_path / "a"])
    assert lenient.exit_code == 0, lenient.output
    assert "warning: " in lenient.output and "1 line(s) hold bytes that are neither UTF-8 nor cp1252 (first: 8)" in (
        lenient.output
    )
    assert lenient.output.count("replacement characters") == 1  # said once: the row report leaves it to the warning
    assert "read: " in lenient.output and "120 rows read, 120 used" in lenient.output
    strict = _run([*base, "--out", tmp_path / "b", "--strict"])
    assert strict.exit_code != 0
    # --strict reaches the reader, which refuses the row itself, naming the file and the line
    assert "train.tsv: line 8 is not valid utf-8 or cp1252 (strict)" in strict.output


def test_predict_in_bfloat16_keeps_rows_and_labels_in_one_and_two_processes(tiny_model_dir, tmp_path):
    texts = ["superb fun", "dull and boring", "", "a superb film"] * 600  # batches of 256: the bf16 product runs
    inputs = tmp_path / "in.txt"
    inputs.write_text("\n".join(texts) + "\n")
    runs = {}
    for name, extra in [("f32", []), ("bf16", ["--precision", "bfloat16"]),
                        ("bf16x2", ["--precision", "bfloat16", "--workers", "2"])]:  # fmt: skip
        out = tmp_path / f"{name}.jsonl"
        result = _run(["predict", tiny_model_dir, inputs, "-o", out, "--format", "jsonl", *extra])
        assert result.exit_code == 0, result.output
        runs[name] = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(runs["bf16"]) == len(texts) and runs["bf16"] == runs["bf16x2"]  # same rows from two workers
    assert [r["label"] for r in runs["bf16"]] == [r["label"] for r in runs["f32"]]
    gaps = [abs(a["probability"] - b["probability"]) for a, b in zip(runs["bf16"], runs["f32"], strict=True)]
    assert 0 < max(gaps) < 0.02  # bf16 really ran (the probabilities moved), and only a little
    bad = _run(["predict", tiny_model_dir, "-", "--precision", "float16"], input="x\n")
    assert bad.exit_code != 0 and "float16" in bad.output
