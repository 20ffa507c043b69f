"""Many small, independent networks trained at once as one batched model.

Notebook 08 fits dozens of tiny networks (several widths x learning rates x
seeds). Each is too small to keep a CPU busy, so the kit stacks them: every
weight gets a leading *member* dimension ``M`` and a layer is one batched
matrix multiply (``torch.baddbmm``). Members never interact: member m's loss
depends only on member m's weights, so the gradient of the summed loss is each
member's own gradient, and Adam (applied per element) updates each member as
if it were trained alone.

- ``BatchedMLP(n_in, width, members, seeds=...)``: M MLPs of one shape,
  each initialised like ``torch.nn.Linear`` from its own seed.
  ``forward(x (M, B, n_in)) -> (M, B, n_out)``.
- ``train(params, member_loss, steps, lr)``: Adam with a per-member learning
  rate and a cosine decay; ``member_loss(step)`` returns the ``(M,)`` losses.

``nbkit.ensemble`` does the same for the kit's GPTs and RNNs; this module is
for the feed-forward toys (function fitting, cellular automata, digits).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sin": torch.sin,
}


def _positive_ints(name: str, values, minimum: int = 1) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of ints >= {minimum}, got {values!r}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise ValueError(f"{name} must hold ints >= {minimum}, got {v!r}")
        out.append(int(v))
    return out


def linear_init(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> torch.Tensor:
    """``torch.nn.Linear``'s default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


class BatchedMLP(nn.Module):
    """M independent MLPs of one shape, evaluated together.

    n_in: input features; width: hidden units per layer; members: M.
    n_out: outputs per example. depth: hidden layers (>= 1). activation:
    ``"tanh"``, ``"relu"`` or ``"sin"``. seeds: one init seed per member
    (default 0..M-1), so a member's starting weights do not depend on its
    neighbours. n_inputs: how many of the ``n_in`` inputs member m really uses
    (default all); the rest are masked to zero and not counted in its fan-in,
    e.g. when members read windows of different lengths padded to one width.

    ``forward(x)``: x ``(M, B, n_in)`` float -> ``(M, B, n_out)``.
    """

    def __init__(self, n_in: int, width: int, members: int, n_out: int = 1, depth: int = 1,
                 activation: str = "tanh", seeds: Sequence[int] | None = None,
                 n_inputs: Sequence[int] | None = None):
        super().__init__()
        n_in, width, members, n_out, depth = (
            _positive_ints(name, [v])[0] for name, v in
            (("n_in", n_in), ("width", width), ("members", members), ("n_out", n_out), ("depth", depth)))
        seeds = list(range(members)) if seeds is None else _positive_ints("seeds", seeds, minimum=0)
        n_inputs = [n_in] * members if n_inputs is None else _positive_ints("n_inputs", n_inputs)
        if len(seeds) != members or len(n_inputs) != members:
            raise ValueError(f"seeds and n_inputs need one entry per member ({members}), "
                             f"got {len(seeds)} and {len(n_inputs)}")
        if max(n_inputs) > n_in:
            raise ValueError(f"n_inputs must be <= n_in = {n_in}, got {max(n_inputs)}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.activation, self.width, self.depth, self.n_inputs = activation, width, depth, n_inputs
        dims = [n_in] + [width] * depth + [n_out]
        weights = [torch.zeros(members, a, b) for a, b in itertools.pairwise(dims)]
        biases = [torch.zeros(members, 1, b) for b in dims[1:]]
        for m, (seed, k_m) in enumerate(zip(seeds, n_inputs)):
            g = torch.Generator().manual_seed(seed)
            fan_ins = [k_m] + [width] * depth
            for layer, (fan_in, b) in enumerate(zip(fan_ins, dims[1:])):
                weights[layer][m, :fan_in] = linear_init((fan_in, b), fan_in, g)
                biases[layer][m, 0] = linear_init((b,), fan_in, g)
        self.weights = nn.ParameterList(weights)
        self.biases = nn.ParameterList(biases)
        feature = torch.arange(n_in)
        self.register_buffer("input_mask", (feature[None, :] < torch.tensor(n_inputs)[:, None]).float()[:, None, :])

    @property
    def members(self) -> int:
        """M, the number of stacked networks."""
        return len(self.n_inputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_in = self.weights[0].shape[1]
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[0] != self.members or x.shape[2] != n_in:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor (members={self.members}, batch, n_in={n_in}), got {shape}")
        h = x * self.input_mask
        act = ACTIVATIONS[self.activation]
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if layer < self.depth:
                h = act(h)
        return h

    def parameter_counts(self) -> list[int]:
        """Trainable parameters of each member as a standalone network (masked inputs not counted)."""
        n_out = self.weights[-1].shape[2]
        counts = []
        for k_m in self.n_inputs:
            dims = [k_m] + [self.width] * self.depth + [n_out]
            counts.append(sum(a * b + b for a, b in itertools.pairwise(dims)))
        return counts


def train(params: Sequence[torch.Tensor], member_loss: Callable[[int], torch.Tensor], steps: int,
          lr: float | Sequence[float], betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          progress: bool = True, desc: str = "training") -> np.ndarray:
    """Adam with a cosine decay to zero, each member with its own learning rate.

    params: tensors with a leading member dimension M (e.g. ``model.parameters()``).
    member_loss: ``step -> (M,)`` tensor of per-member losses (it draws the batch).
    lr: one peak rate for all, or one per member. Returns the losses as an
    ``(steps, M)`` array (the loss each member had before each update).
    """
    params = [p for p in params]
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad for p in params):
        raise ValueError("params must be a non-empty sequence of tensors that require grad")
    members = params[0].shape[0]
    if any(p.shape[0] != members for p in params):
        raise ValueError("every parameter needs the same leading member dimension")
    steps = _positive_ints("steps", [steps])[0]
    rates = np.broadcast_to(np.asarray(lr, dtype=float), (members,)) if np.ndim(lr) == 0 else np.asarray(lr, float)
    if rates.shape != (members,) or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError(f"lr must be a positive number or {members} positive numbers, got {lr!r}")
    peak = torch.tensor(rates, dtype=params[0].dtype, device=params[0].device)
    first = [torch.zeros_like(p) for p in params]
    second = [torch.zeros_like(p) for p in params]
    history = np.empty((steps, members))
    for step in tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False, mininterval=1.0):
        losses = member_loss(step - 1)
        if not isinstance(losses, torch.Tensor) or losses.shape != (members,):
            raise ValueError(f"member_loss must return a tensor of shape ({members},), got "
                             f"{tuple(losses.shape) if isinstance(losses, torch.Tensor) else type(losses).__name__}")
        grads = torch.autograd.grad(losses.sum(), params)
        history[step - 1] = losses.detach().cpu().numpy()
        scale = peak * (0.5 * (1 + math.cos(math.pi * (step - 1) / steps)))
        with torch.no_grad():
            for p, g, m, v in zip(params, grads, first, second):
                m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
                v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
                m_hat = m / (1 - betas[0] ** step)
                v_hat = v / (1 - betas[1] ** step)
                p.sub_(scale.view(-1, *[1] * (p.dim() - 1)) * m_hat / (v_hat.sqrt() + eps))
    return history
