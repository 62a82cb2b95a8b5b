"""Library function behind ``textcnn evaluate``: metrics of a saved model (text or image) on a dataset split or a
labelled file."""

from __future__ import annotations

from pathlib import Path

from textcnn.classify.classifier import load

#: Image datasets ``evaluate`` can score an image model on (read with :func:`textcnn.data.mnist.load_mnist`).
IMAGE_DATASETS = ("mnist",)


def evaluate_model_dir(
    model_dir: str | Path,
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    fold: int = 0,
    split: str = "test",
    split_seed: int = 0,
    file: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 256,
) -> dict:
    """Metrics of a saved model on a registered dataset's split or on a labelled file.

    The result also says what was scored: ``scored = {"dataset" or "file", "split", "fold", "long_texts"}`` (for a
    model with a ``max_len``: how longer texts were read; the settings in ``long_documents``). A labelled file's
    columns default to those the model was trained with (``data.text_column`` / ``data.label_column`` of its config).

    Raises:
        ValueError: If neither/both of ``dataset`` and ``file`` are given, the labels differ from the model's, or a
            file holds a label the model never saw (named with its row).
    """
    from textcnn.training.metrics import classification_metrics

    if (dataset is None) == (file is None):
        raise ValueError("give exactly one of --dataset or --file")
    clf = load(model_dir)
    if getattr(clf, "task", "text") == "image":
        gold, proba, scored = _image_predictions(clf, dataset, data_dir, split, batch_size)
    elif dataset is not None:
        texts, gold, scored = _dataset_examples(clf, dataset, data_dir, fold, split, split_seed)
        proba = clf.predict_proba(texts, batch_size=batch_size)
    else:
        data = clf.config.get("data", {}) if isinstance(clf.config.get("data"), dict) else {}
        columns = (text_column or data.get("text_column", "text"), label_column or data.get("label_column", "label"))
        read = _file_examples
        if getattr(clf, "multi_label", False):
            from textcnn.classify.multilabel import file_examples as read
        texts, gold, scored = read(clf, file, *columns)
        proba = clf.predict_proba(texts, batch_size=batch_size)
    if getattr(clf, "multi_label", False):  # every label at or above its saved threshold
        from textcnn.classify.multilabel import multilabel_metrics

        metrics = multilabel_metrics(gold, proba, [str(x) for x in clf.labels], clf.thresholds)
    else:
        metrics = classification_metrics(gold, proba.argmax(axis=1).tolist(), [str(x) for x in clf.labels])
    if getattr(clf, "max_len", None) is not None:  # a text model with a max_len: say how its long texts were read
        from textcnn.classify.windows import describe_long_documents

        metrics["long_documents"] = clf.long_documents
        scored["long_texts"] = describe_long_documents(clf.max_len, **clf.long_documents)
    metrics["scored"] = scored
    return metrics


def _dataset_examples(clf, dataset: str, data_dir, fold: int, split: str, split_seed: int):
    from textcnn.data.registry import get_dataset_spec, load_dataset

    splits = load_dataset(dataset, data_dir, fold=fold, seed=split_seed)
    part = getattr(splits, split, None)
    if part is None:
        raise ValueError(f"dataset {dataset!r} has no {split!r} split")
    if [str(x) for x in splits.label_names] != [str(x) for x in clf.labels]:
        raise ValueError(f"dataset {dataset!r} has labels {splits.label_names}, the model {clf.labels}")
    from textcnn.classify.multilabel import check_same_kind

    check_same_kind(splits, getattr(clf, "multi_label", False))
    scored = {"dataset": splits.name, "split": split, "n": len(part)}
    if get_dataset_spec(dataset).num_folds:
        scored["fold"] = fold
    return list(part.texts), list(part.labels), scored


def _file_examples(clf, file: str, text_column: str, label_column: str):
    from textcnn.data.files import load_text_file

    part, names = load_text_file(file, text_column=text_column, label_column=label_column)
    index = {str(name): i for i, name in enumerate(clf.labels)}
    gold = []
    for row, label in enumerate(part.labels, start=1):
        name = str(names[label])
        if name not in index:
            raise ValueError(
                f"{file}: row {row} has label {name!r}, which the model never saw "
                f"(model labels: {', '.join(map(str, clf.labels))})"
            )
        gold.append(index[name])
    return list(part.texts), gold, {"file": str(file), "n": len(gold)}


def _image_predictions(clf, dataset: str | None, data_dir, split: str, batch_size: int):
    if dataset not in IMAGE_DATASETS:
        raise ValueError(f"{clf.model_name} is an image model: score it on one of {', '.join(IMAGE_DATASETS)}")
    if split not in ("train", "test"):
        raise ValueError(f"dataset {dataset!r} has the splits train and test, not {split!r}")
    from textcnn.data.mnist import load_mnist

    images, labels = load_mnist(data_dir, split)
    proba = clf.predict_proba(images, batch_size=batch_size)
    return labels.tolist(), proba, {"dataset": dataset, "split": split, "n": int(labels.size)}
