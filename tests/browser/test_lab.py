"""Every notebook, opened in JupyterLab in headless Chromium and run at smoke, shows no error, and all its
figures and widgets render (``make browser``; CI runs it after the notebooks, reusing their run cache).

Runs only with ``NBKIT_BROWSER=1`` (it needs Debian's ``chromium``). Screenshots of each notebook, light and
dark, go to ``build/screenshots/``. The fixture ``broken_figure.ipynb`` proves the check fails on a figure
or a widget that does not render, on a cut label and on an error output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from labcheck import REPO, LabSession

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
FIXTURE = Path("tests/browser/broken_figure.ipynb")
SCREENSHOTS = REPO / "build" / "screenshots"
# Read when this file is collected, before tests/conftest.py gives each test a private cache: the server's
# kernels must reuse the run cache that the notebook tests (nbval) just filled.
RUN_CACHE = os.environ.get("NBKIT_CACHE")
TIMEOUT = float(os.environ.get("NBKIT_BROWSER_TIMEOUT", "300"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.after_notebooks,  # in `make test` it reuses the run cache the notebooks (nbval) just filled
    pytest.mark.skipif(os.environ.get("NBKIT_BROWSER") != "1",
                       reason="real-browser test: run with NBKIT_BROWSER=1 (make browser)"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    env = {"NBKIT_SCALE": "smoke"}
    if RUN_CACHE:
        env["NBKIT_CACHE"] = RUN_CACHE
    files = [p.relative_to(REPO) for p in NOTEBOOKS] + [FIXTURE]
    with LabSession(files, SCREENSHOTS, env=env, work_dir=tmp_path_factory.mktemp("lab")) as session:
        yield session


def test_the_check_flags_broken_outputs(lab):
    result = lab.check(str(FIXTURE), timeout=120, dark=False)
    print(result.summary(), *result.problems, sep="\n  ")
    flagged = "\n".join(result.problems)
    assert "cell 2 (# BROKEN FIGURE" in flagged and "1 figure(s) produced, 0 rendered" in flagged
    assert "cell 3 (# BROKEN WIDGET" in flagged and "widget did not render" in flagged
    assert "cell 4 (# CUT LABEL" in flagged and "label cut: 'a long description here'" in flagged
    assert "cell 6 (# ERROR OUTPUT" in flagged and "ValueError: a deliberate error" in flagged
    # the good figure, nbkit's interact (label and the figure inside its output) are not flagged
    assert "cell 1 " not in flagged and "cell 5 " not in flagged
    assert result.figures_rendered == 2 and result.figures_produced == 3
    assert len(result.problems) == 5, result.problems  # the four above and the notebook-wide figure count


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_renders_in_jupyterlab(lab, path):
    result = lab.check(f"notebooks/{path.name}", timeout=TIMEOUT)
    print(result.summary())
    assert result.screenshots and all(Path(s).stat().st_size > 10_000 for s in result.screenshots)
    assert not result.problems, "\n".join(result.problems)
