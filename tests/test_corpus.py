"""De-duplication, the document-level split, and verbatim overlap measured on the real corpora."""

import sysconfig

import pytest

from nbkit import corpus
from nbkit.corpus import Document


def test_span_overlap_hand_cases():
    a = "x" * 10 + "the quick brown fox jumps over the lazy dog, again and again and again!"
    assert corpus.span_overlap(a, a) == 1.0
    assert corpus.span_overlap("abcdefgh" * 20, "zyxwvuts" * 20, span=8) == 0.0
    # half of the held-out windows are inside train
    held = "A" * 16 + "B" * 16
    assert corpus.span_overlap(held, "A" * 40, span=8) == pytest.approx(9 / 25)


def test_span_overlap_bad_input():
    with pytest.raises(ValueError, match="span"):
        corpus.span_overlap("abc" * 40, "abc", span=0)
    with pytest.raises(ValueError, match="fewer than one span"):
        corpus.span_overlap("short", "whatever text", span=64)
    with pytest.raises(TypeError, match="str or bytes"):
        corpus.span_overlap(["not", "text"], "abc" * 40, span=2)


def test_deduplicate_removes_exact_and_contained_paragraphs():
    para = "An identical paragraph that is long enough to have several sixty-four byte spans in it, surely."
    docs = [Document("a", f"{para}\n\nOnly in a, and long enough to be kept on its own merits here."),
            Document("b", f"{para}\n\nOnly in b, a different paragraph that should certainly stay put."),
            Document("c", para[:80])]  # contained in a's first paragraph
    kept, report = corpus.deduplicate(docs)
    assert [d.id for d in kept] == ["a", "b"]
    assert para not in kept[1].text and "Only in b" in kept[1].text
    assert report.exact_removed == 1 and report.contained_removed == 1 and report.documents_out == 2


def test_deduplicate_bad_input():
    with pytest.raises(TypeError, match="Document"):
        corpus.deduplicate(["plain string"])
    with pytest.raises(ValueError, match="min_chars"):
        corpus.deduplicate([], min_chars=-1)


def test_split_is_by_document_and_deterministic():
    s = corpus.split("topics", val_fraction=0.2, seed=0)
    train_ids = {d.id for d in s.train_docs}
    assert train_ids.isdisjoint(d.id for d in s.val_docs)
    assert [d.id for d in corpus.split("topics", 0.2, 0).val_docs] == [d.id for d in s.val_docs]
    with pytest.raises(ValueError, match="val_fraction"):
        corpus.split("topics", val_fraction=0.7)
    with pytest.raises(ValueError, match="unknown corpus"):
        corpus.documents("wikipedia")


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache for the real-corpus tests, so the stdlib docstrings are collected once."""
    return tmp_path_factory.mktemp("corpus-cache")


@pytest.mark.parametrize("name,fraction,seed", [("topics", 0.2, 0), ("docs", 0.1, 0), ("docs", 0.1, 1)])
def test_real_corpus_held_out_overlap_is_at_most_one_percent(name, fraction, seed, shared_cache, monkeypatch):
    """All 64-byte spans of the held-out text, hashed: at most 1 % may occur verbatim in training."""
    monkeypatch.setenv("NBKIT_CACHE", str(shared_cache))
    s = corpus.split(name, val_fraction=fraction, seed=seed)
    overlap = corpus.span_overlap(s.val_text, s.train_text)
    print(f"{name} (held out {fraction:.0%}, seed {seed}): {overlap:.3%} of held-out 64-byte spans in train")
    assert overlap == pytest.approx(s.overlap)
    assert overlap <= 0.01


def test_docstring_documents_collect_one_per_module_and_cache(tmp_path, monkeypatch):
    root = tmp_path / "lib"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "mod.py").write_text('"""A module docstring that is long enough to keep."""\n'
                                         'def f():\n    """Short."""\n')
    (root / "tests" / "test_x.py").write_text('"""A docstring inside a test suite, which is skipped."""\n')
    (root / "broken.py").write_text("def (:\n")
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"stdlib": str(root)})
    docs = corpus._docstring_documents()
    assert [d.id for d in docs] == ["docs:pkg/mod.py"] and "Short" not in docs[0].text
    (root / "pkg" / "mod.py").unlink()
    assert corpus._docstring_documents() == docs  # served from the cache
