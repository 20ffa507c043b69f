"""Sentence-level tests of embeddings on the kit's own documents: a linear probe, retrieval, kNN purity.

The data (``paragraph_task``) are paragraphs of the de-duplicated Python
documentation, split **by document** with ``nbkit.corpus.split`` (a module or
a Language Reference topic is wholly train or wholly held out). Each
paragraph is labelled with the package it documents (``email``, ``asyncio``,
Language Reference …) and cut into its first sentence (the *summary*) and
the rest (the *body*). Three measurements, one interface: every function
takes plain arrays of vectors ``(n, d)`` so any encoder can be compared.

- ``probe_accuracy``: logistic regression from body vectors to the package,
  trained on paragraphs of training documents, scored on held-out documents.
- ``retrieval``: each held-out summary must find its own body among all bodies.
- ``knn_purity``: share of a vector's k nearest neighbours with its label,
  next to the same number with shuffled labels.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import config
from .corpus import Split
from .embed import WordVectors

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`'\"(])")


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def package_of(doc_id: str) -> str:
    """The label of a corpus document: ``'docs:email/mime/text.py' -> 'email'``, topics -> ``'language reference'``."""
    if not isinstance(doc_id, str) or ":" not in doc_id:
        raise ValueError(f"doc_id must look like 'docs:email/parser.py' or 'topics:if', got {doc_id!r}")
    kind, path = doc_id.split(":", 1)
    return "language reference" if kind == "topics" else path.split("/")[0].removesuffix(".py")


def summary_and_body(paragraph: str, min_summary_words: int = 4, min_body_words: int = 8) -> tuple[str, str] | None:
    """Split a paragraph into its first sentence and the rest; None when either part is too short."""
    parts = _SENTENCE_END.split(" ".join(paragraph.split()), maxsplit=1)
    if len(parts) != 2:
        return None
    summary, body = parts
    if len(summary.split()) < min_summary_words or len(body.split()) < min_body_words:
        return None
    return summary, body


@dataclass
class ParagraphTask:
    """Labelled paragraphs: ``train_*`` from training documents, ``test_*`` from held-out documents.

    ``*_bodies`` and ``*_labels`` (int ids into ``classes``) feed the probe;
    ``test_summaries[i]`` is the first sentence of ``test_bodies[i]`` (retrieval).
    """

    classes: list[str]
    train_bodies: list[str]
    train_labels: np.ndarray
    test_bodies: list[str]
    test_summaries: list[str]
    test_labels: np.ndarray


def paragraph_task(split: Split, n_classes: int = 8, train_per_class: int = 100, test_per_class: int = 40,
                   max_words: int = 120, seed: int = 0) -> ParagraphTask:
    """Build the probe/retrieval task from a document split (``nbkit.corpus.split``).

    Keeps the ``n_classes`` packages with the most usable paragraphs on the
    smaller side (held out counts triple), then samples up to
    ``train_per_class`` / ``test_per_class`` paragraphs of at most
    ``max_words`` words each. Paragraphs must have a summary sentence and a body.
    """
    if not isinstance(split, Split):
        raise TypeError(f"split must be a nbkit.corpus.Split (from corpus.split), got {type(split).__name__}")
    for name, value in (("n_classes", n_classes), ("train_per_class", train_per_class),
                        ("test_per_class", test_per_class), ("max_words", max_words)):
        _check_int(name, value, 2 if name == "n_classes" else 1)
    gen = config.rng(_check_int("seed", seed, 0))

    def usable(docs):
        by_label: dict[str, list[tuple[str, str]]] = {}
        for doc in docs:
            for para in re.split(r"\n\s*\n", doc.text):
                if len(para.split()) <= max_words and (pair := summary_and_body(para)):
                    by_label.setdefault(package_of(doc.id), []).append(pair)
        return by_label

    train, test = usable(split.train_docs), usable(split.val_docs)
    score = {c: min(len(train[c]), 3 * len(test[c])) for c in train if c in test}
    classes = sorted(sorted(score, key=lambda c: -score[c])[:n_classes])
    if len(classes) < 2:
        raise ValueError("fewer than 2 packages have paragraphs on both sides of the split")

    def sample(by_label, per_class):
        bodies, summaries, labels = [], [], []
        for label, name in enumerate(classes):
            items = by_label[name]
            for i in sorted(gen.permutation(len(items))[:per_class]):
                summaries.append(items[i][0])
                bodies.append(items[i][1])
                labels.append(label)
        return bodies, summaries, np.array(labels)

    train_bodies, _, train_labels = sample(train, train_per_class)
    test_bodies, test_summaries, test_labels = sample(test, test_per_class)
    return ParagraphTask(classes, train_bodies, train_labels, test_bodies, test_summaries, test_labels)


def _unit_rows(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"vectors must be a non-empty 2-D array (n, d), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors hold NaN or infinite values")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)  # an all-zero row (no known word) stays zero: similarity 0


def _dense(x) -> np.ndarray:
    return x.toarray() if hasattr(x, "toarray") else x


def probe_accuracy(train_x, train_y, test_x, test_y, seed: int = 0) -> dict:
    """Held-out accuracy of a logistic-regression probe on L2-normalised vectors.

    train_x ``(n, d)``, train_y ``(n,)`` int labels; the same for test. The
    regularisation C is picked by 3-fold cross-validation on the training
    side only, from the same grid for every representation. Returns
    ``{"accuracy", "chance" (majority class share of the test set), "se"
    (binomial standard error), "n_test", "C"}``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    train_x, test_x = _unit_rows(_dense(train_x)), _unit_rows(_dense(test_x))
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if len(train_y) != len(train_x) or len(test_y) != len(test_x):
        raise ValueError("each vector needs one label: len(train_y) == len(train_x) and len(test_y) == len(test_x)")
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f"train and test vectors differ in width: {train_x.shape[1]} vs {test_x.shape[1]}")
    if len(set(train_y.tolist())) < 2:
        raise ValueError("train_y needs at least 2 classes")
    search = GridSearchCV(LogisticRegression(max_iter=2000, random_state=seed), {"C": [0.1, 1.0, 10.0, 100.0]}, cv=3)
    search.fit(train_x, train_y)
    acc = float((search.predict(test_x) == test_y).mean())
    chance = max(Counter(test_y.tolist()).values()) / len(test_y)
    return {"accuracy": acc, "chance": chance, "se": float(np.sqrt(acc * (1 - acc) / len(test_y))),
            "n_test": len(test_y), "C": float(search.best_params_["C"])}


def retrieval(queries, documents) -> dict:
    """Query i must find document i by cosine similarity among all documents.

    queries, documents: ``(n, d)`` vectors (rows need not be normalised).
    Returns ``{"recall_at_1", "recall_at_5", "mrr", "chance_at_1" (= 1/n), "n"}``.
    """
    q, d = _unit_rows(_dense(queries)), _unit_rows(_dense(documents))
    if q.shape != d.shape:
        raise ValueError(f"queries and documents must pair up one to one, got shapes {q.shape} and {d.shape}")
    sims = q @ d.T
    rank = (sims > np.diag(sims)[:, None]).sum(1) + 1  # 1 = the own document scores highest
    return {"recall_at_1": float((rank == 1).mean()), "recall_at_5": float((rank <= 5).mean()),
            "mrr": float((1 / rank).mean()), "chance_at_1": 1 / len(q), "n": len(q)}


def knn_purity(vectors, labels, k: int = 10) -> float:
    """Mean share of each vector's ``k`` nearest neighbours (cosine, itself excluded) that share its label."""
    x = _unit_rows(_dense(vectors))
    labels = np.asarray(labels)
    if len(labels) != len(x):
        raise ValueError(f"labels must give one label per vector: {len(labels)} labels for {len(x)} vectors")
    k = _check_int("k", k)
    if k >= len(x):
        raise ValueError(f"k must be smaller than the number of vectors ({len(x)}), got {k}")
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    nearest = np.argpartition(-sims, k, axis=1)[:, :k]
    return float((labels[nearest] == labels[:, None]).mean())


def shuffled_purity(vectors, labels, k: int = 10, n_shuffles: int = 20, seed: int = 0) -> tuple[float, float]:
    """``knn_purity`` with the labels shuffled ``n_shuffles`` times: the chance level, as (mean, std)."""
    gen = config.rng(_check_int("seed", seed, 0))
    labels = np.asarray(labels)
    values = [knn_purity(vectors, gen.permutation(labels), k) for _ in range(_check_int("n_shuffles", n_shuffles))]
    return float(np.mean(values)), float(np.std(values))


def mean_word_vectors(vectors: WordVectors, texts: Sequence[str]) -> tuple[np.ndarray, float]:
    """Each text as the mean of the vectors of its known words: ``(n, d)`` float32 and the share of texts with none.

    Texts are tokenized like ``wordvec.tokenize`` (lower-case letters). A
    text with no known word gets a zero row (similarity 0 to everything).
    """
    from .wordvec import tokenize

    if not isinstance(vectors, WordVectors):
        raise TypeError(f"vectors must be nbkit.embed.WordVectors, got {type(vectors).__name__}")
    if isinstance(texts, str) or not texts:
        raise ValueError("texts must be a non-empty list of strings")
    out = np.zeros((len(texts), vectors.dim), dtype=np.float32)
    empty = 0
    for i, text in enumerate(texts):
        rows = [vectors.index[w] for w in tokenize(text) if w in vectors.index]
        if rows:
            out[i] = vectors.vectors[rows].mean(0)
        else:
            empty += 1
    return out, empty / len(texts)


@torch.no_grad()
def final_states(model: torch.nn.Module, texts: Sequence[str], max_bytes: int = 512) -> np.ndarray:
    """The recurrent network's last hidden state after reading each text: ``(n, d_model)`` float32.

    model: a byte-level ``nbkit.models.RNNLM`` (anything with ``hidden(ids)``).
    Each text is read as UTF-8 bytes, its last ``max_bytes`` kept, one at a time
    (no padding, so the final state is exactly the state after the last byte).
    """
    if not callable(getattr(model, "hidden", None)):
        raise TypeError(f"model must have a hidden(ids) method (nbkit.models.RNNLM), got {type(model).__name__}")
    if isinstance(texts, str) or not texts:
        raise ValueError("texts must be a non-empty list of strings")
    _check_int("max_bytes", max_bytes)
    model.eval()
    device = next(model.parameters()).device
    rows = []
    for i, text in enumerate(texts):
        data = text.encode("utf-8")[-max_bytes:]
        if not data:
            raise ValueError(f"texts[{i}] is empty")
        ids = torch.tensor(list(data), dtype=torch.long, device=device)[None]
        rows.append(model.hidden(ids)[0, -1].float().cpu().numpy())
    return np.stack(rows)
