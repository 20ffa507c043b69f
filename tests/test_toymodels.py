"""Seed-batched MLPs: a batch equals its seeds trained alone; cache, stitching, digits data, bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbkit import digits, toymodels


@pytest.fixture(scope="module")
def data():
    return digits.load()


def _one_net_forward(net, s, x):
    h = torch.as_tensor(x)
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        h = h @ w[s] + b[s, 0]
        if i < len(net.weights) - 1:
            h = torch.relu(h)
    return h


def test_init_is_nn_linear_style_and_per_seed():
    net = toymodels.SeedMLP((64, 16, 16, 10), seeds=[0, 1, 0])
    assert net.weights[0].shape == (3, 64, 16) and net.biases[2].shape == (3, 1, 10)
    assert torch.equal(net.weights[0][0], net.weights[0][2])       # same seed, same network
    assert not torch.equal(net.weights[0][0], net.weights[0][1])
    assert net.weights[0].abs().max() <= 1 / 8 + 1e-7              # U(±1/sqrt(fan_in))


def test_batched_forward_equals_each_network_alone():
    net = toymodels.SeedMLP((8, 5, 4, 3), seeds=[3, 4])
    x = torch.randn(7, 8)
    out = net.forward(x)
    for s in range(2):
        assert torch.allclose(out[s], _one_net_forward(net, s, x), atol=1e-6)
    h1 = net.hidden(x, 1)
    assert torch.allclose(net.forward(h1, start=1), out, atol=1e-6)   # running the top from a hidden layer
    assert net.hidden(x, 2).shape == (2, 7, 4) and (net.hidden(x, 2) >= 0).all()


def test_a_batch_trains_each_seed_exactly_as_alone(data):
    kwargs = {"steps": 15, "batch_size": 32, "lr": [1e-2, 3e-3], "weight_decay": [0.0, 0.1]}
    both = toymodels.SeedMLP((64, 8, 8, 10), seeds=[5, 6])
    toymodels.fit(both, data.x_train, data.y_train[:, 0], **kwargs)
    for s, seed in enumerate([5, 6]):
        alone = toymodels.SeedMLP((64, 8, 8, 10), seeds=[seed])
        toymodels.fit(alone, data.x_train, data.y_train[:, 0], steps=15, batch_size=32, lr=kwargs["lr"][s],
                      weight_decay=kwargs["weight_decay"][s])
        for a, b in zip(both.parameters(), alone.parameters()):
            assert torch.allclose(a[s], b[0], atol=1e-5)


def test_manual_adamw_matches_torch_adamw():
    torch.manual_seed(0)
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    net = toymodels.SeedMLP((6, 5, 3), seeds=[1])
    ref = [p.clone().requires_grad_(True) for p in net.parameters()]
    opt = torch.optim.AdamW(ref, lr=1e-2, weight_decay=0.1)
    for _ in range(5):
        logits = torch.baddbmm(ref[3], torch.relu(torch.baddbmm(ref[2], x[None], ref[0])), ref[1])  # W0 W1 b0 b1
        loss = F.cross_entropy(logits[0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    toymodels.fit(net, x, y, n_classes=(3,), steps=5, batch_size=None, lr=1e-2, weight_decay=0.1)
    # parameters() lists weights then biases; ref was built in the same order
    for mine, theirs in zip(net.parameters(), ref):
        assert torch.allclose(mine, theirs, atol=1e-6)


def test_training_learns_and_multitask_masks_select_heads(data):
    classes = tuple(digits.TASKS[t] for t in digits.COARSE)
    net = toymodels.SeedMLP((64, 32, 32, sum(classes)), seeds=[0, 1])
    mask = np.array([[1, 0, 0, 0], [1, 1, 1, 1]])
    losses = toymodels.fit(net, data.x_train, data.y_train[:, 1:], classes, steps=150, batch_size=64, lr=1e-2,
                           task_mask=mask)
    assert losses[-1] < losses[0]
    parity = toymodels.accuracy(net, data.x_test, data.y_test[:, 1:], classes, task=0)
    mod3 = toymodels.accuracy(net, data.x_test, data.y_test[:, 1:], classes, task=2)
    assert parity.min() > 0.8
    assert mod3[1] > 0.8 and mod3[0] < 0.6   # only the second network learned mod 3


def test_fit_cached_loads_the_same_networks(data, monkeypatch):
    args = ((64, 8, 8, 10), [0, 1], data.x_train, data.y_train[:, 0])
    first, hit = toymodels.fit_cached(*args, steps=5, lr=1e-2)
    assert not hit
    monkeypatch.setattr(toymodels, "fit", lambda *a, **k: (_ for _ in ()).throw(AssertionError("must not train")))
    again, hit = toymodels.fit_cached(*args, steps=5, lr=1e-2)
    assert hit and all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters()))
    assert toymodels.cache_key(a=1) != toymodels.cache_key(a=2)


def test_fit_best_lr_keeps_the_best_validation_rate(data):
    choice = toymodels.fit_best_lr((64, 16, 16, 10), [0, 1], data.x_train, data.y_train[:, 0], data.x_val,
                                   data.y_val[:, 0], lrs=(1e-4, 1e-2), steps=60, batch_size=64)
    assert choice.lr == 1e-2 and choice.val_loss[1] < choice.val_loss[0] and choice.nets.n_seeds == 2
    assert choice.all_nets.n_seeds == 4
    assert torch.equal(choice.at(1e-2).weights[0], choice.nets.weights[0])
    assert toymodels.loss(choice.nets, data.x_val, data.y_val[:, 0]).mean() == pytest.approx(choice.val_loss[1])
    with pytest.raises(ValueError, match="swept rates"):
        choice.at(3e-3)


def test_stitching_a_network_onto_itself_keeps_its_accuracy(data):
    net, _ = toymodels.fit_cached((64, 32, 32, 10), [0, 1], data.x_train, data.y_train[:, 0], steps=150, lr=1e-2)
    own = toymodels.accuracy(net, data.x_test, data.y_test[:, 0])
    for layer in (1, 2):
        acc = toymodels.stitch(net, net, layer, data.x_train, data.y_train[:, 0], data.x_test, data.y_test[:, 0],
                               steps=20)
        assert np.abs(acc - own).max() < 0.03
    crossed = toymodels.stitch(net.select([0]), net.select([1]), 2, data.x_train, data.y_train[:, 0], data.x_test,
                               data.y_test[:, 0], steps=20)
    assert crossed.shape == (1,) and crossed[0] > 0.8


def test_digits_split_and_subsets(data):
    assert len(data.x_train) == 1000 and len(data.x_val) == 200 and len(data.x_test) == 597
    assert not set(data.train_index) & set(data.test_index)
    assert data.x_train.max() <= 1 and data.y_train.shape == (1000, 5)
    labels = digits.task_labels(np.arange(10))
    assert labels[:, 1].tolist() == [0, 1] * 5 and labels[:, 4].tolist() == [0, 0, 1, 1, 0, 1, 0, 1, 0, 0]
    rows = digits.subset_rows(100, [10, 100], [0, 1], length=100)
    assert rows.shape == (2, 100) and len(set(rows[0])) == 10 and len(set(rows[1])) == 100


@pytest.mark.parametrize("call, error, match", [
    (lambda: toymodels.SeedMLP((64,), [0]), ValueError, "sizes"),
    (lambda: toymodels.SeedMLP((64, 0, 10), [0]), ValueError, "sizes"),
    (lambda: toymodels.SeedMLP((64, 8, 10), []), ValueError, "seeds"),
    (lambda: toymodels.SeedMLP((64, 8, 10), [-1]), ValueError, "seeds"),
    (lambda: toymodels.SeedMLP((4, 8, 10), [0]).forward(np.zeros((3, 5))), ValueError, "x must be"),
    (lambda: toymodels.SeedMLP((4, 8, 10), [0]).hidden(np.zeros((3, 4)), 2), ValueError, "layer"),
    (lambda: toymodels.SeedMLP((4, 8, 10), [0]).select([1]), ValueError, "index"),
    (lambda: toymodels.fit(toymodels.SeedMLP((4, 3), [0]), np.zeros((5, 4)), np.zeros(5, int), (3,), steps=0),
     ValueError, "steps"),
    (lambda: toymodels.fit(toymodels.SeedMLP((4, 3), [0]), np.zeros((5, 4)), np.zeros(5, int), (3,), steps=1,
                           lr=0), ValueError, "lr"),
    (lambda: toymodels.fit(toymodels.SeedMLP((4, 3), [0, 1]), np.zeros((5, 4)), np.zeros(5, int), (3,), steps=1,
                           lr=[1e-2]), ValueError, "lr"),
    (lambda: toymodels.fit(toymodels.SeedMLP((4, 3), [0]), np.zeros((5, 4)), np.full(5, 3), (3,), steps=1),
     ValueError, "class ids"),
    (lambda: toymodels.fit(toymodels.SeedMLP((4, 4), [0]), np.zeros((5, 4)), np.zeros(5, int), (3,), steps=1),
     ValueError, "n_classes"),
    (lambda: toymodels.fit(toymodels.SeedMLP((4, 3), [0]), np.zeros((5, 4)), np.zeros(6, int), (3,), steps=1),
     ValueError, "items"),
    (lambda: toymodels.stitch(toymodels.SeedMLP((4, 3, 3, 2), [0]), toymodels.SeedMLP((4, 3, 3, 2), [0, 1]), 1,
                              np.zeros((5, 4)), np.zeros(5, int), np.zeros((5, 4)), np.zeros(5, int)),
     ValueError, "pair them"),
    (lambda: digits.load(n_val=5), ValueError, "n_val"),
    (lambda: digits.subset_rows(10, [3], [0], length=10), ValueError, "dividing"),
    (lambda: digits.task_labels(np.array([10])), ValueError, "digits 0..9"),
])
def test_bad_input_is_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()
