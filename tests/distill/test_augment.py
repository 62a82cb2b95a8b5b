"""Tang et al.'s transfer-set augmentation: deterministic, rates as configured, never empty, originals untouched."""

from __future__ import annotations

import pytest
from toy import toy_sentiment

from textcnn.distill.augment import augment_texts

RATES = {"p_mask": 0.1, "p_replace": 0.1, "p_ngram": 0.25, "ngram_range": (1, 5), "mask_token": "[MASK]"}


def test_deterministic_for_a_seed_and_new_for_another():
    texts, _ = toy_sentiment(50, seed=0)
    first = augment_texts(texts, per_text=4, seed=3, **RATES)
    assert first == augment_texts(texts, per_text=4, seed=3, **RATES)
    assert first != augment_texts(texts, per_text=4, seed=4, **RATES)


def test_originals_unchanged_never_empty_no_duplicates():
    texts, _ = toy_sentiment(100, seed=1)
    copy = list(texts)
    out = augment_texts([*texts, "", "   "], per_text=6, seed=0, **RATES)
    assert texts == copy
    assert out and all(text.strip() == text and text for text in out)
    assert len(set(out)) == len(out) and not set(out) & set(texts)
    assert len(out) <= 6 * len(texts)


def test_word_rates_roughly_as_configured():
    texts, _ = toy_sentiment(300, seed=2)
    vocabulary = {w for t in texts for w in t.split()}
    rates = {**RATES, "p_mask": 0.2, "p_replace": 0.0, "p_ngram": 0.0}
    out = augment_texts(texts, per_text=1, seed=0, **rates)
    words = [w for t in out for w in t.split()]
    # dropped duplicates are mostly unmasked copies, so the kept texts hold slightly more masks than 20%
    assert 0.17 < words.count("[MASK]") / len(words) < 0.3
    replaced = augment_texts(texts, per_text=1, seed=0, **{**RATES, "p_mask": 0.0, "p_replace": 1.0, "p_ngram": 0.0})
    out_words = [w for t in replaced for w in t.split()]
    in_words = [w for t in texts for w in t.split()]
    assert set(out_words) <= vocabulary  # replacements come from the training words, drawn by their frequency
    for word in ("the", "good"):  # a filler word is frequent, a sentiment word rare: both keep their share
        assert out_words.count(word) / len(out_words) == pytest.approx(in_words.count(word) / len(in_words), rel=0.3)


def test_ngram_sampling_cuts_texts_to_ngram_range():
    texts = ["a b c d e f g h i j k l"] * 1 + [f"w{i} x y z u v q r s" for i in range(50)]
    out = augment_texts(texts, per_text=5, seed=0, **{**RATES, "p_mask": 0.0, "p_replace": 0.0, "p_ngram": 1.0,
                                                       "ngram_range": (2, 3)})  # fmt: skip
    assert out and all(2 <= len(t.split()) <= 3 for t in out)
    assert all(any(f" {t} " in f" {s} " for s in texts) for t in out)  # contiguous words of an original


def test_zero_rates_give_nothing_new():
    texts, _ = toy_sentiment(20, seed=0)
    assert augment_texts(texts, per_text=5, seed=0, **{**RATES, "p_mask": 0, "p_replace": 0, "p_ngram": 0}) == []


@pytest.mark.parametrize(
    ("change", "match"),
    [({"p_mask": 1.5}, "p_mask"), ({"p_mask": 0.6, "p_replace": 0.6}, "p_mask \\+ p_replace"),
     ({"ngram_range": (3, 2)}, "ngram_range")],
)  # fmt: skip
def test_bad_settings_are_named(change, match):
    with pytest.raises(ValueError, match=match):
        augment_texts(["a b"], per_text=1, seed=0, **{**RATES, **change})
