"""The CNN + linear hybrid: the linear part as plain arrays, the weight chosen on dev, save and load."""

from __future__ import annotations

import json

import numpy as np
import pytest
from toy import toy_sentiment

from textcnn.bench.baselines import LINEAR_FITS, baseline_texts
from textcnn.classify import model_dir as md
from textcnn.classify.classifier import TextClassifier, load
from textcnn.classify.hybrid import (
    LINEAR_KINDS,
    WEIGHT_GRID,
    HybridClassifier,
    LinearTextModel,
    choose_weight,
    fit_hybrid,
    fit_linear,
)
from textcnn.data.splits import DatasetSplits, TextSplit

_TOPICS = {
    0: ["goal", "match", "team", "coach", "league"],
    1: ["vote", "party", "senate", "law", "election"],
    2: ["chip", "software", "cloud", "code", "robot"],
}
# unseen words, repeated n-grams, punctuation and case that Kim's cleaner splits, an empty text, None
_PROBES = ["The team 's coach , the TEAM coach !", "a senate vote on cloud code code code", "zebra quartz", "", None]


def _topics(n: int, seed: int) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 3
        words = list(rng.choice(_TOPICS[label], size=3)) + list(rng.choice(sum(_TOPICS.values(), []), size=2))
        texts.append(" ".join(rng.permutation(words)) + (" !" if i % 4 else ""))
        labels.append(label)
    return texts, labels


def _binary(n: int, seed: int) -> tuple[list[str], list[int]]:
    texts, names = toy_sentiment(n, seed)
    return texts, [int(name == "pos") for name in names]


@pytest.mark.parametrize("kind", LINEAR_KINDS)
@pytest.mark.parametrize("data", [_binary, _topics], ids=["2-classes", "3-classes"])
def test_linear_arrays_reproduce_sklearn_probabilities(kind, data):
    train, dev, test = data(150, 0), data(60, 1), data(60, 2)
    num_classes = len(set(train[1]))
    prepared = [(baseline_texts(t), np.asarray(y)) for t, y in (train, dev)]
    fitted = LINEAR_FITS[kind](*prepared)  # the benchmark's pipeline, fitted once (liblinear shuffles at random)
    linear = LinearTextModel.from_sklearn(kind, fitted.vectorizer, fitted.model, num_classes=num_classes,
                                          lowercase=True, chosen=fitted.chosen)  # fmt: skip

    texts = test[0] + _PROBES
    expected = fitted.model.predict_proba(fitted.vectorizer.transform(baseline_texts([t or "" for t in texts])))
    got = linear.predict_proba(texts)
    assert got.shape == (len(texts), num_classes)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)
    assert np.mean(got[: len(test[0])].argmax(axis=1) == test[1]) > 0.9  # and it learned the task


def test_linear_kinds_are_linear_baselines():
    assert set(LINEAR_KINDS) <= set(LINEAR_FITS)


def test_linear_save_load_roundtrip_and_corrupt_arrays(tmp_path):
    train, dev = _topics(90, 0), _topics(30, 1)
    linear = fit_linear("tfidf_lr", train, dev, num_classes=3, lowercase=False)
    linear.save(tmp_path)
    meta = json.loads((tmp_path / md.LINEAR_FILE).read_text())
    assert meta["kind"] == "tfidf_lr" and meta["lowercase"] is False and meta["vocabulary"] == linear.vocabulary
    back = LinearTextModel.load(tmp_path)
    texts = _topics(20, 5)[0] + _PROBES
    np.testing.assert_array_equal(back.predict_proba(texts), linear.predict_proba(texts))

    meta["vocabulary"] = meta["vocabulary"][:-1]  # one feature fewer than the arrays have
    (tmp_path / md.LINEAR_FILE).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"linear\.safetensors: arrays .* do not match linear\.json"):
        LinearTextModel.load(tmp_path)
    (tmp_path / md.LINEAR_WEIGHTS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=r"linear\.safetensors is missing"):
        LinearTextModel.load(tmp_path)


def test_choose_weight_follows_dev():
    gold = np.array([0, 1] * 50)
    right = np.eye(2)[gold] * 0.8 + 0.1  # confident and right
    wrong = right[:, ::-1]  # confident and wrong
    w, table = choose_weight(right, wrong, gold)
    assert w == 1.0 and table[1.0] == 1.0 and table[0.0] == 0.0
    assert sorted(table) == list(WEIGHT_GRID)
    assert choose_weight(wrong, right, gold)[0] == 0.0


def _splits(clf: TextClassifier, flip_train: bool, flip_dev: bool):
    """Toy splits with label ids of ``clf``; a flipped split has every label swapped."""

    def split(n, seed, flip):
        texts, names = toy_sentiment(n, seed)
        ids = [clf.labels.index(name) for name in names]
        return TextSplit(texts, [1 - i for i in ids] if flip else ids)

    return DatasetSplits("toy", list(clf.labels), split(300, 10, flip_train), split(100, 11, flip_dev),
                         split(100, 12, False))  # fmt: skip


def test_weight_is_chosen_on_dev_with_real_models(tiny_model_dir):
    cnn = TextClassifier.from_pretrained(tiny_model_dir)
    cnn_test = cnn.metrics["test"]
    # the linear model learns the task backwards: useless (worse than useless) on dev, so the CNN takes all
    hybrid = fit_hybrid(cnn, "nbsvm", _splits(cnn, flip_train=True, flip_dev=False))
    acc = hybrid.metrics["hybrid"]["accuracy"]
    assert hybrid.weight == 1.0
    assert acc["linear"]["dev"] < 0.2 and acc["cnn"]["dev"] > 0.8
    assert hybrid.metrics["test"]["accuracy"] == acc["hybrid"]["test"] == acc["cnn"]["test"]
    assert hybrid.metrics["cnn"]["test"] == cnn_test  # the CNN's own metrics are kept beside
    # dev labels flipped too: now the linear model is the right one on dev and the CNN the wrong one
    cnn = TextClassifier.from_pretrained(tiny_model_dir)
    assert fit_hybrid(cnn, "nbsvm", _splits(cnn, flip_train=True, flip_dev=True)).weight == 0.0


def test_save_load_gives_identical_probabilities(tiny_model_dir, tmp_path):
    cnn = TextClassifier.from_pretrained(tiny_model_dir)
    hybrid = fit_hybrid(cnn, "tfidf_lr", _splits(cnn, flip_train=False, flip_dev=False))
    hybrid.weight = 0.4  # a real mix, whatever dev chose
    texts = toy_sentiment(50, 20)[0] + ["", "good good good but boring"]
    expected = hybrid.predict_proba(texts)
    mixed = 0.4 * cnn.predict_proba(texts) + 0.6 * hybrid.linear.predict_proba(texts)
    np.testing.assert_allclose(expected, mixed, atol=1e-6)

    out = hybrid.save_pretrained(tmp_path / "hybrid")
    meta = json.loads((out / md.META_FILE).read_text())
    assert meta["hybrid"] == {"linear": "tfidf_lr", "weight": 0.4}
    assert not list(out.glob("*.pkl")) and (out / md.LINEAR_WEIGHTS_FILE).is_file()
    back = load(out)
    assert isinstance(back, HybridClassifier) and back.labels == cnn.labels
    np.testing.assert_array_equal(back.predict_proba(texts), expected)
    streamed = np.stack(list(back.iter_proba(iter(texts), chunk_size=7)))  # other batches: float32 rounding only
    np.testing.assert_allclose(streamed, expected, atol=1e-6)
    assert back.predict(texts[:3]) == hybrid.predict(texts[:3])
    with pytest.raises(ValueError, match="explain covers a Kim CNN alone"):
        back.explain(texts[0])

    meta["hybrid"]["weight"] = 1.5
    (out / md.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"textcnn\.json: hybrid\.weight must be a number in \[0, 1\]"):
        load(out)


def test_a_hybrid_is_not_exported_or_quantised_as_its_cnn_alone(tiny_model_dir, tmp_path):
    from textcnn.classify.export import export_onnx
    from textcnn.classify.quantize import quantize_model_dir

    cnn = TextClassifier.from_pretrained(tiny_model_dir)
    out = fit_hybrid(cnn, "nbsvm", _splits(cnn, flip_train=False, flip_dev=False)).save_pretrained(tmp_path / "h")
    with pytest.raises(ValueError, match="hybrid"):
        export_onnx(out, tmp_path / "h.onnx")
    with pytest.raises(ValueError, match="hybrid"):
        quantize_model_dir(out, tmp_path / "q", "int8")
    assert not (tmp_path / "h.onnx").exists() and not (tmp_path / "q").exists()
