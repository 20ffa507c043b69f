"""Sentence-level measurements: probe, retrieval, kNN purity, final states, the paragraph task."""

import numpy as np
import pytest
import torch

from nbkit import models, textbench
from nbkit.corpus import DedupReport, Document, Split
from nbkit.embed import WordVectors


def _clusters(n_per=20, d=16, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, d))
    x = np.vstack([c + noise * rng.standard_normal((n_per, d)) for c in centres])
    return x, np.repeat(np.arange(3), n_per)


def test_probe_learns_separable_classes_and_reports_chance():
    x, y = _clusters()
    xt, yt = x + 0.05 * np.random.default_rng(2).standard_normal(x.shape), y   # same classes, new noise
    r = textbench.probe_accuracy(x, y, xt, yt)
    assert r["accuracy"] == pytest.approx(1.0) and r["chance"] == pytest.approx(1 / 3) and r["n_test"] == 60
    with pytest.raises(ValueError, match="one label"):
        textbench.probe_accuracy(x, y[:-1], xt, yt)
    with pytest.raises(ValueError, match="width"):
        textbench.probe_accuracy(x, y, xt[:, :5], yt)
    with pytest.raises(ValueError, match="NaN"):
        textbench.probe_accuracy(np.full_like(x, np.nan), y, xt, yt)


def test_retrieval_perfect_and_chance():
    d = np.eye(10)
    r = textbench.retrieval(d + 0.01, d)
    assert r["recall_at_1"] == 1.0 and r["mrr"] == 1.0 and r["chance_at_1"] == pytest.approx(0.1)
    shuffled = textbench.retrieval(d[::-1], d)
    assert shuffled["recall_at_1"] == 0.0
    with pytest.raises(ValueError, match="pair up"):
        textbench.retrieval(d[:5], d)


def test_knn_purity_vs_shuffled():
    x, y = _clusters()
    assert textbench.knn_purity(x, y, k=5) == pytest.approx(1.0)
    mean, sd = textbench.shuffled_purity(x, y, k=5, n_shuffles=10)
    assert mean < 0.5 and sd >= 0
    with pytest.raises(ValueError, match="k must be smaller"):
        textbench.knn_purity(x, y, k=len(x))
    with pytest.raises(ValueError, match="one label per vector"):
        textbench.knn_purity(x, y[:3])


def test_mean_word_vectors_and_empty_texts():
    wv = WordVectors.from_arrays("toy", ["cat", "dog"], np.array([[1.0, 0.0], [0.0, 1.0]]))
    out, empty = textbench.mean_word_vectors(wv, ["Cat and dog", "nothing known here"])
    assert np.allclose(out[0], [0.5, 0.5]) and np.allclose(out[1], 0) and empty == 0.5
    with pytest.raises(TypeError, match="WordVectors"):
        textbench.mean_word_vectors({}, ["a"])
    with pytest.raises(ValueError, match="texts"):
        textbench.mean_word_vectors(wv, [])


def test_final_states_are_the_last_step():
    model = models.build_model(models.ModelConfig(kind="lstm", d_model=8, n_layers=1, context=16))
    states = textbench.final_states(model, ["abc", "hello world"])
    assert states.shape == (2, 8)
    with torch.no_grad():
        direct = model.hidden(torch.tensor([list(b"abc")]))[0, -1].numpy()
    assert np.allclose(states[0], direct, atol=1e-6)
    with pytest.raises(ValueError, match=r"texts\[0\] is empty"):
        textbench.final_states(model, [""])
    with pytest.raises(TypeError, match="hidden"):
        textbench.final_states(object(), ["a"])


def test_summary_body_and_labels():
    assert textbench.summary_and_body("Return the sum of a list. The list may be empty, and then zero is "
                                      "returned without any error.") is not None
    assert textbench.summary_and_body("Only one sentence here without a second one") is None
    assert textbench.package_of("docs:email/mime/text.py") == "email"
    assert textbench.package_of("docs:argparse.py") == "argparse"
    assert textbench.package_of("topics:if") == "language reference"
    with pytest.raises(ValueError, match="doc_id"):
        textbench.package_of("email")


def test_paragraph_task_keeps_sides_apart():
    body = ("Open the file for reading. The handle is closed when the block ends and errors are raised as "
            "usual for this module.")
    def docs(pkg, n):
        return [Document(f"docs:{pkg}/m{i}.py", "\n\n".join([body.replace("file", f"file{i}{j}") for j in range(3)]))
                for i in range(n)]
    split = Split(docs("email", 3) + docs("json", 3), docs("email", 1) + docs("json", 1), DedupReport())
    task = textbench.paragraph_task(split, n_classes=2, train_per_class=5, test_per_class=2)
    assert task.classes == ["email", "json"]
    assert len(task.train_bodies) == 10 and len(task.test_bodies) == len(task.test_summaries) == 4
    assert all(s.startswith("Open the") for s in task.test_summaries)
    with pytest.raises(TypeError, match="corpus.Split"):
        textbench.paragraph_task("docs")
