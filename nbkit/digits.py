"""scikit-learn's handwritten digits as a small multi-task data set (offline: the data ship with sklearn).

1,797 images of 8 x 8 pixels (64 features scaled to [0, 1]), split once at
random, stratified by digit, into train / validation / test. Besides the digit
itself, four coarse tasks label the same images — a toy for "task generality":
parity, five-or-more, the digit mod 3, and whether it is prime. Together the
four coarse labels identify the digit; each alone does not.

    d = digits.load()
    d.x_train (n, 64) float32, d.y_train (n, 5) int64   # columns in TASKS order
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TASKS = {"digit": 10, "parity": 2, "five_or_more": 2, "mod3": 3, "prime": 2}
COARSE = ("parity", "five_or_more", "mod3", "prime")


def task_labels(digit_labels) -> np.ndarray:
    """``(n, 5)`` int64 labels in ``TASKS`` order for digit labels ``(n,)`` in 0..9."""
    d = np.asarray(digit_labels)
    if d.ndim != 1 or not np.issubdtype(d.dtype, np.integer) or d.min() < 0 or d.max() > 9:
        raise ValueError("digit_labels must be a 1-D int array of digits 0..9")
    prime = np.isin(d, [2, 3, 5, 7])
    return np.stack([d, d % 2, (d >= 5).astype(int), d % 3, prime.astype(int)], axis=1).astype(np.int64)


@dataclass(frozen=True)
class Digits:
    """Three disjoint splits of the digits: ``x_*`` ``(n, 64)`` float32 in [0, 1], ``y_*`` ``(n, 5)`` int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_index: np.ndarray  # row numbers in sklearn's array: the splits are disjoint by construction
    val_index: np.ndarray
    test_index: np.ndarray


def load(n_val: int = 200, n_test: int = 597, seed: int = 0) -> Digits:
    """The digits split into train / validation / test, stratified by digit, reproducibly from ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    raw = load_digits()
    x, y = (raw.data / 16.0).astype(np.float32), raw.target.astype(np.int64)
    for name, value in (("n_val", n_val), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 10:
            raise ValueError(f"{name} must be an int >= 10, got {value!r}")
    if n_val + n_test > len(y) - 100:
        raise ValueError(f"n_val + n_test must leave >= 100 training images of {len(y)}, got {n_val} + {n_test}")
    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=n_test, stratify=y, random_state=seed)
    train, val = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=seed)
    labels = task_labels(y)
    return Digits(x[train], labels[train], x[val], labels[val], x[test], labels[test], train, val, test)


def subset_rows(n_items: int, sizes, seeds, length: int) -> np.ndarray:
    """Row indices ``(S, length)``: model s gets its own random subset of ``sizes[s]`` of the ``n_items``
    rows (drawn with ``seeds[s]``), repeated to ``length`` rows — so models trained on different amounts
    of data share one tensor. ``length`` must be a multiple of every size (each row repeated equally)."""
    sizes, seeds = list(sizes), list(seeds)
    if len(sizes) != len(seeds) or not sizes:
        raise ValueError(f"sizes and seeds need one entry per model, got {len(sizes)} and {len(seeds)}")
    rows = []
    for size, seed in zip(sizes, seeds):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= n_items \
                or length % size:
            raise ValueError(f"each size must be an int in 1..{n_items} dividing length={length}, got {size!r}")
        chosen = np.random.default_rng(seed).choice(n_items, size=int(size), replace=False)
        rows.append(np.tile(chosen, length // size))
    return np.stack(rows)
