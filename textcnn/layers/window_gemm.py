"""Kim's parallel wide convolutions and masked max-over-time pooling as ONE matrix product over unfolded windows.

Inference only (no autograd), used by :class:`textcnn.models.kim_cnn.KimCNN` for reduced-precision prediction. The
widths share their input, so every position's window of the widest filter (``width_max`` consecutive embeddings,
gathered straight from the table, no copy of the batch) is multiplied once by all filters, the narrower ones
zero-padded at the front: one ``(B * P, width_max * E) @ (width_max * E, maps * len(widths))`` product instead of
three convolutions. The bias and the activation come after the max (equal for a non-decreasing activation, since
a per-channel constant and a monotone function commute with the max), so they touch ``(B, maps)``, not every window.

On this project's CPU (AVX-512 BF16 / AMX) a bfloat16 product runs ~5x faster than float32; in float32 the product
was no faster than oneDNN's three ``conv1d`` calls (docs/speed.md), so float32 keeps the convolutions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

#: Activations for which ``act(max(x) + b) == max(act(x + b))`` (non-decreasing): pooled first, activated after.
MONOTONE_ACTS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.Hardtanh, nn.Tanh, nn.Sigmoid, nn.Identity)

#: Padded windows per matrix product: larger batches are cut into row blocks of about this many windows, so that the
#: product's output stays in cache (at batch 1024 one block was slower per text than blocks of 64-128 rows).
BLOCK_WINDOWS = 4096

#: Fewest texts in a batch for which the bf16 product pays: a bf16 product of a few dozen rows cost ~250 us (oneDNN
#: prepares the weights at every call), as much as float32's, so smaller batches keep the float32 convolutions.
MIN_ROWS = 8

#: Batch lengths are padded up to a multiple of this (windows that are all padding take no part): oneDNN compiles a
#: bf16 kernel for each new product shape (~20 ms the first time), so fewer distinct lengths means fewer compiles.
LENGTH_MULTIPLE = 8


def fuse_window_weights(
    weights: Sequence[torch.Tensor], dtype: torch.dtype = torch.bfloat16
) -> tuple[torch.Tensor, list[int]]:
    """The filters of every width as one ``(width_max * C, sum(maps))`` matrix, rows in (tap, channel) order.

    Args:
        weights: ``conv1d`` weights ``(maps, C, width)``, one per width.
        dtype: The matrix's dtype.

    Returns:
        The matrix, a width-``w`` filter in the last ``w`` taps (zeros before), and the widths in column-block order.
    """
    widest = max(w.shape[2] for w in weights)
    blocks = []
    for weight in weights:
        maps, channels, width = weight.shape
        padded = weight.new_zeros(maps, widest, channels)  # (maps, width_max, C)
        padded[:, widest - width :] = weight.permute(0, 2, 1)
        blocks.append(padded.reshape(maps, widest * channels))
    return torch.cat(blocks).t().to(dtype).contiguous(), [w.shape[2] for w in weights]


@torch.no_grad()
def window_gemm_max(
    table: torch.Tensor,
    input_ids: torch.Tensor,
    lengths: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    widths: Sequence[int],
    act: nn.Module,
    pad_index: int = 0,
) -> torch.Tensor:
    """Max over each text's windows of Kim's wide convolutions, activated: ``(B, sum(maps))`` float32.

    Window ``j`` of a width-``w`` filter covers tokens ``j - w + 1 .. j`` and takes part when it overlaps a real
    token (``j - w + 1 < length``), the rule of :func:`textcnn.models.kim_cnn.conv_windows`.

    Args:
        table: Embedding table ``(V, C)`` in the product's dtype (row ``pad_index`` zero).
        input_ids: ``(B, T)`` token ids, each row's real tokens first.
        lengths: ``(B,)`` real tokens per row.
        weight: ``(width_max * C, N)`` from :func:`fuse_window_weights`.
        bias: ``(N,)`` float32 convolution biases, in the same column order.
        widths: The filter width of each column block (``N / len(widths)`` columns each).
        act: The convolutions' activation module.
        pad_index: Id whose embedding row is zero (the convolutions' zero padding).
    """
    widest, batch = max(widths), input_ids.shape[0]
    extra = -input_ids.shape[1] % LENGTH_MULTIPLE  # pad T up to a multiple: fewer product shapes
    steps = input_ids.shape[1] + extra + widest - 1  # P: output positions of the widest filter
    ids = F.pad(input_ids, (widest - 1, widest - 1 + extra), value=pad_index)  # (B, T' + 2 * (width_max - 1))
    width_of = torch.tensor(widths, device=input_ids.device).view(1, 1, -1, 1)  # (1, 1, n, 1)
    position = torch.arange(steps, device=input_ids.device).view(1, -1, 1, 1)  # (1, P, 1, 1)
    rows = max(1, BLOCK_WINDOWS // steps)
    out = []
    for start in range(0, batch, rows):
        block_ids, block_len = ids[start : start + rows], lengths[start : start + rows]
        b = block_ids.shape[0]
        windows = F.embedding(block_ids.unfold(1, widest, 1), table)  # (b, P, width_max, C)
        y = (windows.view(b * steps, -1) @ weight).view(b, steps, len(widths), -1)  # (b, P, n, maps)
        invalid = (position - width_of + 1) >= block_len.view(-1, 1, 1, 1)  # (b, P, n, 1)
        if isinstance(act, MONOTONE_ACTS):
            pooled = y.masked_fill_(invalid, float("-inf")).amax(dim=1).flatten(1).float()  # (b, N)
            out.append(act(pooled + bias))  # (b, N)
        else:  # activate every window, then pool
            feats = act(y.float() + bias.view(len(widths), -1))  # (b, P, n, maps)
            out.append(feats.masked_fill_(invalid, float("-inf")).amax(dim=1).flatten(1))  # (b, N)
    pooled = torch.cat(out)  # (B, N)
    # A width-1 filter has no window in an empty text: 0, as masked_max_over_time gives a row with nothing to pool.
    empty = (lengths.view(-1, 1) == 0) & (width_of.view(1, -1) == 1)  # (B, n)
    return pooled.masked_fill(empty.repeat_interleave(pooled.shape[1] // len(widths), dim=1), 0.0)
