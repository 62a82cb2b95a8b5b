"""Pooling: masked max-over-time never lets padding win; global and 2-D pooling."""

import pytest
import torch
from torch import nn

from textcnn.layers import GlobalPool, MaxOverTimePool, masked_max_over_time, pool2d


def test_masked_max_never_picks_padded_positions_even_with_huge_values():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 6)  # (B, C, T)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    x = x.masked_fill(~mask.unsqueeze(1), 1e30)  # padding holds the largest values
    pooled = masked_max_over_time(x, mask)
    assert pooled.shape == (3, 4)
    for b, length in enumerate([3, 5, 6]):
        assert torch.equal(pooled[b], x[b, :, :length].amax(dim=1))
    assert (pooled < 1e29).all()


def test_masked_max_matches_unpadded_max_and_int_masks_work():
    x = torch.tensor([[[-5.0, -3.0, 100.0]]])
    assert masked_max_over_time(x, torch.tensor([[1, 1, 0]])).item() == -3.0  # all real values negative
    assert masked_max_over_time(x).item() == 100.0


def test_all_padded_row_gives_zero_not_minus_infinity():
    x = torch.randn(2, 3, 4)
    mask = torch.tensor([[0, 0, 0, 0], [1, 1, 0, 0]])
    pooled = masked_max_over_time(x, mask)
    assert torch.equal(pooled[0], torch.zeros(3))
    assert torch.isfinite(pooled).all()


def test_no_gradient_reaches_padded_positions():
    x = torch.randn(2, 3, 5, requires_grad=True)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]])
    masked_max_over_time(x * 1.0 + 50 * (1 - mask).unsqueeze(1), mask).sum().backward()
    assert torch.equal(x.grad[0, :, 2:], torch.zeros(3, 3))
    assert x.grad.sum().item() == pytest.approx(6.0)  # one winner per (row, channel)


def test_mask_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"mask shape \(2, 4\).*\(2, 5\)"):
        masked_max_over_time(torch.randn(2, 3, 5), torch.ones(2, 4))


def test_max_over_time_pool_module():
    x = torch.randn(2, 3, 5)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    assert torch.equal(MaxOverTimePool()(x, mask), masked_max_over_time(x, mask))
    assert torch.equal(MaxOverTimePool()(x), x.amax(dim=2))


@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 4, 5)])
def test_global_pool_avg_and_max(shape):
    x = torch.randn(*shape)
    assert torch.allclose(GlobalPool("avg")(x), x.flatten(2).mean(2))
    assert torch.equal(GlobalPool("max")(x), x.flatten(2).amax(2))
    assert GlobalPool()(x).shape == (2, 3)


def test_pool2d_kinds_and_errors():
    x = torch.randn(1, 2, 55, 55)
    assert isinstance(pool2d("max", 3, 2), nn.MaxPool2d)
    assert pool2d("max", 3, stride=2)(x).shape == (1, 2, 27, 27)  # AlexNet's overlapping pool
    assert pool2d("avg", 2, stride=2)(torch.randn(1, 2, 28, 28)).shape == (1, 2, 14, 14)
    assert pool2d("max", 3, stride=2, ceil_mode=True)(torch.randn(1, 2, 112, 112)).shape == (1, 2, 56, 56)
    with pytest.raises(ValueError, match="'median'"):
        pool2d("median", 2)
    with pytest.raises(ValueError, match="'sum'"):
        GlobalPool("sum")
