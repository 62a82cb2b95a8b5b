"""TextCNNClassifier as a scikit-learn estimator: fit/predict, Pipeline, cross_val_score, GridSearchCV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import check_get_params_invariance, check_no_attributes_set_in_init
from toy import toy_sentiment

from textcnn import TextCNNClassifier

FAST = dict(embedding_dim=16, num_filters=8, epochs=4, batch_size=20, optimizer="adam", lr=0.01)


@pytest.fixture(scope="module")
def data():
    texts, labels = toy_sentiment(300, seed=5)
    return texts, np.array(labels)


def test_fit_predict_score(data):
    texts, labels = data
    est = TextCNNClassifier(**FAST).fit(texts, labels)
    assert list(est.classes_) == ["neg", "pos"]
    proba = est.predict_proba(texts[:10])
    assert proba.shape == (10, 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert est.score(texts, labels) > 0.9
    # the toy data's sentiment words decide the label: each prediction is the right one, not just a known class
    assert list(est.predict(["superb superb", "awful awful"])) == ["pos", "neg"]


def test_same_random_state_same_predictions(data):
    texts, labels = data
    a = TextCNNClassifier(**FAST, random_state=1).fit(texts, labels).predict_proba(texts[:20])
    b = TextCNNClassifier(**FAST, random_state=1).fit(texts, labels).predict_proba(texts[:20])
    np.testing.assert_array_equal(a, b)


def test_in_pipeline_cross_val_and_grid_search(data):
    texts, labels = data
    pipe = Pipeline(
        [
            ("lower", FunctionTransformer(lambda xs: [x.lower() for x in xs])),
            ("cnn", TextCNNClassifier(**{**FAST, "epochs": 2})),
        ]
    )
    scores = cross_val_score(pipe, texts, labels, cv=2)
    assert scores.shape == (2,) and scores.min() > 0.6
    grid = GridSearchCV(TextCNNClassifier(**{**FAST, "epochs": 2}), {"num_filters": [4, 8]}, cv=2)
    grid.fit(texts, labels)
    # the grid really fitted each candidate: its best model has the chosen number of maps, and the reported best
    # score is the larger mean test score of the two
    best = grid.best_params_["num_filters"]
    assert grid.best_estimator_.classifier_.model.convs[0].conv.out_channels == best
    assert grid.best_score_ == max(grid.cv_results_["mean_test_score"])
    assert len(grid.cv_results_["params"]) == 2


def test_sklearn_conventions():
    est = TextCNNClassifier(**FAST)
    check_no_attributes_set_in_init("TextCNNClassifier", est)
    check_get_params_invariance("TextCNNClassifier", est)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(Exception, match="not fitted"):
        est.predict(["x"])


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (["a", "b"], ["x"], "X has 2 texts but y has 1 labels"),
        (["a", "b"], ["x", "x"], "only one class"),
        ([1, 2], ["x", "y"], r"X\[0\] is int"),
        ("just a string", ["x"], "not a single string"),
        (np.zeros((2, 3)), ["x", "y"], "1-D sequence of texts"),
    ],
)
def test_bad_input_is_a_clear_value_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        TextCNNClassifier(**FAST).fit(X, y)


def test_save_and_load(data, tmp_path):
    import textcnn

    texts, labels = data
    est = TextCNNClassifier(**FAST).fit(texts, labels)
    est.save_pretrained(tmp_path / "m")
    np.testing.assert_array_equal(est.predict(texts[:30]), textcnn.load(tmp_path / "m").predict(texts[:30]))


# The parts of check_estimator that apply to an estimator of raw texts (the others feed numeric arrays as X, which
# check_estimator itself skips for estimators tagged as taking strings).
APPLICABLE_CHECKS = [
    "check_parameters_default_constructible",
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_unfitted",
]


@pytest.mark.parametrize("check", APPLICABLE_CHECKS)
def test_applicable_check_estimator_checks(check):
    getattr(estimator_checks, check)("TextCNNClassifier", TextCNNClassifier(**FAST))


def test_integer_labels_keep_their_type_through_save_and_load(data, tmp_path):
    import textcnn

    texts, labels = data
    y = np.where(labels == "pos", 1, 0)
    est = TextCNNClassifier(**FAST).fit(texts, y)
    est.save_pretrained(tmp_path / "m")
    loaded = textcnn.load(tmp_path / "m")
    assert loaded.labels == [0, 1] and all(type(x) is int for x in loaded.labels)
    predicted = loaded.predict(texts[:30])
    assert all(type(x) is int for x in predicted)
    assert predicted == est.predict(texts[:30]).tolist()


def test_max_norm_none_trains_without_the_constraint(data):
    texts, labels = data
    free = TextCNNClassifier(**{**FAST, "epochs": 1}, max_norm=None).fit(texts, labels)
    assert free.classifier_.model.head.fc.max_norm is None
    kim = TextCNNClassifier(**{**FAST, "epochs": 1}).fit(texts, labels)
    assert kim.classifier_.model.head.fc.max_norm == 3.0  # the builder's default (Kim's s = 3)
