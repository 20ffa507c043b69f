"""Projections, the Johnson–Lindenstrauss bound and neighbourhood overlap."""

import numpy as np
import pytest
import scipy.sparse as sp

from nbkit import reduce


def test_jl_bound_and_its_inverse():
    assert reduce.jl_min_dim(10_000, 0.1) == 7895
    k = reduce.jl_min_dim(1000, 0.3)
    assert reduce.jl_eps(1000, k) <= 0.3 + 1e-6
    assert reduce.jl_eps(1000, 8) == 1.0   # 8 dimensions: the bound promises nothing
    with pytest.raises(ValueError, match="eps"):
        reduce.jl_min_dim(100, 1.5)
    with pytest.raises(ValueError, match="n must be"):
        reduce.jl_min_dim(1, 0.1)


def test_random_projection_keeps_distances_as_promised():
    x = np.random.default_rng(0).standard_normal((200, 2000))
    k = reduce.jl_min_dim(200, 0.5)
    ratios = reduce.distance_ratios(x, reduce.project(x, k, "random", seed=1), seed=2)
    assert np.all(np.abs(ratios - 1) < 0.5)


def test_svd_both_views_and_nesting():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 3)) @ rng.standard_normal((3, 40))   # rank 3
    rows, cols = reduce.svd_coordinates(x, 5)
    assert rows.shape == (60, 5) and cols.shape == (40, 5)
    s = np.linalg.svd(x, compute_uv=False)
    assert np.allclose(np.linalg.norm(rows, axis=0)[:3], s[:3], rtol=1e-3)
    recon = rows[:, :3] @ (cols[:, :3] / s[:3]).T           # (U S)(V S / S)ᵀ = U S Vᵀ
    assert np.linalg.norm(recon - x) < 1e-3 * np.linalg.norm(x)
    assert reduce.project(x, 3, "svd").shape == (60, 3)


def test_neighbour_overlap_identical_and_sparse():
    x = sp.random(50, 300, density=0.05, random_state=0, format="csr")
    assert reduce.neighbour_overlap(x, x.toarray(), k=5) == pytest.approx(1.0)
    nn = reduce.nearest(x, 5)
    assert nn.shape == (50, 5) and not any(i in row for i, row in enumerate(nn))
    assert reduce.neighbour_overlap(nn, x, k=5) == pytest.approx(1.0)
    trunc = reduce.project(x, 10, "truncate")
    assert trunc.shape == (50, 10)


def test_bad_arguments():
    x = np.ones((10, 4))
    with pytest.raises(ValueError, match="method"):
        reduce.project(x, 2, "umap")
    with pytest.raises(ValueError, match="must not exceed"):
        reduce.project(x, 5, "random")
    with pytest.raises(ValueError, match="same points"):
        reduce.neighbour_overlap(x, np.ones((9, 4)), k=2)
    with pytest.raises(ValueError, match="k must be smaller"):
        reduce.nearest(x, 10)
