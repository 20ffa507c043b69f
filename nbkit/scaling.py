"""Power-law fits with bootstrap intervals, and the Chinchilla loss surface.

``fit_power_law(x, loss)`` fits ``loss ≈ A * x**(-alpha)``, or with
``irreducible=True`` ``loss ≈ E + A * x**(-alpha)``, the way Hoffmann et al.
(2022) fitted their scaling laws: minimise the Huber loss (delta 1e-3) of the
residuals ``log(pred) - log(loss)`` over the parameters ``log A``, ``alpha`` and
``log E``. A Huber loss this small behaves like a sum of absolute values, so one
odd point cannot drag the whole curve. The interval on ``alpha`` comes from
refitting on resampled points (bootstrap).

All fits (several starting points, times 1 + ``n_boot`` resamples) are solved at
once as a batch of small independent problems with a damped Gauss-Newton
(Levenberg-Marquardt) iteration on reweighted least squares, in NumPy.

``chinchilla_loss(N, D)`` and ``chinchilla_optimal(C)`` use the Besiroglu et al.
(2024) refit of Hoffmann et al.'s parametric loss ``E + A/N**alpha + B/D**beta``
(N parameters, D training tokens, C = 6·N·D training FLOPs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config

HUBER_DELTA = 1e-3
_ALPHA_STARTS = (0.1, 0.3, 0.7)
_E_FRACTIONS = (0.1, 0.5, 0.9)  # starting E as a fraction of min(loss)
_MAX_ITER = 200


@dataclass(frozen=True)
class PowerLawFit:
    """A fitted ``loss = E + A * x**(-alpha)`` (``E`` is None when not fitted).

    ``r2`` is the R² of log(loss) (NaN if the loss is constant); ``alpha_ci`` the 95% bootstrap percentile
    interval of alpha (NaNs when ``n_boot=0``); ``n_points`` the number of points.
    """

    alpha: float
    A: float
    E: float | None
    r2: float
    alpha_ci: tuple[float, float]
    n_points: int
    x_name: str = "N"

    def predict(self, x) -> np.ndarray:
        """The fitted loss at ``x`` (array-like, > 0); returns an array of x's shape."""
        x = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(x) & (x > 0)):
            raise ValueError("x must be finite and > 0 to predict a power law")
        return (self.E or 0.0) + self.A * x ** (-self.alpha)

    def __str__(self) -> str:
        head = f"L = {self.E:.3g} + " if self.E is not None else "L = "
        lo, hi = self.alpha_ci
        ci = f"{lo:.3g}–{hi:.3g}" if np.isfinite(lo) else "n/a"
        return f"{head}{self.A:.3g}·{self.x_name}^{-self.alpha:.3g}  (alpha 95% CI {ci}, R² {self.r2:.3f})"


def _check_positive_1d(name: str, values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(values).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}; flatten it or pass one series at a time")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; drop those points before fitting")
    if not np.all(arr > 0):
        raise ValueError(f"{name} must be > 0 everywhere (the fit works in log space); drop points <= 0")
    return arr


def _check_inputs(x, loss, irreducible: bool, n_boot: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(irreducible, bool):
        raise TypeError(f"irreducible must be True or False, got {irreducible!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer (0 skips the interval), got {n_boot!r}")
    x, loss = _check_positive_1d("x", x), _check_positive_1d("loss", loss)
    if len(x) != len(loss):
        raise ValueError(f"x and loss must have the same length, got {len(x)} and {len(loss)}")
    need = 4 if irreducible else 3
    if len(np.unique(x)) < need:
        raise ValueError(
            f"got {len(np.unique(x))} distinct x values, need at least {need} to fit "
            f"{need - 1} parameters{' (with E)' if irreducible else ''}; add points or use irreducible=False"
        )
    return x, loss


def _huber(r: np.ndarray) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= HUBER_DELTA, 0.5 * r * r, HUBER_DELTA * (a - 0.5 * HUBER_DELTA))


def _log_model(theta: np.ndarray, logx: np.ndarray, irreducible: bool) -> tuple[np.ndarray, np.ndarray]:
    """Log prediction ``(P, n)`` and its Jacobian ``(P, n, k)`` for parameters ``(P, k)``.

    Parameters are ``(log A, alpha)`` or ``(log A, alpha, log E)``.
    """
    power = theta[:, :1] - theta[:, 1:2] * logx  # log(A x^-alpha)
    ones = np.ones_like(power)
    if not irreducible:
        return power, np.stack([ones, -logx * ones], axis=-1)
    f = np.logaddexp(theta[:, 2:3], power)
    share = np.exp(power - f)  # A x^-alpha / (E + A x^-alpha)
    return f, np.stack([share, -logx * share, 1.0 - share], axis=-1)


def _objective(theta, logx, logy, weights, irreducible) -> np.ndarray:
    return (weights * _huber(_log_model(theta, logx, irreducible)[0] - logy)).sum(axis=-1)


def _solve_batch(theta, logx, logy, weights, irreducible, e_max) -> tuple[np.ndarray, np.ndarray]:
    """Minimise the weighted Huber objective for each row of ``theta`` ``(P, k)``.

    ``weights`` ``(P, n)`` counts how often each point is used (bootstrap);
    ``e_max`` ``(P,)`` caps log E so that E stays below the smallest loss.
    Returns the parameters ``(P, k)`` and objectives ``(P,)``.
    """
    theta = theta.copy()
    eye = np.eye(theta.shape[1])
    damping = np.full(len(theta), 1e-3)
    obj = _objective(theta, logx, logy, weights, irreducible)
    for _ in range(_MAX_ITER):
        f, jac = _log_model(theta, logx, irreducible)
        r = f - logy
        grad = np.einsum("pn,pnk->pk", weights * np.clip(r, -HUBER_DELTA, HUBER_DELTA), jac)
        irls = weights * np.minimum(1.0, HUBER_DELTA / np.maximum(np.abs(r), 1e-300))
        hess = np.einsum("pn,pnk,pnl->pkl", irls, jac, jac)
        lm = hess + damping[:, None, None] * (hess * eye + 1e-12 * eye)
        cand = theta - np.linalg.solve(lm, grad[..., None])[..., 0]
        if irreducible:
            cand[:, 2] = np.clip(cand[:, 2], e_max - 30.0, e_max)
        new = _objective(cand, logx, logy, weights, irreducible)
        better = new < obj
        gain = np.where(better, (obj - new) / np.maximum(obj, 1e-300), 0.0)
        theta[better], obj = cand[better], np.where(better, new, obj)
        damping = np.clip(np.where(better, damping * 0.3, damping * 10.0), 1e-9, 1e9)
        if np.all((better & (gain < 1e-10)) | (damping >= 1e9) | (obj == 0)):
            break
    return theta, obj


def _starts(logx, logy, weights, irreducible) -> np.ndarray:
    """Starting points ``(D, S, k)`` for ``D`` weighted data sets ``weights`` ``(D, n)``."""
    wsum = weights.sum(axis=1, keepdims=True)
    if not irreducible:  # weighted least squares in log-log space
        mx, my = (weights * logx).sum(1) / wsum[:, 0], (weights * logy).sum(1) / wsum[:, 0]
        cov = (weights * (logx - mx[:, None]) * (logy - my[:, None])).sum(1)
        var = (weights * (logx - mx[:, None]) ** 2).sum(1)
        alpha = -cov / var
        return np.stack([my + alpha * mx, alpha], axis=-1)[:, None, :]
    min_loss = np.exp(np.where(weights > 0, logy, np.inf).min(axis=1))
    starts = []
    for alpha in _ALPHA_STARTS:
        for frac in _E_FRACTIONS:
            e = frac * min_loss
            gap = np.where(weights > 0, np.exp(logy) - e[:, None], 1.0)  # > 0 wherever it counts
            log_a = (weights * (np.log(gap) + alpha * logx)).sum(1) / wsum[:, 0]
            starts.append(np.stack([log_a, np.full_like(e, alpha), np.log(e)], axis=-1))
    return np.stack(starts, axis=1)


def _fit_many(logx, logy, weights, irreducible) -> np.ndarray:
    """Best parameters ``(D, k)`` for each weighted data set ``weights`` ``(D, n)``."""
    starts = _starts(logx, logy, weights, irreducible)
    n_sets, n_starts, k = starts.shape
    rows = np.repeat(weights, n_starts, axis=0)
    e_max = np.log(np.exp(np.where(rows > 0, logy, np.inf).min(axis=1)) * (1 - 1e-6))
    theta, obj = _solve_batch(starts.reshape(-1, k), logx, logy, rows, irreducible, e_max)
    best = obj.reshape(n_sets, n_starts).argmin(axis=1)
    return theta.reshape(n_sets, n_starts, k)[np.arange(n_sets), best]


def _bootstrap_weights(x: np.ndarray, n_boot: int, need: int, seed: int) -> np.ndarray:
    """Counts ``(B, n)`` of how often each point is drawn, keeping resamples with >= ``need`` distinct x."""
    n = len(x)
    picks = config.rng(seed).integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot, n))
    np.add.at(counts, (np.arange(n_boot)[:, None], picks), 1.0)
    _, x_id = np.unique(x, return_inverse=True)
    seen = np.zeros((n_boot, x_id.max() + 1), dtype=bool)
    seen[np.arange(n_boot)[:, None], x_id[picks]] = True
    return counts[seen.sum(axis=1) >= need]


def fit_power_law(
    x, loss, irreducible: bool = False, n_boot: int = 200, seed: int = 0, *, x_name: str = "N"
) -> PowerLawFit:
    """Fit ``loss ≈ A * x**(-alpha)`` (or ``E + A * x**(-alpha)`` with ``irreducible=True``).

    ``x`` ``(n,)``: model size, data or compute (any positive unit); ``loss``
    ``(n,)``: positive losses (e.g. nats per token). Needs at least 3 distinct x
    (4 with ``irreducible``). ``n_boot`` resamples give the 95% interval of alpha;
    ``seed`` makes it repeatable; ``x_name`` is the symbol used when printing.
    With ``irreducible``, E is kept below ``min(loss)``.
    """
    x, loss = _check_inputs(x, loss, irreducible, n_boot)
    need = 4 if irreducible else 3
    logx, logy = np.log(x), np.log(loss)
    weights = np.vstack([np.ones((1, len(x))), _bootstrap_weights(x, int(n_boot), need, seed)])
    theta = _fit_many(logx, logy, weights, irreducible)
    main = theta[0]
    resid = _log_model(main[None], logx, irreducible)[0][0] - logy
    total = ((logy - logy.mean()) ** 2).sum()
    r2 = float(1 - (resid**2).sum() / total) if total > 0 else float("nan")
    boot = theta[1:, 1]
    ci = tuple(float(v) for v in np.percentile(boot, [2.5, 97.5])) if len(boot) else (float("nan"),) * 2
    return PowerLawFit(
        alpha=float(main[1]),
        A=float(np.exp(main[0])),
        E=float(np.exp(main[2])) if irreducible else None,
        r2=r2,
        alpha_ci=ci,
        n_points=len(x),
        x_name=str(x_name),
    )


def chinchilla_loss(
    N, D, E: float = 1.8172, A: float = 482.01, B: float = 2085.43, alpha: float = 0.3478, beta: float = 0.3658
):
    """Predicted pre-training loss (nats/token) of an ``N``-parameter model trained on ``D`` tokens.

    ``E + A/N**alpha + B/D**beta`` with the Besiroglu et al. (2024) refit of
    Hoffmann et al. (2022). ``N`` and ``D`` are numbers or broadcastable arrays.
    """
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    if not (np.all(N > 0) and np.all(D > 0)):
        raise ValueError("N (parameters) and D (tokens) must be > 0")
    return E + A / N**alpha + B / D**beta


def chinchilla_optimal(
    compute_flops, A: float = 482.01, B: float = 2085.43, alpha: float = 0.3478, beta: float = 0.3658
):
    """Compute-optimal ``(N_opt, D_opt)`` for a budget of ``compute_flops`` training FLOPs.

    Minimises ``chinchilla_loss`` subject to ``C = 6·N·D`` (closed form):
    ``N_opt = G·(C/6)**(beta/(alpha+beta))`` with ``G = (alpha·A/(beta·B))**(1/(alpha+beta))``
    and ``D_opt = C/(6·N_opt)``. Works on numbers or arrays of budgets.
    """
    C = np.asarray(compute_flops, dtype=float)
    if not np.all(np.isfinite(C) & (C > 0)):
        raise ValueError(f"compute_flops must be finite and > 0 (training FLOPs, e.g. 5.76e23), got {compute_flops!r}")
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    n_opt = G * (C / 6) ** (beta / (alpha + beta))
    return n_opt[()], (C / (6 * n_opt))[()]  # [()] turns 0-d arrays into plain numbers
