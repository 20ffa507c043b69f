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
from collections.abc import Callable, Hashable, Mapping, Sequence

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


# ---------------------------------------------------------------- timing that survives a busy machine
def interleaved_min(calls: Mapping[Hashable, Callable[[], object]], repeats: int = 5, warmup: int = 1,
                    clock: str = "auto") -> dict:
    """The MINIMUM time (seconds) of each call over ``repeats`` rounds; each round runs every call once.

    calls: name -> callable (e.g. one per context length). clock: ``'cpu'``
    measures the CPU time this process spent (``time.process_time``): the work
    done, which does not grow while the process waits for a core that another
    program holds; ``'wall'`` measures elapsed time; ``'auto'`` is ``'wall'`` on
    a GPU (its work is not CPU time) and ``'cpu'`` otherwise. On a busy CPU a
    long call is always interrupted, so wall time inflates long calls more than
    short ones and tilts a fitted slope; CPU time does not. The minimum over
    repeats drops the runs disturbed most (cache pollution, interrupts), and
    interleaving spreads a burst of load over all calls. Returns
    ``{name: seconds}`` in the order given.
    """
    if not isinstance(calls, Mapping) or not calls or not all(callable(f) for f in calls.values()):
        raise TypeError("calls must be a non-empty mapping of name -> callable")
    _check_repeats(repeats, warmup)
    if clock not in ("auto", "cpu", "wall"):
        raise ValueError(f"clock must be 'auto', 'cpu' or 'wall', got {clock!r}")
    on_gpu = torch.cuda.is_available()
    now = time.perf_counter if clock == "wall" or (clock == "auto" and on_gpu) else time.process_time
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    best = {name: math.inf for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            start = now()
            fn()
            if on_gpu:
                torch.cuda.synchronize()
            best[name] = min(best[name], now() - start)
    return best


def _check_lengths(lengths, name: str = "lengths") -> list[int]:
    values = list(lengths) if isinstance(lengths, (list, tuple, range)) else None
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ValueError(f"{name} must be a non-empty list of ints >= 1, got {lengths!r}")
    return values


def _next_token_call(model: nn.Module, length: int, batch: int) -> Callable[[], object]:
    """A callable that reads ONE new token after ``length`` tokens already read (cache or state kept)."""
    from .models import GPT

    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(length)
    ids = torch.randint(0, model.cfg.vocab, (batch, length + 1), generator=gen).to(device)
    with torch.no_grad():
        if isinstance(model, GPT):
            cache = model.new_cache()
            model(ids[:, :length], cache=cache)
            kept = list(cache.layers)

            def step() -> None:
                with torch.no_grad():
                    model(ids[:, length:], cache=cache)
                cache.layers[:] = kept  # drop the new token again: every call sees `length` cached tokens
        else:
            _, state = model.rnn(model.tok(ids[:, :length]))

            def step() -> None:
                with torch.no_grad():
                    out, _ = model.rnn(model.tok(ids[:, length:]), state)
                    model.head(out)
    return step


def next_token_seconds(model: nn.Module, lengths: Sequence[int], repeats: int = 7, batch: int = 1) -> dict[int, float]:
    """Time to generate one more token after ``length`` tokens of context, for each length (seconds).

    model: a kit ``GPT`` (reads the new token against its ``KVCache`` of the
    earlier ones; its ``context`` must exceed the longest length) or ``RNNLM``
    (carries its recurrent state: the context is summarised in a fixed-size
    vector). Minimum over interleaved repeats (``interleaved_min``). Returns
    ``{length: seconds}``.
    """
    cfg = getattr(model, "cfg", None)
    if cfg is None or not hasattr(cfg, "kind"):
        raise TypeError(f"model must be a kit model (GPT or RNNLM), got {type(model).__name__}")
    lengths = _check_lengths(lengths)
    if cfg.kind == "gpt" and cfg.positions and max(lengths) >= cfg.context:
        raise ValueError(f"the longest length {max(lengths)} must be below the GPT's context {cfg.context}")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an int >= 1, got {batch!r}")
    model.eval()
    return interleaved_min({n: _next_token_call(model, n, batch) for n in lengths}, repeats)


def _width_and_layers(cfg) -> tuple[int, int]:
    from .models import ModelConfig

    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a nbkit.models.ModelConfig, got {type(cfg).__name__}")
    return cfg.d_model, cfg.n_layers


def next_token_flops(cfg, length: int) -> float:
    """Multiply-adds x 2 to generate one token after ``length`` tokens of context (batch 1).

    GPT with a KV cache, per layer: projections and MLP ``24·d²`` plus reading the
    cache ``4·d·(length + 1)`` (scores and mixing). LSTM per layer ``16·d²``, RNN
    ``4·d²``, whatever the length. Plus the output head ``2·d·vocab``.
    """
    d, layers = _width_and_layers(cfg)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be an int >= 0, got {length!r}")
    if cfg.kind == "gpt":
        per_layer = 24 * d * d + 4 * d * (length + 1)
    else:
        per_layer = (16 if cfg.kind == "lstm" else 4) * d * d
    return float(layers * per_layer + 2 * d * cfg.vocab)


def inference_state_bytes(cfg, length: int, batch: int = 1, dtype: torch.dtype = torch.float32) -> int:
    """Memory a model carries between generated tokens after ``length`` tokens of context.

    GPT: its KV cache, ``2·n_layers·batch·length·d_model`` numbers (grows with the
    context). LSTM: ``h`` and ``c`` per layer, ``2·n_layers·batch·d_model``; RNN: ``h``
    (fixed, whatever the length). Bytes of ``dtype``.
    """
    d, layers = _width_and_layers(cfg)
    for name, value in (("length", length), ("batch", batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    per_layer = 2 * length * d if cfg.kind == "gpt" else (2 if cfg.kind == "lstm" else 1) * d
    return layers * batch * per_layer * torch.empty((), dtype=dtype).element_size()


def forward_seconds(module: nn.Module, lengths: Sequence[int], width: int, repeats: int = 7) -> dict[int, float]:
    """Forward time (no gradients) of ``module`` on one random sequence ``(1, T, width)`` for each T.

    For a layer that maps ``(batch, T, width)`` to the same shape (an attention
    layer, ``nn.LSTM(batch_first=True)``). Minimum over interleaved repeats;
    returns ``{T: seconds}``.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    lengths = _check_lengths(lengths)
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be an int >= 1, got {width!r}")
    device = next(module.parameters()).device
    gen = torch.Generator().manual_seed(0)
    inputs = {t: torch.randn(1, t, width, generator=gen).to(device) for t in lengths}
    module.eval()

    def call(x):
        def run() -> None:
            with torch.no_grad():
                module(x)
        return run

    return interleaved_min({t: call(x) for t, x in inputs.items()}, repeats)


def attention_seconds(lengths: Sequence[int], d_model: int = 64, n_heads: int = 4,
                      repeats: int = 7) -> dict[int, float]:
    """Time of causal attention's scores and mixing alone (``scaled_dot_product_attention`` on random
    queries, keys and values ``(1, n_heads, T, d_model // n_heads)``) for each T: the part whose work
    is ``4·T²·d_model`` FLOPs. Minimum over interleaved repeats; returns ``{T: seconds}``."""
    lengths = _check_lengths(lengths)
    for name, value in (("d_model", d_model), ("n_heads", n_heads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    gen = torch.Generator().manual_seed(0)

    def call(t):
        q, k, v = torch.randn(3, 1, n_heads, t, d_model // n_heads, generator=gen).unbind(0)

        def run() -> None:
            with torch.no_grad():
                nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return run

    return interleaved_min({t: call(t) for t in lengths}, repeats)


def slope_of(seconds: Mapping[int, float], last: int = 3) -> float:
    """``loglog_slope`` of ``{length: seconds}`` over its ``last`` longest lengths."""
    if not isinstance(seconds, Mapping) or len(seconds) < 2:
        raise ValueError("seconds must map at least two lengths to times")
    if isinstance(last, bool) or not isinstance(last, int) or last < 2:
        raise ValueError(f"last must be an int >= 2, got {last!r}")
    lengths = sorted(seconds)[-last:]
    return loglog_slope(lengths, [seconds[t] for t in lengths])


def step_seconds(model: nn.Module, batch: int, lengths: Sequence[int], repeats: int = 3) -> dict[int, float]:
    """One training step (forward, cross-entropy, backward) of a kit model on random ids ``(batch, T)``,
    for each T: ``time_step``, but the minimum over interleaved repeats (``interleaved_min``).
    Returns ``{T: seconds}``; gradients are cleared afterwards."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    lengths = _check_lengths(lengths)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an int >= 1, got {batch!r}")
    vocab = _vocab_of(model)
    if max(lengths) > model.context_length and getattr(model, "pos", None) is not None:
        raise ValueError(f"the longest length {max(lengths)} exceeds the model's context {model.context_length}")
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(0)
    model.train()

    def call(t):
        x = torch.randint(0, vocab, (batch, t), generator=gen).to(device)

        def step() -> None:
            loss = nn.functional.cross_entropy(model(x).reshape(-1, vocab), x.reshape(-1))
            loss.backward()
        return step

    seconds = interleaved_min({t: call(t) for t in lengths}, repeats)
    model.zero_grad(set_to_none=True)
    model.eval()
    return seconds
