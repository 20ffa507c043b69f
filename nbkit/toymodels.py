"""Small MLPs trained as a batch of seeds: the toy networks of notebook 06.

``S`` networks of the same shape, one per seed, live in one set of tensors
with a leading seed dimension (layer ``l``'s weight is ``(S, d_in, d_out)``),
so one batched matrix product (``torch.baddbmm``) runs all of them. With Adam
every parameter has its own step size, so each seed trains exactly as it would
alone — the batch only uses the CPU better.

    net = SeedMLP((64, 32, 32, 10), seeds=[0, 1, 2])     # three 2-hidden-layer MLPs
    losses = fit(net, x, y[:, None], n_classes=(10,), steps=300, lr=1e-2)
    acc = accuracy(net, x_test, y_test)                  # (3,) one per seed
    h = net.hidden(x_test, layer=2)                      # (3, n, 32) post-ReLU features

Training a batch is cached on disk (``fit_cached``), keyed by the layer sizes,
seeds, recipe, a fingerprint of the data, the scale profile and this module's
source, so a second run of a notebook loads instead of training.
``fit_best_lr`` trains every seed at several learning rates in one batch and
keeps the rate with the lowest validation loss; ``stitch`` joins one network's
lower layers to another's upper layers through a trained affine map.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import config
from .batched import linear_init


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


class SeedMLP:
    """``S`` ReLU MLPs with layer sizes ``sizes = (d_in, h_1, …, h_L, d_out)``, one per seed.

    ``weights[l]``: ``(S, sizes[l], sizes[l+1])``; ``biases[l]``: ``(S, 1, sizes[l+1])``.
    Seed ``s`` initialises its network exactly like ``nn.Linear`` (uniform in
    ±1/sqrt(fan_in)) from ``torch.Generator().manual_seed(s)``.
    """

    def __init__(self, sizes: Sequence[int], seeds: Sequence[int]):
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least (d_in, d_out), got {sizes!r}")
        for i, d in enumerate(sizes):
            _check_int(f"sizes[{i}]", d)
        seeds = [_check_int("seeds[i]", s, 0) for s in seeds]
        if not seeds:
            raise ValueError("seeds must hold at least one seed")
        self.sizes, self.seeds = sizes, seeds
        self.weights, self.biases = [], []
        generators = [torch.Generator().manual_seed(s) for s in seeds]
        for d_in, d_out in itertools.pairwise(sizes):
            self.weights.append(torch.stack([linear_init((d_in, d_out), d_in, g) for g in generators]))
            self.biases.append(torch.stack([linear_init((1, d_out), d_in, g) for g in generators]))

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    @property
    def n_hidden(self) -> int:
        """Number of hidden layers (ReLU layers before the output layer)."""
        return len(self.sizes) - 2

    def parameters(self) -> list[torch.Tensor]:
        return self.weights + self.biases

    def _input(self, x, width: int) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_seeds, -1, -1)
        if x.ndim != 3 or x.shape[0] != self.n_seeds or x.shape[2] != width:
            raise ValueError(f"x must be (n, {width}) or ({self.n_seeds}, n, {width}), got {tuple(x.shape)}")
        return x

    def forward(self, x, start: int = 0) -> torch.Tensor:
        """Logits ``(S, n, d_out)``. x: ``(n, d)`` shared by all seeds or ``(S, n, d)`` one batch per seed.

        ``start``: the layer to start from; 0 takes the input, ``l`` takes the
        (post-ReLU) activations of hidden layer ``l`` — how a stitched network
        runs the top of a model.
        """
        _check_int("start", start, 0)
        if start > self.n_hidden:
            raise ValueError(f"start must be in 0..{self.n_hidden}, got {start}")
        h = self._input(x, self.sizes[start])
        last = len(self.weights) - 1
        for i in range(start, len(self.weights)):
            h = torch.baddbmm(self.biases[i], h, self.weights[i])
            if i < last:
                h = torch.relu(h)
        return h

    def hidden(self, x, layer: int) -> torch.Tensor:
        """Post-ReLU activations of hidden layer ``layer`` (1..n_hidden), ``(S, n, sizes[layer])``."""
        _check_int("layer", layer)
        if layer > self.n_hidden:
            raise ValueError(f"layer must be in 1..{self.n_hidden}, got {layer}")
        h = self._input(x, self.sizes[0])
        for i in range(layer):
            h = torch.relu(torch.baddbmm(self.biases[i], h, self.weights[i]))
        return h

    def select(self, index: Sequence[int]) -> SeedMLP:
        """A new SeedMLP holding copies of the networks at positions ``index`` (repeats allowed)."""
        index = [_check_int("index[i]", i, 0) for i in index]
        if not index or max(index) >= self.n_seeds:
            raise ValueError(f"index must be non-empty positions in 0..{self.n_seeds - 1}, got {index}")
        out = SeedMLP.__new__(SeedMLP)
        out.sizes, out.seeds = self.sizes, [self.seeds[i] for i in index]
        out.weights = [w[index].detach().clone() for w in self.weights]
        out.biases = [b[index].detach().clone() for b in self.biases]
        return out

    def state(self) -> dict:
        """Everything needed to rebuild the networks (``from_state``)."""
        return {"sizes": list(self.sizes), "seeds": self.seeds, "weights": [w.detach() for w in self.weights],
                "biases": [b.detach() for b in self.biases]}

    @classmethod
    def from_state(cls, state: dict) -> SeedMLP:
        out = cls.__new__(cls)
        out.sizes, out.seeds = tuple(state["sizes"]), list(state["seeds"])
        out.weights, out.biases = list(state["weights"]), list(state["biases"])
        return out

    def __repr__(self) -> str:
        return f"SeedMLP(sizes={self.sizes}, seeds={self.seeds})"


# ---------------------------------------------------------------- training
def multitask_loss(logits: torch.Tensor, targets: torch.Tensor, n_classes: Sequence[int],
                   task_mask: torch.Tensor) -> torch.Tensor:
    """Sum over seeds of the mean cross-entropy over each seed's tasks.

    logits ``(S, n, sum(n_classes))``: the heads side by side; targets ``(S, n, T)``
    class ids; task_mask ``(S, T)`` 0/1: which tasks each seed learns.
    """
    total = logits.new_zeros(())
    start = 0
    for t, c in enumerate(n_classes):
        head = logits[:, :, start:start + c]
        per_seed = F.cross_entropy(head.transpose(1, 2), targets[:, :, t], reduction="none").mean(dim=1)
        total = total + (per_seed * task_mask[:, t] / task_mask.sum(dim=1)).sum()
        start += c
    return total


def _targets(net: SeedMLP, targets, n_classes) -> torch.Tensor:
    y = torch.as_tensor(np.asarray(targets) if not isinstance(targets, torch.Tensor) else targets).long()
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim == 2:
        y = y.unsqueeze(0).expand(net.n_seeds, -1, -1)
    if y.ndim != 3 or y.shape[0] != net.n_seeds or y.shape[2] != len(n_classes):
        raise ValueError(f"targets must be (n,), (n, T) or (S, n, T) with T = {len(n_classes)} tasks, "
                         f"got {tuple(y.shape)}")
    for t, c in enumerate(n_classes):
        if int(y[:, :, t].min()) < 0 or int(y[:, :, t].max()) >= c:
            raise ValueError(f"targets of task {t} must be class ids in 0..{c - 1}")
    return y


def _per_member(name: str, value, n_members: int, positive: bool) -> torch.Tensor:
    """A float or one float per member as a ``(S, 1, 1)`` tensor, validated."""
    values = [value] * n_members if isinstance(value, (int, float, np.floating)) else list(value)
    if len(values) != n_members:
        raise ValueError(f"{name} must be one number or one per network ({n_members}), got {len(values)}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or not math.isfinite(v) or v < 0 \
                or (positive and v == 0):
            raise ValueError(f"{name} must hold finite numbers {'> 0' if positive else '>= 0'}, got {v!r}")
    return torch.tensor(values, dtype=torch.float32)[:, None, None]


def fit(net: SeedMLP, x, targets, n_classes: Sequence[int] = (10,), *, steps: int, batch_size: int | None = 128,
        lr: float | Sequence[float] = 1e-2, weight_decay: float | Sequence[float] = 0.0, task_mask=None,
        progress: bool = False, desc: str = "training") -> list[float]:
    """AdamW training of every network of ``net`` at once; returns the loss per step (summed over networks).

    x: ``(n, d_in)`` or ``(S, n, d_in)``; targets: ``(n,)``, ``(n, T)`` or ``(S, n, T)`` class ids,
    one column per task; n_classes: classes per task (their sum must be
    ``net.sizes[-1]``); batch_size: items per step, each network drawing its
    own minibatches from its seed (None or >= n: full batch); lr and
    weight_decay (AdamW's decoupled decay, a simplicity bias): one value, or
    one per network — so a learning-rate sweep is one batch; task_mask:
    ``(S, T)`` 0/1, which tasks each network learns (default: all).
    """
    from tqdm.auto import tqdm

    n_classes = tuple(_check_int("n_classes[i]", c, 2) for c in n_classes)
    if sum(n_classes) != net.sizes[-1]:
        raise ValueError(f"n_classes {n_classes} sum to {sum(n_classes)}, but the output layer has {net.sizes[-1]}")
    steps = _check_int("steps", steps)
    lrs = _per_member("lr", lr, net.n_seeds, positive=True)
    decays = _per_member("weight_decay", weight_decay, net.n_seeds, positive=False)
    x = net._input(x, net.sizes[0])
    y = _targets(net, targets, n_classes)
    if y.shape[1] != x.shape[1]:
        raise ValueError(f"x has {x.shape[1]} items per network but targets have {y.shape[1]}")
    mask = torch.ones(net.n_seeds, len(n_classes)) if task_mask is None else torch.as_tensor(
        np.asarray(task_mask), dtype=torch.float32)
    if mask.shape != (net.n_seeds, len(n_classes)) or bool((mask.sum(dim=1) == 0).any()):
        raise ValueError(f"task_mask must be ({net.n_seeds}, {len(n_classes)}) with at least one task per network")
    n = x.shape[1]
    if batch_size is not None:
        batch_size = _check_int("batch_size", batch_size)
    full = batch_size is None or batch_size >= n
    generators = [torch.Generator().manual_seed(s + 7919) for s in net.seeds]
    seed_rows = torch.arange(net.n_seeds)[:, None]
    params = net.parameters()
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for p in params:
        p.requires_grad_(True)
    losses = []
    for step in tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False):
        if full:
            xb, yb = x, y
        else:
            rows = torch.stack([torch.randint(n, (batch_size,), generator=g) for g in generators])  # (S, B)
            xb, yb = x[seed_rows, rows], y[seed_rows, rows]
        loss = multitask_loss(net.forward(xb), yb, n_classes, mask)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():  # AdamW with a learning rate and a decay per network (leading dimension)
            for p, g, (m, v) in zip(params, grads, moments):
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                p.mul_(1 - lrs * decays)
                p.sub_(lrs * (m / (1 - beta1 ** step)) / ((v / (1 - beta2 ** step)).sqrt() + eps))
        losses.append(loss.item())
    for p in params:
        p.requires_grad_(False)
    return losses


@torch.no_grad()
def accuracy(net: SeedMLP, x, targets, n_classes: Sequence[int] = (10,), task: int = 0) -> np.ndarray:
    """Accuracy of every seed on task ``task``, ``(S,)`` in [0, 1]."""
    n_classes = tuple(n_classes)
    if not 0 <= task < len(n_classes):
        raise ValueError(f"task must be in 0..{len(n_classes) - 1}, got {task}")
    y = _targets(net, targets, n_classes)[:, :, task]
    start = sum(n_classes[:task])
    pred = net.forward(x)[:, :, start:start + n_classes[task]].argmax(dim=2)
    return (pred == y).float().mean(dim=1).numpy()


# ---------------------------------------------------------------- cache
_CODE_HASH: str | None = None


def code_version() -> str:
    """A short hash of this module's source: part of every cache key."""
    global _CODE_HASH
    if _CODE_HASH is None:
        _CODE_HASH = hashlib.sha256(inspect.getsource(inspect.getmodule(code_version)).encode()).hexdigest()[:12]
    return _CODE_HASH


def fingerprint(*arrays) -> str:
    """A short hash of arrays (shape, dtype and bytes): data identity for cache keys."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a))
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def cache_key(**parts) -> str:
    """A key for everything that decides a trained result, plus profile and code version."""
    blob = json.dumps({**parts, "scale": config.scale(), "code": code_version()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def fit_cached(sizes: Sequence[int], seeds: Sequence[int], x, targets, n_classes: Sequence[int] = (10,), *,
               steps: int, batch_size: int | None = 128, lr: float | Sequence[float] = 1e-2,
               weight_decay: float | Sequence[float] = 0.0, task_mask=None,
               progress: bool = False, desc: str = "training") -> tuple[SeedMLP, bool]:
    """``fit`` a fresh ``SeedMLP(sizes, seeds)``, or load the identical finished batch from the cache.

    Returns ``(net, from_cache)``. Files live in ``config.cache_dir()/toymodels/<key>.pt``.
    """
    mask = None if task_mask is None else np.asarray(task_mask, dtype=np.float32)
    key = cache_key(kind="seedmlp", sizes=list(sizes), seeds=list(seeds), n_classes=list(n_classes), steps=steps,
                    batch_size=batch_size, lr=np.asarray(lr).tolist(), weight_decay=np.asarray(weight_decay).tolist(),
                    data=fingerprint(x, targets),
                    mask=None if mask is None else fingerprint(mask))
    path = config.cache_dir() / "toymodels" / f"{key}.pt"
    if path.exists():
        return SeedMLP.from_state(torch.load(path, weights_only=True)), True
    net = SeedMLP(sizes, seeds)
    fit(net, x, targets, n_classes, steps=steps, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
        task_mask=mask,
        progress=progress, desc=desc)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state(), path)
    return net, False


# ---------------------------------------------------------------- stitching
def stitch(bottom: SeedMLP, top: SeedMLP, layer: int, x_train, y_train, x_test, y_test, *, steps: int = 200,
           lr: float = 1e-2) -> np.ndarray:
    """Accuracy ``(P,)`` of P stitched networks: ``bottom[p]`` up to hidden layer ``layer``, a trained affine
    map, then ``top[p]`` from that layer on (Lenc & Vedaldi 2015; Bansal et al. 2021).

    bottom, top: SeedMLPs with the same number P of networks (pair p = bottom p
    with top p; use ``select`` to pair them). Only the affine map ``(P, w_bottom,
    w_top)`` trains: first a least-squares fit of the top's own activations,
    then ``steps`` full-batch Adam steps on the top's task loss (10 classes,
    y as class ids). Both networks stay frozen.
    """
    if bottom.n_seeds != top.n_seeds:
        raise ValueError(f"bottom has {bottom.n_seeds} networks but top has {top.n_seeds}; pair them one to one")
    _check_int("layer", layer)
    if layer > min(bottom.n_hidden, top.n_hidden):
        raise ValueError(f"layer must be in 1..{min(bottom.n_hidden, top.n_hidden)}, got {layer}")
    steps = _check_int("steps", steps)
    with torch.no_grad():
        h_bottom = bottom.hidden(x_train, layer)
        ones = torch.ones(*h_bottom.shape[:2], 1)
        design = torch.cat([h_bottom, ones], dim=2)  # (P, n, w_bottom + 1)
        fitted = torch.linalg.lstsq(design, top.hidden(x_train, layer), driver="gelsd").solution
    affine = fitted.clone().requires_grad_(True)
    y = _targets(top, y_train, (top.sizes[-1],))[:, :, 0]
    opt = torch.optim.Adam([affine], lr=lr)
    for _ in range(steps):
        logits = top.forward(torch.cat([h_bottom, ones], dim=2) @ affine, start=layer)
        loss = F.cross_entropy(logits.transpose(1, 2), y, reduction="mean")
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        h_test = bottom.hidden(x_test, layer)
        h_test = torch.cat([h_test, torch.ones(*h_test.shape[:2], 1)], dim=2) @ affine
        pred = top.forward(h_test, start=layer).argmax(dim=2)
        y_t = _targets(top, y_test, (top.sizes[-1],))[:, :, 0]
        return (pred == y_t).float().mean(dim=1).numpy()


@torch.no_grad()
def loss(net: SeedMLP, x, y) -> np.ndarray:
    """Cross-entropy (nats) of every network on one task with class ids ``y (n,)``, ``(S,)``."""
    logits = net.forward(x)
    y = _targets(net, y, (net.sizes[-1],))[:, :, 0]
    return F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(dim=1).numpy()


@dataclass(frozen=True)
class LRChoice:
    """A learning-rate sweep and its choice: ``nets`` trained at ``lr``; ``all_nets`` holds every rate
    (rate-major: rate i is positions ``i*S … i*S+S-1``); ``val_loss`` the mean validation loss per rate."""

    nets: SeedMLP
    lr: float
    lrs: tuple[float, ...]
    val_loss: np.ndarray
    all_nets: SeedMLP

    def at(self, lr: float) -> SeedMLP:
        """The networks trained at one of the swept rates."""
        if lr not in self.lrs:
            raise ValueError(f"lr must be one of the swept rates {self.lrs}, got {lr!r}")
        i, s = self.lrs.index(lr), self.nets.n_seeds
        return self.all_nets.select(range(i * s, (i + 1) * s))


def fit_best_lr(sizes: Sequence[int], seeds: Sequence[int], x, y, x_val, y_val, *, lrs: Sequence[float],
                steps: int, batch_size: int | None = 128, progress: bool = False, desc: str = "training") -> LRChoice:
    """Train every seed at every learning rate (one cached batch of ``len(lrs) * len(seeds)`` networks) and
    keep the rate with the lowest mean validation loss — the same rule for every size of network.

    y, y_val: class ids ``(n,)`` (one task, ``sizes[-1]`` classes). Validation loss rather than accuracy:
    on a few hundred images, accuracies of good rates differ by less than their noise.
    """
    lrs, seeds = tuple(float(r) for r in lrs), list(seeds)
    if not lrs:
        raise ValueError("lrs must hold at least one learning rate")
    net, _ = fit_cached(sizes, seeds * len(lrs), x, y, (sizes[-1],), steps=steps, batch_size=batch_size,
                        lr=[r for r in lrs for _ in seeds], progress=progress, desc=desc)
    val = loss(net, x_val, y_val).reshape(len(lrs), len(seeds)).mean(axis=1)
    best = int(np.argmin(val))
    return LRChoice(net.select([best * len(seeds) + i for i in range(len(seeds))]), lrs[best], lrs, val, net)
