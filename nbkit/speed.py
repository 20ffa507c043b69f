"""Generation speed and the memory of the context: tokens per second, with and without a KV cache.

Timing on a shared machine: ``interleaved_timings`` runs several candidates in
rounds (every candidate once per round, the order rotated each round) and
keeps the **minimum** per candidate. Other jobs only ever add time, so the
minimum is the best estimate of what the code itself costs, and interleaving
spreads any slow spell over all candidates instead of penalising one.

Generation (``greedy_decode``) works on the kit's ``GPT`` and on a
``transformers`` causal LM (``nbkit.llm``'s SmolLM2): read the prompt
(prefill), then add ``n_new`` tokens one at a time, greedily. With a KV
cache each new token is one position of work; without it, every step re-reads
the whole sequence. The time returned covers the new tokens only, so
``n_new / seconds`` is the decode speed in tokens per second.

Memory: the KV cache holds 2 (keys and values) x layers x KV heads x head
size numbers per token (``kv_cache_bytes``): it grows linearly with the
context, which is what makes the context window the "RAM" of the LLM.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Timing:
    """Seconds of one candidate over the repeats: ``best`` (minimum), ``median`` and all ``times``."""

    best: float
    median: float
    times: tuple[float, ...]


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value


def interleaved_timings(candidates: Mapping[str, Callable[[], object]], repeats: int = 5, warmup: int = 1,
                        self_timed: bool = False) -> dict[str, Timing]:
    """Time every candidate ``repeats`` times, interleaved, after ``warmup`` untimed rounds.

    candidates: name (any hashable) -> a callable with no arguments; its result is ignored,
    unless ``self_timed``: then each callable returns its own measured seconds (e.g. the
    decode phase without the set-up before it), and that number is used.
    Round r runs the candidates in an order rotated by r. Returns name -> ``Timing``.
    """
    if not isinstance(candidates, Mapping) or not candidates:
        raise ValueError("candidates must be a non-empty dict: name -> callable")
    for name, fn in candidates.items():
        if not callable(fn):
            raise TypeError(f"candidates[{name!r}] must be callable, got {type(fn).__name__}")
    repeats, warmup = _check_int("repeats", repeats, 1), _check_int("warmup", warmup, 0)
    if not isinstance(self_timed, bool):
        raise TypeError(f"self_timed must be True or False, got {self_timed!r}")
    names = list(candidates)
    times: dict[object, list[float]] = {n: [] for n in names}
    for r in range(warmup + repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            own = candidates[name]()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            if self_timed:
                if isinstance(own, bool) or not isinstance(own, (int, float)) or not own >= 0:
                    raise ValueError(f"candidates[{name!r}] returned {own!r}; with self_timed=True each must "
                                     "return its seconds (>= 0)")
                elapsed = float(own)
            if r >= warmup:
                times[name].append(elapsed)
    return {n: Timing(min(t), statistics.median(t), tuple(t)) for n, t in times.items()}


def release_memory() -> float:
    """Collect garbage and hand freed heap memory back to the operating system; returns resident MiB.

    glibc keeps freed blocks for reuse, so a process that has dropped a big model
    still *looks* big (and counts against a Binder or CI memory limit) until
    ``malloc_trim`` returns them. Elsewhere (macOS, musl) only the collection runs.
    """
    import ctypes
    import ctypes.util
    import gc

    import psutil

    gc.collect()
    libc = ctypes.util.find_library("c")
    if libc:
        try:
            ctypes.CDLL(libc).malloc_trim(0)
        except (OSError, AttributeError):
            pass
    return psutil.Process().memory_info().rss / 2**20


def machine() -> str:
    """This machine in one line: CPU model (or GPU), cores, and torch's thread count."""
    import os
    import platform

    if torch.cuda.is_available():
        return f"GPU {torch.cuda.get_device_name(0)}"
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    return f"CPU {model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch thread(s)"


def tokens_per_second(n_tokens: int, seconds: float) -> float:
    """``n_tokens / seconds``, checked: tokens >= 1 and a duration > 0."""
    n_tokens = _check_int("n_tokens", n_tokens, 1)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
            or seconds <= 0:
        raise ValueError(f"seconds must be a duration > 0, got {seconds!r}")
    return n_tokens / seconds


def _is_kit_gpt(model: nn.Module) -> bool:
    return callable(getattr(model, "new_cache", None))


def _next_logits(model: nn.Module, ids: torch.Tensor, past):
    """Logits ``(batch, vocab)`` for the position after ``ids`` and the updated cache.

    past: None (no cache: ``ids`` is the whole sequence), or the cache of the
    tokens before ``ids`` (``'new'`` starts one).
    """
    if past is None:
        out = model(ids) if _is_kit_gpt(model) else model(input_ids=ids, use_cache=False).logits
        return out[:, -1], None
    if _is_kit_gpt(model):
        past = model.new_cache() if isinstance(past, str) else past
        return model(ids, cache=past)[:, -1], past
    out = model(input_ids=ids, cache=None if isinstance(past, str) else past, use_cache=True)
    return out.logits[:, -1], out.cache


@torch.no_grad()
def greedy_decode(model: nn.Module, prompt: torch.Tensor, n_new: int, cache: bool = True) -> tuple[torch.Tensor, float]:
    """Read ``prompt`` ``(1, P)`` int64, then add ``n_new`` tokens greedily (the most likely each time).

    model: the kit's ``GPT`` or a ``transformers`` causal LM. cache: keep the
    keys and values of tokens already read (True) or re-read the whole
    sequence at every step (False). Returns ``(new ids (n_new,), seconds)``
    where seconds is the time spent after the prompt was read and the first
    new token chosen: ``n_new - 1`` decode steps.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (kit GPT or transformers LM), got {type(model).__name__}")
    if not isinstance(prompt, torch.Tensor) or prompt.ndim != 2 or prompt.shape[0] != 1 or prompt.shape[1] < 1:
        raise ValueError("prompt must be a tensor of token ids of shape (1, P) with P >= 1")
    n_new = _check_int("n_new", n_new, 2)
    if not isinstance(cache, bool):
        raise TypeError(f"cache must be True or False, got {cache!r}")
    limit = getattr(model, "context_length", None)
    if limit is not None and getattr(model, "pos", None) is not None and prompt.shape[1] + n_new > limit:
        raise ValueError(f"prompt ({prompt.shape[1]}) + n_new ({n_new}) exceeds the model's context of {limit}")
    model.eval()
    device = next(model.parameters()).device
    ids = prompt.to(device)
    logits, past = _next_logits(model, ids, "new" if cache else None)
    new = [logits.argmax(-1, keepdim=True)]
    start = time.perf_counter()
    for _ in range(n_new - 1):
        if cache:
            logits, past = _next_logits(model, new[-1], past)
        else:
            logits, _ = _next_logits(model, torch.cat([ids, *new], dim=1), None)
        new.append(logits.argmax(-1, keepdim=True))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return torch.cat(new, dim=1)[0], time.perf_counter() - start


def decode_speed(model: nn.Module, prompt_len: int, n_new: int = 16, cache: bool = True, repeats: int = 3,
                 vocab: int | None = None) -> float:
    """Tokens per second of greedy decoding after a random prompt of ``prompt_len`` tokens (best of ``repeats``).

    vocab: token ids are drawn from ``0..vocab-1`` (default: the model's
    ``cfg.vocab`` or ``config.vocab_size``). Speed does not depend on the
    weights' values, so untrained models time the same as trained ones.
    """
    prompt_len = _check_int("prompt_len", prompt_len, 1)
    vocab = vocab or getattr(getattr(model, "cfg", None), "vocab", None) or model.config.vocab_size
    prompt = torch.randint(0, vocab, (1, prompt_len), generator=torch.Generator().manual_seed(prompt_len))
    timing = interleaved_timings({"decode": lambda: greedy_decode(model, prompt, n_new, cache)[1]},
                                 repeats=repeats, warmup=1, self_timed=True)
    return tokens_per_second(n_new - 1, timing["decode"].best)


def kv_cache_bytes(n_layers: int, n_kv_heads: int, head_dim: int, tokens: int, bytes_per_value: int = 4,
                   batch: int = 1) -> int:
    """Bytes of a KV cache: ``2 x n_layers x n_kv_heads x head_dim x tokens x batch x bytes_per_value``.

    bytes_per_value: 4 for float32, 2 for float16/bfloat16, 1 for int8.
    """
    for name, value in (("n_layers", n_layers), ("n_kv_heads", n_kv_heads), ("head_dim", head_dim),
                        ("tokens", tokens), ("bytes_per_value", bytes_per_value), ("batch", batch)):
        _check_int(name, value, 1)
    return 2 * n_layers * n_kv_heads * head_dim * tokens * batch * bytes_per_value


def cache_nbytes(past) -> int:
    """Measured bytes of a cache returned by ``greedy_decode``'s models: a kit ``KVCache`` or a
    ``transformers`` cache (its per-layer ``keys`` and ``values``)."""
    if callable(getattr(past, "nbytes", None)):
        return int(past.nbytes())
    layers = getattr(past, "layers", None)
    if layers is None:
        raise TypeError(f"past must be a KVCache or a transformers Cache, got {type(past).__name__}")
    return int(sum(t.numel() * t.element_size() for layer in layers for t in (layer.keys, layer.values)
                   if isinstance(t, torch.Tensor)))


@torch.no_grad()
def filled_cache(model: nn.Module, tokens: int, vocab: int | None = None):
    """The KV cache of ``model`` after reading ``tokens`` random tokens (to measure its size)."""
    tokens = _check_int("tokens", tokens, 1)
    vocab = vocab or getattr(getattr(model, "cfg", None), "vocab", None) or model.config.vocab_size
    ids = torch.randint(0, vocab, (1, tokens), generator=torch.Generator().manual_seed(0))
    return _next_logits(model.eval(), ids.to(next(model.parameters()).device), "new")[1]
