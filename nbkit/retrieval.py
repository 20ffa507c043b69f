"""Retrieval: chunking, BM25, dense search, hybrid fusion, and the metrics that judge them.

    chunks = retrieval.chunk_documents(docs, size=120, overlap=20)    # word windows with char offsets
    bm25 = retrieval.BM25([c.text for c in chunks])                   # lexical (bm25s)
    dense = retrieval.Dense(vectors)                                  # exact cosine, numpy
    ids_b, _ = bm25.search(questions, k=10); ids_d, _ = dense.search(question_vectors, k=10)
    fused = retrieval.rrf([ids_b, ids_d], k=10)                       # reciprocal rank fusion
    retrieval.recall_at_k(fused, gold, 5), retrieval.mrr(fused, gold)

Rankings are integer arrays ``(n_queries, k)`` of row indices into the chunk
list, best first; ``-1`` marks "no result" (fewer than k candidates).
``gold`` is one set of relevant indices per query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\S+")
STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has", "have", "how",
     "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then", "there",
     "these", "this", "to", "was", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
     "my", "me", "we", "our", "not", "no"])


@dataclass(frozen=True)
class Chunk:
    """A passage cut from a document: ``doc_id``, ``position`` (0, 1, … within the document),
    ``start``/``end`` character offsets into the cleaned document text, and the ``text`` itself."""

    doc_id: str
    position: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        """``doc_id#position``: unique within one chunking of a corpus."""
        return f"{self.doc_id}#{self.position}"


def clean(text: str) -> str:
    """Collapse every run of whitespace (newlines, indentation) to one space; drop control characters."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    return " ".join(text.split())


def _check_sizes(size, overlap) -> tuple[int, int]:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int (words per chunk), got {size!r}")
    if isinstance(overlap, bool) or not isinstance(overlap, (int, np.integer)) or not 0 <= overlap < size:
        raise ValueError(f"overlap must be an int with 0 <= overlap < size ({size}), got {overlap!r}")
    return int(size), int(overlap)


def chunk_spans(text: str, size: int = 120, overlap: int = 20) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of windows of ``size`` words, consecutive windows sharing
    ``overlap`` words. A text of at most ``size`` words is one window; the last window ends at the
    last word. An empty text gives no window."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    size, overlap = _check_sizes(size, overlap)
    words = [m.span() for m in _WORD.finditer(text)]
    if not words:
        return []
    step = size - overlap
    spans, first = [], 0
    while True:
        last = min(first + size, len(words)) - 1
        spans.append((words[first][0], words[last][1]))
        if last == len(words) - 1:
            return spans
        first += step


def chunk_documents(docs: Sequence, size: int = 120, overlap: int = 20) -> list[Chunk]:
    """Clean each document and cut it into ``chunk_spans`` windows.

    docs: objects with ``.id`` and ``.text`` (``corpus.Document``, ``kb.Page``).
    Returns the chunks of all documents, in document order.
    """
    size, overlap = _check_sizes(size, overlap)
    if isinstance(docs, (str, bytes)) or not isinstance(docs, Sequence):
        raise TypeError(f"docs must be a list of documents with .id and .text, got {type(docs).__name__}")
    chunks = []
    for i, d in enumerate(docs):
        if not hasattr(d, "id") or not isinstance(getattr(d, "text", None), str):
            raise TypeError(f"docs[{i}] must have .id and a string .text, got {type(d).__name__}")
        text = clean(d.text)
        for p, (s, e) in enumerate(chunk_spans(text, size, overlap)):
            chunks.append(Chunk(str(d.id), p, s, e, text[s:e]))
    return chunks


def gold_chunks(chunks: Sequence[Chunk], doc_text: dict[str, str], evidence: str | Sequence[str],
                min_cover: float = 0.5) -> set[int]:
    """Indices of the chunks that hold at least ``min_cover`` of the words of an occurrence of an ``evidence`` phrase.

    doc_text: doc id -> the *cleaned* document text the chunks were cut from.
    evidence: a phrase (or a list of phrases) copied from the gold passage(s).
    A phrase cut in two by a chunk boundary still has a gold chunk when one
    side holds at least ``min_cover`` of it; overlap between chunks makes that likelier.
    """
    phrases = [evidence] if isinstance(evidence, str) else list(evidence)
    if not phrases or not all(isinstance(e, str) and e.strip() for e in phrases):
        raise ValueError("evidence must be a non-empty string or a list of them")
    if not 0 < min_cover <= 1:
        raise ValueError(f"min_cover must be in (0, 1], got {min_cover!r}")
    spans: dict[str, list[tuple[int, int]]] = {}
    for phrase in map(clean, phrases):
        for doc_id, text in doc_text.items():
            start = text.find(phrase)
            while start >= 0:
                spans.setdefault(doc_id, []).append((start, start + len(phrase)))
                start = text.find(phrase, start + 1)
    gold = set()
    for i, c in enumerate(chunks):
        for s, e in spans.get(c.doc_id, ()):
            starts = [s + m.start() for m in _WORD.finditer(doc_text[c.doc_id][s:e])]  # the phrase's words
            if sum(c.start <= w < c.end for w in starts) >= min_cover * len(starts):
                gold.add(i)
    return gold


def learner_questions() -> list[dict]:
    """The kit's learner-style questions over the Python Language Reference (``pydoc_data.topics``).

    Each is ``{"id", "doc", "question", "evidence": [phrases]}``: the question
    in a learner's words, and phrases copied verbatim from its gold passage(s)
    that locate the gold chunks (``gold_chunks``). Shipped in ``nbkit/resources``.
    """
    from importlib.resources import files

    raw = json.loads(files("nbkit").joinpath("resources", "rag_questions.json").read_text(encoding="utf-8"))
    return raw["questions"]


def small_documents(docs: Sequence, max_words: int) -> list:
    """The documents whose cleaned text has between 1 and ``max_words`` words, in their order."""
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ValueError(f"max_words must be a positive int, got {max_words!r}")
    return [d for d in docs if 0 < len(clean(d.text).split()) <= max_words]


# ---------------------------------------------------------------- retrievers

def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    return int(k)


def _check_texts(texts, name: str) -> list[str]:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence) or not texts:
        raise TypeError(f"{name} must be a non-empty list of strings")
    if not all(isinstance(t, str) for t in texts):
        raise TypeError(f"every item of {name} must be a string")
    return list(texts)


def _pad(ids: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad ``(n, m)`` results with m < k to ``(n, k)``: index -1, score -inf."""
    n, m = ids.shape
    if m >= k:
        return ids[:, :k], scores[:, :k]
    return (np.concatenate([ids, -np.ones((n, k - m), dtype=ids.dtype)], 1),
            np.concatenate([scores, np.full((n, k - m), -np.inf, dtype=scores.dtype)], 1))


class BM25:
    """Okapi BM25 over a list of texts, with ``bm25s`` (English stop words removed, lower case).

    search(queries, k) -> (ids int64 ``(n, k)``, scores float32 ``(n, k)``),
    best first; only texts sharing a word with the query are returned (the
    rest of the row is -1 / -inf).
    """

    def __init__(self, texts: Sequence[str]):
        import bm25s

        self.texts = _check_texts(texts, "texts")
        self._bm25s = bm25s
        self.index = bm25s.BM25()
        tokens = bm25s.tokenize(self.texts, stopwords="en", show_progress=False)
        if not tokens.vocab:
            raise ValueError("texts hold no indexable words (only stop words or one-letter words)")
        self.index.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.texts)

    def search(self, queries: Sequence[str], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` texts per query by BM25 score."""
        queries, k = _check_texts(queries, "queries"), _check_k(k)
        tokens = self._bm25s.tokenize(queries, stopwords="en", show_progress=False)
        kk = min(k, len(self.texts))
        ids, scores = self.index.retrieve(tokens, k=kk, show_progress=False, n_threads=1)
        ids, scores = np.asarray(ids, dtype=np.int64), np.asarray(scores, dtype=np.float32)
        ids = np.where(scores > 0, ids, -1)
        scores = np.where(scores > 0, scores, -np.inf).astype(np.float32)
        return _pad(ids, scores, k)


class Dense:
    """Exact cosine search over unit vectors ``(n, d)`` (numpy; the reference every index is judged by)."""

    def __init__(self, vectors):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) == 0:
            raise ValueError(f"vectors must be a non-empty 2-D array (n, d), got shape {vectors.shape}")
        self.vectors = vectors

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, query_vectors, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows by dot product (= cosine for unit vectors): ids ``(n, k)``, scores ``(n, k)``."""
        q = np.asarray(query_vectors, dtype=np.float32)
        if q.ndim == 1:
            q = q[None]
        if q.ndim != 2 or q.shape[1] != self.vectors.shape[1]:
            raise ValueError(f"query_vectors must be (n, {self.vectors.shape[1]}), got shape {q.shape}")
        k = _check_k(k)
        sims = q @ self.vectors.T
        kk = min(k, len(self.vectors))
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(sims, top, 1), axis=1, kind="stable")
        ids = np.take_along_axis(top, order, 1).astype(np.int64)
        return _pad(ids, np.take_along_axis(sims, ids, 1).astype(np.float32), k)


def rrf(rankings: Sequence, k: int = 10, c: int = 60, with_scores: bool = False):
    """Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum over rankings of 1 / (c + rank(d)).

    rankings: several ``(n, m)`` id arrays (best first, -1 = empty) for the
    same n queries. rank starts at 1. Ties are broken by the first ranking's
    order, then by id. Returns fused ids ``(n, k)``, padded with -1, and with
    ``with_scores`` also their fused scores ``(n, k)`` (0 for padding).
    """
    k = _check_k(k)
    if isinstance(c, bool) or not isinstance(c, (int, float)) or c < 0:
        raise ValueError(f"c must be a number >= 0, got {c!r}")
    if isinstance(rankings, np.ndarray) or not isinstance(rankings, Sequence) or not rankings:
        raise TypeError("rankings must be a non-empty list of (n, m) id arrays")
    arrays = [np.atleast_2d(np.asarray(r, dtype=np.int64)) for r in rankings]
    if len({a.shape[0] for a in arrays}) != 1:
        raise ValueError(f"every ranking needs the same number of queries, got {[a.shape[0] for a in arrays]}")
    out = -np.ones((arrays[0].shape[0], k), dtype=np.int64)
    fused = np.zeros((arrays[0].shape[0], k), dtype=np.float64)
    for q in range(arrays[0].shape[0]):
        score: dict[int, float] = {}
        first_seen: dict[int, tuple[int, int]] = {}
        for which, a in enumerate(arrays):
            for rank, doc in enumerate(a[q], start=1):
                if doc < 0:
                    continue
                score[int(doc)] = score.get(int(doc), 0.0) + 1.0 / (c + rank)
                first_seen.setdefault(int(doc), (which, rank))
        best = sorted(score, key=lambda d: (-score[d], first_seen[d], d))[:k]
        out[q, :len(best)] = best
        fused[q, :len(best)] = [score[d] for d in best]
    return (out, fused) if with_scores else out


# ---------------------------------------------------------------- metrics

def _check_ranked(ranked, relevant) -> tuple[np.ndarray, list[set[int]]]:
    if isinstance(relevant, (str, bytes)) or not isinstance(relevant, Sequence):
        raise TypeError("relevant must be a list with one set of relevant ids per query")
    if len(ranked) == 0 or len(relevant) == 0:
        raise ValueError("ranked and relevant are empty; give at least one query")
    ranked = np.atleast_2d(np.asarray(ranked, dtype=np.int64))
    if len(relevant) != len(ranked):
        raise ValueError(f"ranked has {len(ranked)} queries but relevant has {len(relevant)}")
    return ranked, [{int(x) for x in r} for r in relevant]


def recall_at_k(ranked, relevant: Sequence, k: int) -> float:
    """Share of queries with at least one relevant id among their first ``k`` results (0…1).

    This is DPR's "top-k retrieval accuracy", the usual recall@k for
    question answering where any one gold passage suffices.
    ranked: ``(n, m)`` ids, best first (-1 = empty); relevant: n sets.
    """
    ranked, relevant = _check_ranked(ranked, relevant)
    k = _check_k(k)
    hits = [bool(rel & set(row[:k].tolist())) for row, rel in zip(ranked, relevant)]
    return float(np.mean(hits))


def mrr(ranked, relevant: Sequence) -> float:
    """Mean reciprocal rank: mean over queries of 1 / (rank of the first relevant id), 0 when none is ranked."""
    ranked, relevant = _check_ranked(ranked, relevant)
    total = 0.0
    for row, rel in zip(ranked, relevant):
        for rank, doc in enumerate(row.tolist(), start=1):
            if doc in rel:
                total += 1.0 / rank
                break
    return total / len(ranked)


def content_words(text: str) -> set[str]:
    """Lower-case words of ``text`` minus stop words (letters, digits and underscores)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return {w for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in STOPWORDS}


def word_overlap(question: str, passage: str) -> float:
    """Share of the question's content words that also occur in the passage (0…1; 0 for no content words)."""
    q = content_words(question)
    return len(q & content_words(passage)) / len(q) if q else 0.0
