"""Corpora, the byte tokenizer, batching, and synthetic sequence tasks.

The text itself (Python's own English documentation, de-duplicated and split
by document) comes from ``nbkit.corpus``. Text is tokenized as UTF-8 bytes (vocabulary 256):
nothing is ever out of vocabulary, and bits per byte equal bits per character
on this almost-ASCII text.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from . import config

VOCAB = 256


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
    Chance accuracy is ``1 / RECALL_VALUES`` = 0.125. ``generator``: a seeded
    ``torch.Generator`` for reproducible batches; None draws from torch's global one.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not 1 <= n_pairs <= RECALL_KEYS:
        raise ValueError(f"n_pairs must be in 1..{RECALL_KEYS}, got {n_pairs}")
    gen = generator  # None: torch's global generator, seeded by nbkit.setup()
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


def recall_token_names(ids) -> list[str]:
    """Readable names for recall/order token ids: keys ``k0..k7``, values ``v0..v7``,
    distractors ``·``, separator ``|``, query ``?``. Input: a 1-D sequence of ids."""
    arr = np.asarray(ids.cpu() if isinstance(ids, torch.Tensor) else ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= RECALL_VOCAB):
        raise ValueError(f"ids must be in 0..{RECALL_VOCAB - 1} (the recall vocabulary)")
    names = []
    for i in arr.tolist():
        if i < RECALL_KEYS:
            names.append(f"k{i}")
        elif i < RECALL_KEYS + RECALL_VALUES:
            names.append(f"v{i - RECALL_KEYS}")
        elif i < RECALL_KEYS + RECALL_VALUES + RECALL_DISTRACT:
            names.append("·")
        else:
            names.append("|" if i == RECALL_SEP else "?")
    return names


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def recall_sampler(batch_size: int, max_distance: int, n_pairs: int = 1, min_distance: int = 1,
                   spread: str = "log", seed: int = 0, device=None,
                   grow_over: int = 0) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A function returning recall batches (see ``recall_batch``) with a fresh distance per batch.

    ``spread='log'`` draws the distance log-uniformly in ``min_distance..max_distance``
    (as many batches with gaps 2-4 as with 64-128): short gaps give every model
    an easy signal to start learning from, a built-in curriculum. ``'uniform'``
    draws it uniformly. ``grow_over``: a curriculum — over the first
    ``grow_over`` calls the largest distance grows geometrically from
    ``max(min_distance, 4)`` to ``max_distance`` (0: the full range from the
    start). Shapes as in ``recall_batch`` (the length varies per batch).
    """
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("min_distance", min_distance, 0)
    _check_positive_int("max_distance", max_distance, max(1, min_distance))
    _check_positive_int("grow_over", grow_over, 0)
    if spread not in ("log", "uniform"):
        raise ValueError(f"spread must be 'log' or 'uniform', got {spread!r}")
    gen = torch.Generator().manual_seed(_check_positive_int("seed", seed, 0))
    dev = device or config.device()
    start = min(max(min_distance, 4), max_distance)
    calls = [0]

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        grown = min(1.0, calls[0] / grow_over) if grow_over else 1.0
        calls[0] += 1
        top = max_distance if grown >= 1.0 else start * (max_distance / start) ** grown
        lo, hi = np.log(min_distance + 1), np.log(top + 1)
        u = float(torch.rand(1, generator=gen))
        if spread == "log":
            distance = int(np.exp(lo + u * (hi - lo))) - 1
        else:
            distance = min_distance + int(u * (top - min_distance + 1))
        distance = min(max(distance, min_distance), round(top))
        x, y = recall_batch(batch_size, distance, n_pairs=n_pairs, generator=gen)
        return x.to(dev), y.to(dev)

    return sample


def order_batch(batch_size: int, length: int, n_marks: int = 2,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Which marked token came first? ``d d M3 d d d M7 d ... QUERY`` -> ``M3``.

    ``length`` filler tokens (ids 16..23) with ``n_marks`` distinct marks
    (ids 0..7) at random places, then ``RECALL_QUERY``; the target (last
    position only, ``IGNORE`` elsewhere) is the mark that appears earliest.
    The answer depends only on ORDER: a model blind to positions can at best
    name one of the marks at random, chance ``1 / n_marks``.
    Returns ``x, y`` of shape ``(batch_size, length + 1)``, int64, same vocabulary as recall.
    """
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("n_marks", n_marks, 2)
    if n_marks > RECALL_KEYS:
        raise ValueError(f"n_marks must be at most {RECALL_KEYS}, got {n_marks}")
    _check_positive_int("length", length, n_marks)
    gen = generator  # None: torch's global generator, seeded by nbkit.setup()
    x = torch.randint(0, RECALL_DISTRACT, (batch_size, length), generator=gen) + RECALL_KEYS + RECALL_VALUES
    places = torch.argsort(torch.rand(batch_size, length, generator=gen), dim=1)[:, :n_marks]
    marks = torch.argsort(torch.rand(batch_size, RECALL_KEYS, generator=gen), dim=1)[:, :n_marks]
    x.scatter_(1, places, marks)
    first = marks.gather(1, places.argmin(dim=1, keepdim=True))[:, 0]
    x = torch.cat([x, torch.full((batch_size, 1), RECALL_QUERY)], dim=1)
    y = torch.full_like(x, IGNORE)
    y[:, -1] = first
    return x, y


def repeat_sampler(ids: np.ndarray, batch_size: int, context: int, seed: int = 0,
                   device=None) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """Like ``batch_sampler``, but the second half of every window repeats the first.

    A window is ``c[0:h] + c[0:h]`` for a random chunk ``c`` of the text
    (``h = context // 2``), so from position ``h`` on the next byte can be
    copied from ``h`` positions back: only a model that reaches that far
    back gets it nearly free. Returns ``(x, y)``, each ``(batch_size, 2h)`` int64.
    """
    ids = np.asarray(ids)
    _check_positive_int("context", context, 2)
    h = context // 2
    if ids.ndim != 1 or len(ids) <= h + 2:
        raise ValueError(f"ids must be 1-D and longer than context//2 + 2 = {h + 2}, got shape {ids.shape}")
    _check_positive_int("batch_size", batch_size)
    data = torch.from_numpy(ids.astype(np.int64))
    gen = torch.Generator().manual_seed(_check_positive_int("seed", seed, 0))
    dev = device or config.device()
    offsets = torch.cat([torch.arange(h), torch.arange(h + 1)])

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(0, len(data) - h - 1, (batch_size,), generator=gen)
        window = data[starts[:, None] + offsets]
        return window[:, :-1].to(dev), window[:, 1:].to(dev)

    return sample


# Groups of Language Reference topics whose texts do not overlap, for a small labelled task.
TOPIC_GROUPS = {
    "strings": ("string-methods", "formatstrings"),
    "debugger": ("debugger",),
    "special methods": ("specialnames",),
    "compound statements": ("compound",),
    "sequences & mappings": ("typesseq", "typesmapping"),
    "execution model": ("execmodel", "import"),
}


def topic_passages(n_per_class: int, length: int = 64, split: str = "train", seed: int = 0,
                   classes: tuple[str, ...] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A labelled task: which group of Language Reference topics does a passage come from?

    Draws ``n_per_class`` random windows of ``length`` bytes from each group in
    ``classes`` (default: all of ``TOPIC_GROUPS``, labels in that order). The
    first 80 % of each group's text is ``split='train'``, the last 20 %
    ``'test'``, so test passages never overlap training ones.
    Returns ``x`` ``(n_classes * n_per_class, length)`` int64 byte ids and
    ``y`` ``(n_classes * n_per_class,)`` int64 labels, shuffled.
    """
    from pydoc_data.topics import topics

    _check_positive_int("n_per_class", n_per_class)
    _check_positive_int("length", length)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    classes = tuple(TOPIC_GROUPS) if classes is None else tuple(classes)
    unknown = [c for c in classes if c not in TOPIC_GROUPS]
    if unknown or len(classes) < 2:
        raise ValueError(f"classes must be >= 2 names from TOPIC_GROUPS ({', '.join(TOPIC_GROUPS)}), got {classes}")
    gen = np.random.default_rng(_check_positive_int("seed", seed, 0))
    xs, ys = [], []
    for label, name in enumerate(classes):
        text = encode("\n".join(topics[k] for k in TOPIC_GROUPS[name] if k in topics))
        cut = int(0.8 * len(text))
        part = text[:cut] if split == "train" else text[cut:]
        if len(part) <= length:
            raise ValueError(f"length {length} is too long for the {split} text of {name!r} ({len(part)} bytes)")
        starts = gen.integers(0, len(part) - length, n_per_class)
        xs.append(np.stack([part[s:s + length] for s in starts]))
        ys.append(np.full(n_per_class, label))
    order = gen.permutation(len(classes) * n_per_class)
    x = torch.from_numpy(np.concatenate(xs)[order].astype(np.int64))
    return x, torch.from_numpy(np.concatenate(ys)[order].astype(np.int64))


def tensor_sampler(x: torch.Tensor, y: torch.Tensor, batch_size: int,
                   seed: int = 0, device=None) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A function returning random mini-batches ``(x[idx], y[idx])`` of a fixed data set.

    ``x`` and ``y`` share their first dimension (examples); a batch holds
    ``min(batch_size, len(x))`` distinct examples, on ``device`` (default ``config.device()``).
    """
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"x and y must be torch tensors, got {type(x).__name__}, {type(y).__name__}")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty with the same length, got {len(x)} and {len(y)}")
    _check_positive_int("batch_size", batch_size)
    gen = torch.Generator().manual_seed(_check_positive_int("seed", seed, 0))
    size = min(batch_size, len(x))
    x, y = x.to(device or config.device()), y.to(device or config.device())

    def sample() -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randperm(len(x), generator=gen)[:size].to(x.device)
        return x[idx], y[idx]

    return sample


# ---------------------------------------------------------------- a source with known entropy
class MarkovSource:
    """An order-``k`` Markov chain over bytes with an exactly computable entropy rate.

    Built by ``markov_source(text, order)``: the transition probabilities are
    the corpus's (k+1)-gram statistics, smoothed with interpolated Witten–Bell
    (each context mixes its observed next-symbol frequencies with the
    next-lower order's distribution, with weight ``c / (c + t)``, where ``c``
    counts the context and ``t`` the distinct symbols seen after it; order 0
    mixes with the uniform distribution). Every symbol can follow every
    context, so the chain is irreducible and aperiodic, with one stationary
    distribution over its ``A**k`` states (``A`` = alphabet size).

    ``entropy_rate()`` is ``sum_s pi(s) H(P(.|s))`` in nats per symbol: the lowest
    loss any model can reach on text from ``sample()`` once it has seen ``k``
    symbols of context. Symbols are byte values (``alphabet``), so the samples
    feed the byte-level models directly.
    """

    def __init__(self, order: int, alphabet: np.ndarray, lower: list[np.ndarray], ctx_codes: np.ndarray,
                 ctx_counts: np.ndarray, ctx_types: np.ndarray, gram_codes: np.ndarray, gram_counts: np.ndarray):
        self.order = order
        self.alphabet = alphabet  # (A,) uint8 byte values
        self._lower = lower  # lower[j]: dense (A**j, A) smoothed P_j(next | context of length j), j < order
        self._ctx_codes, self._ctx_counts, self._ctx_types = ctx_codes, ctx_counts, ctx_types
        self._gram_codes, self._gram_counts = gram_codes, gram_counts
        a = len(alphabet)
        self._index = np.full(a**order, -1, dtype=np.int64)  # state code -> row among seen contexts
        self._index[ctx_codes] = np.arange(len(ctx_codes))
        self._starts = np.searchsorted(gram_codes // a, ctx_codes)  # first (k+1)-gram of each seen context
        self._cum = np.cumsum(gram_counts)
        self._pi: np.ndarray | None = None
        self._entropy: float | None = None

    @property
    def n_states(self) -> int:
        """Number of states, ``A**order``."""
        return len(self.alphabet) ** self.order

    def __repr__(self) -> str:
        return (f"MarkovSource(order={self.order}, alphabet={len(self.alphabet)} symbols, "
                f"{len(self._ctx_codes):,} seen contexts, {len(self._gram_codes):,} seen {self.order + 1}-grams)")

    # -- transition probabilities
    def _probs(self, states: np.ndarray) -> np.ndarray:
        """Rows ``P(next | state)`` for state codes ``(n,)`` -> ``(n, A)``."""
        a, k = len(self.alphabet), self.order
        if k == 0:
            return np.repeat(self._lower[0], len(states), axis=0)
        lower = self._lower[k - 1][states % a ** (k - 1)]
        row = self._index[states]
        seen = row >= 0
        if seen.any():
            lower[seen] = self._seen_rows(row[seen])
        return lower

    def next_probs(self, context) -> np.ndarray:
        """``P(next symbol | context)`` over ``alphabet``, shape ``(A,)``.

        ``context``: the last ``order`` bytes (a str, bytes or byte ids); longer
        contexts are cut to their last ``order`` bytes.
        """
        if isinstance(context, str):
            ids = encode(context)
        elif isinstance(context, (bytes, bytearray)):
            ids = np.frombuffer(bytes(context), dtype=np.uint8)
        else:
            ids = np.asarray(context)
        if ids.ndim != 1 or len(ids) < self.order:
            raise ValueError(f"context must hold at least order = {self.order} symbols, got {len(ids)}")
        lookup = np.full(256, -1, dtype=np.int64)
        lookup[self.alphabet] = np.arange(len(self.alphabet))
        sym = lookup[ids[len(ids) - self.order:].astype(np.int64)]
        if (sym < 0).any():
            raise ValueError("context contains bytes outside the source's alphabet")
        state = 0
        for s in sym:
            state = state * len(self.alphabet) + int(s)
        return self._probs(np.array([state], dtype=np.int64))[0]

    def _seen_rows(self, rows: np.ndarray) -> np.ndarray:
        """Dense ``P(next | seen context)`` for seen-context rows ``(n,)`` -> ``(n, A)`` (vectorised)."""
        a, k = len(self.alphabet), self.order
        c, t = self._ctx_counts[rows].astype(float), self._ctx_types[rows].astype(float)
        dense = self._lower[k - 1][self._ctx_codes[rows] % a ** (k - 1)] * (t / (c + t))[:, None]
        lengths = self._ctx_types[rows]
        owner = np.repeat(np.arange(len(rows)), lengths)
        entry = np.repeat(self._starts[rows] - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        np.add.at(dense, (owner, self._gram_codes[entry] % a), self._gram_counts[entry] / (c + t)[owner])
        return dense

    # -- stationary distribution and entropy rate
    def stationary(self, tol: float = 1e-10, max_iter: int = 5000) -> np.ndarray:
        """The stationary distribution over the ``A**order`` states ``(n_states,)`` (power iteration)."""
        if self._pi is not None:
            return self._pi
        a, k = len(self.alphabet), self.order
        if k == 0:
            self._pi = np.ones(1)
            return self._pi
        c, t = self._ctx_counts.astype(float), self._ctx_types.astype(float)
        keep = np.ones(self.n_states)  # 1 - lambda: the weight each state gives to the lower order
        keep[self._ctx_codes] = t / (c + t)
        owner = np.repeat(np.arange(len(self._ctx_codes)), self._ctx_types)
        move = self._gram_counts / (c + t)[owner]  # lambda * ML probability of each seen (k+1)-gram
        target = self._gram_codes % self.n_states  # the state each seen (k+1)-gram leads to
        lower = self._lower[k - 1]
        pi = np.full(self.n_states, 1e-12)
        np.add.at(pi, self._ctx_codes, c)
        pi /= pi.sum()
        for _ in range(max_iter):
            new = np.bincount(target, weights=pi[self._ctx_codes][owner] * move, minlength=self.n_states)
            spill = (pi * keep).reshape(a, -1).sum(axis=0)  # mass backing off, by (k-1)-suffix
            new += (spill[:, None] * lower).reshape(-1)
            new /= new.sum()
            done = np.abs(new - pi).sum() < tol
            pi = new
            if done:
                break
        self._pi = pi
        return pi

    def entropy_rate(self) -> float:
        """The exact entropy rate in nats per symbol: ``sum_s pi(s) H(P(.|s))``."""
        if self._entropy is not None:
            return self._entropy
        a, k = len(self.alphabet), self.order
        if k == 0:
            p = self._lower[0][0]
            self._entropy = float(-(p * np.log(p)).sum())
            return self._entropy
        pi = self.stationary()
        lower = self._lower[k - 1]
        h_lower = -(lower * np.log(lower)).sum(axis=1)  # (A**(k-1),)
        unseen = np.ones(self.n_states, dtype=bool)
        unseen[self._ctx_codes] = False
        total = float((pi * unseen * h_lower[np.arange(self.n_states) % a ** (k - 1)]).sum())
        for lo in range(0, len(self._ctx_codes), 4096):
            rows = np.arange(lo, min(lo + 4096, len(self._ctx_codes)))
            p = self._seen_rows(rows)
            total += float((pi[self._ctx_codes[rows]] * -(p * np.log(p)).sum(axis=1)).sum())
        self._entropy = total
        return total

    # -- sampling and scoring
    def sample(self, n: int, seed: int = 0, n_chains: int = 256) -> np.ndarray:
        """``n`` bytes of text from the chain, shape ``(n,)`` uint8.

        ``n_chains`` independent chains, each started from the stationary
        distribution, run side by side (fast) and are laid end to end. At each
        of the ``n_chains - 1`` joins the next ``order`` symbols follow a fresh
        start instead of the chain: a negligible share of the text when chains
        are long (``n / n_chains`` >> ``order``).
        """
        for name, value, low in (("n", n, 1), ("seed", seed, 0), ("n_chains", n_chains, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        a, k = len(self.alphabet), self.order
        n_chains = min(int(n_chains), int(n))
        length = -(-int(n) // n_chains)
        gen = np.random.default_rng(seed)
        out = np.empty((n_chains, length + k), dtype=np.int64)
        if k:
            state = gen.choice(self.n_states, size=n_chains, p=self.stationary())
            for j in range(k):  # write the start state's symbols
                out[:, j] = (state // a ** (k - 1 - j)) % a
        else:
            state = np.zeros(n_chains, dtype=np.int64)
        lower_cum = np.cumsum(self._lower[k - 1 if k else 0], axis=1)
        lower_cum[:, -1] = 1.0
        for step in range(length):
            u = gen.random(n_chains)
            if k:
                row = self._index[state]
                seen = row >= 0
                c = np.where(seen, self._ctx_counts[np.maximum(row, 0)], 0).astype(float)
                t = np.where(seen, self._ctx_types[np.maximum(row, 0)], 1).astype(float)
                use_counts = u < c / (c + t)  # choose the observed frequencies with weight lambda
                sym = np.empty(n_chains, dtype=np.int64)
                if use_counts.any():
                    r = row[use_counts]
                    lo = self._starts[r]
                    before = np.where(lo > 0, self._cum[np.maximum(lo - 1, 0)], 0)
                    pick = before + gen.random(len(r)) * self._ctx_counts[r]
                    sym[use_counts] = self._gram_codes[np.searchsorted(self._cum, pick, side="right")] % a
                back = ~use_counts
                if back.any():
                    cum = lower_cum[state[back] % a ** (k - 1)]
                    sym[back] = np.minimum((cum < gen.random(back.sum())[:, None]).sum(axis=1), a - 1)
                state = (state * a + sym) % self.n_states
            else:
                sym = np.minimum((lower_cum[0][None, :] < u[:, None]).sum(axis=1), a - 1)
            out[:, k + step] = sym
        return self.alphabet[out[:, k:].reshape(-1)[: int(n)]]

    def log_loss(self, ids) -> float:
        """The chain's own mean loss (nats per symbol) on byte ids ``(n,)``, positions ``order..n-1``.

        On a long sample this approaches ``entropy_rate()``: a check that the
        sampler and the entropy agree.
        """
        ids = np.asarray(ids)
        if ids.ndim != 1 or len(ids) <= self.order:
            raise ValueError(f"ids must be 1-D and longer than the order ({self.order}), got shape {ids.shape}")
        lookup = np.full(256, -1, dtype=np.int64)
        lookup[self.alphabet] = np.arange(len(self.alphabet))
        sym = lookup[ids.astype(np.int64)]
        if (sym < 0).any():
            raise ValueError("ids contain bytes outside the source's alphabet")
        a, k = len(self.alphabet), self.order
        state = np.zeros(len(ids) - k, dtype=np.int64)
        for j in range(k):
            state = state * a + sym[j:len(ids) - k + j]
        nxt = sym[k:]
        total = 0.0
        for lo in range(0, len(nxt), 8192):
            p = self._probs(state[lo:lo + 8192])
            total += float(-np.log(p[np.arange(len(p)), nxt[lo:lo + 8192]]).sum())
        return total / len(nxt)


def _witten_bell(counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Dense interpolated Witten–Bell rows: counts ``(C, A)``, lower-order rows ``(C, A)`` -> ``(C, A)``."""
    c = counts.sum(axis=1, keepdims=True)
    t = (counts > 0).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mixed = (counts + t * lower) / (c + t)
    return np.where(c > 0, mixed, lower)


MAX_MARKOV_STATES = 5_000_000


def markov_source(text, order: int = 3) -> MarkovSource:
    """Fit an order-``order`` byte Markov chain to ``text`` (a str or byte ids), Witten–Bell smoothed.

    The alphabet is the set of bytes in the text. ``order`` k in 0..5, with
    ``A**k`` states at most ``MAX_MARKOV_STATES`` (order 3 on the kit's corpora
    has ~1.4M). Returns a ``MarkovSource``; its ``entropy_rate()`` is exact.
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 0 <= order <= 5:
        raise ValueError(f"order must be an int in 0..5, got {order!r}")
    ids = encode(text) if isinstance(text, str) else np.asarray(text)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer) or len(ids) <= order + 1:
        raise ValueError(f"text must be a str or 1-D byte ids longer than order + 1 = {order + 1}")
    if ids.min() < 0 or ids.max() > 255:
        raise ValueError("byte ids must lie in 0..255")
    alphabet = np.unique(ids).astype(np.uint8)
    a, k = len(alphabet), int(order)
    if a < 2:
        raise ValueError("text must contain at least two distinct symbols")
    if a**k > MAX_MARKOV_STATES:
        raise ValueError(f"order {k} over {a} symbols gives {a**k:,} states (> {MAX_MARKOV_STATES:,}); "
                         "use a lower order or a text with fewer distinct symbols")
    lookup = np.zeros(256, dtype=np.int64)
    lookup[alphabet] = np.arange(a)
    sym = lookup[ids.astype(np.int64)]

    def gram_codes(length: int) -> np.ndarray:
        code = np.zeros(len(sym) - length + 1, dtype=np.int64)
        for j in range(length):
            code = code * a + sym[j:len(sym) - length + 1 + j]
        return code

    lower = [_witten_bell(np.bincount(sym, minlength=a)[None, :].astype(float), np.full((1, a), 1.0 / a))]
    for j in range(1, k):  # dense tables for orders 1..k-1
        counts = np.bincount(gram_codes(j + 1), minlength=a ** (j + 1)).reshape(a**j, a).astype(float)
        lower.append(_witten_bell(counts, lower[j - 1][np.arange(a**j) % a ** (j - 1)]))
    if k == 0:
        empty = np.zeros(0, dtype=np.int64)
        return MarkovSource(0, alphabet, lower, empty, empty, empty, empty, empty)
    grams, gram_counts = np.unique(gram_codes(k + 1), return_counts=True)
    ctx, first = np.unique(grams // a, return_index=True)
    types = np.diff(np.append(first, len(grams)))
    ctx_counts = np.add.reduceat(gram_counts, first)
    return MarkovSource(k, alphabet, lower, ctx, ctx_counts, types, grams, gram_counts)
