"""Integrated-gradients explanations of models without an exact decomposition (a trained DPCNN, a character VDCNN):
the completeness axiom checked against the model's own logits, the approximate label, and `textcnn explain`."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from toy import TINY_OVERRIDES, toy_sentiment

from textcnn.classify.classifier import TextClassifier, load
from textcnn.classify.explain_gradients import APPROXIMATE, METHOD, ApproximateExplanation, word_groups
from textcnn.cli.main import cli

TEXTS = ["the film was quite superb", "awful music and a dull plot", "good", "a plot", ""]
#: Largest convergence delta accepted, relative to the logit difference it approximates (50 steps, a trained DPCNN).
RELATIVE_DELTA = 0.05
CHECK = re.compile(
    r"^  logit (-?\d+\.\d+) ~ baseline (-?\d+\.\d+) \+ sum of spans (-?\d+\.\d+) \(convergence delta (\S+)\)$"
)


@pytest.fixture(scope="module")
def dpcnn_dir(tmp_path_factory, toy_files):
    """A DPCNN trained on the toy sentiment task (3 blocks, 8 maps) through the training workflow."""
    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    files = [f"data.{k}_file={toy_files[k]}" for k in ("train", "dev", "test")]
    sets = ["data.dataset=file", *files, *TINY_OVERRIDES, "model.name=dpcnn", "model.num_blocks=3"]
    out = tmp_path_factory.mktemp("dpcnn") / "model"
    train_text_classifier(load_config(None, sets), out, echo=None)
    return out


@pytest.fixture(scope="module")
def dpcnn(dpcnn_dir) -> TextClassifier:
    return load(dpcnn_dir)


def _model_logits(clf: TextClassifier, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The model's logits for the text and for the baseline (every token replaced by <pad>), computed directly."""
    ids = torch.tensor([clf.encode([text])[0] or [clf.tokenizer.pad_id]])  # (1, T)
    mask = torch.ones_like(ids, dtype=torch.bool) if clf.encode([text])[0] else torch.zeros_like(ids, dtype=torch.bool)
    with torch.no_grad():
        text_logits = clf.model(ids, mask)[0].double().numpy()
        baseline = clf.model(torch.full_like(ids, clf.tokenizer.pad_id), mask)[0].double().numpy()
    return text_logits, baseline


@pytest.mark.parametrize("text", TEXTS)
def test_attributions_add_up_to_the_logit_difference(dpcnn, text):
    """Completeness: for every class, the spans' attributions sum to logit(text) - logit(baseline), missing it by
    no more than Captum's convergence delta, which is itself small."""
    e = dpcnn.explain(text)
    text_logits, baseline = _model_logits(dpcnn, text)
    np.testing.assert_allclose(e.logits, text_logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(e.bias, baseline, rtol=1e-5, atol=1e-5)
    for c in range(len(e.labels)):
        difference = text_logits[c] - baseline[c]
        gap = abs(e.span_sum(c) - difference)
        assert gap <= abs(e.convergence_delta[c]) + 1e-4, (c, gap, e.convergence_delta)
        assert abs(e.convergence_delta[c]) <= RELATIVE_DELTA * max(1.0, abs(difference)), (c, e.convergence_delta)
    assert [span.ngram for span in e.spans] == text.split()
    np.testing.assert_allclose(e.probabilities, dpcnn.predict_proba([text])[0], atol=1e-5)


def test_the_sentiment_word_carries_the_prediction(dpcnn):
    """The toy task's label is given by its one sentiment word: that word gets the largest attribution."""
    for text, label, word in (("the film was quite superb", "pos", "superb"), ("a plot and dull music", "neg", "dull")):
        e = dpcnn.explain(text, top_k=2)
        assert e.label == label and e.top_for[0].ngram == word


def test_the_explanation_is_labelled_approximate(dpcnn):
    e = dpcnn.explain("superb acting")
    assert isinstance(e, ApproximateExplanation) and e.exact is False and e.method == METHOD == "integrated_gradients"
    row = e.to_dict()
    assert row["method"] == "integrated_gradients" and row["exact"] is False and row["unit"] == "token"
    assert "bias" not in row and row["baseline_logits"] == list(e.bias)
    assert len(row["convergence_delta"]) == 2 and row["n_steps"] == 50
    assert all("filters" not in span for span in row["spans"])
    assert [u for u, _ in row["unit_attributions"]] == ["superb", "acting"]


def test_exact_is_refused_for_a_dpcnn_and_kim_stays_exact(dpcnn, tiny_model_dir):
    with pytest.raises(ValueError, match="kim_cnn"):
        dpcnn.explain("superb", method="exact")
    kim = load(tiny_model_dir)
    assert kim.explain("superb").to_dict()["exact"] is True
    approximate = kim.explain("superb", method="integrated_gradients")
    assert approximate.exact is False and approximate.label == kim.explain("superb").label


def test_more_steps_keep_completeness(dpcnn):
    e = dpcnn.explain("awful music and a dull plot", n_steps=200)
    text_logits, baseline = _model_logits(dpcnn, "awful music and a dull plot")
    assert e.n_steps == 200
    for c in range(2):
        assert abs(e.span_sum(c) - (text_logits[c] - baseline[c])) <= abs(e.convergence_delta[c]) + 1e-4


def test_word_groups_cover_every_character():
    assert word_groups(list(" ab  c ")) == [(0, 5, "ab"), (5, 7, "c")]
    assert word_groups(list("   ")) == [(0, 3, "")] and word_groups([]) == []


def test_a_character_model_is_attributed_per_character_and_summed_into_words():
    from textcnn.models import create_model
    from textcnn.text.tokenizers import TextTokenizer

    tokenizer = TextTokenizer.create(kind="char")
    tokenizer.fit(toy_sentiment(100, 0)[0])
    torch.manual_seed(0)
    kwargs = {"vocab_size": tokenizer.vocab_size, "num_classes": 2, "embedding_dim": 4, "channels": (4, 4, 8, 8)}
    model = create_model("vdcnn9", **kwargs, fc_dim=16)
    clf = TextClassifier(model, tokenizer, ["neg", "pos"], model_name="vdcnn9", model_kwargs=kwargs)
    text = " awful  music and a dull plot "
    e = clf.explain(text)
    assert e.unit == "character" and e.tokens == ("awful", "music", "and", "a", "dull", "plot")
    chars = [u for u, _ in e.unit_attributions]
    assert "".join(chars) == text
    per_char = np.array([a for _, a in e.unit_attributions])
    c = e.predicted
    for span, (start, end, word) in zip(e.spans, word_groups(chars), strict=True):
        assert span.ngram == word and span.contributions[c] == pytest.approx(per_char[start:end].sum(), abs=1e-9)
    text_logits, baseline = _model_logits(clf, text)
    for k in range(2):
        assert abs(e.span_sum(k) - (text_logits[k] - baseline[k])) <= abs(e.convergence_delta[k]) + 1e-4
    assert abs(e.span_sum(c)) > 1e-3  # a random VDCNN still reacts to the text: the attributions are not all zero


def _explain(args, **kwargs):
    return CliRunner().invoke(cli, ["explain", *map(str, args)], **kwargs)


def test_cli_explains_a_dpcnn_approximately(dpcnn_dir):
    result = _explain([dpcnn_dir, "the film was quite superb", "awful music", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    blocks = [block.splitlines() for block in result.output.strip("\n").split("\n\n")]
    assert len(blocks) == 2
    for block, label in zip(blocks, ("pos", "neg"), strict=True):
        assert block[0].startswith(f"{label}  p=")
        assert block[1] == f"  {APPROXIMATE}, per token, 50 steps"
        logit, baseline, spans, delta = (float(v) for v in CHECK.match(block[-1]).groups())
        assert abs(logit - baseline - spans) <= abs(delta) + 2e-4
    assert "[[superb]]" in blocks[0][0]


def test_cli_jsonl_rows_say_approximate_and_add_up(dpcnn_dir):
    result = _explain([dpcnn_dir, "-", "--format", "jsonl", "--steps", "80"], input="great fun\nboring story\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["label"] for row in rows] == ["pos", "neg"]
    for row in rows:
        assert row["method"] == "integrated_gradients" and row["exact"] is False and row["n_steps"] == 80
        spans = np.array([span["contributions"] for span in row["spans"]]).sum(axis=0)
        gap = np.abs(np.array(row["baseline_logits"]) + spans - np.array(row["logits"]))
        assert (gap <= np.abs(row["convergence_delta"]) + 1e-4).all()


def test_cli_without_captum_is_one_line_naming_the_extra(dpcnn_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "captum.attr", None)  # `from captum.attr import ...` fails as if not installed
    result = _explain([dpcnn_dir, "superb"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        'Error: explaining this model needs captum (integrated gradients): pip install "textcnn[explain]"'
    ]
