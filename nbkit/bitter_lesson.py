"""The bitter lesson in miniature: hand-made features vs features learned end to end, as data grows (LIM-2).

Data: scikit-learn's bundled handwritten digits (1,797 images of 8x8 pixels,
10 classes; no download). A fixed, stratified test set is held out once;
training sets of growing size are drawn from the rest, class-balanced and
nested (each seed's set of 100 contains its set of 50).

Three learners see the same training images:

- **hand**: ``features.hand_features`` (HOG-like histograms + fixed edge
  filters) -> standardised -> multinomial logistic regression;
- **pixels**: the raw pixels -> the same linear model (no hand knowledge,
  no feature learning: a reference line);
- **CNN**: a small convolutional network trained end to end on the pixels
  (two 3x3 convolution layers and a linear read-out), all sizes x seeds as one
  batched model (grouped convolutions), the same steps and batch for every size.

Tuning is deliberately tilted *toward* the hand-made pipeline: its
regularisation strength C is chosen by cross-validation on each training set,
while the CNN runs one fixed recipe (Adam, fixed learning rate and steps).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import batched, features, memo

N_CLASSES = 10
BASE_WIDTH = 8  # the learning-curve CNN: 8 then 16 channels
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def digits_split(test_size: int = 500, seed: int = 0) -> dict[str, np.ndarray]:
    """The digits, split once into a training pool and a stratified test set.

    Returns ``x_train (N, 8, 8)``, ``y_train (N,)``, ``x_test (test_size, 8, 8)``,
    ``y_test``; intensities scaled to [0, 1].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = _check_int("test_size", test_size, N_CLASSES)
    if test_size > 1000:
        raise ValueError(f"test_size must be at most 1000 of the 1,797 images, got {test_size}")
    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.images / 16.0, data.target, test_size=test_size, random_state=_check_int("seed", seed, 0),
        stratify=data.target)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def nested_subsets(labels, sizes: Sequence[int], seed: int = 0) -> list[np.ndarray]:
    """Index arrays of the given sizes, nested (each contains the smaller ones) and class-balanced.

    The order: classes interleaved round-robin, each shuffled by ``seed``, so
    the first n indices hold n/10 images of each class (when n is a multiple of 10).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    sizes = batched._positive_ints("sizes", sizes)
    if max(sizes) > len(labels):
        raise ValueError(f"sizes must be at most the number of images ({len(labels)}), got {max(sizes)}")
    rng = np.random.default_rng(_check_int("seed", seed, 0))
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    rank = np.empty(len(labels), dtype=float)
    for members in per_class:
        rank[members] = np.arange(len(members)) + rng.random(len(members)) * 0.5  # round-robin, random ties
    order = np.argsort(rank, kind="stable")
    return [order[:n] for n in sizes]


def linear_accuracy(x_train, y_train, x_test, y_test) -> tuple[float, float]:
    """Standardise, fit multinomial logistic regression with C cross-validated over ``C_GRID``; test accuracy.

    x_*: ``(n, features)``; y_*: class labels. Folds: stratified, as many as
    the rarest class allows, at most 3; the C with the best mean fold accuracy
    wins (ties: the stronger regularisation). The fits run from the smallest C
    (strongest regularisation) up, each starting from the previous solution
    (the same optimum, found in fewer iterations). Returns ``(test accuracy, chosen C)``.
    BLAS runs on one thread (many threads on a busy 2-core machine were 40x slower).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    x_train, x_test = np.asarray(x_train, dtype=float), np.asarray(x_test, dtype=float)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_train and x_test must be 2-D with the same features, got {x_train.shape}, {x_test.shape}")
    if y_train.shape != (len(x_train),) or y_test.shape != (len(x_test),):
        raise ValueError("y_train and y_test need one label per row of x_train and x_test")
    folds = min(3, int(np.unique(y_train, return_counts=True)[1].min()))
    if folds < 2:
        raise ValueError("every class needs at least 2 training examples for cross-validation")

    from sklearn.exceptions import ConvergenceWarning

    def scores(x_fit, y_fit, x_eval, y_eval, grid=C_GRID) -> list[float]:
        """Accuracy on (x_eval, y_eval) for each C of ``grid``, each fit warm-started from the previous C."""
        scaler = StandardScaler().fit(x_fit)
        model = LogisticRegression(max_iter=500, warm_start=True)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for c in grid:
                model.set_params(C=c).fit(scaler.transform(x_fit), y_fit)
                out.append(float(model.score(scaler.transform(x_eval), y_eval)))
        return out

    with threadpool_limits(limits=1):
        splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(x_train, y_train)
        cv = np.mean([scores(x_train[tr], y_train[tr], x_train[va], y_train[va]) for tr, va in splits], axis=0)
        best = int(np.argmax(cv))
        return scores(x_train, y_train, x_test, y_test, C_GRID[:best + 1])[-1], float(C_GRID[best])

class BatchedCNN(nn.Module):
    """M small CNNs for 8x8 images, one per member, run as grouped convolutions.

    Each member: conv 3x3 (1 -> c1) + ReLU + 2x2 max-pool, conv 3x3 (c1 -> c2)
    + ReLU, linear read-out of the 4x4xc2 map to 10 classes.
    ``forward(x)``: x ``(M, B, 8, 8)`` -> logits ``(M, B, 10)``.
    """

    def __init__(self, members: int, seeds: Sequence[int], c1: int = 8, c2: int = 16):
        super().__init__()
        self.members, self.c1, self.c2 = (_check_int(k, v, 1) for k, v in (("members", members), ("c1", c1), ("c2", c2)))
        seeds = batched._positive_ints("seeds", seeds, minimum=0)
        if len(seeds) != members:
            raise ValueError(f"seeds needs one seed per member ({members}), got {len(seeds)}")
        shapes = {"conv1": ((c1, 1, 3, 3), 9), "bias1": ((c1,), 9), "conv2": ((c2, c1, 3, 3), 9 * c1),
                  "bias2": ((c2,), 9 * c1), "read": ((16 * c2, N_CLASSES), 16 * c2), "bias3": ((1, N_CLASSES), 16 * c2)}
        stacks = {name: [] for name in shapes}
        for seed in seeds:
            g = torch.Generator().manual_seed(seed)
            for name, (shape, fan_in) in shapes.items():
                stacks[name].append(batched.linear_init(shape, fan_in, g))
        self.weights = nn.ParameterDict({k: nn.Parameter(torch.stack(v)) for k, v in stacks.items()})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[0] != self.members or x.shape[2:] != (8, 8):
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor (members={self.members}, batch, 8, 8), got {shape}")
        w, m = self.weights, self.members
        h = x.transpose(0, 1)                                             # (B, M, 8, 8): member m = channel m
        h = F.conv2d(h, w["conv1"].reshape(m * self.c1, 1, 3, 3), w["bias1"].reshape(-1), padding=1, groups=m)
        h = F.max_pool2d(F.relu(h), 2)                                    # (B, M·c1, 4, 4)
        h = F.relu(F.conv2d(h, w["conv2"].reshape(m * self.c2, self.c1, 3, 3), w["bias2"].reshape(-1),
                            padding=1, groups=m))                         # (B, M·c2, 4, 4)
        h = h.reshape(h.shape[0], m, 16 * self.c2).transpose(0, 1)        # (M, B, 16·c2)
        return torch.baddbmm(w["bias3"], h, w["read"])

    def flops_per_example(self) -> int:
        """Multiply-adds x 2 of one member's forward pass on one image (training ≈ 3x this)."""
        macs = 64 * 9 * self.c1 + 16 * 9 * self.c1 * self.c2 + 16 * self.c2 * N_CLASSES
        return 2 * macs

    def parameter_count(self) -> int:
        """Trainable parameters of one member."""
        return sum(p[0].numel() for p in self.weights.values())


def _checkpoints(steps: int) -> list[int]:
    """Steps at which the CNNs are tested: 10, 32, 100, 316, … (half-decades) and ``steps`` itself."""
    return sorted({round(10 ** e) for e in np.arange(1, math.log10(steps), 0.5)} | {steps})


def _train_cnns(split: dict, subsets: list[np.ndarray], init_seeds: list[int], width: int, steps: int,
                batch_size: int, lr: float, progress: bool, desc: str) -> tuple[np.ndarray, BatchedCNN]:
    """One CNN per training subset, batched; test accuracy at each checkpoint: ``(members, K)``."""
    model = BatchedCNN(len(subsets), seeds=init_seeds, c1=width, c2=2 * width)
    images, labels = torch.tensor(split["x_train"], dtype=torch.float32), torch.tensor(split["y_train"])
    counts = torch.tensor([len(ix) for ix in subsets])
    padded = torch.stack([F.pad(torch.tensor(ix), (0, int(counts.max()) - len(ix))) for ix in subsets])
    generator = torch.Generator().manual_seed(init_seeds[0])
    x_test = torch.tensor(split["x_test"], dtype=torch.float32).expand(len(subsets), -1, -1, -1)
    y_test = torch.tensor(split["y_test"])
    checkpoints = _checkpoints(steps)
    by_step = np.zeros((len(subsets), len(checkpoints)))

    def test(column: int) -> None:
        with torch.no_grad():
            by_step[:, column] = (model(x_test).argmax(-1) == y_test).float().mean(1).numpy()

    def loss(step: int) -> torch.Tensor:
        if step in checkpoints:
            test(checkpoints.index(step))
        draw = (torch.rand(len(subsets), batch_size, generator=generator) * counts[:, None]).long()
        picked = torch.gather(padded, 1, draw)  # (M, B): each member samples its own training subset
        logits = model(images[picked])
        return F.cross_entropy(logits.reshape(-1, N_CLASSES), labels[picked].reshape(-1),
                               reduction="none").reshape(len(subsets), -1).mean(dim=1)

    batched.train(model.parameters(), loss, steps=steps, lr=lr, progress=progress, desc=desc)
    test(len(checkpoints) - 1)
    return by_step, model


def _curves(sizes, seeds, steps, batch_size, lr, test_size, split_seed, progress) -> dict:
    split = digits_split(test_size, split_seed)
    hand_train, hand_test = features.hand_features(split["x_train"]), features.hand_features(split["x_test"])
    pixels_train, pixels_test = split["x_train"].reshape(len(split["x_train"]), -1), split["x_test"].reshape(test_size, -1)
    subsets = {s: nested_subsets(split["y_train"], sizes, seed=s) for s in seeds}
    result = {name: np.zeros((len(sizes), len(seeds))) for name in ("acc_hand", "acc_pixels", "c_hand")}
    for j, s in enumerate(seeds):
        for i, idx in enumerate(subsets[s]):
            y = split["y_train"][idx]
            result["acc_hand"][i, j], result["c_hand"][i, j] = linear_accuracy(hand_train[idx], y, hand_test, split["y_test"])
            result["acc_pixels"][i, j] = linear_accuracy(pixels_train[idx], y, pixels_test, split["y_test"])[0]
    members = [(i, s) for i in range(len(sizes)) for s in seeds]
    by_step, model = _train_cnns(split, [subsets[s][i] for i, s in members],
                                 [7_919 * s + i for i, (_, s) in enumerate(members)], BASE_WIDTH, steps,
                                 batch_size, lr, progress, f"{len(members)} CNNs (sizes x seeds) at once")
    shape = (len(sizes), len(seeds))
    return {**result, "sizes": np.array(sizes), "seeds": np.array(seeds), "checkpoints": np.array(_checkpoints(steps)),
            "acc_cnn": by_step[:, -1].reshape(shape), "acc_cnn_by_step": by_step.reshape(shape + (-1,)),
            "cnn_params": model.parameter_count(), "cnn_flops_per_example": model.flops_per_example(),
            "hand_features": hand_train.shape[1]}


def _check_recipe(steps, batch_size, lr, test_size, split_seed) -> dict:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
        raise ValueError(f"lr must be a learning rate in (0, 1), got {lr!r}")
    return {"steps": _check_int("steps", steps, 2), "batch_size": _check_int("batch_size", batch_size, 1),
            "lr": float(lr), "test_size": _check_int("test_size", test_size, N_CLASSES),
            "split_seed": _check_int("split_seed", split_seed, 0)}


def learning_curves(sizes: Sequence[int], seeds: Sequence[int], steps: int = 1000, batch_size: int = 64,
                    lr: float = 3e-3, test_size: int = 500, split_seed: int = 0,
                    progress: bool = True) -> dict[str, np.ndarray]:
    """Test accuracy of hand-features, pixels and the CNN for each training-set size and seed (cached).

    sizes: training-set sizes (multiples of 10 keep the classes balanced).
    seeds: one nested family of training sets and one CNN init per seed.
    steps, batch_size, lr: the CNN's recipe (width ``BASE_WIDTH``), the same for
    every size (Adam, cosine decay). split_seed: which images form the test set.

    Returns ``acc_hand``, ``acc_pixels``, ``acc_cnn``, ``c_hand`` ``(sizes, seeds)``;
    ``acc_cnn_by_step (sizes, seeds, K)`` at the training ``checkpoints (K,)``
    (the last is ``steps``); ``sizes``, ``seeds``, ``cnn_params``,
    ``cnn_flops_per_example``, ``hand_features`` (how many).
    """
    params = {"sizes": batched._positive_ints("sizes", sizes, minimum=20),
              "seeds": batched._positive_ints("seeds", seeds, minimum=0),
              **_check_recipe(steps, batch_size, lr, test_size, split_seed)}
    return memo.cached("lim-digits", params, lambda: _curves(**params, progress=progress),
                       code=[batched, features, memo, sys.modules[__name__]])


def _compute(widths, seeds, steps, batch_size, lr, test_size, split_seed, progress) -> dict:
    split = digits_split(test_size, split_seed)
    everything = np.arange(len(split["y_train"]))
    acc, flops, n_params = [], [], []
    for width in widths:
        by_step, model = _train_cnns(split, [everything] * len(seeds), [104_729 * width + s for s in seeds], width,
                                     steps, batch_size, lr, progress, f"{len(seeds)} CNNs of width {width} at once")
        acc.append(by_step)
        flops.append(model.flops_per_example())
        n_params.append(model.parameter_count())
    checkpoints = np.array(_checkpoints(steps))
    train_flops = 3 * np.outer(flops, checkpoints) * batch_size  # forward + backward ≈ 3 x forward
    return {"widths": np.array(widths), "seeds": np.array(seeds), "checkpoints": checkpoints,
            "acc_by_step": np.stack(acc), "train_flops": train_flops, "n_params": np.array(n_params)}


def compute_sweep(widths: Sequence[int], seeds: Sequence[int], steps: int = 1000, batch_size: int = 64,
                  lr: float = 3e-3, test_size: int = 500, split_seed: int = 0,
                  progress: bool = True) -> dict[str, np.ndarray]:
    """CNNs of growing width (channels ``width``, ``2·width``) on the whole training pool (cached).

    The compute axis of the bitter lesson: same data, more parameters and
    steps. Returns ``acc_by_step (widths, seeds, K)`` at ``checkpoints (K,)``,
    ``train_flops (widths, K)`` (≈ 3 x forward FLOPs x images seen),
    ``n_params (widths,)``, ``widths``, ``seeds``.
    """
    params = {"widths": batched._positive_ints("widths", widths), "seeds": batched._positive_ints("seeds", seeds, minimum=0),
              **_check_recipe(steps, batch_size, lr, test_size, split_seed)}
    return memo.cached("lim-digits-compute", params, lambda: _compute(**params, progress=progress),
                       code=[batched, features, memo, sys.modules[__name__]])


def crossing_point(sizes, learned, hand) -> float:
    """Where the learned curve overtakes the hand-made one for good (log-interpolated size); NaN if never.

    sizes ``(N,)`` increasing; learned, hand ``(N,)`` mean accuracies. Returns
    ``sizes[0]`` when learned leads everywhere, NaN when it does not lead at
    the largest size.
    """
    sizes, learned, hand = (np.asarray(a, dtype=float) for a in (sizes, learned, hand))
    if sizes.ndim != 1 or sizes.shape != learned.shape or sizes.shape != hand.shape or len(sizes) < 2:
        raise ValueError("sizes, learned and hand must be 1-D arrays of one length >= 2")
    if np.any(np.diff(sizes) <= 0) or sizes[0] <= 0:
        raise ValueError("sizes must be positive and increasing")
    gap = learned - hand
    if gap[-1] <= 0:
        return float("nan")
    behind = np.flatnonzero(gap <= 0)
    if behind.size == 0:
        return float(sizes[0])
    i = behind[-1]  # last size where hand was still ahead (or tied); interpolate to the next
    t = -gap[i] / (gap[i + 1] - gap[i])
    return float(np.exp(np.log(sizes[i]) + t * (np.log(sizes[i + 1]) - np.log(sizes[i]))))
