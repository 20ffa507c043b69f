"""A small sparse autoencoder: a model's activations as a sum of a few learned "feature" directions.

Bricken et al. (2023) and Templeton et al. (2024) train such dictionaries on a
language model's activations and find features that fire for one concept
(the "Golden Gate Bridge" feature). This is the same recipe at toy scale:

    f = ReLU(W_e (x - b_d) + b_e)          features, mostly zero
    x̂ = W_d f + b_d                        reconstruction; columns of W_d have unit length
    loss = |x - x̂|² + l1 · Σ|f|            reconstruct well, with few active features
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import config


class SparseAutoencoder(nn.Module):
    """``d_in`` → ``n_features`` (ReLU) → ``d_in``, decoder columns kept at unit length."""

    def __init__(self, d_in: int, n_features: int):
        super().__init__()
        self.encoder = nn.Linear(d_in, n_features)
        self.decoder = nn.Linear(n_features, d_in)
        with torch.no_grad():
            self.decoder.weight.copy_(self.encoder.weight.T)
            self.normalise_decoder()
            self.encoder.bias.zero_()
            self.decoder.bias.zero_()

    @torch.no_grad()
    def normalise_decoder(self) -> None:
        """Unit-length feature directions, so sparsity can't be bought by shrinking f and growing W_d."""
        self.decoder.weight /= self.decoder.weight.norm(dim=0, keepdim=True).clamp_min(1e-8)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature activations ``(n, n_features)`` for activations ``x`` ``(n, d_in)``."""
        return torch.relu(self.encoder(x - self.decoder.bias))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return self.decoder(f), f


@dataclass
class SAEResult:
    """A trained SAE and how well it works: explained variance (0-1), mean active features per input, dead features."""

    model: SparseAutoencoder
    explained_variance: float
    mean_active: float
    dead: int


def train_sae(x, n_features: int = 256, l1: float = 3e-2, steps: int = 1500, lr: float = 3e-3,
              seed: int = 0) -> SAEResult:
    """Train a sparse autoencoder on activations ``x`` ``(n, d)`` (full batch, Adam).

    The inputs are centred and scaled to unit mean squared norm first, so ``l1``
    means the same for any model. Returns an ``SAEResult`` (its model expects
    the same scaling: use ``sae_features``).
    """
    x = _check_x(x)
    for name, value in (("n_features", n_features), ("steps", steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    for name, value in (("l1", l1), ("lr", lr)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (name == "lr" and value == 0):
            raise ValueError(f"{name} must be a finite number >= 0 (lr > 0), got {value!r}")
    config.seed_everything(seed)
    data = torch.from_numpy(_scale(x))
    model = SparseAutoencoder(data.shape[1], int(n_features))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(int(steps)):
        recon, f = model(data)
        loss = (recon - data).pow(2).sum(1).mean() + l1 * f.abs().sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.normalise_decoder()
    with torch.no_grad():
        recon, f = model(data)
        ev = 1 - (recon - data).pow(2).sum() / (data - data.mean(0)).pow(2).sum()
        active = (f > 0).float()
    return SAEResult(model, float(ev), float(active.sum(1).mean()), int((active.sum(0) == 0).sum()))


def _check_x(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"x must be a 2-D array of >= 2 activation vectors (n, d), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x holds NaN or infinite values")
    return x


def _scale(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(0)
    return (centred / math.sqrt(max((centred**2).sum(1).mean(), 1e-12))).astype(np.float32)


@torch.no_grad()
def sae_features(result: SAEResult, x) -> np.ndarray:
    """Feature activations ``(n, n_features)`` of ``x`` (scaled as in training: centred on x's own mean)."""
    return result.model.features(torch.from_numpy(_scale(_check_x(x)))).numpy()


def top_purity(activations, labels, top: int = 10, min_active: int = 10) -> float:
    """Mean share of the modal label among each feature's ``top`` strongest inputs.

    activations: ``(n, F)``; labels ``(n,)``. Only features active on at
    least ``min_active`` inputs count. A feature that stands for a concept
    tied to a label is pure (1.0); chance is about the largest class share.
    """
    acts = np.asarray(activations)
    labels = np.asarray(labels)
    if acts.ndim != 2 or len(labels) != len(acts):
        raise ValueError(f"activations must be (n, F) with one label per row; got {acts.shape} and {len(labels)} labels")
    live = np.where((acts > 0).sum(0) >= min_active)[0]
    if len(live) == 0:
        raise ValueError(f"no feature is active on >= {min_active} inputs")
    shares = []
    for f in live:
        best = np.argsort(-acts[:, f], kind="stable")[:top]
        shares.append(np.bincount(labels[best]).max() / len(best))
    return float(np.mean(shares))
