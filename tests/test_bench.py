"""Timers, FLOP counts and slopes of nbkit.bench."""

import math

import pytest
import torch

from nbkit import bench, models


def test_time_call_returns_median_seconds():
    calls = []
    seconds = bench.time_call(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and 0 <= seconds < 0.1
    with pytest.raises(TypeError, match="callable"):
        bench.time_call(3)
    with pytest.raises(ValueError, match="repeats"):
        bench.time_call(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="warmup"):
        bench.time_call(lambda: None, warmup=-1)


@pytest.mark.parametrize("kind", models.KINDS)
def test_time_step_runs_forward_backward(kind):
    model = models.build_model(kind=kind, vocab=16, d_model=8, n_layers=1, n_heads=2, context=12)
    seconds = bench.time_step(model, 2, 12, repeats=2)
    assert 0 < seconds < 5
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="seq_len"):
        bench.time_step(model, 2, 0)


def test_time_step_bad_input():
    gpt = models.build_model(kind="gpt", vocab=16, d_model=8, n_heads=2, context=12)
    with pytest.raises(ValueError, match="exceeds the model's context"):
        bench.time_step(gpt, 2, 13)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        bench.time_step("gpt", 2, 4)
    with pytest.raises(TypeError, match="kit model"):
        bench.time_step(torch.nn.Linear(2, 2), 2, 4)


def test_time_forward():
    assert bench.time_forward(torch.nn.Linear(4, 4), torch.zeros(2, 4), repeats=2) >= 0
    with pytest.raises(TypeError, match="module"):
        bench.time_forward(len, torch.zeros(2))
    with pytest.raises(TypeError, match="x must be"):
        bench.time_forward(torch.nn.Linear(4, 4), [0.0] * 4)


def test_matmul_flops_per_second():
    assert bench.matmul_flops_per_second(64, repeats=2) > 1e6
    with pytest.raises(ValueError, match="n must be"):
        bench.matmul_flops_per_second(4)
    with pytest.raises(TypeError, match="dtype"):
        bench.matmul_flops_per_second(64, dtype=torch.int32)


def test_gpt_matmul_count_matches_six_n_d():
    cfg = models.ModelConfig(kind="gpt", vocab=256, d_model=64, n_layers=2, n_heads=4, context=64)
    shapes = bench.gpt_matmul_shapes(cfg, 4, 64)
    flops = bench.matmul_flops(shapes)
    tokens = 4 * 64
    n_matmul = 2 * 12 * 64 * 64 + 64 * 256  # weights that take part in a matrix multiply
    attention = 12 * 2 * 64 * 64  # 12·L·T·d FLOPs per token (scores and mix, fwd + bwd, no causal saving)
    assert flops == pytest.approx((6 * n_matmul + attention) * tokens, rel=1e-9)
    assert bench.time_matmuls(shapes[:3], repeats=2) > 0
    with pytest.raises(TypeError, match="kind='gpt'"):
        bench.gpt_matmul_shapes(models.ModelConfig(kind="lstm"), 4, 64)
    with pytest.raises(ValueError, match="batch"):
        bench.gpt_matmul_shapes(cfg, 0, 64)
    with pytest.raises(ValueError, match="4 positive ints"):
        bench.matmul_flops([(1, 2, 3)])


def test_loglog_slope():
    x = [128, 256, 512, 1024]
    assert bench.loglog_slope(x, [v**2 * 3 for v in x]) == pytest.approx(2.0)
    assert bench.loglog_slope(x, [5 * v for v in x]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same length"):
        bench.loglog_slope([1, 2], [1])
    with pytest.raises(ValueError, match="positive"):
        bench.loglog_slope([1, 2], [0, 1])
    with pytest.raises(ValueError, match="two different"):
        bench.loglog_slope([2, 2], [1, 3])


def test_sequential_steps_and_scores_bytes():
    lstm = models.build_model(kind="lstm", d_model=8, n_layers=2)
    gpt = models.build_model(kind="gpt", d_model=8, n_heads=2, n_layers=2)
    assert bench.sequential_steps(lstm, 100) == 200
    assert bench.sequential_steps(gpt, 100) == 2
    with pytest.raises(TypeError, match="kit model"):
        bench.sequential_steps(torch.nn.Linear(2, 2), 10)
    with pytest.raises(ValueError, match="seq_len"):
        bench.sequential_steps(gpt, 0)
    assert bench.scores_bytes(1024) == 4 * 1024**2
    assert bench.scores_bytes(8, n_heads=2, batch=3, dtype=torch.float16) == 3 * 2 * 64 * 2
    with pytest.raises(ValueError, match="n_heads"):
        bench.scores_bytes(8, n_heads=0)
    with pytest.raises(TypeError, match="dtype"):
        bench.scores_bytes(8, dtype="fp32")


def test_flops_per_second():
    assert bench.flops_per_second(1e9, 0.5) == 2e9
    with pytest.raises(ValueError, match="positive"):
        bench.flops_per_second(1e9, 0)
    assert math.isfinite(bench.flops_per_second(1.0, 1.0))
