"""The model card (``README.md``) every model directory carries, in Hugging Face's format: a YAML block of metadata
(through ``huggingface_hub.ModelCardData``) and a Markdown body that says what the model is, what it was trained and
measured on, and how to load it."""

from __future__ import annotations

from pathlib import Path

from textcnn.utils.tables import markdown_table


def model_card(
    *, model_name: str, model_kwargs: dict, labels: list, task: str, config: dict, metrics: dict, versions: dict
) -> str:
    """The card's text (YAML front matter and Markdown), from what a model directory holds."""
    from huggingface_hub import ModelCardData

    data = ModelCardData(
        library_name="textcnn",
        pipeline_tag="text-classification" if task == "text" else "image-classification",
        tags=["textcnn", "cnn", model_name],
        model_name=model_name,
    )
    data_section = config.get("data") or {}
    dataset = f"`{data_section.get('dataset') or metrics.get('dataset') or 'unknown data'}`"
    if dataset == "`file`" and data_section.get("train_file"):
        dataset = f"the file {Path(str(data_section['train_file'])).name}"
    parts = [
        f"---\n{data.to_yaml()}\n---\n",
        f"# {model_name} {task} classifier ({len(labels)} classes)\n",
        f"A `{model_name}` model trained with textcnn (convolutional text classification in PyTorch) on {dataset}.\n",
        "## Labels\n\n" + ", ".join(f"`{label}`" for label in labels) + "\n",
        _metrics_section(metrics),
        "## Model\n\n" + markdown_table(["argument", "value"], [[k, f"`{v}`"] for k, v in model_kwargs.items()]),
        _training_section(config),
        '## Use\n\n```python\nimport textcnn\n\nclf = textcnn.load("path/to/this/folder")\n'
        + ('clf.predict(["a text to classify"])\n```\n' if task == "text" else "clf.predict(images)\n```\n")
        + "\nLoading runs no pickled code (safetensors weights, JSON and YAML metadata).\n",
        "## Intended use and limits\n\nA classifier for texts like those of its training data, in the same language "
        "and domain; its scores are measured on the split named above only. Texts longer than `max_len` tokens are "
        "truncated; words never seen in training map to `<unk>`. Check it on your own data before relying on it.\n",
        "## Versions\n\n" + ", ".join(f"{k} {v}" for k, v in versions.items()) + "\n",
    ]
    return "\n".join(part for part in parts if part)


def _metrics_section(metrics: dict) -> str:
    rows = []
    for split in ("dev", "test"):
        m = metrics.get(split)
        if isinstance(m, dict) and "accuracy" in m:
            rows.append([split, str(m.get("n", "")), f"{m['accuracy']:.4f}", f"{m.get('macro_f1', float('nan')):.4f}"])
    if "test_accuracy" in metrics:  # image runs
        rows.append(["test", str(metrics.get("n_test", "")), f"{metrics['test_accuracy']:.4f}",
                     f"{metrics.get('test_macro_f1', float('nan')):.4f}"])  # fmt: skip
    if not rows:
        return "## Evaluation\n\nNo held-out split was measured when this model was saved.\n"
    return "## Evaluation\n\n" + markdown_table(["split", "examples", "accuracy", "macro-F1"], rows)


def _training_section(config: dict) -> str:
    train = config.get("train") or {}
    if not train:
        return ""
    keys = ("epochs", "batch_size", "optimizer", "lr", "metric", "class_weight", "seed")
    rows = [[k, f"`{train[k]}`"] for k in keys if k in train]
    return "## Training\n\nThe full configuration is `config.yaml` beside this card.\n\n" + markdown_table(
        ["setting", "value"], rows
    )
