"""Library function behind ``textcnn evaluate``: metrics of a saved model on a dataset split or a labelled file."""

from __future__ import annotations

from pathlib import Path

from textcnn.classify.classifier import TextClassifier


def evaluate_model_dir(
    model_dir: str | Path,
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    fold: int = 0,
    split: str = "test",
    split_seed: int = 0,
    file: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    batch_size: int = 256,
) -> dict:
    """Metrics of a saved model on a registered dataset's split or on a labelled file.

    Raises:
        ValueError: If neither/both of ``dataset`` and ``file`` are given, the labels differ from the model's, or a
            file holds a label the model never saw (named with its row).
    """
    from textcnn.training.metrics import classification_metrics

    if (dataset is None) == (file is None):
        raise ValueError("give exactly one of --dataset or --file")
    clf = TextClassifier.from_pretrained(model_dir)
    if dataset is not None:
        from textcnn.data.registry import load_dataset

        splits = load_dataset(dataset, data_dir, fold=fold, seed=split_seed)
        part = getattr(splits, split, None)
        if part is None:
            raise ValueError(f"dataset {dataset!r} has no {split!r} split")
        if list(splits.label_names) != clf.labels:
            raise ValueError(f"dataset {dataset!r} has labels {splits.label_names}, the model {clf.labels}")
        texts, gold = list(part.texts), list(part.labels)
    else:
        from textcnn.data.files import load_text_file

        part, names = load_text_file(file, text_column=text_column, label_column=label_column)
        index = {name: i for i, name in enumerate(clf.labels)}
        gold = []
        for row, label in enumerate(part.labels, start=1):
            name = names[label]
            if name not in index:
                raise ValueError(
                    f"{file}: row {row} has label {name!r}, which the model never saw "
                    f"(model labels: {', '.join(clf.labels)})"
                )
            gold.append(index[name])
        texts = list(part.texts)
    proba = clf.predict_proba(texts, batch_size=batch_size)
    return classification_metrics(gold, proba.argmax(axis=1).tolist(), clf.labels)
