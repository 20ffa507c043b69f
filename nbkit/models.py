"""Three language models with one interface, plus parameter and FLOP counting.

Every model maps token ids ``(batch, time)`` (int64) to next-token logits
``(batch, time, vocab)`` and has an int attribute ``context_length`` (the
window it is trained on). They are causal: the output at position t depends
only on tokens 0..t.

- ``RNNLM(kind="rnn")``: an Elman network, h_t = tanh(W x_t + U h_{t-1} + b).
- ``RNNLM(kind="lstm")``: the LSTM of Hochreiter & Schmidhuber (1997).
- ``GPT``: a decoder-only Transformer (Radford et al. 2018/2019): token and
  position embeddings, pre-LayerNorm blocks of causal self-attention and an
  MLP, weights tied between input embedding and output head, as in GPT-2.

The GPT can also run incrementally with a ``KVCache`` (``model(ids, cache=cache)``):
the keys and values of tokens it has already read are kept, so each new token
costs one position of work instead of re-reading the whole window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

KINDS = ("rnn", "lstm", "gpt")


@dataclass(frozen=True)
class ModelConfig:
    """Size of a model. ``d_model``: width (hidden size); ``n_layers``: depth;
    ``n_heads``: attention heads (GPT only); ``context``: window in tokens;
    ``vocab``: number of token ids; ``positions``: GPT adds position embeddings."""

    kind: str = "gpt"
    vocab: int = 256
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    context: int = 64
    positions: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for name in ("vocab", "d_model", "n_layers", "n_heads", "context"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.kind == "gpt" and self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")


class KVCache:
    """The keys and values of every attention layer for the tokens read so far: a GPT's working memory.

    ``layers[i]`` is ``None`` or ``(k, v)``, each ``(batch, heads, length, d_model // heads)``.
    Pass the same cache to successive ``GPT.forward(ids, cache=cache)`` calls: each call
    appends the new tokens' keys and values in place, and the new tokens attend to all of them.
    Its size grows linearly with the tokens read (``nbytes``): the "RAM" of the LLM OS analogy.
    """

    def __init__(self, n_layers: int):
        if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1:
            raise ValueError(f"n_layers must be a positive int, got {n_layers!r}")
        self.layers: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * n_layers

    @property
    def length(self) -> int:
        """Tokens held (per sequence of the batch)."""
        return 0 if self.layers[0] is None else self.layers[0][0].shape[2]

    def nbytes(self) -> int:
        """Bytes taken by all the cached keys and values."""
        return sum(t.numel() * t.element_size() for kv in self.layers if kv is not None for t in kv)

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add one layer's new keys/values ``(batch, heads, new, head_dim)``; returns all of that layer's."""
        if self.layers[layer] is not None:
            k = torch.cat([self.layers[layer][0], k], dim=2)
            v = torch.cat([self.layers[layer][1], v], dim=2)
        self.layers[layer] = (k, v)
        return k, v


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t attends to positions 0..t."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.keep_attention = False  # set True to store the last attention map (for plots)
        self.attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            k, v = cache.append(layer, k, v)  # the new queries see every earlier token's key and value
        past = k.shape[2] - t
        if self.keep_attention:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            mask = torch.ones(t, past + t, dtype=torch.bool, device=x.device).triu(past + 1)
            self.attention = scores.masked_fill(mask, float("-inf")).softmax(-1).detach()  # (b, heads, t, past+t)
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif t == 1:  # one new token may look at everything cached
            y = F.scaled_dot_product_attention(q, k, v)
        else:  # new token i sits at position past + i and sees keys 0..past + i
            allowed = torch.ones(t, past + t, dtype=torch.bool, device=x.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-LayerNorm Transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        # exact (erf) GELU: on CPUs the tanh approximation of GPT-2 is ~4x slower, for no gain here
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, 4 * cfg.d_model), nn.GELU(),
                                 nn.Linear(4 * cfg.d_model, cfg.d_model))

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), cache, layer)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """A decoder-only Transformer. ``forward(ids (B, T)) -> logits (B, T, vocab)``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.context_length = cfg.context
        self.tok = nn.Embedding(cfg.vocab, cfg.d_model)
        self.pos = nn.Embedding(cfg.context, cfg.d_model) if cfg.positions else None
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)
        self.head.weight = self.tok.weight  # tied, as in GPT-2
        self.apply(self._init)
        for block in self.blocks:  # GPT-2: scale residual projections by depth
            for proj in (block.attn.proj, block.mlp[2]):
                nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def hidden(self, ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Final hidden states (after the last LayerNorm), ``(B, T, d_model)``: the features a
        classifier or probe reads. With a ``cache``, ``ids`` continue the tokens already in it."""
        start = 0 if cache is None else cache.length
        t = ids.shape[1]
        if start + t > self.context_length and self.pos is not None:
            raise ValueError(f"sequence length {start + t} exceeds the model's context of {self.context_length}"
                             + (f" ({start} cached + {t} new)" if start else ""))
        x = self.tok(ids)
        if self.pos is not None:
            x = x + self.pos(torch.arange(start, start + t, device=ids.device))
        for layer, block in enumerate(self.blocks):
            x = block(x, cache, layer)
        return self.ln_f(x)

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Logits ``(B, T, vocab)``. ``cache``: a ``KVCache`` from ``new_cache()`` that holds the
        tokens read so far; ``ids`` are the next ones, and the cache is extended in place."""
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(f"cache must be a KVCache (model.new_cache()), got {type(cache).__name__}")
        return self.head(self.hidden(ids, cache))

    def new_cache(self) -> KVCache:
        """An empty ``KVCache`` for this model's layers."""
        return KVCache(len(self.blocks))


class RNNLM(nn.Module):
    """Embedding -> Elman RNN or LSTM (``cfg.kind``) -> linear head. Same interface as ``GPT``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.kind not in ("rnn", "lstm"):
            raise ValueError(f"RNNLM needs kind 'rnn' or 'lstm', got {cfg.kind!r}")
        self.cfg = cfg
        self.context_length = cfg.context
        self.tok = nn.Embedding(cfg.vocab, cfg.d_model)
        cell = nn.LSTM if cfg.kind == "lstm" else nn.RNN
        self.rnn = cell(cfg.d_model, cfg.d_model, num_layers=cfg.n_layers, batch_first=True)
        self.head = nn.Linear(cfg.d_model, cfg.vocab)

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        """Hidden states of the last recurrent layer, ``(B, T, d_model)``."""
        out, _ = self.rnn(self.tok(ids))
        return out

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(ids))


class SequenceClassifier(nn.Module):
    """A classifier on top of a language model's body: mean of the final hidden states -> linear.

    ``body`` is a ``GPT`` or ``RNNLM`` (anything with ``hidden(ids) -> (B, T, d)``
    and a ``cfg.d_model``); its LM head is not used. ``forward(ids (B, T)) ->
    logits (B, n_classes)``. Reusing a pre-trained body is GPT-1's recipe
    (Radford et al. 2018): pre-train on unlabeled text, then fine-tune with few labels.
    ``freeze_body=True`` trains only the linear head (a "linear probe" of the features).
    """

    def __init__(self, body: nn.Module, n_classes: int, freeze_body: bool = False):
        super().__init__()
        if not callable(getattr(body, "hidden", None)):
            raise TypeError(f"body must have a hidden(ids) method (GPT or RNNLM), got {type(body).__name__}")
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}")
        self.body = body
        self.freeze_body = bool(freeze_body)
        if self.freeze_body:
            body.requires_grad_(False)
        self.context_length = body.context_length
        self.classify = nn.Linear(body.cfg.d_model, n_classes)
        nn.init.zeros_(self.classify.weight)
        nn.init.zeros_(self.classify.bias)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_body):
            features = self.body.hidden(ids).mean(dim=1)
        return self.classify(features)


def build_model(cfg: ModelConfig | None = None, **kwargs) -> nn.Module:
    """A model from a config (or its fields as keywords): ``build_model(kind="lstm", d_model=96)``."""
    if cfg is not None and kwargs:
        raise ValueError("give either a ModelConfig or keyword fields, not both")
    cfg = cfg or ModelConfig(**kwargs)
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a ModelConfig, got {type(cfg).__name__}")
    return GPT(cfg) if cfg.kind == "gpt" else RNNLM(cfg)


def count_parameters(model: nn.Module, embeddings: bool = True) -> int:
    """Number of trainable parameters; ``embeddings=False`` leaves out token and
    position embedding tables (Kaplan et al. 2020 count N this way). Tied weights
    are counted once."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    skip = set()
    if not embeddings:
        for name in ("tok", "pos"):
            table = getattr(model, name, None)
            if table is not None:
                skip.add(id(table.weight))
    seen, total = set(), 0
    for p in model.parameters():
        if p.requires_grad and id(p) not in seen and id(p) not in skip:
            seen.add(id(p))
            total += p.numel()
    return total


def training_flops(n_params: int, tokens: int) -> float:
    """Training compute in FLOPs, C ≈ 6·N·D (2 forward + 4 backward per parameter per token)."""
    if n_params <= 0 or tokens <= 0:
        raise ValueError(f"n_params and tokens must be positive, got {n_params}, {tokens}")
    return 6.0 * n_params * tokens


def matched_config(kind: str, target_params: int, **fields) -> ModelConfig:
    """The config of ``kind`` whose width gives the parameter count (embeddings included)
    closest to ``target_params``; other fields (n_layers, context, ...) as given.
    Use it to compare architectures at equal size."""
    if not isinstance(target_params, int) or target_params < 100:
        raise ValueError(f"target_params must be an int >= 100, got {target_params!r}")
    step = fields.get("n_heads", 4) if kind == "gpt" else 1
    best, best_gap = None, None
    for d in range(step, 2049, step):
        cfg = ModelConfig(kind=kind, d_model=d, **fields)
        n = count_parameters(build_model(cfg)) if d < 64 else _estimate_params(cfg)
        gap = abs(n - target_params)
        if best_gap is None or gap < best_gap:
            best, best_gap = cfg, gap
        elif n > target_params:
            break
    return best


def _estimate_params(cfg: ModelConfig) -> int:
    """Parameter count from the formulas (no model is built), embeddings included."""
    d, v, L = cfg.d_model, cfg.vocab, cfg.n_layers
    if cfg.kind == "gpt":
        per_block = 12 * d * d + 13 * d
        return v * d + (cfg.context * d if cfg.positions else 0) + L * per_block + 2 * d
    gates = 4 if cfg.kind == "lstm" else 1
    return v * d + L * gates * (2 * d * d + 2 * d) + d * v + v


@torch.no_grad()
def generate(model: nn.Module, prompt: str, n_new: int = 200, temperature: float = 0.8, seed: int = 0,
             cache: bool = True) -> str:
    """Sample ``n_new`` bytes after ``prompt`` from a byte-level model; returns prompt + sample as text.

    temperature < 1 sharpens the distribution (safer text), > 1 flattens it.
    cache: for a ``GPT``, read each new byte once and keep the keys and values of
    earlier ones (``KVCache``). Without it (or for other models) every step re-reads
    the last ``model.context_length`` bytes. When the cache fills the window, it
    restarts from the most recent half window (learned positions cannot slide one
    byte at a time), so past the window the two settings see slightly different
    contexts; within the window they give the same text.
    """
    from .data import decode, encode

    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty string")
    if not isinstance(n_new, int) or n_new < 0:
        raise ValueError(f"n_new must be a non-negative int, got {n_new!r}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not isinstance(cache, bool):
        raise TypeError(f"cache must be True or False, got {cache!r}")
    model.eval()
    device = next(model.parameters()).device
    ids = torch.tensor(encode(prompt), dtype=torch.long, device=device)[None]
    gen = torch.Generator(device=device).manual_seed(seed)
    window = model.context_length
    kv = None
    for _ in range(n_new):
        if not (cache and isinstance(model, GPT)):
            logits = model(ids[:, -window:])[:, -1]
        elif kv is not None and kv.length < window:
            logits = model(ids[:, -1:], cache=kv)[:, -1]  # only the newest byte is new
        else:  # first step (read the prompt), or the window is full (restart from its recent half)
            recent = ids[:, -window:] if kv is None else ids[:, -max(1, window // 2):]
            kv = model.new_cache()
            logits = model(recent, cache=kv)[:, -1]
        nxt = torch.multinomial((logits / temperature).softmax(-1), 1, generator=gen)
        ids = torch.cat([ids, nxt], dim=1)
    return decode(ids[0])


def library_gpt2(cfg: ModelConfig) -> nn.Module:
    """The same architecture from the ``transformers`` library: a ``GPT2LMHeadModel``
    built from ``cfg`` (randomly initialised, nothing downloaded).

    GPT-2 is what our ``GPT`` re-implements (pre-LayerNorm blocks, learned positions,
    tied output head), so the parameter counts match exactly.
    """
    if not isinstance(cfg, ModelConfig) or cfg.kind != "gpt" or not cfg.positions:
        raise ValueError("library_gpt2 needs a ModelConfig with kind='gpt' and positions=True")
    from transformers import GPT2Config, GPT2LMHeadModel

    hf = GPT2Config(vocab_size=cfg.vocab, n_positions=cfg.context, n_embd=cfg.d_model, n_layer=cfg.n_layers,
                    n_head=cfg.n_heads, bos_token_id=0, eos_token_id=0, pad_token_id=0,
                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    return GPT2LMHeadModel(hf)
