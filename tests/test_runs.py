"""Cached runs: a finished run comes back identical without training; keys change with what matters."""

import numpy as np
import pytest
import torch

from nbkit import runs
from nbkit.models import ModelConfig

CFG = ModelConfig(d_model=8, n_layers=1, n_heads=2, context=16)


@pytest.fixture
def ids():
    rng = np.random.default_rng(0)
    text = rng.integers(97, 101, size=3000).astype(np.uint8)
    return text[:2500], text[2500:]


def _no_training(*args, **kwargs):
    raise AssertionError("a cached run must not train again")


def test_cache_hit_is_identical_and_does_not_train(ids, monkeypatch):
    train_ids, val_ids = ids
    first = runs.run_cached(CFG, train_ids, val_ids, steps=6, seed=1, label="tiny", tag="unit", progress=False)
    assert not first.from_cache and runs.has_run(first.key)
    assert first.history.step[-1] == 6 and np.isfinite(first.final_loss)
    assert len(first.loss_by_position) == CFG.context
    monkeypatch.setattr(runs, "train", _no_training)
    again = runs.run_cached(CFG, train_ids, val_ids, steps=6, seed=1, label="tiny", tag="unit", progress=False)
    assert again.from_cache and again.key == first.key
    assert again.final_loss == first.final_loss
    assert again.history == first.history
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor.cpu(), again.model.state_dict()[name].cpu())
    x = torch.from_numpy(val_ids[:16].astype(np.int64))[None]
    assert torch.allclose(first.model(x), again.model(x))


def test_keys_change_with_what_matters(ids):
    train_ids, val_ids = ids
    base = runs.run_key(CFG, train_ids, val_ids, steps=6, seed=0)
    assert base == runs.run_key(CFG, train_ids, val_ids, steps=6, seed=0)
    assert len(base) == 20
    assert base != runs.run_key(CFG, train_ids, val_ids, steps=6, seed=1)
    assert base != runs.run_key(CFG, train_ids, val_ids, steps=7, seed=0)
    assert base != runs.run_key(CFG, train_ids, val_ids, steps=6, seed=0, lr=1e-3)
    assert base != runs.run_key(ModelConfig(d_model=8, n_layers=2, n_heads=2, context=16), train_ids, val_ids, steps=6)
    assert base != runs.run_key(CFG, train_ids[1:], val_ids, steps=6, seed=0)


def test_key_changes_with_profile(ids, monkeypatch):
    train_ids, val_ids = ids
    smoke = runs.run_key(CFG, train_ids, val_ids, steps=6)
    monkeypatch.setenv("NBKIT_SCALE", "default")
    assert runs.run_key(CFG, train_ids, val_ids, steps=6) != smoke


def test_different_seed_trains_a_different_model(ids):
    train_ids, val_ids = ids
    a = runs.run_cached(CFG, train_ids, val_ids, steps=4, seed=0, progress=False)
    b = runs.run_cached(CFG, train_ids, val_ids, steps=4, seed=1, progress=False)
    assert a.key != b.key and not b.from_cache
    assert not torch.equal(a.model.tok.weight, b.model.tok.weight)


def test_list_and_load_runs(ids):
    train_ids, val_ids = ids
    run = runs.run_cached(CFG, train_ids, val_ids, steps=4, tag="found-me", label="tiny", progress=False)
    runs.run_cached(CFG, train_ids, val_ids, steps=5, tag="other", progress=False)
    found = runs.list_runs(tag="found-me")
    assert [m["key"] for m in found] == [run.key]
    meta = found[0]
    assert meta["label"] == "tiny" and meta["n_params"] == run.n_params and meta["tokens"] == 4 * 32 * 16
    assert len(runs.list_runs()) == 2 and runs.list_runs(label="tiny")[0]["key"] == run.key
    loaded = runs.load_run(meta["key"])
    assert loaded.from_cache and loaded.config == CFG and loaded.final_loss == run.final_loss
    assert loaded.flops == 6 * run.n_params * run.tokens
    assert loaded.loss_after(3) == pytest.approx(np.mean(run.loss_by_position[3:]))
    assert "tiny" in repr(loaded)


def test_sweep_one_bar_and_reuse(ids, monkeypatch):
    train_ids, val_ids = ids
    other = ModelConfig(d_model=12, n_layers=1, n_heads=2, context=16)
    first = runs.run_cached(CFG, train_ids, val_ids, steps=5, progress=False)
    results = runs.sweep([CFG, other], train_ids, val_ids, steps=5, labels=["a", "b"], progress=False)
    assert results[0].from_cache and results[0].key == first.key and not results[1].from_cache
    assert results[1].label == "b" and results[1].n_params > results[0].n_params
    monkeypatch.setattr(runs, "train", _no_training)
    again = runs.sweep([CFG, other], train_ids, val_ids, steps=[5, 5], progress=False)
    assert all(r.from_cache for r in again)
    assert [r.final_loss for r in again] == [r.final_loss for r in results]


def test_default_lr():
    assert runs.default_lr(32) == pytest.approx(1e-2)
    assert runs.default_lr(128) == pytest.approx(5e-3)
    with pytest.raises(ValueError, match="d_model"):
        runs.default_lr(0)


def test_bad_input(ids):
    train_ids, val_ids = ids
    with pytest.raises(TypeError, match="cfg"):
        runs.run_cached({"d_model": 8}, train_ids, val_ids, steps=3)
    with pytest.raises(ValueError, match="steps"):
        runs.run_cached(CFG, train_ids, val_ids, steps=0)
    with pytest.raises(ValueError, match="seed"):
        runs.run_key(CFG, train_ids, val_ids, steps=3, seed=-1)
    with pytest.raises(ValueError, match="lr"):
        runs.run_key(CFG, train_ids, val_ids, steps=3, lr=-1.0)
    with pytest.raises(ValueError, match="train_ids"):
        runs.run_key(CFG, train_ids.reshape(50, -1), val_ids, steps=3)
    with pytest.raises(TypeError, match="train_ids"):
        runs.run_key(CFG, list(train_ids), val_ids, steps=3)
    with pytest.raises(TypeError, match="integer"):
        runs.run_key(CFG, train_ids.astype(float), val_ids, steps=3)
    with pytest.raises(ValueError, match="val_ids"):
        runs.run_key(CFG, train_ids, val_ids[:10], steps=3)
    with pytest.raises(ValueError, match="vocab"):
        runs.run_key(ModelConfig(vocab=50, d_model=8, n_heads=2, context=16), train_ids, val_ids, steps=3)
    with pytest.raises(ValueError, match="key"):
        runs.load_run("not-a-key")
    with pytest.raises(FileNotFoundError, match="list_runs"):
        runs.load_run("0" * 20)
    with pytest.raises(TypeError, match="configs"):
        runs.sweep([], train_ids, val_ids, steps=3)
    with pytest.raises(ValueError, match="steps"):
        runs.sweep([CFG, CFG], train_ids, val_ids, steps=[3, 4, 5])
    with pytest.raises(ValueError, match="labels"):
        runs.sweep([CFG], train_ids, val_ids, steps=3, labels=["a", "b"])
    with pytest.raises(TypeError, match="tag"):
        runs.list_runs(tag=3)


def test_key_changes_with_the_code(ids, monkeypatch):
    train_ids, val_ids = ids
    before = runs.run_key(CFG, train_ids, val_ids, steps=6)
    assert len(runs.code_version()) == 12
    monkeypatch.setattr(runs, "_CODE_HASH", "0" * 12)
    assert runs.run_key(CFG, train_ids, val_ids, steps=6) != before


def test_run_seeds_batched_equals_training_each_seed_alone(ids):
    train_ids, val_ids = ids
    together = runs.run_seeds(CFG, train_ids, val_ids, seeds=[3, 4], steps=6, batch_size=4, progress=False)
    assert [r.recipe["seed"] for r in together] == [3, 4] and together[0].key == together[1].key
    alone = runs.run_cached(CFG, train_ids, val_ids, steps=6, batch_size=4, seed=4, progress=False)
    assert together[1].final_loss == pytest.approx(alone.final_loss, abs=2e-4)  # same model, to float rounding
    assert len(together[0].loss_by_position) == CFG.context and together[0].tokens == 6 * 4 * 16
    again = runs.run_seeds(CFG, train_ids, val_ids, seeds=[3, 4], steps=6, batch_size=4, progress=False)
    assert all(r.from_cache for r in again) and again[0].final_loss == together[0].final_loss
    with pytest.raises(ValueError, match="seeds"):
        runs.run_seeds(CFG, train_ids, val_ids, seeds=[], steps=6)
    with pytest.raises(ValueError, match="steps"):
        runs.run_seeds(CFG, train_ids, val_ids, seeds=[0], steps=0)


def test_seed_stats():
    mean, sd, se = runs.seed_stats([1.0, 2.0, 3.0])
    assert (mean, sd) == (2.0, 1.0) and se == pytest.approx(1 / np.sqrt(3))
    assert np.isnan(runs.seed_stats([4.0])[2])  # one seed: the spread is unknown, not zero
    with pytest.raises(ValueError, match="one per seed"):
        runs.seed_stats([])
    with pytest.raises(ValueError, match="one per seed"):
        runs.seed_stats([1.0, float("nan")])
