"""Power-law fits with bootstrap intervals, and the Chinchilla loss surface.

``fit_power_law(x, loss)`` fits ``loss ≈ A * x**(-alpha)``, or with
``irreducible=True`` ``loss ≈ E + A * x**(-alpha)``, the way Hoffmann et al.
(2022) fitted their scaling laws: minimise the Huber loss (delta 1e-3) of the
residuals ``log(pred) - log(loss)`` over the parameters ``log A``, ``alpha`` and
``log E``. A Huber loss this small behaves like a sum of absolute values, so one
odd point cannot drag the whole curve. The interval on ``alpha`` comes from
refitting on resampled points (bootstrap): it measures how well the points of
ONE sweep pin the exponent down (fit scatter), not how much it moves from one
training seed to the next; for that, fit each seed's sweep and compare.

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
    interval of alpha over resampled points, i.e. the fit scatter of these points, not seed-to-seed
    variation (NaNs when ``n_boot=0``); ``n_points`` the number of points.
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
        ci = f", fit scatter of alpha {lo:.3g}–{hi:.3g}" if np.isfinite(lo) else ""
        return f"{head}{self.A:.3g}·{self.x_name}^{-self.alpha:.3g}  (R² {self.r2:.3f}{ci})"


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
    (4 with ``irreducible``). ``n_boot`` resamples of the points give a 95% interval of alpha
    (fit scatter, not seed noise);
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


# ---------------------------------------------------------------- testing a law: forecasts, frontiers (notebook 02)
def holdout_prediction(x, loss, n_holdout: int = 2, irreducible: bool = True, n_boot: int = 0,
                       seed: int = 0) -> tuple[PowerLawFit, np.ndarray, np.ndarray]:
    """Fit on all but the ``n_holdout`` largest ``x`` and predict those: an honest test of a law.

    Returns ``(fit, predicted, measured)``; the last two have shape ``(n_holdout,)``
    and follow increasing ``x``. A law that only describes its points, without
    predicting new ones, is a curve fit, not a scaling law.
    """
    x, loss = _check_positive_1d("x", x), _check_positive_1d("loss", loss)
    if len(x) != len(loss):
        raise ValueError(f"x and loss must have the same length, got {len(x)} and {len(loss)}")
    if isinstance(n_holdout, bool) or not isinstance(n_holdout, (int, np.integer)) or n_holdout < 1:
        raise ValueError(f"n_holdout must be a positive int, got {n_holdout!r}")
    order = np.argsort(x, kind="stable")
    x, loss = x[order], loss[order]
    if len(x) - n_holdout < (4 if irreducible else 3):
        raise ValueError(f"holding out {n_holdout} of {len(x)} points leaves too few to fit; "
                         "add points or hold out fewer")
    fit = fit_power_law(x[:-n_holdout], loss[:-n_holdout], irreducible=irreducible, n_boot=n_boot, seed=seed)
    return fit, fit.predict(x[-n_holdout:]), loss[-n_holdout:]


def forecast_errors(x, losses, n_holdout: int = 2, irreducible: bool = True) -> dict[str, np.ndarray]:
    """The hold-out test of a law, once per seed, against the naive forecast "no further gain".

    x ``(n,)``: sizes; losses ``(S, n)``: one row of losses per seed. For each
    row the law is fitted without the ``n_holdout`` largest sizes and predicts
    them; the naive forecast predicts the loss of the largest fitted size.
    Returns ``{"law": (S,), "naive": (S,), "predicted": (S, n_holdout),
    "measured": (S, n_holdout)}``: errors are mean absolute errors over the
    held-out sizes, in the losses' unit.
    """
    x = _check_positive_1d("x", x)
    rows = np.asarray(losses, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != len(x):
        raise ValueError(f"losses must be (seeds, {len(x)}): one row per seed, one column per size; "
                         f"got shape {rows.shape}")
    out = {"law": [], "naive": [], "predicted": [], "measured": []}
    for row in rows:
        _, predicted, measured = holdout_prediction(x, row, n_holdout=n_holdout, irreducible=irreducible)
        last_fitted = row[np.argsort(x, kind="stable")][-n_holdout - 1]
        out["law"].append(float(np.mean(np.abs(predicted - measured))))
        out["naive"].append(float(np.mean(np.abs(last_fitted - measured))))
        out["predicted"].append(predicted)
        out["measured"].append(measured)
    return {k: np.array(v) for k, v in out.items()}


def compute_frontier(flops, loss) -> np.ndarray:
    """Indices of the compute-efficient frontier: points no cheaper point beats.

    ``flops`` ``(n,)`` and ``loss`` ``(n,)``: e.g. every evaluation of every run
    of a sweep. A point is on the frontier when its loss is lower than that of
    every point with less compute. Returns indices sorted by compute (Kaplan et
    al. 2020, Fig. 1 left, plot this envelope).
    """
    flops, loss = _check_positive_1d("flops", flops), _check_positive_1d("loss", loss)
    if len(flops) != len(loss):
        raise ValueError(f"flops and loss must have the same length, got {len(flops)} and {len(loss)}")
    order = np.lexsort((loss, flops))
    best, keep = np.inf, []
    for i in order:
        if loss[i] < best:
            keep.append(i)
            best = loss[i]
    return np.array(keep, dtype=int)


def equal_compute_spread(flops, loss, owner, n_grid: int = 24, min_runs: int = 3) -> tuple[float, np.ndarray]:
    """How much runs of different sizes differ at the SAME training compute.

    flops, loss, owner ``(n,)``: the points of ``curve_points`` (compute, loss,
    which run). Each run's loss curve is interpolated linearly in log compute;
    on ``n_grid`` budgets spread evenly (in log) over all the points, the runs
    whose curve covers a budget are compared. Returns ``(median range, ranges)``:
    ``ranges`` ``(n_grid,)`` is max - min loss across the covering runs (NaN
    where fewer than ``min_runs`` cover the budget); the median is over the
    budgets with enough runs (NaN if none).
    """
    flops, loss = _check_positive_1d("flops", flops), _check_positive_1d("loss", loss)
    owner = np.asarray(owner)
    if not len(flops) == len(loss) == len(owner):
        raise ValueError(f"flops, loss and owner must have the same length, got {len(flops)}, {len(loss)}, "
                         f"{len(owner)}")
    for name, value, low in (("n_grid", n_grid, 2), ("min_runs", min_runs, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    log_c = np.log(flops)
    grid = np.linspace(log_c.min(), log_c.max(), int(n_grid))
    curves = []
    for run in np.unique(owner):
        mine = np.flatnonzero(owner == run)
        mine = mine[np.argsort(log_c[mine])]
        curves.append((log_c[mine], loss[mine]))
    ranges = np.full(len(grid), np.nan)
    for i, c in enumerate(grid):
        values = [np.interp(c, lc, ls) for lc, ls in curves if lc[0] <= c <= lc[-1]]
        if len(values) >= min_runs:
            ranges[i] = max(values) - min(values)
    ok = np.isfinite(ranges)
    return (float(np.median(ranges[ok])) if ok.any() else float("nan")), ranges


# ---------------------------------------------------------------- samples needed vs number of classes (SCALE-5)
def _check_k_target(n_classes, target, name) -> None:
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
    if not isinstance(target, (int, float)) or not 0 < target < 1:
        raise ValueError(f"{name} must be a number in (0, 1) nats, got {target!r}")


def _check_count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def doubling_search(excess, target: float, start: int = 1, max_n: int = 2**30) -> float:
    """Smallest ``n`` where a falling curve ``excess(n)`` reaches ``target``, found without a guess.

    Tries ``n = start, 2·start, 4·start, …`` until ``excess(n) <= target``,
    then interpolates between the last two tries in log-log (a curve like
    ``c / n`` is a straight line there). Nothing about the expected answer
    enters: a need that grows exponentially is found as readily as a linear
    one, only later. Returns ``float(max_n)`` when even ``max_n`` is not
    enough (a lower bound), and ``start`` when the first try already reaches it.
    """
    if not callable(excess):
        raise TypeError(f"excess must be a callable n -> excess loss, got {type(excess).__name__}")
    if not isinstance(target, (int, float)) or not target > 0:
        raise ValueError(f"target must be a positive number, got {target!r}")
    start, max_n = _check_count("start", start, 1), _check_count("max_n", max_n, 1)
    if max_n < start:
        raise ValueError(f"max_n ({max_n}) must be at least start ({start})")
    n, value = start, float(excess(start))
    if value <= target:
        return float(start)
    while n < max_n:
        prev_n, prev_value = n, value
        n = min(2 * n, max_n)
        value = float(excess(n))
        if value <= target:
            lx, ly = np.log([prev_n, n]), np.log([prev_value, max(value, 1e-300)])
            if ly[0] == ly[1]:
                return float(n)
            return float(np.exp(lx[0] + (np.log(target) - ly[0]) * (lx[1] - lx[0]) / (ly[1] - ly[0])))
    return float(max_n)


def distribution_samples_needed(n_classes: int, target_kl: float = 0.01, trials: int = 100,
                                seed: int = 0, max_n: int = 2**34) -> float:
    """Samples needed to learn a ``n_classes``-way distribution to an expected KL of ``target_kl`` nats.

    The true distribution is drawn from a flat Dirichlet; the learner counts
    ``n`` samples and predicts ``(count + 1/2) / (n + K/2)`` (the
    Krichevsky–Trofimov estimator). The expected KL(true || estimate) is averaged
    over ``trials`` draws, and ``n`` is found by ``doubling_search`` from 1 (no
    guess of the answer), up to ``max_n`` (returned as a lower bound if not enough).
    """
    _check_k_target(n_classes, target_kl, "target_kl")
    trials = _check_count("trials", trials, 2)
    gen = config.rng(seed)
    p = gen.dirichlet(np.ones(n_classes))

    def kl(n: int) -> float:
        counts = gen.multinomial(int(n), p, size=trials)
        q = (counts + 0.5) / (n + n_classes / 2)
        return float((p * (np.log(p) - np.log(q))).sum(axis=1).mean())

    return doubling_search(kl, target_kl, start=1, max_n=max_n)


def softmax_samples_needed(n_classes: int, target_excess: float = 0.1, dim: int = 8, repeats: int = 2,
                           n_test: int = 2048, seed: int = 0, max_n: int = 2**17) -> float:
    """Samples needed by softmax regression to come within ``target_excess`` nats of the best possible loss.

    A teacher ``p(y|x) = softmax(W x)`` with ``x ~ N(0, I_dim)`` and ``n_classes``
    outputs labels the data; a student of the same form (no bias, a tiny ridge)
    is fitted by L-BFGS on ``n`` labelled samples. Its excess loss is the
    expected KL(teacher || student) over ``n_test`` fresh inputs (exact, no
    label noise), averaged over ``repeats`` data sets. ``n`` is found by
    ``doubling_search`` from 4 samples (no guess of the answer), up to ``max_n``.
    Cost grows like ``K**2``: K = 64 takes a few seconds.
    """
    import torch

    _check_k_target(n_classes, target_excess, "target_excess")
    for name, value in (("dim", dim), ("repeats", repeats), ("n_test", n_test)):
        _check_count(name, value, 1)
    gen = torch.Generator().manual_seed(int(seed))
    teacher = torch.randn(dim, n_classes, generator=gen) * (1.5 / dim**0.5)
    x_test = torch.randn(n_test, dim, generator=gen)
    log_p_test = torch.log_softmax(x_test @ teacher, dim=1)

    def excess(n: int) -> float:
        return float(np.mean([_softmax_excess(teacher, x_test, log_p_test, int(n), gen) for _ in range(repeats)]))

    return doubling_search(excess, target_excess, start=4, max_n=max_n)


def _softmax_excess(teacher, x_test, log_p_test, n: int, gen) -> float:
    """Excess loss (nats) of softmax regression fitted to ``n`` samples labelled by ``teacher``."""
    import torch

    dim, n_classes = teacher.shape
    x = torch.randn(n, dim, generator=gen)
    y = torch.multinomial(torch.softmax(x @ teacher, dim=1), 1, generator=gen)[:, 0]
    w = torch.zeros(dim, n_classes, requires_grad=True)
    opt = torch.optim.LBFGS([w], lr=1, max_iter=100, tolerance_grad=1e-6, tolerance_change=1e-9,
                            history_size=10, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w, y) + 1e-4 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        log_q = torch.log_softmax(x_test @ w, dim=1)
        return float((log_p_test.exp() * (log_p_test - log_q)).sum(dim=1).mean())


def growth_fits(ks, ns, n_boot: int = 200, seed: int = 0) -> dict[str, float]:
    """Power law vs exponential for samples needed ``ns`` against classes ``ks`` (both ``(n,)``, > 0).

    Returns ``slope`` (log-log slope, n ∝ K^slope), ``slope_low``/``slope_high``
    (95 % bootstrap interval over the points: fit scatter), ``r2_power`` (R² of
    log n linear in log K) and ``r2_exp`` (R² of log n linear in K: an
    exponential). The bigger R² names the better description.
    """
    ks, ns = _check_positive_1d("ks", ks), _check_positive_1d("ns", ns)
    if len(ks) != len(ns):
        raise ValueError(f"ks and ns must have the same length, got {len(ks)} and {len(ns)}")
    fit = fit_power_law(ks, ns, n_boot=n_boot, seed=seed, x_name="K")  # n = A K^(-alpha): slope = -alpha
    logn = np.log(ns)

    def r2(x: np.ndarray) -> float:
        residual = logn - np.polyval(np.polyfit(x, logn, 1), x)
        return float(1 - np.sum(residual**2) / np.sum((logn - logn.mean()) ** 2))

    return {"slope": -fit.alpha, "slope_low": -fit.alpha_ci[1], "slope_high": -fit.alpha_ci[0],
            "r2_power": r2(np.log(ks)), "r2_exp": r2(ks)}


def ooms(factor) -> float:
    """Orders of magnitude of a ratio: ``log10(factor)`` (1 OOM = 10x). Works on arrays."""
    f = np.asarray(factor, dtype=float)
    if not np.all(np.isfinite(f) & (f > 0)):
        raise ValueError(f"factor must be finite and > 0, got {factor!r}")
    return np.log10(f)[()]


def combine_ooms(**ranges: tuple[float, float]) -> tuple[float, float]:
    """Add independent gains given as ``(low, high)`` orders of magnitude: ``(sum of lows, sum of highs)``.

    Gains that multiply add in OOMs: 2 OOM of compute times 1 OOM of better
    algorithms is 3 OOM (1000x) of effective compute. E.g.
    ``combine_ooms(compute=(2, 3), algorithms=(1, 2))`` -> ``(3, 5)``.
    """
    if not ranges:
        raise ValueError("give at least one named range, e.g. compute=(2, 3)")
    low = high = 0.0
    for name, pair in ranges.items():
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a (low, high) pair of numbers, got {pair!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
            raise ValueError(f"{name} must satisfy low <= high (finite OOMs), got {pair!r}")
        low, high = low + lo, high + hi
    return low, high


def plot_fit(x, loss, fits=None, *, title: str, x_label: str, y_label: str = "validation loss (nats per token)",
             extend: tuple[float, float] | None = None, held_out=None, names=None):
    """Log-log plot of measured points with fitted power laws drawn over ``extend`` (default: the data range).

    ``fits``: a ``PowerLawFit`` or a mapping name -> fit. ``held_out``: indices
    of points not used by the fits (drawn hollow). ``names``: hover text per
    point. Returns a plotly figure.
    """
    import plotly.graph_objects as go

    from . import plots

    x, loss = _check_positive_1d("x", x), _check_positive_1d("loss", loss)
    if len(x) != len(loss):
        raise ValueError(f"x and loss must have the same length, got {len(x)} and {len(loss)}")
    fits = {} if fits is None else ({"fit": fits} if isinstance(fits, PowerLawFit) else dict(fits))
    held = np.zeros(len(x), dtype=bool)
    if held_out is not None:
        held[np.asarray(held_out, dtype=int)] = True
    lo, hi = extend if extend is not None else (x.min(), x.max())
    if not 0 < lo < hi:
        raise ValueError(f"extend must be (low, high) with 0 < low < high, got {extend!r}")
    fig = plots.figure(title, x_label, y_label, log_x=True, log_y=True)
    grid = np.geomspace(lo, hi, 200)
    for i, (name, fit) in enumerate(fits.items()):
        if not isinstance(fit, PowerLawFit):
            raise TypeError(f"fits[{name!r}] must be a PowerLawFit, got {type(fit).__name__}")
        fig.add_trace(go.Scatter(x=grid, y=fit.predict(grid), mode="lines", name=f"{name}: {fit}",
                                 line={"color": plots.PALETTE[(i + 1) % len(plots.PALETTE)], "dash": "dash"}))
    text = None if names is None else [str(n) for n in names]
    for mask, label, symbol in ((~held, "measured", "circle"), (held, "held out", "circle-open")):
        if mask.any():
            fig.add_trace(go.Scatter(x=x[mask], y=loss[mask], mode="markers", name=label,
                                     text=None if text is None else [t for t, m in zip(text, mask) if m],
                                     marker={"size": 10, "color": plots.PALETTE[0], "symbol": symbol,
                                             "line": {"width": 2, "color": plots.PALETTE[0]}}))
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return fig


# ---------------------------------------------------------------- the kit's size sweep (notebook 02)
def size_sweep_plan() -> dict:
    """The size sweep of the active profile: corpus, model shapes, training recipe and number of seeds.

    Returns a dict with ``corpus`` (``nbkit.corpus`` name) and ``val_fraction``
    (its document-level split), ``shapes`` (a list of ``(d_model, n_layers,
    n_heads)``, smallest first), ``context``, ``batch_size``, ``steps`` (the
    same token budget for every size), ``n_seeds`` (seeds trained per size,
    batched) and ``n_holdout`` (the largest sizes a law must predict).

    The CPU recipe was chosen for an orderly curve, and notebook 02 says so in
    its verdict. Tiny models trained for a few hundred steps sit on a loss
    plateau for a number of steps that changes from seed to seed, which
    scrambles the order of the sizes. What kept them in order across 3 seeds
    on this budget: an 8-byte window, one-layer models, large batches (128
    windows) and the Language Reference (``topics``) rather than the bigger,
    more varied docstring corpus (there, sizes from 7k to 28k parameters tied
    within the seed spread). On a GPU (``full``) the window is 64 bytes and the
    models are deeper.
    """
    return {
        "corpus": config.pick("topics", "topics", "docs"),
        "val_fraction": config.pick(0.2, 0.2, 0.1),
        "shapes": config.pick(
            smoke=[(8, 1, 2), (12, 1, 2), (16, 1, 4), (24, 1, 4), (32, 1, 4), (48, 1, 4)],
            default=[(8, 1, 2), (12, 1, 2), (16, 1, 4), (24, 1, 4), (32, 1, 4), (48, 1, 4), (64, 1, 4)],
            full=[(16, 1, 4), (32, 1, 4), (32, 2, 4), (64, 2, 4), (96, 3, 4), (128, 4, 4), (192, 4, 6), (256, 6, 8)],
        ),
        "context": config.pick(8, 8, 64),
        "batch_size": config.pick(128, 128, 64),
        "steps": config.pick(250, 450, 4000),
        "n_seeds": config.pick(2, 3, 3),
        "n_holdout": 2,
    }


_SPLITS: dict = {}


def sweep_data(corpus: str, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """``(train_ids, val_ids)``: byte ids of ``nbkit.corpus.split(corpus, val_fraction)``, de-duplicated and
    split by document (held-out documents are never trained on). Kept in memory."""
    from . import corpus as corpora
    from . import data

    key = (corpus, val_fraction)
    if key not in _SPLITS:
        split = corpora.split(corpus, val_fraction=val_fraction)
        _SPLITS[key] = (data.encode(split.train_text), data.encode(split.val_text))
    return _SPLITS[key]


def sweep_configs(plan: dict) -> list:
    """The ``ModelConfig`` of each shape of a plan (GPTs over bytes)."""
    from .models import ModelConfig

    try:
        return [ModelConfig(kind="gpt", d_model=d, n_layers=layers, n_heads=heads, context=plan["context"])
                for d, layers, heads in plan["shapes"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"plan must be a dict like size_sweep_plan() returns ({exc})") from None


def seed_sweep(configs, train_ids, val_ids, plan: dict, seeds, desc: str = "sweep",
               progress: bool = True) -> list[list]:
    """Train (or load) every config of a sweep with every seed, seeds batched: ``runs[i][s]``.

    configs: ``ModelConfig``s; train_ids / val_ids: byte ids; plan: a dict like
    ``size_sweep_plan()`` (steps, batch size); seeds: e.g. ``config.seeds(plan["n_seeds"])``.
    One progress bar over the configs (each batched training shows its own).
    """
    from tqdm.auto import tqdm

    from . import runs

    configs = list(configs)
    if not configs:
        raise ValueError("configs must be a non-empty list of ModelConfig")
    out = []
    for cfg in tqdm(configs, desc=desc, unit="size", disable=not progress):
        out.append(runs.run_seeds(cfg, train_ids, val_ids, seeds=list(seeds), steps=plan["steps"],
                                  batch_size=plan["batch_size"], label=f"d{cfg.d_model} L{cfg.n_layers}",
                                  progress=progress))
    return out


def size_sweep(seeds=None, progress: bool = True) -> list[list]:
    """The size sweep of the active profile on its corpus: ``runs[size][seed]`` (see ``seed_sweep``).

    seeds: default ``config.seeds(plan["n_seeds"])`` (so ``NBKIT_SEED`` moves them).
    """
    plan = size_sweep_plan()
    train_ids, val_ids = sweep_data(plan["corpus"], plan["val_fraction"])
    seeds = config.seeds(plan["n_seeds"]) if seeds is None else seeds
    return seed_sweep(sweep_configs(plan), train_ids, val_ids, plan, seeds, desc="size sweep", progress=progress)


def losses(sweep_runs, skip: int = 0) -> np.ndarray:
    """Final validation losses ``(seeds, sizes)`` of ``runs[size][seed]``; ``skip`` > 0 averages only
    positions ``skip..`` of the window (``Run.loss_after``)."""
    try:
        return np.array([[r.loss_after(skip) if skip else r.final_loss for r in per_size]
                         for per_size in sweep_runs]).T
    except (TypeError, AttributeError):
        raise TypeError("sweep_runs must be a list (per size) of lists (per seed) of runs.Run") from None


def flops_per_step(cfg, batch_size: int) -> float:
    """FLOPs of one training step of a GPT: every matrix multiply of the forward and backward pass,
    attention and the output head included (``bench.gpt_matmul_shapes``), on ``batch_size`` windows."""
    from . import bench

    return bench.matmul_flops(bench.gpt_matmul_shapes(cfg, int(batch_size), cfg.context))


def curve_points(run_list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every validation point of every run: ``(flops, loss, run_index)``, each ``(n_points,)``.

    ``flops`` = ``flops_per_step`` x steps done at that evaluation: every
    multiply counted, output head included (``6·N·D`` with non-embedding N
    undercounts tiny models several times). Points at step 0 are dropped.
    Feed them to ``compute_frontier`` and ``equal_compute_spread``.
    """
    flops, loss, owner = [], [], []
    for i, run in enumerate(run_list):
        per_step = flops_per_step(run.config, run.recipe["batch_size"])
        for step, value in zip(run.history.val_step, run.history.val_loss):
            if step > 0:
                flops.append(per_step * step)
                loss.append(value)
                owner.append(i)
    if not flops:
        raise ValueError("the runs have no validation points after step 0")
    return np.array(flops), np.array(loss), np.array(owner)
