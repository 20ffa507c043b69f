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
* With a KV cache (models that have ``new_cache()``, like the kit's GPT, and
  ``kv_cache=True``, the default), encoder and decoder both feed the model one
  position of every chunk at a time, ``(n_chunks, 1)``, keeping the keys and
  values of earlier positions: the decoder's ``context_length`` runs then cost
  one window in total instead of one window each. Both sides do the very same
  computations, so their frequencies agree bit for bit.
* The blob is ``varint(2·len(data) + used_kv_cache)`` followed by the coder's
  bits; ``decompress`` reads from the header which of the two ways to run the model.

The coder is the classic 32-bit integer coder of Witten, Neal and Cleary (1987)
with "pending bits" for the straddling-the-middle case. Memory grows like 1 KB
of logits per input byte, so this is meant for texts up to ~100 KB.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from contextlib import contextmanager

import numpy as np
import torch

N_SYMBOLS = 256
FREQ_BITS = 16
FREQ_TOTAL = 1 << FREQ_BITS
UNIFORM_CUM = np.arange(N_SYMBOLS + 1, dtype=np.int64) * (FREQ_TOTAL // N_SYMBOLS)
_BITS_BATCH = 128  # chunks per forward in per_symbol_bits: bounds its memory on long texts

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


def _column_logits(model: torch.nn.Module, cache, column: torch.Tensor) -> torch.Tensor:
    """Logits ``(n_chunks, 256)`` float32 on the CPU for one new position ``column`` ``(n_chunks, 1)``,
    read after the positions already in ``cache`` (extended in place)."""
    param = next(model.parameters(), None)
    out = model(column.to(param.device) if param is not None else column, cache=cache)
    if tuple(out.shape) != (*column.shape, N_SYMBOLS):
        raise ValueError(f"model must return logits of shape (batch, time, 256), got {tuple(out.shape)}")
    return out[:, -1].float().cpu()


def _has_cache(model: torch.nn.Module) -> bool:
    return callable(getattr(model, "new_cache", None))


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


def compress(model: torch.nn.Module, data: bytes, kv_cache: bool = True) -> bytes:
    """Compress ``data`` with ``model``'s next-byte predictions; ``decompress`` inverts it exactly.

    kv_cache: run the model incrementally with its KV cache when it has one
    (``new_cache()``); the choice is stored in the blob for the decoder.
    """
    ctx = _check_model(model)
    data = _check_bytes("data", data)
    if not isinstance(kv_cache, bool):
        raise TypeError(f"kv_cache must be True or False, got {kv_cache!r}")
    use_cache = kv_cache and _has_cache(model)
    if not data:
        return _varint(0)
    ids = _chunks(data, ctx)
    lengths = _chunk_lengths(len(data), ctx)
    symbols = ids.numpy()
    encoder = ArithmeticEncoder()
    with _inference(model):
        cache = model.new_cache() if use_cache else None
        logits = None if use_cache else _logits(model, ids)
        for t in range(lengths[0]):
            live = np.flatnonzero(lengths > t)
            if not t:
                cum = np.broadcast_to(UNIFORM_CUM, (len(live), N_SYMBOLS + 1))
            elif use_cache:  # exactly the decoder's computation at this step
                cum = _cum_tables(_column_logits(model, cache, ids[:, t - 1:t])[live])
            else:
                cum = _cum_tables(logits[live, t - 1])
            for row, chunk in enumerate(live):
                encoder.encode(cum[row], int(symbols[chunk, t]))
    return _varint(2 * len(data) + use_cache) + encoder.finish()


def decompress(model: torch.nn.Module, blob: bytes) -> bytes:
    """The original bytes from ``compress(model, data)``; needs the very same model."""
    ctx = _check_model(model)
    blob = _check_bytes("blob", blob)
    header_value, header = _read_varint(blob)
    n, use_cache = header_value // 2, bool(header_value % 2)
    if n == 0:
        return b""
    if use_cache and not _has_cache(model):
        raise ValueError("blob was coded with a KV cache (a model with new_cache()), but this model has none; "
                         "decode with the very model that encoded it")
    lengths = _chunk_lengths(n, ctx)
    ids = torch.zeros(len(lengths), ctx, dtype=torch.long)
    decoder = ArithmeticDecoder(blob[header:])
    with _inference(model):
        cache = model.new_cache() if use_cache else None
        for t in range(lengths[0]):
            live = np.flatnonzero(lengths > t)
            if not t:
                cum = np.broadcast_to(UNIFORM_CUM, (len(live), N_SYMBOLS + 1))
            elif use_cache:  # read only the position decoded last; earlier ones are in the cache
                cum = _cum_tables(_column_logits(model, cache, ids[:, t - 1:t])[live])
            else:  # same shape as the encoder's single run
                cum = _cum_tables(_logits(model, ids)[live, t - 1])
            ids[live, t] = torch.tensor([decoder.decode(cum[row]) for row in range(len(live))], dtype=torch.long)
    return ids.flatten()[:n].numpy().astype(np.uint8).tobytes()


def per_symbol_bits(model: torch.nn.Module, text: bytes) -> np.ndarray:
    """Ideal bits ``(n,)`` float64 spent on each byte: ``-log2 p`` under the chunked scheme, 8 at each chunk start."""
    ctx = _check_model(model)
    text = _check_bytes("text", text)
    if not text:
        return np.zeros(0)
    ids = _chunks(text, ctx)
    bits = np.full(ids.shape, 8.0)
    with _inference(model):
        for lo in range(0, len(ids), _BITS_BATCH):  # chunks are independent: batches bound the memory
            part = ids[lo:lo + _BITS_BATCH]
            logp = torch.log_softmax(_logits(model, part).double(), dim=-1)
            bits[lo:lo + _BITS_BATCH, 1:] = -logp[:, :-1].gather(-1, part[:, 1:, None])[..., 0].numpy() / np.log(2)
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
    """Sizes in bytes of ``data`` after gzip -9, bz2 -9 and xz (lzma preset 9 | extreme): the file formats."""
    data = _check_bytes("data", data)
    return {
        "gzip": len(gzip.compress(data, compresslevel=9, mtime=0)),
        "bz2": len(bz2.compress(data, compresslevel=9)),
        "lzma": len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)),
    }


def raw_sizes(data: bytes) -> dict[str, int]:
    """Sizes in bytes of ``data`` as raw streams, without a file format around them.

    ``deflate``: the stream inside gzip (zlib level 9, no header or checksum);
    ``lzma2``: the stream inside xz (LZMA2, preset 9 | extreme, no container,
    index or check). gzip adds 18 bytes to its stream and xz about 60: on a
    1 KiB text that is 0.14 and ~0.5 bits per character, so a fair comparison
    on short texts uses the raw streams. (bz2 has no raw mode in Python; its
    format costs a few tens of bytes.)
    """
    data = _check_bytes("data", data)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    return {"deflate": len(deflate.compress(data) + deflate.flush()),
            "lzma2": len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters))}


CLASSICAL = {"gzip": "gzip -9", "bz2": "bz2 -9", "lzma": "xz -9e", "deflate": "deflate (raw)",
             "lzma2": "LZMA2 (raw)"}  # key -> display name


def classical_all(data: bytes) -> dict[str, int]:
    """Bytes of ``data`` after every classical compressor, file formats and raw streams, by display name
    (``CLASSICAL``: ``'gzip -9'``, …, ``'LZMA2 (raw)'``)."""
    data = _check_bytes("data", data)
    return {CLASSICAL[k]: v for k, v in {**classical_sizes(data), **raw_sizes(data)}.items()}


def classical_bits(data: bytes) -> dict[str, float]:
    """Bits per byte of every classical compressor on ``data`` (``classical_all``), by display name."""
    data = _check_bytes("data", data)
    if not data:
        raise ValueError("data is empty; bits per byte needs at least one byte")
    return {k: 8 * v / len(data) for k, v in classical_all(data).items()}


def model_overhead_bits(n_bytes: int) -> int:
    """Bits the real coder adds to the ideal code length of ``n_bytes`` bytes: its length header
    (``compress``'s varint) plus termination and padding to whole bytes (at most 10 bits)."""
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes < 1:
        raise ValueError(f"n_bytes must be a positive int, got {n_bytes!r}")
    return 8 * len(_varint(2 * n_bytes + 1)) + 10


# ---------------------------------------------------------------- comparing compressors
def model_size_bytes(model: torch.nn.Module, bytes_per_parameter: int = 2) -> int:
    """Bytes needed to ship ``model``'s parameters (default 2: fp16), tied weights counted once.

    A decoder needs the very same model, so a fair size of "model-compressed
    data" adds this to the coded bits (Delétang et al. 2023 call it the
    *adjusted* compression rate).
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(bytes_per_parameter, bool) or not isinstance(bytes_per_parameter, int) or bytes_per_parameter < 1:
        raise ValueError(f"bytes_per_parameter must be a positive int (2 for fp16), got {bytes_per_parameter!r}")
    unique = {id(p): p.numel() for p in model.parameters()}
    return int(sum(unique.values())) * bytes_per_parameter


def _check_models(models) -> dict:
    if not isinstance(models, dict) or not all(isinstance(k, str) for k in models):
        raise TypeError("models must be a dict: name (str) -> torch.nn.Module, e.g. {'GPT d64': model}")
    for name, model in models.items():
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"models[{name!r}] must be a torch.nn.Module, got {type(model).__name__}")
    return models


def compression_table(data: bytes, models: dict | None = None, bytes_per_parameter: int = 2) -> list[dict]:
    """Every compressor on the same ``data``: one row per compressor, classical first.

    Classical: the file formats and raw streams of ``classical_bits``.
    models: name -> byte-level model (coded for real with ``compress``).
    Each row has ``name``, ``kind`` ('classical' | 'model'), ``bytes`` (coded
    size), ``ratio`` (raw / coded), ``bits_per_char`` (8 · coded / raw: per
    byte, equal to per character on ASCII text), ``model_bytes`` (0 for
    classical: their code is a few hundred KB shared by everyone),
    ``bits_per_char_with_model`` (coded size plus the model's fp16 parameters).
    """
    data = _check_bytes("data", data)
    if not data:
        raise ValueError("data is empty; compare compressors on at least one byte")
    models = _check_models({} if models is None else models)
    rows = []
    for name, size in classical_all(data).items():
        rows.append({"name": name, "kind": "classical", "bytes": size, "model_bytes": 0})
    for name, model in models.items():
        rows.append({"name": name, "kind": "model", "bytes": len(compress(model, data)),
                     "model_bytes": model_size_bytes(model, bytes_per_parameter)})
    for row in rows:
        row["ratio"] = len(data) / row["bytes"]
        row["bits_per_char"] = 8 * row["bytes"] / len(data)
        row["bits_per_char_with_model"] = 8 * (row["bytes"] + row["model_bytes"]) / len(data)
    return rows


def snippet_plan() -> dict[int, int]:
    """Notebook 03's held-out snippets for the active profile: length in bytes -> how many.

    At least 20 of 1 KiB (short texts vary a lot), fewer of the longer
    lengths, all fitting in the held-out text of the profile's corpus
    (``topics`` at smoke: 22 KB; ``docs`` otherwise: 135 KB).
    """
    from . import config

    return config.pick(smoke={1024: 20, 3072: 6, 10240: 2, 20480: 1},
                       default={1024: 24, 3072: 12, 10240: 6, 30720: 3, 131072: 1},
                       full={1024: 24, 3072: 12, 10240: 6, 30720: 3, 131072: 1})


def snippet_starts(n_bytes: int, length: int, n: int, align: int = 64) -> np.ndarray:
    """Start offsets ``(n,)`` of ``n`` non-overlapping snippets of ``length`` bytes spread evenly over
    ``n_bytes``; every start is a multiple of ``align`` (a model's chunks then line up with the text's)."""
    for name, value in (("n_bytes", n_bytes), ("length", length), ("n", n), ("align", align)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if length % align:
        raise ValueError(f"length ({length}) must be a multiple of align ({align})")
    slots = (n_bytes // align) - (length // align)  # possible starts, in units of align
    if n * length > n_bytes or slots < 0:
        raise ValueError(f"{n} snippets of {length} bytes do not fit in {n_bytes} bytes")
    spacing = (slots // max(n - 1, 1)) if n > 1 else 0
    return np.arange(n, dtype=np.int64) * spacing * align


def snippet_rates(data: bytes, length: int, n: int, model_bits: dict | None = None,
                  align: int = 64) -> dict[str, np.ndarray]:
    """Bits per byte of every compressor on ``n`` snippets of ``length`` bytes of ``data``: name -> ``(n,)``.

    Snippets come from ``snippet_starts``. Classical compressors (``classical_bits``:
    file formats and raw streams) compress each snippet on its own. Models:
    ``model_bits`` maps a name to ``per_symbol_bits(model, data)`` ``(len(data),)``
    computed once on the whole text; because each snippet starts on a chunk
    boundary, the sum of its bits is exactly the ideal code length of the
    snippet coded alone. ``model_overhead_bits`` is added (the real coder's
    header and termination), so the comparison is with what ``compress`` writes.
    """
    data = _check_bytes("data", data)
    model_bits = {} if model_bits is None else model_bits
    if not isinstance(model_bits, dict):
        raise TypeError("model_bits must be a dict: name -> per-symbol bits of data (per_symbol_bits)")
    for name, bits in model_bits.items():
        if np.shape(bits) != (len(data),):
            raise ValueError(f"model_bits[{name!r}] must have one value per byte of data ({len(data)}), "
                             f"got shape {np.shape(bits)}")
    starts = snippet_starts(len(data), length, n, align)
    out: dict[str, list[float]] = {}
    for start in starts:
        for name, bpc in classical_bits(data[start:start + length]).items():
            out.setdefault(name, []).append(bpc)
        for name, bits in model_bits.items():
            total = float(np.sum(bits[start:start + length])) + model_overhead_bits(length)
            out.setdefault(name, []).append(total / length)
    return {k: np.array(v) for k, v in out.items()}


# ---------------------------------------------------------------- knowing the rule (MDL in miniature)
_MAX_RESIDUAL_SYMBOLS = 4096


def _zigzag(n: int) -> int:
    return 2 * n if n >= 0 else -2 * n - 1


def _unzigzag(z: int) -> int:
    return z // 2 if z % 2 == 0 else -(z + 1) // 2


def _check_int_sequence(name: str, seq) -> list[int]:
    if isinstance(seq, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a sequence of integers, got {type(seq).__name__}; "
                        "parse text first, e.g. [int(x) for x in text.split(',')]")
    arr = np.asarray(seq)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of integers, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == object):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    values = [int(v) for v in arr.tolist()]
    if arr.dtype == object and any(not isinstance(v, (int, np.integer)) or isinstance(v, bool) for v in arr.tolist()):
        raise TypeError(f"{name} must hold integers only")
    return values


def fit_progression(seq) -> tuple[int, int]:
    """The arithmetic progression ``start + step · i`` that best explains the integers ``seq``.

    ``step`` is the median of successive differences and ``start`` the median
    of ``seq[i] - step · i`` (both rounded): exact for a clean progression,
    robust to small noise. Returns ``(start, step)``.
    """
    values = _check_int_sequence("seq", seq)
    if len(values) == 1:
        return values[0], 0
    arr = np.array(values, dtype=np.float64)
    step = int(np.round(np.median(np.diff(arr))))
    start = int(np.round(np.median(arr - step * np.arange(len(arr)))))
    return start, step


def rule_code(seq) -> bytes:
    """A minimum-description-length code of integers: the rule, then what the rule can't explain.

    The description is ``count, start, step`` of the fitted arithmetic
    progression (``fit_progression``), then the residuals ``seq[i] - (start +
    step·i)``: their smallest value and the number of distinct values ``K`` in
    their range; if ``K > 1`` the residuals follow, arithmetic-coded with an
    adaptive count table (about ``H(noise)`` bits each, plus a little to learn
    the table). A clean progression of any length costs a few bytes; noise
    costs its entropy. All numbers are varints (signed ones zig-zag coded).
    ``rule_decode`` inverts it exactly.
    """
    values = _check_int_sequence("seq", seq)
    start, step = fit_progression(values)
    residuals = np.array(values, dtype=object) - (start + step * np.arange(len(values), dtype=object))
    low, high = int(min(residuals)), int(max(residuals))
    n_symbols = high - low + 1
    if n_symbols > _MAX_RESIDUAL_SYMBOLS:
        raise ValueError(f"seq strays too far from an arithmetic progression (residuals span {n_symbols} values, "
                         f"max {_MAX_RESIDUAL_SYMBOLS}); rule_code describes a progression plus small noise")
    head = b"".join(_varint(v) for v in (len(values), _zigzag(start), _zigzag(step), _zigzag(low), n_symbols))
    if n_symbols == 1:
        return head
    encoder = ArithmeticEncoder()
    counts = np.ones(n_symbols, dtype=np.int64)
    for r in residuals:
        symbol = int(r) - low
        encoder.encode(np.concatenate([[0], np.cumsum(counts)]), symbol)
        counts = _adapt(counts, symbol)
    return head + encoder.finish()


def _adapt(counts: np.ndarray, symbol: int) -> np.ndarray:
    """The adaptive table after seeing ``symbol``: one more count, halved when the total nears 2**16."""
    counts[symbol] += 1
    if counts.sum() >= FREQ_TOTAL:
        counts = (counts + 1) // 2
    return counts


def rule_decode(blob: bytes) -> list[int]:
    """The integers described by ``rule_code(seq)``, exactly."""
    blob = _check_bytes("blob", blob)
    fields, pos = [], 0
    for _ in range(5):
        value, used = _read_varint(blob[pos:])
        fields.append(value)
        pos += used
    count, start, step, low, n_symbols = (fields[0], _unzigzag(fields[1]), _unzigzag(fields[2]),
                                          _unzigzag(fields[3]), fields[4])
    if n_symbols == 1:
        return [start + step * i + low for i in range(count)]
    decoder = ArithmeticDecoder(blob[pos:])
    counts = np.ones(n_symbols, dtype=np.int64)
    out = []
    for i in range(count):
        symbol = decoder.decode(np.concatenate([[0], np.cumsum(counts)]))
        out.append(start + step * i + low + symbol)
        counts = _adapt(counts, symbol)
    return out


def entropy_bits(symbols) -> float:
    """Empirical entropy ``-Σ p log2 p`` (bits per symbol) of a 1-D sequence of hashable values."""
    arr = np.asarray(symbols)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"symbols must be a non-empty 1-D sequence, got shape {arr.shape}")
    _, counts = np.unique(arr, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum() + 0.0)


# ---------------------------------------------------------------- showing where the bits go
def bits_html(text: str, bits, max_bits: float = 8.0) -> str:
    """HTML that colours each character of ``text`` by the bits a model spent on it.

    text: the decoded string. bits: ``(n_bytes,)`` bits per UTF-8 byte of
    ``text`` (e.g. ``per_symbol_bits(model, text.encode())``); a character made
    of several bytes gets their sum. The background goes from transparent (0
    bits: fully predicted) to solid orange at ``max_bits`` or more; hover a
    character to see its bits. Readable on light and dark themes.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    bits = np.asarray(bits, dtype=np.float64)
    n_bytes = len(text.encode("utf-8"))
    if bits.shape != (n_bytes,):
        raise ValueError(f"bits must have one value per UTF-8 byte of text: shape ({n_bytes},), got {bits.shape}")
    if not np.all(np.isfinite(bits)) or np.any(bits < 0):
        raise ValueError("bits must be finite and >= 0")
    if not isinstance(max_bits, (int, float)) or not max_bits > 0:
        raise ValueError(f"max_bits must be a positive number, got {max_bits!r}")
    import html as _html

    spans, pos = [], 0
    for ch in text:
        width = len(ch.encode("utf-8"))
        b = float(bits[pos:pos + width].sum())
        pos += width
        alpha = 0.85 * min(1.0, b / max_bits)
        shown = "↵<br>" if ch == "\n" else _html.escape(ch)
        spans.append(f"<span title='{_html.escape(repr(ch))}: {b:.2f} bits' "
                     f"style='background:rgba(230,97,0,{alpha:.3f})'>{shown}</span>")
    total = float(bits.sum())
    legend = (f"<div style='font-size:85%;opacity:.8;margin-top:4px'>{len(text)} characters, {total:.0f} bits, "
              f"{total / max(len(text), 1):.2f} bits/char · colour: transparent = 0 bits, solid = "
              f"{max_bits:g}+ bits</div>")
    return ("<div style='font-family:monospace;white-space:pre-wrap;line-height:1.6'>" + "".join(spans)
            + "</div>" + legend)
