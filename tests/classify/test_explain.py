"""Explanations of a Kim CNN: the n-gram contributions plus the bias are exactly the model's logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from toy import toy_sentiment

import textcnn
from textcnn.classify.classifier import TextClassifier
from textcnn.classify.explain import corpus_ngrams, kim_winners
from textcnn.data.batching import pad_batch, text_inputs
from textcnn.layers.classifier import apply_constraints
from textcnn.models.kim_cnn import KimCNN
from textcnn.text.tokenizers import TextTokenizer

POSITIVE = {"good", "great", "fine", "superb", "lovely", "fun"}

TEXTS = [
    "the film was superb and the music was fun",
    "awful",
    "",
    "   ",
    "bad",
    "great great great great",
    "qwerty zxcvb the plot",  # unknown words
    "a boring plot but lovely acting and a weak story , quite dull music and poor fun in the end",  # > max_len
]


def _train_kim(mode: str, act_layer: str, seed: int = 0) -> TextClassifier:
    """A small Kim CNN trained for two epochs on the toy task (widths 1, 3 and 5, ``max_len`` 12)."""
    torch.manual_seed(seed)
    texts, labels = toy_sentiment(300, seed)
    tokenizer = TextTokenizer.create("kim").fit(texts)
    model = KimCNN(
        vocab_size=tokenizer.vocab_size,
        embedding_dim=16,
        mode=mode,
        filter_widths=(1, 3, 5),
        num_filters=6,
        act_layer=act_layer,
    )
    if model.needs_pretrained:
        model.load_pretrained(torch.randn(tokenizer.vocab_size, 16) * 0.3)
    ids = tokenizer.encode_batch(texts)
    targets = torch.tensor([label == "pos" for label in labels], dtype=torch.long)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.01)
    for _ in range(2):
        for start in range(0, len(ids), 20):
            batch, mask, _ = pad_batch(ids[start : start + 20], min_len=model.min_len)
            loss = nn.functional.cross_entropy(model(batch, mask), targets[start : start + 20])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            apply_constraints(model)
    return TextClassifier(model, tokenizer, ["neg", "pos"], max_len=12)


@pytest.fixture(scope="module", params=[("rand", "relu"), ("multichannel", "relu"), ("multichannel", "tanh")])
def kim(request) -> TextClassifier:
    return _train_kim(*request.param)


@pytest.fixture(scope="module")
def toy_clf(tiny_model_dir) -> TextClassifier:
    return textcnn.load(tiny_model_dir)


def _batch_logits(clf: TextClassifier, texts: list[str]) -> np.ndarray:
    """The model's logits for all texts padded into one batch (as wide as the longest, up to ``max_len``)."""
    ids, mask, _ = pad_batch(clf.encode(texts), min_len=clf.min_len, max_len=clf.max_len)
    inputs = text_inputs(ids, mask)
    with torch.inference_mode():
        return clf.model(inputs["input_ids"], inputs.get("mask")).double().numpy()


def test_contributions_plus_bias_are_the_logits(kim):
    logits = _batch_logits(kim, TEXTS)
    for text, expected in zip(TEXTS, logits, strict=True):
        explanation = kim.explain(text)
        parts = [explanation.bias[c] + explanation.span_sum(c) for c in range(2)]
        np.testing.assert_allclose(parts, expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(explanation.logits, expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(explanation.probabilities, kim.predict_proba([text])[0], atol=1e-6)
        assert explanation.label == kim.predict([text])[0]


def test_spans_are_clipped_ngrams_of_the_truncated_text(kim):
    explanation = kim.explain(TEXTS[-1])
    assert explanation.truncated and len(explanation.tokens) == 12
    assert explanation.tokens == tuple(kim.tokenizer.tokens()[i] for i in kim.encode([TEXTS[-1]])[0][:12])
    for span in explanation.spans:
        assert 0 <= span.start < span.end <= 12 and span.end - span.start <= 5
        assert span.tokens == explanation.tokens[span.start : span.end]
    assert sum(span.filters for span in explanation.spans) <= 18
    kim.truncate = "head_tail"  # a head+tail model is explained on the first 6 and the last 6 tokens it reads
    try:
        ids = kim.encode([TEXTS[-1]])[0]
        head_tail = kim.explain(TEXTS[-1])
        assert head_tail.tokens == tuple(kim.tokenizer.tokens()[i] for i in [*ids[:6], *ids[-6:]])
        assert sum(head_tail.spans[0].contributions) != 0 and head_tail.label == kim.predict([TEXTS[-1]])[0]
    finally:
        kim.truncate = "head"
    unknown = kim.explain("qwerty zxcvb the plot")
    assert unknown.tokens[:2] == ("<unk>", "<unk>")


def test_top_spans_are_ranked_for_and_against_the_label(kim):
    explanation = kim.explain(TEXTS[0], top_k=2)
    c = explanation.predicted
    assert len(explanation.top_for) <= 2 and len(explanation.top_against) <= 2
    pushes = [span.contributions[c] for span in explanation.top_for]
    pulls = [span.contributions[c] for span in explanation.top_against]
    assert pushes == sorted(pushes, reverse=True) and all(v > 0 for v in pushes)
    assert pulls == sorted(pulls) and all(v < 0 for v in pulls)
    best = max(span.contributions[c] for span in explanation.spans)
    assert not pushes or pushes[0] == best


def test_top_span_of_a_positive_text_holds_a_positive_word(toy_clf):
    explanation = toy_clf.explain("the plot and the acting were very superb")
    assert explanation.label == "pos" and explanation.probability > 0.8
    assert POSITIVE & set(explanation.top_for[0].tokens)
    negative = toy_clf.explain("it was a film with quite awful music")
    assert negative.label == "neg" and "awful" in negative.top_for[0].tokens


def test_winning_windows_do_not_depend_on_padding_or_batch(kim):
    model = kim.model
    short, long = kim.encode(["great fun", "the film was a weak story and very dull"])
    alone = kim_winners(model, *pad_batch([short], min_len=model.min_len)[:2])
    together = kim_winners(model, *pad_batch([short, long], min_len=model.min_len)[:2])
    extra = kim_winners(model, *pad_batch([short], min_len=40)[:2])
    for other in (together, extra):
        torch.testing.assert_close(other.pooled[0], alone.pooled[0], atol=1e-6, rtol=0)
        assert torch.equal(other.first[0], alone.first[0]) and torch.equal(other.last[0], alone.last[0])


def test_corpus_report_adds_up_the_explanations_batch_by_batch(kim):
    texts = TEXTS * 3
    explained = sum(np.array([e.span_sum(c) for c in range(2)]) for e in map(kim.explain, texts))
    for batch_size in (1, 5, 64):
        report = corpus_ngrams(kim, texts, batch_size=batch_size)
        assert report.n_texts == len(texts)
        np.testing.assert_allclose(sum(report.totals.values()), explained, atol=1e-5)
        assert len(report.filter_best) == 18 and report.filter_widths[:7] == (1,) * 6 + (3,)


def test_corpus_report_ranks_sentiment_words(toy_clf):
    texts, _ = toy_sentiment(200, 5)
    report = corpus_ngrams(toy_clf, texts)
    pos = toy_clf.labels.index("pos")
    top = report.top_ngrams(pos, 3)
    assert top and all(POSITIVE & set(ngram.split()) for ngram, _, _ in top)
    assert all(total > 0 and n >= 1 for _, total, n in top)


class _BagOfWords(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(50, 2)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.embedding(input_ids)  # (B, 2)


def test_a_model_that_is_not_kim_is_refused(toy_clf):
    other = TextClassifier(_BagOfWords(), toy_clf.tokenizer, ["neg", "pos"])
    with pytest.raises(ValueError, match="kim_cnn.*_BagOfWords"):
        other.explain("great fun")
    with pytest.raises(ValueError, match="kim_cnn"):
        corpus_ngrams(other, ["great fun"])


def test_explain_takes_one_text(toy_clf):
    with pytest.raises(TypeError, match="one text"):
        toy_clf.explain(["great fun", "dull"])
    with pytest.raises(ValueError, match="top_k"):
        toy_clf.explain("great fun", top_k=-1)
