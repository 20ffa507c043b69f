"""nbkit.retrieval: metrics and fusion on hand-computable cases, chunking, gold chunks, BM25, dense, bad input."""

import numpy as np
import pytest

from nbkit import retrieval
from nbkit.corpus import Document


def test_recall_at_k_by_hand():
    ranked = [[4, 8, 1, 6, 2], [3, 0, -1, -1, -1], [9, 7, 5, 3, 1]]
    gold = [{1, 2}, {3}, {0}]
    assert retrieval.recall_at_k(ranked, gold, 1) == pytest.approx(1 / 3)   # only query 2 at rank 1
    assert retrieval.recall_at_k(ranked, gold, 2) == pytest.approx(1 / 3)
    assert retrieval.recall_at_k(ranked, gold, 3) == pytest.approx(2 / 3)   # query 1's gold 1 at rank 3
    assert retrieval.recall_at_k(ranked, gold, 5) == pytest.approx(2 / 3)   # query 3 never finds 0


def test_mrr_by_hand():
    ranked = [[4, 8, 1, 6, 2], [3, 0, -1], [9, 7, 5]]
    gold = [{1, 2}, {0}, {6}]
    assert retrieval.mrr(ranked[:1], gold[:1]) == pytest.approx(1 / 3)
    assert retrieval.mrr([[3, 0, -1]], [{0}]) == pytest.approx(1 / 2)
    assert retrieval.mrr([[9, 7, 5]], [{6}]) == 0.0
    assert retrieval.mrr([r + [-1] * (5 - len(r)) for r in ranked], gold) == pytest.approx((1 / 3 + 1 / 2 + 0) / 3)


def test_rrf_by_hand():
    # doc 3: 1/62 + 1/61; doc 7: 1/61 + 1/63; doc 9: 1/63; doc 5: 1/62
    fused, scores = retrieval.rrf([[[7, 3, 9]], [[3, 5, 7]]], k=4, with_scores=True)
    assert fused[0].tolist() == [3, 7, 5, 9]
    assert scores[0] == pytest.approx([1 / 62 + 1 / 61, 1 / 61 + 1 / 63, 1 / 62, 1 / 63])
    # c = 0: doc 3 gets 1/2 + 1/1 = 1.5, doc 7 gets 1 + 1/3
    assert retrieval.rrf([[[7, 3, 9]], [[3, 5, 7]]], k=1, c=0)[0, 0] == 3


def test_rrf_ties_padding_and_empty_slots():
    # a tie (each doc once, at rank 1) goes to the first ranking's doc; -1 entries are skipped; padding is -1
    assert retrieval.rrf([[[5, -1]], [[6, -1]]], k=3).tolist() == [[5, 6, -1]]
    assert retrieval.rrf([np.array([[1, 2], [3, 4]])], k=2).tolist() == [[1, 2], [3, 4]]


def test_chunk_spans_windows_and_overlap():
    text = " ".join(f"w{i}" for i in range(10))
    spans = retrieval.chunk_spans(text, size=4, overlap=1)
    chunks = [text[s:e].split() for s, e in spans]
    assert chunks == [["w0", "w1", "w2", "w3"], ["w3", "w4", "w5", "w6"], ["w6", "w7", "w8", "w9"]]
    assert retrieval.chunk_spans(text, size=20, overlap=0) == [(0, len(text))]
    assert retrieval.chunk_spans("", size=5, overlap=0) == []
    assert len(retrieval.chunk_spans(text, size=3, overlap=0)) == 4   # 3 + 3 + 3 + 1


def test_chunk_documents_and_gold():
    docs = [Document("a", "alpha beta gamma\n\n  delta epsilon zeta eta"), Document("b", "one two three")]
    chunks = retrieval.chunk_documents(docs, size=3, overlap=0)
    assert [c.id for c in chunks] == ["a#0", "a#1", "a#2", "b#0"]
    assert chunks[1].text == "delta epsilon zeta"
    texts = {d.id: retrieval.clean(d.text) for d in docs}
    assert all(texts[c.doc_id][c.start:c.end] == c.text for c in chunks)
    # "gamma delta" straddles chunks 0 and 1 half and half: both hold >= 50 %
    assert retrieval.gold_chunks(chunks, texts, "gamma delta") == {0, 1}
    assert retrieval.gold_chunks(chunks, texts, "epsilon zeta eta") == {1}       # 2 of its 3 words
    assert retrieval.gold_chunks(chunks, texts, "epsilon zeta eta", min_cover=0.3) == {1, 2}
    assert retrieval.gold_chunks(chunks, texts, ["two three", "nowhere"]) == {3}
    assert retrieval.gold_chunks(chunks, texts, "nowhere") == set()


def test_clean_and_overlap():
    assert retrieval.clean("a\n\n  b\tc\x00d") == "a b c d"
    assert retrieval.word_overlap("How do I make an empty tuple?", "use an empty pair of parentheses") == pytest.approx(1 / 3)
    assert retrieval.word_overlap("the of", "anything") == 0.0


def test_bm25_and_dense():
    texts = ["the cat sat on the mat", "dogs chase cats", "a tuple holds items", "empty tuple parentheses"]
    ids, scores = retrieval.BM25(texts).search(["empty tuple"], k=3)
    assert ids[0, 0] == 3 and ids[0, 1] == 2 and ids[0, 2] == -1 and scores[0, 2] == -np.inf
    vectors = np.eye(4, dtype=np.float32)
    ids, scores = retrieval.Dense(vectors).search(np.array([0.1, 0.9, 0.3, 0.0]), k=6)
    assert ids[0, :3].tolist() == [1, 2, 0] and ids[0, 4] == -1 and scores[0, 0] == pytest.approx(0.9)


def test_learner_questions_ship_with_the_package():
    qs = retrieval.learner_questions()
    assert len(qs) >= 50
    assert all(q["question"].strip() and q["evidence"] and q["doc"].startswith("topics:") for q in qs)
    assert len({q["question"] for q in qs}) == len(qs)


def test_learner_questions_have_gold_in_the_language_reference():
    from nbkit import corpus

    docs, _ = corpus.deduplicate(corpus.documents("topics"))
    texts = {d.id: retrieval.clean(d.text) for d in retrieval.small_documents(docs, 1100)}
    chunks = retrieval.chunk_documents(retrieval.small_documents(docs, 1100), 100, 25)
    found = [q for q in retrieval.learner_questions() if retrieval.gold_chunks(chunks, texts, q["evidence"])]
    assert len(found) >= 50, f"only {len(found)} questions locate their gold passage on this Python version"


@pytest.mark.parametrize("call, err, match", [
    (lambda: retrieval.recall_at_k([[1]], [{1}], 0), ValueError, "k must"),
    (lambda: retrieval.recall_at_k([[1], [2]], [{1}], 1), ValueError, "queries"),
    (lambda: retrieval.recall_at_k([[1]], "x", 1), TypeError, "relevant"),
    (lambda: retrieval.mrr([], []), ValueError, "empty"),
    (lambda: retrieval.rrf([], k=3), TypeError, "rankings"),
    (lambda: retrieval.rrf([[[1]], [[1], [2]]], k=3), ValueError, "same number"),
    (lambda: retrieval.rrf([[[1]]], k=3, c=-1), ValueError, "c must"),
    (lambda: retrieval.chunk_spans("a b", size=0), ValueError, "size"),
    (lambda: retrieval.chunk_spans("a b", size=3, overlap=3), ValueError, "overlap"),
    (lambda: retrieval.chunk_spans(b"a b", size=3), TypeError, "text"),
    (lambda: retrieval.chunk_documents("abc"), TypeError, "docs"),
    (lambda: retrieval.chunk_documents([object()]), TypeError, r"docs\[0\]"),
    (lambda: retrieval.gold_chunks([], {}, ""), ValueError, "evidence"),
    (lambda: retrieval.gold_chunks([], {}, "x", min_cover=0), ValueError, "min_cover"),
    (lambda: retrieval.BM25([]), TypeError, "texts"),
    (lambda: retrieval.BM25(["alpha beta"]).search("alpha", k=1), TypeError, "queries"),
    (lambda: retrieval.BM25(["a b", "the"]), ValueError, "no indexable words"),
    (lambda: retrieval.Dense(np.zeros((0, 3))), ValueError, "vectors"),
    (lambda: retrieval.Dense(np.eye(3)).search(np.ones(4), k=1), ValueError, "query_vectors"),
    (lambda: retrieval.small_documents([], 0), ValueError, "max_words"),
    (lambda: retrieval.content_words(3), TypeError, "text"),
])
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()
