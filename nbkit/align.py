"""Representation alignment: how alike are two models' views of the same items?

Two models embed the same ``n`` items (digits, sentences, images): ``X`` is
``(n, d_x)`` and ``Y`` is ``(n, d_y)``, row ``i`` of each describing item ``i``.
The widths may differ; the rows must be paired. Every metric returns one
number, 1 when the two views agree perfectly (up to the metric's invariances):

- ``mutual_knn(X, Y, k)``: the share of each item's ``k`` nearest neighbours
  (cosine, itself excluded) that the two views have in common, averaged over
  items (Huh et al. 2024, the Platonic Representation Hypothesis paper; their
  code: minyoungg/platonic-rep ``metrics.py``). Chance is ``k / (n - 1)``.
- ``cka(X, Y)``: linear Centered Kernel Alignment (Kornblith et al. 2019),
  invariant to rotations and to scaling. Biased at small ``n``: two
  independent random spaces score well above 0.
- ``unbiased_cka(X, Y)``: the same with the unbiased HSIC estimator (Song et
  al. 2012), near 0 for independent spaces at any ``n``.
- ``cknna(X, Y, k)``: unbiased CKA restricted to pairs of items that are
  ``k``-nearest neighbours in *both* views (Huh et al. 2024): local agreement.

A score alone says little: it must be compared with what unrelated views
score. ``compare`` adds a **permutation null** (shuffle which row of ``Y``
goes with which row of ``X``: same geometry, pairing destroyed) and the
**calibrated** score ``(score - null mean) / (1 - null mean)``: 0 = no better
than a random pairing, 1 = perfect agreement.

Many models at once: ``pairwise(features (S, n, d))`` compares every pair of
S models (e.g. the seeds of a ``toymodels.SeedMLP``) with their nulls,
``pair_scores`` gives raw scores only, and ``pair_mean_se`` averages a
per-pair number with a jackknife-over-models standard error (pairs that share
a model are not independent).

Like the reference pipeline (platonic-rep ``measure_alignment.py``), ``score``
and ``compare`` L2-normalise every row first; the metric functions themselves
take the features as given. One difference from the reference, on purpose:
``knn`` breaks ties at random (seeded), not by row order — with ties by row
order, two networks with many all-zero rows "agree" on neighbours they never
computed (RESEARCH notes: width-2 nets scored a spurious .53).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS = ("mutual_knn", "cka", "unbiased_cka", "cknna")
_USES_K = ("mutual_knn", "cknna")


# ---------------------------------------------------------------- validation
def as_features(X, name: str = "X") -> np.ndarray:
    """``X`` as a float64 array ``(n, d)``; raises TypeError/ValueError naming ``name`` on bad input."""
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    if not isinstance(X, (np.ndarray, list, tuple)):
        raise TypeError(f"{name} must be an array (n items, d features), got {type(X).__name__}")
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers") from None
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be 2-D (n items, d features) and non-empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr).all(axis=1)))
        raise ValueError(f"{name} has NaN or infinite values in {bad} rows; alignment needs finite features")
    return arr


def _pair(X, Y, min_n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    X, Y = as_features(X, "X"), as_features(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must describe the same items: X has {X.shape[0]} rows, Y has {Y.shape[0]}")
    if X.shape[0] < min_n:
        raise ValueError(f"X and Y need at least {min_n} items (rows), got {X.shape[0]}")
    return X, Y


def _check_k(k, n: int, minimum: int = 1) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int (neighbours per item), got {type(k).__name__}")
    if not minimum <= k <= n - 1:
        raise ValueError(f"k must be in {minimum}..{n - 1} (n - 1 other items) for n = {n} items, got {k}")
    return int(k)


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


# ---------------------------------------------------------------- neighbours
def normalize_rows(X) -> np.ndarray:
    """Each row scaled to unit L2 norm, ``(n, d)``; all-zero rows stay zero (they have no direction)."""
    X = as_features(X)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def knn(X, k: int, seed=0) -> np.ndarray:
    """Indices ``(n, k)`` of each row's ``k`` nearest other rows by cosine similarity, nearest first.

    An item is never its own neighbour. Equal similarities (to 1e-9) are
    ordered at random with ``seed`` (an int or a numpy Generator); ``seed=None``
    orders them by row number instead, as a plain sort does (the reference code).
    """
    X = normalize_rows(X)
    n = X.shape[0]
    k = _check_k(k, n)
    if seed is None:
        sim = X @ X.T
        np.fill_diagonal(sim, -np.inf)
        return np.argsort(-sim, axis=1, kind="stable")[:, :k]
    # rounded similarities differ by >= 1e-9 unless tied; a jitter below 1e-10 orders only the ties
    sim = np.round(X @ X.T, 9) + 1e-10 * _rng(seed).random((n, n))
    np.fill_diagonal(sim, -np.inf)
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    nearest_first = np.argsort(-np.take_along_axis(sim, top, axis=1), axis=1)
    return np.take_along_axis(top, nearest_first, axis=1)


def neighbour_overlap(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per item, the share of its neighbours that two ``(n, k)`` index arrays have in common, ``(n,)``."""
    if A.shape != B.shape or A.ndim != 2:
        raise ValueError(f"A and B must be (n, k) index arrays of the same shape, got {A.shape} and {B.shape}")
    return (A[:, :, None] == B[:, None, :]).sum(axis=(1, 2)) / A.shape[1]


def mutual_knn(X, Y, k: int = 10, seed=0) -> float:
    """Mutual k-nearest-neighbour alignment (Huh et al. 2024), in [0, 1]; chance ≈ ``k / (n - 1)``.

    X: ``(n, d_x)``, Y: ``(n, d_y)``, row i = item i in both. Neighbours by
    cosine similarity, self excluded, ties broken at random with ``seed``
    (``None``: by row order, as in the reference code — see the module note).
    """
    X, Y = _pair(X, Y, min_n=2)
    k = _check_k(k, X.shape[0])
    rng = None if seed is None else _rng(seed)
    return float(neighbour_overlap(knn(X, k, rng), knn(Y, k, rng)).mean())


# ---------------------------------------------------------------- kernel alignment
def hsic_unbiased(K: np.ndarray, L: np.ndarray) -> float:
    """Unbiased HSIC of two ``(n, n)`` kernels, n >= 4 (Song et al. 2012, eq. 5); diagonals are ignored.

    ``[tr(K~ L~) + 1'K~1 1'L~1 / ((n-1)(n-2)) - 2/(n-2) 1'K~L~1] / (n(n-3))``, with K~, L~ the kernels
    with zeroed diagonals. Its expectation is 0 for independent views, at any n.
    """
    n = K.shape[0]
    if n < 4:
        raise ValueError(f"the unbiased HSIC needs n >= 4 items, got {n}")
    Kt, Lt = K.copy(), L.copy()
    np.fill_diagonal(Kt, 0.0)
    np.fill_diagonal(Lt, 0.0)
    value = (np.sum(Kt * Lt.T) + Kt.sum() * Lt.sum() / ((n - 1) * (n - 2))
             - 2.0 * (Kt.sum(axis=0) @ Lt.sum(axis=1)) / (n - 2))
    return float(value / (n * (n - 3)))


def _kernel_alignment(K: np.ndarray, L: np.ndarray, hsic) -> float:
    kk, ll = hsic(K, K), hsic(L, L)
    if kk <= 0 or ll <= 0:
        which = "X" if kk <= 0 else "Y"
        raise ValueError(f"{which} has no variation across items (all rows alike); its alignment is undefined")
    return float(hsic(K, L) / np.sqrt(kk * ll))


def cka(X, Y) -> float:
    """Linear CKA (Kornblith et al. 2019) of ``X (n, d_x)`` and ``Y (n, d_y)``, in [0, 1].

    Invariant to rotations and isotropic scaling of either view. Biased
    upwards for small ``n`` relative to the feature dimensions.
    """
    X, Y = _pair(X, Y, min_n=2)
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    # trace(K H L H) for linear kernels is ||Xc' Yc||_F^2: O(n d^2) instead of O(n^3)
    kk, ll = np.linalg.norm(Xc.T @ Xc), np.linalg.norm(Yc.T @ Yc)
    if kk == 0 or ll == 0:
        raise ValueError(f"{'X' if kk == 0 else 'Y'} has no variation across items (all rows alike); "
                         "its alignment is undefined")
    return float(np.linalg.norm(Xc.T @ Yc) ** 2 / (kk * ll))


def unbiased_cka(X, Y) -> float:
    """Linear CKA with the unbiased HSIC (needs n >= 4); ≈ 0 for independent views, can be slightly negative."""
    X, Y = _pair(X, Y)
    return _kernel_alignment(X @ X.T, Y @ Y.T, hsic_unbiased)


def _knn_mask(K: np.ndarray, k: int) -> np.ndarray:
    """``(n, n)`` 0/1 matrix: row i marks the k largest entries of K's row i, the diagonal excluded."""
    scores = K.astype(np.float64, copy=True)
    np.fill_diagonal(scores, -np.inf)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    mask = np.zeros_like(scores)
    np.put_along_axis(mask, top, 1.0, axis=1)
    return mask


def _cknna_parts(K: np.ndarray, L: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """CKNNA's neighbour masks of K and L and its normaliser sqrt(HSIC(K_k, K_k) HSIC(L_k, L_k))."""
    mask_k, mask_l = _knn_mask(K, k), _knn_mask(L, k)
    kk, ll = hsic_unbiased(mask_k * K, mask_k * K), hsic_unbiased(mask_l * L, mask_l * L)
    if kk <= 0 or ll <= 0:
        raise ValueError(f"{'X' if kk <= 0 else 'Y'} has no variation among neighbours; CKNNA is undefined")
    return mask_k, mask_l, float(np.sqrt(kk * ll))


def cknna(X, Y, k: int = 10) -> float:
    """CKA on mutual nearest neighbours (Huh et al. 2024): unbiased HSIC of the kernels kept only where
    item j is among item i's ``k`` nearest (largest inner product) in *both* views. k >= 2.

    With ``k = n - 1`` every pair is kept and this equals ``unbiased_cka``.
    """
    X, Y = _pair(X, Y)
    k = _check_k(k, X.shape[0], minimum=2)
    K, L = X @ X.T, Y @ Y.T
    mask_k, mask_l, norm = _cknna_parts(K, L, k)
    both = mask_k * mask_l
    return float(hsic_unbiased(both * K, both * L) / norm)


# ---------------------------------------------------------------- scores with their nulls
def _metric_fn(metric: str):
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    return {"mutual_knn": mutual_knn, "cka": cka, "unbiased_cka": unbiased_cka, "cknna": cknna}[metric]


def score(X, Y, metric: str = "mutual_knn", k: int = 10, seed=0) -> float:
    """One alignment score of L2-normalised rows (the paper's pipeline). ``metric`` in ``METRICS``;
    ``k`` (neighbours) and ``seed`` (tie-breaking) are used by the neighbour metrics only."""
    fn = _metric_fn(metric)
    X, Y = _pair(X, Y)
    X, Y = normalize_rows(X), normalize_rows(Y)
    if metric == "mutual_knn":
        return fn(X, Y, k=k, seed=seed)
    return fn(X, Y, k=k) if metric == "cknna" else fn(X, Y)


def chance_level(metric: str, n: int, k: int = 10) -> float | None:
    """The expected score of unrelated views when it is known in closed form: ``k / (n - 1)`` for
    ``mutual_knn``, 0 for ``unbiased_cka``; None otherwise (use a permutation null)."""
    _metric_fn(metric)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4:
        raise ValueError(f"n must be an int >= 4 (items), got {n!r}")
    if metric == "mutual_knn":
        return _check_k(k, n) / (n - 1)
    return 0.0 if metric == "unbiased_cka" else None


@dataclass(frozen=True)
class Alignment:
    """A score with its permutation null.

    ``score``: the metric on the true pairing. ``null``: scores with ``Y``'s
    rows shuffled, ``(n_perm,)``. ``calibrated``: ``(score - null_mean) /
    (1 - null_mean)``, 0 = chance, 1 = perfect. ``p_value``: share of null
    scores >= the score, with the +1 correction (smallest ``1/(n_perm+1)``).
    """

    metric: str
    score: float
    null: np.ndarray
    calibrated: float
    p_value: float
    n: int
    k: int | None

    @property
    def null_mean(self) -> float:
        return float(self.null.mean())

    @property
    def null_sd(self) -> float:
        return float(self.null.std(ddof=1)) if len(self.null) > 1 else 0.0

    def __str__(self) -> str:
        k = f", k={self.k}" if self.k else ""
        return (f"{self.metric}{k}: {self.score:.3f} (null {self.null_mean:.3f} ± {self.null_sd:.3f}, "
                f"calibrated {self.calibrated:.3f}, p ≤ {self.p_value:.2g}, n={self.n})")


def calibrate(score_value: float, null_mean: float) -> float:
    """``(score - null_mean) / (1 - null_mean)``: 0 at the null's mean, 1 at a perfect score."""
    for name, v in (("score_value", score_value), ("null_mean", null_mean)):
        if not isinstance(v, (int, float, np.floating)) or not np.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if null_mean >= 1:
        raise ValueError(f"null_mean must be below 1 (the perfect score), got {null_mean}")
    return float((score_value - null_mean) / (1.0 - null_mean))


def permutation_null(X, Y, metric: str = "mutual_knn", k: int = 10, n_perm: int = 20, seed=0) -> np.ndarray:
    """Scores ``(n_perm,)`` of ``X`` against ``Y`` with its rows shuffled: what the pairing alone adds.

    The expensive parts are computed once and relabelled: a shuffled copy of Y
    has the same neighbour lists and the same Gram matrix under new names.
    """
    fn = _metric_fn(metric)
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a positive int, got {n_perm!r}")
    X, Y = _pair(X, Y)
    X, Y = normalize_rows(X), normalize_rows(Y)
    n, rng = X.shape[0], _rng(seed)
    if metric == "mutual_knn":
        k = _check_k(k, n)
        A, B = knn(X, k, rng), knn(Y, k, rng)
        null = []
        for _ in range(n_perm):
            perm = rng.permutation(n)  # item i of X is paired with item perm[i] of Y
            inverse = np.argsort(perm)
            null.append(neighbour_overlap(A, inverse[B[perm]]).mean())
        return np.array(null)
    if metric == "cka":
        return np.array([fn(X, Y[rng.permutation(n)]) for _ in range(n_perm)])
    # kernel metrics: shuffling Y's rows shuffles the rows and columns of its Gram matrix (and of its
    # neighbour mask); the normalisers do not change, so they are computed once
    K, L = X @ X.T, Y @ Y.T
    if metric == "unbiased_cka":
        norm = np.sqrt(hsic_unbiased(K, K) * hsic_unbiased(L, L))
        return np.array([hsic_unbiased(K, L[p][:, p]) / norm for p in (rng.permutation(n) for _ in range(n_perm))])
    k = _check_k(k, n, minimum=2)
    mask_k, mask_l, norm = _cknna_parts(K, L, k)
    null = []
    for _ in range(n_perm):
        p = rng.permutation(n)
        both = mask_k * mask_l[p][:, p]
        null.append(hsic_unbiased(both * K, both * L[p][:, p]) / norm)
    return np.array(null)


def compare(X, Y, metric: str = "mutual_knn", k: int = 10, n_perm: int = 20, seed=0) -> Alignment:
    """The score of ``X (n, d_x)`` vs ``Y (n, d_y)`` with its permutation null and calibrated value."""
    rng = _rng(seed)
    value = score(X, Y, metric, k=k, seed=rng)
    null = permutation_null(X, Y, metric, k=k, n_perm=n_perm, seed=rng)
    p_value = (1 + int(np.sum(null >= value))) / (1 + len(null))
    n = as_features(X).shape[0]
    return Alignment(metric, value, null, calibrate(value, float(null.mean())), p_value, n,
                     k if metric in _USES_K else None)


# ---------------------------------------------------------------- many models at once
def seed_pairs(n_models: int) -> list[tuple[int, int]]:
    """Every unordered pair ``(i, j)``, i < j, of ``n_models`` models."""
    if isinstance(n_models, bool) or not isinstance(n_models, (int, np.integer)) or n_models < 2:
        raise ValueError(f"n_models must be an int >= 2, got {n_models!r}")
    return [(i, j) for i in range(n_models) for j in range(i + 1, n_models)]


def _models(features) -> np.ndarray:
    if hasattr(features, "detach"):
        features = features.detach().cpu().numpy()
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 3:
        raise ValueError(f"features must be (models, n items, d), got shape {features.shape}")
    return features


def pairwise(features, metric: str = "mutual_knn", k: int = 10, n_perm: int = 20, seed=0,
             pairs: list[tuple[int, int]] | None = None) -> list[Alignment]:
    """``compare`` for pairs of models that embedded the same items: features ``(S, n, d)``, one slice
    per model (e.g. the seeds of a ``toymodels.SeedMLP``). pairs: default every pair (``seed_pairs(S)``).

    For ``mutual_knn`` each model's neighbour lists are computed once and shared by its pairs.
    """
    features = _models(features)
    pairs = seed_pairs(features.shape[0]) if pairs is None else list(pairs)
    rng = _rng(seed)
    if metric != "mutual_knn":
        return [compare(features[i], features[j], metric, k=k, n_perm=n_perm, seed=rng) for i, j in pairs]
    n = features.shape[1]
    k = _check_k(k, n)
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a positive int, got {n_perm!r}")
    sets = {m: knn(features[m], k, rng) for m in sorted({m for p in pairs for m in p})}
    out = []
    for i, j in pairs:
        value = float(neighbour_overlap(sets[i], sets[j]).mean())
        null = []
        for _ in range(n_perm):
            perm = rng.permutation(n)
            null.append(neighbour_overlap(sets[i], np.argsort(perm)[sets[j][perm]]).mean())
        null = np.array(null)
        out.append(Alignment(metric, value, null, calibrate(value, float(null.mean())),
                             (1 + int(np.sum(null >= value))) / (1 + n_perm), n, k))
    return out


def pair_scores(features, metric: str = "unbiased_cka", k: int = 10, seed=0,
                pairs: list[tuple[int, int]] | None = None) -> np.ndarray:
    """Raw scores (no null) of pairs of models, ``(P,)``: features ``(S, n, d)`` as in ``pairwise``.

    For metrics whose chance level is known (``unbiased_cka``: 0) or when
    only the score is needed. Rows are L2-normalised; for ``unbiased_cka``
    each model's Gram matrix and self-HSIC are computed once, and a model with
    no variation at all (every row alike, e.g. a dead ReLU network) shares no
    structure with any other: its pairs score 0 instead of the undefined 0/0.
    """
    features = _models(features)
    pairs = seed_pairs(features.shape[0]) if pairs is None else list(pairs)
    if metric != "unbiased_cka":
        return np.array([score(features[i], features[j], metric, k=k, seed=seed) for i, j in pairs])
    grams = {m: normalize_rows(features[m]) @ normalize_rows(features[m]).T for m in {m for p in pairs for m in p}}
    self_hsic = {m: hsic_unbiased(G, G) for m, G in grams.items()}
    return np.array([hsic_unbiased(grams[i], grams[j]) / np.sqrt(self_hsic[i] * self_hsic[j])
                     if min(self_hsic[i], self_hsic[j]) > 1e-12 else 0.0 for i, j in pairs])


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error (sd / sqrt(n), ddof 1) of at least two numbers."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size < 2 or not np.all(np.isfinite(v)):
        raise ValueError(f"values must hold at least two finite numbers, got {values!r}")
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size))


def pair_mean_se(values, pairs) -> tuple[float, float]:
    """Mean of a per-pair quantity and its standard error by the jackknife over *models*.

    values ``(P,)``: one number per pair of models, ``pairs``: the P ``(i, j)``
    model indices. Pairs that share a model are not independent (a model that
    happens to sit near the consensus lifts all its pairs), so the spread of
    the P numbers understates the noise; leaving out one model at a time and
    recomputing the mean does not. Needs >= 3 models.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    pairs = [tuple(int(m) for m in p) for p in pairs]
    if len(v) != len(pairs) or len(v) < 2 or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be finite, one per pair: got {len(v)} values for {len(pairs)} pairs")
    models = sorted({m for p in pairs for m in p})
    if len(models) < 3:
        raise ValueError(f"the jackknife over models needs >= 3 models, got {len(models)}")
    leave_out = []
    for m in models:
        kept = [x for x, p in zip(v, pairs) if m not in p]
        if not kept:
            raise ValueError(f"every pair involves model {m}; leaving it out leaves nothing to average")
        leave_out.append(np.mean(kept))
    leave_out = np.asarray(leave_out)
    g = len(models)
    return float(v.mean()), float(np.sqrt((g - 1) / g * np.sum((leave_out - leave_out.mean()) ** 2)))


def neighbourhood(X, Y, item: int, k: int = 10) -> tuple[list[int], list[int], list[int]]:
    """Item ``item``'s k nearest neighbours in X, in Y, and those the two share (cosine, nearest first)."""
    X, Y = _pair(X, Y, min_n=2)
    n = X.shape[0]
    k = _check_k(k, n)
    if isinstance(item, bool) or not isinstance(item, (int, np.integer)) or not 0 <= item < n:
        raise ValueError(f"item must be an int in 0..{n - 1}, got {item!r}")
    in_x = knn(X, k, seed=0)[item].tolist()
    in_y = knn(Y, k, seed=0)[item].tolist()
    return in_x, in_y, [j for j in in_x if j in in_y]
