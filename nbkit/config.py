"""Scale profiles, device, seeds, cache directory and the offline check.

Every experiment in the kit takes its sizes from one setting, ``NBKIT_SCALE``:

======== ============================== ==================================
profile  who                            budget per notebook
======== ============================== ==================================
smoke    CI                             <= 60 s on 2 CPU cores, <= 1 GB RAM
default  a learner on Binder / laptop   <= 5 min, <= 1.5 GB RAM
full     someone with a GPU             <= 10 min on one GPU
======== ============================== ==================================

``NBKIT_SCALE=auto`` picks ``full`` when CUDA is present and ``default``
otherwise; nothing picks ``full`` unless asked.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

SCALES = ("smoke", "default", "full")
DEFAULT_SEED = 0
_ONLINE_HOST = ("huggingface.co", 443)


def _check_scale(name: str) -> str:
    if not isinstance(name, str) or name.strip().lower() not in SCALES:
        raise ValueError(
            f"unknown scale profile {name!r}; choose one of {', '.join(SCALES)} "
            "(or 'auto': full on a GPU, else default), e.g. NBKIT_SCALE=smoke"
        )
    return name.strip().lower()


def scale() -> str:
    """The active scale profile: ``NBKIT_SCALE`` (default ``'default'``).

    Returns one of ``SCALES``. ``auto`` resolves to ``full`` on CUDA, else
    ``default``. A bad name raises ``ValueError`` listing the valid ones.
    """
    name = os.environ.get("NBKIT_SCALE", "default").strip().lower() or "default"
    if name == "auto":
        return "full" if _cuda_available() else "default"
    return _check_scale(name)


def set_scale(name: str) -> str:
    """Switch the profile for this process (and kernels it starts); returns it."""
    name = _check_scale(name) if name != "auto" else "auto"
    os.environ["NBKIT_SCALE"] = name
    return scale()


def pick(smoke: T, default: T, full: T) -> T:
    """The value for the active profile, e.g. ``steps = pick(200, 1500, 6000)``.

    Keeping all three sizes side by side in a cell shows the reader what
    changes between profiles, and keeps sizes out of scattered constants.
    """
    return {"smoke": smoke, "default": default, "full": full}[scale()]


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def device():
    """``torch.device('cuda')`` when a GPU is present, else CPU; never requires one.

    ``NBKIT_DEVICE=cpu`` forces the CPU (useful to compare timings).
    """
    import torch

    forced = os.environ.get("NBKIT_DEVICE", "").strip().lower()
    if forced:
        if forced not in ("cpu", "cuda"):
            raise ValueError(f"NBKIT_DEVICE must be 'cpu' or 'cuda', got {forced!r}")
        if forced == "cuda" and not torch.cuda.is_available():
            raise ValueError("NBKIT_DEVICE=cuda but no CUDA GPU is visible; unset it to use the CPU")
        return torch.device(forced)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy and torch (CPU and CUDA); returns the seed.

    Same profile + same seed -> same numbers on the same machine.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    import torch

    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    return int(seed)


def base_seed() -> int:
    """The run's base seed: ``NBKIT_SEED`` (default 0). Change it to repeat a notebook with other seeds."""
    env = os.environ.get("NBKIT_SEED", "").strip()
    if not env:
        return DEFAULT_SEED
    if not env.isdigit():
        raise ValueError(f"NBKIT_SEED must be a non-negative integer, got {env!r}")
    return int(env)


def seeds(n: int) -> list[int]:
    """``n`` consecutive seeds starting at ``base_seed()``: the seeds of one experiment's repeats."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (how many seeds), got {n!r}")
    start = base_seed()
    return list(range(start, start + int(n)))


def rng(seed: int = DEFAULT_SEED) -> np.random.Generator:
    """A NumPy generator for data that must not depend on global state."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def cache_dir() -> Path:
    """Where trained models, sweeps and the verdict ledger live (created on use).

    ``NBKIT_CACHE`` if set, else ``$XDG_CACHE_HOME/nbkit`` or ``~/.cache/nbkit``.
    """
    env = os.environ.get("NBKIT_CACHE")
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "nbkit"
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_online(timeout: float = 1.0) -> bool:
    """True when the Hugging Face hub answers within ``timeout`` seconds.

    Never hangs: the DNS lookup and connection run in a daemon thread that is
    abandoned after ``timeout``. ``HF_HUB_OFFLINE=1`` answers False at once.
    """
    if not isinstance(timeout, (int, float)) or not 0 < timeout <= 10:
        raise ValueError(f"timeout must be a number of seconds in (0, 10], got {timeout!r}")
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False"):
        return False
    answer: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection(_ONLINE_HOST, timeout=timeout):
                answer.append(True)
        except OSError:
            answer.append(False)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(answer and answer[0])


def set_threads() -> int:
    """Pick the torch CPU thread count; returns it.

    ``NBKIT_THREADS`` wins. Otherwise one thread on machines with 1-2 cores,
    else half the cores up to 4. Measured here: on 2 shared cores (Binder, a
    busy laptop) two OpenMP threads made the kit's small models 5-16x slower
    than one, because threads wait for each other whenever the other core is
    busy; the kit's matrices are too small for a second thread to pay off.
    """
    import torch

    env = os.environ.get("NBKIT_THREADS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"NBKIT_THREADS must be a positive integer, got {env!r}")
        n = int(env)
    else:
        cores = os.cpu_count() or 1
        n = 1 if cores <= 2 else min(4, cores // 2)
    torch.set_num_threads(n)
    return n
