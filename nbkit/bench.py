"""Timing on this machine: training steps, forwards, matrix multiplies, and the FLOPs they do.

Every timer returns the MEDIAN of several runs after a warm-up, in seconds: on
a shared laptop or CI box single runs jump around, the median does not.

- ``time_call(fn)``: any callable.
- ``time_step(model, batch, seq_len)``: one training step (forward + backward) of a kit model.
- ``time_forward(module, x)``: one forward pass without gradients.
- ``matmul_flops_per_second(n)``: what this machine's matrix multiply reaches (the peak we compare to).
- ``gpt_matmul_shapes(cfg, batch, seq_len)`` / ``matmul_flops`` / ``time_matmuls``: the matrix
  multiplies inside one GPT training step, counted and timed on their own.
- ``loglog_slope(x, y)``: the exponent p of y ∝ x^p (2 for a cost that grows with the square).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .data import IGNORE


def _check_repeats(repeats: int, warmup: int) -> None:
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")


def time_call(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs, after ``warmup`` untimed runs."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    _check_repeats(repeats, warmup)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _vocab_of(model: nn.Module) -> int:
    cfg = getattr(model, "cfg", None)
    if cfg is None or not hasattr(cfg, "vocab"):
        raise TypeError(f"model must be a kit model with a .cfg (GPT, RNNLM), got {type(model).__name__}")
    return cfg.vocab


def time_step(model: nn.Module, batch: int, seq_len: int, repeats: int = 5, warmup: int = 1) -> float:
    """Median seconds of one training step (forward, cross-entropy, backward) on random ids.

    model: a kit model (``GPT`` or ``RNNLM``); batch, seq_len: the ids' shape
    ``(batch, seq_len)``. No optimizer update (it costs the same for every
    architecture of equal size). Gradients are cleared afterwards.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for name, value in (("batch", batch), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    vocab = _vocab_of(model)
    if seq_len > model.context_length and getattr(model, "pos", None) is not None:
        raise ValueError(f"seq_len {seq_len} exceeds the model's context {model.context_length}; "
                         "build the model with a longer context")
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, vocab, (batch, seq_len), generator=gen).to(device)
    y = torch.randint(0, vocab, (batch, seq_len), generator=gen).to(device)
    model.train()

    def step() -> None:
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1), ignore_index=IGNORE)
        loss.backward()

    seconds = time_call(step, repeats, warmup)
    model.zero_grad(set_to_none=True)
    model.eval()
    return seconds


def time_forward(module: nn.Module, x: torch.Tensor, repeats: int = 5, warmup: int = 1) -> float:
    """Median seconds of ``module(x)`` without gradients (inference)."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")

    @torch.no_grad()
    def forward() -> None:
        module(x)

    return time_call(forward, repeats, warmup)


def matmul_flops_per_second(n: int = 1024, dtype: torch.dtype = torch.float32, repeats: int = 5,
                            device=None) -> float:
    """Achieved FLOP/s of an ``n x n`` by ``n x n`` matrix multiply (2·n³ FLOPs), median of ``repeats``.

    A practical peak for this machine, its thread setting and ``dtype``: the
    yardstick for how well a model's training step uses the hardware.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 16:
        raise ValueError(f"n must be an int >= 16, got {n!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
    seconds = time_call(lambda: a @ b, repeats, warmup=2)
    return 2.0 * n**3 / seconds


def gpt_matmul_shapes(cfg, batch: int, seq_len: int) -> list[tuple[int, int, int, int]]:
    """The matrix multiplies of one GPT training step (forward and backward) as
    ``(count, m, k, n)``: ``count`` independent ``(m x k) @ (k x n)`` products.

    Linear layers on ``R = batch·seq_len`` rows: forward ``R x d_in @ d_in x d_out``;
    backward one product for the input gradient and one for the weight gradient.
    Attention per head: scores ``T x dh @ dh x T`` and mix ``T x T @ T x dh`` forward,
    two products each backward. The tied output head (``d -> vocab``) is included;
    embedding look-ups are not multiplies.
    """
    from .models import ModelConfig

    if not isinstance(cfg, ModelConfig) or cfg.kind != "gpt":
        raise TypeError("cfg must be a ModelConfig with kind='gpt'")
    for name, value in (("batch", batch), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    rows, d, t = batch * seq_len, cfg.d_model, seq_len
    dh, heads = d // cfg.n_heads, batch * cfg.n_heads
    shapes = []

    def linear(d_in: int, d_out: int) -> None:
        shapes.append((1, rows, d_in, d_out))   # forward
        shapes.append((1, rows, d_out, d_in))   # gradient of the input
        shapes.append((1, d_out, rows, d_in))   # gradient of the weight

    for _ in range(cfg.n_layers):
        linear(d, 3 * d)
        shapes += [(heads, t, dh, t), (heads, t, t, dh)]                       # scores, mix (forward)
        shapes += [(heads, t, dh, t), (heads, t, t, dh), (heads, t, t, dh), (heads, t, t, dh)]  # backward
        linear(d, d)
        linear(d, 4 * d)
        linear(4 * d, d)
    linear(d, cfg.vocab)
    return shapes


def matmul_flops(shapes: Sequence[tuple[int, int, int, int]]) -> float:
    """Total FLOPs of ``(count, m, k, n)`` products: ``sum 2·count·m·k·n``."""
    total = 0.0
    for shape in shapes:
        if len(shape) != 4 or any(not isinstance(v, (int, np.integer)) or v < 1 for v in shape):
            raise ValueError(f"each shape must be 4 positive ints (count, m, k, n), got {shape!r}")
        c, m, k, n = shape
        total += 2.0 * c * m * k * n
    return total


def time_matmuls(shapes: Sequence[tuple[int, int, int, int]], repeats: int = 5, device=None) -> float:
    """Median seconds to run all the products in ``shapes`` once, on random fp32 matrices.

    What the training step would cost if everything but its matrix multiplies were free.
    """
    matmul_flops(shapes)  # validates
    gen = torch.Generator().manual_seed(0)
    operands = []
    for c, m, k, n in shapes:
        a = torch.randn(c, m, k, generator=gen).to(device) if c > 1 else torch.randn(m, k, generator=gen).to(device)
        b = torch.randn(c, k, n, generator=gen).to(device) if c > 1 else torch.randn(k, n, generator=gen).to(device)
        operands.append((a, b))

    def run() -> None:
        for a, b in operands:
            torch.matmul(a, b)

    return time_call(run, repeats, warmup=1)


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """The exponent ``p`` of ``y ≈ a·x^p``: least-squares slope of log y against log x.

    p ≈ 1: the cost doubles when the length doubles; p ≈ 2: it quadruples.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got shapes {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite and positive (they are put on log axes)")
    if np.ptp(np.log(x)) == 0:
        raise ValueError("x must hold at least two different values")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def sequential_steps(model: nn.Module, seq_len: int) -> int:
    """How many steps must run one after another to process ``seq_len`` tokens (forward).

    A recurrent layer needs ``seq_len`` steps (h_t waits for h_{t-1}); an
    attention layer handles all positions at once: 1 step. Times the number
    of layers. The longest chain of dependent operations, not the work done.
    """
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"seq_len must be an int >= 1, got {seq_len!r}")
    cfg = getattr(model, "cfg", None)
    if cfg is None or not hasattr(cfg, "kind"):
        raise TypeError(f"model must be a kit model with a .cfg (GPT, RNNLM), got {type(model).__name__}")
    return cfg.n_layers * (1 if cfg.kind == "gpt" else seq_len)


def scores_bytes(seq_len: int, n_heads: int = 1, batch: int = 1, dtype: torch.dtype = torch.float32) -> int:
    """Memory of the attention score matrices, ``batch·n_heads·seq_len²`` numbers of ``dtype``.

    A plain attention layer materialises them (and keeps them for the backward
    pass); fused 'flash' kernels avoid storing them but still do the T² work.
    """
    for name, value in (("seq_len", seq_len), ("n_heads", n_heads), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    return batch * n_heads * seq_len * seq_len * torch.empty((), dtype=dtype).element_size()


def flops_per_second(flops: float, seconds: float) -> float:
    """FLOPs divided by seconds, checked (both must be positive)."""
    if not (flops > 0 and seconds > 0 and math.isfinite(flops) and math.isfinite(seconds)):
        raise ValueError(f"flops and seconds must be positive and finite, got {flops}, {seconds}")
    return flops / seconds
