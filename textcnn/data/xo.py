"""The X-and-O toy problem of Brandon Rohrer's lecture "How convolutional neural networks work" (2016).

Two parts:

* the lecture's exact example: the 9x9 X image (pixels +1 / -1) and its three 3x3 features, so that filtering,
  pooling and ReLU can be reproduced number for number with the core's layers (see ``tests/data/test_xo.py``);
* a seeded generator of X and O images with the variations the lecture says a classifier must survive --
  translation, scaling, rotation and stroke weight -- plus mild pixel noise, to train a real ConvNet on
  (``textcnn.models.xo_net``).

Reference: B. Rohrer, "How do Convolutional Neural Networks work?", 2016,
https://brohrer.github.io/how_convolutional_neural_networks_work.html (video: "How Convolutional Neural Networks
work", YouTube, 2016).

Only numpy is imported, so importing this module stays cheap.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "FEATURE_NAMES",
    "XO_LABELS",
    "lecture_features",
    "lecture_x_image",
    "make_xo_images",
]

XO_LABELS: tuple[str, str] = ("X", "O")
"""Class names; label id 0 is X, 1 is O."""

FEATURE_NAMES: tuple[str, str, str] = ("diagonal_down", "x_centre", "diagonal_up")
"""The lecture's three features, in its order: ``\\`` (top-left to bottom-right), the centre of the X, ``/``."""


def lecture_x_image() -> np.ndarray:
    """The lecture's 9x9 X: both diagonals of the inner 7x7 square at +1, everything else (the border too) -1.

    Returns:
        A fresh ``(9, 9)`` float32 array.
    """
    image = -np.ones((9, 9), dtype=np.float32)
    for i in range(1, 8):
        image[i, i] = 1.0
        image[i, 8 - i] = 1.0
    return image


def lecture_features() -> np.ndarray:
    """The lecture's three 3x3 features (+1 / -1), in the order of :data:`FEATURE_NAMES`.

    The first (``\\``) gives the lecture's first feature map, whose first row is
    ``0.77 -0.11 0.11 0.33 0.55 -0.11 0.33``.

    Returns:
        A fresh ``(3, 3, 3)`` float32 array ``(feature, row, column)``.
    """
    down = np.where(np.eye(3, dtype=bool), 1.0, -1.0)
    up = down[:, ::-1]
    centre = np.maximum(down, up)
    return np.stack([down, centre, up]).astype(np.float32)


def make_xo_images(
    n: int,
    *,
    size: int = 28,
    seed: int = 0,
    scale: tuple[float, float] = (0.2, 0.32),
    max_shift: float = 1.0,
    max_rotation: float = 30.0,
    stroke: tuple[float, float] = (1.5, 3.5),
    noise: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` X and O images (balanced, shuffled) with the lecture's variations.

    Each shape is rendered analytically (distance from each pixel centre to the X's two strokes or the O's circle,
    anti-aliased over one pixel) at a random size, position, angle and stroke weight, then mapped to the lecture's
    convention (ink +1, background -1), noised and clipped to ``[-1, 1]``.

    Args:
        n: Number of images (half X, half O; the extra one of an odd ``n`` is an X).
        size: Image height and width in pixels (>= 12).
        seed: Seed of every random draw; the same arguments always give the same images.
        scale: Range of the shape's half-extent as a fraction of ``size`` (the X's arms reach this far along each
            axis, the O's radius is this).
        max_shift: Translation as a fraction of the room left around the shape (0 centres every shape, 1 lets it
            reach the border).
        max_rotation: Largest rotation in degrees, either way.
        stroke: Range of the stroke width in pixels.
        noise: Standard deviation of the Gaussian pixel noise (0 for clean images).

    Returns:
        ``(images, labels)``: float32 ``(n, size, size)`` in ``[-1, 1]`` and int64 ``(n,)`` with 0 = X, 1 = O.

    Raises:
        ValueError: If an argument is out of range (the message names it).
    """
    _validate(n=n, size=size, scale=scale, max_shift=max_shift, max_rotation=max_rotation, stroke=stroke, noise=noise)
    rng = np.random.default_rng(seed)
    labels = np.zeros(n, dtype=np.int64)
    labels[(n + 1) // 2 :] = 1
    labels = rng.permutation(labels)

    half = rng.uniform(scale[0], scale[1], n) * size  # (n,) half-extent in pixels
    width = rng.uniform(stroke[0], stroke[1], n)  # (n,)
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation, n))  # (n,)
    # Room around the shape: a rotated X reaches up to half * sqrt(2) from its centre.
    reach = np.where(labels == 0, half * math.sqrt(2.0), half) + width / 2
    room = np.clip(size / 2 - reach - 0.5, 0.0, None) * max_shift  # (n,)
    centre = (size - 1) / 2 + rng.uniform(-1.0, 1.0, (2, n)) * room  # (2, n) rows, columns

    coords = np.arange(size, dtype=np.float64)
    dy = coords[None, :, None] - centre[0][:, None, None]  # (n, size, 1)
    dx = coords[None, None, :] - centre[1][:, None, None]  # (n, 1, size)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = cos * dx + sin * dy  # (n, size, size) pixel offsets in the shape's own frame
    v = -sin * dx + cos * dy
    h = half[:, None, None]
    dist_x = np.minimum(_segment_distance(u, v, h, h), _segment_distance(u, v, h, -h))
    dist_o = np.abs(np.hypot(u, v) - h)
    dist = np.where(labels[:, None, None] == 0, dist_x, dist_o)  # (n, size, size) pixels to the stroke centre
    ink = np.clip(width[:, None, None] / 2 - dist + 0.5, 0.0, 1.0)  # anti-aliased coverage in [0, 1]

    images = 2.0 * ink - 1.0
    if noise > 0:
        images = images + rng.normal(0.0, noise, images.shape)
    return np.clip(images, -1.0, 1.0).astype(np.float32), labels


def _segment_distance(u: np.ndarray, v: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points ``(u, v)`` to the segment from ``(-a, -b)`` to ``(a, b)``."""
    length_sq = a * a + b * b
    t = np.clip((u * a + v * b) / length_sq, -1.0, 1.0)
    return np.hypot(u - t * a, v - t * b)


def _validate(
    *,
    n: int,
    size: int,
    scale: tuple[float, float],
    max_shift: float,
    max_rotation: float,
    stroke: tuple[float, float],
    noise: float,
) -> None:
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if size < 12:
        raise ValueError(f"size must be >= 12 pixels, got {size}")
    if not 0 < scale[0] <= scale[1] <= 0.5:
        raise ValueError(f"scale must satisfy 0 < low <= high <= 0.5, got {scale}")
    if not 0 <= max_shift <= 1:
        raise ValueError(f"max_shift must be in [0, 1], got {max_shift}")
    if not 0 <= max_rotation <= 180:
        raise ValueError(f"max_rotation must be in [0, 180] degrees, got {max_rotation}")
    if not 0 < stroke[0] <= stroke[1]:
        raise ValueError(f"stroke must satisfy 0 < low <= high (pixels), got {stroke}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
