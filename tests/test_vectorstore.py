"""nbkit.vectorstore: FAISS indexes against exact search, synthetic vectors, the embedded Qdrant store."""

import numpy as np
import pytest

from nbkit import vectorstore as vs


def _unit(n, d=16, seed=0):
    v = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_compare_indexes():
    vs.faiss_threads(1)
    base, queries = _unit(800), _unit(20, seed=1)
    rows = {r.kind: r for r in vs.compare_indexes(base, queries, k=5)}
    assert set(rows) == set(vs.INDEX_KINDS)
    assert rows["flat"].recall == 1.0 and rows["hnsw"].recall > 0.8
    assert all(0 <= r.recall <= 1 and r.query_ms > 0 and r.bytes > 0 for r in rows.values())
    assert rows["ivfpq"].bytes < rows["flat"].bytes


def test_build_index_searches_like_numpy():
    base = _unit(300)
    index = vs.build_index("flat", base)
    _, ids = index.search(base[:3], 1)
    assert ids[:, 0].tolist() == [0, 1, 2]
    assert vs.ivf_lists(300) == 7 and vs.ivf_lists(10) == 1


def test_synthetic_like():
    real = _unit(50)
    syn = vs.synthetic_like(real, 200, seed=3, noise=0.6)
    assert syn.shape == (200, 16) and np.allclose(np.linalg.norm(syn, axis=1), 1, atol=1e-5)
    assert (syn @ real.T).max(1).mean() > 0.7          # each lies near some real vector
    assert np.array_equal(syn, vs.synthetic_like(real, 200, seed=3, noise=0.6))


def test_embedded_store_add_search_filter_persist(tmp_path, monkeypatch):
    monkeypatch.delenv(vs.QDRANT_URL_ENV, raising=False)
    vectors = _unit(12)
    store = vs.VectorStore("t", dim=16, path=tmp_path / "db", recreate=True)
    assert store.mode == "embedded" and vs.qdrant_mode() == "embedded"
    store.add(vectors, [{"file": f"f{i % 3}", "text": str(i)} for i in range(12)])
    hits = store.search(vectors[5], k=3)
    assert hits[0].id == 5 and hits[0].payload["text"] == "5" and hits[0].score == pytest.approx(1, abs=1e-5)
    assert all(h.payload["file"] == "f1" for h in store.search(vectors[0], k=4, where={"file": "f1"}))
    assert {h.payload["file"] for h in store.search(vectors[0], k=8, where={"file": ["f0", "f2"]})} == {"f0", "f2"}
    again = vs.VectorStore("t", dim=16, path=tmp_path / "db")   # reopening closes the previous client
    assert len(again) == 12
    again.close()


@pytest.mark.parametrize("call, err, match", [
    (lambda: vs.build_index("lsh", _unit(10)), ValueError, "kind"),
    (lambda: vs.build_index("flat", np.zeros(3)), ValueError, "vectors"),
    (lambda: vs.build_index("flat", np.full((2, 2), np.nan)), ValueError, "NaN"),
    (lambda: vs.build_index("ivfpq", _unit(100, d=10), pq_m=3), ValueError, "pq_m"),
    (lambda: vs.compare_indexes(_unit(10), _unit(2, d=8)), ValueError, "width"),
    (lambda: vs.compare_indexes(_unit(10), _unit(2), kinds=["x"]), ValueError, "kinds"),
    (lambda: vs.compare_indexes(_unit(10), _unit(2), k=0), ValueError, "k must"),
    (lambda: vs.synthetic_like(_unit(3), 0), ValueError, "n must"),
    (lambda: vs.synthetic_like(_unit(3), 5, noise=-1), ValueError, "noise"),
    (lambda: vs.faiss_threads(0), ValueError, "n must"),
])
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_store_bad_input(tmp_path):
    with pytest.raises(ValueError, match="name"):
        vs.VectorStore("", dim=4, path=tmp_path / "a")
    with pytest.raises(ValueError, match="dim"):
        vs.VectorStore("x", dim=0, path=tmp_path / "b")
    store = vs.VectorStore("x", dim=16, path=tmp_path / "c")
    with pytest.raises(ValueError, match="width"):
        store.add(_unit(2, d=8), [{}, {}])
    with pytest.raises(ValueError, match="payloads"):
        store.add(_unit(2), [{}])
    with pytest.raises(TypeError, match="payload"):
        store.add(_unit(1), ["x"])
    store.add(_unit(2), [{"a": 1}, {"a": 2}])
    with pytest.raises(ValueError, match="where"):
        store.search(_unit(1)[0], where={})
    with pytest.raises(ValueError, match="k must"):
        store.search(_unit(1)[0], k=0)
    with pytest.raises(ValueError, match="width"):
        store.search(np.ones(3))
    store.close()
