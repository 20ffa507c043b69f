"""nbkit: the helper package behind the notebooks of the LLM claims kit.

The first cell of every notebook is ``import nbkit; nbkit.setup()``.
"""

from __future__ import annotations

import importlib.metadata as _md
import platform as _platform

from . import config
from .claims import claim_card, decide

__version__ = "0.1.0"
__all__ = ["__version__", "claim_card", "config", "decide", "setup"]


def _version(dist: str) -> str:
    try:
        return _md.version(dist)
    except _md.PackageNotFoundError:
        return "not installed"


def setup(seed: int | None = None, quiet: bool = False) -> dict:
    """Prepare a notebook: seed everything, pick device and threads, set the plot look.

    Prints one short line each for profile, device, seed and versions (unless
    ``quiet``) and returns the same facts as a dict.
    """
    import torch

    from . import plots

    seed = config.seed_everything(config.base_seed() if seed is None else seed)
    threads = config.set_threads()
    dev = config.device()
    plots.use_template()
    info = {
        "profile": config.scale(),
        "device": str(dev),
        "threads": threads,
        "seed": seed,
        "versions": {
            "python": _platform.python_version(),
            "nbkit": __version__,
            "torch": torch.__version__,
            "transformers": _version("transformers"),
            "plotly": _version("plotly"),
        },
    }
    if not quiet:
        gpu = f" ({torch.cuda.get_device_name(0)})" if dev.type == "cuda" else f" ({threads} threads)"
        print(f"profile : {info['profile']}   (set NBKIT_SCALE=smoke|default|full)")
        print(f"device  : {dev}{gpu}")
        print(f"seed    : {seed}")
        print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    return info
