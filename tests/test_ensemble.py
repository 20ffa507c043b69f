"""Batched seeds: member s of an ensemble behaves like seed s built and trained alone."""

import pytest
import torch

from nbkit import config, data, ensemble, models, train

KINDS = ("gpt", "lstm", "rnn")


def small(kind, **fields):
    return models.ModelConfig(kind=kind, vocab=26, d_model=16, n_layers=2, context=24, **fields)


def alone(cfg, seed):
    config.seed_everything(seed)
    return models.build_model(cfg)


def recall_stream(n_steps, members, batch=8, seed=7):
    """A fixed list of recall batches of members*batch examples (the length varies per step)."""
    sample = data.recall_sampler(members * batch, 12, seed=seed, device="cpu")
    return [sample() for _ in range(n_steps)]


@pytest.mark.parametrize("kind", KINDS)
def test_forward_matches_each_member(kind):
    cfg = small(kind)
    ens = ensemble.build(cfg, [3, 5, 8])
    ids = torch.randint(0, 26, (3, 4, 20))
    logits = ens(ids)
    assert logits.shape == (3, 4, 20, 26)
    for s, seed in enumerate([3, 5, 8]):
        torch.testing.assert_close(logits[s], alone(cfg, seed)(ids[s]), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(ens.member(s)(ids[s]), logits[s], atol=1e-5, rtol=1e-5)


def test_gpt_without_positions_matches():
    cfg = small("gpt", positions=False)
    ens = ensemble.build(cfg, [0, 1])
    ids = torch.randint(0, 26, (2, 3, 10))
    torch.testing.assert_close(ens(ids)[1], alone(cfg, 1)(ids[1]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_training_member_equals_seed_trained_alone(kind):
    """Same batches, same recipe: seed s in the batch ends where train.train takes it alone.

    Compared on losses and outputs: Adam turns rounding-level gradients of weights whose true
    gradient is zero (the attention's key bias) into small steps, so single weights may differ
    at ~1e-5 without changing what the model computes.
    """
    cfg, seeds, steps, batch = small(kind), [0, 1, 2], 20, 8
    stream = recall_stream(steps, len(seeds), batch)
    ens = ensemble.build(cfg, seeds)
    feed = iter(stream)
    histories = ensemble.train(ens, ensemble.split_batches(lambda: next(feed), len(seeds)), steps=steps, lr=5e-3,
                               warmup=5, eval_every=10, progress=False)
    probe = torch.randint(0, 26, (6, 18))
    for s, seed in enumerate(seeds):
        model, own = alone(cfg, seed), iter(stream)

        def sample(s=s, own=own):
            x, y = next(own)
            return x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]

        history = train.train(model, sample, steps=steps, lr=5e-3, warmup=5, eval_every=10, progress=False)
        assert histories[s].step == history.step == [10, 20]
        assert histories[s].tokens == history.tokens
        assert histories[s].train_loss == pytest.approx(history.train_loss, rel=1e-5)
        torch.testing.assert_close(ens.member(s)(probe), model(probe), atol=2e-4, rtol=1e-4)


def test_learning_rate_per_member():
    cfg, steps = small("lstm"), 12
    stream = recall_stream(steps, 2)
    ens = ensemble.build(cfg, [4, 4 + 1])
    feed = iter(stream)
    ensemble.train(ens, ensemble.split_batches(lambda: next(feed), 2), steps=steps, lr=[1e-3, 2e-2], warmup=2,
                   eval_every=steps, progress=False)
    probe = torch.randint(0, 26, (3, 15))
    for s, (seed, lr) in enumerate([(4, 1e-3), (5, 2e-2)]):
        model, own = alone(cfg, seed), iter(stream)

        def sample(s=s, own=own):
            x, y = next(own)
            return x[s * 8:(s + 1) * 8], y[s * 8:(s + 1) * 8]

        train.train(model, sample, steps=steps, lr=lr, warmup=2, eval_every=steps, progress=False)
        torch.testing.assert_close(ens.member(s)(probe), model(probe), atol=1e-4, rtol=1e-4)


def test_members_learn_and_evaluate():
    ens = ensemble.build(small("gpt"), [0, 1, 2])
    val = ensemble.split_batches(data.recall_sampler(3 * 64, 8, seed=9, device="cpu"), 3)
    before = ensemble.evaluate(ens, val, 2)
    histories = ensemble.train(ens, ensemble.split_batches(data.recall_sampler(48, 8, seed=1, device="cpu"), 3),
                               steps=150, lr=1e-2, warmup=10, eval_every=50, val_batches=val, eval_batches=2,
                               progress=False)
    after = ensemble.evaluate(ens, val, 2)
    assert len(before) == len(after) == 3 and all(a < b for a, b in zip(after, before))
    assert [h.label for h in histories] == ["ensemble #0", "ensemble #1", "ensemble #2"]
    assert all(len(h.val_loss) == 3 for h in histories)
    acc = ensemble.accuracy(ens, val)
    assert len(acc) == 3 and all(0.0 <= a <= 1.0 for a in acc) and max(acc) > 0.3


def test_stack_batches_gives_each_member_its_sampler():
    samplers = [data.batch_sampler(data.encode("abcdefghij" * 20), 4, 8, seed=s, device="cpu") for s in (0, 1)]
    x, y = ensemble.stack_batches(samplers)()
    assert x.shape == y.shape == (2, 4, 8)
    reference = data.batch_sampler(data.encode("abcdefghij" * 20), 4, 8, seed=1, device="cpu")()
    assert torch.equal(x[1], reference[0])


def test_run_cached_trains_once(tmp_path):
    cfg = small("lstm")

    def make(seeds):
        return ensemble.split_batches(data.recall_sampler(8 * len(seeds), 6, seed=1, device="cpu"), len(seeds))

    first = ensemble.run_cached(cfg, [0, 1], make, steps=10, data="recall D<=6 B8", lr=5e-3, progress=False)
    second = ensemble.run_cached(cfg, [0, 1], make, steps=10, data="recall D<=6 B8", lr=5e-3, progress=False)
    other = ensemble.run_cached(cfg, [0, 1], make, steps=10, data="recall D<=6 B8 v2", lr=5e-3, progress=False)
    assert not first.from_cache and second.from_cache and not other.from_cache
    assert first.key == second.key != other.key and first.tokens == second.tokens > 0
    ids = torch.randint(0, 26, (2, 3, 9))
    torch.testing.assert_close(first.ensemble(ids), second.ensemble(ids))
    assert second.histories[1].train_loss == first.histories[1].train_loss


def test_bad_inputs():
    cfg = small("gpt")
    with pytest.raises(ValueError, match="members"):
        ensemble.Ensemble([])
    with pytest.raises(TypeError, match="members"):
        ensemble.Ensemble([torch.nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="ModelConfig"):
        ensemble.Ensemble([alone(cfg, 0), alone(small("gpt", n_heads=2), 0)])
    ens = ensemble.build(cfg, [0, 1])
    with pytest.raises(ValueError, match="ids"):
        ens(torch.zeros(3, 2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="vocab"):
        ens(torch.full((2, 1, 3), 26))
    with pytest.raises(ValueError, match="index"):
        ens.member(2)
    with pytest.raises(ValueError, match="parameter"):
        ens.param("nope")
    with pytest.raises(ValueError, match="seeds"):
        ensemble.build(cfg, [])
    with pytest.raises(ValueError, match="seed"):
        ensemble.build(cfg, [-1])
    with pytest.raises(TypeError, match="cfg"):
        ensemble.build("gpt", [0])
    batches = ensemble.split_batches(data.recall_sampler(4, 4, seed=0, device="cpu"), 2)
    with pytest.raises(ValueError, match="steps"):
        ensemble.train(ens, batches, steps=0)
    with pytest.raises(ValueError, match="lr"):
        ensemble.train(ens, batches, steps=1, lr=[1e-3])
    with pytest.raises(ValueError, match="lr"):
        ensemble.train(ens, batches, steps=1, lr=-1.0)
    with pytest.raises(TypeError, match="ens"):
        ensemble.train(alone(cfg, 0), batches, steps=1)
    with pytest.raises(TypeError, match="batches"):
        ensemble.train(ens, None, steps=1)
    with pytest.raises(ValueError, match="size"):
        ensemble.split_batches(batches, 0)
    with pytest.raises(ValueError, match="split"):
        ensemble.split_batches(data.recall_sampler(3, 4, seed=0, device="cpu"), 2)()
    with pytest.raises(ValueError, match="shape"):
        ensemble.stack_batches([lambda: data.recall_batch(2, 3), lambda: data.recall_batch(2, 4)])()
    with pytest.raises(TypeError, match="samplers"):
        ensemble.stack_batches([])
    with pytest.raises(ValueError, match="data"):
        ensemble.run_cached(cfg, [0], lambda seeds: batches, steps=1, data="")
    with pytest.raises(ValueError, match="n_batches"):
        ensemble.evaluate(ens, batches, 0)
    with pytest.raises(ValueError, match="match"):
        ensemble.member_losses(torch.zeros(2, 3, 4, 5), torch.zeros(2, 3, 5, dtype=torch.long))


@pytest.mark.parametrize("kind", ("gpt", "lstm"))
def test_classifier_member_equals_sequence_classifier_trained_alone(kind):
    cfg, seeds, steps = small(kind), [2, 3], 15
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 26, (2, 40, 12), generator=gen)
    y = torch.randint(0, 3, (2, 40), generator=gen)
    picks = [torch.randint(0, 40, (8,), generator=gen) for _ in range(steps)]
    clf = ensemble.EnsembleClassifier(ensemble.build(cfg, seeds), 3)
    torch.testing.assert_close(clf.body.hidden(x)[1], alone(cfg, 3).hidden(x[1]), atol=1e-5, rtol=1e-5)
    feed = iter(picks)

    def stacked():
        idx = next(feed)
        return x[:, idx], y[:, idx]

    ensemble.train(clf, stacked, steps=steps, lr=3e-3, warmup=3, eval_every=steps, progress=False)
    logits = clf(x)
    assert logits.shape == (2, 40, 3)
    for s, seed in enumerate(seeds):
        model = models.SequenceClassifier(alone(cfg, seed), 3)
        own = iter(picks)

        def sample(s=s, own=own):
            idx = next(own)
            return x[s, idx], y[s, idx]

        train.train(model, sample, steps=steps, lr=3e-3, warmup=3, eval_every=steps, progress=False)
        torch.testing.assert_close(logits[s], model(x[s]), atol=2e-4, rtol=1e-4)
    assert len(ensemble.accuracy(clf, lambda: (x, y))) == 2
    with pytest.raises(ValueError, match="n_classes"):
        ensemble.EnsembleClassifier(clf.body, 1)
    with pytest.raises(TypeError, match="Ensemble"):
        ensemble.EnsembleClassifier(alone(cfg, 0), 3)


def test_recall_accuracy_and_mean_se():
    ens = ensemble.build(small("lstm"), [0, 1])
    acc = ensemble.recall_accuracy(ens, [1, 5], n_examples=64, seed=3)
    assert set(acc) == {1, 5} and all(len(v) == 2 for v in acc.values())
    alone_acc = train.recall_accuracy(ens.member(1), [1, 5], n_examples=64, seed=3)
    assert acc[5][1] == pytest.approx(alone_acc[5])
    assert ensemble.mean_se([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1 / 3**0.5))
    assert ensemble.mean_se([4.0]) == (4.0, 0.0)
    with pytest.raises(ValueError, match="values"):
        ensemble.mean_se([])
    with pytest.raises(ValueError, match="distances"):
        ensemble.recall_accuracy(ens, [-1])


def test_tuned_seeds_picks_the_rate_with_the_lowest_validation_loss():
    cfg = small("gpt")

    def make(seeds):
        return ensemble.split_batches(data.recall_sampler(8 * len(seeds), 6, seed=seeds[0], device="cpu"),
                                      len(seeds))

    val = [data.recall_batch(32, 6, n_pairs=1, generator=torch.Generator().manual_seed(5))]
    result = ensemble.tuned_seeds(cfg, [0, 1, 2], make, lambda seeds: ensemble.shared_batches(val, len(seeds)),
                                  lrs=[1e-4, 1e-2], steps=30, data="recall D<=6", eval_batches=1, progress=False)
    assert result.lr == min(result.grid, key=result.grid.get) and set(result.grid) == {1e-4, 1e-2}
    assert result.ensemble.size == 3 and len(result.histories) == 3 and not result.from_cache
    again = ensemble.tuned_seeds(cfg, [0, 1, 2], make, lambda seeds: ensemble.shared_batches(val, len(seeds)),
                                 lrs=[1e-4, 1e-2], steps=30, data="recall D<=6", eval_batches=1, progress=False)
    assert again.from_cache and again.grid == result.grid and again.key == result.key and "+" in result.key
    ids = torch.randint(0, 26, (3, 2, 8))
    torch.testing.assert_close(again.ensemble(ids), result.ensemble(ids))
    x, _y = ensemble.shared_batches(val, 3)()
    assert x.shape == (3, 32, val[0][0].shape[1]) and torch.equal(x[2], val[0][0])
    with pytest.raises(ValueError, match="lrs"):
        ensemble.tuned_seeds(cfg, [0], make, make, lrs=[], steps=1, data="x")
    with pytest.raises(TypeError, match="batches"):
        ensemble.shared_batches([], 2)


def test_run_cached_with_a_given_model():
    cfg = small("gpt")
    body = ensemble.build(cfg, [0, 1])
    x = torch.randint(0, 26, (2, 16, 10))
    y = torch.randint(0, 3, (2, 16))

    def make(seeds):
        return lambda: (x, y)

    def classifier():
        return ensemble.EnsembleClassifier(ensemble.Ensemble([body.member(0), body.member(1)]), 3)

    first = ensemble.run_cached(cfg, [0, 1], make, steps=5, data="toy", make_model=classifier, model_key="body v1",
                                progress=False)
    second = ensemble.run_cached(cfg, [0, 1], make, steps=5, data="toy", make_model=classifier,
                                 model_key="body v1", progress=False)
    assert isinstance(second.ensemble, ensemble.EnsembleClassifier) and second.from_cache
    torch.testing.assert_close(first.ensemble(x), second.ensemble(x))
    with pytest.raises(ValueError, match="model_key"):
        ensemble.run_cached(cfg, [0, 1], make, steps=5, data="toy", make_model=classifier)
    with pytest.raises(ValueError, match="one member per seed"):
        ensemble.run_cached(cfg, [0, 1, 2], make, steps=5, data="toy", make_model=classifier, model_key="b")
