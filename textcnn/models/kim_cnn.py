"""Kim (2014) convolutional network for sentence classification, built from the shared core."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from textcnn.classify.precision import PRECISIONS
from textcnn.layers import ClassifierHead, ConvNormAct, LayerSpec, masked_max_over_time
from textcnn.layers.embedding import copy_pretrained_, zero_rows_
from textcnn.layers.window_gemm import MIN_ROWS, fuse_window_weights, window_gemm_max
from textcnn.models._registry import register_model

MODES = ("rand", "static", "non-static", "multichannel")
#: Precisions :meth:`KimCNN.set_inference_dtype` takes: ``bfloat16`` predicts through one bf16 matrix product over
#: unfolded windows (:mod:`textcnn.layers.window_gemm`); ``float32`` through the convolutions.
INFERENCE_DTYPES = {name: getattr(torch, name) for name in PRECISIONS}


class KimCNN(nn.Module):
    """Y. Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014.

    Word embeddings -> parallel 1-D convolutions of several widths -> activation -> max-over-time pooling ->
    concatenation -> dropout -> fully connected softmax layer whose weight rows have an l2 max-norm (``s = 3``).

    The convolutions are "wide" as in Kim's code (each sentence is zero-padded by ``width - 1`` on both sides), and
    only windows that overlap a real token take part in the max, so a text's prediction never depends on how much
    padding its batch needed. The ``<pad>`` embedding row is zero and stays zero. The ``<unk>`` row starts at zero:
    the vocabulary comes from the training split, so ``<unk>`` never occurs in training and its vector is never
    trained; a random one would push every dev/test text with unknown words in one arbitrary direction (on MR with
    50-d GloVe that swung test accuracy by several points from one seed to another).

    Embedding modes:
        * ``rand``: embeddings learned from random initialisation.
        * ``static``: pretrained vectors, frozen.
        * ``non-static``: pretrained vectors, fine-tuned.
        * ``multichannel``: two channels from the same vectors, ``embedding`` fine-tuned and ``embedding_static``
          frozen; each filter has a slice for each channel and the two results are added (a convolution over the
          concatenated channels).

    Args:
        vocab_size: Rows of the embedding table (``<pad>`` = row ``pad_index``); training sets it from the
            tokenizer (the default only sizes a model for ``textcnn summary``).
        num_classes: Output classes.
        embedding_dim: Word vector size (Kim: 300).
        mode: One of ``rand``, ``static``, ``non-static``, ``multichannel``.
        filter_widths: Widths of the n-gram filters (Kim: 3, 4, 5).
        num_filters: Feature maps per width (Kim: 100).
        dropout: Dropout before the output layer (Kim: 0.5).
        max_norm: l2 max-norm of the output weight rows (Kim: 3); ``None`` disables it.
        act_layer: Activation after each convolution (Kim: ReLU).
        pad_index: Id of ``<pad>``.
        unk_index: Id of ``<unk>`` (its row starts at zero), or ``None``.
    """

    def __init__(
        self,
        vocab_size: int = 20000,
        num_classes: int = 2,
        embedding_dim: int = 300,
        mode: str = "rand",
        filter_widths: Sequence[int] = (3, 4, 5),
        num_filters: int = 100,
        dropout: float = 0.5,
        max_norm: float | None = 3.0,
        act_layer: LayerSpec = "relu",
        pad_index: int = 0,
        unk_index: int | None = 1,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (<pad> and <unk>), got {vocab_size}")
        for name, value in (("embedding_dim", embedding_dim), ("num_filters", num_filters)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        widths = [int(w) for w in filter_widths]
        if not widths or min(widths) < 1:
            raise ValueError(f"filter_widths must be a non-empty list of positive widths, got {list(filter_widths)}")
        for name, index in (("pad_index", pad_index), ("unk_index", unk_index)):
            if index is not None and not 0 <= index < vocab_size:
                raise ValueError(f"{name} {index} is outside the vocabulary of {vocab_size}")
        self.mode = mode
        self.filter_widths = widths
        self.pad_index = pad_index
        self.unk_index = unk_index
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        if mode == "multichannel":
            self.embedding_static = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
            self.embedding_static.weight.requires_grad_(False)
        if mode == "rand":
            # Kim's random vectors: U[-0.25, 0.25] (torch's N(0, 1) default gives 300-d vectors of norm ~17, and MR
            # accuracy fell to 67%). Pretrained modes overwrite the table with load_pretrained, so they draw nothing
            # more here and the random state of the other layers' initialisation stays as it was.
            nn.init.uniform_(self.embedding.weight, -0.25, 0.25)
        self._zero_special_rows()
        if mode == "static":
            self.embedding.weight.requires_grad_(False)
        in_channels = embedding_dim * (2 if mode == "multichannel" else 1)
        self.convs = nn.ModuleList(
            ConvNormAct(in_channels, num_filters, w, padding=w - 1, dims=1, bias=True, act_layer=act_layer)
            for w in widths
        )
        self.head = ClassifierHead(num_filters * len(widths), num_classes, dropout=dropout, max_norm=max_norm)
        self.inference_dtype = "float32"
        self._fused: tuple | None = None  # (key, table, weight, bias): derived from the weights, never saved

    def set_inference_dtype(self, dtype: str) -> KimCNN:
        """Predict (eval mode, no autograd) in ``dtype``, one of :data:`INFERENCE_DTYPES`; training is unaffected.

        ``bfloat16`` runs the embedding lookup and the convolutions as one bf16 matrix product (fp32 accumulation),
        with the weights cast once and re-derived whenever they change; the head stays float32. Batches of fewer
        than :data:`textcnn.layers.window_gemm.MIN_ROWS` texts keep float32 (bf16 does not pay there).

        Raises:
            ValueError: An unknown ``dtype``, or ``bfloat16`` for convolutions with a normalisation layer.
        """
        if dtype not in INFERENCE_DTYPES:
            raise ValueError(f"inference dtype must be one of {', '.join(INFERENCE_DTYPES)}, got {dtype!r}")
        if dtype != "float32" and any(hasattr(conv, "norm") for conv in self.convs):
            raise ValueError(f"inference dtype {dtype!r} needs convolutions without a normalisation layer")
        self.inference_dtype, self._fused = dtype, None
        return self

    def _zero_special_rows(self) -> None:
        zero_rows_([self.embedding, getattr(self, "embedding_static", None)], [self.pad_index, self.unk_index])

    @property
    def needs_pretrained(self) -> bool:
        """Whether the mode starts from pretrained vectors (every mode but ``rand``)."""
        return self.mode != "rand"

    @property
    def min_len(self) -> int:
        """Shortest input the model needs (the widest filter); batches are padded at least to this."""
        return max(self.filter_widths)

    def load_pretrained(self, vectors: np.ndarray | torch.Tensor) -> None:
        """Copy a pretrained ``(vocab_size, embedding_dim)`` matrix into the embedding table(s); the ``<pad>`` and
        ``<unk>`` rows are zeroed."""
        copy_pretrained_([self.embedding, *([self.embedding_static] if self.mode == "multichannel" else [])], vectors)
        self._zero_special_rows()

    def window_features(
        self, input_ids: torch.Tensor, mask: torch.Tensor | None = None
    ) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """Each filter width's convolution output and which of its windows take part in the max-pool (what
        :meth:`forward` pools, and what explanations read the winning windows from).

        Args:
            input_ids: Token ids ``(B, T)``.
            mask: ``(B, T)``, True at real tokens (a prefix of each row); ``None`` treats every position as real.

        Returns:
            One ``(features (B, maps, T + width - 1), windows (B, T + width - 1) or None)`` pair per width: window
            ``j`` covers tokens ``j - width + 1 .. j`` and is True when it overlaps a real token.
        """
        x = self.embedding(input_ids)  # (B, T, E)
        if self.mode == "multichannel":
            x = torch.cat([x, self.embedding_static(input_ids)], dim=2)  # (B, T, 2E)
        # One contiguous copy shared by every width: given the transposed view, each conv1d made its own (3 copies,
        # 13% of float32 prediction time at 300-d in the profile).
        x = x.transpose(1, 2).contiguous()  # (B, E', T)
        return conv_windows(self.convs, self.filter_widths, x, mask)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Args:
            input_ids: Token ids ``(B, T)``.
            mask: ``(B, T)``, True at real tokens; ``None`` treats every position as real.

        Returns:
            Logits ``(B, num_classes)``.
        """
        fused = self.inference_dtype != "float32" and input_ids.shape[0] >= MIN_ROWS
        if fused and not self.training and not torch.is_grad_enabled():
            return self.head(self._fused_features(input_ids, mask))  # (B, num_classes)
        pooled = [masked_max_over_time(f, w) for f, w in self.window_features(input_ids, mask)]  # (B, maps) each
        features = torch.cat(pooled, dim=1)  # (B, maps * len(widths))
        return self.head(features)  # (B, num_classes)

    def _fused_features(self, input_ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """The pooled features ``(B, maps * len(widths))`` through :func:`window_gemm_max` in the inference dtype."""
        tables = [self.embedding.weight] + ([self.embedding_static.weight] if self.mode == "multichannel" else [])
        params = [*tables, *(p for conv in self.convs for p in conv.conv.parameters())]
        key = tuple((p.data_ptr(), p._version, p.device) for p in params)
        if self._fused is None or self._fused[0] != key:
            dtype = INFERENCE_DTYPES[self.inference_dtype]
            table = torch.cat(tables, dim=1).to(dtype)  # (V, E')
            weight, _ = fuse_window_weights([conv.conv.weight for conv in self.convs], dtype)
            bias = torch.cat([conv.conv.bias for conv in self.convs]).float()
            self._fused = (key, table, weight, bias)
        _, table, weight, bias = self._fused
        lengths = torch.full_like(input_ids[:, 0], input_ids.shape[1]) if mask is None else mask.sum(dim=1)  # (B,)
        act = getattr(self.convs[0], "act", nn.Identity())
        return window_gemm_max(table, input_ids, lengths, weight, bias, self.filter_widths, act, self.pad_index)


def conv_windows(
    convs: nn.ModuleList, filter_widths: Sequence[int], x: torch.Tensor, mask: torch.Tensor | None
) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    """Kim's wide convolutions over ``x`` ``(B, C, T)`` and, per width, which windows take part in the max-pool.

    Returns:
        One ``(features (B, maps, T + width - 1), windows (B, T + width - 1) or None)`` pair per convolution: window
        ``j`` covers tokens ``j - width + 1 .. j`` and is True when it overlaps a real token (``mask`` ``(B, T)``,
        True at real tokens, a prefix of each row; ``None``: every window counts).
    """
    starts_valid = None
    # The text collate leaves out a mask with nothing padded (textcnn.data.batching.text_inputs), so a mask given
    # here is applied as it is, without reading it (on a GPU that read would wait for the device).
    if mask is not None:
        # Window j of a width-w filter covers tokens j-w+1 .. j; it takes part in the max iff it starts before the
        # text's end (start < length), i.e. it overlaps a real token. One mask serves every width.
        widest = max(filter_widths)
        starts = torch.arange(1 - widest, x.shape[2], device=x.device)  # (T + widest - 1,)
        starts_valid = starts.unsqueeze(0) < mask.sum(dim=1, keepdim=True)  # (B, T + widest - 1)
    out = []
    for conv in convs:
        feats = conv(x)  # (B, maps, T + width - 1)
        window_mask = None if starts_valid is None else starts_valid[:, starts_valid.shape[1] - feats.shape[2] :]
        out.append((feats, window_mask))
    return out


#: The registered builder is the class itself, so its defaults (the paper's settings) are written once.
kim_cnn = register_model(
    "kim_cnn", task="text", input_size=(64,), test_kwargs={"vocab_size": 50, "embedding_dim": 16, "num_filters": 8}
)(KimCNN)
