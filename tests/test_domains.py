"""Real data of five kinds for notebook 03, and the held-out check of everything 03 compresses."""

import pytest

from nbkit import compress, corpus, domains
from nbkit.corpus import Document, Split


def _fake_split():
    report = corpus.DedupReport()
    return Split([Document("docs:json/decoder.py", "train text " * 20)],
                 [Document("docs:json/encoder.py", "held out " * 300), Document("topics:if", "an if topic " * 10)],
                 report)


def test_domains_of_the_installed_packages():
    for name in ("csv", "json", "markup"):
        blob = domains.domain_bytes(name, _fake_split(), 4096)
        assert len(blob) == 4096, name  # files in name order, cut at max_bytes
    assert domains.domain_bytes("csv", _fake_split(), 4096).startswith(b"569,30,malignant,benign")  # breast_cancer.csv
    assert domains.domain_bytes("json", _fake_split(), 2048).lstrip().startswith(b"{")
    assert set(domains.DESCRIPTIONS) == set(domains.DOMAINS)


def test_prose_and_python_come_from_the_held_out_side():
    split = _fake_split()
    assert domains.domain_bytes("prose", split, 2048) == split.val_text.encode()[:2048]
    assert [p.name for p in domains.source_files(split)] == ["encoder.py"]  # the held-out module only
    assert domains.domain_bytes("python", split, 2048).startswith(b'"""Implementation of JSONEncoder')
    topics_only = Split([Document("topics:for", "x")], [Document("topics:if", "y")], corpus.DedupReport())
    assert len(domains.source_files(topics_only)) > 100  # no module text was trained on: any module


def test_domains_bad_input():
    with pytest.raises(ValueError, match="unknown domain"):
        domains.domain_bytes("video", _fake_split(), 4096)
    with pytest.raises(ValueError, match="max_bytes"):
        domains.domain_bytes("csv", _fake_split(), 10)
    with pytest.raises(ValueError, match="only 5 bytes"):
        domains.domain_bytes("prose", Split([], [Document("topics:x", "short")], corpus.DedupReport()), 4096)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus-cache")


@pytest.mark.parametrize("profile, name, fraction", [("smoke", "topics", 0.2), ("default", "docs", 0.1)])
def test_everything_notebook_03_compresses_is_held_out(profile, name, fraction, shared_cache, monkeypatch):
    """All 64-byte spans of each text 03 compresses, hashed: at most 1 % may occur verbatim in the text its
    models trained on (the main models and the one drilled on a small text train on the same split)."""
    monkeypatch.setenv("NBKIT_CACHE", str(shared_cache))
    monkeypatch.setenv("NBKIT_SCALE", profile)
    split = corpus.split(name, val_fraction=fraction)
    plan = compress.snippet_plan()
    held = split.val_text.encode("utf-8")
    snippets = held[:max(length * n for length, n in plan.items())]
    assert len(snippets) == max(length * n for length, n in plan.items()), "the snippets must fit"
    texts = {"snippets": snippets, **domains.all_domains(split, domains.sample_bytes())}
    for what, blob in texts.items():
        overlap = corpus.span_overlap(blob, split.train_text)
        print(f"{profile}: {what} ({len(blob):,} bytes): {overlap:.3%} of its 64-byte spans occur in training")
        assert overlap <= 0.01, what
