"""A fixture shared by the tests that generate: SmolLM2 dequantized once per session, linked into each test's cache."""

import os

import pytest

from nbkit import llm


@pytest.fixture(scope="session")
def shared_llm_weights():
    """Dequantize SmolLM2 once per test session, into the session's real cache (reused by the notebooks)."""
    pytest.importorskip("gguf")
    try:
        llm.gguf_path()
    except ModuleNotFoundError as exc:
        pytest.skip(str(exc))
    from tests.conftest import SESSION_CACHE

    saved = os.environ.get("NBKIT_CACHE")
    if SESSION_CACHE:
        os.environ["NBKIT_CACHE"] = SESSION_CACHE
    else:
        os.environ.pop("NBKIT_CACHE", None)
    try:
        target = llm.weights_dir()
        if not (target / "config.json").is_file():
            llm._dequantize_to(target)
    finally:
        if saved is not None:
            os.environ["NBKIT_CACHE"] = saved
    return target


@pytest.fixture
def llm_weights(shared_llm_weights, monkeypatch):
    """Link the shared weights into this test's isolated cache and forget any generator loaded before."""
    link = llm.weights_dir()
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(shared_llm_weights, target_is_directory=True)
    monkeypatch.setattr(llm, "_LOADED", None)
    return link
