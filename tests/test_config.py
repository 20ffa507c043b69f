import time

import numpy as np
import pytest
import torch

from nbkit import config


def test_scale_default_and_env(monkeypatch):
    monkeypatch.delenv("NBKIT_SCALE")
    assert config.scale() == "default"
    monkeypatch.setenv("NBKIT_SCALE", "SMOKE")
    assert config.scale() == "smoke"


def test_bad_scale_lists_valid_ones(monkeypatch):
    monkeypatch.setenv("NBKIT_SCALE", "huge")
    with pytest.raises(ValueError, match="smoke, default, full"):
        config.scale()
    with pytest.raises(ValueError, match="huge"):
        config.set_scale("huge")


def test_auto_scale_without_gpu(monkeypatch):
    monkeypatch.setenv("NBKIT_SCALE", "auto")
    assert config.scale() == ("full" if torch.cuda.is_available() else "default")


def test_pick_follows_profile(monkeypatch):
    assert config.pick(1, 2, 3) == 1
    config.set_scale("full")
    assert config.pick(1, 2, 3) == 3


def test_device_is_cpu_or_cuda(monkeypatch):
    assert config.device().type in ("cpu", "cuda")
    monkeypatch.setenv("NBKIT_DEVICE", "cpu")
    assert config.device().type == "cpu"
    monkeypatch.setenv("NBKIT_DEVICE", "tpu")
    with pytest.raises(ValueError, match="NBKIT_DEVICE"):
        config.device()


def test_seed_everything_reproducible():
    config.seed_everything(3)
    a = (torch.rand(3), np.random.rand(3))
    config.seed_everything(3)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert config.rng(5).random() == config.rng(5).random()


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_rejects_bad(bad):
    with pytest.raises(ValueError, match="seed"):
        config.seed_everything(bad)
    with pytest.raises(ValueError, match="seed"):
        config.rng(bad)


def test_cache_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_CACHE", str(tmp_path / "x"))
    assert config.cache_dir() == tmp_path / "x" and (tmp_path / "x").is_dir()
    monkeypatch.delenv("NBKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.cache_dir() == tmp_path / "xdg" / "nbkit"


def test_is_online_is_fast_and_respects_hf_offline(monkeypatch):
    start = time.perf_counter()
    assert config.is_online(timeout=0.5) in (True, False)
    assert time.perf_counter() - start < 1.5
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert config.is_online() is False
    with pytest.raises(ValueError, match="timeout"):
        config.is_online(timeout=0)


def test_set_threads(monkeypatch):
    monkeypatch.setenv("NBKIT_THREADS", "1")
    assert config.set_threads() == 1 == torch.get_num_threads()
    monkeypatch.setenv("NBKIT_THREADS", "zero")
    with pytest.raises(ValueError, match="NBKIT_THREADS"):
        config.set_threads()
    monkeypatch.delenv("NBKIT_THREADS")
    assert config.set_threads() >= 1
