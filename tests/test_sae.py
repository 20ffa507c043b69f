"""The sparse autoencoder recovers planted sparse directions; purity of top inputs; bad input."""

import numpy as np
import pytest

from nbkit import sae


def _planted(n=600, d=20, k=8, seed=0):
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((k, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    which = rng.integers(0, k, n)
    x = dirs[which] * rng.uniform(1, 2, (n, 1)) + 0.02 * rng.standard_normal((n, d))
    return x.astype(np.float32), which


def test_sae_reconstructs_sparsely_and_features_are_pure():
    x, which = _planted()
    result = sae.train_sae(x, n_features=16, l1=3e-2, steps=800, lr=1e-2, seed=0)
    assert result.explained_variance > 0.8 and result.mean_active < 4
    acts = sae.sae_features(result, x)
    assert acts.shape == (600, 16) and (acts >= 0).all()
    assert sae.top_purity(acts, which, top=10) > 0.9
    random = np.maximum((x - x.mean(0)) @ np.random.default_rng(1).standard_normal((20, 16)), 0)
    assert sae.top_purity(acts, which) > sae.top_purity(random, which)


def test_bad_input():
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        sae.train_sae(np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        sae.train_sae(np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="n_features"):
        sae.train_sae(np.ones((4, 3)), n_features=0)
    with pytest.raises(ValueError, match="l1"):
        sae.train_sae(np.ones((4, 3)), l1=-1.0)
    with pytest.raises(ValueError, match="no feature is active"):
        sae.top_purity(np.zeros((20, 3)), np.zeros(20, dtype=int))
