"""Rohrer's X-and-O lecture reproduced number for number with the core's layers, and the X/O image generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from textcnn.data.xo import FEATURE_NAMES, XO_LABELS, lecture_features, lecture_x_image, make_xo_images
from textcnn.layers import ConvNormAct, get_act_layer, pool2d
from textcnn.models.xo_net import lecture_filter

# The lecture's numbers (two decimals, truncated as on its slides). Map k is the filtering of the X by feature k.
FIRST_MAP = [
    [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33],
    [-0.11, 1.00, -0.11, 0.33, -0.11, 0.11, -0.11],
    [0.11, -0.11, 1.00, -0.33, 0.11, -0.11, 0.55],
    [0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33],
    [0.55, -0.11, 0.11, -0.33, 1.00, -0.11, 0.11],
    [-0.11, 0.11, -0.11, 0.33, -0.11, 1.00, -0.11],
    [0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77],
]
SECOND_MAP = [
    [0.33, -0.55, 0.11, -0.11, 0.11, -0.55, 0.33],
    [-0.55, 0.55, -0.55, 0.33, -0.55, 0.55, -0.55],
    [0.11, -0.55, 0.55, -0.77, 0.55, -0.55, 0.11],
    [-0.11, 0.33, -0.77, 1.00, -0.77, 0.33, -0.11],
    [0.11, -0.55, 0.55, -0.77, 0.55, -0.55, 0.11],
    [-0.55, 0.55, -0.55, 0.33, -0.55, 0.55, -0.55],
    [0.33, -0.55, 0.11, -0.11, 0.11, -0.55, 0.33],
]
THIRD_MAP = [row[::-1] for row in FIRST_MAP]  # the "/" feature sees the mirror image of what "\" sees
POOLED = [
    [[1.00, 0.33, 0.55, 0.33], [0.33, 1.00, 0.33, 0.55], [0.55, 0.33, 1.00, 0.11], [0.33, 0.55, 0.11, 0.77]],
    [[0.55, 0.33, 0.55, 0.33], [0.33, 1.00, 0.55, 0.11], [0.55, 0.55, 0.55, 0.11], [0.33, 0.11, 0.11, 0.33]],
    [[0.33, 0.55, 1.00, 0.77], [0.55, 0.55, 1.00, 0.33], [1.00, 1.00, 0.11, 0.55], [0.77, 0.33, 0.55, 0.33]],
]


def _truncate(x: torch.Tensor) -> np.ndarray:
    """Truncate to two decimals as the lecture does (0.777 -> 0.77), immune to float32 rounding (0.99999 -> 1.00)."""
    hundredths = np.trunc(np.round(x.detach().double().numpy() * 100, 3))
    return hundredths / 100


def _x_batch() -> torch.Tensor:
    return torch.from_numpy(lecture_x_image())[None, None]  # (1, 1, 9, 9)


def test_lecture_image_and_features():
    x = lecture_x_image()
    assert x.shape == (9, 9) and set(np.unique(x)) == {-1.0, 1.0}
    assert (x[0] == -1).all() and (x[:, 8] == -1).all()  # a -1 border
    assert int((x == 1).sum()) == 13  # two diagonals of 7 sharing the centre
    assert x[1, 1] == x[7, 7] == x[1, 7] == x[7, 1] == x[4, 4] == 1
    f = lecture_features()
    assert f.shape == (3, 3, 3) and len(FEATURE_NAMES) == 3
    np.testing.assert_array_equal(f[0], [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]])  # "\"
    np.testing.assert_array_equal(f[1], [[1, -1, 1], [-1, 1, -1], [1, -1, 1]])  # centre of the X
    np.testing.assert_array_equal(f[2], [[-1, -1, 1], [-1, 1, -1], [1, -1, -1]])  # "/"
    lecture_features()[0, 0, 0] = 5  # fresh arrays: callers cannot corrupt the constants
    assert lecture_features()[0, 0, 0] == 1


def test_filtering_reproduces_the_lecture_maps():
    conv = lecture_filter()
    assert isinstance(conv, ConvNormAct) and conv.conv.bias is None and not hasattr(conv, "act")
    maps = conv(_x_batch())[0]  # (3, 7, 7)
    assert maps.shape == (3, 7, 7)
    np.testing.assert_array_equal(_truncate(maps[0])[0], [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33])
    for got, want in zip(maps, (FIRST_MAP, SECOND_MAP, THIRD_MAP), strict=True):
        np.testing.assert_array_equal(_truncate(got), want)
    # An exact match scores 1: the centre patch of the X under the centre feature.
    assert maps[1, 3, 3].item() == pytest.approx(1.0)


def test_pooling_and_relu_reproduce_the_lecture():
    maps = lecture_filter()(_x_batch())  # (1, 3, 7, 7)
    pooled = pool2d("max", 2, stride=2, ceil_mode=True)(maps)[0]  # (3, 4, 4): the 7x7 map padded to 8x8
    assert pooled.shape == (3, 4, 4)
    for got, want in zip(pooled, POOLED, strict=True):
        np.testing.assert_array_equal(_truncate(got), want)
    relu = get_act_layer("relu")()
    rectified = relu(maps)[0]  # (3, 7, 7)
    want = np.maximum(np.array([FIRST_MAP, SECOND_MAP, THIRD_MAP]), 0.0)
    np.testing.assert_array_equal(_truncate(rectified), want)
    assert (rectified >= 0).all() and int((rectified == 0).sum()) == int((maps <= 0).sum())


def test_generator_is_seeded_balanced_and_in_range():
    images, labels = make_xo_images(101, size=24, seed=3)
    assert images.shape == (101, 24, 24) and images.dtype == np.float32 and labels.dtype == np.int64
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert np.bincount(labels).tolist() == [51, 50] and XO_LABELS == ("X", "O")
    again, again_labels = make_xo_images(101, size=24, seed=3)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, again_labels)
    other, _ = make_xo_images(101, size=24, seed=4)
    assert not np.array_equal(images, other)


def test_generator_varies_position_size_angle_and_stroke():
    clean = {"noise": 0.0}
    images, labels = make_xo_images(400, size=28, seed=0, **clean)
    ink = images > 0  # (N, H, W)
    area = ink.sum(axis=(1, 2))
    assert (area > 0).all()
    rows = np.array([np.flatnonzero(m.any(axis=1)).mean() for m in ink])
    assert rows.std() > 1.0  # translation
    assert area.std() / area.mean() > 0.15  # scale and stroke weight
    # No variation at all: every X is identical, every O too.
    fixed = {"scale": (0.3, 0.3), "max_shift": 0.0, "max_rotation": 0.0, "stroke": (2.0, 2.0), "noise": 0.0}
    still, still_labels = make_xo_images(20, size=28, seed=0, **fixed)
    for k in (0, 1):
        group = still[still_labels == k]
        assert np.abs(group - group[0]).max() < 1e-6
    # A centred, unrotated X is symmetric about both diagonals; an O about both axes.
    x, o = still[still_labels == 0][0], still[still_labels == 1][0]
    np.testing.assert_allclose(x, x.T, atol=1e-5)
    np.testing.assert_allclose(o, o[::-1], atol=1e-5)
    # Rotation is real: rotated X's are no longer symmetric about the diagonal.
    turned, turned_labels = make_xo_images(20, size=28, seed=0, **{**fixed, "max_rotation": 30.0})
    asym = [np.abs(im - im.T).max() for im in turned[turned_labels == 0]]
    assert max(asym) > 0.5


def test_generator_noise_and_bad_arguments():
    clean, _ = make_xo_images(10, size=16, seed=1, noise=0.0)
    noisy, _ = make_xo_images(10, size=16, seed=1, noise=0.2)
    assert set(np.unique(clean[clean < -0.999])) == {-1.0}
    assert 0.05 < np.abs(noisy - clean).mean() < 0.3
    for kwargs, word in [
        ({"n": 0}, "n must"),
        ({"size": 8}, "size"),
        ({"scale": (0.4, 0.2)}, "scale"),
        ({"max_shift": 1.5}, "max_shift"),
        ({"max_rotation": -1.0}, "max_rotation"),
        ({"stroke": (0.0, 1.0)}, "stroke"),
        ({"noise": -0.1}, "noise"),
    ]:
        with pytest.raises(ValueError, match=word):
            make_xo_images(**{"n": 4, **kwargs})
