"""A toy world seen through two modalities: small noisy images and bag-of-words captions.

A **state** of the world is one object with four factors: shape (5), colour
(5), size (3) and position on a 3 x 3 grid (9) — 675 states. Each state can
be *rendered* as

- an image: 15 x 15 RGB pixels (675 numbers), the shape drawn in its colour
  in its grid cell, plus Gaussian pixel noise;
- a caption: a bag of words, each factor said with a random synonym
  ("crimson", "scarlet" or "red"), a factor left unsaid now and then, and a
  few filler words; the encoder sees word counts, not the order.

Two encoders (``toymodels.SeedMLP``) map images and captions to 32-d vectors.
``fit_world`` trains them contrastively (InfoNCE, as in CLIP): an item's
positive is a rendering of a *related* state (the same state, or one factor
changed) — the world's co-occurrence structure, which is what the Platonic
Representation Hypothesis says representations converge to. With
``cross_weight = 0`` each encoder learns from its own modality only
(separately trained); with ``cross_weight > 0`` images and captions of related
states are also pulled together (paired training). Both kinds can train in one
batch of networks (one weight per network), on the same batches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import config
from .toymodels import SeedMLP, _check_int, cache_key, fingerprint

FACTORS = ("shape", "colour", "size", "position")
SHAPES = ("square", "circle", "triangle", "cross", "bar")
COLOURS = {"red": (1.0, 0.1, 0.1), "green": (0.1, 0.9, 0.2), "blue": (0.15, 0.3, 1.0),
           "yellow": (1.0, 0.9, 0.1), "purple": (0.6, 0.1, 0.8)}
SIZES = {"small": 3, "medium": 4, "large": 5}  # pixels across
CELL, GRID = 5, 3
IMAGE_DIM = (CELL * GRID) ** 2 * 3
SYNONYMS = {
    "shape": (("square", "box", "block"), ("circle", "disc", "ring"), ("triangle", "wedge", "pyramid"),
              ("cross", "plus", "x"), ("bar", "stripe", "line")),
    "colour": (("red", "crimson", "scarlet"), ("green", "lime", "emerald"), ("blue", "navy", "azure"),
               ("yellow", "golden", "lemon"), ("purple", "violet", "lilac")),
    "size": (("small", "tiny", "little"), ("medium", "average", "midsize"), ("large", "big", "huge")),
    "row": (("top", "upper"), ("middle", "central"), ("bottom", "lower")),
    "column": (("left", "leftmost"), ("centre", "center"), ("right", "rightmost")),
}
FILLERS = ("a", "the", "there", "is", "in", "at", "one", "picture", "shows", "of", "with", "on")
VOCAB = tuple(w for groups in SYNONYMS.values() for group in groups for w in group) + FILLERS
N_VALUES = (len(SHAPES), len(COLOURS), len(SIZES), GRID * GRID)


def all_states() -> np.ndarray:
    """Every state of the world, ``(675, 4)`` ints: shape, colour, size, position (row * 3 + column)."""
    grids = np.meshgrid(*[np.arange(v) for v in N_VALUES], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def _check_states(states) -> np.ndarray:
    states = np.asarray(states)
    if states.ndim != 2 or states.shape[1] != 4 or not np.issubdtype(states.dtype, np.integer):
        raise ValueError(f"states must be an int array (n, 4) of factor values, got shape {states.shape}")
    if (states < 0).any() or (states >= np.array(N_VALUES)).any():
        raise ValueError(f"states hold factor values outside their ranges {N_VALUES}")
    return states


def _shape_mask(shape: int, size: int) -> np.ndarray:
    """A ``(size, size)`` 0/1 drawing of a shape."""
    r = np.arange(size) - (size - 1) / 2
    yy, xx = np.meshgrid(r, r, indexing="ij")
    half = (size - 1) / 2
    masks = (np.ones((size, size)),                                            # square
             (xx ** 2 + yy ** 2 <= (half + 0.35) ** 2).astype(float),         # circle
             (np.abs(xx) <= (yy + half) / 2 + 0.01).astype(float),            # triangle
             ((np.abs(xx) < 0.6) | (np.abs(yy) < 0.6)).astype(float),         # cross
             (np.abs(yy) < 0.6).astype(float))                                # bar
    return masks[shape]


def _draw(state) -> np.ndarray:
    """The noise-free ``(15, 15, 3)`` image of one state."""
    shape, colour, size, position = (int(v) for v in state)
    px = list(SIZES.values())[size]
    row, col = divmod(position, GRID)
    top, left = row * CELL + (CELL - px) // 2, col * CELL + (CELL - px) // 2
    image = np.zeros((CELL * GRID, CELL * GRID, 3))
    image[top:top + px, left:left + px, :] = _shape_mask(shape, px)[:, :, None] * np.array(list(COLOURS.values())[colour])
    return image


_ALL_CLEAN: np.ndarray | None = None


def clean_images(states) -> np.ndarray:
    """Noise-free images ``(n, 675)`` in [0, 1]: channels-last 15 x 15 x 3, flattened (drawn once, then looked up)."""
    global _ALL_CLEAN
    states = _check_states(states)
    if _ALL_CLEAN is None:
        _ALL_CLEAN = np.stack([_draw(s).ravel() for s in all_states()])
    return _ALL_CLEAN[np.ravel_multi_index(states.T, N_VALUES)]


def render_images(states, rng: np.random.Generator, noise: float = 0.25) -> np.ndarray:
    """Noisy images ``(n, 675)`` float32: the clean drawing plus N(0, noise²) per pixel."""
    clean = clean_images(states)
    return (clean + noise * rng.standard_normal(clean.shape)).astype(np.float32)


def _said(states) -> list[tuple[str, np.ndarray]]:
    """(synonym group, value per state) for the five things a caption says."""
    rows, cols = np.divmod(states[:, 3], GRID)
    return [("shape", states[:, 0]), ("colour", states[:, 1]), ("size", states[:, 2]), ("row", rows),
            ("column", cols)]


def captions(states, rng: np.random.Generator, drop: float = 0.1) -> list[list[str]]:
    """One caption per state, as a list of words (shuffled): a random synonym per factor (each left out with
    probability ``drop``), row and column words for the position, and 2-4 filler words."""
    states = _check_states(states)
    out = []
    said = _said(states)
    for i in range(len(states)):
        words = []
        for group, values in said:
            synonyms = SYNONYMS[group][values[i]]
            if rng.random() >= drop:
                words.append(synonyms[rng.integers(len(synonyms))])
        words += [FILLERS[j] for j in rng.integers(0, len(FILLERS), rng.integers(2, 5))]
        out.append([words[j] for j in rng.permutation(len(words))])
    return out


def bag_of_words(caption_words: list[list[str]]) -> np.ndarray:
    """Word counts ``(n, len(VOCAB))`` float32 for a list of captions."""
    index = {w: i for i, w in enumerate(VOCAB)}
    bags = np.zeros((len(caption_words), len(VOCAB)), dtype=np.float32)
    for i, words in enumerate(caption_words):
        for w in words:
            bags[i, index[w]] += 1
    return bags


def caption_bags(states, rng: np.random.Generator, drop: float = 0.1) -> np.ndarray:
    """``bag_of_words(captions(states, rng, drop))`` drawn the same way but vectorised: ``(n, len(VOCAB))``."""
    states = _check_states(states)
    n, index = len(states), {w: i for i, w in enumerate(VOCAB)}
    bags = np.zeros((n, len(VOCAB)), dtype=np.float32)
    rows = np.arange(n)
    for group, values in _said(states):
        table = SYNONYMS[group]
        choice = rng.integers(0, len(table[0]), n)
        word = np.array([index[table[v][c]] for v, c in zip(values, choice)])
        kept = rng.random(n) >= drop
        np.add.at(bags, (rows[kept], word[kept]), 1.0)
    n_fillers = rng.integers(2, 5, n)
    filler_rows = np.repeat(rows, n_fillers)
    filler_words = rng.integers(0, len(FILLERS), len(filler_rows)) + index[FILLERS[0]]
    np.add.at(bags, (filler_rows, filler_words), 1.0)
    return bags


def describe(state) -> str:
    """The state's factors in words, e.g. 'large red circle, top left'."""
    shape, colour, size, position = (int(v) for v in state)
    row, col = divmod(position, GRID)
    rows, cols = ("top", "middle", "bottom"), ("left", "centre", "right")
    return f"{list(SIZES)[size]} {list(COLOURS)[colour]} {SHAPES[shape]}, {rows[row]} {cols[col]}"


def related(states, rng: np.random.Generator, p_same: float = 0.5) -> np.ndarray:
    """For each state, a co-occurring one: itself with probability ``p_same``, else one random factor
    changed to another value. ``(n, 4)`` ints."""
    states = _check_states(states).copy()
    change = rng.random(len(states)) >= p_same
    factor = rng.integers(0, 4, len(states))
    for i in np.flatnonzero(change):
        f = factor[i]
        states[i, f] = (states[i, f] + rng.integers(1, N_VALUES[f])) % N_VALUES[f]
    return states


def split_states(held_out: float = 1 / 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """All states split at random into ``(train_states, held_out_states)``; no encoder sees held-out states."""
    if not 0 < held_out < 1:
        raise ValueError(f"held_out must be a fraction in (0, 1), got {held_out}")
    states = all_states()
    order = config.rng(seed).permutation(len(states))
    cut = round(len(states) * (1 - held_out))
    return states[np.sort(order[:cut])], states[np.sort(order[cut:])]


# ---------------------------------------------------------------- encoders and training
@dataclass
class Encoders:
    """An image and a text encoder, each a ``SeedMLP`` of S seeds; ``embed_*`` give ``(S, n, d)``
    L2-normalised vectors."""

    image: SeedMLP
    text: SeedMLP

    @torch.no_grad()
    def embed_images(self, images) -> torch.Tensor:
        return F.normalize(self.image.forward(images), dim=-1)

    @torch.no_grad()
    def embed_texts(self, bags) -> torch.Tensor:
        return F.normalize(self.text.forward(bags), dim=-1)

    def select(self, index) -> Encoders:
        """The encoder pairs at positions ``index`` (see ``SeedMLP.select``)."""
        return Encoders(self.image.select(index), self.text.select(index))


def make_encoders(width: int, seeds, dim: int = 32) -> Encoders:
    """Fresh (untrained) image and text encoders: two hidden layers of ``width``, output ``dim``."""
    width, dim = _check_int("width", width), _check_int("dim", dim)
    text_seeds = [s + 100_003 for s in seeds]  # the text encoder's init differs from the image encoder's
    return Encoders(SeedMLP((IMAGE_DIM, width, width, dim), seeds),
                    SeedMLP((len(VOCAB), width, width, dim), text_seeds))


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE of paired batches ``(S, B, d)``: row i of a should pick row i of b among b's rows,
    and back. One loss per network, ``(S,)``, mean over the batch (nats)."""
    a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    logits = a @ b.transpose(1, 2) / temperature  # (S, B, B)
    target = torch.arange(a.shape[1]).expand(a.shape[0], -1)
    return (F.cross_entropy(logits.transpose(1, 2), target, reduction="none").mean(dim=1)
            + F.cross_entropy(logits, target, reduction="none").mean(dim=1)) / 2


def _cross_weights(cross_weight, n: int) -> torch.Tensor:
    values = [cross_weight] * n if isinstance(cross_weight, (int, float)) else list(cross_weight)
    if len(values) != n or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                   and v >= 0 for v in values):
        raise ValueError(f"cross_weight must be a number >= 0 or one per network ({n}), got {cross_weight!r}")
    return torch.tensor(values, dtype=torch.float32)


def fit_world(enc: Encoders, train_states, *, steps: int, batch_size: int = 64, lr: float = 3e-3,
              cross_weight: float | Sequence[float] = 0.0, seed: int = 0, progress: bool = False,
              desc: str = "world") -> list[float]:
    """Train both encoders of every network for ``steps`` Adam steps on renderings of ``train_states``.

    Every step draws ``batch_size`` states and a related state for each, and
    renders both as images and as captions (fresh noise and words each time);
    all networks see the same batches. Loss of network s = InfoNCE(image,
    related image) + InfoNCE(caption, related caption) + ``cross_weight[s]`` x
    [InfoNCE(image, related caption) + InfoNCE(caption, related image)].
    ``cross_weight`` 0: the two encoders never meet (separate training); one
    number or one per network, so separate and paired training can share a
    batch. Returns the summed loss per step.
    """
    from tqdm.auto import tqdm

    steps, batch_size = _check_int("steps", steps), _check_int("batch_size", batch_size, 2)
    weights = _cross_weights(cross_weight, enc.image.n_seeds)
    train_states = _check_states(train_states)
    rng = config.rng(seed)
    params = enc.image.parameters() + enc.text.parameters()
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=lr)
    losses = []
    for _ in tqdm(range(steps), desc=desc, disable=not progress, leave=False):
        anchor = train_states[rng.integers(0, len(train_states), batch_size)]
        positive = related(anchor, rng)
        img_a, img_p = (torch.from_numpy(render_images(s, rng)) for s in (anchor, positive))
        txt_a, txt_p = (torch.from_numpy(caption_bags(s, rng)) for s in (anchor, positive))
        zi_a, zi_p = enc.image.forward(img_a), enc.image.forward(img_p)
        zt_a, zt_p = enc.text.forward(txt_a), enc.text.forward(txt_p)
        per_net = info_nce(zi_a, zi_p) + info_nce(zt_a, zt_p)
        if bool((weights > 0).any()):
            per_net = per_net + weights * (info_nce(zi_a, zt_p) + info_nce(zt_a, zi_p))
        loss = per_net.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    for p in params:
        p.requires_grad_(False)
    return losses


def fit_world_cached(width: int, seeds, train_states, *, steps: int, batch_size: int = 64, lr: float = 3e-3,
                     cross_weight: float | Sequence[float] = 0.0, seed: int = 0, progress: bool = False,
                     desc: str = "world") -> tuple[Encoders, bool]:
    """``fit_world`` on fresh ``make_encoders(width, seeds)``, or the identical finished run from the cache."""
    weights = _cross_weights(cross_weight, len(list(seeds))).tolist()
    key = cache_key(kind="world", width=width, seeds=list(seeds), steps=steps, batch_size=batch_size, lr=lr,
                    cross_weight=weights, seed=seed, states=fingerprint(np.asarray(train_states)))
    path = config.cache_dir() / "toymodels" / f"{key}.pt"
    if path.exists():
        state = torch.load(path, weights_only=True)
        return Encoders(SeedMLP.from_state(state["image"]), SeedMLP.from_state(state["text"])), True
    enc = make_encoders(width, seeds)
    fit_world(enc, train_states, steps=steps, batch_size=batch_size, lr=lr, cross_weight=weights, seed=seed,
              progress=progress, desc=desc)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"image": enc.image.state(), "text": enc.text.state()}, path)
    return enc, False


def probe_accuracy(train_vectors, train_states, test_vectors, test_states) -> float:
    """How much of the world an embedding holds: a linear probe per factor (ridge-regression classifier,
    one-vs-rest least squares), fitted on ``train_vectors (n, d)`` of training states and scored on
    ``test_vectors (m, d)`` of held-out states; the mean accuracy over the four factors
    (chance: 0.2, 0.2, 0.33, 0.11 — about 0.21 on average)."""
    from sklearn.linear_model import RidgeClassifier

    train_states, test_states = _check_states(train_states), _check_states(test_states)
    xtr, xte = np.asarray(train_vectors, dtype=np.float64), np.asarray(test_vectors, dtype=np.float64)
    if xtr.ndim != 2 or xte.ndim != 2 or xtr.shape[0] != len(train_states) or xte.shape[0] != len(test_states):
        raise ValueError("train_vectors/test_vectors must be 2-D with one row per state of train_states/test_states")
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(f"train_vectors and test_vectors must have the same width, got {xtr.shape[1]} and {xte.shape[1]}")
    return float(np.mean([RidgeClassifier(alpha=1.0).fit(xtr, train_states[:, f]).score(xte, test_states[:, f])
                          for f in range(4)]))
