"""int8 quantization helpers: sizes, agreement, held-out loss, outliers; bad input named."""

import numpy as np
import pytest
import torch
from torch import nn

from nbkit import models, quantize


@pytest.fixture(scope="module")
def gpt():
    torch.manual_seed(0)
    return models.build_model(kind="gpt", d_model=64, n_layers=2, n_heads=4, context=32).eval()


def test_dynamic_int8_is_smaller_and_close(gpt):
    q = quantize.dynamic_int8(gpt)
    assert isinstance(gpt.blocks[0].attn.qkv, nn.Linear)  # the original is untouched
    assert not isinstance(q.blocks[0].attn.qkv, nn.Linear)
    assert quantize.state_bytes(q) < 0.6 * quantize.state_bytes(gpt)
    ids = torch.randint(0, 256, (2, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (gpt(ids).log_softmax(-1) - q(ids).log_softmax(-1)).abs().max()
    assert diff < 0.5


def test_weight_only_int8_stores_int8_and_computes_in_float(gpt):
    before = {k: v.clone() for k, v in gpt.state_dict().items()}
    w8 = quantize.weight_only_int8(gpt)
    layer = w8.blocks[0].mlp[0]
    assert isinstance(layer, quantize.Int8WeightLinear) and layer.weight_int8.dtype == torch.int8
    assert layer.weight_int8.abs().max() <= 127 and layer.scale.shape == (gpt.blocks[0].mlp[0].out_features,)
    assert all(torch.equal(v, gpt.state_dict()[k]) for k, v in before.items())  # the original is untouched
    assert quantize.state_bytes(w8) < 0.6 * quantize.state_bytes(gpt)
    x = torch.randn(3, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        exact, approx = gpt.blocks[0].mlp[0](x), layer(x)
        rounded = gpt.blocks[0].mlp[0].weight / layer.scale[:, None]
    assert torch.allclose(rounded.round().clamp(-127, 127), layer.weight_int8.float())
    assert (exact - approx).abs().max() < 0.05 * exact.abs().max()
    ids = torch.randint(0, 256, (2, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert (gpt(ids).log_softmax(-1) - w8(ids).log_softmax(-1)).abs().max() < 0.2


def test_input_outliers_see_a_planted_outlier(gpt):
    ids = torch.randint(0, 256, (1, 16), generator=torch.Generator().manual_seed(3))
    base = quantize.input_outliers(gpt, lambda: gpt(ids))
    assert set(base) >= {"qkv", "proj", "0", "2", "head"} and all(v >= 1 for v in base.values())
    spiky = nn.Sequential(nn.Linear(8, 8))
    x = torch.ones(1, 8)
    x[0, 3] = 1000.0
    assert quantize.input_outliers(spiky, lambda: spiky(x))["0"] > 2.5


def test_sizes_and_cosines(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"y" * 50)
    assert quantize.file_bytes(tmp_path / "a.bin") == 100 and quantize.file_bytes(tmp_path) == 150
    a = np.array([[1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(quantize.row_cosines(a, np.array([[2.0, 0.0], [1.0, -1.0]])), [1.0, 0.0], atol=1e-12)


def test_lm_bits_per_token_matches_cross_entropy():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1,
                                         max_position_embeddings=32)).eval()
    ids = torch.randint(0, 32, (20,), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = llama(input_ids=ids[None, :10]).logits[0, :-1]
        logits2 = llama(input_ids=ids[None, 10:]).logits[0, :-1]
    expected = (nn.functional.cross_entropy(torch.cat([logits, logits2]), torch.cat([ids[1:10], ids[11:]]))
                / np.log(2))
    assert quantize.lm_bits_per_token(llama, ids, window=10) == pytest.approx(float(expected), rel=1e-5)
    q = quantize.dynamic_int8(llama)
    assert abs(quantize.lm_bits_per_token(q, ids.tolist(), window=10) - float(expected)) < 0.5


@pytest.mark.parametrize("call, error, message", [
    (lambda: quantize.dynamic_int8("model"), TypeError, "model must be a torch.nn.Module"),
    (lambda: quantize.weight_only_int8([1, 2]), TypeError, "model must be a torch.nn.Module"),
    (lambda: quantize.state_bytes(3), TypeError, "model must be a torch.nn.Module"),
    (lambda: quantize.input_outliers(nn.Linear(2, 2), None), TypeError, "run must be a callable"),
    (lambda: quantize.file_bytes("/nonexistent/x"), FileNotFoundError, "no file or folder"),
    (lambda: quantize.file_bytes(3), TypeError, "path must be a path"),
    (lambda: quantize.row_cosines(np.ones((2, 3)), np.ones((3, 3))), ValueError, "same shape"),
    (lambda: quantize.row_cosines(np.zeros((1, 3)), np.ones((1, 3))), ValueError, "non-zero rows"),
    (lambda: quantize.lm_bits_per_token(nn.Linear(2, 2), [1, 2, 3], window=1), ValueError, "window must be an int >= 2"),
    (lambda: quantize.lm_bits_per_token(nn.Linear(2, 2), [1, 2, 3], window=8), ValueError, "at least window = 8"),
])
def test_quantize_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
