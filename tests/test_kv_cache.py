"""The GPT's incremental KV cache: same logits as the full forward, used by generate and the coder."""

import pytest
import torch

from nbkit import compress, models

TEXT = b"The KV cache keeps the keys and values of earlier tokens, so each new one is read once. " * 4


@pytest.fixture(scope="module", params=[True, False], ids=["positions", "no-positions"])
def gpt(request):
    torch.manual_seed(0)
    cfg = models.ModelConfig(kind="gpt", d_model=32, n_layers=3, n_heads=4, context=24, positions=request.param)
    return models.build_model(cfg).eval()


@torch.no_grad()
@pytest.mark.parametrize("pieces", [[24], [1] * 24, [5, 1, 7, 3, 8], [10, 14]], ids=["prefill", "one-by-one",
                                                                                    "uneven", "two-halves"])
def test_cached_logits_equal_full_forward(gpt, pieces):
    ids = torch.randint(0, 256, (3, sum(pieces)), generator=torch.Generator().manual_seed(1))
    full = gpt(ids)
    cache = gpt.new_cache()
    parts, start = [], 0
    for size in pieces:
        parts.append(gpt(ids[:, start:start + size], cache=cache))
        start += size
    assert cache.length == ids.shape[1]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_cache_size_and_attention_map(gpt):
    cfg = gpt.cfg
    cache = gpt.new_cache()
    assert cache.length == 0 and cache.nbytes() == 0
    gpt.blocks[0].attn.keep_attention = True
    try:
        gpt(torch.zeros(2, 10, dtype=torch.long), cache=cache)
        gpt(torch.ones(2, 1, dtype=torch.long), cache=cache)
        last_row = gpt.blocks[0].attn.attention  # (batch, heads, 1, 11): the new token over all 11 keys
        assert last_row.shape == (2, cfg.n_heads, 1, 11)
        torch.testing.assert_close(last_row.sum(-1), torch.ones(2, cfg.n_heads, 1))
    finally:
        gpt.blocks[0].attn.keep_attention = False
    # keys and values: 2 tensors x layers x batch x tokens x d_model floats of 4 bytes
    assert cache.length == 11
    assert cache.nbytes() == 2 * cfg.n_layers * 2 * 11 * cfg.d_model * 4


@torch.no_grad()
def test_cache_bad_input():
    gpt = models.build_model(kind="gpt", d_model=16, n_layers=1, n_heads=2, context=8).eval()
    cache = gpt.new_cache()
    gpt(torch.zeros(1, 6, dtype=torch.long), cache=cache)
    with pytest.raises(ValueError, match=r"sequence length 9 exceeds the model's context of 8 \(6 cached \+ 3 new\)"):
        gpt(torch.zeros(1, 3, dtype=torch.long), cache=cache)
    with pytest.raises(TypeError, match="cache must be a KVCache"):
        gpt(torch.zeros(1, 3, dtype=torch.long), cache=[])
    with pytest.raises(ValueError, match="n_layers must be a positive int"):
        models.KVCache(0)


def test_generate_with_and_without_cache():
    torch.manual_seed(3)
    gpt = models.build_model(kind="gpt", d_model=32, n_layers=2, n_heads=4, context=32)
    # within the window both read exactly the same bytes, so they sample the same text
    assert models.generate(gpt, "hello", n_new=20, seed=4) == models.generate(gpt, "hello", n_new=20, seed=4,
                                                                              cache=False)
    # past the window the cache restarts from the recent half; the text still has the right length
    long = models.generate(gpt, "x" * 40, n_new=50, seed=4)
    assert len(long.encode("utf-8", errors="surrogateescape")) >= 40 and long.startswith("x" * 40)
    lstm = models.build_model(kind="lstm", d_model=16, context=16)
    assert models.generate(lstm, "ab", n_new=5, seed=1) == models.generate(lstm, "ab", n_new=5, seed=1, cache=False)
    with pytest.raises(TypeError, match="cache must be True or False"):
        models.generate(gpt, "a", n_new=2, cache="yes")


@pytest.mark.parametrize("data", [TEXT, TEXT[:30], b"z", bytes(range(256))])
@pytest.mark.parametrize("kv_cache", [True, False])
def test_coder_round_trip_with_cache(gpt, data, kv_cache):
    blob = compress.compress(gpt, data, kv_cache=kv_cache)
    assert compress._read_varint(blob)[0] % 2 == int(kv_cache)  # the header says how it was coded
    assert compress.decompress(gpt, blob) == data


def test_coder_cache_needs_a_cached_model(gpt):
    blob = compress.compress(gpt, TEXT[:50])
    plain = torch.nn.Sequential(torch.nn.Embedding(256, 256))
    plain.context_length = gpt.context_length
    with pytest.raises(ValueError, match="coded with a KV cache"):
        compress.decompress(plain, blob)
    with pytest.raises(TypeError, match="kv_cache must be True or False"):
        compress.compress(gpt, TEXT, kv_cache=1)
