"""Corpora, the byte tokenizer, batching, and synthetic sequence tasks.

All text is English prose that every Python install carries: the Language
Reference topics (``pydoc_data.topics``, ~465k characters) and, for bigger
runs, the docstrings of the standard library (~1.5M characters, collected with
``ast`` once and cached). Text is tokenized as UTF-8 bytes (vocabulary 256):
nothing is ever out of vocabulary, and bits per byte equal bits per character
on this almost-ASCII text.
"""

from __future__ import annotations

import ast
import sysconfig
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from . import config

VOCAB = 256
CORPORA = ("topics", "docs")
_SKIP_DIRS = {"test", "tests", "site-packages", "idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip"}


def python_topics_text() -> str:
    """The Language Reference topics shipped in ``pydoc_data``, joined in sorted order (~465k chars)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k].strip() for k in sorted(topics))


def stdlib_docstrings_text() -> str:
    """Docstrings of the standard library's modules, classes and functions (~1.5M chars).

    Collected with ``ast`` (about 5 s) and cached in the cache directory.
    Test suites and GUI demos are skipped.
    """
    import platform

    path = config.cache_dir() / f"stdlib_docstrings_{platform.python_version()}.txt"
    if path.exists():
        return path.read_text(encoding="utf-8")
    root = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root).parts
        if _SKIP_DIRS.intersection(rel):
            continue
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 40:
                    parts.append(doc.strip())
    text = "\n\n".join(parts)
    path.write_text(text, encoding="utf-8")
    return text


def corpus(name: str = "topics") -> str:
    """English prose: ``'topics'`` (Language Reference) or ``'docs'`` (topics + stdlib docstrings)."""
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")
    if name == "topics":
        return python_topics_text()
    return python_topics_text() + "\n\n" + stdlib_docstrings_text()


def encode(text: str) -> np.ndarray:
    """Text -> UTF-8 byte ids, shape ``(n_bytes,)``, dtype uint8."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()


def decode(ids) -> str:
    """Byte ids (any integer sequence in 0..255) -> text; broken UTF-8 shows as '�'."""
    arr = np.asarray(ids.cpu() if isinstance(ids, torch.Tensor) else ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError("ids must be byte values in 0..255")
    return arr.astype(np.uint8).tobytes().decode("utf-8", errors="replace")


def train_val_split(ids: np.ndarray, block: int = 10_000, every: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic split: every ``every``-th block of ``block`` ids is validation.

    Holding out whole blocks spread over the corpus keeps validation text
    unseen but from the same mix of topics. Returns ``(train, val)``.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < 2 * block:
        raise ValueError(f"ids must be 1-D with at least 2*block = {2 * block} items, got shape {ids.shape}")
    if block < 1 or every < 2:
        raise ValueError(f"block must be >= 1 and every >= 2, got block={block}, every={every}")
    n_blocks = len(ids) // block
    is_val = (np.arange(n_blocks) % every) == every // 2
    blocks = np.split(ids[: n_blocks * block], n_blocks)
    train = np.concatenate([b for b, v in zip(blocks, is_val) if not v] + [ids[n_blocks * block:]])
    val = np.concatenate([b for b, v in zip(blocks, is_val) if v])
    return train, val


def batch_sampler(ids: np.ndarray, batch_size: int, context: int, seed: int = 0,
                  device=None) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A function that returns random windows ``(x, y)``, each ``(batch_size, context)`` int64.

    ``y`` is ``x`` shifted by one: the next byte at every position.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) <= context + 1:
        raise ValueError(f"ids must be 1-D and longer than context+1 = {context + 1}, got shape {ids.shape}")
    if batch_size < 1 or context < 1:
        raise ValueError(f"batch_size and context must be >= 1, got {batch_size}, {context}")
    data = torch.from_numpy(ids.astype(np.int64))
    gen = torch.Generator().manual_seed(seed)
    dev = device or config.device()
    offsets = torch.arange(context + 1)

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(0, len(data) - context - 1, (batch_size,), generator=gen)
        window = data[starts[:, None] + offsets]
        return window[:, :-1].to(dev), window[:, 1:].to(dev)

    return sample


# ---------------------------------------------------------------- synthetic tasks
# Token layout of the recall task (vocabulary RECALL_VOCAB = 26):
#   keys 0..7, values 8..15, distractors 16..23, SEP = 24, QUERY = 25.
RECALL_KEYS, RECALL_VALUES, RECALL_DISTRACT = 8, 8, 8
RECALL_SEP, RECALL_QUERY = 24, 25
RECALL_VOCAB = 26
IGNORE = -100


def recall_batch(batch_size: int, distance: int | tuple[int, int], n_pairs: int = 3,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Associative recall over a gap: ``k1 v1 k2 v2 k3 v3 SEP d d d ... QUERY k2`` -> ``v2``.

    ``n_pairs`` key/value pairs are shown, then ``distance`` random distractor
    tokens, then a query for one of the keys; the model must output its value.
    ``distance`` is an int or a ``(low, high)`` range drawn per batch.
    Returns ``x`` of shape ``(batch, 2*n_pairs + distance + 3)`` and ``y`` of the
    same shape, ``IGNORE`` everywhere except the last position (the value).
    Chance accuracy is ``1 / RECALL_VALUES`` = 0.125.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not 1 <= n_pairs <= RECALL_KEYS:
        raise ValueError(f"n_pairs must be in 1..{RECALL_KEYS}, got {n_pairs}")
    gen = generator or torch.Generator().manual_seed(0)
    if isinstance(distance, tuple):
        lo, hi = distance
        if not 0 <= lo <= hi:
            raise ValueError(f"distance range must satisfy 0 <= low <= high, got {distance}")
        distance = int(torch.randint(lo, hi + 1, (1,), generator=gen))
    if not isinstance(distance, int) or distance < 0:
        raise ValueError(f"distance must be a non-negative int or a (low, high) tuple, got {distance!r}")
    keys = torch.argsort(torch.rand(batch_size, RECALL_KEYS, generator=gen), dim=1)[:, :n_pairs]
    values = torch.randint(0, RECALL_VALUES, (batch_size, n_pairs), generator=gen) + RECALL_KEYS
    pairs = torch.stack([keys, values], dim=2).reshape(batch_size, 2 * n_pairs)
    distract = torch.randint(0, RECALL_DISTRACT, (batch_size, distance), generator=gen) + RECALL_KEYS + RECALL_VALUES
    which = torch.randint(0, n_pairs, (batch_size,), generator=gen)
    query_key = keys[torch.arange(batch_size), which]
    sep = torch.full((batch_size, 1), RECALL_SEP)
    query = torch.full((batch_size, 1), RECALL_QUERY)
    x = torch.cat([pairs, sep, distract, query, query_key[:, None]], dim=1)
    y = torch.full_like(x, IGNORE)
    y[:, -1] = values[torch.arange(batch_size), which]
    return x, y
