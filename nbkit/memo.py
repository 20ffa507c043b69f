"""A disk cache for small experiment results (arrays and numbers), keyed by what decides them.

    result = memo.cached("lim-sine", {"widths": [4, 16], "seeds": [0, 1], ...}, compute,
                         code=[extrapolation, batched])

``compute()`` returns a dict of name -> NumPy array (or number); the first call
stores it as ``config.cache_dir()/memo/<tag>-<key>.npz`` and later calls load
it. The key hashes the tag, the parameters (JSON), the source code of the
modules in ``code`` (so an edit never reuses a stale result), and the torch
version and device type (numbers may differ between them). Parameters must
therefore hold everything that changes the result, seeds included.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType

import numpy as np

from . import config


def _check_tag(tag: str) -> str:
    if not isinstance(tag, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", tag):
        raise ValueError(f"tag must be 1-60 letters, digits, '_', '.' or '-', got {tag!r}")
    return tag


def key(tag: str, params: Mapping, code: Sequence[ModuleType] = ()) -> str:
    """The cache key of a result: a hash of tag, params, the code's source, torch version and device type."""
    import torch

    _check_tag(tag)
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of JSON-serialisable values, got {type(params).__name__}")
    try:
        blob = json.dumps(dict(params), sort_keys=True)
    except TypeError as exc:
        raise TypeError(f"params must be JSON-serialisable (numbers, strings, lists): {exc}") from None
    h = hashlib.sha256(f"{tag}\n{blob}\n{torch.__version__}\n{config.device().type}".encode())
    for module in code:
        if not isinstance(module, ModuleType):
            raise TypeError(f"code must list modules (their source is part of the key), got {module!r}")
        h.update(inspect.getsource(module).encode())
    return h.hexdigest()[:20]


def cached(tag: str, params: Mapping, compute: Callable[[], Mapping], code: Sequence[ModuleType] = ()) -> dict:
    """Load the result for ``(tag, params, code)`` from disk, or compute and store it.

    compute: no-argument function returning name -> array or number. Returns a
    dict name -> ``np.ndarray`` (numbers come back as 0-d arrays; use ``float()``).
    """
    if not callable(compute):
        raise TypeError("compute must be a function with no arguments that returns a dict of arrays")
    path = config.cache_dir() / "memo" / f"{tag}-{key(tag, params, code)}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    result = compute()
    if not isinstance(result, Mapping) or not result:
        raise ValueError("compute must return a non-empty dict name -> array")
    arrays = {str(k): np.asarray(v) for k, v in result.items()}
    if any(a.dtype == object for a in arrays.values()):
        raise ValueError("compute must return numeric or string arrays, not Python objects")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(partial, **arrays)
    os.replace(partial, path)
    return arrays
