"""TextClassifier prediction on arbitrary text: one probability row per input, in order, in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import toy_sentiment

import textcnn
from textcnn.classify.classifier import PredictStats


@pytest.fixture(scope="module")
def clf(tiny_model_dir):
    return textcnn.load(tiny_model_dir)


# Any code point, lone surrogates and control characters included.
_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_ANY_TEXT, max_size=12))
def test_any_unicode_gives_one_probability_row_per_text(clf, texts):
    proba = clf.predict_proba(texts, batch_size=5)
    assert proba.shape == (len(texts), len(clf.labels))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert len(clf.predict(texts)) == len(texts)


def test_awkward_texts_each_get_a_row(clf):
    texts = ["", " ", "\x00", "bad\x00good", "\ud800", "a\udcffb", "\u2028", "\x85", "\r", "\ufeff", "😀" * 1000,
             "\u05e9\u05dc\u05d5\u05dd great", None]  # fmt: skip
    proba = clf.predict_proba(texts)
    assert proba.shape == (len(texts), 2) and np.isfinite(proba).all()
    np.testing.assert_array_equal(proba[0], proba[-1])  # None reads as ""


def _batch_shapes(clf, texts, **kwargs) -> tuple[np.ndarray, list[tuple[int, int]]]:
    shapes: list[tuple[int, int]] = []
    handle = clf.model.register_forward_pre_hook(lambda _m, args: shapes.append(tuple(args[0].shape)))
    try:
        proba = np.stack(list(clf.iter_proba(texts, **kwargs)))
    finally:
        handle.remove()
    return proba, shapes


def test_one_long_text_does_not_inflate_its_batch(clf):
    """Without a token budget, the longest text's batch would be padded to its length: 64 rows x 20,000 tokens."""
    texts = [("great " if i % 2 else "dull ") * (i % 7 + 1) for i in range(200)]
    texts.insert(77, "superb film " * 10_000)  # 20,000 tokens
    proba, shapes = _batch_shapes(clf, texts, batch_size=64, max_batch_tokens=2_000)
    assert sum(rows for rows, _ in shapes) == len(texts)
    assert all(rows * width <= 2_000 or rows == 1 for rows, width in shapes), shapes
    assert (1, 20_000) in shapes
    # the batching changes nothing in the results, and rows come back in input order
    np.testing.assert_allclose(proba, clf.predict_proba(texts, batch_size=1), atol=1e-6)
    assert proba[77].argmax() == clf.labels.index("pos")


def test_results_do_not_depend_on_batching_or_chunking(clf):
    texts = [("fun " * (i % 13)) + ("boring" if i % 3 else "") for i in range(300)]
    reference = clf.predict_proba(texts, batch_size=1)
    for kwargs in ({"batch_size": 7, "chunk_size": 50}, {"batch_size": 300, "max_batch_tokens": 40}, {}):
        got = np.stack(list(clf.iter_proba(texts, **kwargs)))
        np.testing.assert_allclose(got, reference, atol=1e-6, err_msg=str(kwargs))


def test_stats_count_empty_texts(clf):
    stats = PredictStats()
    rows = list(clf.iter_proba(["great", "", "   ", "\x00"], stats=stats))
    assert len(rows) == 4 and (stats.n, stats.empty, stats.truncated) == (4, 3, 0)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"chunk_size": 0}, {"max_batch_tokens": 0}])
def test_bad_batching_arguments_are_errors(clf, kwargs):
    with pytest.raises(ValueError, match="must be >= 1"):
        list(clf.iter_proba(["x"], **kwargs))


def test_batch_size_one_truncates_and_counts_like_batches(tiny_model_dir):
    clf = textcnn.load(tiny_model_dir)
    clf.max_len = 6
    texts = ["great " * 6 + "dull " * 8, "dull", "", "great fun dull", "fun " * 6]
    stats_one, stats_many = PredictStats(), PredictStats()
    one = np.stack(list(clf.iter_proba(texts, batch_size=1, stats=stats_one)))
    many = np.stack(list(clf.iter_proba(texts, batch_size=64, stats=stats_many)))
    np.testing.assert_allclose(one, many, atol=1e-6)
    assert (stats_one.n, stats_one.empty, stats_one.truncated) == (stats_many.n, stats_many.empty, 1) == (5, 1, 1)
    clf.max_len = None
    assert not np.allclose(clf.predict_proba(texts[:1], batch_size=1), one[:1], atol=1e-6)  # the cut mattered


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_cuda_prediction_matches_cpu_in_fp32_and_bf16():
    from textcnn.models.kim_cnn import KimCNN
    from textcnn.text.tokenizers import TextTokenizer

    texts, _ = toy_sentiment(300, seed=5)
    tokenizer = TextTokenizer.create("kim").fit(texts)
    torch.manual_seed(0)
    model = KimCNN(tokenizer.vocab_size, 3, embedding_dim=16, num_filters=8)
    with torch.no_grad():
        model.head.fc.weight.mul_(50)  # confident, distinct predictions
    cpu = textcnn.TextClassifier(model, tokenizer, ["a", "b", "c"]).predict_proba(texts)
    assert cpu.max(axis=1).mean() > 0.6
    fp32 = textcnn.TextClassifier(model, tokenizer, ["a", "b", "c"], device="cuda", amp=False)
    np.testing.assert_allclose(fp32.predict_proba(texts, batch_size=64), cpu, atol=1e-4)
    np.testing.assert_allclose(fp32.predict_proba(texts, batch_size=1), cpu, atol=1e-4)
    bf16 = textcnn.TextClassifier(model, tokenizer, ["a", "b", "c"], device="cuda", amp=True)
    proba = bf16.predict_proba(texts, batch_size=64)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, cpu, atol=0.05)  # bf16 keeps 8 bits of mantissa
    assert (proba.argmax(axis=1) == cpu.argmax(axis=1)).mean() >= 0.9


@pytest.mark.parametrize("method", ["predict", "predict_proba", "iter_proba"])
def test_a_single_string_is_refused_with_a_hint(clf, method):
    with pytest.raises(TypeError, match=r"pass a list of texts, e\.g\. \[text\]"):
        result = getattr(clf, method)("a gripping , funny film")
        list(result)  # iter_proba is a generator: the check must run before it is consumed, but consume it anyway


def test_bfloat16_precision_is_close_to_float32(tiny_model_dir):
    texts, _ = toy_sentiment(40, seed=5)
    fp32 = textcnn.TextClassifier.from_pretrained(tiny_model_dir)
    bf16 = textcnn.TextClassifier.from_pretrained(tiny_model_dir, precision="bfloat16")
    p32, p16 = fp32.predict_proba(texts, batch_size=16), bf16.predict_proba(texts, batch_size=16)
    assert not np.array_equal(p32, p16)  # bf16 ran
    np.testing.assert_allclose(p16, p32, atol=2e-2)
    assert bf16.precision == "bfloat16" and fp32.precision == "float32"


def test_reduced_precision_needs_a_model_that_supports_it(tiny_model_dir):
    clf = textcnn.load(tiny_model_dir)
    with pytest.raises(ValueError, match="set_inference_dtype"):
        textcnn.TextClassifier(torch.nn.Linear(2, 2), clf.tokenizer, clf.labels, precision="bfloat16")
