import numpy as np
import pytest

from textcnn.data.splits import DatasetSplits, TextSplit, cv_fold_indices, cv_splits, holdout_dev, holdout_indices


def _split(n_per_class=(30, 20, 10)):
    labels = [c for c, n in enumerate(n_per_class) for _ in range(n)]
    return TextSplit([f"text {i}" for i in range(len(labels))], labels)


def test_text_split_rejects_mismatched_lengths_naming_both():
    with pytest.raises(ValueError, match="2 texts, 3 labels"):
        TextSplit(["a", "b"], [0, 1, 0])


def test_subset_and_class_counts():
    split = _split()
    sub = split.subset([0, 59, 30])
    assert sub.texts == ["text 0", "text 59", "text 30"] and sub.labels == [0, 2, 1]
    assert split.class_counts(4) == [30, 20, 10, 0]
    with pytest.raises(ValueError, match="out of range"):
        split.class_counts(2)


def test_dataset_splits_checks_labels_against_names():
    with pytest.raises(ValueError, match="out of range"):
        DatasetSplits("x", ["a"], TextSplit(["t"], [1]))
    ds = DatasetSplits("x", ["a", "b"], _split((1, 2)))
    assert ds.num_classes == 2 and ds.summary() == {"train": {"a": 1, "b": 2}}


def test_cv_folds_partition_and_stratify():
    labels = _split().labels
    seen = []
    for fold in range(10):
        train, test = cv_fold_indices(labels, num_folds=10, fold=fold, seed=3)
        assert set(train).isdisjoint(test) and len(train) + len(test) == 60
        assert np.bincount(np.asarray(labels)[test]).tolist() == [3, 2, 1]
        seen.extend(test)
    assert sorted(seen) == list(range(60))


def test_cv_is_seeded():
    labels = _split().labels
    a = cv_fold_indices(labels, num_folds=10, fold=0, seed=1)[1]
    assert np.array_equal(a, cv_fold_indices(labels, num_folds=10, fold=0, seed=1)[1])
    assert not np.array_equal(a, cv_fold_indices(labels, num_folds=10, fold=0, seed=2)[1])
    with pytest.raises(ValueError, match="fold"):
        cv_fold_indices(labels, num_folds=10, fold=10, seed=0)


def test_cv_splits_hold_out_dev_from_training_folds():
    train, dev, test, note = cv_splits(_split(), num_folds=10, fold=4, seed=0, dev_fraction=0.1)
    assert (len(train), len(dev), len(test)) == (48, 6, 6)
    assert not set(dev.texts) & set(test.texts) and not set(dev.texts) & set(train.texts)
    assert note["fold"] == 4 and note["num_folds"] == 10


def test_holdout_keeps_singleton_classes_in_train():
    kept, held, note = holdout_indices([0] * 10 + [1] * 10 + [2], fraction=0.2, seed=0)
    assert 20 in kept and len(held) == 4
    assert note["singleton_classes_kept_in_train"] == [2]


def test_holdout_zero_fraction_gives_no_dev_and_bad_fraction_raises():
    train, dev, _ = holdout_dev(_split(), fraction=0.0, seed=0)
    assert dev is None and len(train) == 60
    with pytest.raises(ValueError, match="dev_fraction"):
        holdout_dev(_split(), fraction=1.0, seed=0)
