"""VDCNN-9/17/29 (Conneau et al. 2017): very deep character-level convolutional networks with batch norm."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import torch
from torch import nn

from textcnn.layers import ClassifierHead, ConvNormAct
from textcnn.layers.temporal_pooling import KMaxPool, MaskedMaxPool1d, downsample_mask, kmax_over_time, zero_padding
from textcnn.models._registry import register_model

__all__ = ["DEPTHS", "DOWNSAMPLING", "ConvBlock", "KMaxHalving", "VDCNN", "vdcnn9", "vdcnn17", "vdcnn29"]

#: The paper's Table 2: convolutional layers per stage (64, 128, 256, 512 feature maps); two layers make a block, and
#: with the first ("temporal") convolution the layers add up to the depth.
DEPTHS: dict[int, tuple[int, int, int, int]] = {9: (2, 2, 2, 2), 17: (4, 4, 4, 4), 29: (10, 10, 4, 4)}
#: Down-sampling between stages (the paper's Section 3): max pooling (kernel 3, stride 2, its best), k-max pooling
#: with ``k`` half the length, or a stride of 2 in the first convolution of the next stage ("ResNet-like").
DOWNSAMPLING = ("max", "kmax", "conv")

Mask = torch.Tensor | None


class ConvBlock(nn.Module):
    """VDCNN's convolutional block: ``(conv 3 -> temporal batch norm -> ReLU) x 2``, optionally with a shortcut.

    Args:
        in_channels: Input feature maps.
        channels: Feature maps of both convolutions.
        stride: Stride of the first convolution (2 for the ``conv`` down-sampling).
        shortcut: Add the input (He et al. 2016); a 1x1 convolution with batch norm projects it when the shape
            changes.
    """

    def __init__(self, in_channels: int, channels: int, stride: int = 1, shortcut: bool = False) -> None:
        super().__init__()
        self.stride = stride
        self.conv1 = ConvNormAct(in_channels, channels, 3, stride=stride, dims=1, norm_layer="batchnorm")
        self.conv2 = ConvNormAct(channels, channels, 3, dims=1, norm_layer="batchnorm")
        self.shortcut = shortcut
        self.downsample = None
        if shortcut and (stride != 1 or in_channels != channels):
            self.downsample = ConvNormAct(
                in_channels, channels, 1, stride=stride, padding=0, dims=1, norm_layer="batchnorm", act_layer=None
            )

    def forward(self, x: torch.Tensor, mask: Mask = None) -> tuple[torch.Tensor, Mask]:
        """``x`` ``(B, C_in, T)`` and its mask ``(B, T)`` -> ``(B, C, T / stride)`` and the mask of that length.
        Each convolution reads zeros at padded positions, as past the end of an unpadded text."""
        x = zero_padding(x, mask)  # (B, C_in, T)
        out_mask = mask if mask is None or self.stride == 1 else downsample_mask(mask, 3, self.stride, 1)
        h = self.conv1(x)  # (B, C, T / stride)
        h = self.conv2(zero_padding(h, out_mask))  # (B, C, T / stride)
        if self.shortcut:
            h = h + (x if self.downsample is None else self.downsample(x))  # (B, C, T / stride)
        return h, out_mask


class KMaxHalving(nn.Module):
    """Down-sampling by k-max pooling with ``k`` half of each text's length (``ceil(L / 2)``), in temporal order."""

    def forward(self, x: torch.Tensor, mask: Mask = None) -> tuple[torch.Tensor, Mask]:
        # x: (B, C, T), mask: (B, T) -> (B, C, ceil(T / 2)), (B, ceil(T / 2))
        width = math.ceil(x.shape[2] / 2)
        if mask is None:
            return kmax_over_time(x, width), None
        row_k = torch.div(mask.sum(dim=1) + 1, 2, rounding_mode="floor")  # (B,) ceil(L / 2)
        out_mask = torch.arange(width, device=x.device).unsqueeze(0) < row_k.unsqueeze(1)  # (B, ceil(T / 2))
        return kmax_over_time(x, width, mask, row_k), out_mask


class VDCNN(nn.Module):
    """A. Conneau, H. Schwenk, L. Barrault and Y. LeCun, "Very Deep Convolutional Networks for Text Classification",
    EACL 2017.

    Character embeddings (16-d) -> temporal convolution (3, 64 maps) -> four stages of convolutional blocks with
    64, 128, 256 and 512 feature maps (``layers`` convolutions per stage, the paper's Table 2), the length halved
    between stages by ``downsampling`` -> 8-max pooling -> three fully connected layers (2048, 2048, classes) with
    ReLU. Convolutions use He initialisation, as in the paper.

    The paper pads or truncates every text to 1024 characters; here any length works (set ``data.max_len: 1024`` to
    truncate as the paper does) and padding never changes a prediction in eval mode: each convolution reads zeros
    at padded positions, pooling never selects them, and a text shorter than 8 after the last stage gets zeros in
    the free k-max slots. In training mode the batch-norm statistics include padded positions, as the paper's fixed
    padding did.

    Args:
        layers: Convolutional layers per stage, even numbers (see :data:`DEPTHS`).
        vocab_size: Rows of the character embedding (the paper: 69 tokens, padding, space and unknown included);
            training sets it from the tokenizer.
        num_classes: Output classes.
        embedding_dim: Character embedding size (16).
        channels: Feature maps of the four stages (64, 128, 256, 512).
        downsampling: ``max``, ``kmax`` or ``conv`` (see :data:`DOWNSAMPLING`; the paper's best is ``max``).
        shortcut: Residual shortcuts around each block (the paper found them useful only at depth 49).
        k: Values of the final k-max pooling (8).
        fc_dim: Width of the two hidden fully connected layers (2048).
        dropout: Dropout before each fully connected layer after the first (the paper uses none).
        pad_index: Id of ``<pad>`` (its row is zero and stays zero).
        unk_index: Id of ``<unk>`` (its row starts at zero), or ``None``.
    """

    def __init__(
        self,
        layers: Sequence[int],
        vocab_size: int = 69,
        num_classes: int = 2,
        embedding_dim: int = 16,
        channels: Sequence[int] = (64, 128, 256, 512),
        downsampling: str = "max",
        shortcut: bool = False,
        k: int = 8,
        fc_dim: int = 2048,
        dropout: float = 0.0,
        pad_index: int = 0,
        unk_index: int | None = 1,
    ) -> None:
        super().__init__()
        layers, channels = [int(n) for n in layers], [int(c) for c in channels]
        if len(layers) != 4 or min(layers) < 2 or any(n % 2 for n in layers):
            raise ValueError(f"layers must be four even numbers >= 2 (convolutions per stage), got {layers}")
        if len(channels) != 4 or min(channels) < 1:
            raise ValueError(f"channels must be four positive numbers of feature maps, got {channels}")
        if downsampling not in DOWNSAMPLING:
            raise ValueError(f"downsampling must be one of {', '.join(DOWNSAMPLING)}, got {downsampling!r}")
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (<pad> and <unk>), got {vocab_size}")
        for name, value in (("embedding_dim", embedding_dim), ("k", k), ("fc_dim", fc_dim)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        for name, index in (("pad_index", pad_index), ("unk_index", unk_index)):
            if index is not None and not 0 <= index < vocab_size:
                raise ValueError(f"{name} {index} is outside the vocabulary of {vocab_size}")
        self.layers = layers
        self.downsampling = downsampling
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        if unk_index is not None:
            with torch.no_grad():
                self.embedding.weight[unk_index] = 0
        self.conv1 = ConvNormAct(embedding_dim, channels[0], 3, dims=1, bias=True, act_layer=None)
        self.stages = nn.ModuleList()
        in_channels = channels[0]
        for i, (n, width) in enumerate(zip(layers, channels, strict=True)):
            stride = 2 if i > 0 and downsampling == "conv" else 1
            blocks = [ConvBlock(in_channels, width, stride, shortcut)]
            blocks += [ConvBlock(width, width, 1, shortcut) for _ in range(n // 2 - 1)]
            self.stages.append(nn.ModuleList(blocks))
            in_channels = width
        self.pools = nn.ModuleList()  # empty for ``conv``: its blocks have the stride
        for _ in range(len(layers) - 1 if downsampling != "conv" else 0):
            self.pools.append(MaskedMaxPool1d(3, stride=2, padding=1) if downsampling == "max" else KMaxHalving())
        self.kmax = KMaxPool(k)
        self.head = ClassifierHead(
            channels[-1] * k, num_classes, hidden=(fc_dim, fc_dim), dropout=dropout, dropout_first=False
        )
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")

    @property
    def depth(self) -> int:
        """Convolutional layers: the temporal convolution and those of the blocks (9, 17 or 29)."""
        return 1 + sum(self.layers)

    @property
    def min_len(self) -> int:
        """Shortest input the model needs: one position (every convolution and pooling pads)."""
        return 1

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Args:
            input_ids: Character ids ``(B, T)``, each row's real characters first.
            mask: ``(B, T)``, True at real characters; ``None`` treats every position as real.

        Returns:
            Logits ``(B, num_classes)``.
        """
        x = self.embedding(input_ids).transpose(1, 2)  # (B, 16, T)
        x = self.conv1(zero_padding(x, mask))  # (B, 64, T)
        for i, stage in enumerate(self.stages):
            if i > 0 and len(self.pools):
                x, mask = self.pools[i - 1](x, mask)  # (B, C_{i-1}, T_i), T_i = ceil(T_{i-1} / 2)
            for block in stage:
                x, mask = block(x, mask)  # (B, C_i, T_i): 64, 128, 256, 512 maps at T, T/2, T/4, T/8
        x = self.kmax(x, mask)  # (B, 512, k)
        return self.head(x.flatten(1))  # (B, 512 * k) -> (B, num_classes)


_TEST = {"vocab_size": 30, "embedding_dim": 4, "channels": (4, 4, 8, 8), "fc_dim": 16}


#: One registered builder per depth: the class with its stage numbers bound, so the defaults are written once.
vdcnn9 = register_model("vdcnn9", task="text", input_size=(1024,), test_kwargs=_TEST)(partial(VDCNN, DEPTHS[9]))
vdcnn17 = register_model("vdcnn17", task="text", input_size=(1024,), test_kwargs=_TEST)(partial(VDCNN, DEPTHS[17]))
vdcnn29 = register_model("vdcnn29", task="text", input_size=(1024,), test_kwargs=_TEST)(partial(VDCNN, DEPTHS[29]))
