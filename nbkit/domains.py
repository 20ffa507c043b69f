"""Real data of several kinds, all shipped with Python or the kit's own packages: what compresses how well?

A compression ratio is a property of a compressor AND of the data. To see how
much each contributes, notebook 03 compresses real files of five kinds, chosen
by a fixed rule (files in name order, cut at ``max_bytes``) before anything was
measured:

=========================  =========================================================
``prose``                  English: the held-out documents of ``nbkit.corpus``
``python``                 Python source of the standard-library modules whose
                           docstrings are held out (so the models never saw them);
                           any module when the models read only the ``topics`` corpus
``csv``                    the CSV tables bundled with scikit-learn (``sklearn.datasets``)
``json``                   JupyterLab's settings schemas (``jupyterlab/schemas``)
``markup``                 HTML and reStructuredText: IDLE's help page and the
                           dataset descriptions bundled with scikit-learn
=========================  =========================================================
"""

from __future__ import annotations

import gzip
import sysconfig
from pathlib import Path

DOMAINS = ("prose", "python", "csv", "json", "markup")
DESCRIPTIONS = {
    "prose": "English prose (held-out documentation)",
    "python": "Python source (held-out stdlib modules)",
    "csv": "CSV tables (scikit-learn datasets)",
    "json": "JSON (JupyterLab settings schemas)",
    "markup": "HTML / reST markup (IDLE help, dataset descriptions)",
}


def sample_bytes() -> int:
    """How many bytes of each domain notebook 03 compresses: 16 KiB at smoke, 128 KiB otherwise."""
    from . import config

    return config.pick(16_384, 131_072, 131_072)


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _join(paths, max_bytes: int) -> bytes:
    """The files' bytes in the given order, separated by a newline, cut at ``max_bytes``."""
    out = bytearray()
    for path in paths:
        if len(out) >= max_bytes:
            break
        out += _read(path) + b"\n"
    return bytes(out[:max_bytes])


def _package_dir(name: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def source_files(split) -> list[Path]:
    """Standard-library source files whose text the models behind ``split`` never trained on, in name order.

    split: a ``nbkit.corpus.Split``. With the ``docs`` corpus (document ids
    ``docs:<path relative to the stdlib>``): the modules whose docstrings are
    held out. With ``topics`` (the Language Reference only, no module text):
    every module, skipping test suites and GUI demos.
    """
    from .corpus import _SKIP_DIRS

    root = Path(sysconfig.get_paths()["stdlib"])
    if not any(d.id.startswith("docs:") for d in [*split.train_docs, *split.val_docs]):
        return [f for f in sorted(root.rglob("*.py")) if not _SKIP_DIRS.intersection(f.relative_to(root).parts)]
    rel = sorted(d.id.split(":", 1)[1] for d in split.val_docs if d.id.startswith("docs:"))
    return [root / r for r in rel if (root / r).is_file()]


def domain_bytes(name: str, split, max_bytes: int) -> bytes:
    """Up to ``max_bytes`` of real data of the kind ``name`` (one of ``DOMAINS``).

    split: the ``nbkit.corpus.Split`` the models were trained on: ``prose`` is
    its held-out text, ``python`` the source of modules they never saw
    (``source_files``). Raises ``ValueError`` for an unknown name or when the
    files of a domain are missing on this machine.
    """
    if name not in DOMAINS:
        raise ValueError(f"unknown domain {name!r}; choose one of {', '.join(DOMAINS)}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1024:
        raise ValueError(f"max_bytes must be an int >= 1024, got {max_bytes!r}")
    if name == "prose":
        data = split.val_text.encode("utf-8")[:max_bytes]
    elif name == "python":
        data = _join(source_files(split), max_bytes)
    else:
        sklearn_data = _package_dir("sklearn")
        paths: list[Path] = []
        if name == "csv" and sklearn_data is not None:
            paths = sorted((sklearn_data / "datasets" / "data").glob("*.csv*"))
        elif name == "json":
            lab = _package_dir("jupyterlab")
            paths = sorted((lab / "schemas").rglob("*.json")) if lab is not None else []
        elif name == "markup":
            idle_help = Path(sysconfig.get_paths()["stdlib"]) / "idlelib" / "help.html"
            paths = ([idle_help] if idle_help.is_file() else []) + (
                sorted((sklearn_data / "datasets" / "descr").glob("*.rst")) if sklearn_data is not None else [])
        data = _join(paths, max_bytes)
    if len(data) < 1024:
        raise ValueError(f"domain {name!r} has only {len(data)} bytes on this machine (are its packages "
                         "installed?)")
    return data


def all_domains(split, max_bytes: int) -> dict[str, bytes]:
    """Every domain of ``DOMAINS`` -> its bytes (see ``domain_bytes``)."""
    return {name: domain_bytes(name, split, max_bytes) for name in DOMAINS}
