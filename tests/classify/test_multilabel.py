"""Multi-label classification: metrics against scikit-learn, threshold choice on dev, a real training run on a
written JSONL file, and save/load of the thresholds."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from textcnn.classify import multilabel as ml
from textcnn.classify.config import load_config
from textcnn.classify.train import train_text_classifier

GOLD = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 1]])
PROBA = np.array(
    [
        [0.9, 0.2, 0.6],
        [0.4, 0.7, 0.1],
        [0.8, 0.3, 0.2],
        [0.1, 0.6, 0.35],
        [0.55, 0.1, 0.5],
        [0.2, 0.9, 0.45],
    ]
)
THRESHOLDS = [0.5, 0.5, 0.4]


def test_metrics_match_sklearn():
    pred = np.greater_equal(PROBA, THRESHOLDS).astype(int)
    m = ml.multilabel_metrics(GOLD, PROBA, ["a", "b", "c"], THRESHOLDS)
    assert m["multi_label"] and m["n"] == 6
    assert m["micro_f1"] == pytest.approx(f1_score(GOLD, pred, average="micro"))
    assert m["macro_f1"] == pytest.approx(f1_score(GOLD, pred, average="macro"))
    assert m["samples_f1"] == pytest.approx(f1_score(GOLD, pred, average="samples"))
    assert m["subset_accuracy"] == m["accuracy"] == pytest.approx(accuracy_score(GOLD, pred))
    precision, recall = precision_score(GOLD, pred, average=None), recall_score(GOLD, pred, average=None)
    for i, name in enumerate("abc"):
        row = m["per_class"][name]
        assert (row["precision"], row["recall"]) == pytest.approx((precision[i], recall[i]))
        assert row["support"] == GOLD[:, i].sum() and row["threshold"] == THRESHOLDS[i]
    json.dumps(m)  # goes into metrics.json
    table = ml.format_multilabel_metrics(m, title="t")
    assert "micro-F1" in table and "subset accuracy" in table and "threshold" in table


def test_per_label_thresholds_maximise_each_labels_f1_on_dev():
    # label 0: positives at 0.3, negatives at 0.1 -> 0.3 separates them; label 1: positives 0.9, negatives 0.6
    gold = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
    proba = np.array([[0.3, 0.9], [0.3, 0.6], [0.1, 0.9], [0.1, 0.6]])
    chosen = ml.choose_thresholds(gold, proba, "per_label")
    assert chosen.tolist() == [0.3, 0.65]  # the separating candidates closest to 0.5
    assert ml.multilabel_metrics(gold, proba, ["x", "y"], chosen)["macro_f1"] == 1.0
    assert ml.multilabel_metrics(gold, proba, ["x", "y"], 0.5)["macro_f1"] < 1.0


def test_global_threshold_is_the_best_single_one_for_micro_f1():
    chosen = ml.choose_thresholds(GOLD, PROBA, "global")
    assert len(set(chosen.tolist())) == 1
    best = max(ml.multilabel_metrics(GOLD, PROBA, "abc", t)["micro_f1"] for t in ml.THRESHOLD_GRID)
    assert ml.multilabel_metrics(GOLD, PROBA, "abc", chosen)["micro_f1"] == pytest.approx(best)


def test_fixed_threshold_and_labels_without_positives():
    assert ml.choose_thresholds(GOLD, PROBA, 0.3).tolist() == [0.3, 0.3, 0.3]
    gold = np.array([[1, 0], [0, 0]])
    proba = np.array([[0.2, 0.9], [0.1, 0.8]])
    assert ml.choose_thresholds(gold, proba, "per_label")[1] == ml.DEFAULT_THRESHOLD  # nothing to choose on
    with pytest.raises(ValueError, match="train.threshold must be per_label or global"):
        ml.choose_thresholds(gold, proba, "best")
    with pytest.raises(ValueError, match="train.threshold"):
        load_config(None, ["data.dataset=file", "data.train_file=x.csv", "train.threshold=1.5"])


def test_binary_cross_entropy_for_multi_hot_targets():
    from textcnn.training.trainer import classification_loss

    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 1.0, -2.0]])
    target = torch.tensor([[1, 0, 1], [0, 1, 1]])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, target.float())
    assert torch.allclose(classification_loss(logits, target), expected)
    single = classification_loss(logits, torch.tensor([0, 1]))  # class ids keep cross-entropy
    assert torch.allclose(single, torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1])))


_FILL = ["the", "of", "and", "to", "in", "is", "it", "that", "was", "for", "on", "with"]


def _write_jsonl(path, n: int, seed: int):
    """Texts with word ``apple`` have label a, ``banana`` label b, both words both labels; ``cherry`` alone: c."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            kind = i % 4
            words, labels = rng.choices(_FILL, k=rng.randint(3, 8)), []
            for word, label, kinds in (("apple", "a", (0, 2)), ("banana", "b", (1, 2)), ("cherry", "c", (3,))):
                if kind in kinds:
                    words.insert(rng.randint(0, len(words)), word)
                    labels.append(label)
            fh.write(json.dumps({"text": " ".join(words), "label": labels}) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from toy import TINY_OVERRIDES

    root = tmp_path_factory.mktemp("multilabel")
    files = {name: _write_jsonl(root / f"{name}.jsonl", n, seed) for name, n, seed in
             (("train", 240, 0), ("dev", 60, 1), ("test", 60, 2))}  # fmt: skip
    overrides = [*TINY_OVERRIDES, "train.epochs=12", "model.mode=rand", "data.dataset=file", "data.multi_label=true"]
    overrides += [f"data.{name}_file={path}" for name, path in files.items()]
    outcome = train_text_classifier(load_config(None, overrides), root / "run", echo=None)
    return outcome, files


def test_trained_model_predicts_both_labels_for_both_words(trained):
    outcome, _ = trained
    clf = outcome.classifier
    assert clf.multi_label and clf.labels == ["a", "b", "c"]
    got = clf.predict(["it was apple and banana", "the banana is", "in the cherry", "apple of the"])
    assert [sorted(x) for x in got] == [["a", "b"], ["b"], ["c"], ["a"]]
    proba = clf.predict_proba(["it was apple and banana"])
    assert proba.shape == (1, 3) and proba[0, 0] > 0.5 and proba[0, 1] > 0.5 and proba[0, 2] < 0.5  # sigmoids
    m = outcome.metrics
    assert m["test"]["micro_f1"] > 0.9 and m["selection_metric"] == "micro_f1"
    assert m["threshold_rule"] == "per_label (chosen on dev)" and set(m["thresholds"]) == {"a", "b", "c"}
    for key in ("micro_f1", "macro_f1", "samples_f1", "subset_accuracy", "per_class"):
        assert key in m["dev"] and key in m["test"]
    assert (outcome.out_dir / "label_f1.png").is_file() and not (outcome.out_dir / "confusion_matrix.png").exists()


def test_save_and_load_keep_multi_label_and_thresholds(trained, tmp_path):
    import textcnn

    outcome, _ = trained
    meta = json.loads((outcome.out_dir / "textcnn.json").read_text())
    assert meta["multi_label"] is True and meta["thresholds"] == outcome.metrics["thresholds"]
    saved = json.loads((outcome.out_dir / "metrics.json").read_text())
    assert saved["test"]["per_class"]["a"]["precision"] > 0.8
    loaded = textcnn.load(outcome.out_dir)
    assert loaded.multi_label and loaded.thresholds == list(outcome.metrics["thresholds"].values())
    texts = ["apple banana", "cherry", "nothing here"]
    assert loaded.predict(texts) == outcome.classifier.predict(texts)
    # a changed threshold is what loading uses
    meta["thresholds"]["c"] = 0.999
    (outcome.out_dir / "textcnn.json").write_text(json.dumps(meta))
    try:
        assert textcnn.load(outcome.out_dir).predict(["in the cherry"]) == [[]]
        del meta["thresholds"]["c"]
        (outcome.out_dir / "textcnn.json").write_text(json.dumps(meta))
        with pytest.raises(ValueError, match="textcnn.json: label 'c' needs a threshold"):
            textcnn.load(outcome.out_dir)
    finally:
        meta["thresholds"]["c"] = outcome.metrics["thresholds"]["c"]
        (outcome.out_dir / "textcnn.json").write_text(json.dumps(meta))


def test_evaluate_scores_a_multi_label_file(trained):
    from textcnn.classify.evaluate import evaluate_model_dir

    outcome, files = trained
    m = evaluate_model_dir(outcome.out_dir, file=str(files["test"]))
    assert m["multi_label"] and m["n"] == 60
    assert m["micro_f1"] == pytest.approx(outcome.metrics["test"]["micro_f1"])


def test_class_weights_are_refused_for_multi_label(trained, tmp_path):
    _, files = trained
    overrides = ["data.dataset=file", f"data.train_file={files['train']}", "data.multi_label=true",
                 "train.class_weight=balanced", "train.epochs=1", "train.progress=false"]  # fmt: skip
    with pytest.raises(ValueError, match="train.class_weight is not supported for multi-label"):
        train_text_classifier(load_config(None, overrides), tmp_path / "run", echo=None)
    assert not (tmp_path / "run").exists()


def test_windowed_long_texts_are_scored_as_the_saved_model_reads_them(trained, tmp_path):
    from toy import TINY_OVERRIDES

    from textcnn.classify.evaluate import evaluate_model_dir

    _, files = trained
    overrides = [*TINY_OVERRIDES, "train.epochs=2", "model.mode=rand", "model.filter_widths=[2]", "data.max_len=4",
                 "data.windows=max", "data.dataset=file", "data.multi_label=true", f"data.train_file={files['train']}",
                 f"data.dev_file={files['dev']}"]  # fmt: skip
    outcome = train_text_classifier(load_config(None, overrides), tmp_path / "run", echo=None)
    dev = outcome.metrics["dev"]
    assert dev["truncated_examples"] > 0
    again = evaluate_model_dir(outcome.out_dir, file=str(files["dev"]))
    assert again["scored"]["long_texts"].startswith("max-pooled 4-token windows")
    assert again["micro_f1"] == pytest.approx(dev["micro_f1"]) and again["samples_f1"] == pytest.approx(
        dev["samples_f1"]
    )
