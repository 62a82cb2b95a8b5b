"""DPCNN (Johnson & Zhang 2017): a deep pyramid of residual word-level convolutions that halve the text each block."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct, LayerSpec, get_act_layer, masked_max_over_time
from textcnn.layers.embedding import copy_pretrained_, zero_rows_
from textcnn.layers.temporal_pooling import MaskedMaxPool1d, zero_padding
from textcnn.models._registry import register_model

__all__ = ["DPCNN", "DPCNNBlock", "MODES", "dpcnn"]

MODES = ("rand", "static", "non-static")


class DPCNNBlock(nn.Module):
    """Two pre-activation convolutions with an identity shortcut: ``x + W2 act(W1 act(x))`` (DPCNN's building block).

    Args:
        channels: Feature maps in and out (DPCNN: 250).
        kernel_size: Width of both convolutions (DPCNN: 3, "same" padding).
        act_layer: The pre-activation (DPCNN: ReLU).
    """

    def __init__(self, channels: int, kernel_size: int = 3, act_layer: LayerSpec = "relu") -> None:
        super().__init__()
        act = get_act_layer(act_layer) or nn.Identity
        self.act = act()  # not in place: the shortcut still needs x
        self.conv1 = ConvNormAct(channels, channels, kernel_size, dims=1, bias=True, act_layer=None)
        self.conv2 = ConvNormAct(channels, channels, kernel_size, dims=1, bias=True, act_layer=None)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` ``(B, C, T)`` -> ``(B, C, T)``; each convolution reads zeros at padded positions (``mask`` ``(B, T)``,
        True at real tokens), as it reads zeros past the end of an unpadded text. Padded outputs are left undefined:
        whoever reads them next masks them."""
        h = self.conv1(zero_padding(self.act(x), mask))  # (B, C, T)
        h = self.conv2(zero_padding(self.act(h), mask))  # (B, C, T)
        return x + h  # (B, C, T)


class DPCNN(nn.Module):
    """R. Johnson and T. Zhang, "Deep Pyramid Convolutional Neural Networks for Text Categorization", ACL 2017.

    Word embeddings -> region embedding (a width-3 convolution with ``num_filters`` maps) -> ``num_blocks`` blocks of
    two pre-activation width-3 convolutions with an identity shortcut, every block after the first preceded by max
    pooling of size 3 and stride 2 (a length ``L`` becomes ``ceil(L / 2)``: the "pyramid") -> max pooling over what is
    left of the text -> dropout -> linear classifier. The number of feature maps stays fixed, so each block costs
    half the one before. The default of 7 blocks is the paper's 15 weight layers (the region embedding and 14
    convolutions); it brings texts of up to 64 tokens down to length 1, and longer texts end with the global max.
    Any length works: pooling a length-1 text leaves it as it is.

    Padding never changes a prediction: padded embeddings are zero, each convolution reads zeros at padded positions
    (as past the end of an unpadded text), pooling never lets a padded position win, and each pooling carries the
    mask down to the shorter length. The ``<pad>`` and ``<unk>`` rows start at zero as in
    :class:`~textcnn.models.kim_cnn.KimCNN` (and ``<pad>`` stays zero).

    Embedding modes (as Kim's, without ``multichannel``):
        * ``rand``: embeddings learned from U[-0.25, 0.25].
        * ``static``: pretrained vectors (:meth:`load_pretrained`), frozen.
        * ``non-static``: pretrained vectors, fine-tuned.

    The paper's unsupervised "tv-embeddings" fed into the region embedding are not part of this model.

    Args:
        vocab_size: Rows of the embedding table; training sets it from the tokenizer (the default only sizes a model
            for ``textcnn summary``).
        num_classes: Output classes.
        embedding_dim: Word vector size (300).
        mode: One of ``rand``, ``static``, ``non-static``.
        num_filters: Feature maps of the region embedding and of every convolution (DPCNN: 250).
        num_blocks: Residual blocks (7: the paper's 15 weight layers); blocks 2.. each halve the length first.
        dropout: Dropout before the classifier (DPCNN: 0.5).
        max_norm: l2 max-norm of the classifier's weight rows; ``None`` (the paper's choice) disables it.
        act_layer: The pre-activation of each convolution (ReLU).
        pad_index: Id of ``<pad>``.
        unk_index: Id of ``<unk>`` (its row starts at zero), or ``None``.
    """

    def __init__(
        self,
        vocab_size: int = 20000,
        num_classes: int = 2,
        embedding_dim: int = 300,
        mode: str = "rand",
        num_filters: int = 250,
        num_blocks: int = 7,
        dropout: float = 0.5,
        max_norm: float | None = None,
        act_layer: LayerSpec = "relu",
        pad_index: int = 0,
        unk_index: int | None = 1,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (<pad> and <unk>), got {vocab_size}")
        for name, value in (("embedding_dim", embedding_dim), ("num_filters", num_filters), ("num_blocks", num_blocks)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        for name, index in (("pad_index", pad_index), ("unk_index", unk_index)):
            if index is not None and not 0 <= index < vocab_size:
                raise ValueError(f"{name} {index} is outside the vocabulary of {vocab_size}")
        self.mode = mode
        self.pad_index = pad_index
        self.unk_index = unk_index
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        if mode == "rand":
            nn.init.uniform_(self.embedding.weight, -0.25, 0.25)  # Kim's random vectors (N(0, 1) is far too large)
        self._zero_special_rows()
        if mode == "static":
            self.embedding.weight.requires_grad_(False)
        self.region_embedding = ConvNormAct(embedding_dim, num_filters, 3, dims=1, bias=True, act_layer=None)
        self.blocks = nn.ModuleList(DPCNNBlock(num_filters, 3, act_layer) for _ in range(num_blocks))
        self.pool = MaskedMaxPool1d(3, stride=2, padding=1)
        self.head = ClassifierHead(num_filters, num_classes, dropout=dropout, max_norm=max_norm)

    def _zero_special_rows(self) -> None:
        zero_rows_([self.embedding], [self.pad_index, self.unk_index])

    @property
    def needs_pretrained(self) -> bool:
        """Whether the mode starts from pretrained vectors (``static`` and ``non-static``)."""
        return self.mode != "rand"

    @property
    def min_len(self) -> int:
        """Shortest input the model needs: one position (every convolution and pooling pads)."""
        return 1

    def load_pretrained(self, vectors: np.ndarray | torch.Tensor) -> None:
        """Copy a pretrained ``(vocab_size, embedding_dim)`` matrix into the embedding table; the ``<pad>`` and
        ``<unk>`` rows are zeroed."""
        copy_pretrained_([self.embedding], vectors)
        self._zero_special_rows()

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Args:
            input_ids: Token ids ``(B, T)``, each row's real tokens first.
            mask: ``(B, T)``, True at real tokens; ``None`` treats every position as real.

        Returns:
            Logits ``(B, num_classes)``.
        """
        x = self.embedding(input_ids).transpose(1, 2)  # (B, E, T)
        x = self.region_embedding(zero_padding(x, mask))  # (B, F, T)
        for i, block in enumerate(self.blocks):
            if i > 0:
                x, mask = self.pool(x, mask)  # (B, F, ceil(T / 2)), mask (B, ceil(T / 2))
            x = block(x, mask)  # (B, F, T_i)
        features = masked_max_over_time(x, mask)  # (B, F)
        return self.head(features)  # (B, num_classes)


#: The registered builder is the class itself, so its defaults (the paper's settings) are written once.
dpcnn = register_model(
    "dpcnn",
    task="text",
    input_size=(256,),
    test_kwargs={"vocab_size": 50, "embedding_dim": 16, "num_filters": 8, "num_blocks": 3},
)(DPCNN)
