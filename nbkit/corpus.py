"""Real English text as documents, de-duplicated and split by document.

The kit's text is the English documentation inside Python itself: the
Language Reference topics (``pydoc_data.topics``, one document per topic key)
and the docstrings of the standard library (one document per module). That
text repeats itself: the topic ``compound`` contains the ``if``/``while``/``for``
topics verbatim, many docstrings repeat a sibling's. A split by byte position
would leave a large share of the "held-out" text inside the training text, so:

1. **De-duplicate** at paragraph level, documents in a fixed order: a paragraph
   is dropped when its whitespace-normalised text was seen before (exact
   duplicate) or when at least half of its 64-byte spans already occur in the
   kept text (contained or near duplicate).
2. **Split by document**: a document goes to validation by a hash of its id,
   never by position, so a document is wholly train or wholly held out.
3. **Measure** what is left: ``span_overlap`` is the fraction of *all* the
   held-out text's 64-byte spans that occur verbatim in the training text.
"""

from __future__ import annotations

import ast
import hashlib
import json
import platform
import re
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from . import config

CORPORA = ("topics", "docs")
SPAN = 64
_SKIP_DIRS = {"test", "tests", "site-packages", "idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip"}
_VERSION = 1  # bump when the de-duplication or split changes, to refresh caches


@dataclass(frozen=True)
class Document:
    """One document: an id (``topics:compound``, ``docs:json/decoder.py``) and its text."""

    id: str
    text: str


@dataclass
class DedupReport:
    """What de-duplication removed, in documents, paragraphs and characters."""

    documents_in: int = 0
    documents_out: int = 0
    paragraphs_in: int = 0
    exact_removed: int = 0
    contained_removed: int = 0
    chars_in: int = 0
    chars_out: int = 0

    def __str__(self) -> str:
        share = 1 - self.chars_out / max(self.chars_in, 1)
        return (f"{self.documents_in} documents, {self.paragraphs_in} paragraphs, {self.chars_in:,} characters -> "
                f"removed {self.exact_removed} exact and {self.contained_removed} contained/near-duplicate "
                f"paragraphs ({share:.1%} of the characters); {self.documents_out} documents left")


@dataclass
class Split:
    """A document-level split: train and held-out documents, their texts, and what was measured."""

    train_docs: list[Document]
    val_docs: list[Document]
    report: DedupReport
    overlap: float = field(default=float("nan"))

    @property
    def train_text(self) -> str:
        return "\n\n".join(d.text for d in self.train_docs)

    @property
    def val_text(self) -> str:
        return "\n\n".join(d.text for d in self.val_docs)

    def __str__(self) -> str:
        return (f"{len(self.train_docs)} train documents ({len(self.train_text):,} chars), {len(self.val_docs)} "
                f"held-out documents ({len(self.val_text):,} chars); held-out 64-byte spans found verbatim in "
                f"train: {self.overlap:.2%}\nde-duplication: {self.report}")


def _topic_documents() -> list[Document]:
    from pydoc_data.topics import topics

    return [Document(f"topics:{k}", topics[k].strip()) for k in sorted(topics)]


def _docstring_documents() -> list[Document]:
    """One document per standard-library module: its docstrings (> 40 chars) in source order; cached."""
    path = config.cache_dir() / f"stdlib_docstring_documents_{platform.python_version()}.json"
    if path.exists():
        return [Document(i, t) for i, t in json.loads(path.read_text(encoding="utf-8"))]
    root = Path(sysconfig.get_paths()["stdlib"])
    docs = []
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root)
        if _SKIP_DIRS.intersection(rel.parts):
            continue
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        parts = [ast.get_docstring(n) for n in ast.walk(tree)
                 if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
        parts = [p.strip() for p in parts if p and len(p) > 40]
        if parts:
            docs.append(Document(f"docs:{rel.as_posix()}", "\n\n".join(parts)))
    path.write_text(json.dumps([[d.id, d.text] for d in docs], ensure_ascii=False), encoding="utf-8")
    return docs


def documents(name: str = "topics") -> list[Document]:
    """The raw documents of a corpus: ``'topics'`` (79 topic keys) or ``'docs'`` (topics + stdlib modules)."""
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")
    docs = _topic_documents()
    return docs if name == "topics" else docs + _docstring_documents()


def _spans(data: bytes, span: int = SPAN) -> set[int]:
    """Hashes of every ``span``-byte window of ``data`` (empty if shorter)."""
    return {hash(data[i:i + span]) for i in range(len(data) - span + 1)}


def deduplicate(docs: list[Document], min_chars: int = 40) -> tuple[list[Document], DedupReport]:
    """Drop repeated paragraphs across documents (exact, then contained/near); see the module docstring.

    Documents are processed in the given order; a document left with fewer
    than ``min_chars`` characters is dropped. Returns the kept documents and
    a ``DedupReport``.
    """
    if not isinstance(docs, list) or not all(isinstance(d, Document) for d in docs):
        raise TypeError("docs must be a list of nbkit.corpus.Document")
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 0:
        raise ValueError(f"min_chars must be a non-negative integer, got {min_chars!r}")
    report = DedupReport(documents_in=len(docs), chars_in=sum(len(d.text) for d in docs))
    seen_exact: set[str] = set()
    seen_spans: set[int] = set()
    kept = []
    for doc in docs:
        paragraphs = [p for p in re.split(r"\n\s*\n", doc.text) if p.strip()]
        report.paragraphs_in += len(paragraphs)
        keep = []
        for para in paragraphs:
            key = " ".join(para.split())
            if key in seen_exact:
                report.exact_removed += 1
                continue
            spans = _spans(para.encode("utf-8"))
            if spans and len(spans & seen_spans) >= 0.5 * len(spans):
                report.contained_removed += 1
                continue
            seen_exact.add(key)
            seen_spans |= spans
            keep.append(para)
        text = "\n\n".join(keep)
        if len(text) >= min_chars:
            kept.append(Document(doc.id, text))
    report.documents_out = len(kept)
    report.chars_out = sum(len(d.text) for d in kept)
    return kept, report


def is_held_out(doc_id: str, val_fraction: float, seed: int = 0) -> bool:
    """Whether a document goes to the held-out side: a hash of (seed, id) below ``val_fraction``."""
    digest = hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < val_fraction


def span_overlap(heldout: str | bytes, train: str | bytes, span: int = SPAN) -> float:
    """Fraction of all ``span``-byte windows of ``heldout`` that occur verbatim in ``train`` (0…1).

    Every window is hashed (no sampling). ``heldout`` must be at least
    ``span`` bytes long.
    """
    if isinstance(span, bool) or not isinstance(span, int) or span < 1:
        raise ValueError(f"span must be a positive integer (bytes), got {span!r}")
    held, base = (x.encode("utf-8") if isinstance(x, str) else x for x in (heldout, train))
    if not isinstance(held, bytes) or not isinstance(base, bytes):
        raise TypeError("heldout and train must be str or bytes")
    if len(held) < span:
        raise ValueError(f"heldout has {len(held)} bytes, fewer than one span of {span}")
    train_spans = _spans(base, span)
    windows = [hash(held[i:i + span]) for i in range(len(held) - span + 1)]
    return sum(w in train_spans for w in windows) / len(windows)


def split(name: str = "docs", val_fraction: float = 0.1, seed: int = 0) -> Split:
    """De-duplicate a corpus and split it by document; overlap measured; cached on disk.

    name: ``'topics'`` or ``'docs'``. val_fraction: share of documents held
    out (0 < f < 0.5). seed: which documents are held out.
    """
    if not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 0.5:
        raise ValueError(f"val_fraction must be a number in (0, 0.5), got {val_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    key = f"{name}_{val_fraction}_{seed}_v{_VERSION}_{platform.python_version()}"
    path = config.cache_dir() / f"split_{key}.json"
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Split([Document(*d) for d in raw["train"]], [Document(*d) for d in raw["val"]],
                     DedupReport(**raw["report"]), raw["overlap"])
    docs, report = deduplicate(documents(name))
    train = [d for d in docs if not is_held_out(d.id, val_fraction, seed)]
    val = [d for d in docs if is_held_out(d.id, val_fraction, seed)]
    result = Split(train, val, report)
    result.overlap = span_overlap(result.val_text, result.train_text)
    path.write_text(json.dumps({"train": [[d.id, d.text] for d in train], "val": [[d.id, d.text] for d in val],
                                "report": report.__dict__, "overlap": result.overlap}, ensure_ascii=False),
                    encoding="utf-8")
    return result
