"""From many dimensions to few: projections, the Johnson–Lindenstrauss bound, neighbourhood overlap.

- ``project(x, k, method)``: ``"svd"`` (truncated SVD, i.e. PCA without
  centring — LSA on TF-IDF), ``"random"`` (Gaussian random projection) or
  ``"truncate"`` (keep the k columns with the largest total weight).
- ``jl_min_dim(n, eps)`` / ``jl_eps(n, k)``: the Johnson–Lindenstrauss lemma
  (Dasgupta & Gupta 2003 form): a random projection to
  ``k >= 4 ln n / (eps^2/2 - eps^3/3)`` dimensions keeps every pairwise
  distance of n points within a factor ``1 ± eps`` with probability ≥ 1 - 1/n.
  Note what it does *not* depend on: the original dimension.
- ``neighbour_overlap(a, b, k)``: how many of each point's k nearest
  neighbours survive the reduction; ``distance_ratios``: how much distances move.
"""

from __future__ import annotations

import math

import numpy as np

from . import config

METHODS = ("svd", "random", "truncate")


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_eps(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
        raise ValueError(f"eps must be a number in (0, 1), got {eps!r}")
    return float(eps)


def jl_min_dim(n: int, eps: float) -> int:
    """Dimensions a random projection needs to keep all pairwise distances of ``n`` points within ``1 ± eps``."""
    n, eps = _check_int("n", n, 2), _check_eps(eps)
    return math.ceil(4 * math.log(n) / (eps**2 / 2 - eps**3 / 3))


def jl_eps(n: int, k: int) -> float:
    """The smallest distortion ``eps`` in (0, 1) the JL bound guarantees for ``n`` points in ``k`` dimensions.

    Returns ``1.0`` when even eps → 1 needs more than ``k`` dimensions (the bound says nothing).
    """
    n, k = _check_int("n", n, 2), _check_int("k", k)
    lo, hi = 1e-6, 1 - 1e-9
    if jl_min_dim(n, hi) > k:
        return 1.0
    for _ in range(60):  # bisection: jl_min_dim falls as eps grows
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if jl_min_dim(n, mid) > k else (lo, mid)
    return hi


def project(x, k: int, method: str = "svd", seed: int = 0) -> np.ndarray:
    """Reduce ``x`` ``(n, D)`` (dense or scipy sparse) to ``(n, k)`` float32 with ``method`` (see ``METHODS``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if getattr(x, "ndim", 0) != 2:
        raise ValueError("x must be a 2-D array or sparse matrix (n, D)")
    k = _check_int("k", k)
    if k > x.shape[1]:
        raise ValueError(f"k ({k}) must not exceed the input dimension ({x.shape[1]})")
    seed = _check_int("seed", seed, 0)
    if method == "svd":
        out = svd_coordinates(x, k, seed)[0]
    elif method == "random":
        gen = config.rng(seed)
        out = x @ (gen.standard_normal((x.shape[1], k)) / math.sqrt(k))  # E|Rx|^2 = |x|^2
    else:
        weight = np.asarray(abs(x).sum(0)).ravel()
        cols = np.sort(np.argsort(-weight, kind="stable")[:k])
        out = x[:, cols]
        out = out.toarray() if hasattr(out, "toarray") else out
    return np.asarray(out, dtype=np.float32)


def svd_coordinates(x, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Truncated SVD ``x ≈ U S Vᵀ`` once, both views: rows ``U S`` ``(n, k)`` and columns ``V S`` ``(D, k)``.

    On a word × paragraph TF-IDF matrix the rows are LSA word vectors and the
    columns LSA paragraph vectors. Components are nested: ``[:, :j]`` is the
    rank-j SVD, so one call serves every smaller k. Exact when the smaller
    side is at most 2,500 (eigenvectors of the small Gram matrix), else
    randomized (Halko et al. 2011, two power iterations, float32).
    """
    from sklearn.utils.extmath import randomized_svd

    k = _check_int("k", k)
    if getattr(x, "ndim", 0) != 2 or k >= min(x.shape):
        raise ValueError(f"x must be 2-D with min(n, D) > k = {k}, got shape {getattr(x, 'shape', None)}")
    seed = _check_int("seed", seed, 0)
    if min(x.shape) <= 2_500:  # small side: exact, from the eigenvectors of the small Gram matrix
        flip = x.shape[0] > x.shape[1]
        m = x.T if flip else x
        gram = m @ m.T
        values, vectors = np.linalg.eigh(gram.toarray() if hasattr(gram, "toarray") else np.asarray(gram, float))
        top = np.argsort(values)[::-1][:k]
        s = np.sqrt(np.maximum(values[top], 0))
        u = vectors[:, top]                                   # left singular vectors of m
        v = np.asarray(m.T @ u) / np.where(s > 0, s, 1)       # right singular vectors of m
        u, v = (v, u) if flip else (u, v)
    else:
        u, s, vt = randomized_svd(x.astype(np.float32), k, n_iter=2, power_iteration_normalizer="none",
                                  random_state=seed)
        v = vt.T
    return (u * s).astype(np.float32), (v * s).astype(np.float32)


def _unit(x):
    """Rows scaled to length 1 (zero rows stay zero); sparse input stays sparse."""
    from sklearn.preprocessing import normalize

    return normalize(x) if hasattr(x, "toarray") else normalize(np.asarray(x, dtype=np.float32))


def nearest(x, k: int) -> np.ndarray:
    """Indices ``(n, k)`` of each row's k nearest rows by cosine (itself excluded), best first.

    x: ``(n, D)`` dense or scipy sparse (a sparse TF-IDF matrix stays sparse: cheap).
    """
    k = _check_int("k", k)
    if k >= x.shape[0]:
        raise ValueError(f"k must be smaller than the number of rows ({x.shape[0]}), got {k}")
    u = _unit(x)
    sims = u @ u.T
    sims = np.asarray(sims.toarray() if hasattr(sims, "toarray") else sims, dtype=np.float64)
    np.fill_diagonal(sims, -np.inf)
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, 1), axis=1, kind="stable")
    return np.take_along_axis(top, order, 1)


def neighbour_overlap(a, b, k: int = 10) -> float:
    """Mean share of each point's ``k`` nearest neighbours in ``a`` that are also among its k nearest in ``b``.

    a, b: the same n points in two representations, ``(n, D_a)`` and ``(n, D_b)``
    (dense or sparse), or precomputed ``nearest(., k)`` index arrays ``(n, k)``.
    1 = identical neighbourhoods; chance ≈ k / (n - 1).
    """
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must hold the same points: {a.shape[0]} vs {b.shape[0]} rows")
    na, nb = (m if _is_index(m, k) else nearest(m, k) for m in (a, b))
    return float(np.mean([len(set(r) & set(s)) / k for r, s in zip(na, nb)]))


def _is_index(m, k: int) -> bool:
    return isinstance(m, np.ndarray) and np.issubdtype(m.dtype, np.integer) and m.ndim == 2 and m.shape[1] == k


def _row_norms(m) -> np.ndarray:
    if hasattr(m, "multiply"):
        return np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
    return np.linalg.norm(np.asarray(m, dtype=np.float64), axis=1)


def distance_ratios(x, y, n_pairs: int = 2000, seed: int = 0) -> np.ndarray:
    """Euclidean distance after / before for ``n_pairs`` random pairs of rows: ``(n_pairs,)`` (1 = kept exactly).

    x: the original points ``(n, D)``, dense or sparse (kept sparse); y: the same points reduced ``(n, k)``.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must hold the same points: {x.shape[0]} vs {y.shape[0]} rows")
    gen = config.rng(_check_int("seed", seed, 0))
    i = gen.integers(0, x.shape[0], _check_int("n_pairs", n_pairs))
    j = (i + gen.integers(1, x.shape[0], len(i))) % x.shape[0]  # j != i
    before = _row_norms(x[i] - x[j])
    after = _row_norms(np.asarray(y)[i] - np.asarray(y)[j])
    keep = before > 0
    return after[keep] / before[keep]
