"""One matrix product over unfolded windows equals Kim's wide convolutions + masked max-over-time pooling."""

from __future__ import annotations

import pytest
import torch

from textcnn.layers.window_gemm import fuse_window_weights, window_gemm_max
from textcnn.models.kim_cnn import KimCNN


def _padded_batch(vocab: int, lengths: list[int], steps: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, vocab, (len(lengths), steps), generator=g)
    mask = torch.arange(steps).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)  # (B, T)
    return ids.masked_fill(~mask, 0), mask


@pytest.mark.parametrize("act", ["relu", "tanh", "gelu"])
def test_float32_product_equals_the_convolutions(act):
    # In float32 the fused product is the same computation as the model's forward, whatever the activation
    # (monotone ones are pooled first, others activated first), padding, empty texts and width-1 filters included.
    torch.manual_seed(0)
    model = KimCNN(60, 3, 12, "multichannel", filter_widths=(1, 3, 5), num_filters=7, act_layer=act).eval()
    ids, mask = _padded_batch(60, [9, 4, 1, 0, 9, 2], 9)
    table = torch.cat([model.embedding.weight, model.embedding_static.weight], dim=1)
    weight, widths = fuse_window_weights([c.conv.weight for c in model.convs], torch.float32)
    bias = torch.cat([c.conv.bias for c in model.convs])
    with torch.no_grad():
        expected = torch.cat(
            [torch.amax(f, 2) if w is None else _masked(f, w) for f, w in model.window_features(ids, mask)], 1
        )
        fused = window_gemm_max(table, ids, mask.sum(1), weight, bias, widths, model.convs[0].act)
    assert widths == [1, 3, 5]
    torch.testing.assert_close(fused, expected, rtol=1e-5, atol=1e-5)


def _masked(features: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
    from textcnn.layers import masked_max_over_time

    return masked_max_over_time(features, windows)


def test_fused_weight_puts_narrow_filters_in_the_last_taps():
    weights = [torch.ones(2, 3, 2), 2 * torch.ones(1, 3, 3)]  # widths 2 and 3, 3 channels
    fused, widths = fuse_window_weights(weights, torch.float32)
    assert fused.shape == (9, 3) and widths == [2, 3]
    assert fused[:3, :2].eq(0).all() and fused[3:, :2].eq(1).all() and fused[:, 2].eq(2).all()
