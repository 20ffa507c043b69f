"""Cached training runs: train once, reuse everywhere.

A *run* is one model trained with one recipe on one data set. Its **key** is a
hash of everything that decides the result: the ``ModelConfig``, the training
recipe (steps, batch size, learning rate, warm-up, weight decay, evaluation
interval, seed), a fingerprint of the train and validation ids, the scale
profile, the device type, and the versions of torch and of the model and
training code (``code_version()``). Finished runs live in ``config.cache_dir()/runs/``:

- ``<key>.json``: the metadata (config, recipe, parameter counts, final loss,
  loss by position, wall time) and the ``History`` of training; small, so
  ``list_runs()`` can scan them without touching torch;
- ``<key>.pt``: the trained weights (``state_dict``).

Typical use::

    run = runs.run_cached(cfg, train_ids, val_ids, steps=600, seed=0, label="d64 L2")
    run.model, run.history, run.final_loss, run.n_params     # cached the second time
    results = runs.sweep([cfg_a, cfg_b], train_ids, val_ids, steps=600)  # one progress bar

Reusing a finished run from another notebook (cheap: no training, no data)::

    for meta in runs.list_runs(tag="scaling-size-sweep"):    # reads only the .json files
        print(meta["key"], meta["label"], meta["n_params"], meta["final_loss"])
    run = runs.load_run(meta["key"])                          # builds the model, loads weights

``run_key(...)`` gives the key of a run without training it (same arguments as
``run_cached``), and ``has_run(key)`` says whether it is finished.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config
from .models import ModelConfig, build_model, count_parameters, training_flops
from .train import History, train

RUN_FORMAT = 1  # bump when this module changes what a key means
EVAL_WINDOWS = 1024  # fixed validation windows behind ``Run.final_loss`` (16k-64k tokens)


def default_lr(d_model: int) -> float:
    """The learning rate that works for the kit's small GPTs: ``1e-2 * (32 / d_model) ** 0.5``.

    Small models want a high rate; wider ones a lower one (RESEARCH notes: a
    rate of 3e-3 left every small model badly under-trained).
    """
    if isinstance(d_model, bool) or not isinstance(d_model, (int, np.integer)) or d_model < 1:
        raise ValueError(f"d_model must be a positive int, got {d_model!r}")
    return 1e-2 * (32 / int(d_model)) ** 0.5


@dataclass
class Run:
    """One finished training run.

    ``model``: the trained network (eval mode, on ``config.device()``).
    ``history``: its ``History`` (nats per token). ``final_loss``: mean
    validation loss (nats/token) over ``EVAL_WINDOWS`` fixed windows of the
    validation ids, all positions; ``loss_by_position``: the same, per position
    ``(context,)``. ``n_params`` counts non-embedding parameters (Kaplan's N),
    ``n_params_total`` all of them. ``tokens``: training tokens seen;
    ``flops``: 6·N·tokens with the non-embedding N. ``from_cache``: loaded, not trained.
    """

    key: str
    label: str
    config: ModelConfig
    recipe: dict
    history: History
    model: nn.Module
    n_params: int
    n_params_total: int
    final_loss: float
    loss_by_position: list[float]
    train_seconds: float
    tag: str = ""
    from_cache: bool = False

    @property
    def tokens(self) -> int:
        """Training tokens seen: steps x batch size x context."""
        return int(self.recipe["steps"] * self.recipe["batch_size"] * self.config.context)

    @property
    def flops(self) -> float:
        """Training compute C ≈ 6·N·D (non-embedding N, D = tokens), in FLOPs."""
        return training_flops(self.n_params, self.tokens)

    def loss_after(self, skip: int) -> float:
        """Mean validation loss over positions ``skip..context-1`` (nats/token).

        Positions near the start of a window have little context; skipping them
        measures the loss of a model that has seen at least ``skip`` tokens.
        """
        if not isinstance(skip, int) or not 0 <= skip < len(self.loss_by_position):
            raise ValueError(f"skip must be an int in 0..{len(self.loss_by_position) - 1}, got {skip!r}")
        return float(np.mean(self.loss_by_position[skip:]))

    def __repr__(self) -> str:
        src = "cache" if self.from_cache else f"trained in {self.train_seconds:.1f} s"
        return (f"Run({self.label!r}, N={self.n_params:,} non-embedding, {self.tokens:,} tokens, "
                f"final loss {self.final_loss:.4f} nats, {src}, key={self.key})")


# ---------------------------------------------------------------- keys and storage
def runs_dir():
    """The folder that holds finished runs: ``config.cache_dir() / 'runs'`` (created on use)."""
    path = config.cache_dir() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_ids(name: str, ids, context: int) -> np.ndarray:
    if isinstance(ids, torch.Tensor):
        ids = ids.cpu().numpy()
    if not isinstance(ids, np.ndarray):
        raise TypeError(f"{name} must be a 1-D NumPy array of token ids (e.g. data.encode(text)), "
                        f"got {type(ids).__name__}")
    if ids.ndim != 1 or len(ids) <= context + 1:
        raise ValueError(f"{name} must be 1-D and longer than context + 1 = {context + 1} ids, got shape {ids.shape}")
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
    return ids


def fingerprint(ids: np.ndarray) -> str:
    """A short hash of a token-id array (its dtype, length and bytes)."""
    arr = np.ascontiguousarray(ids)
    h = hashlib.sha256(f"{arr.dtype.str}:{len(arr)}:".encode())
    h.update(arr.tobytes())
    return h.hexdigest()[:16]


_CODE_HASH: str | None = None


def code_version() -> str:
    """A short hash of the source of ``nbkit.models`` and ``nbkit.train``: part of every key,
    so a change to the model or the training loop never reuses stale runs."""
    global _CODE_HASH
    if _CODE_HASH is None:
        import inspect

        from . import models
        from . import train as train_module

        h = hashlib.sha256()
        for module in (models, train_module):
            h.update(inspect.getsource(module).encode())
        _CODE_HASH = h.hexdigest()[:12]
    return _CODE_HASH


def _recipe(cfg, train_ids, val_ids, steps, batch_size, lr, warmup, weight_decay, eval_every, seed) -> dict:
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a nbkit.models.ModelConfig, got {type(cfg).__name__}")
    for name, value, low in (("steps", steps, 1), ("batch_size", batch_size, 1), ("warmup", warmup, 0),
                             ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    lr = default_lr(cfg.d_model) if lr is None else lr
    if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number (or None for default_lr(d_model)), got {lr!r}")
    if not isinstance(weight_decay, (int, float)) or weight_decay < 0:
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    eval_every = max(1, int(steps) // 10) if eval_every is None else eval_every
    if isinstance(eval_every, bool) or not isinstance(eval_every, (int, np.integer)) or eval_every < 1:
        raise ValueError(f"eval_every must be a positive int (or None for steps // 10), got {eval_every!r}")
    train_ids = _check_ids("train_ids", train_ids, cfg.context)
    val_ids = _check_ids("val_ids", val_ids, cfg.context)
    if max(int(train_ids.max()), int(val_ids.max())) >= cfg.vocab or min(int(train_ids.min()), int(val_ids.min())) < 0:
        raise ValueError(f"token ids must lie in 0..{cfg.vocab - 1} (the config's vocab)")
    return {
        "format": RUN_FORMAT,
        "code": code_version(),
        "torch": torch.__version__,
        "steps": int(steps),
        "batch_size": int(batch_size),
        "lr": float(lr),
        "warmup": int(warmup),
        "weight_decay": float(weight_decay),
        "eval_every": int(eval_every),
        "seed": int(seed),
        "train_data": fingerprint(train_ids),
        "val_data": fingerprint(val_ids),
        "profile": config.scale(),
        "device": config.device().type,
    }


def _key_of(cfg: ModelConfig, recipe: dict) -> str:
    blob = json.dumps({"model": dataclasses.asdict(cfg), "recipe": recipe}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def run_key(cfg: ModelConfig, train_ids, val_ids, *, steps: int, batch_size: int = 32, lr: float | None = None,
            warmup: int = 50, weight_decay: float = 0.1, eval_every: int | None = None, seed: int = 0) -> str:
    """The key ``run_cached`` would store this run under (20 hex digits); trains nothing.

    Same arguments as ``run_cached``. The key changes with any of: the model
    config, the recipe, the data (train or validation ids), the seed, the scale
    profile, the device type.
    """
    recipe = _recipe(cfg, train_ids, val_ids, steps, batch_size, lr, warmup, weight_decay, eval_every, seed)
    return _key_of(cfg, recipe)


def _check_key(key) -> str:
    if not isinstance(key, str) or len(key) != 20 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError(f"key must be a run key of 20 hex digits (see run_key / list_runs), got {key!r}")
    return key


def has_run(key: str) -> bool:
    """True when the run with this key is finished and stored (weights and metadata)."""
    key = _check_key(key)
    return (runs_dir() / f"{key}.json").exists() and (runs_dir() / f"{key}.pt").exists()


def _atomic_write(path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _save(run: Run) -> None:
    meta = {
        "key": run.key,
        "label": run.label,
        "tag": run.tag,
        "config": dataclasses.asdict(run.config),
        "recipe": run.recipe,
        "n_params": run.n_params,
        "n_params_total": run.n_params_total,
        "tokens": run.tokens,
        "flops": run.flops,
        "final_loss": run.final_loss,
        "loss_by_position": run.loss_by_position,
        "train_seconds": run.train_seconds,
        "history": dataclasses.asdict(run.history),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    state = {k: v.detach().cpu() for k, v in run.model.state_dict().items()}
    directory = runs_dir()
    _atomic_write(directory / f"{run.key}.pt", lambda p: torch.save(state, p))
    _atomic_write(directory / f"{run.key}.json", lambda p: p.write_text(json.dumps(meta), encoding="utf-8"))


def list_runs(tag: str | None = None, label: str | None = None) -> list[dict]:
    """Metadata of every finished run (optionally only those with this ``tag`` / ``label``).

    Reads only the small ``.json`` files: no weights are loaded. Each dict has
    ``key, label, tag, config, recipe, n_params, n_params_total, tokens, flops,
    final_loss, loss_by_position, train_seconds, history, created``; pass
    ``key`` to ``load_run`` for the model. Sorted by non-embedding parameters.
    """
    for name, value in (("tag", tag), ("label", label)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string or None, got {type(value).__name__}")
    found = []
    for path in sorted(runs_dir().glob("*.json")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        wanted = (tag is None or meta.get("tag") == tag) and (label is None or meta.get("label") == label)
        if wanted and path.with_suffix(".pt").exists():
            found.append(meta)
    return sorted(found, key=lambda m: (m["n_params"], m["label"]))


def load_run(key: str, device=None) -> Run:
    """A finished run by its key: rebuilds the model from its config and loads the weights.

    Cheap (milliseconds for the kit's models); raises ``FileNotFoundError`` if
    no run has this key (see ``list_runs``).
    """
    key = _check_key(key)
    directory = runs_dir()
    meta_path, weights_path = directory / f"{key}.json", directory / f"{key}.pt"
    if not (meta_path.exists() and weights_path.exists()):
        raise FileNotFoundError(f"no finished run with key {key} in {directory}; list_runs() shows what is there")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    cfg = ModelConfig(**meta["config"])
    model = build_model(cfg)
    model.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    model.to(device or config.device()).eval()
    return Run(key=key, label=meta["label"], config=cfg, recipe=meta["recipe"], history=History(**meta["history"]),
               model=model, n_params=meta["n_params"], n_params_total=meta["n_params_total"],
               final_loss=meta["final_loss"], loss_by_position=meta["loss_by_position"],
               train_seconds=meta["train_seconds"], tag=meta.get("tag", ""), from_cache=True)


# ---------------------------------------------------------------- evaluation and training
def _fixed_windows(ids: np.ndarray, context: int, n_windows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_windows`` evenly spaced windows ``(x, y)``, each ``(n_windows, context)`` int64."""
    starts = np.linspace(0, len(ids) - context - 1, n_windows).astype(np.int64)
    window = torch.from_numpy(np.stack([ids[s:s + context + 1] for s in starts]).astype(np.int64))
    return window[:, :-1], window[:, 1:]


@torch.no_grad()
def evaluate_windows(model: nn.Module, ids: np.ndarray, context: int, n_windows: int = EVAL_WINDOWS,
                     batch: int = 128) -> tuple[float, list[float]]:
    """Loss of ``model`` on fixed, evenly spaced windows of ``ids``.

    Returns ``(mean loss, loss per position)`` in nats per token; the second is a
    list of length ``context``. The same ids give the same windows every time, so
    runs are compared on identical text.
    """
    if n_windows < 1 or batch < 1:
        raise ValueError(f"n_windows and batch must be >= 1, got {n_windows}, {batch}")
    x_all, y_all = _fixed_windows(np.asarray(ids), context, n_windows)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = torch.zeros(context, dtype=torch.float64)
    for i in range(0, n_windows, batch):
        x, y = x_all[i:i + batch].to(device), y_all[i:i + batch].to(device)
        per = F.cross_entropy(model(x).transpose(1, 2), y, reduction="none")  # (b, T)
        total += per.sum(0).double().cpu()
    model.train(was_training)
    per_position = (total / n_windows).tolist()
    return float(np.mean(per_position)), per_position


class _Cycle:
    """Cycles through fixed validation batches, so every evaluation sees the same text."""

    def __init__(self, ids: np.ndarray, batch_size: int, context: int, n_batches: int, device):
        x, y = _fixed_windows(ids, context, batch_size * n_batches)
        self.batches = [(x[i::n_batches].to(device), y[i::n_batches].to(device)) for i in range(n_batches)]
        self.i = 0

    def __call__(self):
        batch = self.batches[self.i % len(self.batches)]
        self.i += 1
        return batch


def _train_run(cfg, recipe, key, train_ids, val_ids, label, tag, progress, on_step=None) -> Run:
    from .data import batch_sampler

    dev = config.device()
    config.seed_everything(recipe["seed"])
    model = build_model(cfg).to(dev)
    sampler = batch_sampler(train_ids, recipe["batch_size"], cfg.context, seed=recipe["seed"], device=dev)
    if on_step is not None:
        inner = sampler

        def sampler():
            on_step()
            return inner()

    eval_batches = 8
    val = _Cycle(val_ids, recipe["batch_size"], cfg.context, eval_batches, dev)
    start = time.perf_counter()
    history = train(model, sampler, steps=recipe["steps"], lr=recipe["lr"], warmup=recipe["warmup"],
                    weight_decay=recipe["weight_decay"], eval_every=recipe["eval_every"], val_batches=val,
                    eval_batches=eval_batches, label=label, progress=progress)
    seconds = time.perf_counter() - start
    final, per_position = evaluate_windows(model, val_ids, cfg.context)
    run = Run(key=key, label=label, config=cfg, recipe=recipe, history=history, model=model.eval(),
              n_params=count_parameters(model, embeddings=False), n_params_total=count_parameters(model),
              final_loss=final, loss_by_position=per_position, train_seconds=seconds, tag=tag)
    _save(run)
    return run


def _default_label(cfg: ModelConfig) -> str:
    return f"{cfg.kind} d{cfg.d_model} L{cfg.n_layers}"


def run_cached(cfg: ModelConfig, train_ids, val_ids, *, steps: int, batch_size: int = 32, lr: float | None = None,
               warmup: int = 50, weight_decay: float = 0.1, eval_every: int | None = None, seed: int = 0,
               label: str | None = None, tag: str = "", progress: bool = True) -> Run:
    """Train ``cfg`` on ``train_ids`` (or load the identical finished run) and return the ``Run``.

    cfg: the model's ``ModelConfig``. train_ids / val_ids: 1-D integer arrays
    of token ids (``data.train_val_split``). steps, batch_size: the budget
    (tokens = steps x batch_size x cfg.context). lr: peak learning rate (None:
    ``default_lr(cfg.d_model)``), linear warm-up over ``warmup`` steps then
    cosine to 10 %. eval_every: validation interval in steps (None: steps // 10;
    every evaluation uses the same 8 validation batches). seed: initialisation
    and batch order (training re-seeds the global generators with it, like
    ``config.seed_everything``). label: a name for plots and bars. tag: a free
    word stored with the run so other notebooks can find it
    (``list_runs(tag=...)``); not part of the key.
    """
    recipe = _recipe(cfg, train_ids, val_ids, steps, batch_size, lr, warmup, weight_decay, eval_every, seed)
    key = _key_of(cfg, recipe)
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a string, got {type(tag).__name__}")
    label = _default_label(cfg) if label is None else str(label)
    if has_run(key):
        return load_run(key)
    return _train_run(cfg, recipe, key, np.asarray(train_ids), np.asarray(val_ids), label, tag, progress)


def sweep(configs: Sequence[ModelConfig], train_ids, val_ids, *, steps: int | Sequence[int], batch_size: int = 32,
          lr: float | Sequence[float] | None = None, warmup: int = 50, weight_decay: float = 0.1,
          eval_every: int | None = None, seed: int = 0, labels: Sequence[str] | None = None, tag: str = "",
          progress: bool = True, desc: str = "sweep") -> list[Run]:
    """Run (or load) several configs with one progress bar over the whole sweep.

    Arguments as in ``run_cached``; ``steps`` and ``lr`` may be one value for all
    configs or one per config. The bar counts training steps of every run;
    finished runs found in the cache advance it at once. Returns the ``Run``
    objects in the order of ``configs``.
    """
    from tqdm.auto import tqdm

    configs = list(configs)
    if not configs or not all(isinstance(c, ModelConfig) for c in configs):
        raise TypeError("configs must be a non-empty sequence of ModelConfig")

    def per_config(name, value):
        if isinstance(value, (list, tuple, np.ndarray)):
            if len(value) != len(configs):
                raise ValueError(f"{name} has {len(value)} values for {len(configs)} configs; give one or one each")
            return list(value)
        return [value] * len(configs)

    steps_each, lr_each = per_config("steps", steps), per_config("lr", lr)
    labels = [_default_label(c) for c in configs] if labels is None else [str(s) for s in labels]
    if len(labels) != len(configs):
        raise ValueError(f"labels has {len(labels)} names for {len(configs)} configs")
    plans = []
    for cfg, n_steps, rate in zip(configs, steps_each, lr_each):
        recipe = _recipe(cfg, train_ids, val_ids, n_steps, batch_size, rate, warmup, weight_decay, eval_every, seed)
        plans.append((cfg, recipe, _key_of(cfg, recipe)))
    results: list[Run] = []
    with tqdm(total=sum(r["steps"] for _, r, _ in plans), desc=desc, unit="step", disable=not progress) as bar:
        for (cfg, recipe, key), label in zip(plans, labels):
            bar.set_postfix_str(label)
            if has_run(key):
                results.append(load_run(key))
                bar.update(recipe["steps"])
                continue
            results.append(_train_run(cfg, recipe, key, np.asarray(train_ids), np.asarray(val_ids), label, tag,
                                      progress=False, on_step=lambda: bar.update(1)))
    return results


# ---------------------------------------------------------------- several seeds, trained as one batched model
def run_seeds(cfg: ModelConfig, train_ids, val_ids, *, seeds: Sequence[int], steps: int, batch_size: int = 32,
              lr: float | None = None, warmup: int = 50, weight_decay: float = 0.1, eval_every: int | None = None,
              label: str | None = None, tag: str = "", progress: bool = True) -> list[Run]:
    """Train ``cfg`` once per seed, all seeds at once (``nbkit.ensemble``), or load them; one ``Run`` per seed.

    The recipe of ``run_cached`` (same learning rate rule, warm-up, cosine
    schedule, weight decay, per-model gradient clipping) with the seeds of a
    tiny model batched into one model: on a CPU, S seeds cost far less than S
    runs. Seed s starts from ``seed_everything(s); build_model(cfg)`` and samples
    its own batches (``data.batch_sampler(train_ids, ..., seed=s)``); every seed
    is evaluated on the same validation batches during training and on the same
    ``EVAL_WINDOWS`` fixed windows at the end (``Run.final_loss``). Cached by
    ``nbkit.ensemble`` (config, seeds, recipe, data fingerprints, profile,
    device, code). Returns the runs in the order of ``seeds``; each carries the
    ensemble's key and ``recipe["seed"]``.
    """
    from . import ensemble
    from .data import batch_sampler

    seeds = list(seeds) if isinstance(seeds, (list, tuple, range, np.ndarray)) else seeds
    if not isinstance(seeds, list) or not seeds:
        raise ValueError(f"seeds must be a non-empty list of ints >= 0, got {seeds!r}")
    recipe = _recipe(cfg, train_ids, val_ids, steps, batch_size, lr, warmup, weight_decay, eval_every, seeds[0])
    train_ids, val_ids = np.asarray(train_ids), np.asarray(val_ids)
    label = _default_label(cfg) if label is None else str(label)
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a string, got {type(tag).__name__}")
    eval_batches = 8
    dev = config.device()
    data = f"train {recipe['train_data']} val {recipe['val_data']} B{recipe['batch_size']} T{cfg.context}"
    done = ensemble.run_cached(
        cfg, seeds, lambda ss: ensemble.stack_batches([batch_sampler(train_ids, recipe["batch_size"], cfg.context,
                                                                     seed=s, device=dev) for s in ss]),
        steps=recipe["steps"], data=data, lr=recipe["lr"], warmup=recipe["warmup"],
        weight_decay=recipe["weight_decay"], eval_every=recipe["eval_every"],
        make_val_batches=lambda ss: ensemble.stack_batches(
            [_Cycle(val_ids, recipe["batch_size"], cfg.context, eval_batches, dev) for _ in ss]),
        eval_batches=eval_batches, label=label, progress=progress)
    out = []
    for i, seed in enumerate(done.seeds):
        model = done.ensemble.member(i)
        final, per_position = evaluate_windows(model, val_ids, cfg.context)
        out.append(Run(key=done.key, label=label, config=cfg, recipe={**recipe, "seed": seed, "seeds": done.seeds},
                       history=done.histories[i], model=model, n_params=count_parameters(model, embeddings=False),
                       n_params_total=count_parameters(model), final_loss=final, loss_by_position=per_position,
                       train_seconds=done.train_seconds, tag=tag, from_cache=done.from_cache))
    return out


def seed_stats(values) -> tuple[float, float, float]:
    """``(mean, sd, se)`` of one number per seed: ``values`` 1-D; sd with ddof 1, se = sd / sqrt(n).

    With a single value the spread is unknown: sd and se are NaN (a rule then cannot use them).
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"values must be a non-empty 1-D array of finite numbers (one per seed), got {values!r}")
    if arr.size == 1:
        return float(arr[0]), float("nan"), float("nan")
    sd = float(arr.std(ddof=1))
    return float(arr.mean()), sd, sd / float(np.sqrt(arr.size))
