"""The toy image/caption world: states, renderings, related states, contrastive training, probes, bad input."""

import numpy as np
import pytest
import torch

from nbkit import config, toyworld


def test_states_and_splits():
    states = toyworld.all_states()
    assert states.shape == (675, 4) and len({tuple(s) for s in states}) == 675
    train, held = toyworld.split_states(held_out=1 / 3, seed=0)
    assert len(train) == 450 and len(held) == 225
    assert not {tuple(s) for s in train} & {tuple(s) for s in held}


def test_images_draw_the_state():
    states = np.array([[0, 0, 2, 0], [1, 2, 0, 8]])            # large red square top-left; small blue circle bottom-right
    clean = toyworld.clean_images(states).reshape(2, 15, 15, 3)
    assert clean[0, :5, :5, 0].sum() == pytest.approx(25 * 1.0) and clean[0, 5:, :, :].sum() == 0
    assert clean[1, 10:, 10:, 2].sum() > 0 and clean[1, :10, :, :].sum() == 0
    noisy = toyworld.render_images(states, config.rng(0), noise=0.25)
    assert noisy.dtype == np.float32 and 0.2 < (noisy - clean.reshape(2, -1)).std() < 0.3


def test_captions_say_the_factors_with_synonyms():
    state = np.array([[2, 1, 0, 4]])                           # small green triangle, middle centre
    words = toyworld.captions(np.repeat(state, 50, axis=0), config.rng(0), drop=0.0)
    for caption in words:
        assert set(caption) & {"triangle", "wedge", "pyramid"} and set(caption) & {"green", "lime", "emerald"}
        assert set(caption) & {"middle", "central"} and set(caption) & {"centre", "center"}
    assert toyworld.describe(state[0]) == "small green triangle, middle centre"


def test_vectorised_bags_match_the_word_lists_in_distribution():
    many = np.repeat(np.array([[3, 4, 1, 7]]), 4000, axis=0)
    fast = toyworld.caption_bags(many, config.rng(1)).mean(axis=0)
    slow = toyworld.bag_of_words(toyworld.captions(many, config.rng(2))).mean(axis=0)
    assert np.abs(fast - slow).max() < 0.05


def test_related_states_change_at_most_one_factor():
    states = toyworld.all_states()
    rel = toyworld.related(states, config.rng(0), p_same=0.5)
    changed = (rel != states).sum(axis=1)
    assert set(changed.tolist()) <= {0, 1} and 0.4 < (changed == 0).mean() < 0.6
    assert (rel < np.array(toyworld.N_VALUES)).all()


def test_probe_reads_the_factors_from_a_perfect_code():
    train, held = toyworld.split_states(seed=0)

    def one_hot(states):
        return np.hstack([np.eye(v)[states[:, f]] for f, v in enumerate(toyworld.N_VALUES)])
    assert toyworld.probe_accuracy(one_hot(train), train, one_hot(held), held) == 1.0
    noise = config.rng(0).normal(size=(len(train), 8)), config.rng(1).normal(size=(len(held), 8))
    assert toyworld.probe_accuracy(noise[0], train, noise[1], held) < 0.35


def test_contrastive_training_learns_and_separate_encoders_never_meet():
    train, _ = toyworld.split_states(seed=0)
    enc = toyworld.make_encoders(16, [0, 0], dim=8)           # same init; network 0 separate, network 1 paired
    losses = toyworld.fit_world(enc, train, steps=20, batch_size=16, cross_weight=[0.0, 1.0])
    assert losses[-1] < losses[0]
    # a separate encoder does not depend on the other modality: retraining only it gives the same weights
    alone = toyworld.make_encoders(16, [0], dim=8)
    toyworld.fit_world(alone, train, steps=20, batch_size=16, cross_weight=0.0)
    assert torch.allclose(alone.image.weights[0][0], enc.image.weights[0][0], atol=1e-5)
    assert not torch.allclose(enc.image.weights[0][1], enc.image.weights[0][0], atol=1e-3)
    z = enc.embed_images(toyworld.render_images(train[:5], config.rng(0)))
    assert z.shape == (2, 5, 8) and torch.allclose(z.norm(dim=-1), torch.ones(2, 5), atol=1e-5)
    assert enc.select([1]).text.n_seeds == 1


def test_fit_world_cached_reuses_the_run(monkeypatch):
    train, _ = toyworld.split_states(seed=0)
    first, hit = toyworld.fit_world_cached(8, [0], train, steps=3, batch_size=8)
    assert not hit
    monkeypatch.setattr(toyworld, "fit_world", lambda *a, **k: (_ for _ in ()).throw(AssertionError("retrained")))
    again, hit = toyworld.fit_world_cached(8, [0], train, steps=3, batch_size=8)
    assert hit and torch.equal(first.text.weights[1], again.text.weights[1])


@pytest.mark.parametrize("call, match", [
    (lambda: toyworld.clean_images(np.array([[5, 0, 0, 0]])), "outside"),
    (lambda: toyworld.clean_images(np.array([0, 0, 0, 0])), "states must be"),
    (lambda: toyworld.split_states(held_out=1.5), "held_out"),
    (lambda: toyworld.make_encoders(0, [0]), "width"),
    (lambda: toyworld.fit_world(toyworld.make_encoders(4, [0]), toyworld.all_states(), steps=1, cross_weight=-1),
     "cross_weight"),
    (lambda: toyworld.fit_world(toyworld.make_encoders(4, [0, 1]), toyworld.all_states(), steps=1,
                                cross_weight=[1.0]), "cross_weight"),
    (lambda: toyworld.fit_world(toyworld.make_encoders(4, [0]), toyworld.all_states(), steps=0), "steps"),
    (lambda: toyworld.probe_accuracy(np.zeros((3, 2)), toyworld.all_states()[:4], np.zeros((2, 2)),
                                     toyworld.all_states()[:2]), "one row per state"),
])
def test_bad_input_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()
