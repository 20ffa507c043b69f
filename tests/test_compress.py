"""Arithmetic coding with a byte model round-trips exactly and gets close to the ideal code length."""

import numpy as np
import pytest
import torch
from torch import nn

from nbkit.compress import (
    ArithmeticDecoder,
    ArithmeticEncoder,
    bits_per_byte,
    classical_sizes,
    code_length_bits,
    compress,
    decompress,
    per_symbol_bits,
    probs_to_freqs,
)

CTX = 64
TRAIN_TEXT = b"the cat sat on the mat. the dog sat on the log. the cat saw the dog and the dog saw the cat. " * 40
UNSEEN = (
    "Arithmetic coding turns predictions into bits: a naïve café owner in 東京 writes “quotes” — and emoji 🙂 too.\n"
).encode() * 3
ALL_BYTES = bytes(range(256)) + bytes(range(255, -1, -1))


class ConvByteModel(nn.Module):
    """Embedding -> two causal 1-D convolutions -> next-byte logits ``(batch, time, 256)``."""

    def __init__(self, context_length: int = CTX, dim: int = 64, kernel: int = 4):
        super().__init__()
        self.context_length = context_length
        self.kernel = kernel
        self.embed = nn.Embedding(256, dim)
        self.conv1 = nn.Conv1d(dim, dim, kernel)
        self.conv2 = nn.Conv1d(dim, dim, kernel, dilation=kernel)
        self.head = nn.Linear(dim, 256)

    def forward(self, ids):
        x = self.embed(ids).transpose(1, 2)  # (batch, dim, time)
        x = torch.relu(self.conv1(nn.functional.pad(x, (self.kernel - 1, 0))))  # left padding only: causal
        x = x + torch.relu(self.conv2(nn.functional.pad(x, ((self.kernel - 1) * self.kernel, 0))))
        return self.head(x.transpose(1, 2))


class GRUByteModel(nn.Module):
    """Embedding -> GRU -> next-byte logits; a recurrent model, causal by construction."""

    def __init__(self, context_length: int = 16, hidden: int = 32):
        super().__init__()
        self.context_length = context_length
        self.embed = nn.Embedding(256, 16)
        self.rnn = nn.GRU(16, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 256)

    def forward(self, ids):
        return self.head(self.rnn(self.embed(ids))[0])


class CausalAttentionModel(nn.Module):
    """One masked self-attention layer: the shape of a transformer, to check the padding trick there too."""

    def __init__(self, context_length: int = 32, dim: int = 32):
        super().__init__()
        self.context_length = context_length
        self.embed = nn.Embedding(256, dim)
        self.pos = nn.Embedding(context_length, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.head = nn.Linear(dim, 256)

    def forward(self, ids):
        time_len = ids.shape[1]
        x = self.embed(ids) + self.pos(torch.arange(time_len))
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) / q.shape[-1] ** 0.5
        future = torch.ones(time_len, time_len, dtype=torch.bool).triu(1)
        return self.head(x + scores.masked_fill(future, float("-inf")).softmax(-1) @ v) * 3.0


@pytest.fixture(scope="module")
def trained():
    """A small causal CNN trained for 100 steps on repetitive English."""
    torch.manual_seed(0)
    model = ConvByteModel()
    data = torch.tensor(list(TRAIN_TEXT))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        starts = torch.randint(0, len(data) - CTX - 1, (16,))
        batch = torch.stack([data[s : s + CTX + 1] for s in starts])
        loss = nn.functional.cross_entropy(model(batch[:, :-1]).reshape(-1, 256), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


@pytest.fixture(scope="module", params=["attention", "gru"])
def untrained(request):
    """Randomly initialised models of other shapes, to check the padding trick holds for them too."""
    torch.manual_seed(1)
    return CausalAttentionModel() if request.param == "attention" else GRUByteModel()


@pytest.mark.parametrize(
    "data",
    [UNSEEN, ALL_BYTES, b"", b"x", bytes(CTX), b"a" * CTX, b"b" * (CTX + 1)],
    ids=["unseen-unicode", "all-bytes", "empty", "one-byte", "zeros", "one-chunk", "chunk+1"],
)
def test_round_trip(trained, data):
    blob = compress(trained, data)
    assert decompress(trained, blob) == data


@pytest.mark.parametrize("data", [UNSEEN[:150], ALL_BYTES[:100], b"q"])
def test_round_trip_other_models(untrained, data):
    assert decompress(untrained, compress(untrained, data)) == data


def test_bytearray_and_empty(trained):
    assert decompress(trained, compress(trained, bytearray(b"abc"))) == b"abc"
    assert len(compress(trained, b"")) == 1
    assert decompress(trained, bytearray(compress(trained, b""))) == b""


def test_model_mode_is_restored(trained):
    trained.train()
    compress(trained, b"hello")
    assert trained.training
    trained.eval()


@pytest.mark.parametrize("data", [UNSEEN, TRAIN_TEXT[:1000] + b"the cow sat on the mat.", ALL_BYTES])
def test_actual_size_is_close_to_ideal(trained, data):
    ideal_bytes = code_length_bits(trained, data) / 8
    actual = len(compress(trained, data))
    assert actual <= ideal_bytes * 1.01 + 16


def test_calibrated_model_lands_on_the_ideal():
    torch.manual_seed(2)
    model = GRUByteModel()  # untrained: never confidently wrong, so the 2**-16 floor costs nothing
    ideal_bytes = code_length_bits(model, UNSEEN) / 8
    assert abs(len(compress(model, UNSEEN)) - ideal_bytes) <= ideal_bytes * 0.01 + 16


def test_trained_model_compresses(trained):
    text = TRAIN_TEXT[: 20 * CTX]
    assert bits_per_byte(trained, text) < 4.0
    sizes = classical_sizes(text)
    assert set(sizes) == {"gzip", "bz2", "lzma"}
    assert all(0 < v < len(text) for v in sizes.values())
    assert len(compress(trained, text)) < len(text) / 2


def test_per_symbol_bits(trained):
    bits = per_symbol_bits(trained, UNSEEN)
    assert bits.shape == (len(UNSEEN),)
    assert np.all(bits > 0)
    assert bits[0] == 8.0 and bits[CTX] == 8.0  # chunk starts are coded uniformly
    assert bits.sum() == pytest.approx(code_length_bits(trained, UNSEEN))
    assert per_symbol_bits(trained, b"").shape == (0,)


def test_probs_to_freqs():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(256, 0.05), size=(3, 5))
    probs[0, 0] = np.eye(256)[7]  # a certain prediction still leaves room for every other byte
    freqs = probs_to_freqs(probs)
    assert freqs.dtype == np.int64 and freqs.shape == (3, 5, 256)
    assert np.all(freqs.sum(-1) == 2**16) and freqs.min() >= 1
    assert np.array_equal(freqs, probs_to_freqs(probs))
    np.testing.assert_allclose(freqs / 2**16, probs, atol=0.01)
    with pytest.raises(ValueError, match="last axis of 256"):
        probs_to_freqs(np.ones(255))
    with pytest.raises(ValueError, match="finite"):
        probs_to_freqs(np.full(256, np.nan))


def test_coder_alone_round_trips():
    rng = np.random.default_rng(0)
    freqs = probs_to_freqs(rng.dirichlet(np.full(256, 0.1), size=2000))
    cums = np.concatenate([np.zeros((2000, 1), dtype=np.int64), freqs.cumsum(-1)], axis=-1)
    symbols = [int(rng.choice(256, p=f / f.sum())) for f in freqs]
    enc = ArithmeticEncoder()
    for cum, s in zip(cums, symbols):
        enc.encode(cum, s)
    dec = ArithmeticDecoder(enc.finish())
    assert [dec.decode(cum) for cum in cums] == symbols


def test_bad_input(trained):
    with pytest.raises(TypeError, match="data must be bytes or bytearray, got str; encode text first"):
        compress(trained, "hello")
    with pytest.raises(TypeError, match="blob must be bytes"):
        decompress(trained, [1, 2, 3])
    with pytest.raises(ValueError, match="length header"):
        decompress(trained, b"")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        compress(lambda ids: ids, b"abc")
    with pytest.raises(ValueError, match="data is empty"):
        bits_per_byte(trained, b"")
    with pytest.raises(TypeError, match="text must be bytes"):
        per_symbol_bits(trained, "abc")


@pytest.mark.parametrize("ctx", [None, 0, -5, 3.0, True])
def test_model_without_context_length(ctx):
    model = ConvByteModel()
    if ctx is None:
        del model.context_length
    else:
        model.context_length = ctx
    with pytest.raises(ValueError, match="positive int attribute context_length"):
        compress(model, b"abc")


def test_wrong_logit_shape():
    model = ConvByteModel()
    model.head = nn.Linear(64, 100)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 256\)"):
        compress(model, b"abc")
