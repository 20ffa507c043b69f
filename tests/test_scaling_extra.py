"""Notebook 02's additions to nbkit.scaling: hold-out checks, frontiers, sample complexity, OOM arithmetic, sweeps."""

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from nbkit import scaling
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


def test_forecast_errors_against_the_naive_forecast():
    exact = 1.5 + 5.0 * X**-0.3
    rows = np.vstack([exact, exact * (1 + 0.001 * np.sin(np.arange(8)))])
    out = scaling.forecast_errors(X, rows, n_holdout=2)
    assert out["law"].shape == out["naive"].shape == (2,) and out["predicted"].shape == (2, 2)
    assert out["law"][0] < 1e-3  # an exact law predicts its held-out sizes
    naive = np.mean(np.abs(exact[-3] - exact[-2:]))  # "no further gain": the largest fitted size's loss
    assert out["naive"][0] == pytest.approx(naive)
    with pytest.raises(ValueError, match="one row per seed"):
        scaling.forecast_errors(X, exact)
    with pytest.raises(ValueError, match="too few"):
        scaling.forecast_errors(X[:5], rows[:, :5], n_holdout=2)


def test_equal_compute_spread_sees_different_losses_at_equal_compute():
    c = np.geomspace(1e6, 1e8, 5)
    flops = np.concatenate([c, c, c])
    same = np.concatenate([2.0 * c**-0.05] * 3)
    median, ranges = scaling.equal_compute_spread(flops, same, np.repeat([0, 1, 2], 5), n_grid=10)
    assert median == pytest.approx(0.0, abs=1e-12) and ranges.shape == (10,)
    shifted = np.concatenate([same[:5], same[5:10] + 0.1, same[10:] + 0.3])
    assert scaling.equal_compute_spread(flops, shifted, np.repeat([0, 1, 2], 5))[0] == pytest.approx(0.3)
    disjoint = scaling.equal_compute_spread(np.concatenate([c, c * 1e3]), np.ones(10), np.repeat([0, 1], 5))
    assert np.isnan(disjoint[0])  # no budget reached by 3 runs
    with pytest.raises(ValueError, match="same length"):
        scaling.equal_compute_spread(flops, same[:-1], np.repeat([0, 1, 2], 5))
    with pytest.raises(ValueError, match="min_runs"):
        scaling.equal_compute_spread(flops, same, np.repeat([0, 1, 2], 5), min_runs=1)


def test_doubling_search_finds_linear_and_exponential_needs_alike():
    assert scaling.doubling_search(lambda n: 100.0 / n, 0.5) == pytest.approx(200, rel=1e-9)
    # a need that grows exponentially with K is found just as well, only later
    needs = [scaling.doubling_search(lambda n, k=k: 2.0**k / n, 1.0) for k in (4, 8, 16)]
    assert needs == pytest.approx([16, 256, 65536])
    assert scaling.doubling_search(lambda n: 1.0, 0.5, max_n=64) == 64  # never enough: the cap, a lower bound
    assert scaling.doubling_search(lambda n: 0.1, 0.5, start=3) == 3
    with pytest.raises(TypeError, match="excess"):
        scaling.doubling_search(3, 0.5)
    with pytest.raises(ValueError, match="target"):
        scaling.doubling_search(lambda n: 1 / n, 0)
    with pytest.raises(ValueError, match="max_n"):
        scaling.doubling_search(lambda n: 1 / n, 0.1, start=8, max_n=4)


def test_distribution_samples_grow_linearly_with_classes():
    small = scaling.distribution_samples_needed(8, 0.01, trials=200, seed=0)
    large = scaling.distribution_samples_needed(64, 0.01, trials=200, seed=0)
    assert small == pytest.approx(7 / 0.02, rel=0.25)  # textbook (K-1)/(2n)
    assert large / small == pytest.approx(63 / 7, rel=0.3)
    assert scaling.distribution_samples_needed(64, 0.01, max_n=16) == 16  # capped: a lower bound


def test_softmax_samples_needed_is_near_theory():
    n = scaling.softmax_samples_needed(4, 0.1, dim=4, repeats=2, n_test=512, seed=0)
    assert 0.5 < n / (4 * 3 / 0.2) < 2  # textbook d(K-1)/(2n), an asymptotic value


@pytest.mark.parametrize("args, match", [({"n_classes": 1}, "n_classes"), ({"n_classes": 4, "target_kl": 2}, "target"),
                                         ({"n_classes": 4, "trials": 1}, "trials")])
def test_distribution_samples_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        scaling.distribution_samples_needed(**args)


def test_softmax_samples_bad_input():
    with pytest.raises(ValueError, match="n_classes"):
        scaling.softmax_samples_needed(1)
    with pytest.raises(ValueError, match="target"):
        scaling.softmax_samples_needed(4, target_excess=-0.1)
    with pytest.raises(ValueError, match="dim"):
        scaling.softmax_samples_needed(4, dim=0)


def test_growth_fits_tell_power_from_exponential():
    ks = np.array([2, 4, 8, 16, 32, 64], dtype=float)
    linear = scaling.growth_fits(ks, 50 * ks)
    assert linear["slope"] == pytest.approx(1.0) and linear["r2_power"] > linear["r2_exp"]
    assert linear["slope_low"] <= linear["slope"] <= linear["slope_high"]
    exponential = scaling.growth_fits(ks, 3.0 * 1.1**ks)
    assert exponential["r2_exp"] == pytest.approx(1.0) and exponential["r2_exp"] > exponential["r2_power"]
    with pytest.raises(ValueError, match="same length"):
        scaling.growth_fits(ks, ks[:-1])


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
    assert {"corpus", "val_fraction", "shapes", "context", "batch_size", "steps", "n_seeds", "n_holdout"} <= set(plan)
    sizes = [count_parameters(build_model(c), embeddings=False) for c in scaling.sweep_configs(plan)]
    assert sizes == sorted(sizes) and len(sizes) - plan["n_holdout"] >= 4  # the offset law needs 4 points
    assert np.log10(sizes[-1] / sizes[0]) >= decades
    assert plan["n_seeds"] >= (2 if profile == "smoke" else 3)
    with pytest.raises(ValueError, match="plan"):
        scaling.sweep_configs({"shapes": [(8, 1, 2)]})


def test_size_sweep_trains_seeds_batched_and_caches(monkeypatch):
    ids = np.random.default_rng(0).integers(97, 110, size=4000).astype(np.uint8)
    plan = {"corpus": "x", "val_fraction": 0.1, "shapes": [(8, 1, 2), (12, 1, 2)], "context": 8, "batch_size": 4,
            "steps": 3, "n_seeds": 2, "n_holdout": 1}
    monkeypatch.setattr(scaling, "size_sweep_plan", lambda: plan)
    monkeypatch.setattr(scaling, "sweep_data", lambda corpus, fraction: (ids[:3000], ids[3000:]))
    first = scaling.size_sweep(progress=False)
    assert [[r.label for r in per_size] for per_size in first] == [["d8 L1"] * 2, ["d12 L1"] * 2]
    assert [r.recipe["seed"] for r in first[0]] == [0, 1] and not first[0][0].from_cache
    assert first[0][0].final_loss != first[0][1].final_loss  # two seeds, two models
    again = scaling.size_sweep(progress=False)
    assert all(r.from_cache for per_size in again for r in per_size)
    assert scaling.losses(again).shape == (2, 2)
    assert np.allclose(scaling.losses(again), scaling.losses(first))
    monkeypatch.setenv("NBKIT_SEED", "5")
    assert [r.recipe["seed"] for r in scaling.size_sweep(progress=False)[0]] == [5, 6]
    with pytest.raises(TypeError, match="per size"):
        scaling.losses([1, 2])


def test_flops_per_step_counts_the_head_and_attention():
    from nbkit.models import ModelConfig

    cfg = ModelConfig(d_model=16, n_layers=1, n_heads=2, context=8)
    n = count_parameters(build_model(cfg), embeddings=False)
    counted = scaling.flops_per_step(cfg, 4)
    assert counted > 6 * n * 4 * 8 * 2  # the output head alone (16 x 256) is bigger than the layer here


def test_curve_points():
    from nbkit.models import ModelConfig

    cfg = ModelConfig(d_model=16, n_layers=1, n_heads=2, context=8)
    h = History(val_step=[0, 10, 20], val_tokens=[0, 320, 640], val_loss=[5.0, 3.0, 2.5])
    fake = [SimpleNamespace(history=h, config=cfg, recipe={"batch_size": 4}) for _ in range(2)]
    flops, loss, owner = scaling.curve_points(fake)
    per_step = scaling.flops_per_step(cfg, 4)
    assert flops.tolist() == [10 * per_step, 20 * per_step] * 2
    assert loss.tolist() == [3.0, 2.5, 3.0, 2.5] and owner.tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="validation points"):
        scaling.curve_points([SimpleNamespace(history=History(), config=cfg, recipe={"batch_size": 4})])
