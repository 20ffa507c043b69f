"""Hand-designed image features: the pre-deep-learning recipe in miniature (LIM-2).

Before AlexNet, image classifiers fed a linear model with features a person
designed: edges (oriented derivative filters) and histograms of gradient
orientations (HOG, Dalal & Triggs 2005; SIFT's descriptor is the same idea,
Lowe 2004). Nothing here is learned: the filters and bins are fixed by hand.

- ``gradient_histograms``: HOG-like. Gradients by central differences; each
  pixel votes its gradient magnitude into one of ``bins`` unsigned
  orientations; votes are summed over square cells and each cell's histogram
  is L2-normalised (robust to contrast).
- ``edge_maps``: four fixed 3x3 Sobel-type edge filters (vertical,
  horizontal, two diagonals), rectified and average-pooled.
- ``hand_features``: both, concatenated, for a linear classifier.

Images are ``(n, height, width)`` arrays of non-negative intensities.
"""

from __future__ import annotations

import numpy as np

SOBEL = np.array([
    [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],   # vertical edges (intensity changes left -> right)
    [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],   # horizontal edges
    [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],   # diagonal /
    [[-2, -1, 0], [-1, 0, 1], [0, 1, 2]],   # diagonal \
], dtype=float)


def _check_images(images) -> np.ndarray:
    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or min(images.shape[1:]) < 3 or images.shape[0] < 1:
        raise ValueError(f"images must be (n, height, width) with height, width >= 3, got shape {images.shape}")
    if not np.all(np.isfinite(images)) or images.min() < 0:
        raise ValueError("images must hold finite, non-negative intensities")
    return images


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def gradient_histograms(images, bins: int = 8, cell: int = 4, stride: int = 2) -> np.ndarray:
    """HOG-like features ``(n, cells · bins)``: orientation histograms over ``cell`` x ``cell`` windows.

    bins: unsigned orientations in [0, π). cell, stride: window size and step
    in pixels (overlapping cells when stride < cell). Each cell's histogram has
    unit L2 norm (all-zero cells stay zero).
    """
    images = _check_images(images)
    bins, cell, stride = _check_int("bins", bins, 1), _check_int("cell", cell, 1), _check_int("stride", stride, 1)
    height, width = images.shape[1:]
    if cell > min(height, width):
        raise ValueError(f"cell ({cell}) must fit in the image ({height}x{width})")
    gx, gy = np.zeros_like(images), np.zeros_like(images)
    gx[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
    gy[:, 1:-1, :] = images[:, 2:, :] - images[:, :-2, :]
    magnitude = np.hypot(gx, gy)
    orientation = np.minimum((np.mod(np.arctan2(gy, gx), np.pi) / np.pi * bins).astype(int), bins - 1)
    votes = magnitude[..., None] * (orientation[..., None] == np.arange(bins))  # (n, h, w, bins)
    histograms = []
    for top in range(0, height - cell + 1, stride):
        for left in range(0, width - cell + 1, stride):
            h = votes[:, top:top + cell, left:left + cell].sum(axis=(1, 2))
            histograms.append(h / (np.linalg.norm(h, axis=1, keepdims=True) + 1e-6))
    return np.concatenate(histograms, axis=1)


def edge_maps(images, pool: int = 2) -> np.ndarray:
    """Rectified responses of the four ``SOBEL`` filters, average-pooled ``pool`` x ``pool``: ``(n, 4 · cells)``.

    The image is zero-padded by one pixel so the maps keep its size; height and
    width must be divisible by ``pool``.
    """
    images = _check_images(images)
    pool = _check_int("pool", pool, 1)
    n, height, width = images.shape
    if height % pool or width % pool:
        raise ValueError(f"pool ({pool}) must divide the image size ({height}x{width})")
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # (n, h, w, 3, 3)
    responses = np.abs(np.einsum("nhwij,fij->nfhw", windows, SOBEL))
    pooled = responses.reshape(n, len(SOBEL), height // pool, pool, width // pool, pool).mean(axis=(3, 5))
    return pooled.reshape(n, -1)


def hand_features(images) -> np.ndarray:
    """``gradient_histograms`` and ``edge_maps`` (default settings) side by side: ``(n, features)``."""
    return np.concatenate([gradient_histograms(images), edge_maps(images)], axis=1)
