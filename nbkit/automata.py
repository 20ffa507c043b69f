"""Elementary cellular automata, and how far ahead a learner can predict them (LIM-1).

A row of 0/1 cells; at each step every cell becomes a fixed function of itself
and its two neighbours. The 8 possible neighbourhoods ``(left, centre, right)``
read as a 3-bit number index the bits of the *rule number* (Wolfram's code):
rule 30 is ``new = left XOR (centre OR right)``, rule 90 is ``new = left XOR right``.

Rule 90 is *additive*: its state after T steps has a closed form (a cell is
the XOR of the initial cells picked out by Pascal's triangle mod 2), and when
T is a power of two that is just ``x[-T] XOR x[+T]``: a shortcut. Rule 30 has
no known shortcut (Wolfram's example of computational irreducibility).

The prediction task (``light_cone``): from a random row, predict the centre
cell T steps later. The learner sees exactly the ``2T + 1`` cells that decide
it (its light cone), so a perfect predictor exists for every rule and every T;
what differs is whether it can be found without doing the T steps.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import batched, memo


def _check_rule(rule) -> int:
    if isinstance(rule, bool) or not isinstance(rule, (int, np.integer)) or not 0 <= rule <= 255:
        raise ValueError(f"rule must be an elementary CA rule number, an int in 0..255, got {rule!r}")
    return int(rule)


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def rule_table(rule: int) -> np.ndarray:
    """``(8,)`` uint8: the new cell for neighbourhood ``4·left + 2·centre + right``."""
    rule = _check_rule(rule)
    return np.array([(rule >> i) & 1 for i in range(8)], dtype=np.uint8)


def step(rows: np.ndarray, rule: int, wrap: bool = True) -> np.ndarray:
    """One step of ``rule`` on rows ``(..., width)`` of 0/1 cells.

    wrap=True: the row is a ring (same width out). wrap=False: cells without two
    neighbours are dropped (width - 2 out), as in a light cone.
    """
    rows = np.asarray(rows)
    if rows.ndim < 1 or rows.shape[-1] < 3 or not np.isin(rows, (0, 1)).all():
        raise ValueError(f"rows must hold 0/1 cells with width >= 3 in the last axis, got shape {rows.shape}")
    rows = rows.astype(np.uint8)
    if wrap:
        left, centre, right = np.roll(rows, 1, axis=-1), rows, np.roll(rows, -1, axis=-1)
    else:
        left, centre, right = rows[..., :-2], rows[..., 1:-1], rows[..., 2:]
    return rule_table(rule)[(left << 2) | (centre << 1) | right]


def evolve(row, rule: int, steps: int) -> np.ndarray:
    """The space-time picture ``(steps + 1, width)`` of one row on a ring (row 0 = ``row``)."""
    steps = _check_int("steps", steps, 0)
    history = [np.asarray(row, dtype=np.uint8)]
    for _ in range(steps):
        history.append(step(history[-1], rule))
    return np.stack(history)


def single_cell(width: int) -> np.ndarray:
    """A row of ``width`` zeros with one 1 in the middle (Wolfram's usual start)."""
    width = _check_int("width", width, 3)
    row = np.zeros(width, dtype=np.uint8)
    row[width // 2] = 1
    return row


def centre_column(rule: int, steps: int) -> np.ndarray:
    """The centre cell at times 0..steps, from a single 1 on a row wide enough never to wrap: ``(steps + 1,)``."""
    steps = _check_int("steps", steps, 1)
    return evolve(single_cell(2 * steps + 3), rule, steps)[:, steps + 1]


def light_cone(rule: int, horizon: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random rows of ``2·horizon + 1`` cells and the centre cell ``horizon`` steps later.

    Returns ``x (n, 2·horizon + 1)`` and ``y (n,)``, both uint8 0/1. Cells are
    fair coin flips, so for rules 30 and 90 (both balanced) ``y`` is too.
    """
    horizon, n = _check_int("horizon", horizon, 1), _check_int("n", n, 1)
    x = np.random.default_rng(_check_int("seed", seed, 0)).integers(0, 2, (n, 2 * horizon + 1), dtype=np.uint8)
    return x, simulate(x, rule, horizon)


def _data_seed(rule: int, horizon: int, seed: int, test: bool) -> int:
    return 100_003 * seed + 7919 * horizon + 31 * rule + int(test)


def _sweep(rules, horizons, seeds, n_train, n_test, steps, width, batch_size, lr, progress) -> dict:
    members = [(r, h, s) for r in rules for h in horizons for s in seeds]
    n_in = 2 * max(horizons) + 1

    def stacked(n: int, test: bool) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for r, h, s in members:
            x, y = light_cone(r, h, n, seed=_data_seed(r, h, s, test))
            xs.append(np.pad(2.0 * x - 1.0, ((0, 0), (0, n_in - x.shape[1]))))  # ±1 cells, zeros = unused
            ys.append(y)
        return torch.tensor(np.stack(xs), dtype=torch.float32), torch.tensor(np.stack(ys), dtype=torch.float32)

    x_train, y_train = stacked(n_train, False)
    x_test, y_test = stacked(n_test, True)
    model = batched.BatchedMLP(n_in, width, len(members), depth=2, activation="relu",
                               seeds=[s * 1000 + i for i, (_, _, s) in enumerate(members)],
                               n_inputs=[2 * h + 1 for _, h, _ in members])
    generator = torch.Generator().manual_seed(int(seeds[0]))
    rows = torch.arange(len(members))[:, None]

    def loss(_step: int) -> torch.Tensor:
        pick = torch.randint(0, n_train, (len(members), batch_size), generator=generator)
        logits = model(x_train[rows, pick])[..., 0]
        return F.binary_cross_entropy_with_logits(logits, y_train[rows, pick], reduction="none").mean(dim=1)

    batched.train(model.parameters(), loss, steps=steps, lr=lr, progress=progress,
                  desc=f"{len(members)} learners (rules x horizons x seeds) at once")
    with torch.no_grad():
        accuracy = lambda x, y: ((model(x)[..., 0] > 0).float() == y).float().mean(dim=1).numpy()
        test_acc, train_acc = accuracy(x_test, y_test), accuracy(x_train[:, :n_test], y_train[:, :n_test])
        learned = _learned_rules(model, n_in)
    majority = np.maximum(y_test.mean(dim=1).numpy(), 1 - y_test.mean(dim=1).numpy())
    seen = [np.isin(_row_codes(x_test[m]), _row_codes(x_train[m])).mean() for m in range(len(members))]
    shape = (len(rules), len(horizons), len(seeds))
    result = {"rules": np.array(rules), "horizons": np.array(horizons), "seeds": np.array(seeds),
              "test_acc": test_acc.reshape(shape), "train_acc": train_acc.reshape(shape),
              "test_seen": np.array(seen).reshape(shape),
              "majority": majority.reshape(shape), "n_params": np.array(model.parameter_counts()).reshape(shape)}
    if 1 in horizons:  # iterate each learned one-step rule out to the farthest horizon: simulation, no shortcut
        far, one = max(horizons), horizons.index(1)
        result["learned_rule"] = learned.reshape(shape)[:, one]
        result["simulated_acc"] = np.array([[
            np.mean(simulate(light_cone(r, far, n_test, seed=_data_seed(r, far, s, True))[0], int(rule), far)
                    == light_cone(r, far, n_test, seed=_data_seed(r, far, s, True))[1])
            for s, rule in zip(seeds, row)] for r, row in zip(rules, result["learned_rule"])])
    return result


def _row_codes(x: torch.Tensor) -> np.ndarray:
    """Each ±1/0-padded row as one integer (rows of up to 63 cells), to compare row sets."""
    bits = (x > 0).long().numpy()
    return bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))


def _learned_rules(model: batched.BatchedMLP, n_in: int) -> np.ndarray:
    """Each member's answers on the 8 neighbourhoods (cells ±1 in the first three inputs), as a rule number."""
    neighbourhoods = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)], dtype=float)
    x = np.pad(2 * neighbourhoods - 1, ((0, 0), (0, n_in - 3)))
    bits = (model(torch.tensor(x, dtype=torch.float32).expand(model.members, -1, -1))[..., 0] > 0).long()
    return (bits * (2 ** torch.arange(8))).sum(dim=1).numpy()


def simulate(rows: np.ndarray, rule: int, steps: int) -> np.ndarray:
    """Run ``rule`` for ``steps`` steps on light-cone rows ``(n, 2·steps + 1)``: the centre cells ``(n,)``."""
    steps = _check_int("steps", steps, 1)
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[1] != 2 * steps + 1:
        raise ValueError(f"rows must be (n, 2·steps + 1 = {2 * steps + 1}), got shape {rows.shape}")
    for _ in range(steps):
        rows = step(rows, rule, wrap=False)
    return rows[:, 0]


def predictability(rules: Sequence[int], horizons: Sequence[int], seeds: Sequence[int], n_train: int = 20_000,
                   n_test: int = 4_000, steps: int = 1500, width: int = 128, batch_size: int = 256,
                   lr: float = 3e-3, progress: bool = True) -> dict[str, np.ndarray]:
    """How well one learner predicts the centre cell ``horizon`` steps ahead, per rule, horizon and seed (cached).

    The learner: an MLP (2 hidden ReLU layers of ``width``) reading the light
    cone as ±1 values, trained with Adam (``lr``, cosine decay) on binary
    cross-entropy for ``steps`` minibatches of ``batch_size`` drawn from its own
    ``n_train`` rows. Every rule x horizon x seed is one member of one batched
    model: same architecture, data size, steps and learning rate for all.

    Returns ``test_acc``, ``train_acc`` (on ``n_test`` training rows),
    ``majority`` (accuracy of always guessing the test set's commoner value),
    ``test_seen`` (fraction of test rows that also occur among the training
    rows) and ``n_params``, each ``(rules, horizons, seeds)``; plus ``rules``, ``horizons``,
    ``seeds``. When 1 is among the horizons, also ``learned_rule (rules, seeds)``:
    the rule number the one-step learner implements (its answers on the 8
    neighbourhoods), and ``simulated_acc (rules, seeds)``: the accuracy at the
    farthest horizon of running that learned rule step by step.
    """
    rules = [_check_rule(r) for r in batched._positive_ints("rules", rules, minimum=0)]
    if max(batched._positive_ints("horizons", horizons)) > 31:
        raise ValueError(f"horizons must be at most 31 (rows of up to 63 cells), got {max(horizons)}")
    params = {"rules": rules, "horizons": batched._positive_ints("horizons", horizons),
              "seeds": batched._positive_ints("seeds", seeds, minimum=0),
              "n_train": _check_int("n_train", n_train, 1), "n_test": _check_int("n_test", n_test, 1),
              "steps": _check_int("steps", steps, 1), "width": _check_int("width", width, 1),
              "batch_size": _check_int("batch_size", batch_size, 1), "lr": lr}
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
        raise ValueError(f"lr must be a learning rate in (0, 1), got {lr!r}")
    if params["n_test"] > params["n_train"]:
        raise ValueError(f"n_test ({n_test}) must not exceed n_train ({n_train}): train accuracy uses n_test rows")
    return memo.cached("lim-automata", params, lambda: _sweep(**params, progress=progress),
                       code=[batched, memo, sys.modules[__name__]])


def next_bit_accuracy(bits, context: int) -> float:
    """Predict each bit from the ``context`` bits before it with the best lookup table of the first half.

    bits: 0/1 sequence ``(n,)``. The table (majority next bit for each context
    pattern, ties and unseen patterns -> 0) is counted on the first half and
    scored on the second: the accuracy of the best predictor of that form.
    """
    bits = np.asarray(bits)
    context = _check_int("context", context, 1)
    if bits.ndim != 1 or not np.isin(bits, (0, 1)).all() or len(bits) < 4 * (context + 1):
        raise ValueError(f"bits must be a 1-D 0/1 sequence of at least {4 * (context + 1)} values, got shape {bits.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(bits.astype(np.int64), context + 1)
    codes = windows[:, :context] @ (1 << np.arange(context, dtype=np.int64))
    half = len(codes) // 2
    ones = np.bincount(codes[:half], weights=windows[:half, -1], minlength=2 ** context)
    seen = np.bincount(codes[:half], minlength=2 ** context)
    table = (2 * ones > seen).astype(np.int64)
    return float(np.mean(table[codes[half:]] == windows[half:, -1]))
