"""Word-vector benchmarks that ship with gensim: WordSim-353, SimLex-999 and the Google analogies.

- ``similarity_pairs(name)``: ``[(word1, word2, human score)]`` for
  ``'wordsim353'`` (Finkelstein et al. 2002: relatedness *and* similarity,
  0-10) or ``'simlex999'`` (Hill et al. 2015: similarity only, 0-10).
- ``similarity_score(vectors, pairs)``: Spearman ρ between cosine similarity
  and the human scores over the pairs whose two words the vocabulary holds,
  with that coverage.
- ``analogy_questions()``: the 19,544 questions of Mikolov et al. (2013a),
  ``a : b :: c : d`` in 14 categories; ``analogy_accuracy`` answers with
  3CosAdd (the word nearest to b - a + c, **excluding a, b and c**: without
  that rule "king - man + woman" mostly answers "king").
- Baselines that give the numbers meaning: ``random_vectors`` (same words,
  no meaning) and ``frequency_similarity`` (rates a pair by how common its
  rarer word is; no meaning, only frequency).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import config
from .embed import WordVectors

BENCHMARKS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def _datapath(filename: str) -> Path:
    try:
        from gensim.test.utils import datapath
    except ModuleNotFoundError:
        raise ModuleNotFoundError("the word benchmarks ship with gensim; run: pip install gensim==4.4.0") from None
    return Path(datapath(filename))


def similarity_pairs(name: str) -> list[tuple[str, str, float]]:
    """Human-rated word pairs, lower-cased: ``[(word1, word2, score 0-10)]`` (353 or 999 pairs)."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
    pairs = []
    for line in _datapath(BENCHMARKS[name]).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        a, b, score = line.split("\t")[:3]
        pairs.append((a.lower(), b.lower(), float(score)))
    return pairs


def analogy_questions() -> list[tuple[str, str, str, str, str]]:
    """The Google analogy set, lower-cased: ``[(category, a, b, c, d)]`` meaning a : b :: c : d."""
    questions, category = [], ""
    for line in _datapath("questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            category = line[1:].strip()
        elif line.strip():
            a, b, c, d = line.lower().split()
            questions.append((category, a, b, c, d))
    return questions


def ranks(x) -> np.ndarray:
    """Ranks 1..n of ``x`` ``(n,)``, ties sharing their average rank (as Spearman's ρ needs)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    result = np.empty(len(x))
    start = 0
    for end in range(1, len(x) + 1):
        if end == len(x) or sorted_x[end] != sorted_x[start]:
            result[order[start:end]] = (start + end + 1) / 2  # average of ranks start+1 … end
            start = end
    return result


def spearman(x, y) -> float:
    """Spearman's rank correlation of two equal-length sequences (Pearson's r of their ranks), in [-1, 1].

    Raises ``ValueError`` for fewer than 3 values, non-finite values, or a
    constant input (every rank tied: ρ is undefined, not 0).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D and of equal length, got shapes {x.shape} and {y.shape}")
    if len(x) < 3:
        raise ValueError(f"need at least 3 pairs for a rank correlation, got {len(x)}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite (no NaN or inf)")
    rx, ry = ranks(x) - (len(x) + 1) / 2, ranks(y) - (len(y) + 1) / 2
    denom = np.sqrt((rx**2).sum() * (ry**2).sum())
    if denom == 0:
        raise ValueError("x or y is constant: every rank is tied and the rank correlation is undefined")
    return float((rx * ry).sum() / denom)


def _check_vectors(vectors) -> WordVectors:
    if not isinstance(vectors, WordVectors):
        raise TypeError(f"vectors must be nbkit.embed.WordVectors, got {type(vectors).__name__}")
    return vectors


def _check_pairs(pairs) -> list[tuple[str, str, float]]:
    if isinstance(pairs, str) or not isinstance(pairs, Sequence) or not pairs:
        raise ValueError("pairs must be a non-empty list of (word1, word2, score); see similarity_pairs()")
    for i, p in enumerate(pairs):
        if len(p) != 3 or not isinstance(p[0], str) or not isinstance(p[1], str):
            raise ValueError(f"pairs[{i}] must be (word1, word2, score), got {p!r}")
    return list(pairs)


def similarity_score(vectors: WordVectors, pairs: Sequence[tuple[str, str, float]]) -> dict:
    """Spearman ρ of cosine similarity vs human scores, over the pairs the vocabulary covers.

    Returns ``{"rho", "covered", "total", "coverage"}``; ``rho`` is NaN only
    when fewer than 3 pairs are covered (then nothing can be said).
    """
    vectors, pairs = _check_vectors(vectors), _check_pairs(pairs)
    kept = [(a, b, s) for a, b, s in pairs if a in vectors and b in vectors]
    result = {"covered": len(kept), "total": len(pairs), "coverage": len(kept) / len(pairs), "rho": float("nan")}
    if len(kept) >= 3:
        cos = [float(vectors.vector(a) @ vectors.vector(b)) for a, b, _ in kept]
        result["rho"] = spearman(cos, [s for _, _, s in kept])
    return result


def covered_by_all(items: Sequence, vocabularies: Sequence[WordVectors]) -> list:
    """The pairs ``(w1, w2, score)`` or questions ``(category, a, b, c, d)`` whose words every vocabulary holds.

    Scores compared on this common set are fair: no model is judged on words it never had.
    """
    if not vocabularies or not all(isinstance(v, WordVectors) for v in vocabularies):
        raise ValueError("vocabularies must be a non-empty list of WordVectors")
    if any(len(item) not in (3, 5) for item in items):
        raise ValueError("items must be (word1, word2, score) pairs or (category, a, b, c, d) questions")
    words = [item[:2] if len(item) == 3 else item[1:] for item in items]
    return [item for item, ws in zip(items, words) if all(w in v for w in ws for v in vocabularies)]


def frequency_similarity(pairs: Sequence[tuple[str, str, float]], ranked_words: Sequence[str]) -> dict:
    """A no-meaning baseline: a pair's score is -log(frequency rank of its rarer word).

    ranked_words: words from most to least frequent (e.g. GloVe's vocabulary,
    counted on 6B tokens). Returns the same dict as ``similarity_score``.
    """
    pairs = _check_pairs(pairs)
    rank = {w: i + 1 for i, w in enumerate(ranked_words)}
    kept = [(a, b, s) for a, b, s in pairs if a in rank and b in rank]
    result = {"covered": len(kept), "total": len(pairs), "coverage": len(kept) / len(pairs), "rho": float("nan")}
    if len(kept) >= 3:
        result["rho"] = spearman([-np.log(max(rank[a], rank[b])) for a, b, _ in kept], [s for _, _, s in kept])
    return result


def random_vectors(words: Sequence[str], dim: int, seed: int = 0, name: str = "random") -> WordVectors:
    """Gaussian random unit vectors for ``words``: the "knows nothing" baseline (ρ ≈ 0 ± 1/√pairs)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim must be a positive int, got {dim!r}")
    gen = config.rng(seed)
    return WordVectors.from_arrays(name, list(words), gen.standard_normal((len(words), int(dim))).astype(np.float32))


def solve_analogy(vectors: WordVectors, a: str, b: str, c: str, k: int = 1,
                  exclude_query: bool = True) -> list[tuple[str, float]]:
    """``a : b :: c : ?`` by 3CosAdd: the ``k`` words nearest to ``b - a + c``, with their cosine.

    exclude_query: leave a, b and c out of the answers (the standard
    protocol). Unknown words raise ``ValueError`` naming the word.
    """
    vectors = _check_vectors(vectors)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    target = vectors.vector(b) - vectors.vector(a) + vectors.vector(c)
    sims = vectors.vectors @ (target / np.linalg.norm(target))
    if exclude_query:
        sims[[vectors.index[w] for w in (a, b, c)]] = -np.inf
    top = np.argsort(-sims)[:k]
    return [(vectors.words[i], float(sims[i])) for i in top]


def analogy_accuracy(vectors: WordVectors, questions: Sequence[tuple[str, str, str, str, str]],
                     exclude_query: bool = True, chunk: int = 256) -> dict:
    """Share of analogy questions answered exactly by 3CosAdd, over the questions the vocabulary covers.

    questions: ``[(category, a, b, c, d)]``. The answer is searched among all
    words of ``vectors`` (restrict the vocabulary first, e.g. ``.subset(30_000)``,
    as Mikolov et al. did). Returns ``{"accuracy", "covered", "total",
    "coverage", "by_category": {category: accuracy}}``; accuracy is NaN when
    no question is covered.
    """
    vectors = _check_vectors(vectors)
    if isinstance(questions, str) or not isinstance(questions, Sequence) or not questions:
        raise ValueError("questions must be a non-empty list of (category, a, b, c, d); see analogy_questions()")
    if any(len(q) != 5 for q in questions):
        raise ValueError("each question must be (category, a, b, c, d)")
    kept = [q for q in questions if all(w in vectors for w in q[1:])]
    correct = np.zeros(len(kept), dtype=bool)
    for lo in range(0, len(kept), chunk):
        part = kept[lo:lo + chunk]
        idx = np.array([[vectors.index[w] for w in q[1:]] for q in part])
        target = vectors.vectors[idx[:, 1]] - vectors.vectors[idx[:, 0]] + vectors.vectors[idx[:, 2]]
        sims = target @ vectors.vectors.T
        if exclude_query:
            rows = np.arange(len(part))[:, None]
            sims[rows, idx[:, :3]] = -np.inf
        correct[lo:lo + chunk] = sims.argmax(1) == idx[:, 3]
    by_category = {}
    for cat in dict.fromkeys(q[0] for q in kept):
        mask = np.array([q[0] == cat for q in kept])
        by_category[cat] = float(correct[mask].mean())
    return {"accuracy": float(correct.mean()) if kept else float("nan"), "covered": len(kept),
            "total": len(questions), "coverage": len(kept) / len(questions), "by_category": by_category}
