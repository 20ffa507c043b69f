"""Skip-gram from scratch: pairs as word2vec makes them, a loss that learns, cache hits, bad input."""

import numpy as np
import pytest
import torch

from nbkit import wordvec


def test_tokenize_and_vocab():
    assert wordvec.tokenize("The King's men, 1984!") == ["the", "king", "s", "men"]
    vocab = wordvec.Vocab.build(["b", "a", "b", "c", "a", "b"], min_count=2)
    assert vocab.words == ["b", "a"] and vocab.counts.tolist() == [3, 2]
    assert vocab.ids(["a", "zzz", "b"]).tolist() == [1, 0]
    with pytest.raises(ValueError, match="min_count"):
        wordvec.Vocab.build(["a", "b"], min_count=0)
    with pytest.raises(ValueError, match="fewer than 2 words"):
        wordvec.Vocab.build(["a", "b"], min_count=5)
    with pytest.raises(TypeError, match="text must be a string"):
        wordvec.tokenize(None)


def test_pairs_stay_inside_the_window():
    ids = np.arange(200) % 50
    counts = np.full(50, 4)
    centres, contexts = wordvec.skipgram_pairs(ids, counts, window=3, sample=1.0, seed=0)  # sample=1: keep all
    assert len(centres) == len(contexts) > 0
    gaps = (contexts - centres) % 50
    assert set(np.minimum(gaps, 50 - gaps).tolist()) <= {1, 2, 3}
    assert len(centres) <= 2 * 3 * len(ids)
    with pytest.raises(ValueError, match="window"):
        wordvec.skipgram_pairs(ids, counts, window=0)


def test_loss_matches_the_formula():
    model = wordvec.SkipGramNS(vocab=5, dim=3, n_seeds=2)
    with torch.no_grad():
        model.context.weight.normal_()
    c, o, n = torch.tensor([[0], [1]]), torch.tensor([[2], [3]]), torch.tensor([[[4, 1]], [[0, 2]]])
    v = model.centre.weight
    u = model.context.weight
    expected = 0.0
    for s in range(2):
        vc = v[s * 5 + c[s, 0]]
        expected -= torch.nn.functional.logsigmoid(u[s * 5 + o[s, 0]] @ vc)
        for neg in n[s, 0]:
            expected -= torch.nn.functional.logsigmoid(-(u[s * 5 + neg] @ vc))
    assert torch.allclose(model.loss(c, o, n), expected)


def test_training_groups_words_that_share_contexts_and_is_cached(monkeypatch):
    rng = np.random.default_rng(0)
    topics = [[f"w{t}_{i}" for i in range(20)] for t in range(10)]   # words of a topic only meet each other
    tokens = []
    for _ in range(600):
        tokens += [str(w) for w in rng.choice(topics[rng.integers(10)], size=10)]
    result = wordvec.train_sgns(tokens, seeds=[0, 1], dim=16, window=2, min_count=1, epochs=2, batch_size=256,
                                lr=0.05, progress=False)
    assert len(result.vectors) == 2 and result.losses[-1] < result.losses[0] - 1
    for v in result.vectors:
        same = np.mean([v.vector(a) @ v.vector(b) for t in topics for a in t for b in t if a != b])
        cross = np.mean([v.vector(a) @ v.vector(b) for a in topics[0] for b in topics[1]])
        assert same > cross + 0.2
    monkeypatch.setattr(wordvec, "skipgram_pairs", lambda *a, **k: (_ for _ in ()).throw(AssertionError("retrained")))
    again = wordvec.train_sgns(tokens, seeds=[0, 1], dim=16, window=2, min_count=1, epochs=2, batch_size=256,
                               lr=0.05, progress=False)
    assert again.from_cache and np.allclose(again.vectors[1].vectors, result.vectors[1].vectors)


@pytest.mark.parametrize("kwargs, message", [
    ({"seeds": []}, "seeds"), ({"seeds": [-1]}, "seed"), ({"dim": 0}, "dim"), ({"lr": 0.0}, "lr"),
    ({"batch_size": 0}, "batch_size"),
])
def test_train_sgns_bad_arguments(kwargs, message):
    args = {"seeds": [0], "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        wordvec.train_sgns(["a", "b"] * 10, **args)


def test_gensim_on_the_same_tokens():
    tokens = ["a", "b", "c", "d"] * 300
    vectors, seconds = wordvec.gensim_word2vec(tokens, dim=8, min_count=1)
    assert set(vectors.words) == {"a", "b", "c", "d"} and vectors.dim == 8 and seconds >= 0
    with pytest.raises(ValueError, match="tokens"):
        wordvec.gensim_word2vec([])
