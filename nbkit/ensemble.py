"""Several seeds of one tiny model, trained at once as one batched model.

Where a verdict compares two noisy numbers, the kit trains >= 3 seeds. On a
2-core machine a second thread does not help, but batching does: the seeds of
a small model share every kernel launch, so S seeds cost far less than S runs.

``Ensemble(members)`` stacks S models of one ``ModelConfig`` (GPT, RNN or
LSTM from ``nbkit.models``) into parameters with a leading seed dimension:

- GPT: each weight becomes ``(S, ...)``; linear layers are batched matrix
  multiplies, attention runs on ``S·B`` sequences at once.
- RNN/LSTM: embeddings, output head and optimizer are batched; the time loop
  runs in the fused ``nn.LSTM``/``nn.RNN`` kernel once per member (a
  block-diagonal layer of width ``S·d`` was measured slower: S² the work).

``forward(ids (S, B, T)) -> logits (S, B, T, vocab)``: member s reads ``ids[s]``.
``member(s)`` gives back an ordinary ``models.GPT``/``RNNLM`` with seed s's
weights (for plots, probes and every helper that takes one model).

``train(ensemble, batches, steps=...)`` is ``nbkit.train.train`` for all
members at once: the same AdamW (betas 0.9/0.95), warm-up + cosine schedule,
weight-decay groups and gradient clipping, applied to each member on its own
(per-member gradient norm, optional per-member learning rate). Member s ends
where ``train.train`` would have taken the same model on the same batches,
to float rounding (a unit test checks it).

``run_cached(cfg, seeds, make_batches, steps=..., data=...)`` builds member s
as ``seed_everything(s); build_model(cfg)`` (like ``runs.run_cached``),
trains, and caches weights and histories under ``config.cache_dir()/ensembles``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import config
from .data import IGNORE
from .models import ModelConfig, build_model
from .train import History, lr_at

Batch = tuple[torch.Tensor, torch.Tensor]
ENSEMBLE_FORMAT = 1  # bump when a cache key's meaning changes


def _escape(name: str) -> str:
    return name.replace(".", "__")


class Ensemble(nn.Module):
    """S models of one config as one module with a leading seed dimension.

    members: a non-empty sequence of kit models (``models.GPT`` or
    ``models.RNNLM``) built from the same ``ModelConfig``; their weights are
    copied (the members themselves are not kept). ``size``: S. ``cfg``: the
    shared config. ``forward(ids)``: ids ``(S, B, T)`` int64 -> logits
    ``(S, B, T, vocab)``.
    """

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        members = list(members) if isinstance(members, (list, tuple)) else members
        if not isinstance(members, list) or not members:
            raise ValueError("members must be a non-empty list of kit models (GPT or RNNLM)")
        cfgs = [getattr(m, "cfg", None) for m in members]
        if not all(isinstance(c, ModelConfig) for c in cfgs):
            raise TypeError("members must be kit models with a ModelConfig .cfg (models.build_model)")
        if any(c != cfgs[0] for c in cfgs):
            raise ValueError("all members must share one ModelConfig (only their weights may differ)")
        self.cfg: ModelConfig = cfgs[0]
        self.size = len(members)
        self.context_length = self.cfg.context
        self.names = [name for name, _ in members[0].named_parameters()]  # tied weights once
        self.stacked = nn.ParameterDict({
            _escape(name): nn.Parameter(torch.stack([dict(m.named_parameters())[name].detach() for m in members]))
            for name in self.names
        })
        if self.cfg.kind != "gpt":
            # one member's fused recurrent layer, without storage: each member's weights are passed in.
            # Kept in a tuple so that .to() and state_dict() leave it alone.
            cell = nn.LSTM if self.cfg.kind == "lstm" else nn.RNN
            width = self.cfg.d_model
            self._fused = (cell(width, width, num_layers=self.cfg.n_layers, batch_first=True, device="meta"),)

    def param(self, name: str) -> torch.Tensor:
        """The stacked parameter ``name`` (a member's parameter name), shape ``(S, *member_shape)``."""
        if name not in self.names:
            raise ValueError(f"unknown parameter {name!r}; the members have {', '.join(self.names)}")
        return self.stacked[_escape(name)]

    def member(self, index: int) -> nn.Module:
        """Member ``index`` as an ordinary kit model (a copy, on this ensemble's device, eval mode)."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise ValueError(f"index must be an int in 0..{self.size - 1}, got {index!r}")
        model = build_model(self.cfg)
        by_id = {id(p): n for n, p in model.named_parameters()}
        state = {}
        for name, p in model.named_parameters(remove_duplicate=False):
            state[name] = self.param(by_id[id(p)])[index].detach().clone()
        model.load_state_dict(state)
        return model.to(self.param(self.names[0]).device).eval()

    # -------------------------------------------------------------- forward passes
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        self._check_ids(ids)
        return self._gpt(ids) if self.cfg.kind == "gpt" else self._recurrent(ids)

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        """Each member's final hidden states ``(S, B, T, d_model)`` (what ``models.GPT.hidden`` /
        ``RNNLM.hidden`` give for one member): the features a classifier reads."""
        self._check_ids(ids)
        return self._gpt(ids, head=False) if self.cfg.kind == "gpt" else self._recurrent(ids, head=False)

    def _check_ids(self, ids) -> None:
        if not isinstance(ids, torch.Tensor) or ids.dim() != 3 or ids.shape[0] != self.size:
            raise ValueError(f"ids must be a tensor (S={self.size}, batch, time), got "
                             f"{tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.cfg.vocab):
            raise ValueError(f"ids must lie in 0..{self.cfg.vocab - 1} (the members' vocab)")

    def stacked_parameters(self) -> list[torch.Tensor]:
        """Every trainable tensor, each ``(S, *member_shape)`` (what ``train`` optimizes)."""
        return [self.param(n) for n in self.names]

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        table = self.param("tok.weight")  # (S, V, d): member s's rows are s·V … s·V + V - 1 of the flat table
        offsets = torch.arange(self.size, device=ids.device)[:, None, None] * table.shape[1]
        return F.embedding(ids + offsets, table.reshape(-1, table.shape[-1]))  # (S, B, T, d)

    def _linear(self, x: torch.Tensor, prefix: str, bias: bool = True) -> torch.Tensor:
        w = self.param(f"{prefix}.weight")  # (S, out, in)
        flat = x.reshape(self.size, -1, x.shape[-1])
        out = (torch.baddbmm(self.param(f"{prefix}.bias")[:, None], flat, w.transpose(1, 2)) if bias
               else torch.bmm(flat, w.transpose(1, 2)))
        return out.reshape(*x.shape[:-1], w.shape[1])

    def _norm(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        shape = (self.size,) + (1,) * (x.dim() - 2) + (x.shape[-1],)
        y = F.layer_norm(x, (x.shape[-1],))
        return y * self.param(f"{prefix}.weight").view(shape) + self.param(f"{prefix}.bias").view(shape)

    def _gpt(self, ids: torch.Tensor, head: bool = True) -> torch.Tensor:
        s, b, t = ids.shape
        d, heads = self.cfg.d_model, self.cfg.n_heads
        if t > self.context_length and self.cfg.positions:
            raise ValueError(f"sequence length {t} exceeds the models' context of {self.context_length}")
        x = self._embed(ids)
        if self.cfg.positions:
            x = x + self.param("pos.weight")[:, None, :t]
        for layer in range(self.cfg.n_layers):
            pre = f"blocks.{layer}"
            q, k, v = self._linear(self._norm(x, f"{pre}.ln1"), f"{pre}.attn.qkv").split(d, dim=-1)
            q, k, v = (z.reshape(s * b, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(s, b, t, d)
            x = x + self._linear(y, f"{pre}.attn.proj")
            h = F.gelu(self._linear(self._norm(x, f"{pre}.ln2"), f"{pre}.mlp.0"))
            x = x + self._linear(h, f"{pre}.mlp.2")
        x = self._norm(x, "ln_f")
        return self._linear(x, "tok", bias=False) if head else x  # head tied to the token embedding, as in GPT-2

    def _recurrent(self, ids: torch.Tensor, head: bool = True) -> torch.Tensor:
        x = self._embed(ids)  # (S, B, T, d)
        names = [n for n in self.names if n.startswith("rnn.")]
        outs = [torch.func.functional_call(self._fused[0], {n[4:]: self.param(n)[s] for n in names}, (x[s],))[0]
                for s in range(self.size)]
        out = torch.stack(outs)
        return self._linear(out, "head") if head else out


class EnsembleClassifier(nn.Module):
    """A classifier per member on top of an ensemble's bodies (``models.SequenceClassifier``, batched).

    body: an ``Ensemble`` (e.g. S pre-trained language models, or S fresh ones);
    its LM head is not used. ``forward(ids (S, B, T)) -> logits (S, B, n_classes)``:
    the mean of member s's final hidden states, times member s's linear head
    (zero-initialised, as in ``SequenceClassifier``). All weights train.
    """

    def __init__(self, body: Ensemble, n_classes: int):
        super().__init__()
        _check_ensemble(body)
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
        self.body, self.size, self.context_length = body, body.size, body.context_length
        device = body.param(body.names[0]).device
        self.weight = nn.Parameter(torch.zeros(body.size, n_classes, body.cfg.d_model, device=device))
        self.bias = nn.Parameter(torch.zeros(body.size, n_classes, device=device))

    def stacked_parameters(self) -> list[torch.Tensor]:
        """The bodies' stacked tensors and the heads', each with the member dimension first."""
        return self.body.stacked_parameters() + [self.weight, self.bias]

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        features = self.body.hidden(ids).mean(dim=2)  # (S, B, d)
        return torch.baddbmm(self.bias[:, None], features, self.weight.transpose(1, 2))


# ------------------------------------------------------------------ batches
def stack_batches(samplers: Sequence[Callable[[], Batch]]) -> Callable[[], Batch]:
    """One sampler per member -> a sampler of stacked batches ``(S, B, T)``.

    Each member's sampler must return batches of one shape at every call
    (e.g. ``data.batch_sampler(ids, B, T, seed=s)``).
    """
    samplers = list(samplers)
    if not samplers or not all(callable(f) for f in samplers):
        raise TypeError("samplers must be a non-empty list of callables returning (x, y)")

    def sample() -> Batch:
        xs, ys = zip(*(f() for f in samplers))
        if len({tuple(x.shape) for x in xs}) != 1:
            raise ValueError(f"the members' batches differ in shape: {[tuple(x.shape) for x in xs]}")
        return torch.stack(xs), torch.stack(ys)

    return sample


def split_batches(sampler: Callable[[], Batch], size: int) -> Callable[[], Batch]:
    """A sampler of ``(size·B, T)`` batches -> one of ``(size, B, T)``: each member gets a B-slice.

    For tasks whose length varies per batch (``data.recall_sampler``): all members
    see the same length at each step, each its own examples.
    """
    if not callable(sampler):
        raise TypeError(f"sampler must be callable, got {type(sampler).__name__}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be an int >= 1, got {size!r}")

    def sample() -> Batch:
        x, y = sampler()
        if len(x) % size:
            raise ValueError(f"batch of {len(x)} cannot be split among {size} members")
        return x.reshape(size, -1, *x.shape[1:]), y.reshape(size, -1, *y.shape[1:])

    return sample


# ------------------------------------------------------------------ losses and evaluation
def member_losses(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats) per member over positions whose target is not ``IGNORE``.

    logits ``(S, B, T, V)`` (or ``(S, B, V)``), targets ``(S, B, T)`` (or ``(S, B)``) -> ``(S,)``.
    """
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} do not match")
    per = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE,
                          reduction="none").reshape(targets.shape[0], -1)
    mask = (targets != IGNORE).reshape(targets.shape[0], -1)
    return per.sum(1) / mask.sum(1).clamp(min=1)


@torch.no_grad()
def evaluate(ens: Ensemble | EnsembleClassifier, batches: Callable[[], Batch], n_batches: int = 4) -> list[float]:
    """Mean loss (nats) of each member over ``n_batches`` stacked batches; a list of S floats."""
    _check_ensemble(ens)
    _check_count("n_batches", n_batches)
    was_training = ens.training
    ens.eval()
    total = torch.zeros(ens.size, dtype=torch.float64)
    for _ in range(n_batches):
        x, y = batches()
        total += member_losses(ens(x), y).double().cpu()
    ens.train(was_training)
    return (total / n_batches).tolist()


@torch.no_grad()
def accuracy(ens: Ensemble | EnsembleClassifier, batches: Callable[[], Batch], n_batches: int = 1) -> list[float]:
    """Fraction of scored positions (target not ``IGNORE``) each member gets right; S floats."""
    _check_ensemble(ens)
    _check_count("n_batches", n_batches)
    was_training = ens.training
    ens.eval()
    right = torch.zeros(ens.size, dtype=torch.float64)
    total = torch.zeros(ens.size, dtype=torch.float64)
    for _ in range(n_batches):
        x, y = batches()
        mask = y != IGNORE
        hit = (ens(x).argmax(-1) == y) & mask
        right += hit.reshape(ens.size, -1).sum(1).double().cpu()
        total += mask.reshape(ens.size, -1).sum(1).double().cpu()
    ens.train(was_training)
    return (right / total.clamp(min=1)).tolist()


@torch.no_grad()
def recall_accuracy(ens: Ensemble, distances, n_examples: int = 512, seed: int = 0) -> dict[int, list[float]]:
    """Each member's accuracy on the recall task at each gap, on the SAME fixed examples.

    Like ``train.recall_accuracy`` (one key/value pair, examples seeded per gap,
    so every model of a notebook sees the same ones). Returns
    ``{distance: [accuracy of member 0, 1, …]}``; chance is 0.125.
    """
    from .data import recall_batch

    _check_ensemble(ens)
    distances = [distances] if isinstance(distances, int) else list(distances)
    if not distances or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in distances):
        raise ValueError(f"distances must be non-negative ints, got {distances!r}")
    _check_count("n_examples", n_examples)
    device = ens.stacked_parameters()[0].device
    out = {}
    for d in distances:
        x, y = recall_batch(n_examples, d, n_pairs=1, generator=torch.Generator().manual_seed(seed * 100_003 + d))
        chunks = [(xc.to(device), yc.to(device)) for xc, yc in zip(x.split(256), y.split(256))]  # bounded memory
        counts = [len(xc) for xc, _ in chunks]
        per_chunk = np.array([accuracy(ens, shared_batches([c], ens.size)) for c in chunks])  # (chunks, members)
        out[d] = (np.array(counts) @ per_chunk / sum(counts)).tolist()
    return out


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error (sample standard deviation / √n) of per-seed numbers; SE is 0 for one value."""
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"values must be a non-empty sequence of finite numbers, got {values!r}")
    se = float(arr.std(ddof=1) / np.sqrt(arr.size)) if arr.size > 1 else 0.0
    return float(arr.mean()), se


def _check_ensemble(ens) -> None:
    if not isinstance(ens, (Ensemble, EnsembleClassifier)):
        raise TypeError(f"ens must be an nbkit.ensemble.Ensemble or EnsembleClassifier, got {type(ens).__name__}")


def _check_count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


# ------------------------------------------------------------------ training
def _per_member(value: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return value.view((-1,) + (1,) * (like.dim() - 1))


def _clip_per_member(params: list[torch.Tensor], max_norm: float) -> None:
    """``clip_grad_norm_`` applied to each member's gradients on their own."""
    params = [p for p in params if p.grad is not None]
    norms = torch.stack([p.grad.reshape(p.shape[0], -1).norm(dim=1) for p in params]).norm(dim=0)  # (S,)
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for p in params:
        p.grad.mul_(_per_member(scale, p.grad))


class _AdamW:
    """torch's AdamW update, with a learning rate per member: ``lr`` is ``(S,)``."""

    def __init__(self, params: list[torch.Tensor], decays: list[float], betas=(0.9, 0.95), eps: float = 1e-8):
        self.params, self.decays, self.betas, self.eps = params, decays, betas, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self, lr: torch.Tensor) -> None:
        self.t += 1
        b1, b2 = self.betas
        corr1, corr2 = 1 - b1**self.t, math.sqrt(1 - b2**self.t)
        for p, decay, m, v in zip(self.params, self.decays, self.m, self.v):
            if p.grad is None:  # unused (e.g. an LM head under a classifier): torch's AdamW skips it too
                continue
            rate = _per_member(lr, p)
            if decay:
                p.mul_(1 - rate * decay)
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            p.sub_(rate / corr1 * m / (v.sqrt() / corr2 + self.eps))


def _check_lrs(lr, size: int) -> list[float]:
    values = [lr] * size if isinstance(lr, (int, float)) and not isinstance(lr, bool) else lr
    if not isinstance(values, (list, tuple, np.ndarray)) or len(values) != size:
        raise ValueError(f"lr must be a positive number or {size} of them (one per member), got {lr!r}")
    values = [float(v) for v in values]
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"every lr must be a positive finite number, got {values}")
    return values


def train(ens: Ensemble | EnsembleClassifier, batches: Callable[[], Batch], *, steps: int, lr: float | Sequence[float] = 3e-3,
          warmup: int = 50, weight_decay: float = 0.1, clip: float = 1.0, eval_every: int = 100,
          val_batches: Callable[[], Batch] | None = None, eval_batches: int = 4, label: str = "ensemble",
          progress: bool = True, on_step: Callable[[], None] | None = None) -> list[History]:
    """Train every member of ``ens`` on its slice of stacked batches ``(S, B, T)``; one ``History`` each.

    The recipe of ``nbkit.train.train`` (AdamW 0.9/0.95, weight decay on
    weights with >= 2 dimensions, linear warm-up of ``warmup`` steps, cosine to
    10 % of ``lr``, gradient norm clipped to ``clip`` per member), with a step
    budget only: the same steps give the same model on any machine. ``lr``:
    one peak rate or one per member. ``on_step``: called after each step
    (e.g. to advance an outer progress bar). History labels are
    ``f"{label} #{s}"``; ``seconds`` is the wall time of the whole batch.
    """
    _check_ensemble(ens)
    steps = _check_count("steps", steps)
    _check_count("warmup", warmup, 0)
    _check_count("eval_every", eval_every)
    _check_count("eval_batches", eval_batches)
    if not callable(batches) or (val_batches is not None and not callable(val_batches)):
        raise TypeError("batches (and val_batches, if given) must be callables returning stacked (x, y)")
    if not isinstance(weight_decay, (int, float)) or weight_decay < 0:
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    if not isinstance(clip, (int, float)) or clip < 0:
        raise ValueError(f"clip must be a number >= 0 (0: no clipping), got {clip!r}")
    peaks = torch.tensor(_check_lrs(lr, ens.size))
    params = ens.stacked_parameters()
    member_dims = [p.dim() - 1 for p in params]
    opt = _AdamW(params, [weight_decay if d >= 2 else 0.0 for d in member_dims])
    histories = [History(label=f"{label} #{s}") for s in range(ens.size)]
    warmup_fraction = min(0.5, warmup / steps)
    running = torch.zeros(ens.size, dtype=torch.float64)
    n_running, tokens, start = 0, 0, time.perf_counter()
    ens.train()
    bar = tqdm(total=steps, desc=label, disable=not progress, leave=False)
    for step in range(1, steps + 1):
        rate = lr_at((step - 1) / steps, 1.0, warmup_fraction)
        x, y = batches()
        losses = member_losses(ens(x), y)
        for p in params:
            p.grad = None
        losses.sum().backward()
        if clip:
            _clip_per_member(params, clip)
        opt.step(peaks.to(params[0].device) * rate)
        tokens += x[0].numel()
        running += losses.detach().double().cpu()
        n_running += 1
        if step % eval_every == 0 or step == steps:
            elapsed = time.perf_counter() - start
            val = evaluate(ens, val_batches, eval_batches) if val_batches is not None else None
            for s, h in enumerate(histories):
                h.step.append(step)
                h.tokens.append(tokens)
                h.seconds.append(elapsed)
                h.train_loss.append(float(running[s]) / n_running)
                if val is not None:
                    h.val_step.append(step)
                    h.val_tokens.append(tokens)
                    h.val_seconds.append(elapsed)
                    h.val_loss.append(val[s])
            bar.set_postfix(loss=f"{float(running.mean()) / n_running:.3f}")
            running.zero_()
            n_running = 0
        bar.update(1)
        if on_step is not None:
            on_step()
    bar.close()
    ens.eval()
    return histories


# ------------------------------------------------------------------ building and caching
def build(cfg: ModelConfig, seeds: Sequence[int]) -> Ensemble:
    """An ensemble whose member s is ``config.seed_everything(seeds[s]); models.build_model(cfg)``.

    The same initial weights as ``runs.run_cached(cfg, ..., seed=seeds[s])``. Leaves the
    global generators seeded with the last seed.
    """
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a nbkit.models.ModelConfig, got {type(cfg).__name__}")
    seeds = _check_seeds(seeds)
    members = []
    for seed in seeds:
        config.seed_everything(seed)
        members.append(build_model(cfg))
    return Ensemble(members).to(config.device())


def _check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"seeds must be a non-empty sequence of ints >= 0, got {seeds!r}")
    return [_check_count("seed", s, 0) for s in seeds]  # repeats allowed: a learning-rate grid at one seed


@dataclass
class EnsembleRun:
    """A trained ensemble (or ``EnsembleClassifier``): ``ensemble`` (eval mode), one ``History`` per member,
    the ``seeds``,
    its cache ``key``, ``train_seconds`` (wall time when it was trained) and ``from_cache``."""

    key: str
    ensemble: Ensemble | EnsembleClassifier
    histories: list[History]
    seeds: list[int]
    recipe: dict
    train_seconds: float
    from_cache: bool = False

    @property
    def tokens(self) -> int:
        """Training tokens each member saw."""
        return int(self.histories[0].tokens[-1])


_CODE_HASH: str | None = None


def code_version() -> str:
    """A short hash of the source of ``nbkit.models``, ``nbkit.train`` and this module (part of every key)."""
    global _CODE_HASH
    if _CODE_HASH is None:
        import sys

        from . import models
        from . import train as train_module

        h = hashlib.sha256()
        for module in (models, train_module, sys.modules[__name__]):
            h.update(inspect.getsource(module).encode())
        _CODE_HASH = h.hexdigest()[:12]
    return _CODE_HASH


def ensembles_dir():
    """Where finished ensembles live: ``config.cache_dir() / 'ensembles'`` (created on use)."""
    path = config.cache_dir() / "ensembles"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _atomic_write(path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def run_cached(cfg: ModelConfig, seeds: Sequence[int], make_batches: Callable[[list[int]], Callable[[], Batch]], *,
               steps: int, data: str, lr: float | Sequence[float] = 3e-3, warmup: int = 50,
               weight_decay: float = 0.1, clip: float = 1.0, eval_every: int | None = None,
               make_val_batches: Callable[[list[int]], Callable[[], Batch]] | None = None, eval_batches: int = 4,
               make_model: Callable[[], nn.Module] | None = None, model_key: str = "",
               label: str = "ensemble", progress: bool = True) -> EnsembleRun:
    """Train ``cfg`` once per seed, batched, or load the identical finished ensemble.

    make_batches(seeds) -> a stacked sampler ``(S, B, T)`` (called only when
    training); make_val_batches likewise. data: a string that names the data
    and sampling exactly (e.g. ``f"topics {runs.fingerprint(ids)} B32 T64"``): it is
    part of the cache key with the config, seeds, recipe, profile, device,
    torch version and ``code_version()``. eval_every: None -> steps // 10.
    make_model: builds the model to train instead of ``build(cfg, seeds)`` (e.g. an
    ``EnsembleClassifier`` on pre-trained bodies), with one member per seed;
    model_key: a string naming its initial weights exactly (e.g. the keys of the
    runs it starts from), required with ``make_model``.
    """
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a nbkit.models.ModelConfig, got {type(cfg).__name__}")
    seeds = _check_seeds(seeds)
    if not callable(make_batches) or (make_val_batches is not None and not callable(make_val_batches)):
        raise TypeError("make_batches (and make_val_batches) must be callables: seeds -> sampler")
    if not isinstance(data, str) or not data.strip():
        raise ValueError("data must be a non-empty string naming the training data and its sampling")
    steps = _check_count("steps", steps)
    eval_every = max(1, steps // 10) if eval_every is None else _check_count("eval_every", eval_every)
    if make_model is not None and (not callable(make_model) or not isinstance(model_key, str) or not model_key.strip()):
        raise ValueError("make_model must be a callable and model_key a non-empty string naming its initial weights")
    recipe = {"format": ENSEMBLE_FORMAT, "code": code_version(), "torch": torch.__version__,
              "model": dataclasses.asdict(cfg), "seeds": seeds, "steps": steps, "data": data,
              "lr": _check_lrs(lr, len(seeds)), "warmup": warmup, "weight_decay": weight_decay, "clip": clip,
              "eval_every": eval_every, "validated": make_val_batches is not None, "eval_batches": eval_batches,
              "profile": config.scale(), "device": config.device().type, "model_key": model_key}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:20]
    weights, meta = ensembles_dir() / f"{key}.pt", ensembles_dir() / f"{key}.json"
    ens = build(cfg, seeds) if make_model is None else make_model()
    if getattr(ens, "size", None) != len(seeds):
        raise ValueError(f"make_model must give a model with one member per seed ({len(seeds)})")
    if weights.exists() and meta.exists():
        ens.load_state_dict(torch.load(weights, map_location=config.device(), weights_only=True))
        saved = json.loads(meta.read_text(encoding="utf-8"))
        return EnsembleRun(key, ens.eval(), [History(**h) for h in saved["histories"]], seeds, recipe,
                           saved["train_seconds"], from_cache=True)
    start = time.perf_counter()
    histories = train(ens, make_batches(seeds), steps=steps, lr=lr, warmup=warmup, weight_decay=weight_decay,
                      clip=clip, eval_every=eval_every,
                      val_batches=make_val_batches(seeds) if make_val_batches else None,
                      eval_batches=eval_batches, label=label, progress=progress)
    seconds = time.perf_counter() - start
    state = {k: v.detach().cpu() for k, v in ens.state_dict().items()}
    _atomic_write(weights, lambda p: torch.save(state, p))
    _atomic_write(meta, lambda p: p.write_text(json.dumps({
        "recipe": recipe, "train_seconds": seconds,
        "histories": [dataclasses.asdict(h) for h in histories]}), encoding="utf-8"))
    return EnsembleRun(key, ens, histories, seeds, recipe, seconds)


def shared_batches(batches: Sequence[Batch], size: int) -> Callable[[], Batch]:
    """Fixed batches ``(x, y)`` ``(B, T)``, given to every one of ``size`` members: a sampler that
    cycles through them, returning ``(size, B, T)``. For validation sets that must be the same for
    all members (e.g. when a learning rate is chosen by comparing them)."""
    batches = list(batches)
    if not batches or not all(isinstance(b, (tuple, list)) and len(b) == 2 for b in batches):
        raise TypeError("batches must be a non-empty list of (x, y) pairs")
    _check_count("size", size)
    turn = [0]

    def sample() -> Batch:
        x, y = batches[turn[0] % len(batches)]
        turn[0] += 1
        return x.expand(size, *x.shape), y.expand(size, *y.shape)

    return sample


@dataclass
class SeedRuns:
    """Seeds of one model at a learning rate chosen from a grid.

    ``ensemble``: one member per seed (eval mode); ``histories``: theirs;
    ``lr``: the chosen rate; ``grid``: rate -> final validation loss (nats) of
    the grid runs at ``seeds[0]``; ``train_seconds``: wall time of the training
    (as recorded when it ran); ``from_cache``: nothing was trained now; ``key``:
    the cache keys of the runs behind it, joined (names the weights exactly).
    """

    ensemble: Ensemble
    histories: list[History]
    seeds: list[int]
    lr: float
    grid: dict[float, float]
    train_seconds: float
    from_cache: bool
    key: str = ""


def tuned_seeds(cfg: ModelConfig, seeds: Sequence[int], make_batches: Callable[[list[int]], Callable[[], Batch]],
                make_val_batches: Callable[[list[int]], Callable[[], Batch]], *, lrs: Sequence[float], steps: int,
                data: str, **recipe) -> SeedRuns:
    """Choose the learning rate from ``lrs`` at ``seeds[0]``, then train the other seeds at it (cached).

    The grid runs are one batched model (one member per rate, same seed and
    batches); the rate with the lowest final validation loss wins; its run is
    reused as ``seeds[0]``'s, and ``seeds[1:]`` train as a second batched model.
    The same rule for every architecture makes a fair comparison. Other keywords
    (``warmup``, ``eval_every``, ``eval_batches``, ``label``, ``progress``, …) go to
    ``run_cached``; ``make_val_batches`` is required (it decides the rate).
    """
    seeds = _check_seeds(seeds)
    lrs = _check_lrs(list(lrs), len(lrs)) if isinstance(lrs, (list, tuple)) and lrs else None
    if not lrs:
        raise ValueError("lrs must be a non-empty list or tuple of learning rates")
    if not callable(make_val_batches):
        raise TypeError("make_val_batches must be a callable: seeds -> sampler (it decides the rate)")
    label = recipe.pop("label", cfg.kind)
    grid = run_cached(cfg, [seeds[0]] * len(lrs), make_batches, lr=lrs, steps=steps, data=data,
                      make_val_batches=make_val_batches, label=f"{label} lr grid", **recipe)
    losses = [h.final_val_loss for h in grid.histories]
    best = int(np.argmin(losses))
    members, histories = [grid.ensemble.member(best)], [grid.histories[best]]
    seconds, cached, keys = grid.train_seconds, grid.from_cache, [grid.key]
    if len(seeds) > 1:
        rest = run_cached(cfg, seeds[1:], make_batches, lr=lrs[best], steps=steps, data=data,
                          make_val_batches=make_val_batches, label=label, **recipe)
        members += [rest.ensemble.member(i) for i in range(len(seeds) - 1)]
        histories += rest.histories
        seconds, cached = seconds + rest.train_seconds, cached and rest.from_cache
        keys.append(rest.key)
    ens = Ensemble(members).to(config.device()).eval()
    return SeedRuns(ens, histories, seeds, lrs[best], dict(zip(lrs, losses)), seconds, cached, "+".join(keys))
