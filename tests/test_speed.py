"""Timing helpers robust to load, greedy decoding with and without a KV cache, KV-cache memory."""

import time

import pytest
import torch

from nbkit import models, speed


@pytest.fixture(scope="module")
def gpt():
    torch.manual_seed(0)
    return models.build_model(kind="gpt", d_model=32, n_layers=2, n_heads=4, context=64).eval()


def test_interleaved_timings_take_the_minimum_and_rotate():
    order = []
    slow_first = iter([0.02] + [0.0] * 20)  # one slow spell must not decide the result

    def a():
        order.append("a")
        time.sleep(next(slow_first))

    def b():
        order.append("b")
        return 0.5  # self-timed: its own number is used

    result = speed.interleaved_timings({"a": a, "b": lambda: order.append("b")}, repeats=3, warmup=1)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]  # rotated every round
    assert result["a"].best < 0.01 and len(result["a"].times) == 3
    own = speed.interleaved_timings({"b": b, (1, True): lambda: 0.25}, repeats=3, self_timed=True)
    assert own["b"] == speed.Timing(0.5, 0.5, (0.5, 0.5, 0.5)) and own[(1, True)].best == 0.25


@pytest.mark.parametrize("call, error, message", [
    (lambda: speed.interleaved_timings({}), ValueError, "non-empty dict"),
    (lambda: speed.interleaved_timings({"x": 3}), TypeError, r"candidates\['x'\] must be callable"),
    (lambda: speed.interleaved_timings({"x": lambda: None}, repeats=0), ValueError, "repeats must be an int >= 1"),
    (lambda: speed.interleaved_timings({"x": lambda: None}, warmup=-1), ValueError, "warmup must be an int >= 0"),
    (lambda: speed.interleaved_timings({"x": lambda: -1.0}, self_timed=True), ValueError, "return its seconds"),
    (lambda: speed.interleaved_timings({"x": lambda: None}, self_timed=True), ValueError, "return its seconds"),
    (lambda: speed.interleaved_timings({"x": lambda: None}, self_timed=1), TypeError, "self_timed must be"),
    (lambda: speed.tokens_per_second(10, 0), ValueError, "seconds must be a duration > 0"),
    (lambda: speed.tokens_per_second(0, 1.0), ValueError, "n_tokens must be an int >= 1"),
    (lambda: speed.kv_cache_bytes(2, 4, 8, 0), ValueError, "tokens must be an int >= 1"),
    (lambda: speed.cache_nbytes(object()), TypeError, "past must be a KVCache"),
])
def test_speed_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_greedy_decode_same_tokens_with_and_without_cache(gpt):
    prompt = torch.randint(0, 256, (1, 20), generator=torch.Generator().manual_seed(2))
    with_cache, seconds = speed.greedy_decode(gpt, prompt, 12, cache=True)
    without, _ = speed.greedy_decode(gpt, prompt, 12, cache=False)
    assert with_cache.shape == (12,) and seconds > 0
    assert torch.equal(with_cache, without)
    assert speed.tokens_per_second(11, seconds) > 0
    with pytest.raises(ValueError, match="exceeds the model's context of 64"):
        speed.greedy_decode(gpt, prompt, 60)
    with pytest.raises(ValueError, match=r"shape \(1, P\)"):
        speed.greedy_decode(gpt, prompt[0], 4)
    with pytest.raises(ValueError, match="n_new must be an int >= 2"):
        speed.greedy_decode(gpt, prompt, 1)


def test_release_memory_returns_resident_mib():
    big = torch.ones(50_000_000, dtype=torch.uint8)  # 50 MB
    assert speed.release_memory() > 40
    del big
    assert 0 < speed.release_memory() < 1e6


def test_machine_names_the_hardware():
    assert speed.machine().startswith(("CPU", "GPU"))


def test_cache_bytes_measured_equal_formula(gpt):
    cfg = gpt.cfg
    past = speed.filled_cache(gpt, 40)
    per_head = cfg.d_model // cfg.n_heads
    assert speed.cache_nbytes(past) == speed.kv_cache_bytes(cfg.n_layers, cfg.n_heads, per_head, 40)
    assert speed.kv_cache_bytes(1, 1, 1, 1) == 8
    assert speed.kv_cache_bytes(126, 8, 128, 131072, bytes_per_value=2) == 2 * 126 * 8 * 128 * 131072 * 2


def test_transformers_model_decodes_with_its_cache():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    llama = LlamaForCausalLM(cfg).eval()
    prompt = torch.randint(0, 64, (1, 10), generator=torch.Generator().manual_seed(1))
    assert torch.equal(speed.greedy_decode(llama, prompt, 6)[0], speed.greedy_decode(llama, prompt, 6, cache=False)[0])
    past = speed.filled_cache(llama, 12)
    assert speed.cache_nbytes(past) == speed.kv_cache_bytes(2, 2, 8, 12)
