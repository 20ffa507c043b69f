"""int8 instead of float32: what quantization saves (bytes, time) and what it costs (quality).

- ``dynamic_int8(model)``: a copy of a torch model whose ``nn.Linear`` layers
  store int8 weights (one scale per tensor) and also quantize their *inputs*
  to int8 on the fly, one scale per input ("dynamic" quantization, Jacob et
  al. 2018; ``torch.ao.quantization``), so the multiply runs in integers.
- ``weight_only_int8(model)``: a copy whose linear layers store int8 weights
  with one scale per output row, and multiply in float: the activations are
  never rounded.
- ``input_outliers(model, run)``: for each kind of linear layer, how far its
  largest input value sticks out (max |x| / RMS). Activation outliers are what
  breaks int8 activations in LLMs (Dettmers et al. 2022, LLM.int8()).
- ``state_bytes(model)`` / ``file_bytes(path)``: size on disk.
- ``row_cosines(a, b)``: how close two encoders' vectors for the same inputs are.
- ``lm_bits_per_token(model, ids)``: held-out loss of a ``transformers`` causal
  LM in bits per token, for comparing float32 with int8 on the same tokens.

Copies share the float weights of the original until those are replaced, so
quantizing a 0.5 GB model does not need another 0.5 GB on the way.
"""

from __future__ import annotations

import copy
import io
import os
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _check_model(model) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("int8 quantization here runs on the CPU: move the model there first (model.cpu())")


def _copy_sharing_linear_weights(model: nn.Module) -> nn.Module:
    """``deepcopy(model)`` in eval mode, except that linear weights and biases are shared, not copied
    (they are about to be replaced by int8 versions)."""
    memo = {}
    for m in model.modules():
        if isinstance(m, nn.Linear):
            for p in (m.weight, m.bias):
                if p is not None:
                    memo[id(p)] = p
    return copy.deepcopy(model, memo).eval()


def dynamic_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every ``nn.Linear`` replaced by an int8 dynamically quantized one (CPU only).

    The original is left untouched. Works for the kit's models and for
    ``transformers`` models. torch marks ``torch.ao.quantization`` deprecated
    in favour of the ``torchao`` package; it still ships in the pinned torch.
    """
    _check_model(model)
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # pragma: no cover - depends on the torch version
        raise ImportError("this torch has no torch.ao.quantization.quantize_dynamic; install the kit's pinned "
                          "torch, or use the torchao package (pip install torchao)") from None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*deprecated.*")
        return quantize_dynamic(_copy_sharing_linear_weights(model), {nn.Linear}, dtype=torch.qint8, inplace=True)


class Int8WeightLinear(nn.Module):
    """A linear layer whose weight is stored as int8 ``(out, in)`` with a float32 scale per output row.

    ``forward(x) = (x @ int8_weight.T) * scale + bias``, computed in float: the
    weight costs a quarter of the memory, the input is used as it is.
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127
        self.register_buffer("weight_int8", (weight / scale[:, None]).round().clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", scale)
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight_int8.to(x.dtype)) * self.scale.to(x.dtype)
        return y if self.bias is None else y + self.bias


@torch.no_grad()
def weight_only_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose ``nn.Linear`` layers become ``Int8WeightLinear`` (int8 weights, float inputs)."""
    _check_model(model)
    copied = _copy_sharing_linear_weights(model)
    for parent in list(copied.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, name, Int8WeightLinear(child))
    return copied


@torch.no_grad()
def input_outliers(model: nn.Module, run) -> dict[str, float]:
    """Largest ``max |x| / RMS(x)`` seen at the input of each kind of linear layer while ``run()`` executes.

    Kinds are the last part of the layer name (``'q_proj'``, ``'down_proj'``,
    ``'qkv'``…). A value of ~3-5 is what Gaussian-like inputs give; hundreds mean
    a few channels dwarf the rest, and one int8 scale for the whole input
    leaves the others with almost no levels.
    """
    _check_model(model)
    if not callable(run):
        raise TypeError(f"run must be a callable that runs the model, got {type(run).__name__}")
    worst: dict[str, float] = {}

    def hook(name):
        def record(_module, inputs, _output):
            x = inputs[0].float()
            ratio = float(x.abs().max() / x.pow(2).mean().sqrt().clamp(min=1e-12))
            worst[name] = max(worst.get(name, 0.0), ratio)
        return record

    handles = [m.register_forward_hook(hook(name.rsplit(".", 1)[-1] or name))
               for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return worst


def state_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())``: the model's size on disk (tied weights stored once)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    counter = _ByteCounter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*deprecated.*")
        torch.save(model.state_dict(), counter)
    return counter.n


class _ByteCounter(io.RawIOBase):
    """A write-only file that only counts the bytes written to it (sizes without holding a copy in memory)."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.n += len(data)
        return len(data)


def file_bytes(path) -> int:
    """Size of a file, or of all files under a folder, in bytes."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a path, got {type(path).__name__}")
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    raise FileNotFoundError(f"no file or folder at {path}")


def row_cosines(a, b) -> np.ndarray:
    """Cosine similarity of row i of ``a`` with row i of ``b``, ``(n,)``: same inputs, two encoders."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape or len(a) == 0:
        raise ValueError(f"a and b must be non-empty (n, d) arrays of the same shape, got {a.shape} and {b.shape}")
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise ValueError("a and b must have finite, non-zero rows (a zero vector has no direction)")
    return (a * b).sum(axis=1) / norms


@torch.no_grad()
def lm_bits_per_token(model: nn.Module, ids, window: int = 256) -> float:
    """Mean loss in bits per predicted token of a ``transformers`` causal LM on token ``ids``.

    ids: 1-D token ids (a list, array or tensor) of held-out text, cut into
    consecutive windows of ``window`` tokens; every token but the first of each
    window is predicted. Compare two models on the same ids (e.g. fp32 vs int8).
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ValueError(f"window must be an int >= 2, got {window!r}")
    if ids.ndim != 1 or len(ids) < window:
        raise ValueError(f"ids must be 1-D with at least window = {window} tokens, got shape {tuple(ids.shape)}")
    n = len(ids) // window * window
    windows = ids[:n].reshape(-1, window)
    total, count = 0.0, 0
    for row in windows:
        logits = model(input_ids=row[None], use_cache=False).logits[0, :-1].float()
        total += float(nn.functional.cross_entropy(logits, row[1:], reduction="sum"))
        count += window - 1
    return total / count / float(np.log(2))
