"""Vector indexes (the FAISS lesson) and a vector database (Qdrant), the pipeline's store.

The index lesson: exact search compares the query with every vector; an
approximate index trades a little recall for speed and memory.

    faiss_threads(1)                                   # measured: default threads were 6-12x slower on 2 busy cores
    rows = compare_indexes(vectors, queries, k=10)     # Flat (reference), HNSW, IVF, IVF-PQ
    rows[1].recall, rows[1].query_ms, rows[1].build_s, rows[1].bytes

The store: a Qdrant collection with payloads (file, passage, position, …) and
filters. By default it runs **embedded** in this process (``QdrantClient(path=…)``
under the cache directory; no server). Set ``NBKIT_QDRANT_URL`` (e.g.
``http://localhost:6333`` after ``docker run -p 6333:6333 qdrant/qdrant``) and
the same code talks to a Qdrant server or cluster instead.

    store = VectorStore("notes", dim=384, path=cache_dir / "qdrant", recreate=True)
    store.add(vectors, [{"file": "a.md", "text": "…", "position": 0}, …])
    hits = store.search(query_vector, k=3, where={"file": "a.md"})   # -> [Hit(id, score, payload), …]
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config

INDEX_KINDS = ("flat", "hnsw", "ivf", "ivfpq")
QDRANT_URL_ENV = "NBKIT_QDRANT_URL"
QDRANT_SERVER = "docker run -p 6333:6333 qdrant/qdrant"
_EMBEDDED: dict[str, object] = {}  # folder -> the embedded client this process holds on it


def _faiss():
    try:
        import faiss
    except ModuleNotFoundError:
        raise ModuleNotFoundError("faiss is not installed; run: pip install faiss-cpu==1.15.1") from None
    return faiss


def faiss_threads(n: int = 1) -> int:
    """Set FAISS's OpenMP threads (returns n). One is the kit's choice on 2 shared cores."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (threads), got {n!r}")
    _faiss().omp_set_num_threads(n)
    return n


def _check_vectors(vectors, name: str = "vectors") -> np.ndarray:
    v = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (n, d) with n, d >= 1, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return v


def ivf_lists(n: int) -> int:
    """Number of IVF cells for n vectors: about sqrt(n), and at least 39 training points per cell."""
    return int(max(1, min(round(math.sqrt(n)), n // 39)))


def build_index(kind: str, vectors, nprobe: int | None = None, hnsw_m: int = 32, pq_m: int | None = None):
    """A FAISS inner-product index of ``kind`` over unit vectors ``(n, d)`` (cosine = inner product).

    flat: exact, the reference. hnsw: a navigable small-world graph with
    ``hnsw_m`` links per node (Malkov & Yashunin 2018). ivf: ``ivf_lists(n)``
    cells, searching ``nprobe`` of them (default: a quarter of the cells). ivfpq:
    the same cells, each vector compressed to ``pq_m`` codes of up to 8 bits
    (product quantization; ``d`` must be divisible by ``pq_m``; default: the
    largest of 48, 32, 24, 16, … that divides d — 48 for 384-d vectors).
    """
    if kind not in INDEX_KINDS:
        raise ValueError(f"kind must be one of {', '.join(INDEX_KINDS)}, got {kind!r}")
    faiss = _faiss()
    v = _check_vectors(vectors)
    n, d = v.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    else:
        nlist = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(d)
        if kind == "ivf":
            index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            if pq_m is None:
                pq_m = next(m for m in (48, 32, 24, 16, 12, 8, 6, 4, 2, 1) if d % m == 0)
            if d % pq_m:
                raise ValueError(f"pq_m ({pq_m}) must divide the vector width d ({d})")
            nbits = 8 if n >= 256 * 39 else max(4, min(8, int(math.log2(max(n // 39, 16)))))
            index = faiss.IndexIVFPQ(quantizer, d, nlist, pq_m, nbits, faiss.METRIC_INNER_PRODUCT)
            index.pq.cp.min_points_per_centroid = 1  # small sets: train anyway, without a warning
        index.cp.min_points_per_centroid = 1
        index.train(v)
        index.nprobe = max(1, nlist // 4) if nprobe is None else int(nprobe)
    index.add(v)
    return index


def index_bytes(index) -> int:
    """Size of the index when serialized (vectors, graph or codes): its memory footprint, in bytes."""
    return int(_faiss().serialize_index(index).nbytes)


@dataclass
class IndexResult:
    """One index in the trade-off: recall@k against exact search (0…1), milliseconds per query
    (one query at a time, one thread), build seconds, bytes serialized."""

    kind: str
    recall: float
    query_ms: float
    build_s: float
    bytes: int


def compare_indexes(vectors, queries, k: int = 10, kinds: Sequence[str] = INDEX_KINDS,
                    nprobe: int | None = None) -> list[IndexResult]:
    """Build each index over ``vectors`` and search ``queries`` (both ``(n, d)``, unit rows).

    recall: share of the exact top-``k`` (Flat) that the index also returns,
    averaged over queries. Queries are searched one at a time, as a user would.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    v, q = _check_vectors(vectors), _check_vectors(queries, "queries")
    if q.shape[1] != v.shape[1]:
        raise ValueError(f"queries have width {q.shape[1]} but vectors have {v.shape[1]}")
    unknown = [x for x in kinds if x not in INDEX_KINDS]
    if unknown:
        raise ValueError(f"kinds holds {unknown}; choose from {', '.join(INDEX_KINDS)}")
    k = min(k, len(v))
    exact = None
    rows = []
    for kind in ["flat"] + [x for x in kinds if x != "flat"]:
        start = time.perf_counter()
        index = build_index(kind, v, nprobe=nprobe)
        build_s = time.perf_counter() - start
        found = np.empty((len(q), k), dtype=np.int64)
        start = time.perf_counter()
        for i in range(len(q)):
            found[i] = index.search(q[i:i + 1], k)[1][0]
        query_ms = 1000 * (time.perf_counter() - start) / len(q)
        if exact is None:
            exact = found
        recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(found, exact)]))
        if kind in kinds:
            rows.append(IndexResult(kind, recall, query_ms, build_s, index_bytes(index)))
    return rows


def synthetic_like(vectors, n: int, seed: int = 0, noise: float = 0.6) -> np.ndarray:
    """``n`` synthetic unit vectors shaped like ``vectors``: a random real vector plus Gaussian noise.

    Each synthetic vector is ``normalise(v + noise * g / sqrt(d))`` for a real
    row ``v`` and ``g ~ N(0, I)``: clusters around the real points, the same
    width. Labelled *synthetic* wherever it is shown. noise: relative spread
    (0.6 gives a cosine of ~0.86 to the source vector).
    """
    v = _check_vectors(vectors)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not isinstance(noise, (int, float)) or noise < 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    rng = config.rng(seed)
    base = v[rng.integers(0, len(v), n)]
    out = base + noise * rng.standard_normal(base.shape).astype(np.float32) / math.sqrt(v.shape[1])
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


# ---------------------------------------------------------------- the vector database

@dataclass
class Hit:
    """One search result from the store: point ``id``, cosine ``score`` and its ``payload`` dict."""

    id: int
    score: float
    payload: dict


def qdrant_mode() -> str:
    """``"server"`` when ``NBKIT_QDRANT_URL`` is set (a Qdrant server or cluster), else ``"embedded"``."""
    return "server" if os.environ.get(QDRANT_URL_ENV, "").strip() else "embedded"


def qdrant_client(path: str | Path | None = None):
    """A ``QdrantClient``: a server at ``$NBKIT_QDRANT_URL`` if set, else embedded at ``path``.

    path: folder of the embedded database (default ``cache_dir()/qdrant``).
    One embedded client may hold a folder at a time: opening the same folder
    again in this process closes the previous client.
    """
    try:
        from qdrant_client import QdrantClient
    except ModuleNotFoundError:
        raise ModuleNotFoundError("qdrant-client is not installed; run: pip install qdrant-client==1.20.0") from None
    url = os.environ.get(QDRANT_URL_ENV, "").strip()
    if url:
        return QdrantClient(url=url)
    folder = (Path(path) if path is not None else config.cache_dir() / "qdrant").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if str(folder) in _EMBEDDED:  # re-running a notebook cell: release this process's previous client first
        _EMBEDDED.pop(str(folder)).close()
    client = _EMBEDDED[str(folder)] = QdrantClient(path=str(folder))
    return client


class VectorStore:
    """A Qdrant collection of unit vectors with payloads, searched by cosine similarity.

    name: collection name. dim: vector width. path: embedded database
    folder (ignored when ``NBKIT_QDRANT_URL`` is set). recreate: drop an
    existing collection of that name first. ``mode`` says "embedded" or "server".
    """

    def __init__(self, name: str, dim: int, path: str | Path | None = None, recreate: bool = False):
        from qdrant_client import models

        if not isinstance(name, str) or not name.strip():
            raise ValueError("name must be a non-empty collection name")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.name, self.dim, self._models = name, dim, models
        self.client = qdrant_client(path)
        self.mode = qdrant_mode()
        if recreate and self.client.collection_exists(name):
            self.client.delete_collection(name)
        if not self.client.collection_exists(name):
            self.client.create_collection(name, vectors_config=models.VectorParams(size=dim,
                                                                                  distance=models.Distance.COSINE))

    def __len__(self) -> int:
        return int(self.client.count(self.name).count)

    def add(self, vectors, payloads: Sequence[Mapping]) -> int:
        """Append vectors ``(n, dim)`` with one JSON-able payload dict each; ids continue from ``len(self)``."""
        v = _check_vectors(vectors)
        if v.shape[1] != self.dim:
            raise ValueError(f"vectors have width {v.shape[1]} but the collection holds width {self.dim}")
        if isinstance(payloads, (str, bytes)) or not isinstance(payloads, Sequence) or len(payloads) != len(v):
            raise ValueError(f"payloads must be a list of {len(v)} dicts, one per vector")
        if not all(isinstance(p, Mapping) for p in payloads):
            raise TypeError("every payload must be a dict")
        start = len(self)
        points = [self._models.PointStruct(id=start + i, vector=row.tolist(), payload=dict(p))
                  for i, (row, p) in enumerate(zip(v, payloads))]
        for i in range(0, len(points), 256):
            self.client.upsert(self.name, points=points[i:i + 256])
        return len(points)

    def _filter(self, where: Mapping | None):
        if where is None:
            return None
        if not isinstance(where, Mapping) or not where:
            raise ValueError(f"where must be a non-empty dict field -> value (or None), got {where!r}")
        m = self._models
        return m.Filter(must=[m.FieldCondition(key=str(key), match=m.MatchAny(any=list(value)) if isinstance(
            value, (list, tuple, set)) else m.MatchValue(value=value)) for key, value in where.items()])

    def search(self, vector, k: int = 3, where: Mapping | None = None) -> list[Hit]:
        """The ``k`` most similar points to one query vector ``(dim,)``; ``where`` keeps only points whose
        payload matches (``{"source": "handbook"}``, or a list of allowed values)."""
        q = _check_vectors(np.asarray(vector, dtype=np.float32).reshape(1, -1), "vector")
        if q.shape[1] != self.dim:
            raise ValueError(f"vector has width {q.shape[1]} but the collection holds width {self.dim}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        result = self.client.query_points(self.name, query=q[0].tolist(), limit=k, query_filter=self._filter(where),
                                          with_payload=True)
        return [Hit(int(p.id), float(p.score), dict(p.payload or {})) for p in result.points]

    def close(self) -> None:
        """Release the database (an embedded folder is locked while open)."""
        for folder, client in list(_EMBEDDED.items()):
            if client is self.client:
                del _EMBEDDED[folder]
        self.client.close()
