"""``predict --workers N``: shards cut at chunk boundaries, and a merged output equal byte for byte to one process's."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from click.testing import CliRunner

from textcnn.classify.classifier import CHUNK_SIZE
from textcnn.classify.predict import predict_files
from textcnn.classify.predict_workers import predict_files_parallel, shard_inputs
from textcnn.cli.main import cli

LONG = " ".join(["the film was good"] * 3000)  # a very long line (12,000 tokens)
AWKWARD = [
    b"",
    b"an awful plot\r",  # CRLF
    "caf\u00e9 lovely".encode("cp1252"),  # not UTF-8: decoded as cp1252
    b"bad \x81\x8d bytes",  # neither UTF-8 nor cp1252: replacement characters
    b"\r",
    LONG.encode(),
]


def _big_file(path, lines: int) -> None:
    """``lines`` lines (a file BOM first, awkward lines around every chunk boundary, a mid-file BOM starting the second
    chunk, no final newline)."""
    rows = [f"line {i} {'good' if i % 3 else 'dull'} story".encode() for i in range(lines)]
    rows[0] = codecs.BOM_UTF8 + rows[0]
    rows[CHUNK_SIZE] = codecs.BOM_UTF8 + b"a mid-file BOM stays"
    for boundary in range(CHUNK_SIZE, lines, CHUNK_SIZE):
        rows[boundary - 3 : boundary] = AWKWARD[:3]
        rows[boundary + 1 : boundary + 4] = AWKWARD[3:]
    path.write_bytes(b"\n".join(rows))


def test_shards_cover_every_byte_once_and_cut_only_at_block_boundaries(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"1\n2\n3\n4\n5")  # 5 lines, the last without a newline
    b.write_bytes(b"6\n\r\n8\n")
    for parts, block in ((1, 1), (2, 2), (3, 2), (4, 1), (50, 1), (2, 100)):
        shards = shard_inputs([str(a), str(b)], parts, block=block)
        assert 1 <= len(shards) <= parts
        joined = b"".join(Path(p).read_bytes()[s:e] for shard in shards for p, s, e in shard.segments)
        assert joined == a.read_bytes() + b.read_bytes()
        counts = [sum(Path(p).read_bytes()[s:e].count(b"\n") + (e == 9) for p, s, e in x.segments) for x in shards]
        assert all(c % block == 0 for c in counts[:-1])  # every shard but the last holds whole blocks
    assert [x.segments for x in shard_inputs([str(a), str(b)], 3, block=2)] == [
        ((str(a), 0, 8),), ((str(a), 8, 9), (str(b), 0, 6))]  # fmt: skip


@pytest.mark.parametrize("fmt", ["jsonl", "tsv"])
def test_three_workers_write_what_one_process_writes(tiny_model_dir, tmp_path, fmt):
    path = tmp_path / "in.txt"
    lines = 2 * CHUNK_SIZE + 100
    _big_file(path, lines)
    one, many = tmp_path / f"one.{fmt}", tmp_path / f"many.{fmt}"
    expected = predict_files(tiny_model_dir, [str(path)], one, fmt=fmt, top_k=2, progress=False)
    stats = predict_files_parallel(tiny_model_dir, [str(path)], many, workers=3, fmt=fmt, top_k=2)
    assert many.read_bytes() == one.read_bytes()  # full-precision floats in jsonl: the same batches
    assert stats == expected and stats.n == lines and stats.not_utf8 == 4 and stats.replaced == 2
    assert len(one.read_bytes().splitlines()) == lines + (fmt == "tsv")  # one row per input line (+ the header)
    assert not list(tmp_path.glob(".textcnn-parts-*"))  # part files removed


def test_more_workers_than_lines_through_the_cli(tiny_model_dir, tmp_path):
    path = tmp_path / "two.txt"
    path.write_text("a good film\nan awful film\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")  # an empty file: no row
    out_one, out_many = tmp_path / "one.tsv", tmp_path / "many.tsv"
    runner = CliRunner()
    base = ["predict", str(tiny_model_dir), str(path), str(empty), str(path)]
    single = runner.invoke(cli, [*base, "-o", str(out_one)])
    result = runner.invoke(cli, [*base, "-o", str(out_many), "--workers", "5"])
    assert single.exit_code == 0 and result.exit_code == 0, result.output
    assert out_many.read_bytes() == out_one.read_bytes()
    assert len(out_many.read_text(encoding="utf-8").splitlines()) == 1 + 4
    assert "predicted 4 lines" in result.output


def test_csv_input_falls_back_to_one_process_and_says_so(tiny_model_dir, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text,label\na good film,pos\nan awful film,neg\n", encoding="utf-8")
    told: list[str] = []
    out = tmp_path / "out.tsv"
    stats = predict_files_parallel(tiny_model_dir, [str(path)], out, workers=2, say=told.append)
    assert stats.n == 2 and told == [f"--workers 2: {path} is csv, not one text per line; predicting in one process"]
    assert out.read_text(encoding="utf-8").count("\n") == 3
