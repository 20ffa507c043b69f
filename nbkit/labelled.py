"""A small labelled task whose test passages are held out of pre-training.

Which family of Python's documentation does a passage come from: the
Language Reference, the ``email`` package, ``asyncio`` or ``distutils``? The
documents are those of ``corpus.split`` (de-duplicated, split by document).
Each family's documents are divided, by a hash of their id, into

- **test** documents: held out of pre-training (the corpus split's held-out
  documents of the family, plus a ``test_fraction`` of its training ones, which
  are removed from the pre-training text);
- **dev** documents: a few labelled passages to choose a learning rate;
- **fine-tune** documents: where the labelled training passages come from.

Pre-training text = the split's training documents minus every test
document; ``passage_overlap`` measures how many of the test passages' 64-byte
spans occur verbatim in it (the unit test asks for <= 1 %).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from .corpus import SPAN, Document, split
from .data import encode

FAMILIES = {
    "language reference": "topics:",
    "email": "docs:email/",
    "asyncio": "docs:asyncio/",
    "distutils": "docs:distutils/",
}


@dataclass
class FamilyTask:
    """The task's documents. ``classes``: family names (labels in this order). ``finetune``,
    ``dev``, ``test``: per class, a list of ``Document``. ``pretrain_docs``: the text a language
    model may be pre-trained on; ``val_docs``: the corpus split's held-out documents (validation)."""

    classes: tuple[str, ...]
    finetune: list[list[Document]]
    dev: list[list[Document]]
    test: list[list[Document]]
    pretrain_docs: list[Document]
    val_docs: list[Document]

    @property
    def pretrain_text(self) -> str:
        return "\n\n".join(d.text for d in self.pretrain_docs)

    @property
    def val_text(self) -> str:
        return "\n\n".join(d.text for d in self.val_docs)

    def __str__(self) -> str:
        rows = [f"{name}: fine-tune {_chars(f):,} chars, dev {_chars(d):,}, test {_chars(t):,} (held out)"
                for name, f, d, t in zip(self.classes, self.finetune, self.dev, self.test)]
        return "\n".join(rows + [(f"pre-training text: {len(self.pretrain_docs)} documents, "
                                 f"{len(self.pretrain_text):,} chars")])


def _chars(docs: list[Document]) -> int:
    return sum(len(d.text) for d in docs)


def _bucket(doc_id: str, seed: int) -> float:
    digest = hashlib.sha256(f"family-task:{seed}:{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def family_task(corpus_name: str = "docs", test_fraction: float = 0.3, dev_fraction: float = 0.15,
                seed: int = 0, families: dict[str, str] | None = None) -> FamilyTask:
    """Build the task from ``corpus.split(corpus_name, seed=seed)``.

    test_fraction / dev_fraction: share of each family's training documents
    that become test (held out of pre-training) / dev documents. families:
    name -> document-id prefix (default ``FAMILIES``). Every class needs text
    in all three parts.
    """
    families = FAMILIES if families is None else families
    if not isinstance(families, dict) or len(families) < 2:
        raise ValueError("families must map >= 2 class names to document-id prefixes")
    for name, value in (("test_fraction", test_fraction), ("dev_fraction", dev_fraction)):
        if not isinstance(value, (int, float)) or not 0 < value < 0.5:
            raise ValueError(f"{name} must be a number in (0, 0.5), got {value!r}")
    parts = split(corpus_name, seed=seed)
    finetune, dev, test, held = [], [], [], set()
    for name, prefix in families.items():
        own_train = [d for d in parts.train_docs if d.id.startswith(prefix)]
        buckets = [_bucket(d.id, seed) for d in own_train]
        test.append([d for d in parts.val_docs if d.id.startswith(prefix)]
                    + [d for d, b in zip(own_train, buckets) if b < test_fraction])
        dev.append([d for d, b in zip(own_train, buckets) if test_fraction <= b < test_fraction + dev_fraction])
        finetune.append([d for d, b in zip(own_train, buckets) if b >= test_fraction + dev_fraction])
        held.update(d.id for d in test[-1])
        if not (test[-1] and dev[-1] and finetune[-1]):
            raise ValueError(f"family {name!r} ({prefix}) has too few documents for test, dev and fine-tune parts")
    pretrain = [d for d in parts.train_docs if d.id not in held]
    return FamilyTask(tuple(families), finetune, dev, test, pretrain, parts.val_docs)


def passages(docs_per_class: list[list[Document]], n_per_class: int, length: int,
             seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_per_class`` random windows of ``length`` bytes from each class's documents.

    Returns ``x`` ``(n_classes * n_per_class, length)`` int64 byte ids and
    ``y`` ``(n_classes * n_per_class,)`` int64 labels (class index), shuffled.
    A window never crosses from one document into another.
    """
    if not isinstance(docs_per_class, list) or len(docs_per_class) < 2:
        raise ValueError("docs_per_class must be a list with one list of Documents per class (>= 2 classes)")
    for name, value in (("n_per_class", n_per_class), ("length", length), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be a {'non-negative' if name == 'seed' else 'positive'} int, got {value!r}")
    gen = np.random.default_rng(seed)
    xs, ys = [], []
    for label, docs in enumerate(docs_per_class):
        texts = [encode(d.text) for d in docs if len(d.text.encode("utf-8")) > length]
        if not texts:
            raise ValueError(f"class {label} has no document longer than {length} bytes")
        room = np.array([len(t) - length for t in texts], dtype=float)
        which = gen.choice(len(texts), size=n_per_class, p=room / room.sum())  # uniform over all windows
        starts = [int(gen.integers(0, len(texts[w]) - length + 1)) for w in which]
        xs.append(np.stack([texts[w][s:s + length] for w, s in zip(which, starts)]))
        ys.append(np.full(n_per_class, label))
    order = gen.permutation(len(docs_per_class) * n_per_class)
    x = torch.from_numpy(np.concatenate(xs)[order].astype(np.int64))
    return x, torch.from_numpy(np.concatenate(ys)[order].astype(np.int64))


def passage_overlap(x: torch.Tensor, text: str, span: int = SPAN) -> float:
    """Fraction of all ``span``-byte windows inside the passages ``x`` ``(N, length)`` that occur
    verbatim in ``text`` (0…1). Windows never straddle two passages."""
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise TypeError("x must be a 2-D tensor of byte ids (passages, length)")
    if isinstance(span, bool) or not isinstance(span, int) or not 1 <= span <= x.shape[1]:
        raise ValueError(f"span must be an int in 1..{x.shape[1]} (the passage length), got {span!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    base = text.encode("utf-8")
    rows = [bytes(r) for r in x.to(torch.uint8).cpu().numpy()]
    windows = [r[i:i + span] for r in rows for i in range(len(r) - span + 1)]
    if len(windows) * len(base) <= 2e9:  # few windows: a substring search each is cheaper than hashing the text
        return sum(w in base for w in windows) / len(windows)
    known = {base[i:i + span] for i in range(len(base) - span + 1)}
    return sum(w in known for w in windows) / len(windows)
