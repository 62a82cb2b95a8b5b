"""Class weights in the loss: what `train.class_weight` computes and that it changes what a model learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from toy import toy_sentiment

from textcnn import TextCNNClassifier
from textcnn.classify.config import load_config
from textcnn.training.trainer import class_weights_for, classification_loss


def test_balanced_weights_follow_sklearns_rule():
    from sklearn.utils.class_weight import compute_class_weight

    labels = [0] * 90 + [1] * 10
    ours = class_weights_for("balanced", labels, ["neg", "pos"])
    theirs = compute_class_weight("balanced", classes=np.array([0, 1]), y=np.array(labels))
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6)


def test_a_mapping_weights_the_named_labels_and_refuses_unknown_ones():
    assert class_weights_for({"pos": 4}, [0, 1], ["neg", "pos"]).tolist() == [1.0, 4.0]
    with pytest.raises(ValueError, match="'neutral', which is not a label; labels: neg, pos"):
        class_weights_for({"neutral": 2}, [0, 1], ["neg", "pos"])


def test_weighted_loss_is_the_weighted_mean():
    logits, labels = torch.randn(6, 2), torch.tensor([0, 0, 0, 0, 1, 1])
    weights = torch.tensor([1.0, 3.0])
    per_example = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    expected = (per_example * weights[labels]).sum() / weights[labels].sum()
    torch.testing.assert_close(classification_loss(logits, labels, class_weights=weights), expected)


@pytest.mark.parametrize(("value", "message"), [("train.class_weight=heavy", "must be balanced"),
                                                ("train.class_weight={pos: -1}", "positive numbers")])  # fmt: skip
def test_bad_class_weights_name_the_key(value, message):
    with pytest.raises(ValueError, match=message):
        load_config(None, ["data.dataset=mr", value])


def test_balanced_weights_raise_the_recall_of_a_rare_class():
    texts, labels = toy_sentiment(400, seed=3)
    rng = np.random.default_rng(0)
    keep = [i for i, y in enumerate(labels) if y == "neg" or rng.random() < 0.15]  # ~15% of positives kept
    x, y = [texts[i] for i in keep], np.array([labels[i] for i in keep])
    test_x, test_y = toy_sentiment(300, seed=4)
    fast = dict(embedding_dim=8, num_filters=4, epochs=4, batch_size=20, optimizer="adam", lr=0.01,
                dev_fraction=0.0, early_stopping=None)  # fmt: skip

    def pos_recall(**kw) -> float:
        predicted = TextCNNClassifier(**fast, **kw).fit(x, y).predict(test_x)
        positives = [p for p, t in zip(predicted, test_y, strict=True) if t == "pos"]
        return float(np.mean([p == "pos" for p in positives]))

    assert pos_recall(class_weight="balanced") > pos_recall() + 0.5
