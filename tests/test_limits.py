"""Notebook 08's machinery: batched MLPs, the disk memo, sine extrapolation, cellular automata,
hand-made features and the digits learning curves; plus the LIM rules."""

import math

import numpy as np
import pytest
import torch

from nbkit import automata, batched, bitter_lesson, claims, extrapolation, features, memo


# ---------------------------------------------------------------- batched MLPs
def test_batched_member_trains_exactly_as_alone():
    torch.manual_seed(0)
    x = torch.randn(1, 32, 3)
    y = x.sum(dim=2, keepdim=True).sin()

    def fit(members: int) -> torch.Tensor:
        model = batched.BatchedMLP(3, 8, members, seeds=[5] + list(range(100, 100 + members - 1)))
        xs, ys = x.expand(members, -1, -1), y.expand(members, -1, -1)
        batched.train(model.parameters(), lambda _: ((model(xs) - ys) ** 2).mean(dim=(1, 2)), steps=20,
                      lr=[1e-2] * members, progress=False)
        return model.weights[0][0].detach()

    assert torch.allclose(fit(1), fit(3), atol=1e-6)


def test_batched_masks_inputs_and_counts_parameters():
    model = batched.BatchedMLP(5, 4, 2, depth=2, activation="relu", n_inputs=[5, 2])
    assert model(torch.zeros(2, 7, 5)).shape == (2, 7, 1)
    assert torch.all(model.weights[0][1, 2:] == 0)
    x = torch.randn(2, 3, 5)
    x2 = x.clone()
    x2[1, :, 2:] = 99.0  # member 1 must not see inputs beyond its first two
    assert torch.allclose(model(x)[1], model(x2)[1])
    assert model.parameter_counts() == [5 * 4 + 4 + 4 * 4 + 4 + 4 + 1, 2 * 4 + 4 + 4 * 4 + 4 + 4 + 1]


def test_batched_init_is_like_nn_linear():
    model = batched.BatchedMLP(1, 1000, 1, seeds=[0])
    assert model.weights[0].abs().max() <= 1.0 and model.weights[1].abs().max() <= 1 / math.sqrt(1000)
    assert model.weights[1].std().item() == pytest.approx(1 / math.sqrt(3000), rel=0.1)


@pytest.mark.parametrize("kwargs, error", [
    ({"n_in": 0, "width": 4, "members": 1}, ValueError),
    ({"n_in": 2, "width": 4, "members": 2, "seeds": [0]}, ValueError),
    ({"n_in": 2, "width": 4, "members": 1, "n_inputs": [3]}, ValueError),
    ({"n_in": 2, "width": 4, "members": 1, "activation": "gelu"}, ValueError),
])
def test_batched_mlp_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        batched.BatchedMLP(**kwargs)


def test_batched_train_rejects_bad_arguments():
    model = batched.BatchedMLP(1, 2, 2)
    loss = lambda _: model(torch.zeros(2, 1, 1)).sum(dim=(1, 2))
    with pytest.raises(ValueError, match="lr"):
        batched.train(model.parameters(), loss, steps=1, lr=[1e-2], progress=False)
    with pytest.raises(ValueError, match="steps"):
        batched.train(model.parameters(), loss, steps=0, lr=1e-2, progress=False)
    with pytest.raises(ValueError, match="member_loss"):
        batched.train(model.parameters(), lambda _: model(torch.zeros(2, 1, 1)).sum(), steps=1, lr=1e-2,
                      progress=False)
    with pytest.raises(ValueError, match="params"):
        batched.train([], loss, steps=1, lr=1e-2, progress=False)


# ---------------------------------------------------------------- memo
def test_memo_computes_once_and_keys_on_params():
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(3), "b": 2.5}

    first = memo.cached("t-memo", {"x": 1}, compute, code=[memo])
    again = memo.cached("t-memo", {"x": 1}, compute, code=[memo])
    memo.cached("t-memo", {"x": 2}, compute, code=[memo])
    assert len(calls) == 2 and np.array_equal(first["a"], again["a"]) and float(again["b"]) == 2.5


@pytest.mark.parametrize("tag, params, compute, code, error", [
    ("bad tag!", {}, dict, (), ValueError),
    ("ok", [1], dict, (), TypeError),
    ("ok", {"x": object()}, dict, (), TypeError),
    ("ok", {}, "not callable", (), TypeError),
    ("ok", {}, dict, ("nbkit.memo",), TypeError),
    ("ok", {"y": 1}, dict, (), ValueError),
])
def test_memo_rejects_bad_input(tag, params, compute, code, error):
    with pytest.raises(error):
        memo.cached(tag, params, compute, code=code)


# ---------------------------------------------------------------- sine extrapolation
def test_sine_data_ranges_and_targets():
    d = extrapolation.sine_data(3.0, 50, n_eval=100, seed=1)
    assert d["x_train"].shape == (50,) and d["x_out"].shape == (100,)
    assert np.abs(d["x_in"]).max() <= 3.0 and np.abs(d["x_out"]).min() >= 3.0
    assert np.abs(d["x_out"]).max() <= 3.0 + 2 * np.pi
    assert (d["x_out"] < 0).sum() == 50
    assert np.allclose(d["y_val"], np.sin(d["x_val"]))


def test_fit_periodic_recovers_the_period_and_rmse():
    x = np.linspace(-6, 6, 80)
    fit = extrapolation.fit_periodic(x, 2 * np.sin(x + 0.3) + 1, np.linspace(1, 12, 2000))
    assert fit.period == pytest.approx(2 * np.pi, abs=0.01)
    assert extrapolation.rmse(fit.predict(np.array([40.0])), 2 * np.sin(np.array([40.3])) + 1) < 0.05
    assert extrapolation.rmse([0, 0], [3, 4]) == pytest.approx(math.sqrt(12.5))


def test_fit_mlps_small_run_shapes_and_cache():
    kwargs = {"widths": [2, 8], "seeds": [0, 1], "lrs": (1e-2, 3e-2), "steps": 30, "n_train": 32,
              "grid_points": 20, "progress": False}
    out = extrapolation.fit_mlps(**kwargs)
    assert out["rmse_in"].shape == (2, 2) and out["curves"].shape == (2, 2, 20)
    assert out["n_params"].tolist() == [3 * 2 + 1, 3 * 8 + 1]
    assert set(out["lr_chosen"].ravel()) <= {1e-2, 3e-2}
    assert np.array_equal(extrapolation.fit_mlps(**kwargs)["rmse_out"], out["rmse_out"])


@pytest.mark.parametrize("kwargs", [
    {"widths": [0], "seeds": [0]}, {"widths": [2], "seeds": [-1]}, {"widths": [2], "seeds": [0], "lrs": (2.0,)},
    {"widths": [2], "seeds": [0], "activation": "swish"}, {"widths": [2], "seeds": [0], "half_range": -1},
    {"widths": [2], "seeds": [0], "steps": 0},
])
def test_fit_mlps_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        extrapolation.fit_mlps(progress=False, **kwargs)


def test_extrapolation_helpers_reject_bad_input():
    with pytest.raises(ValueError):
        extrapolation.sine_data(0, 10)
    with pytest.raises(ValueError):
        extrapolation.fit_periodic([1, 2], [1, 2], 3.0)
    with pytest.raises(ValueError):
        extrapolation.fit_periodic(np.arange(5.0), np.arange(5.0), [-1.0])
    with pytest.raises(ValueError):
        extrapolation.rmse([1, 2], [1])


# ---------------------------------------------------------------- cellular automata
def test_rule_30_and_90_tables_and_known_centre_column():
    assert automata.rule_table(30).tolist() == [0, 1, 1, 1, 1, 0, 0, 0]
    assert automata.rule_table(90).tolist() == [0, 1, 0, 1, 1, 0, 1, 0]
    # rule 30's centre column (OEIS A051023) and rule 90's (a single 1: Pascal's triangle mod 2)
    assert "".join(map(str, automata.centre_column(30, 19))) == "11011100110001011001"
    assert automata.centre_column(90, 30).tolist() == [1] + [0] * 30


def test_light_cone_matches_the_ring_and_rule_90_shortcut():
    x, y = automata.light_cone(30, 5, 20, seed=3)
    for row, answer in zip(x, y):
        ring = np.concatenate([row, np.zeros(20, dtype=np.uint8)])  # wide enough: no wrap-around reaches the centre
        assert automata.evolve(ring, 30, 5)[5, 5] == answer
    x, y = automata.light_cone(90, 8, 500, seed=0)
    assert np.array_equal(x[:, 0] ^ x[:, -1], y)
    assert np.array_equal(automata.simulate(x, 90, 8), y)


def test_next_bit_accuracy_on_periodic_and_random_bits():
    assert automata.next_bit_accuracy(np.tile([0, 1, 1], 200), 3) == 1.0
    coin = np.random.default_rng(0).integers(0, 2, 4000)
    assert abs(automata.next_bit_accuracy(coin, 4) - 0.5) < 0.05


def test_predictability_small_run():
    out = automata.predictability([30, 90], [1, 8], [0], n_train=2000, n_test=500, steps=150, width=32,
                                  batch_size=64, progress=False)
    assert out["test_acc"].shape == (2, 2, 1) and out["learned_rule"].shape == (2, 1)
    assert out["test_seen"][:, 0].min() == 1.0  # T = 1: only 8 patterns, all seen
    assert out["test_seen"][:, 1].max() < 0.05
    assert np.all((out["majority"] >= 0.5) & (out["majority"] <= 1))


@pytest.mark.parametrize("call", [
    lambda: automata.rule_table(256), lambda: automata.rule_table(True), lambda: automata.step(np.array([0, 2, 1]), 30),
    lambda: automata.step(np.array([0, 1]), 30), lambda: automata.light_cone(30, 0, 5),
    lambda: automata.simulate(np.zeros((2, 4), dtype=np.uint8), 30, 2), lambda: automata.single_cell(2),
    lambda: automata.next_bit_accuracy([0, 1, 0], 2),
    lambda: automata.predictability([30], [40], [0], progress=False),
    lambda: automata.predictability([30], [1], [0], n_train=10, n_test=20, progress=False),
    lambda: automata.predictability([300], [1], [0], progress=False),
])
def test_automata_reject_bad_input(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- hand-made features
def test_edge_maps_and_histograms_see_a_vertical_edge():
    image = np.zeros((1, 8, 8))
    image[:, :, 4:] = 1.0  # dark left half, bright right half: one vertical edge
    edges = features.edge_maps(image).reshape(4, 4, 4)
    assert edges[0].sum() > edges[1].sum()  # the vertical-edge filter answers, the horizontal one barely
    hog = features.gradient_histograms(image).reshape(9, 8)
    assert hog[:, 0].max() == pytest.approx(1.0) and np.allclose(hog[:, 1:], 0)  # all gradients point along x
    assert features.hand_features(np.zeros((3, 8, 8))).shape == (3, 9 * 8 + 4 * 16)


@pytest.mark.parametrize("call", [
    lambda: features.gradient_histograms(np.zeros((8, 8))), lambda: features.gradient_histograms(-np.ones((1, 8, 8))),
    lambda: features.gradient_histograms(np.zeros((1, 8, 8)), cell=9), lambda: features.edge_maps(np.zeros((1, 8, 8)), pool=3),
    lambda: features.gradient_histograms(np.zeros((1, 8, 8)), bins=0),
])
def test_features_reject_bad_input(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- digits: hand-made vs learned
def test_digits_split_and_nested_balanced_subsets():
    split = bitter_lesson.digits_split(200, seed=1)
    assert split["x_test"].shape == (200, 8, 8) and len(split["y_train"]) == 1597
    assert split["x_train"].max() <= 1.0
    small, large = bitter_lesson.nested_subsets(split["y_train"], [20, 100], seed=2)
    assert set(small) <= set(large)
    assert np.bincount(split["y_train"][small], minlength=10).tolist() == [2] * 10
    other = bitter_lesson.nested_subsets(split["y_train"], [20], seed=3)[0]
    assert set(other) != set(small)


def test_linear_accuracy_beats_chance_on_hand_features():
    split = bitter_lesson.digits_split(200)
    idx = bitter_lesson.nested_subsets(split["y_train"], [200])[0]
    acc, c = bitter_lesson.linear_accuracy(features.hand_features(split["x_train"][idx]), split["y_train"][idx],
                                           features.hand_features(split["x_test"]), split["y_test"])
    assert acc > 0.8 and c in bitter_lesson.C_GRID


def test_batched_cnn_members_are_independent():
    model = bitter_lesson.BatchedCNN(2, seeds=[0, 1], c1=2, c2=4)
    x = torch.rand(2, 5, 8, 8)
    x2 = x.clone()
    x2[1] = 0.0
    assert model(x).shape == (2, 5, 10) and torch.allclose(model(x)[0], model(x2)[0])
    assert model.parameter_count() == 2 * 9 + 2 + 4 * 2 * 9 + 4 + 64 * 10 + 10
    assert model.flops_per_example() == 2 * (64 * 9 * 2 + 16 * 9 * 2 * 4 + 64 * 10)


def test_learning_curves_and_compute_sweep_small_runs():
    curves = bitter_lesson.learning_curves([20, 40], [0], steps=20, test_size=100, progress=False)
    assert curves["acc_cnn"].shape == (2, 1) and curves["acc_cnn_by_step"].shape == (2, 1, 2)
    assert curves["checkpoints"].tolist() == [10, 20] and curves["hand_features"] == 136
    sweep = bitter_lesson.compute_sweep([2], [0, 1], steps=20, test_size=100, progress=False)
    assert sweep["acc_by_step"].shape == (1, 2, 2) and sweep["train_flops"].shape == (1, 2)


def test_crossing_point_cases():
    sizes = [10, 100, 1000]
    # gaps -0.1, -0.05, +0.1: hand ahead until 100, the CNN a third of the way (in log size) to 1000
    assert bitter_lesson.crossing_point(sizes, [0.5, 0.75, 0.9], [0.6, 0.8, 0.8]) == pytest.approx(
        100 * 10 ** (1 / 3))
    assert bitter_lesson.crossing_point(sizes, [0.9, 0.9, 0.9], [0.5, 0.5, 0.5]) == 10
    assert math.isnan(bitter_lesson.crossing_point(sizes, [0.5, 0.9, 0.5], [0.6, 0.6, 0.6]))


@pytest.mark.parametrize("call", [
    lambda: bitter_lesson.digits_split(5), lambda: bitter_lesson.nested_subsets([0, 1], [3]),
    lambda: bitter_lesson.nested_subsets(np.zeros((2, 2)), [1]),
    lambda: bitter_lesson.linear_accuracy(np.zeros((4, 2)), [0, 1, 2, 3], np.zeros((2, 2)), [0, 1]),
    lambda: bitter_lesson.BatchedCNN(2, seeds=[0]), lambda: bitter_lesson.BatchedCNN(1, seeds=[0])(torch.zeros(1, 2, 4, 4)),
    lambda: bitter_lesson.learning_curves([10], [0], progress=False),
    lambda: bitter_lesson.learning_curves([20], [0], lr=0, progress=False),
    lambda: bitter_lesson.crossing_point([10, 5], [0.1, 0.2], [0.1, 0.2]),
])
def test_bitter_lesson_rejects_bad_input(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- the LIM rules
@pytest.mark.parametrize("claim_id", ["LIM-1", "LIM-2", "LIM-3"])
def test_lim_rules_reach_every_status(claim_id):
    rule = claims.get(claim_id).rule
    assert set(rule.examples) == set(rule.statuses) == {"supported", "partly supported", "not supported"}
    for status, measured in rule.examples.items():
        assert rule.evaluate(measured)[0] == status
