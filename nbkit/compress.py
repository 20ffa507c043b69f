"""Lossless compression with a language model: arithmetic coding over byte predictions.

A model that predicts the next byte well can store text in few bits: a byte it
gave probability ``p`` costs about ``-log2 p`` bits. An arithmetic coder turns
those predictions into an actual bit stream within about 1% of that ideal,
and a decoder running the same model gets the bytes back exactly.

The scheme used by ``compress`` / ``decompress``
------------------------------------------------
* The data is cut into chunks of ``model.context_length`` bytes (the window the
  model was trained on); the last chunk is padded with zeros to full length, so
  the model always sees one tensor of shape ``(n_chunks, context_length)``.
* Inside a chunk, the first byte is coded with a uniform table (8 bits: the
  model has no context yet) and byte ``t + 1`` with the model's prediction from
  bytes ``0..t`` of the same chunk.
* Symbols are coded position by position: position 0 of every chunk, then
  position 1 of every chunk, and so on, because that is the order in which the
  decoder can produce them.
* The encoder runs the model once on the whole tensor. The decoder starts from
  zeros and runs the model ``context_length`` times on a tensor of the SAME
  shape, writing each decoded position in before the next run. The model is
  causal, so the not-yet-decoded zeros never influence position ``t``.
* Probabilities are quantised to integer frequencies (total 2**16, each >= 1).
  Encoder and decoder must compute bit-identical frequencies, which is why both
  always run the model on the same shape: a different batch size or length can
  change floating-point rounding and derail the decoder. Decode with the same
  model, on the same kind of machine (CPU vs GPU, same torch) as encoding.
* The blob is ``varint(len(data))`` followed by the coder's bits.

The coder is the classic 32-bit integer coder of Witten, Neal and Cleary (1987)
with "pending bits" for the straddling-the-middle case. Memory grows like 1 KB
of logits per input byte, so this is meant for texts up to ~100 KB.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from contextlib import contextmanager

import numpy as np
import torch

N_SYMBOLS = 256
FREQ_BITS = 16
FREQ_TOTAL = 1 << FREQ_BITS
UNIFORM_CUM = np.arange(N_SYMBOLS + 1, dtype=np.int64) * (FREQ_TOTAL // N_SYMBOLS)

_BITS = 32
_FULL = (1 << _BITS) - 1
_HALF = 1 << (_BITS - 1)
_QUARTER = 1 << (_BITS - 2)


class ArithmeticEncoder:
    """Turns symbols into bits, given a cumulative frequency table for each symbol.

    A table ``cum`` ``(n_symbols + 1,)`` of ints starts at 0 and ends at the
    total; symbol ``s`` owns the slice ``[cum[s], cum[s + 1])``. The coder keeps
    an interval ``[low, high]`` of 32-bit integers, narrows it to the symbol's
    share, and shifts out every leading bit that ``low`` and ``high`` agree on.
    """

    def __init__(self):
        self.low, self.high = 0, _FULL
        self.pending = 0  # bits owed after the next decided bit (interval straddled the middle)
        self.bits: list[int] = []

    def _emit(self, bit: int) -> None:
        self.bits.append(bit)
        self.bits.extend([1 - bit] * self.pending)
        self.pending = 0

    def encode(self, cum: np.ndarray, symbol: int) -> None:
        """Code one ``symbol`` with the cumulative table ``cum`` (total <= 2**16)."""
        span = self.high - self.low + 1
        total = int(cum[-1])
        self.high = self.low + span * int(cum[symbol + 1]) // total - 1
        self.low = self.low + span * int(cum[symbol]) // total
        while True:
            if self.high < _HALF:  # both in the lower half: next bit is 0
                self._emit(0)
            elif self.low >= _HALF:  # both in the upper half: next bit is 1
                self._emit(1)
                self.low -= _HALF
                self.high -= _HALF
            elif self.low >= _QUARTER and self.high < 3 * _QUARTER:  # straddles the middle: decide later
                self.pending += 1
                self.low -= _QUARTER
                self.high -= _QUARTER
            else:
                break
            self.low = 2 * self.low
            self.high = 2 * self.high + 1

    def finish(self) -> bytes:
        """Two more bits pin a value inside the final interval; returns the bits packed into bytes."""
        self.pending += 1
        self._emit(0 if self.low < _QUARTER else 1)
        return np.packbits(np.array(self.bits, dtype=np.uint8)).tobytes()


class ArithmeticDecoder:
    """Reads symbols back from the bits of ``ArithmeticEncoder``, given the same tables in the same order.

    It mirrors the encoder's interval and also keeps ``value``: the next 32
    bits of the stream (zeros past its end), which always lies inside it.
    """

    def __init__(self, data: bytes):
        self.bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).tolist()
        self.pos = 0
        self.low, self.high = 0, _FULL
        self.value = 0
        for _ in range(_BITS):
            self.value = 2 * self.value + self._next_bit()

    def _next_bit(self) -> int:
        self.pos += 1
        return self.bits[self.pos - 1] if self.pos <= len(self.bits) else 0

    def decode(self, cum: np.ndarray) -> int:
        """The next symbol, coded with the cumulative table ``cum``."""
        span = self.high - self.low + 1
        total = int(cum[-1])
        target = ((self.value - self.low + 1) * total - 1) // span  # where value falls, in frequency units
        symbol = int(np.searchsorted(cum, target, side="right")) - 1
        self.high = self.low + span * int(cum[symbol + 1]) // total - 1
        self.low = self.low + span * int(cum[symbol]) // total
        while True:
            if self.high < _HALF:
                pass
            elif self.low >= _HALF:
                self.low -= _HALF
                self.high -= _HALF
                self.value -= _HALF
            elif self.low >= _QUARTER and self.high < 3 * _QUARTER:
                self.low -= _QUARTER
                self.high -= _QUARTER
                self.value -= _QUARTER
            else:
                break
            self.low = 2 * self.low
            self.high = 2 * self.high + 1
            self.value = 2 * self.value + self._next_bit()
        return symbol


def probs_to_freqs(probs) -> np.ndarray:
    """Integer frequencies ``(..., 256)`` int64 summing to 2**16, each >= 1, from probabilities ``(..., 256)``.

    Every byte keeps at least 1/65536 so that any byte can be coded, even one
    the model rules out. Each symbol gets ``1 + floor(p * (2**16 - 256))``; the
    few counts left over go to the most likely symbol. Deterministic.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape[-1:] != (N_SYMBOLS,):
        raise ValueError(f"probs must have a last axis of {N_SYMBOLS} (one per byte), got shape {probs.shape}")
    if not np.all(np.isfinite(probs) & (probs >= 0)) or not np.all(probs.sum(axis=-1) > 0):
        raise ValueError("probs must be finite, >= 0 and not all zero; did the model output NaN logits?")
    probs = probs / probs.sum(axis=-1, keepdims=True)
    freqs = 1 + np.floor(probs * (FREQ_TOTAL - N_SYMBOLS)).astype(np.int64)
    left = FREQ_TOTAL - freqs.sum(axis=-1, keepdims=True)  # 0 <= left < 256
    top = probs.argmax(axis=-1)[..., None]
    np.put_along_axis(freqs, top, np.take_along_axis(freqs, top, axis=-1) + left, axis=-1)
    return freqs


def _check_bytes(name: str, data) -> bytes:
    if not isinstance(data, (bytes, bytearray)):
        hint = "; encode text first, e.g. text.encode('utf-8')" if isinstance(data, str) else ""
        raise TypeError(f"{name} must be bytes or bytearray, got {type(data).__name__}{hint}")
    return bytes(data)


def _check_model(model) -> int:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module over bytes, got {type(model).__name__}")
    ctx = getattr(model, "context_length", None)
    if isinstance(ctx, bool) or not isinstance(ctx, int) or ctx < 1:
        raise ValueError(
            f"model needs a positive int attribute context_length (the window it was trained on), got {ctx!r}; "
            "set it, e.g. model.context_length = 128"
        )
    return ctx


@contextmanager
def _inference(model: torch.nn.Module):
    """``eval()`` and ``no_grad()`` for the duration; restores the model's training flag."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _chunks(data: bytes, ctx: int) -> torch.Tensor:
    """The bytes as a LongTensor ``(n_chunks, ctx)``, the last chunk padded with zeros."""
    n_chunks = -(-len(data) // ctx)
    ids = np.zeros(n_chunks * ctx, dtype=np.int64)
    ids[: len(data)] = np.frombuffer(data, dtype=np.uint8)
    return torch.from_numpy(ids.reshape(n_chunks, ctx))


def _logits(model: torch.nn.Module, ids: torch.Tensor) -> torch.Tensor:
    """Model logits ``(n_chunks, ctx, 256)`` float32 on the CPU, with a shape check."""
    param = next(model.parameters(), None)
    out = model(ids.to(param.device) if param is not None else ids)
    if tuple(out.shape) != (*ids.shape, N_SYMBOLS):
        raise ValueError(f"model must return logits of shape (batch, time, 256), got {tuple(out.shape)}")
    return out.float().cpu()


def _cum_tables(logits: torch.Tensor) -> np.ndarray:
    """Cumulative tables ``(rows, 257)`` int64 from logits ``(rows, 256)``: float32 softmax, then float64."""
    freqs = probs_to_freqs(torch.softmax(logits, dim=-1).double().numpy())
    return np.concatenate([np.zeros((len(freqs), 1), dtype=np.int64), np.cumsum(freqs, axis=-1)], axis=-1)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _read_varint(blob: bytes) -> tuple[int, int]:
    """``(value, bytes used)`` of the varint at the start of ``blob``."""
    value = 0
    for i, byte in enumerate(blob[:10]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise ValueError("blob does not start with a valid length header; was it made by nbkit.compress.compress?")


def _chunk_lengths(n: int, ctx: int) -> np.ndarray:
    """Bytes in each chunk ``(n_chunks,)``: ``ctx`` except maybe the last."""
    n_chunks = -(-n // ctx)
    return np.minimum(ctx, n - ctx * np.arange(n_chunks))


def compress(model: torch.nn.Module, data: bytes) -> bytes:
    """Compress ``data`` with ``model``'s next-byte predictions; ``decompress`` inverts it exactly."""
    ctx = _check_model(model)
    data = _check_bytes("data", data)
    if not data:
        return _varint(0)
    ids = _chunks(data, ctx)
    lengths = _chunk_lengths(len(data), ctx)
    with _inference(model):
        logits = _logits(model, ids)
    symbols = ids.numpy()
    encoder = ArithmeticEncoder()
    for t in range(lengths[0]):
        live = np.flatnonzero(lengths > t)
        cum = _cum_tables(logits[live, t - 1]) if t else np.broadcast_to(UNIFORM_CUM, (len(live), N_SYMBOLS + 1))
        for row, chunk in enumerate(live):
            encoder.encode(cum[row], int(symbols[chunk, t]))
    return _varint(len(data)) + encoder.finish()


def decompress(model: torch.nn.Module, blob: bytes) -> bytes:
    """The original bytes from ``compress(model, data)``; needs the very same model."""
    ctx = _check_model(model)
    blob = _check_bytes("blob", blob)
    n, header = _read_varint(blob)
    if n == 0:
        return b""
    lengths = _chunk_lengths(n, ctx)
    ids = torch.zeros(len(lengths), ctx, dtype=torch.long)
    decoder = ArithmeticDecoder(blob[header:])
    with _inference(model):
        for t in range(lengths[0]):
            live = np.flatnonzero(lengths > t)
            if t:
                cum = _cum_tables(_logits(model, ids)[live, t - 1])  # same shape as the encoder's single run
            else:
                cum = np.broadcast_to(UNIFORM_CUM, (len(live), N_SYMBOLS + 1))
            ids[live, t] = torch.tensor([decoder.decode(cum[row]) for row in range(len(live))], dtype=torch.long)
    return ids.flatten()[:n].numpy().astype(np.uint8).tobytes()


def per_symbol_bits(model: torch.nn.Module, text: bytes) -> np.ndarray:
    """Ideal bits ``(n,)`` float64 spent on each byte: ``-log2 p`` under the chunked scheme, 8 at each chunk start."""
    ctx = _check_model(model)
    text = _check_bytes("text", text)
    if not text:
        return np.zeros(0)
    ids = _chunks(text, ctx)
    with _inference(model):
        logp = torch.log_softmax(_logits(model, ids).double(), dim=-1)
    bits = np.full(ids.shape, 8.0)
    bits[:, 1:] = -logp[:, :-1].gather(-1, ids[:, 1:, None])[..., 0].numpy() / np.log(2)
    return bits.reshape(-1)[: len(text)]


def code_length_bits(model: torch.nn.Module, data: bytes) -> float:
    """Ideal compressed size of ``data`` in bits (the sum of ``per_symbol_bits``), without header.

    ``compress`` lands within about 1% of it. It can even land below: the coder
    gives every byte at least 2**-16, so a byte the model all but ruled out
    costs it at most ~16 bits where the ideal charges the full ``-log2 p``.
    """
    return float(per_symbol_bits(model, data).sum())


def bits_per_byte(model: torch.nn.Module, data: bytes) -> float:
    """Ideal bits per byte of ``data`` under ``model`` (8 = no compression)."""
    if not _check_bytes("data", data):
        raise ValueError("data is empty; bits per byte needs at least one byte")
    return code_length_bits(model, data) / len(data)


def classical_sizes(data: bytes) -> dict[str, int]:
    """Sizes in bytes of ``data`` after gzip -9, bz2 -9 and xz (lzma preset 9 | extreme)."""
    data = _check_bytes("data", data)
    return {
        "gzip": len(gzip.compress(data, compresslevel=9, mtime=0)),
        "bz2": len(bz2.compress(data, compresslevel=9)),
        "lzma": len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)),
    }
