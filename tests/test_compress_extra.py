"""Comparison helpers, the rule-aware (MDL) code and the bits-per-character HTML of nbkit.compress."""

import numpy as np
import pytest
import torch

from nbkit.compress import (
    CLASSICAL,
    bits_html,
    classical_all,
    classical_bits,
    classical_sizes,
    code_length_bits,
    compress,
    compression_table,
    entropy_bits,
    fit_progression,
    model_overhead_bits,
    model_size_bytes,
    per_symbol_bits,
    raw_sizes,
    rule_code,
    rule_decode,
    snippet_rates,
    snippet_starts,
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
    assert [r["name"] for r in rows] == list(CLASSICAL.values()) + ["tiny"]
    model_row = rows[-1]
    assert model_row["kind"] == "model" and model_row["bytes"] == len(compress(tiny_gpt, TEXT))
    assert model_row["model_bytes"] == model_size_bytes(tiny_gpt)
    for r in rows:
        assert r["ratio"] == pytest.approx(len(TEXT) / r["bytes"])
        assert r["bits_per_char"] == pytest.approx(8 * r["bytes"] / len(TEXT))
        assert r["bits_per_char_with_model"] >= r["bits_per_char"]
    assert rows[0]["bits_per_char"] < 2  # the text repeats: gzip finds it
    assert len(compression_table(TEXT)) == len(CLASSICAL)
    with pytest.raises(ValueError, match="empty"):
        compression_table(b"")
    with pytest.raises(TypeError, match="models must be a dict"):
        compression_table(TEXT, [tiny_gpt])
    with pytest.raises(TypeError, match=r"models\['x'\]"):
        compression_table(TEXT, {"x": 3})


def test_raw_streams_are_the_formats_without_their_headers():
    import lzma
    import zlib

    formats, raw = classical_sizes(TEXT), raw_sizes(TEXT)
    assert formats["gzip"] - raw["deflate"] == 18  # gzip: 10 bytes of header, 8 of trailer
    assert 40 <= formats["lzma"] - raw["lzma2"] <= 80  # xz: container, index and check
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    stream = deflate.compress(TEXT) + deflate.flush()
    assert zlib.decompress(stream, -15) == TEXT and len(stream) == raw["deflate"]
    packed = lzma.compress(TEXT, format=lzma.FORMAT_RAW, filters=filters)
    assert lzma.decompress(packed, format=lzma.FORMAT_RAW, filters=filters) == TEXT
    bits = classical_bits(TEXT)
    assert set(bits) == set(CLASSICAL.values()) == set(classical_all(TEXT))
    assert bits["deflate (raw)"] < bits["gzip -9"]
    with pytest.raises(TypeError, match="bytes"):
        raw_sizes("text")
    with pytest.raises(ValueError, match="empty"):
        classical_bits(b"")


def test_snippet_starts():
    starts = snippet_starts(10_000, 1024, 5)
    assert starts.tolist() == [0, 2240, 4480, 6720, 8960] and np.all(starts % 64 == 0)
    assert snippet_starts(2048, 1024, 2).tolist() == [0, 1024]  # they may touch, never overlap
    assert snippet_starts(5000, 1024, 1).tolist() == [0]
    with pytest.raises(ValueError, match="do not fit"):
        snippet_starts(2000, 1024, 2)
    with pytest.raises(ValueError, match="multiple"):
        snippet_starts(2000, 1000, 1)
    with pytest.raises(ValueError, match="n must"):
        snippet_starts(2000, 1024, 0)


def test_snippet_rates_match_coding_each_snippet_alone(tiny_gpt):
    text = (TEXT * 3)[:2048]
    bits = per_symbol_bits(tiny_gpt, text)  # tiny_gpt's window is 32: snippets aligned to 64 line up too
    rates = snippet_rates(text, 640, 3, {"tiny": bits})
    assert set(rates) == set(CLASSICAL.values()) | {"tiny"} and all(v.shape == (3,) for v in rates.values())
    for i, start in enumerate(snippet_starts(len(text), 640, 3)):
        alone = code_length_bits(tiny_gpt, text[start:start + 640]) + model_overhead_bits(640)
        assert rates["tiny"][i] == pytest.approx(alone / 640)
        assert rates["gzip -9"][i] == pytest.approx(8 * classical_sizes(text[start:start + 640])["gzip"] / 640)
        real = 8 * len(compress(tiny_gpt, text[start:start + 640])) / 640
        assert real <= rates["tiny"][i] * 1.01  # the overhead bound covers what the real coder writes
    with pytest.raises(ValueError, match="one value per byte"):
        snippet_rates(text, 640, 3, {"tiny": bits[:-1]})
    with pytest.raises(TypeError, match="model_bits"):
        snippet_rates(text, 640, 3, [bits])


def test_model_overhead_bits():
    assert model_overhead_bits(1) == 8 + 10 and model_overhead_bits(100) == 16 + 10
    with pytest.raises(ValueError, match="n_bytes"):
        model_overhead_bits(0)


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
