"""From a config and training texts to the pieces of a text classifier: tokenizer, model, loaders."""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence

import numpy as np
import torch

from textcnn.classify.config import DATA_ARGUMENTS, ExperimentConfig, ModelConfig

#: Texts encoded at once by :func:`text_loader` before their ids are packed into arrays.
ENCODE_CHUNK = 4096


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit_tokenizer(config: ExperimentConfig, texts):
    """The configured tokenizer, fitted on ``texts`` (the training split only)."""
    from textcnn.text.tokenizers import TextTokenizer

    return TextTokenizer(config.tokenizer).fit(texts)  # one streaming pass (an ArrowTexts is read chunk by chunk)


def build_text_model(
    config: ExperimentConfig, tokenizer, num_classes: int
) -> tuple[torch.nn.Module, ModelConfig, dict]:
    """Create the model, loading pretrained vectors when ``embeddings.vectors`` is set.

    Returns:
        ``(model, effective, embedding_report)``: ``effective`` is the model section as built (every argument
        resolved, ``embedding_dim`` the vectors' size); with :func:`data_arguments` it rebuilds the model.

    Raises:
        ValueError: Vectors are set for a model that takes none.
    """
    from textcnn.models import create_model

    effective = ModelConfig(config.model.name, config.model.resolved())
    if needs_features(effective.name):  # encoder path made absolute, feature_dim read from the encoder
        from textcnn.text.contextual import encoder_arguments

        effective = effective.with_args(**encoder_arguments(config.model.args))
    report: dict = {}
    matrix = None
    if config.embeddings.vectors is not None:
        matrix, report = load_embedding_matrix(config, tokenizer)
        dim = effective.args.get("embedding_dim")
        if dim is not None and matrix.shape[1] != dim:
            report["embedding_dim_note"] = (
                f"model.embedding_dim {dim} replaced by the vectors' dimension {matrix.shape[1]}"
            )
            effective = effective.with_args(embedding_dim=int(matrix.shape[1]))
    model = create_model(effective.name, **data_arguments(effective.name, tokenizer, num_classes), **effective.args)
    if matrix is not None:
        if not hasattr(model, "load_pretrained"):
            raise ValueError(f"model {effective.name!r} takes no pretrained vectors; unset embeddings.vectors")
        model.load_pretrained(matrix)
    return model, effective, report


def needs_features(model_name: str) -> bool:
    """Whether the registered model reads encoder features beside the ids (``kim_cnn_contextual``)."""
    from textcnn.models import get_model_entry

    return bool(getattr(get_model_entry(model_name).builder, "needs_features", False))


def data_arguments(model_name: str, tokenizer, num_classes: int) -> dict:
    """The builder arguments that come from the data (:data:`DATA_ARGUMENTS`), for those the builder takes."""
    from textcnn.models import get_model_entry

    values = {
        "vocab_size": tokenizer.vocab_size,
        "num_classes": num_classes,
        "pad_index": tokenizer.pad_id,
        "unk_index": tokenizer.unk_id,
    }
    taken = get_model_entry(model_name).arguments()
    return {k: v for k, v in values.items() if k in taken and k in DATA_ARGUMENTS}


def load_embedding_matrix(config: ExperimentConfig, tokenizer) -> tuple[np.ndarray, dict]:
    """The ``(vocab_size, dim)`` matrix of the configured vectors for the tokenizer's vocabulary, and its report.

    With ``tokenizer.kind: model2vec`` the matrix is that model's subword table, so ``embeddings.vectors`` must be
    ``model2vec:PATH`` of the same model.
    """
    from textcnn.text.vectors import build_embedding_matrix, load_vectors

    emb = config.embeddings
    vocab = tokenizer.tokens()
    if config.tokenizer.kind == "model2vec":
        from textcnn.text.model2vec import is_model2vec_source, source_path, subword_embedding_matrix

        if not is_model2vec_source(emb.vectors):
            raise ValueError(
                f"tokenizer.kind 'model2vec' reads the model's subword ids, so embeddings.vectors must be "
                f"'model2vec:{config.tokenizer.path}' (its table) or unset, got {emb.vectors!r}"
            )
        return subword_embedding_matrix(source_path(emb.vectors), vocab, pad_index=tokenizer.pad_id)
    vectors = load_vectors(emb.vectors, words=vocab, format=emb.format, lowercase_fallback=emb.lowercase_fallback)
    return build_embedding_matrix(
        vocab,
        vectors,
        seed=config.train.seed,
        oov_init=emb.oov_init,
        lowercase_fallback=emb.lowercase_fallback,
        pad_index=tokenizer.pad_id,
    )


def text_loader(tokenizer, split, config: ExperimentConfig, min_len: int, shuffle: bool):
    """A batch loader over a split's encoded texts, and the number of texts ``data.max_len`` truncates (keeping the
    tokens ``data.truncate`` says: one window per text, also when ``data.windows`` pools windows at prediction)."""
    from textcnn.data.batching import PackedIds, make_text_loader
    from textcnn.training.device import resolve_device

    texts = split.texts if isinstance(split.texts, Sequence) else list(split.texts)  # slices of an ArrowTexts
    # encoded a chunk at a time and packed (4 bytes a token), so only one chunk's Python lists exist at once
    ids = PackedIds.concatenate([PackedIds(tokenizer.encode_batch(list(texts[i : i + ENCODE_CHUNK])))
                                 for i in range(0, len(texts), ENCODE_CHUNK)])  # fmt: skip
    truncated = 0 if config.data.max_len is None else int((ids.lengths > config.data.max_len).sum())
    features = None
    if needs_features(config.model.name):  # computed once per text (cached on disk), read per batch
        from textcnn.text.contextual import text_features

        layer = config.model.resolved()["layer"]
        features = text_features(tokenizer, texts, ids.lengths, encoder=config.model.args["encoder"], layer=layer,
                                 device=str(resolve_device(config.train.device)))  # fmt: skip
    loader = make_text_loader(
        ids,
        split.labels if isinstance(split.labels, array) else list(split.labels),  # an ArrowSplit's, as they are
        batch_size=config.train.batch_size,
        shuffle=shuffle,
        seed=config.train.seed,
        min_len=min_len,
        max_len=config.data.max_len,
        pad_id=tokenizer.pad_id,
        bucket=config.data.bucket,
        pin_memory=resolve_device(config.train.device).type == "cuda",
        truncate=config.data.truncate,
        features=features,
    )
    if shuffle:  # under torchrun: this rank's share of global batches (batch_size x world size)
        from textcnn.training.distributed import shard_train_loader

        loader = shard_train_loader(loader, batch_size=config.train.batch_size, seed=config.train.seed,
                                    bucket=config.data.bucket)  # fmt: skip
    return loader, truncated
