"""Fitting a sine inside an interval and asking for it outside (LIM-1, LIM-3).

The task: learn ``y = sin(x)`` from points drawn in ``[-half_range, half_range]``;
then measure the error on fresh points *inside* that interval (approximation)
and on one full period *beyond each end* (extrapolation).

- ``sine_data``: training, validation and test points (validation and both
  test sets are fresh draws; nothing outside the interval is ever trained on
  or used to choose anything).
- ``fit_mlps``: one-hidden-layer MLPs of several widths x learning rates x
  seeds, trained as one batched model (``nbkit.batched``); for each width and
  seed the learning rate with the lowest *inside validation* error is kept.
- ``fit_periodic``: a model that knows the *form* of the rule (a wave of
  unknown period, amplitude and phase) and learns its parameters from the
  same training points.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from . import batched, memo

TWO_PI = 2 * math.pi


def _check_range(half_range) -> float:
    if isinstance(half_range, bool) or not isinstance(half_range, (int, float)) or not 0 < half_range <= 100:
        raise ValueError(f"half_range must be a number in (0, 100] (radians), got {half_range!r}")
    return float(half_range)


def _check_count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def rmse(prediction, target) -> float:
    """Root-mean-square error between two arrays of the same shape (same units as the values)."""
    p, t = np.asarray(prediction, dtype=float), np.asarray(target, dtype=float)
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"prediction and target must be non-empty and of one shape, got {p.shape} and {t.shape}")
    return float(np.sqrt(np.mean((p - t) ** 2)))


def sine_data(half_range: float, n_train: int, n_eval: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Points for the sine task (x in radians), each set drawn uniformly and independently.

    Returns ``x_train (n_train,)``, ``x_val`` and ``x_in`` (``(n_eval,)`` each,
    inside ``[-half_range, half_range]``) and ``x_out`` (``(n_eval,)``: half in
    ``[half_range, half_range + 2π]``, half in the mirror interval on the left),
    and the matching targets ``y_*`` = sin(x).
    """
    half_range = _check_range(half_range)
    n_train, n_eval = _check_count("n_train", n_train), _check_count("n_eval", n_eval, 2)
    seed = _check_count("seed", seed, 0)
    rng = np.random.default_rng(seed)
    inside = lambda n: rng.uniform(-half_range, half_range, n)
    beyond = rng.uniform(half_range, half_range + TWO_PI, n_eval)
    beyond[: n_eval // 2] *= -1
    sets = {"x_train": inside(n_train), "x_val": inside(n_eval), "x_in": inside(n_eval), "x_out": beyond}
    return {**sets, **{"y" + k[1:]: np.sin(v) for k, v in sets.items()}}


@dataclass
class PeriodicFit:
    """``y ≈ c + Σ_k a_k sin(2πk x/period) + b_k cos(2πk x/period)``, k = 1..harmonics."""

    period: float
    coefficients: np.ndarray  # (1 + 2·harmonics,): c, a_1, b_1, a_2, b_2, …

    @property
    def harmonics(self) -> int:
        return (len(self.coefficients) - 1) // 2

    def predict(self, x) -> np.ndarray:
        """Predictions at ``x`` (any shape, radians)."""
        return _periodic_features(np.asarray(x, dtype=float), self.period, self.harmonics) @ self.coefficients


def _periodic_features(x: np.ndarray, period: float, harmonics: int) -> np.ndarray:
    angles = TWO_PI * x[..., None] * np.arange(1, harmonics + 1) / period
    parts = [np.ones(x.shape + (1,)), np.sin(angles), np.cos(angles)]
    return np.concatenate([parts[0], np.stack(parts[1:], axis=-1).reshape(x.shape + (2 * harmonics,))], axis=-1)


def fit_periodic(x, y, periods: float | Sequence[float], harmonics: int = 1) -> PeriodicFit:
    """Least-squares periodic model; with several candidate ``periods``, keep the best on (x, y).

    x, y: training points ``(n,)``. periods: one period or candidates (same
    units as x), chosen by the training error alone — the model never sees
    anything outside the training points. harmonics: sine/cosine pairs.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 3:
        raise ValueError(f"x and y must be 1-D, of one length >= 3, got {x.shape} and {y.shape}")
    harmonics = _check_count("harmonics", harmonics)
    candidates = np.atleast_1d(np.asarray(periods, dtype=float))
    if candidates.ndim != 1 or not np.all(np.isfinite(candidates)) or np.any(candidates <= 0):
        raise ValueError(f"periods must be positive finite numbers, got {periods!r}")
    features = _periodic_features(x[None, :] / candidates[:, None], 1.0, harmonics)  # (periods, n, 1 + 2·harmonics)
    coefficients = np.einsum("pkn,n->pk", np.linalg.pinv(features), y)      # least squares for every period at once
    errors = np.mean((np.einsum("pnk,pk->pn", features, coefficients) - y) ** 2, axis=1)
    best = int(np.argmin(errors))
    return PeriodicFit(float(candidates[best]), coefficients[best])


def _choose(values: np.ndarray, best: np.ndarray) -> np.ndarray:
    """values ``(W, L, S, ...)`` and the lr index ``best (W, S)`` -> ``(W, S, ...)``."""
    index = best.reshape(best.shape[0], 1, best.shape[1], *[1] * (values.ndim - 3))
    return np.take_along_axis(values, index, axis=1)[:, 0]


def _fit(widths, seeds, lrs, steps, half_range, n_train, activation, depth, grid_points, progress) -> dict:
    grid = np.linspace(-half_range - TWO_PI, half_range + TWO_PI, grid_points)
    data = [sine_data(half_range, n_train, seed=s) for s in seeds]
    per_lr = lambda name: torch.tensor(np.stack([d[name] for d in data] * len(lrs)),
                                       dtype=torch.float32)[..., None]          # (lrs·seeds, n, 1), lr-major
    rates = [lr for lr in lrs for _ in seeds]
    x_train, y_train = per_lr("x_train"), per_lr("y_train")
    out = {name: [] for name in ("rmse_val", "rmse_in", "rmse_out", "final_train_mse", "curves", "n_params")}
    for width in tqdm(widths, desc="widths (one batched model of lrs x seeds each)", disable=not progress):
        model = batched.BatchedMLP(1, width, len(rates), depth=depth, activation=activation,
                                   seeds=[1_000_003 * s + 1_000 * width + j for j in range(len(lrs)) for s in seeds])
        history = batched.train(model.parameters(), lambda _, m=model: ((m(x_train) - y_train) ** 2).mean(dim=(1, 2)),
                                steps=steps, lr=rates, progress=False)
        with torch.no_grad():
            for name in ("val", "in", "out"):
                error = ((model(per_lr(f"x_{name}")) - per_lr(f"y_{name}")) ** 2).mean(dim=(1, 2)).sqrt()
                out[f"rmse_{name}"].append(error.numpy().reshape(len(lrs), len(seeds)))
            grid_x = torch.tensor(grid, dtype=torch.float32).expand(len(rates), -1)[..., None]
            out["curves"].append(model(grid_x)[..., 0].numpy().reshape(len(lrs), len(seeds), -1))
        out["final_train_mse"].append(history[-1].reshape(len(lrs), len(seeds)))
        out["n_params"].append(model.parameter_counts()[0])
    best = np.stack(out["rmse_val"]).argmin(axis=1)  # (W, S): each width and seed keeps the lr best INSIDE
    chosen = {k: _choose(np.stack(v), best) for k, v in out.items() if k != "n_params"}
    return {"widths": np.array(widths), "seeds": np.array(seeds), "lrs": np.array(lrs), "grid": grid,
            "n_params": np.array(out["n_params"]), "lr_chosen": np.asarray(lrs)[best], **chosen}


def fit_mlps(widths: Sequence[int], seeds: Sequence[int], lrs: Sequence[float] = (3e-3, 1e-2, 3e-2),
             steps: int = 2000, half_range: float = TWO_PI, n_train: int = 256, activation: str = "tanh",
             depth: int = 1, grid_points: int = 400, progress: bool = True) -> dict[str, np.ndarray]:
    """Fit sin(x) on ``[-half_range, half_range]`` with MLPs of each width, for each seed (cached).

    For each width, the lrs x seeds are one batched model (``nbkit.batched``):
    full-batch Adam on mean squared error for ``steps`` steps, cosine decay.
    Seed s draws the training points (``sine_data(seed=s)``) and, with the
    width and the lr's position, each member's init.

    Returns arrays: ``widths (W,)``, ``seeds (S,)``, ``n_params (W,)``;
    ``rmse_in``, ``rmse_out``, ``rmse_val``, ``lr_chosen``, ``final_train_mse``
    ``(W, S)`` for the lr chosen on inside validation; ``grid (G,)`` and the
    chosen models' predictions on it, ``curves (W, S, G)``.
    """
    widths = batched._positive_ints("widths", widths)
    seeds = batched._positive_ints("seeds", seeds, minimum=0)
    if isinstance(lrs, (str, bytes)) or not isinstance(lrs, Sequence) or not lrs or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1 for v in lrs):
        raise ValueError(f"lrs must be a non-empty sequence of learning rates in (0, 1), got {lrs!r}")
    if activation not in batched.ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(batched.ACTIVATIONS)}, got {activation!r}")
    params = {"widths": widths, "seeds": seeds, "lrs": [float(v) for v in lrs],
              "steps": _check_count("steps", steps), "half_range": _check_range(half_range),
              "n_train": _check_count("n_train", n_train), "activation": activation,
              "depth": _check_count("depth", depth), "grid_points": _check_count("grid_points", grid_points, 2)}
    return memo.cached("lim-sine", params, lambda: _fit(**params, progress=progress), code=[batched, memo, sys.modules[__name__]])
