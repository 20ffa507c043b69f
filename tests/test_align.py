"""Alignment metrics: hand-computable cases, the reference definitions re-derived naively, nulls, bad input."""

import itertools

import numpy as np
import pytest

from nbkit import align


def _random(n=200, d=16, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def _rotation(d, seed=1):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


# ---------------------------------------------------------------- hand-computable cases
@pytest.mark.parametrize("metric", align.METRICS)
def test_identical_spaces_score_one(metric):
    X = _random()
    assert align.score(X, X, metric) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("metric", align.METRICS)
def test_rotation_and_scale_leave_every_metric_at_one(metric):
    X = _random()
    assert align.score(X, 3.0 * X @ _rotation(16), metric) == pytest.approx(1.0, abs=1e-9)


def test_cka_is_rotation_invariant_without_normalisation():
    X = _random()
    assert align.cka(X, X @ _rotation(16)) == pytest.approx(1.0, abs=1e-12)
    assert align.unbiased_cka(X, 0.1 * X @ _rotation(16)) == pytest.approx(1.0, abs=1e-12)


def test_independent_spaces_sit_at_the_null():
    X, Y = _random(300, 32, 0), _random(300, 32, 1)
    n, k = 300, 10
    assert align.mutual_knn(X, Y, k) == pytest.approx(k / (n - 1), abs=0.01)
    assert abs(align.unbiased_cka(X, Y)) < 0.01
    for metric in align.METRICS:
        result = align.compare(X, Y, metric, n_perm=8, seed=3)
        assert abs(result.calibrated) < 0.03, (metric, result)
        assert result.p_value > 0.05


def test_biased_cka_is_inflated_at_small_n_and_unbiased_is_not():
    X, Y = _random(50, 64, 0), _random(50, 64, 1)
    assert align.cka(X, Y) > 0.3            # d > n: the biased estimator sees structure in noise
    assert abs(align.unbiased_cka(X, Y)) < 0.1


def test_partial_agreement_lies_between_and_calibration_removes_the_null():
    X = _random(300, 16)
    noisy = X + 1.0 * _random(300, 16, 5)
    result = align.compare(X, noisy, "mutual_knn", n_perm=20, seed=0)
    assert 0.1 < result.score < 0.9 and result.p_value == pytest.approx(1 / 21)
    assert result.calibrated == pytest.approx((result.score - result.null_mean) / (1 - result.null_mean))
    assert "mutual_knn" in str(result) and result.k == 10 and result.n == 300


# ---------------------------------------------------------------- the reference definitions, re-derived naively
def _naive_mutual_knn(X, Y, k):
    """Huh et al.: mean over items of |kNN_X(i) ∩ kNN_Y(i)| / k, cosine, self excluded."""
    def neighbours(Z):
        Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        out = []
        for i in range(len(Z)):
            sims = [(-(Z[i] @ Z[j]), j) for j in range(len(Z)) if j != i]
            out.append({j for _, j in sorted(sims)[:k]})
        return out
    return np.mean([len(a & b) / k for a, b in zip(neighbours(X), neighbours(Y))])


def _naive_cka(X, Y):
    """Kornblith et al. 2019: HSIC(K, L) = trace(K H L H) with linear kernels, normalised."""
    n = len(X)
    H = np.eye(n) - np.ones((n, n)) / n
    K, L = X @ X.T, Y @ Y.T

    def hsic(A, B):
        return np.trace(A @ H @ B @ H)
    return hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))


def _u_statistic_hsic(K, L):
    """Song et al. 2012: the unbiased HSIC as a U-statistic over ordered quadruples of distinct items."""
    n = len(K)
    total = 0.0
    for i, j, q, r in itertools.permutations(range(n), 4):
        total += K[i, j] * L[i, j] + K[i, j] * L[q, r] - 2 * K[i, j] * L[i, q]
    return total / (n * (n - 1) * (n - 2) * (n - 3))


def test_mutual_knn_matches_the_reference_definition():
    X, Y = _random(60, 8, 0), _random(60, 8, 0) + 0.7 * _random(60, 8, 1)
    for k in (1, 5, 10):
        assert align.mutual_knn(X, Y, k, seed=None) == pytest.approx(_naive_mutual_knn(X, Y, k))
        assert align.mutual_knn(X, Y, k, seed=4) == pytest.approx(_naive_mutual_knn(X, Y, k))  # no ties here


def test_cka_matches_the_trace_formula():
    X, Y = _random(40, 6, 0), _random(40, 9, 1) + np.hstack([_random(40, 6, 0), np.zeros((40, 3))])
    assert align.cka(X, Y) == pytest.approx(_naive_cka(X, Y), rel=1e-10)


def _loop_hsic(K, L):
    """Song et al. 2012, eq. 5, written out term by term with loops (diagonals zeroed)."""
    n = len(K)
    Kt, Lt = K - np.diag(np.diag(K)), L - np.diag(np.diag(L))
    trace = sum(Kt[i, j] * Lt[j, i] for i in range(n) for j in range(n))
    middle = sum(Kt[i, j] * Lt[j, q] for i in range(n) for j in range(n) for q in range(n))
    return (trace + Kt.sum() * Lt.sum() / ((n - 1) * (n - 2)) - 2 * middle / (n - 2)) / (n * (n - 3))


def test_unbiased_hsic_is_the_u_statistic():
    X, Y = _random(7, 3, 0), _random(7, 4, 1)
    K, L = X @ X.T, Y @ Y.T
    assert align.hsic_unbiased(K, L) == pytest.approx(_u_statistic_hsic(K, L), rel=1e-9)
    # CKNNA feeds masked kernels that are not symmetric; there the closed form is applied as written
    asym = L * (np.random.default_rng(2).random(L.shape) > 0.4)
    assert align.hsic_unbiased(K, asym) == pytest.approx(_loop_hsic(K, asym), rel=1e-9)


def test_cknna_matches_a_naive_mask_and_reduces_to_unbiased_cka():
    X, Y = _random(9, 3, 0), _random(9, 3, 0) + 0.5 * _random(9, 3, 1)
    k = 4
    K, L = X @ X.T, Y @ Y.T

    def mask(G):
        M = np.zeros_like(G)
        for i in range(len(G)):
            others = sorted((j for j in range(len(G)) if j != i), key=lambda j: -G[i, j])[:k]
            M[i, others] = 1
        return M
    mk, ml = mask(K), mask(L)
    both = mk * ml
    expected = _loop_hsic(both * K, both * L) / np.sqrt(_loop_hsic(mk * K, mk * K) * _loop_hsic(ml * L, ml * L))
    assert align.cknna(X, Y, k) == pytest.approx(expected, rel=1e-9)
    assert align.cknna(X, Y, k=8) == pytest.approx(align.unbiased_cka(X, Y), rel=1e-9)


# ---------------------------------------------------------------- ties and nulls
def test_ties_are_broken_at_random_not_by_row_order():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(200, 4)), rng.normal(size=(200, 4))
    X[:100], Y[:100] = 0.0, 0.0  # half the items are dead rows: every similarity to them ties at 0
    by_row_order = align.mutual_knn(X, Y, 10, seed=None)
    at_random = align.mutual_knn(X, Y, 10, seed=0)
    assert by_row_order > 0.4          # dead rows "agree" on neighbours 0..9 in both spaces
    assert at_random < 0.15            # near chance (10/199) plus a little
    idx = align.knn(X, 10, seed=1)
    assert idx.shape == (200, 10) and not (idx == np.arange(200)[:, None]).any()


def test_permutation_null_relabelling_equals_recomputing():
    X, Y = _random(80, 5, 0), _random(80, 5, 0) + 0.3 * _random(80, 5, 1)
    seed, n = 7, 80
    fast = align.permutation_null(X, Y, "mutual_knn", k=5, n_perm=4, seed=seed)
    rng = np.random.default_rng(seed)
    rng.random((n, n)), rng.random((n, n))  # the two tie-break draws of knn(X) and knn(Y)
    slow = [align.mutual_knn(X, Y[rng.permutation(n)], 5) for _ in range(4)]
    assert fast == pytest.approx(slow)


def test_chance_levels():
    assert align.chance_level("mutual_knn", 101, 10) == pytest.approx(0.1)
    assert align.chance_level("unbiased_cka", 50) == 0.0
    assert align.chance_level("cka", 50) is None


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("metric", align.METRICS)
def test_mismatched_rows_are_refused(metric):
    with pytest.raises(ValueError, match="X has 30 rows, Y has 29"):
        align.score(_random(30), _random(29), metric)


@pytest.mark.parametrize("fn", [align.mutual_knn, align.cknna])
def test_k_must_be_below_n(fn):
    X = _random(20)
    with pytest.raises(ValueError, match="k must be in"):
        fn(X, X, k=20)
    with pytest.raises(ValueError, match="k must be in"):
        fn(X, X, k=0)
    with pytest.raises(TypeError, match="k must be an int"):
        fn(X, X, k=2.5)


def test_cknna_needs_two_neighbours():
    with pytest.raises(ValueError, match="k must be in 2"):
        align.cknna(_random(20), _random(20), k=1)


@pytest.mark.parametrize("metric", align.METRICS)
def test_nans_and_infinities_are_refused(metric):
    X = _random(30)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="Y has NaN"):
        align.score(X, bad, metric)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="X has NaN or infinite"):
        align.score(bad, X, metric)


def test_shapes_types_and_arguments_are_checked():
    X = _random(30)
    with pytest.raises(ValueError, match="2-D"):
        align.score(X[:, 0], X)
    with pytest.raises(TypeError, match="X must be an array"):
        align.score("features", X)
    with pytest.raises(ValueError, match="at least 4 items"):
        align.unbiased_cka(X[:3], X[:3])
    with pytest.raises(ValueError, match="metric must be one of"):
        align.score(X, X, "svcca")
    with pytest.raises(ValueError, match="n_perm"):
        align.permutation_null(X, X, n_perm=0)
    with pytest.raises(ValueError, match="seed"):
        align.mutual_knn(X, X, seed=-1)
    with pytest.raises(ValueError, match="no variation"):
        align.cka(np.ones((30, 4)), X)
    with pytest.raises(ValueError, match="null_mean must be below 1"):
        align.calibrate(0.5, 1.0)
    with pytest.raises(ValueError, match="n must be an int"):
        align.chance_level("mutual_knn", 2)


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    X = _random(50)
    assert align.score(torch.tensor(X), X, "cka") == pytest.approx(1.0)


@pytest.mark.parametrize("metric", ["unbiased_cka", "cknna", "cka"])
def test_kernel_nulls_equal_recomputing_on_shuffled_rows(metric):
    X, Y = _random(60, 5, 0), _random(60, 5, 0) + 0.5 * _random(60, 5, 1)
    Xn, Yn = align.normalize_rows(X), align.normalize_rows(Y)
    fast = align.permutation_null(X, Y, metric, k=5, n_perm=3, seed=11)
    rng = np.random.default_rng(11)
    kwargs = {"k": 5} if metric == "cknna" else {}
    slow = [getattr(align, metric)(Xn, Yn[rng.permutation(60)], **kwargs) for _ in range(3)]
    assert fast == pytest.approx(slow, rel=1e-9)


def test_pairwise_and_pair_scores_agree_with_one_pair_at_a_time():
    base = _random(120, 6, 0)
    feats = np.stack([base + 0.5 * _random(120, 6, s) for s in (1, 2, 3)])
    pairs = align.seed_pairs(3)
    assert pairs == [(0, 1), (0, 2), (1, 2)]
    many = align.pairwise(feats, "mutual_knn", k=5, n_perm=5, seed=0)
    for (i, j), r in zip(pairs, many):
        assert r.score == pytest.approx(align.score(feats[i], feats[j], "mutual_knn", k=5))  # no ties here
        assert abs(r.null_mean - 5 / 119) < 0.02 and r.calibrated > 0.2
    ucka = align.pair_scores(feats, "unbiased_cka")
    assert ucka == pytest.approx([align.score(feats[i], feats[j], "unbiased_cka") for i, j in pairs])
    assert align.pair_scores(feats, "cka") == pytest.approx([align.score(feats[i], feats[j], "cka") for i, j in pairs])
    dead = feats.copy()
    dead[1] = 0.0  # a dead network: no variation, shares no structure
    assert align.pair_scores(dead, "unbiased_cka")[0] == 0.0
    with pytest.raises(ValueError, match="no variation"):
        align.unbiased_cka(dead[1], feats[0])
    cknna = align.pairwise(feats, "cknna", k=5, n_perm=3)
    assert len(cknna) == 3 and cknna[0].k == 5
    with pytest.raises(ValueError, match="models, n items"):
        align.pairwise(feats[0])


def test_pair_mean_se_is_a_jackknife_over_models():
    pairs = align.seed_pairs(4)
    values = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    assert align.pair_mean_se(values, pairs) == (0.5, 0.0)
    lifted = values + np.array([0.2 if 0 in p else 0.0 for p in pairs])  # model 0 lifts its 3 pairs
    mean, se = align.pair_mean_se(lifted, pairs)
    naive = lifted.std(ddof=1) / np.sqrt(len(lifted))
    assert mean == pytest.approx(0.6) and se > naive
    assert align.mean_se([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1 / np.sqrt(3)))
    with pytest.raises(ValueError, match=">= 3 models"):
        align.pair_mean_se([0.1, 0.2], [(0, 1), (1, 0)])
    with pytest.raises(ValueError, match="one per pair"):
        align.pair_mean_se([0.1, 0.2], [(0, 1)])
    with pytest.raises(ValueError, match="at least two"):
        align.mean_se([1.0])


def test_neighbourhood_lists_shared_neighbours():
    X = _random(50, 4)
    in_x, in_y, shared = align.neighbourhood(X, X, item=3, k=5)
    assert in_x == in_y == shared and len(in_x) == 5 and 3 not in in_x
    with pytest.raises(ValueError, match="item"):
        align.neighbourhood(X, X, item=50)
