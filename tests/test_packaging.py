"""Binder installs nbkit with ``--no-deps`` from ``binder/requirements.txt``: that file must pin every dependency."""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11 (3.10: skipped)

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_binder_requirements_pin_every_dependency():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [ln for ln in (REPO / "binder" / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    pinned = {_name(ln): ln for ln in lines}
    missing = sorted({_name(d) for d in deps} - set(pinned) - {"torch"})  # torch: postBuild, CPU index
    assert not missing, f"binder/requirements.txt lacks {missing}: Binder installs nbkit with --no-deps"
    loose = sorted(ln for ln in lines if "==" not in ln)
    assert not loose, f"binder/requirements.txt must pin exact versions, got {loose}"
