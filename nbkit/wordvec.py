"""Word vectors trained from scratch: skip-gram with negative sampling (word2vec) in one page of torch.

Text: the ~470k-word English Wikipedia sample that ships in gensim's test
data (``wiki_articles``). ``Vocab`` counts words; ``skipgram_pairs`` turns a
token stream into (centre, context) pairs the way word2vec does (random
window shrinking, sub-sampling of frequent words); ``SkipGramNS`` is the
model and its loss; ``train_sgns`` trains several seeds as one batched model
(each seed has its own tables, initialisation, pair order and negatives) and
returns one ``embed.WordVectors`` per seed. ``gensim_word2vec`` trains the
library's C implementation on the same tokens with the same settings.

Mikolov et al. (2013), *Distributed Representations of Words and Phrases and
their Compositionality*, eq. 4: for a centre word c and a context word o,

    loss = -log σ(u_o · v_c) - Σ_{k negatives n ~ P(w) ∝ count(w)^0.75} log σ(-u_n · v_c)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import config
from .embed import WordVectors

_WORD = re.compile(r"[a-z]+")


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def wiki_articles(limit: int | None = None) -> list[tuple[str, str]]:
    """The English Wikipedia sample of gensim's test data: ``[(title, plain text)]``, redirects dropped.

    107 articles, ~3.1M characters (~470k words) from a 2017 dump; markup is
    stripped with gensim's ``filter_wiki`` (~7 s for all, then cached).
    limit: only the first ``limit`` articles (cheaper to prepare).
    """
    if limit is not None:
        _check_int("limit", limit)
    path = config.cache_dir() / f"wiki_sample_v1_{limit or 'all'}.json"
    if path.exists():
        return [tuple(a) for a in json.loads(path.read_text(encoding="utf-8"))]
    import bz2

    try:
        from gensim.corpora.wikicorpus import extract_pages, filter_wiki
        from gensim.test.utils import datapath
    except ModuleNotFoundError:
        raise ModuleNotFoundError("the Wikipedia sample ships with gensim; run: pip install gensim==4.4.0") from None
    articles = []
    with bz2.open(datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")) as f:
        for title, text, _ in extract_pages(f, filter_namespaces=("0",)):
            if not text.lstrip().lower().startswith("#redirect"):
                articles.append((title, filter_wiki(text)))
            if limit is not None and len(articles) == limit:
                break
    path.write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    return articles


def tokenize(text: str) -> list[str]:
    """Lower-case words made of ASCII letters: ``"The King's men" -> ['the', 'king', 's', 'men']``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _WORD.findall(text.lower())


@dataclass
class Vocab:
    """Words seen at least ``min_count`` times, most frequent first; ``counts`` aligned with ``words``."""

    words: list[str]
    counts: np.ndarray
    index: dict[str, int]

    @classmethod
    def build(cls, tokens: Sequence[str], min_count: int = 5) -> Vocab:
        """Count ``tokens`` and keep words with at least ``min_count`` occurrences (ties: alphabetical)."""
        _check_int("min_count", min_count)
        if isinstance(tokens, str) or not tokens:
            raise ValueError("tokens must be a non-empty list of words (use tokenize(text))")
        counts = Counter(tokens)
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if len(kept) < 2:
            raise ValueError(f"fewer than 2 words occur >= {min_count} times; lower min_count or give more text")
        return cls(kept, np.array([counts[w] for w in kept], dtype=np.int64), {w: i for i, w in enumerate(kept)})

    def __len__(self) -> int:
        return len(self.words)

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids ``(n,)`` int64 of the tokens in the vocabulary (others are skipped, as word2vec does)."""
        return np.array([self.index[t] for t in tokens if t in self.index], dtype=np.int64)


def skipgram_pairs(ids: np.ndarray, counts: np.ndarray, window: int = 5, sample: float = 1e-3,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) id pairs as word2vec makes them; returns two int64 arrays ``(P,)``.

    ids: the token stream ``(n,)``. counts: word counts ``(V,)`` for
    sub-sampling: a word of frequency f is kept with probability
    ``min(1, sqrt(sample / f) + sample / f)``. Each centre gets a window size
    drawn uniformly from 1..window (near words are used more often).
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"ids must be a 1-D token stream of >= 2 ids, got shape {ids.shape}")
    _check_int("window", window)
    if not isinstance(sample, (int, float)) or sample <= 0:
        raise ValueError(f"sample must be a positive number, got {sample!r}")
    gen = config.rng(_check_int("seed", seed, 0))
    freq = counts[ids] / counts.sum()
    keep = gen.random(len(ids)) < np.minimum(1.0, np.sqrt(sample / freq) + sample / freq)
    ids = ids[keep]
    spans = gen.integers(1, window + 1, len(ids))
    centres, contexts = [], []
    for offset in range(1, window + 1):
        use = spans[:-offset] >= offset  # pair (i, i+offset) when i's window reaches it
        centres += [ids[:-offset][use], ids[offset:][spans[offset:] >= offset]]
        contexts += [ids[offset:][use], ids[:-offset][spans[offset:] >= offset]]
    return np.concatenate(centres), np.concatenate(contexts)


class SkipGramNS(nn.Module):
    """Skip-gram with negative sampling for ``n_seeds`` independent models at once.

    Two tables per seed: ``centre`` vectors v (what we keep as word vectors)
    and ``context`` vectors u. Both are ``nn.Embedding(n_seeds * vocab, dim)``;
    seed s uses rows ``s * vocab + id``, so one optimizer step trains every seed.
    """

    def __init__(self, vocab: int, dim: int, n_seeds: int = 1):
        super().__init__()
        self.vocab, self.dim, self.n_seeds = vocab, dim, n_seeds
        self.centre = nn.Embedding(n_seeds * vocab, dim)
        self.context = nn.Embedding(n_seeds * vocab, dim)
        nn.init.uniform_(self.centre.weight, -0.5 / dim, 0.5 / dim)  # word2vec's initialisation
        nn.init.zeros_(self.context.weight)

    def loss(self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """SGNS loss summed over pairs and seeds (nats); divide by ``S * B`` for nats per pair.

        centres, contexts: ``(S, B)`` word ids per seed; negatives ``(S, B, k)``.
        """
        offset = (torch.arange(self.n_seeds, device=centres.device) * self.vocab)[:, None]
        v = self.centre(centres + offset)                       # (S, B, d)
        u_pos = self.context(contexts + offset)                 # (S, B, d)
        u_neg = self.context(negatives + offset[..., None])     # (S, B, k, d)
        pos = F.logsigmoid((v * u_pos).sum(-1))                 # log σ(u_o · v_c)
        neg = F.logsigmoid(-(u_neg * v[:, :, None]).sum(-1)).sum(-1)   # Σ_k log σ(-u_n · v_c)
        return -(pos + neg).sum()

    def vectors(self, seed_index: int) -> np.ndarray:
        """The centre vectors of one seed, ``(vocab, dim)`` float32."""
        rows = self.centre.weight.detach()[seed_index * self.vocab:(seed_index + 1) * self.vocab]
        return rows.cpu().numpy().astype(np.float32)


def _key(kind: str, tokens: Sequence[str], settings: dict) -> str:
    h = hashlib.sha256(json.dumps([kind, settings, torch.__version__]).encode())
    h.update(inspect.getsource(sys.modules[__name__]).encode())
    h.update("\x00".join(tokens).encode("utf-8"))
    return h.hexdigest()[:20]


def _save(path, vectors: list[WordVectors], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"v{i}": v.vectors for i, v in enumerate(vectors)}
    meta = {**meta, "names": [v.name for v in vectors], "words": vectors[0].words}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    tmp.replace(path)


def _load(path) -> tuple[list[WordVectors], dict] | None:
    try:
        with np.load(path) as f:
            meta = json.loads(str(f["meta"]))
            vectors = [WordVectors.from_arrays(n, meta["words"], f[f"v{i}"]) for i, n in enumerate(meta["names"])]
        return vectors, meta
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged: train again


@dataclass
class SGNSResult:
    """What ``train_sgns`` returns: one ``WordVectors`` per seed, the loss curve, pairs seen, wall time (s)."""

    vectors: list[WordVectors]
    steps: list[int]
    losses: list[float]
    pairs_per_seed: int
    seconds: float
    from_cache: bool = False


def train_sgns(tokens: Sequence[str], seeds: Sequence[int], dim: int = 64, window: int = 5, negatives: int = 5,
               min_count: int = 5, epochs: int = 1, batch_size: int = 1024, lr: float = 0.01,
               progress: bool = True, cache: bool = True) -> SGNSResult:
    """Train skip-gram with negative sampling for each seed (as one batched model) on ``tokens``.

    Every seed sees the same number of pairs (``epochs`` passes over its own
    sub-sampled pair set, truncated to the shortest), with SparseAdam at
    ``lr`` (Adam, not word2vec's plain SGD: on half a million words one pass of SGD
    barely leaves the starting point). Returns an ``SGNSResult``; the loss is nats
    per pair averaged over seeds. cache: reuse the vectors of an identical earlier
    run from ``config.cache_dir()/wordvec`` (``seconds`` is then the original time).
    """
    from tqdm.auto import tqdm

    seeds = [_check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    for name, value in (("dim", dim), ("negatives", negatives), ("epochs", epochs), ("batch_size", batch_size)):
        _check_int(name, value)
    if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    settings = {"seeds": seeds, "dim": dim, "window": window, "negatives": negatives, "min_count": min_count,
                "epochs": epochs, "batch_size": batch_size, "lr": lr}
    path = config.cache_dir() / "wordvec" / f"sgns-{_key('sgns', tokens, settings)}.npz"
    if cache and path.exists() and (hit := _load(path)):
        meta = hit[1]
        return SGNSResult(hit[0], meta["steps"], meta["losses"], meta["pairs"], meta["seconds"], True)
    vocab = Vocab.build(tokens, min_count)
    ids = vocab.ids(tokens)
    pair_sets = [skipgram_pairs(ids, vocab.counts, window, seed=s) for s in seeds]
    n_pairs = min(len(c) for c, _ in pair_sets)
    noise = torch.from_numpy(vocab.counts.astype(np.float64) ** 0.75)
    model = SkipGramNS(len(vocab), dim, len(seeds))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    torch.manual_seed(seeds[0])
    steps, losses, step, start = [], [], 0, time.perf_counter()
    total = epochs * math.ceil(n_pairs / batch_size)
    bar = tqdm(total=total, desc=f"SGNS, {len(seeds)} seed(s)", disable=not progress, unit="step")
    for _ in range(epochs):
        orders = [torch.randperm(len(c), generator=g)[:n_pairs] for (c, _), g in zip(pair_sets, gens)]
        for lo in range(0, n_pairs, batch_size):
            idx = [o[lo:lo + batch_size].numpy() for o in orders]
            centres = torch.from_numpy(np.stack([c[i] for (c, _), i in zip(pair_sets, idx)]))
            contexts = torch.from_numpy(np.stack([o[i] for (_, o), i in zip(pair_sets, idx)]))
            negs = torch.multinomial(noise, centres.numel() * negatives, replacement=True)
            loss = model.loss(centres, contexts, negs.view(*centres.shape, negatives))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == 1 or step % 50 == 0 or step == total:
                steps.append(step)
                losses.append(loss.item() / centres.numel())
            bar.update()
    bar.close()
    vectors = [WordVectors.from_arrays(f"SGNS (ours, seed {s})", vocab.words, model.vectors(i))
               for i, s in enumerate(seeds)]
    seconds = time.perf_counter() - start
    if cache:
        _save(path, vectors, {"steps": steps, "losses": losses, "pairs": n_pairs, "seconds": seconds})
    return SGNSResult(vectors, steps, losses, n_pairs, seconds)


def gensim_word2vec(tokens: Sequence[str], seed: int = 0, dim: int = 64, window: int = 5, negatives: int = 5,
                    min_count: int = 5, epochs: int = 1, cache: bool = True) -> tuple[WordVectors, float]:
    """``gensim.models.Word2Vec`` (skip-gram, negative sampling, one worker) on the same tokens.

    The tokens are cut into 1,000-word "sentences" (gensim's limit is 10,000).
    Returns the ``WordVectors`` and the training wall time in seconds (cached
    like ``train_sgns``: a cache hit returns the time of the original run).
    """
    try:
        from gensim.models import Word2Vec
    except ModuleNotFoundError:
        raise ModuleNotFoundError("gensim is not installed; run: pip install gensim==4.4.0") from None

    tokens = list(tokens)
    if not tokens:
        raise ValueError("tokens must be a non-empty list of words")
    settings = {"seed": seed, "dim": dim, "window": window, "negatives": negatives, "min_count": min_count,
                "epochs": epochs}
    path = config.cache_dir() / "wordvec" / f"gensim-{_key('gensim', tokens, settings)}.npz"
    if cache and path.exists() and (hit := _load(path)):
        return hit[0][0], hit[1]["seconds"]
    sentences = [tokens[i:i + 1000] for i in range(0, len(tokens), 1000)]
    start = time.perf_counter()
    model = Word2Vec(sentences, vector_size=_check_int("dim", dim), window=_check_int("window", window), sg=1,
                     negative=_check_int("negatives", negatives), min_count=_check_int("min_count", min_count),
                     epochs=_check_int("epochs", epochs), seed=_check_int("seed", seed, 0), workers=1)
    seconds = time.perf_counter() - start
    words = list(model.wv.index_to_key)
    vectors = WordVectors.from_arrays(f"gensim word2vec ({epochs} epoch{'s' * (epochs > 1)})", words, model.wv[words])
    if cache:
        _save(path, [vectors], {"seconds": seconds})
    return vectors, seconds
