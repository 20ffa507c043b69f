"""Notebook 02's additions to nbkit.scaling: hold-out checks, frontiers, sample complexity, OOM arithmetic, sweeps."""

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from nbkit import runs, scaling
from nbkit.models import build_model, count_parameters
from nbkit.train import History

X = np.logspace(3, 6, 8)


def test_holdout_prediction_on_an_exact_law():
    loss = 1.5 + 5.0 * X**-0.3
    fit, predicted, measured = scaling.holdout_prediction(X[::-1], loss[::-1], n_holdout=2, irreducible=True,
                                                          n_boot=0)
    assert fit.n_points == 6
    assert predicted.shape == measured.shape == (2,)
    assert np.allclose(measured, loss[-2:])  # sorted by x, whatever the input order
    assert np.allclose(predicted, measured, rtol=1e-3)


def test_holdout_prediction_bad_input():
    with pytest.raises(ValueError, match="n_holdout"):
        scaling.holdout_prediction(X, X**-0.1, n_holdout=0)
    with pytest.raises(ValueError, match="too few"):
        scaling.holdout_prediction(X[:4], X[:4] ** -0.1, n_holdout=2)
    with pytest.raises(ValueError, match="same length"):
        scaling.holdout_prediction(X, X[:-1] ** -0.1)


def test_compute_frontier():
    flops = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 5.0])
    loss = np.array([3.0, 3.5, 2.5, 2.6, 2.0, 1.9])
    assert scaling.compute_frontier(flops, loss).tolist() == [0, 2, 5]
    shuffled = np.array([4, 0, 5, 2, 1, 3])
    assert sorted(shuffled[scaling.compute_frontier(flops[shuffled], loss[shuffled])].tolist()) == [0, 2, 5]
    with pytest.raises(ValueError, match="same length"):
        scaling.compute_frontier(flops, loss[:-1])
    with pytest.raises(ValueError, match="> 0"):
        scaling.compute_frontier(flops - 1, loss)


def test_find_crossing_interpolates_in_log_log():
    n = np.array([10.0, 100.0, 1000.0])
    assert scaling._find_crossing(n, 1.0 / n, 0.003) == pytest.approx(1 / 0.003)
    assert np.isnan(scaling._find_crossing(n, 1.0 / n, 1e-6))  # never reached
    assert np.isnan(scaling._find_crossing(n, 1.0 / n, 1.0))  # already below at the first point


def test_distribution_samples_grow_linearly_with_classes():
    small = scaling.distribution_samples_needed(8, 0.01, trials=200, seed=0)
    large = scaling.distribution_samples_needed(64, 0.01, trials=200, seed=0)
    assert small == pytest.approx(7 / 0.02, rel=0.25)  # textbook (K-1)/(2n)
    assert large / small == pytest.approx(63 / 7, rel=0.3)


def test_softmax_samples_needed_is_near_theory():
    n = scaling.softmax_samples_needed(4, 0.1, dim=4, repeats=1, grid=5, n_test=512, seed=0)
    assert 0.4 * 4 * 3 / 0.2 < n < 2.5 * 4 * 3 / 0.2


@pytest.mark.parametrize("bad", [{"n_classes": 1}, {"n_classes": 2.5}, {"target_kl": 0}, {"target_kl": 2},
                                 {"trials": 1}])
def test_distribution_samples_bad_input(bad):
    args = {"n_classes": 4, "target_kl": 0.01} | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        scaling.distribution_samples_needed(**args)


def test_softmax_samples_bad_input():
    with pytest.raises(ValueError, match="n_classes"):
        scaling.softmax_samples_needed(1)
    with pytest.raises(ValueError, match="target_excess"):
        scaling.softmax_samples_needed(4, target_excess=-0.1)
    with pytest.raises(ValueError, match="dim"):
        scaling.softmax_samples_needed(4, dim=0)


def test_oom_arithmetic():
    assert scaling.ooms(1000) == pytest.approx(3.0)
    assert np.allclose(scaling.ooms([3000, 10_000]), [np.log10(3000), 4.0])
    assert scaling.combine_ooms(compute=(2, 3), algorithms=(1, 2)) == (3.0, 5.0)
    assert scaling.combine_ooms(compute=(2, 3), algorithms=(1, 2), unhobbling=(1, 2)) == (4.0, 7.0)
    with pytest.raises(ValueError, match="factor"):
        scaling.ooms(0)
    with pytest.raises(ValueError, match="at least one"):
        scaling.combine_ooms()
    with pytest.raises(ValueError, match="compute"):
        scaling.combine_ooms(compute=(3, 2))
    with pytest.raises(TypeError, match="algorithms"):
        scaling.combine_ooms(algorithms=5)


def test_plot_fit():
    loss = 2.0 * X**-0.1
    fit = scaling.fit_power_law(X[:-1], loss[:-1], n_boot=0)
    fig = scaling.plot_fit(X, loss, {"pure": fit}, title="t", x_label="N (parameters)", held_out=[7],
                           extend=(1e2, 1e8), names=[f"p{i}" for i in range(8)])
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data][1:] == ["measured", "held out"]
    assert fig.data[0].x[0] == pytest.approx(1e2) and fig.data[0].x[-1] == pytest.approx(1e8)
    assert len(scaling.plot_fit(X, loss, fit, title="t", x_label="N").data) == 2
    with pytest.raises(TypeError, match="PowerLawFit"):
        scaling.plot_fit(X, loss, {"bad": 3}, title="t", x_label="N")
    with pytest.raises(ValueError, match="extend"):
        scaling.plot_fit(X, loss, fit, title="t", x_label="N", extend=(10, 1))


@pytest.mark.parametrize("profile, decades", [("smoke", 1.0), ("default", 1.5)])
def test_size_sweep_plan_spans_enough_sizes(profile, decades, monkeypatch):
    monkeypatch.setenv("NBKIT_SCALE", profile)
    plan = scaling.size_sweep_plan()
    assert {"corpus", "shapes", "context", "batch_size", "steps", "seed"} <= set(plan)
    sizes = [count_parameters(build_model(c), embeddings=False) for c in scaling.sweep_configs(plan)]
    assert sizes == sorted(sizes) and len(sizes) >= 5
    assert np.log10(sizes[-1] / sizes[0]) >= decades
    with pytest.raises(ValueError, match="plan"):
        scaling.sweep_configs({"shapes": [(8, 1, 2)]})


def test_size_sweep_uses_the_cache_and_tag(monkeypatch):
    ids = np.random.default_rng(0).integers(97, 110, size=4000).astype(np.uint8)
    plan = {"corpus": "x", "shapes": [(8, 1, 2), (12, 1, 2)], "context": 8, "batch_size": 4, "steps": 3, "seed": 0}
    monkeypatch.setattr(scaling, "size_sweep_plan", lambda: plan)
    monkeypatch.setattr(scaling, "sweep_data", lambda corpus: (ids[:3000], ids[3000:]))
    first = scaling.size_sweep(progress=False)
    assert [r.label for r in first] == ["d8 L1", "d12 L1"] and not any(r.from_cache for r in first)
    again = scaling.size_sweep(progress=False)
    assert all(r.from_cache for r in again)
    assert [m["key"] for m in runs.list_runs(tag=scaling.SIZE_SWEEP_TAG)] == [r.key for r in first]


def test_curve_points():
    h = History(val_tokens=[0, 100, 200], val_loss=[5.0, 3.0, 2.5])
    fake = [SimpleNamespace(history=h, n_params=10), SimpleNamespace(history=h, n_params=20)]
    flops, loss, owner = scaling.curve_points(fake)
    assert flops.tolist() == [6000.0, 12000.0, 12000.0, 24000.0]
    assert loss.tolist() == [3.0, 2.5, 3.0, 2.5] and owner.tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="validation points"):
        scaling.curve_points([SimpleNamespace(history=History(), n_params=1)])
