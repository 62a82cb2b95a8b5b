"""The baselines: NBSVM (Wang & Manning 2012) and the run_baseline entry point on toy splits."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.svm import LinearSVC
from toy import toy_sentiment

from textcnn.bench.baselines import BASELINES, NBSVM, fasttext_available, run_baseline
from textcnn.data.splits import DatasetSplits, TextSplit


def _toy_splits(num_classes: int = 2) -> DatasetSplits:
    def split(n, seed):
        texts, labels = toy_sentiment(n, seed)
        ids = [int(lab == "pos") for lab in labels]
        if num_classes == 3:  # a third class marked by its own word
            rng = np.random.default_rng(seed)
            for i in np.flatnonzero(rng.random(n) < 0.3):
                texts[i], ids[i] = texts[i] + " meh", 2
        return TextSplit(texts, ids)

    names = ["neg", "pos", "mid"][:num_classes]
    return DatasetSplits("toy", names, split(300, 0), split(80, 1), split(150, 2))


def _binary_features(splits):
    vec = CountVectorizer(binary=True, ngram_range=(1, 2), tokenizer=str.split, token_pattern=None)
    return vec.fit_transform(splits.train.texts), vec.transform(splits.test.texts)


def test_nbsvm_learns_binary_and_string_labels():
    splits = _toy_splits()
    X, Xt = _binary_features(splits)
    y = np.array(["neg", "pos"])[splits.train.labels]
    model = NBSVM().fit(X, y)
    assert list(model.classes_) == ["neg", "pos"]
    assert model.coef_.shape == (1, X.shape[1])
    pred = model.predict(Xt)
    assert np.mean(pred == np.array(["neg", "pos"])[splits.test.labels]) > 0.95


def test_nbsvm_one_vs_rest_for_more_classes():
    splits = _toy_splits(3)
    X, Xt = _binary_features(splits)
    model = NBSVM().fit(X, splits.train.labels)
    assert model.coef_.shape[0] == 3
    assert model.decision_function(Xt).shape == (len(splits.test), 3)
    assert np.mean(model.predict(Xt) == np.asarray(splits.test.labels)) > 0.9


def test_nbsvm_beta_one_is_the_svm_on_log_count_ratio_features():
    splits = _toy_splits()
    X, Xt = _binary_features(splits)
    y = np.asarray(splits.train.labels)
    model = NBSVM(beta=1.0).fit(X, y)
    X = X.astype(float)
    p = 1 + np.asarray(X[y == 1].sum(0)).ravel()
    q = 1 + np.asarray(X[y == 0].sum(0)).ravel()
    r = np.log((p / p.sum()) / (q / q.sum()))
    svm = LinearSVC(C=1.0, max_iter=10_000).fit(X.multiply(r).tocsr(), y)
    expected = svm.decision_function(Xt.astype(float).multiply(r).tocsr())
    np.testing.assert_allclose(model.decision_function(Xt), expected, rtol=1e-3, atol=1e-3)


def test_nbsvm_validates_and_requires_fit():
    with pytest.raises(ValueError, match="beta must be in"):
        NBSVM(beta=1.5).fit(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        NBSVM().fit(np.eye(2), [1, 1])
    with pytest.raises(ValueError, match="not fitted"):
        NBSVM().predict(np.eye(2))


@pytest.mark.parametrize("method", ["tfidf_lr", "tfidf_svm", "nbsvm", "fasttext"])
@pytest.mark.parametrize("num_classes", [2, 3])
def test_run_baseline_scores_the_test_split(method, num_classes):
    if method == "fasttext" and not fasttext_available():
        pytest.skip("fasttext module not installed")
    result, accuracy = run_baseline(method, _toy_splits(num_classes), seed=0)
    assert len(result.predictions) == 150
    assert accuracy > 0.85
    assert result.seconds >= 0
    if method != "nbsvm":
        assert result.chosen["dev_accuracy"] is not None  # one setting chosen on dev


def test_run_baseline_rejects_unknown_method_and_missing_test():
    with pytest.raises(ValueError, match="unknown baseline 'svm'"):
        run_baseline("svm", _toy_splits())
    splits = _toy_splits()
    splits.test = None
    with pytest.raises(ValueError, match="no test split"):
        run_baseline("nbsvm", splits)
    assert set(BASELINES) == {"tfidf_lr", "tfidf_svm", "nbsvm", "fasttext"}


@pytest.mark.skipif(not fasttext_available(), reason="fasttext module not installed")
def test_fasttext_trains_on_shuffled_lines(monkeypatch):
    """fastText reads its file in order; class-sorted lines (as the Kim CV splits are) gave MR near-chance accuracy."""
    import fasttext

    seen: list[list[str]] = []
    real = fasttext.train_supervised

    def spy(path, **kwargs):
        with open(path, encoding="utf-8") as fh:
            seen.append([line.split(" ", 1)[0] for line in fh])
        return real(path, **kwargs)

    monkeypatch.setattr(fasttext, "train_supervised", spy)
    splits = _toy_splits()
    splits.train = splits.train.subset(np.argsort(splits.train.labels, kind="stable"))  # all negatives first
    _, accuracy = run_baseline("fasttext", splits, seed=0)
    labels = seen[0]
    assert sorted(labels) == sorted(f"__label__{y}" for y in splits.train.labels)
    first_half = labels[: len(labels) // 2]
    assert 0.3 < first_half.count("__label__1") / len(first_half) < 0.7  # mixed, not sorted
    assert accuracy > 0.85
