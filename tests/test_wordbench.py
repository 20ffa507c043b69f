"""Word benchmarks: Spearman on hand-made sets with known answers, analogy scoring with the query excluded."""

import numpy as np
import pytest

from nbkit import wordbench
from nbkit.embed import WordVectors


def test_spearman_known_answers():
    assert wordbench.spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert wordbench.spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks 5,1,3,2,4 vs 5,1,4,2,3: sum d^2 = 2, rho = 1 - 6*2/(5*24) = 0.9
    assert wordbench.spearman([0.9, 0.1, 0.5, 0.3, 0.7], [8.0, 1.0, 6.5, 2.0, 6.0]) == pytest.approx(0.9)
    # monotone transforms do not change a rank correlation
    x = np.array([0.3, -1.0, 2.5, 0.0, 7.0])
    y = np.array([1.0, 4.0, 2.0, 3.0, 5.0])
    assert wordbench.spearman(x, y) == pytest.approx(wordbench.spearman(np.exp(x), y ** 3))


def test_ranks_share_ties():
    assert wordbench.ranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    # with ties, rho is Pearson on average ranks: compare with the textbook formula on ranks
    x, y = [1, 2, 2, 3, 4], [2, 1, 3, 3, 5]
    rx, ry = wordbench.ranks(x), wordbench.ranks(y)
    assert wordbench.spearman(x, y) == pytest.approx(np.corrcoef(rx, ry)[0, 1])


@pytest.mark.parametrize("x, y, message", [
    ([1, 2], [1, 2], "at least 3"),
    ([1, 2, 3], [1, 2], "equal length"),
    ([1, 1, 1], [1, 2, 3], "constant"),
    ([1, 2, float("nan")], [1, 2, 3], "finite"),
])
def test_spearman_bad_input(x, y, message):
    with pytest.raises(ValueError, match=message):
        wordbench.spearman(x, y)


def _toy():
    # king - man + woman lands exactly on queen; king itself is closest to the target without the exclusion
    words = ["man", "woman", "king", "queen", "apple"]
    vecs = np.array([[1.0, 0, 0, 0.1], [0, 1.0, 0, 0.1], [1.0, 0, 1.0, 0.1], [0, 1.0, 1.0, 0.1], [0, 0, 0, 1.0]])
    return WordVectors.from_arrays("toy", words, vecs)


def test_analogy_excludes_query_words():
    toy = _toy()
    assert wordbench.solve_analogy(toy, "man", "king", "woman")[0][0] == "queen"
    questions = [("family", "man", "king", "woman", "queen"), ("family", "man", "king", "woman", "apple"),
                 ("family", "man", "king", "woman", "emperor")]  # last one not covered
    result = wordbench.analogy_accuracy(toy, questions)
    assert result["covered"] == 2 and result["total"] == 3 and result["accuracy"] == pytest.approx(0.5)
    assert result["by_category"] == {"family": 0.5}


def test_without_exclusion_a_query_word_can_win():
    words = ["a", "b", "c", "d"]
    vecs = np.array([[1.0, 0.0, 0.0], [1.0, 0.2, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 1.0]])
    toy = WordVectors.from_arrays("toy", words, vecs)
    with_query = wordbench.solve_analogy(toy, "a", "b", "c", exclude_query=False)[0][0]
    assert with_query in ("a", "b", "c")
    assert wordbench.solve_analogy(toy, "a", "b", "c")[0][0] == "d"


def test_similarity_score_counts_coverage():
    toy = _toy()
    pairs = [("man", "woman", 3.0), ("king", "queen", 8.0), ("king", "apple", 0.5), ("queen", "apple", 1.0),
             ("man", "unicorn", 5.0)]
    s = wordbench.similarity_score(toy, pairs)
    assert s["covered"] == 4 and s["total"] == 5 and s["coverage"] == pytest.approx(0.8)
    assert -1 <= s["rho"] <= 1
    none = wordbench.similarity_score(toy, [("x", "y", 1.0), ("y", "z", 2.0), ("x", "z", 3.0)])
    assert none["covered"] == 0 and np.isnan(none["rho"])


def test_covered_by_all_and_frequency_baseline():
    toy = _toy()
    pairs = [("man", "woman", 3.0), ("king", "unicorn", 8.0), ("queen", "apple", 1.0), ("king", "queen", 7.0)]
    assert wordbench.covered_by_all(pairs, [toy]) == [pairs[0], pairs[2], pairs[3]]
    ranked = ["man", "king", "woman", "queen", "apple"]
    s = wordbench.frequency_similarity(pairs, ranked)
    assert s["covered"] == 3 and -1 <= s["rho"] <= 1


def test_random_vectors_know_nothing():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    pairs = [(words[i], words[i + 1], float(rng.random())) for i in range(0, 398, 2)]
    rho = wordbench.similarity_score(wordbench.random_vectors(words, 32, seed=1), pairs)["rho"]
    assert abs(rho) < 4 / np.sqrt(len(pairs))


def test_bad_arguments_are_named():
    toy = _toy()
    with pytest.raises(ValueError, match="unknown benchmark"):
        wordbench.similarity_pairs("men3000")
    with pytest.raises(TypeError, match="vectors must be nbkit.embed.WordVectors"):
        wordbench.similarity_score({"a": 1}, [("a", "b", 1.0)])
    with pytest.raises(ValueError, match="pairs must be a non-empty list"):
        wordbench.similarity_score(toy, [])
    with pytest.raises(ValueError, match=r"pairs\[0\]"):
        wordbench.similarity_score(toy, [("a", 1.0)])
    with pytest.raises(ValueError, match="word 'unicorn' is not in the vocabulary"):
        wordbench.solve_analogy(toy, "man", "king", "unicorn")
    with pytest.raises(ValueError, match="k must be"):
        wordbench.solve_analogy(toy, "man", "king", "woman", k=0)
    with pytest.raises(ValueError, match="questions must be"):
        wordbench.analogy_accuracy(toy, [])
    with pytest.raises(ValueError, match="dim must be"):
        wordbench.random_vectors(["a"], 0)


def test_shipped_benchmarks_load():
    ws, sl, q = wordbench.similarity_pairs("wordsim353"), wordbench.similarity_pairs("simlex999"), \
        wordbench.analogy_questions()
    assert len(ws) == 353 and len(sl) == 999 and len(q) == 19544
    assert ("tiger", "cat", 7.35) in ws and q[0][0] == "capital-common-countries"
