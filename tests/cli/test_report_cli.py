"""``textcnn report``, run as a user would (CliRunner over a trained model directory)."""

from __future__ import annotations

import re

from click.testing import CliRunner
from toy import write_csv

from textcnn.cli.main import cli


def _run(args):
    return CliRunner().invoke(cli, ["report", *map(str, args)], catch_exceptions=False)


def test_report_writes_one_html_page(tiny_model_dir, tmp_path):
    data = write_csv(tmp_path / "flipped.csv", ["the film was superb", "awful", "great fun"], ["neg", "pos", "pos"])
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    result = _run([tiny_model_dir, "--data", data, "--errors", "1", "--top-k", "1", "--ngrams", "2", "-o", out])
    assert result.exit_code == 0, result.output
    assert f"report -> {out}" in result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert f"{data} (3 examples)" in page
    assert len(re.findall(r"<tr><td class=num>\d+</td>", page)) == 1  # --errors 1
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)) == 2
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # written atomically, nothing left over


def test_report_is_listed_and_needs_an_output(tiny_model_dir):
    assert "report" in CliRunner().invoke(cli, ["--help"]).output
    result = CliRunner().invoke(cli, ["report", str(tiny_model_dir)])
    assert result.exit_code == 2 and "Missing option '--output'" in result.output


def test_bad_input_is_one_error_line(tiny_model_dir, tmp_path):
    out = tmp_path / "report.html"
    result = _run([tiny_model_dir, "--data", "nope.csv", "-o", out])
    assert result.exit_code == 1
    assert result.output.startswith("Error: data 'nope.csv' is not a file, and unknown dataset 'nope.csv'")
    assert "Traceback" not in result.output and not out.exists()
    result = _run([tmp_path / "missing", "-o", out])
    assert result.exit_code == 1 and result.output.startswith("Error:") and not out.exists()
