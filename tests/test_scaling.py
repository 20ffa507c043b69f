"""Power-law fitting recovers known exponents; bad input fails loudly; Chinchilla numbers are sane."""

import time

import numpy as np
import pytest

from nbkit.scaling import PowerLawFit, chinchilla_loss, chinchilla_optimal, fit_power_law

X = np.logspace(3, 6, 8)


def noisy_law(alpha=0.3, A=5.0, E=1.5, noise=0.01, seed=0):
    """8 log-spaced points of ``E + A x^-alpha`` with multiplicative noise."""
    rng = np.random.default_rng(seed)
    return (E + A * X ** (-alpha)) * np.exp(noise * rng.standard_normal(len(X)))


def test_recovers_exponent_with_irreducible_loss():
    fit = fit_power_law(X, noisy_law(), irreducible=True, n_boot=200, seed=0)
    assert isinstance(fit, PowerLawFit)
    assert abs(fit.alpha - 0.3) < 0.05
    assert fit.alpha_ci[0] <= 0.3 <= fit.alpha_ci[1]
    assert 0 < fit.E < noisy_law().min()
    assert fit.r2 > 0.95 and fit.n_points == 8


def test_recovers_pure_power_law():
    fit = fit_power_law(X, 5.0 * X**-0.3)
    assert fit.E is None
    assert abs(fit.alpha - 0.3) < 0.02
    assert fit.A == pytest.approx(5.0, rel=1e-3)
    assert fit.alpha_ci[0] - 1e-6 <= 0.3 <= fit.alpha_ci[1] + 1e-6


def test_noisy_pure_power_law_and_outlier():
    loss = 5.0 * X**-0.3 * np.exp(0.01 * np.random.default_rng(1).standard_normal(len(X)))
    loss[3] *= 1.5  # one bad run barely moves a Huber fit in log space
    fit = fit_power_law(X, loss)
    assert abs(fit.alpha - 0.3) < 0.02
    assert fit.alpha_ci[0] <= fit.alpha <= fit.alpha_ci[1]


def test_e_stays_below_smallest_loss():
    loss = np.array([3.0, 2.0, 1.6, 1.2, 1.21, 1.19])  # flattens out: E wants to sit at the floor
    fit = fit_power_law(np.logspace(1, 6, 6), loss, irreducible=True, n_boot=20)
    assert fit.E < loss.min()


def test_predict_and_str():
    fit = fit_power_law(X, noisy_law(), irreducible=True, n_boot=50)
    pred = fit.predict(X)
    assert pred.shape == X.shape
    np.testing.assert_allclose(pred, fit.E + fit.A * X ** (-fit.alpha))
    np.testing.assert_allclose(pred, noisy_law(), rtol=0.05)
    assert np.ndim(fit.predict(1e4)) == 0
    text = str(fit)
    assert text.startswith("L = ") and "·N^-" in text and "fit scatter of alpha" in text and "R²" in text
    with pytest.raises(ValueError, match="> 0"):
        fit.predict([0.0, 1.0])


def test_no_bootstrap_gives_nan_interval():
    fit = fit_power_law(X, 5.0 * X**-0.3, n_boot=0)
    assert np.isnan(fit.alpha_ci[0]) and "fit scatter" not in str(fit)


def test_seeded_and_fast():
    start = time.process_time()  # CPU time: a busy machine does not make the fit look slow
    a = fit_power_law(X, noisy_law(), irreducible=True, n_boot=200, seed=3)
    assert time.process_time() - start < 3.0
    b = fit_power_law(X, noisy_law(), irreducible=True, n_boot=200, seed=3)
    assert a == b


@pytest.mark.parametrize(
    "x, loss, kwargs, match",
    [
        (X, -noisy_law(), {}, "loss must be > 0"),
        (np.r_[0.0, X[1:]], noisy_law(), {}, "x must be > 0"),
        (X, np.r_[np.nan, noisy_law()[1:]], {}, "loss contains NaN"),
        (np.r_[X[:-1], np.inf], noisy_law(), {}, "x contains NaN or infinite"),
        (X[:-1], noisy_law(), {}, "same length, got 7 and 8"),
        (X.reshape(2, 4), noisy_law().reshape(2, 4), {}, "x must be 1-D"),
        (X[:2], noisy_law()[:2], {}, "got 2 distinct x values, need at least 3"),
        (X[:3], noisy_law()[:3], {"irreducible": True}, "got 3 distinct x values, need at least 4"),
        ([1.0, 1.0, 1.0, 2.0], [3.0, 2.9, 3.1, 2.0], {}, "got 2 distinct x values"),
        (X, noisy_law(), {"n_boot": -1}, "n_boot must be a non-negative integer"),
        (X, noisy_law(), {"n_boot": 2.5}, "n_boot must be a non-negative integer"),
    ],
)
def test_bad_input_raises(x, loss, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(x, loss, **kwargs)


def test_irreducible_must_be_bool():
    with pytest.raises(TypeError, match="irreducible must be True or False"):
        fit_power_law(X, noisy_law(), irreducible="yes")


def test_chinchilla_tokens_per_parameter():
    n_opt, d_opt = chinchilla_optimal(5.76e23)  # Chinchilla's own budget: 70B params, 1.4T tokens
    assert 15 < d_opt / n_opt < 25
    assert 6 * n_opt * d_opt == pytest.approx(5.76e23)
    assert 3e10 < n_opt < 2e11


def test_chinchilla_optimum_is_a_minimum():
    C = 1e21
    n_opt, _ = chinchilla_optimal(C)
    sizes = n_opt * np.array([0.5, 0.9, 1.0, 1.1, 2.0])
    losses = chinchilla_loss(sizes, C / (6 * sizes))
    assert losses.argmin() == 2
    with pytest.raises(ValueError, match="compute_flops"):
        chinchilla_optimal(-1.0)
