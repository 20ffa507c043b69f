"""ARCH-5's labelled task: test passages held out of pre-training (measured on the real corpus)."""

import pytest
import torch

from nbkit import corpus, labelled
from nbkit.corpus import Document


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache for the real-corpus tests, so the stdlib docstrings are collected once."""
    return tmp_path_factory.mktemp("labelled-cache")


def test_test_documents_are_held_out_of_pretraining(shared_cache, monkeypatch):
    """All 64-byte spans of the test text and of the test passages, hashed: <= 1 % in the pre-training text."""
    monkeypatch.setenv("NBKIT_CACHE", str(shared_cache))
    task = labelled.family_task()
    pretrain_ids = {d.id for d in task.pretrain_docs}
    assert all(d.id not in pretrain_ids for docs in task.test for d in docs)
    assert all(d.id in pretrain_ids for docs in task.finetune + task.dev for d in docs)
    test_text = "\n\n".join(d.text for docs in task.test for d in docs)
    text_overlap = corpus.span_overlap(test_text, task.pretrain_text)
    x, _y = labelled.passages(task.test, 100, 64, seed=0)
    passage_overlap = labelled.passage_overlap(x, task.pretrain_text)
    print(f"test text: {text_overlap:.3%} of 64-byte spans in the pre-training text; "
          f"test passages: {passage_overlap:.3%}")
    assert text_overlap <= 0.01 and passage_overlap <= 0.01
    x_ft, _ = labelled.passages(task.finetune, 20, 64, seed=0)
    assert labelled.passage_overlap(x_ft, task.pretrain_text) > 0.9  # the measure does see overlap when there is


def test_passages_shapes_labels_and_windows():
    docs = [[Document("a1", "a" * 100), Document("a2", "A" * 50)], [Document("b1", "b" * 200)]]
    x, y = labelled.passages(docs, 30, 16, seed=3)
    assert x.shape == (60, 16) and y.shape == (60,) and x.dtype == y.dtype == torch.int64
    assert (y == 0).sum() == (y == 1).sum() == 30
    for row, label in zip(x, y):
        assert len(set(row.tolist())) == 1  # never crosses from one document into another
        assert chr(row[0]).lower() == "ab"[label]
    assert torch.equal(labelled.passages(docs, 30, 16, seed=3)[0], x)


def test_passage_overlap_counts_windows():
    x = torch.tensor([list(b"abcdefgh"), list(b"zzzzzzzz")])
    assert labelled.passage_overlap(x, "xxabcdefghxx", span=8) == 0.5
    assert labelled.passage_overlap(x, "xxabcdefzzzzz", span=4) == pytest.approx(8 / 10)


def test_bad_inputs():
    docs = [[Document("a", "a" * 100)], [Document("b", "b" * 100)]]
    with pytest.raises(ValueError, match="docs_per_class"):
        labelled.passages(docs[:1], 2, 8)
    with pytest.raises(ValueError, match="n_per_class"):
        labelled.passages(docs, 0, 8)
    with pytest.raises(ValueError, match="longer than"):
        labelled.passages(docs, 2, 500)
    with pytest.raises(ValueError, match="span"):
        labelled.passage_overlap(torch.zeros(2, 8, dtype=torch.long), "text", span=9)
    with pytest.raises(TypeError, match="x"):
        labelled.passage_overlap([[1, 2]], "text")
    with pytest.raises(ValueError, match="test_fraction"):
        labelled.family_task(test_fraction=0.7)
    with pytest.raises(ValueError, match="families"):
        labelled.family_task(families={"only": "topics:"})
