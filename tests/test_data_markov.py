"""The Markov source: Witten-Bell probabilities, an exact entropy rate, and a sampler that agrees with it."""

import numpy as np
import pytest

from nbkit.data import MarkovSource, encode, markov_source


def _random_text(n=4000, symbols="abc ", seed=0):
    rng = np.random.default_rng(seed)
    # a little structure: a biased walk over the symbols
    out, cur = [], 0
    for _ in range(n):
        cur = (cur + rng.choice([0, 1, 1, 2], p=[0.4, 0.3, 0.2, 0.1])) % len(symbols)
        out.append(symbols[cur])
    return "".join(out)


def _brute_force_entropy(src: MarkovSource) -> float:
    """Build the full transition matrix, take its leading left eigenvector, average the row entropies."""
    a, k = len(src.alphabet), src.order
    n = a**k
    rows = src._probs(np.arange(n))
    T = np.zeros((n, n))
    for s in range(n):
        T[s, (s * a + np.arange(a)) % n] += rows[s]
    vals, vecs = np.linalg.eig(T.T)
    pi = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    pi /= pi.sum()
    return float((pi * -(rows * np.log(rows)).sum(axis=1)).sum())


def test_witten_bell_by_hand():
    src = markov_source("abab", order=1)
    # unigram: a 2, b 2 -> c=4, t=2, mixed with uniform 1/2: (2 + 2*0.5) / 6 = 0.5
    # after 'a': b twice -> c=2, t=1: P(b|a) = (2 + 1*0.5) / 3, P(a|a) = 0.5 / 3
    assert src.next_probs("a") == pytest.approx([0.5 / 3, 2.5 / 3])
    assert src.next_probs(b"xa"[-1:]) == pytest.approx([0.5 / 3, 2.5 / 3])
    assert src.next_probs("a").sum() == pytest.approx(1.0)


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_entropy_rate_matches_brute_force(order):
    src = markov_source(_random_text(), order=order)
    assert len(src.alphabet) == 4
    assert src.entropy_rate() == pytest.approx(_brute_force_entropy(src), abs=1e-7)
    assert np.allclose(src._probs(np.arange(src.n_states)).sum(axis=1), 1.0)
    pi = src.stationary()
    assert pi.shape == (src.n_states,) and pi.sum() == pytest.approx(1.0) and pi.min() > 0


def test_order_zero_is_the_smoothed_unigram():
    src = markov_source("aaab", order=0)
    p = src.next_probs("")  # (3 + 2*0.5)/6, (1 + 2*0.5)/6
    assert p == pytest.approx([4 / 6, 2 / 6])
    assert src.entropy_rate() == pytest.approx(float(-(p * np.log(p)).sum()))


def test_entropy_falls_with_order_on_real_text():
    text = _random_text(20_000, symbols="abcdefgh ", seed=3)
    rates = [markov_source(text, order=k).entropy_rate() for k in (0, 1, 2)]
    assert rates[0] > rates[1] > rates[2] > 0


def test_sample_agrees_with_entropy_rate():
    src = markov_source(_random_text(8000, symbols="abcdef", seed=1), order=2)
    sample = src.sample(60_000, seed=0, n_chains=16)
    assert sample.shape == (60_000,) and sample.dtype == np.uint8
    assert set(np.unique(sample)) <= set(src.alphabet.tolist())
    assert src.log_loss(sample) == pytest.approx(src.entropy_rate(), abs=0.03)
    one_chain = src.sample(20_000, seed=1, n_chains=1)
    assert src.log_loss(one_chain) == pytest.approx(src.entropy_rate(), abs=0.05)


def test_sample_is_repeatable():
    src = markov_source(_random_text(), order=2)
    assert np.array_equal(src.sample(500, seed=4), src.sample(500, seed=4))
    assert not np.array_equal(src.sample(500, seed=4), src.sample(500, seed=5))
    assert len(src.sample(7, seed=0, n_chains=3)) == 7


def test_deterministic_text_has_low_entropy():
    src = markov_source("abc" * 2000, order=2)
    assert 0 < src.entropy_rate() < 0.01
    assert src.next_probs("ab").argmax() == 2  # 'c' follows 'ab'


def test_accepts_byte_ids_and_reports():
    ids = encode(_random_text())
    src = markov_source(ids, order=1)
    assert "order=1" in repr(src)
    assert src.entropy_rate() == pytest.approx(markov_source(_random_text(), order=1).entropy_rate())


def test_bad_input():
    with pytest.raises(ValueError, match="order"):
        markov_source("abcabc", order=-1)
    with pytest.raises(ValueError, match="order"):
        markov_source("abcabc", order=6)
    with pytest.raises(ValueError, match="two distinct"):
        markov_source("aaaaaa", order=1)
    with pytest.raises(ValueError, match="states"):
        markov_source(np.arange(200, dtype=np.uint8).repeat(3), order=3)
    with pytest.raises(ValueError, match="longer"):
        markov_source("ab", order=2)
    src = markov_source("abcabcab", order=1)
    with pytest.raises(ValueError, match="n must"):
        src.sample(0)
    with pytest.raises(ValueError, match="seed"):
        src.sample(10, seed=-1)
    with pytest.raises(ValueError, match="outside"):
        src.log_loss(encode("abz"))
    with pytest.raises(ValueError, match="outside"):
        src.next_probs("z")
    with pytest.raises(ValueError, match="at least"):
        markov_source("abcabcab", order=2).next_probs("a")
