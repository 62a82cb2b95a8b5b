"""Character-level CNN (Zhang, Zhao & LeCun 2015), small and large: six convolutions over one-hot characters."""

from __future__ import annotations

from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from textcnn.layers import ClassifierHead, ConvNormAct
from textcnn.models._registry import register_model

__all__ = ["CFG", "CharCNN", "char_cnn_large", "char_cnn_small", "frame_length"]

#: The paper's Tables 1 and 2: kernel width of each convolution, ``"M"`` = max pooling of size 3 (stride 3).
CFG: list[int | str] = [7, "M", 7, "M", 3, 3, 3, 3, "M"]
POOL = 3


def frame_length(input_length: int, cfg: list[int | str] = CFG) -> int:
    """Frames left after the convolutions and poolings of ``cfg`` (no padding): 34 for the paper's 1014."""
    length = input_length
    for v in cfg:
        length = length // POOL if v == "M" else length - int(v) + 1
    return length


class CharCNN(nn.Module):
    """X. Zhang, J. Zhao and Y. LeCun, "Character-level Convolutional Networks for Text Classification", NeurIPS 2015.

    One-hot characters ``(V, 1014)`` -> six convolutions with ReLU (kernels 7, 7, 3, 3, 3, 3, no padding), max
    pooling of size 3 after the 1st, 2nd and 6th -> three fully connected layers with dropout between them. Frame
    lengths for 1014 characters: 1008/336, 330/110, 108, 106, 104, 102/34, so the first fully connected layer takes
    ``34 * num_filters`` inputs. Weights start from N(0, ``init_std``).

    The input is the token ids of the ``char`` tokenizer (``tokenizer: {kind: char}``; the paper's alphabet has 70
    characters: ``max_size: 70``). Each id becomes a one-hot vector over the vocabulary, and ``<pad>``, ``<unk>``
    (characters outside the alphabet) and padded positions become all-zero vectors, as in the paper. The model reads
    exactly ``input_length`` characters: a shorter text is padded with zero vectors, a longer one truncated, so a
    prediction never depends on the batch's padding. ``min_len`` is ``input_length``, so the batcher pads every batch
    to it; set ``data.max_len`` to the same value so the workflow truncates longer texts (and counts them) instead of
    padding their batches beyond what the model reads.

    Args:
        vocab_size: One-hot channels (the tokenizer's vocabulary; 72 = the paper's 70 characters, ``<pad>``, ``<unk>``).
        num_classes: Output classes.
        input_length: Characters read per text (1014).
        num_filters: Feature maps of every convolution (small: 256, large: 1024).
        fc_dim: Width of the two hidden fully connected layers (small: 1024, large: 2048).
        dropout: Dropout between the fully connected layers (0.5).
        init_std: Standard deviation of the Gaussian initial weights (small: 0.05, large: 0.02).
        pad_index: Id of ``<pad>``.
        unk_index: Id of ``<unk>``, or ``None``.
    """

    def __init__(
        self,
        vocab_size: int = 72,
        num_classes: int = 2,
        input_length: int = 1014,
        num_filters: int = 256,
        fc_dim: int = 1024,
        dropout: float = 0.5,
        init_std: float = 0.05,
        pad_index: int = 0,
        unk_index: int | None = 1,
    ) -> None:
        super().__init__()
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2 (<pad> and <unk>), got {vocab_size}")
        for name, value in (("num_filters", num_filters), ("fc_dim", fc_dim)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if frame_length(input_length) < 1:
            shortest = next(n for n in range(1, 10_000) if frame_length(n) >= 1)
            raise ValueError(
                f"input_length must be >= {shortest} (one frame after the last pooling), got {input_length}"
            )
        if init_std <= 0:
            raise ValueError(f"init_std must be > 0, got {init_std}")
        for name, index in (("pad_index", pad_index), ("unk_index", unk_index)):
            if index is not None and not 0 <= index < vocab_size:
                raise ValueError(f"{name} {index} is outside the vocabulary of {vocab_size}")
        self.input_length = input_length
        self.pad_index = pad_index
        # A frozen identity table: row i is the one-hot vector of id i (F.one_hot as a lookup); <pad> and <unk> are 0.
        self.one_hot = nn.Embedding(vocab_size, vocab_size, padding_idx=pad_index)
        self.one_hot.weight.requires_grad_(False)
        with torch.no_grad():
            self.one_hot.weight.copy_(torch.eye(vocab_size))
            for index in (pad_index, unk_index):
                if index is not None:
                    self.one_hot.weight[index] = 0
        layers: list[nn.Module] = []
        channels = vocab_size
        for v in CFG:
            if v == "M":
                layers.append(nn.MaxPool1d(POOL))
            else:
                layers.append(ConvNormAct(channels, num_filters, int(v), padding=0, dims=1, bias=True))
                channels = num_filters
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(
            frame_length(input_length) * num_filters, num_classes, hidden=(fc_dim, fc_dim), dropout=dropout,
            dropout_first=False,
        )  # fmt: skip
        for m in self.modules():
            if isinstance(m, nn.Conv1d | nn.Linear):
                nn.init.normal_(m.weight, 0.0, init_std)

    @property
    def min_len(self) -> int:
        """Every batch is padded to ``input_length``, the characters the model reads."""
        return self.input_length

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Args:
            input_ids: Character ids ``(B, T)``; padded or truncated to ``input_length`` here.
            mask: ``(B, T)``, True at real characters; ``None`` treats every position as real.

        Returns:
            Logits ``(B, num_classes)``.
        """
        extra = self.input_length - input_ids.shape[1]
        input_ids = F.pad(input_ids, (0, extra), value=self.pad_index)  # (B, L), L = input_length (cut if extra < 0)
        x = self.one_hot(input_ids)  # (B, L, V)
        if mask is not None:
            mask = F.pad(mask.to(torch.bool), (0, extra), value=False)  # (B, L)
            x = x.masked_fill(~mask.unsqueeze(2), 0)  # (B, L, V)
        x = x.transpose(1, 2)  # (B, V, 1014)
        x = self.features(x)  # (B, F, 1008) -> (B, F, 336) -> 330 -> 110 -> 108 -> 106 -> 104 -> 102 -> (B, F, 34)
        return self.head(x.flatten(1))  # (B, 34 * F) -> (B, fc) -> (B, fc) -> (B, num_classes)


_TEST = {"vocab_size": 20, "num_filters": 4, "fc_dim": 8, "init_std": 0.2}
#: The paper's two sizes: the class's defaults are the small model; the large one binds its own three numbers.
char_cnn_small = register_model("char_cnn_small", task="text", input_size=(1014,), test_kwargs=_TEST)(CharCNN)
char_cnn_large = register_model("char_cnn_large", task="text", input_size=(1014,), test_kwargs=_TEST)(
    partial(CharCNN, num_filters=1024, fc_dim=2048, init_std=0.02)
)
