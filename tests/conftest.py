import pytest

from nbkit import config


@pytest.fixture(scope="session", autouse=True)
def _threads():
    """Same torch thread policy as the notebooks (one thread on 2-core machines)."""
    config.set_threads()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Every unit test gets its own cache dir and the smoke profile."""
    monkeypatch.setenv("NBKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NBKIT_SCALE", "smoke")
