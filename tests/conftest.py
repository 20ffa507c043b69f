import datetime as _dt
import os
from pathlib import Path

import pytest

from nbkit import config

#: The cache the notebooks of this session write to (before any test isolates its own).
SESSION_CACHE = os.environ.get("NBKIT_CACHE")
SESSION_START = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
NOTEBOOKS_RUN = pytest.StashKey[set]()


def pytest_collection_modifyitems(session, config, items):
    """Run the tests marked ``after_notebooks`` last (the browser test at the very end), and remember which
    notebooks this session runs."""
    config.stash[NOTEBOOKS_RUN] = {Path(str(i.fspath)).stem for i in items if str(i.fspath).endswith(".ipynb")}
    late = [i for i in items if i.get_closest_marker("after_notebooks")]
    late.sort(key=lambda i: i.get_closest_marker("browser") is not None)  # verdicts are compared before the browser runs
    items[:] = [i for i in items if not i.get_closest_marker("after_notebooks")] + late


def pytest_configure(config):
    config.addinivalue_line("markers", "after_notebooks: runs after the notebooks of the same session")


@pytest.fixture(scope="session", autouse=True)
def _threads():
    """Same torch thread policy as the notebooks (one thread on 2-core machines)."""
    config.set_threads()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch, request):
    """Every unit test gets its own cache dir and the smoke profile (not the after-notebooks checks)."""
    if request.node.get_closest_marker("after_notebooks"):
        return
    monkeypatch.setenv("NBKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NBKIT_SCALE", "smoke")


@pytest.fixture
def shared_smoke_cache(tmp_path_factory, monkeypatch):
    """One run cache for the tests that execute a real notebook (test_book, test_student): trained once."""
    path = tmp_path_factory.getbasetemp() / "shared-smoke-cache"
    path.mkdir(exist_ok=True)
    monkeypatch.setenv("NBKIT_CACHE", str(path))
    return path
