"""The transfer set of Tang et al. 2019 ("Distilling Task-Specific Knowledge from BERT into Simple Neural Networks",
section 3.2): new unlabelled texts made from the training texts, for the teacher to label with its logits.

Each augmented text starts from a training text split at whitespace. Every word, independently, is replaced by the
mask word with probability ``p_mask``, else by another word with probability ``p_replace``; then, with probability
``p_ngram``, the text is cut down to one of its n-grams (``n`` uniform in ``ngram_range``, the start uniform).

Replacement, our cheap scheme: Tang et al. replace a word by a random word of the same part of speech, which needs a
tagger. Here the new word is drawn from the words of the training texts by their frequency (unigram sampling), so
frequent words come back often and the vocabulary the student sees stays the training vocabulary. It does not keep
the part of speech; the teacher's logits label whatever text comes out, so a less grammatical text still teaches
the student how the teacher reads those words.

Results are deterministic for a seed, never empty, and deduplicated against the originals and each other.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence


def augment_texts(
    texts: Sequence[str],
    *,
    per_text: int,
    p_mask: float,
    p_replace: float,
    p_ngram: float,
    ngram_range: Sequence[int],
    mask_token: str,
    seed: int,
) -> list[str]:
    """Up to ``per_text`` augmented texts per text of ``texts`` (see the module docstring for the scheme).

    Args:
        texts: The training texts (not changed).
        per_text: Attempts per text; duplicates (of an original, or of an earlier augmented text) are dropped, so
            the result can be shorter than ``per_text * len(texts)``.
        p_mask: Per-word probability of the mask word.
        p_replace: Per-word probability of a word drawn from the training words by frequency.
        p_ngram: Probability of cutting the text down to one of its n-grams.
        ngram_range: ``(min, max)`` n of the n-grams.
        mask_token: The mask word (e.g. ``[MASK]``).
        seed: Seed of every draw.

    Returns:
        New texts (words joined by single spaces), in the order of the texts they come from.

    Raises:
        ValueError: On a probability outside [0, 1], ``p_mask + p_replace > 1``, a bad ``ngram_range`` or
            ``per_text < 0``.
    """
    _check(per_text, p_mask, p_replace, p_ngram, ngram_range)
    split = [text.split() for text in texts]
    counts = Counter(word for words in split for word in words)
    vocabulary, cumulative = list(counts), list(itertools.accumulate(counts.values()))
    rng = random.Random(seed)
    seen = {" ".join(words) for words in split}
    out: list[str] = []
    for words in split:
        if not words:  # an empty text has nothing to augment
            continue
        for _ in range(per_text):
            new = _augment_one(words, rng, p_mask, p_replace, p_ngram, ngram_range, mask_token, vocabulary, cumulative)
            text = " ".join(new)
            if text and text not in seen:
                seen.add(text)
                out.append(text)
    return out


def _augment_one(
    words: list[str],
    rng: random.Random,
    p_mask: float,
    p_replace: float,
    p_ngram: float,
    ngram_range: Sequence[int],
    mask_token: str,
    vocabulary: list[str],
    cumulative: list[int],
) -> list[str]:
    """One augmented copy of ``words`` (never empty when ``words`` is not)."""
    new = []
    for word in words:
        draw = rng.random()
        if draw < p_mask:
            new.append(mask_token)
        elif draw < p_mask + p_replace:
            new.append(rng.choices(vocabulary, cum_weights=cumulative)[0])
        else:
            new.append(word)
    if rng.random() < p_ngram:
        n = min(rng.randint(ngram_range[0], ngram_range[1]), len(new))
        start = rng.randint(0, len(new) - n)
        new = new[start : start + n]
    return new


def _check(per_text: int, p_mask: float, p_replace: float, p_ngram: float, ngram_range: Sequence[int]) -> None:
    for name, p in (("p_mask", p_mask), ("p_replace", p_replace), ("p_ngram", p_ngram)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {p}")
    if p_mask + p_replace > 1.0:
        raise ValueError(f"p_mask + p_replace must be <= 1, got {p_mask + p_replace}")
    if len(ngram_range) != 2 or not 1 <= ngram_range[0] <= ngram_range[1]:
        raise ValueError(f"ngram_range must be (min, max) with 1 <= min <= max, got {list(ngram_range)}")
    if per_text < 0:
        raise ValueError(f"per_text must be >= 0, got {per_text}")
