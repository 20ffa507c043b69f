"""One training loop for every model in the kit, and evaluation helpers.

``train(model, batches, steps=..., seconds=...)`` runs AdamW with a linear
warm-up and a cosine decay to 10 % of the peak learning rate, clips gradients,
evaluates every ``eval_every`` steps, shows a tqdm bar with loss and tokens/s,
and returns a ``History`` that plots itself.

Losses are in nats per token (natural log); ``History.bits`` and ``nats_to_bits``
convert to bits, the unit of compression.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .data import IGNORE

Batch = tuple[torch.Tensor, torch.Tensor]
LN2 = math.log(2)


def nats_to_bits(nats: float) -> float:
    """Convert a loss in nats (natural log) to bits: divide by ln 2."""
    return nats / LN2


@dataclass
class History:
    """What happened during training. Lists are aligned per logged step.

    ``step``, ``tokens`` (seen so far), ``seconds`` (wall time), ``train_loss``
    (nats, smoothed over the log interval); ``val_step``/``val_tokens``/
    ``val_seconds``/``val_loss`` at each evaluation (nats).
    """

    label: str = "model"
    step: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_tokens: list[int] = field(default_factory=list)
    val_seconds: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)

    @property
    def final_val_loss(self) -> float:
        """The last validation loss in nats (NaN if never evaluated)."""
        return self.val_loss[-1] if self.val_loss else float("nan")

    @property
    def tokens_per_second(self) -> float:
        """Average training throughput over the whole run."""
        return self.tokens[-1] / self.seconds[-1] if self.seconds and self.seconds[-1] > 0 else float("nan")

    def plot(self, x: str = "step", bits: bool = True, title: str | None = None):
        """Train and validation loss against ``x`` in {'step', 'tokens', 'seconds'}."""
        return plot_histories([self], x=x, bits=bits, title=title)


def plot_histories(histories: list[History], x: str = "step", bits: bool = True, title: str | None = None,
                   validation_only: bool = False):
    """Loss curves of several runs on one figure (validation solid, training dotted)."""
    from . import plots

    if x not in ("step", "tokens", "seconds"):
        raise ValueError(f"x must be 'step', 'tokens' or 'seconds', got {x!r}")
    if not histories or not all(isinstance(h, History) for h in histories):
        raise TypeError("histories must be a non-empty list of History objects")
    unit = "bits per token" if bits else "nats per token"
    x_label = {"step": "training step", "tokens": "tokens seen", "seconds": "wall-clock time (s)"}[x]
    fig = plots.figure(title or "Training curves", x_label, f"loss ({unit})")
    scale = 1 / LN2 if bits else 1.0
    import plotly.graph_objects as go

    for i, h in enumerate(histories):
        colour = plots.PALETTE[i % len(plots.PALETTE)]
        if not validation_only:
            fig.add_trace(go.Scatter(x=getattr(h, x), y=[v * scale for v in h.train_loss], name=f"{h.label} train",
                                     mode="lines", line={"color": colour, "dash": "dot"}, opacity=0.6))
        vx = {"step": h.val_step, "tokens": h.val_tokens, "seconds": h.val_seconds}[x]
        fig.add_trace(go.Scatter(x=vx, y=[v * scale for v in h.val_loss], name=f"{h.label} validation",
                                 mode="lines+markers", line={"color": colour}))
    return fig


def loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats) over positions whose target is not ``IGNORE``.

    logits ``(B, T, V)``, targets ``(B, T)``.
    """
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


@torch.no_grad()
def evaluate(model: nn.Module, batches: Callable[[], Batch], n_batches: int = 8) -> float:
    """Mean loss (nats) of ``model`` over ``n_batches`` batches from ``batches()``."""
    if n_batches < 1:
        raise ValueError(f"n_batches must be >= 1, got {n_batches}")
    was_training = model.training
    model.eval()
    total = sum(loss_fn(model(x), y).item() for x, y in (batches() for _ in range(n_batches)))
    model.train(was_training)
    return total / n_batches


@torch.no_grad()
def accuracy(model: nn.Module, batches: Callable[[], Batch], n_batches: int = 4) -> float:
    """Fraction of scored positions (target not ``IGNORE``) where the arg-max is right."""
    if n_batches < 1:
        raise ValueError(f"n_batches must be >= 1, got {n_batches}")
    was_training = model.training
    model.eval()
    right = total = 0
    for _ in range(n_batches):
        x, y = batches()
        mask = y != IGNORE
        right += (model(x).argmax(-1)[mask] == y[mask]).sum().item()
        total += mask.sum().item()
    model.train(was_training)
    return right / max(total, 1)


def lr_at(progress: float, peak: float, warmup_fraction: float, floor: float = 0.1) -> float:
    """Learning rate at ``progress`` in [0, 1]: linear warm-up, then cosine down to ``floor * peak``."""
    if progress < warmup_fraction:
        return peak * (progress / warmup_fraction)
    t = (progress - warmup_fraction) / max(1e-9, 1 - warmup_fraction)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def train(model: nn.Module, batches: Callable[[], Batch], *, steps: int | None = None,
          seconds: float | None = None, lr: float = 3e-3, warmup: int = 50, weight_decay: float = 0.1,
          clip: float = 1.0, eval_every: int = 100, val_batches: Callable[[], Batch] | None = None,
          eval_batches: int = 4, label: str = "model", progress: bool = True) -> History:
    """Train ``model`` on batches ``(x, y)`` from ``batches()`` and return its ``History``.

    Stops after ``steps`` optimizer steps or ``seconds`` of wall time, whichever
    comes first (give at least one). The schedule follows whichever budget is
    nearer to running out, so a time budget still ends with a low learning rate.
    ``warmup`` is in steps. Validation runs every ``eval_every`` steps and at
    the end when ``val_batches`` is given.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if steps is None and seconds is None:
        raise ValueError("give a budget: steps=..., seconds=..., or both")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if seconds is not None and seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    if lr <= 0 or eval_every < 1:
        raise ValueError(f"lr must be > 0 and eval_every >= 1, got lr={lr}, eval_every={eval_every}")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    history = History(label=label)
    max_steps = steps if steps is not None else 10**9
    warmup_fraction = min(0.5, warmup / steps) if steps else 0.02
    bar = tqdm(total=steps if steps else None, desc=label, disable=not progress, leave=False)
    model.train()
    start, tokens, running, n_running, step = time.perf_counter(), 0, 0.0, 0, 0

    def elapsed() -> float:
        return time.perf_counter() - start

    def validate() -> None:
        if val_batches is not None:
            history.val_step.append(step)
            history.val_tokens.append(tokens)
            history.val_seconds.append(elapsed())
            history.val_loss.append(evaluate(model, val_batches, eval_batches))

    while step < max_steps and (seconds is None or elapsed() < seconds):
        done = max(step / steps if steps else 0.0, elapsed() / seconds if seconds else 0.0)
        for group in opt.param_groups:
            group["lr"] = lr_at(done, lr, warmup_fraction)
        x, y = batches()
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        step += 1
        tokens += x.numel()
        running += loss.item()
        n_running += 1
        if step % eval_every == 0 or step == max_steps:
            history.step.append(step)
            history.tokens.append(tokens)
            history.seconds.append(elapsed())
            history.train_loss.append(running / n_running)
            running, n_running = 0.0, 0
            validate()
            bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", tok_s=f"{tokens / elapsed():,.0f}")
        bar.update(1)
    bar.close()
    if not history.step or history.step[-1] != step:  # a time budget ended between logs
        history.step.append(step)
        history.tokens.append(tokens)
        history.seconds.append(elapsed())
        history.train_loss.append(running / max(n_running, 1))
        validate()
    model.eval()
    return history


@torch.no_grad()
def loss_by_position(model: nn.Module, batches: Callable[[], Batch], n_batches: int = 8) -> torch.Tensor:
    """Mean loss (nats) at each position of the window, shape ``(T,)``.

    Position t's loss uses t earlier tokens of context: a falling curve means
    the model uses distant context.
    """
    if n_batches < 1:
        raise ValueError(f"n_batches must be >= 1, got {n_batches}")
    model.eval()
    total = None
    for _ in range(n_batches):
        x, y = batches()
        logits = model(x)
        per = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(0)
        total = per if total is None else total + per
    return total / n_batches


@torch.no_grad()
def recall_accuracy(model: nn.Module, distances, n_examples: int = 256, n_pairs: int = 1,
                    seed: int = 0) -> dict[int, float]:
    """Accuracy on the recall task (``data.recall_batch``) at each gap in ``distances``.

    Fresh examples, the same ones for every model (seeded per distance).
    Returns ``{distance: fraction right}``; chance is 1/8 = 0.125.
    """
    from .data import recall_batch

    distances = [distances] if isinstance(distances, int) else list(distances)
    if not distances or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in distances):
        raise ValueError(f"distances must be non-negative ints, got {distances!r}")
    if isinstance(n_examples, bool) or not isinstance(n_examples, int) or n_examples < 1:
        raise ValueError(f"n_examples must be an int >= 1, got {n_examples!r}")
    out = {}
    for d in distances:
        gen = torch.Generator().manual_seed(seed * 100_003 + d)
        device = next(model.parameters()).device
        batch = tuple(t.to(device) for t in recall_batch(n_examples, d, n_pairs=n_pairs, generator=gen))
        out[d] = accuracy(model, lambda batch=batch: batch, 1)
    return out
