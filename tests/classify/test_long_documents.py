"""Long documents: head / head_tail truncation, and prediction over pooled windows of a text longer than max_len."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from toy import TINY_OVERRIDES

from textcnn.classify.classifier import MAX_BATCH_TOKENS, PredictStats, TextClassifier
from textcnn.classify.config import load_config
from textcnn.classify.evaluate import evaluate_model_dir
from textcnn.classify.train import train_text_classifier
from textcnn.classify.windows import plan_windows, pool_windows, window_starts
from textcnn.cli.main import cli
from textcnn.data.batching import pad_batch

MAX_LEN = 20
#: Neutral words of the toy task, in a fixed cycle: a window of them holds no sentiment word.
FILLER = ["the", "film", "was", "a", "plot", "and", "it", "story", "very", "quite", "acting", "music"]


def _long_text(n_tokens: int, last_word: str) -> str:
    """``n_tokens`` tokens of filler whose last one is ``last_word`` (the only sentiment word)."""
    words = [FILLER[i % len(FILLER)] for i in range(n_tokens - 1)]
    return " ".join([*words, last_word])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, toy_files):
    """A tiny model trained with max_len 20, head_tail truncation and max-pooled windows, and its training log."""
    config = load_config(
        None,
        [
            "data.dataset=file",
            f"data.train_file={toy_files['train']}",
            f"data.dev_file={toy_files['dev']}",
            f"data.test_file={toy_files['test']}",
            f"data.max_len={MAX_LEN}",
            "data.truncate=head_tail",
            "data.windows=max",
            *TINY_OVERRIDES,
        ],
    )
    out = tmp_path_factory.mktemp("long") / "model"
    log: list[str] = []
    train_text_classifier(config, out, echo=log.append)
    return out, log


@pytest.fixture()
def clf(trained) -> TextClassifier:
    return TextClassifier.from_pretrained(trained[0])


def test_head_tail_keeps_the_first_and_last_halves():
    seqs = [list(range(1, 12)), [7, 8]]
    ids, mask, cut = pad_batch(seqs, max_len=5, truncate="head_tail")
    assert cut == 1
    assert ids.tolist() == [[1, 2, 3, 10, 11], [7, 8, 0, 0, 0]] and mask.sum().item() == 7
    assert pad_batch(seqs[:1], max_len=5, truncate="head_tail")[0].tolist() == [[1, 2, 3, 10, 11]]  # one-text path
    assert pad_batch(seqs[:1], max_len=5)[0].tolist() == [[1, 2, 3, 4, 5]]  # head, the default
    with pytest.raises(ValueError, match="truncate must be one of head, head_tail, got 'tail'"):
        pad_batch(seqs, max_len=5, truncate="tail")


def test_windows_cover_every_token_and_pool_as_documented():
    assert window_starts(50, 20, 10).tolist() == [0, 10, 20, 30]  # the last window ends on token 50
    assert window_starts(55, 20, 10).tolist() == [0, 10, 20, 30, 35]
    assert window_starts(20, 20, 10).tolist() == [0]
    owner, starts, counts = plan_windows(np.array([3, 55, 0]), 20, 10)
    assert owner.tolist() == [0, 1, 1, 1, 1, 1, 2] and starts.tolist() == [0, 0, 10, 20, 30, 35, 0]
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.3, 0.7], [0.2, 0.8]], dtype=np.float32)  # text 0: 1 row, text 1: 3
    counts = np.array([1, 3])
    np.testing.assert_allclose(pool_windows(proba, counts, "max"), [[0.5, 0.5], [0.9 / 1.7, 0.8 / 1.7]], rtol=1e-6)
    np.testing.assert_allclose(pool_windows(proba, counts, "mean"), [[0.5, 0.5], [1.4 / 3, 1.6 / 3]], rtol=1e-6)
    np.testing.assert_allclose(pool_windows(proba, counts, "max", renormalise=False), [[0.5, 0.5], [0.9, 0.8]])


def test_prediction_feeds_the_head_and_tail_token_ids(clf):
    """The ids the model gets for a long text are the tokenizer's first 10 and last 10 (head_tail, windows off)."""
    clf.windows = "off"
    text = _long_text(300, "superb")
    seen: list[torch.Tensor] = []
    handle = clf.model.register_forward_pre_hook(lambda _m, args: seen.append(args[0].clone()))
    try:
        stats = PredictStats()
        list(clf.iter_proba([text], stats=stats))
    finally:
        handle.remove()
    full = clf.encode([text])[0]
    assert seen[0].tolist() == [full[:10] + full[-10:]]
    assert seen[0][0, -1].item() == clf.tokenizer.encode_batch(["superb"])[0][0]
    assert (stats.truncated, stats.windowed) == (1, 0)


def test_training_log_metrics_and_model_dir_say_which(trained):
    out, log = trained
    line = next(x for x in log if x.startswith("truncation:"))
    assert "training reads their first 10 and last 10 tokens (data.truncate=head_tail)" in line, line
    assert line.endswith("prediction reads them whole: max-pooled 20-token windows, stride 10"), line
    meta = json.loads((out / "textcnn.json").read_text())
    assert meta["long_documents"] == {"truncate": "head_tail", "windows": "max", "window_stride": None}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["long_documents"] == meta["long_documents"]
    assert metrics["test"]["truncated_examples"] == 0  # toy texts are short: nothing to truncate or window


def test_windows_with_max_pooling_find_a_keyword_at_the_end_of_50000_tokens(clf):
    docs = [_long_text(50_000, "superb"), _long_text(50_000, "awful")]
    clf.windows, clf.truncate = "off", "head"
    head = clf.predict_proba(docs)
    np.testing.assert_array_equal(head[0], head[1])  # the same first 20 tokens: the keyword is never seen
    clf.windows = "max"
    stats = PredictStats()
    pooled = np.stack(list(clf.iter_proba(docs, stats=stats)))
    assert [clf.labels[i] for i in pooled.argmax(axis=1)] == ["pos", "neg"]
    pos, neg = clf.labels.index("pos"), clf.labels.index("neg")
    assert pooled[0, pos] > head[0, pos] and pooled[1, neg] > head[1, neg], (pooled, head)
    np.testing.assert_allclose(pooled.sum(axis=1), 1.0, atol=1e-6)
    assert (stats.n, stats.truncated, stats.windowed) == (2, 0, 2)
    clf.windows = "mean"  # one keyword window among ~5,000 filler windows: the mean barely moves
    mean = clf.predict_proba(docs)
    assert abs(mean[0] - mean[1]).max() < abs(pooled[0] - pooled[1]).max()


def test_windowed_results_do_not_depend_on_batching_and_memory_stays_bounded(clf):
    clf.windows = "max"
    long = _long_text(5_000, "lovely")
    short = [("fun " * (i % 5)) + ("dull" if i % 2 else "great") for i in range(40)]
    texts = short[:17] + [long] + short[17:] + [_long_text(MAX_LEN + 1, "poor")]
    alone = clf.predict_proba([long], batch_size=1)
    reference = clf.predict_proba(texts, batch_size=1)
    for kwargs in ({"batch_size": 7, "chunk_size": 11}, {"batch_size": 256, "max_batch_tokens": 100}, {}):
        shapes: list[tuple[int, int]] = []
        handle = clf.model.register_forward_pre_hook(lambda _m, args, seen=shapes: seen.append(tuple(args[0].shape)))
        try:
            got = np.stack(list(clf.iter_proba(texts, **kwargs)))
        finally:
            handle.remove()
        np.testing.assert_allclose(got, reference, atol=1e-6, err_msg=str(kwargs))
        assert max(width for _, width in shapes) == MAX_LEN  # no row wider than a window
        budget = kwargs.get("max_batch_tokens", MAX_BATCH_TOKENS)
        assert all(rows * width <= budget for rows, width in shapes), (kwargs, shapes)
    np.testing.assert_allclose(reference[17], alone[0], atol=1e-6)
    np.testing.assert_allclose(reference[:17], clf.predict_proba(short[:17]), atol=1e-6)  # short ones untouched


def test_saved_setting_is_loaded_and_can_be_overridden(trained, tmp_path):
    out, _ = trained
    assert TextClassifier.from_pretrained(out).windows == "max"
    assert TextClassifier.from_pretrained(out, windows="off").windows == "off"
    clf = TextClassifier.from_pretrained(out)
    clf.windows, clf.window_stride = "mean", 5
    clf.save_pretrained(tmp_path / "copy")
    again = TextClassifier.from_pretrained(tmp_path / "copy")
    assert again.long_documents == {"truncate": "head_tail", "windows": "mean", "window_stride": 5}
    clf.windows = "sum"
    with pytest.raises(ValueError, match="windows must be one of off, max, mean, got 'sum'"):
        clf.predict_proba(["great"])


def test_bad_settings_name_the_key(tmp_path, toy_files):
    base = ["data.dataset=file", f"data.train_file={toy_files['train']}"]
    with pytest.raises(ValueError, match="data.truncate must be one of head, head_tail, got 'tail'"):
        load_config(None, [*base, "data.truncate=tail"])
    with pytest.raises(ValueError, match="data.window_stride is set but data.max_len is not"):
        load_config(None, [*base, "data.window_stride=5"])
    with pytest.raises(ValueError, match=r"data.window_stride must be in \[1, max_len=20\], got 30"):
        load_config(None, [*base, "data.max_len=20", "data.window_stride=30"])


def test_evaluate_reports_the_setting(trained, tmp_path):
    out, _ = trained
    test_file = tmp_path / "long.csv"
    test_file.write_text(f"text,label\n{_long_text(400, 'superb')},pos\n{_long_text(400, 'awful')},neg\n")
    metrics = evaluate_model_dir(out, file=str(test_file))
    assert metrics["long_documents"]["windows"] == "max"
    assert metrics["scored"]["long_texts"] == "max-pooled 20-token windows, stride 10"
    assert metrics["accuracy"] == 1.0


def test_cli_predict_windows_on_a_file(trained, tmp_path):
    out, _ = trained
    inputs = tmp_path / "docs.txt"
    inputs.write_text(f"{_long_text(3_000, 'superb')}\ngreat\n{_long_text(3_000, 'awful')}\n")
    runner = CliRunner()
    labels = {}
    for windows in ("max", "off"):
        result = runner.invoke(cli, ["predict", str(out), str(inputs), "--windows", windows, "-o",
                                      str(tmp_path / f"{windows}.tsv")])  # fmt: skip
        assert result.exit_code == 0, result.output
        labels[windows] = [row.split("\t")[0] for row in (tmp_path / f"{windows}.tsv").read_text().splitlines()[1:]]
        summary = result.output.strip().splitlines()[-1]
        expected = "0 truncated, 2 read whole as pooled windows" if windows == "max" else "2 truncated)"
        assert expected in summary, summary
    assert labels["max"] == ["pos", "pos", "neg"]
    assert len(labels["off"]) == 3
    bad = runner.invoke(cli, ["predict", str(out), str(inputs), "--windows", "sum"])
    assert bad.exit_code != 0 and "'sum' is not one of 'off', 'max', 'mean'" in bad.output
