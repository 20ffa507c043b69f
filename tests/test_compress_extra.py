"""Comparison helpers, the rule-aware (MDL) code and the bits-per-character HTML of nbkit.compress."""

import numpy as np
import pytest
import torch

from nbkit.compress import (
    bits_html,
    compress,
    compression_table,
    entropy_bits,
    fit_progression,
    model_size_bytes,
    per_symbol_bits,
    rate_by_length,
    rule_code,
    rule_decode,
)
from nbkit.models import build_model, count_parameters

TEXT = ("Compression is prediction: a byte the model expects costs few bits, a surprise costs many. " * 12).encode()


@pytest.fixture(scope="module")
def tiny_gpt():
    torch.manual_seed(0)
    return build_model(kind="gpt", d_model=16, n_layers=1, n_heads=2, context=32).eval()


def test_model_size_bytes(tiny_gpt):
    assert model_size_bytes(tiny_gpt) == 2 * count_parameters(tiny_gpt)  # tied head counted once
    assert model_size_bytes(tiny_gpt, bytes_per_parameter=4) == 4 * count_parameters(tiny_gpt)
    with pytest.raises(ValueError, match="bytes_per_parameter"):
        model_size_bytes(tiny_gpt, 0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        model_size_bytes("gpt")


def test_compression_table(tiny_gpt):
    rows = compression_table(TEXT, {"tiny": tiny_gpt})
    assert [r["name"] for r in rows] == ["gzip -9", "bz2 -9", "xz -9e", "tiny"]
    model_row = rows[-1]
    assert model_row["kind"] == "model" and model_row["bytes"] == len(compress(tiny_gpt, TEXT))
    assert model_row["model_bytes"] == model_size_bytes(tiny_gpt)
    for r in rows:
        assert r["ratio"] == pytest.approx(len(TEXT) / r["bytes"])
        assert r["bits_per_char"] == pytest.approx(8 * r["bytes"] / len(TEXT))
        assert r["bits_per_char_with_model"] >= r["bits_per_char"]
    assert rows[0]["bits_per_char"] < 2  # the text repeats: gzip finds it
    assert len(compression_table(TEXT)) == 3
    with pytest.raises(ValueError, match="empty"):
        compression_table(b"")
    with pytest.raises(TypeError, match="models must be a dict"):
        compression_table(TEXT, [tiny_gpt])
    with pytest.raises(TypeError, match=r"models\['x'\]"):
        compression_table(TEXT, {"x": 3})


def test_rate_by_length(tiny_gpt):
    rates = rate_by_length(TEXT, [100, 1000], {"tiny": tiny_gpt})
    assert set(rates) == {"gzip -9", "bz2 -9", "xz -9e", "tiny"}
    assert all(len(v) == 2 for v in rates.values())
    assert rates["gzip -9"][1] < rates["gzip -9"][0]  # repetition pays off with length
    assert rates["tiny"][0] == pytest.approx(8 * len(compress(tiny_gpt, TEXT[:100])) / 100)
    with pytest.raises(ValueError, match="lengths"):
        rate_by_length(TEXT, [0])
    with pytest.raises(ValueError, match="lengths"):
        rate_by_length(TEXT, [len(TEXT) + 1])


@pytest.mark.parametrize("start, step, count", [(7, 3, 10_000), (-5, -2, 300), (10**12, 0, 50), (4, 1, 1)])
def test_rule_code_clean_progression(start, step, count):
    seq = [start + step * i for i in range(count)]
    blob = rule_code(seq)
    assert rule_decode(blob) == seq
    assert len(blob) <= 12  # count, start, step and an empty residual: a few bytes whatever the length
    assert fit_progression(seq) == (start, step if count > 1 else 0)


def test_rule_code_noisy_pays_the_noise_entropy():
    rng = np.random.default_rng(0)
    noise = rng.integers(-2, 3, 5000)
    seq = [7 + 3 * i + int(e) for i, e in enumerate(noise)]
    blob = rule_code(seq)
    assert rule_decode(blob) == seq
    ideal = len(seq) * entropy_bits(noise) / 8
    assert ideal <= len(blob) <= ideal * 1.02 + 20
    assert fit_progression(seq) == (7, 3)


def test_rule_code_numpy_and_numbers_off_the_rule():
    seq = np.array([1, 5, 9, 13, 100, 21], dtype=np.int32)  # one outlier: a wide but cheap residual table
    assert rule_decode(rule_code(seq)) == seq.tolist()


def test_rule_code_bad_input():
    with pytest.raises(TypeError, match="parse text first"):
        rule_code("1, 2, 3")
    with pytest.raises(TypeError, match="integers"):
        rule_code([1.5, 2.5])
    with pytest.raises(ValueError, match="non-empty"):
        rule_code([])
    with pytest.raises(ValueError, match="strays too far"):
        rule_code(np.random.default_rng(0).integers(0, 10**6, 100))
    with pytest.raises(TypeError, match="blob must be bytes"):
        rule_decode([1, 2])


def test_entropy_bits():
    assert entropy_bits([1, 1, 1]) == 0.0
    assert entropy_bits([0, 1, 2, 3]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="non-empty"):
        entropy_bits([])


def test_bits_html(tiny_gpt):
    text = "a<b & é\nz"
    bits = per_symbol_bits(tiny_gpt, text.encode())
    page = bits_html(text, bits)
    assert page.count("<span") == len(text)  # one span per character, é's two bytes share one
    assert "&lt;" in page and "&amp;" in page and "<b " not in page  # escaped, not interpreted
    assert "<br>" in page
    assert f"{bits.sum():.0f} bits" in page
    zero = bits_html("ab", np.zeros(2))
    assert "rgba(230,97,0,0.000)" in zero
    full = bits_html("ab", np.array([8.0, 20.0]))
    assert full.count("rgba(230,97,0,0.850)") == 2  # capped at max_bits
    with pytest.raises(ValueError, match="one value per UTF-8 byte"):
        bits_html("é", np.zeros(1))
    with pytest.raises(TypeError, match="text must be a str"):
        bits_html(b"ab", np.zeros(2))
    with pytest.raises(ValueError, match="max_bits"):
        bits_html("ab", np.zeros(2), max_bits=0)
    with pytest.raises(ValueError, match="finite"):
        bits_html("ab", np.array([1.0, np.nan]))


def test_per_symbol_bits_in_batches_matches_pieces(tiny_gpt):
    ctx = tiny_gpt.context_length
    text = (TEXT * 5)[: 300 * ctx + 7]  # more chunks than one batch, and a partial last chunk
    whole = per_symbol_bits(tiny_gpt, text)
    cut = 150 * ctx  # chunks are coded independently, so aligned pieces give the same bits
    pieces = np.concatenate([per_symbol_bits(tiny_gpt, text[:cut]), per_symbol_bits(tiny_gpt, text[cut:])])
    assert whole.shape == (len(text),)
    np.testing.assert_allclose(whole, pieces, rtol=1e-5, atol=1e-6)
