"""Cost and energy calculators: known values, and clear errors naming the bad argument."""

import math

import pytest

from nbkit import costs, energy


def test_compose_declines_multiplies_what_is_left():
    assert costs.remaining([0.53, 0.47]) == pytest.approx(0.47 * 0.53)
    assert costs.compose_declines([0.53, 0.47]) == pytest.approx(0.7509)
    assert costs.compose_declines([0.5]) == 0.5
    assert costs.compose_declines([0.0, 0.0]) == 0.0
    assert costs.compose_declines([1.0, 0.3]) == 1.0


def test_factors_and_implied_declines_are_inverse():
    assert costs.cheaper_factor(0.86, 1) == pytest.approx(1 / 0.14)
    assert costs.cheaper_factor(0.5, 3) == pytest.approx(8)
    assert costs.implied_annual_decline(10, 1) == pytest.approx(0.9)
    for d, years in ((0.86, 1.1663), (0.3, 0.5), (0.75, 6)):
        assert costs.implied_annual_decline(costs.cheaper_factor(d, years), years) == pytest.approx(d)
    assert costs.years_between("2023-03-14", "2024-03-13") == pytest.approx(365 / 365.25)


def test_jevons_backfire_above_unit_elasticity():
    assert costs.demand_ratio(10, 1.5) == pytest.approx(10**1.5)
    assert costs.spend_ratio(10, 1.0) == pytest.approx(1.0)
    assert costs.spend_ratio(10, 0.5) < 1 < costs.spend_ratio(10, 1.5)
    assert costs.spend_ratio(4, 0) == pytest.approx(0.25)  # fixed demand: spend falls with the price


@pytest.mark.parametrize("call, message", [
    (lambda: costs.compose_declines([0.53, 1.2]), r"declines\[1\] must be a fraction in \[0, 1\]"),
    (lambda: costs.compose_declines([-0.1]), r"declines\[0\] must be a fraction"),
    (lambda: costs.compose_declines([]), "declines must be a non-empty list"),
    (lambda: costs.compose_declines("0.5"), "declines must be a non-empty list"),
    (lambda: costs.cheaper_factor(1.5, 1), "annual_decline must be a fraction"),
    (lambda: costs.cheaper_factor(0.5, 0), "years must be > 0"),
    (lambda: costs.cheaper_factor(1.0, 1), "infinite"),
    (lambda: costs.implied_annual_decline(0.5, 1), "factor must be >= 1"),
    (lambda: costs.implied_annual_decline(10, -1), "years must be > 0"),
    (lambda: costs.years_between("2024-05-13", "2024-05-13"), "duration must be > 0"),
    (lambda: costs.years_between("May 2024", "2025-01-01"), "YYYY-MM-DD"),
    (lambda: costs.demand_ratio(10, -0.5), "elasticity must be >= 0"),
    (lambda: costs.spend_ratio(0, 1), "cost_cut must be > 0"),
    (lambda: costs.spend_ratio(10, float("nan")), "elasticity must be finite"),
])
def test_costs_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_costs_type_errors():
    with pytest.raises(TypeError, match="annual_decline must be a number"):
        costs.cheaper_factor("86%", 1)
    with pytest.raises(TypeError, match="elasticity must be a number"):
        costs.spend_ratio(10, True)


def test_power_and_energy():
    per_gpu = energy.per_gpu_w(10_200, 8)
    assert per_gpu == 1275
    assert energy.facility_power_w(1000, per_gpu, pue=1.2) == pytest.approx(1.53e6)
    assert energy.facility_power_w(1000, 700, load=0.5) == pytest.approx(3.5e5)
    assert energy.energy_wh(1000, 2) == 2000
    assert energy.yearly_twh(5e9) == pytest.approx(5e9 * 8766 / 1e12)
    assert energy.average_power_w(energy.yearly_twh(5e9)) == pytest.approx(5e9)


def test_run_cost_and_split():
    cost = energy.run_cost(1e26, 1e15, 0.5, 1000, 1.0, 1000)
    assert cost["gpu_hours"] == pytest.approx(1e26 / 5e14 / 3600)
    assert cost["gpu_days"] == pytest.approx(cost["gpu_hours"] / 24)
    assert cost["wall_days"] == pytest.approx(cost["gpu_days"] / 1000)
    assert cost["facility_mw"] == pytest.approx(1.0)
    assert cost["energy_mwh"] == pytest.approx(cost["wall_days"] * 24)  # 1 MW for that many hours
    n, d = energy.compute_optimal_split(6e24, 20)
    assert 6 * n * d == pytest.approx(6e24) and d / n == pytest.approx(20)
    assert all(f.source and f.unit is not None and math.isfinite(f.value) for f in energy.FIGURES.values())


@pytest.mark.parametrize("call, message", [
    (lambda: energy.facility_power_w(100, -700), "watts_per_gpu must be > 0 W"),
    (lambda: energy.facility_power_w(0, 700), "n_gpus must be > 0"),
    (lambda: energy.facility_power_w(100, 700, pue=0.9), "pue must be >= 1"),
    (lambda: energy.facility_power_w(100, 700, load=1.5), "load must be a fraction"),
    (lambda: energy.energy_wh(-5, 1), "power_w must be > 0 W"),
    (lambda: energy.energy_wh(5, 0), "hours must be > 0"),
    (lambda: energy.yearly_twh(-1e9), "power_w must be > 0"),
    (lambda: energy.average_power_w(0), "energy_twh_per_year must be > 0"),
    (lambda: energy.gpu_hours(1e20, 1e15, 0), "utilisation must be > 0"),
    (lambda: energy.gpu_hours(1e20, 1e15, 1.2), "utilisation must be a fraction"),
    (lambda: energy.gpu_hours(-1e20, 1e15, 0.4), "flop must be > 0"),
    (lambda: energy.run_cost(1e20, 1e15, 0.4, 700, 1.1, -8), "n_gpus must be > 0"),
    (lambda: energy.per_gpu_w(10_200, 0), "gpus_per_server must be an int >= 1"),
    (lambda: energy.compute_optimal_split(1e24, 0), "tokens_per_parameter must be > 0"),
])
def test_energy_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
