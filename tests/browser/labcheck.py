"""Open notebooks in JupyterLab in a real (headless) Chromium, run them, and check what a learner sees.

``LabSession`` serves a *copy* of the notebooks with JupyterLab from this
Python environment (so autosave can never write outputs into the repo),
drives Debian's ``chromium`` with Playwright's Python API, and for each
notebook:

1. opens it in a fresh workspace and runs all cells (``notebook:run-all-cells``);
2. saves it with the widget state, and counts in the saved file what the
   notebook produced: error outputs, plotly figures (also those inside
   ``interact`` outputs) and widget views;
3. counts in the page what rendered: ``.js-plotly-plot`` elements, widget
   views, "Error displaying widget", "Javascript Error", cut widget labels,
   the JupyterLab news pop-up;
4. takes screenshots (the whole notebook, light and dark theme).

``check`` returns a ``NotebookCheck`` whose ``problems`` list is empty when all
is well. Chromium runs with the flags in ``CHROMIUM_FLAGS`` and a fresh
profile; ``playwright install`` (which downloads browsers) is never needed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
KIT_OVERRIDES = REPO / "binder" / "overrides.json"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
# Settings for the test only, on top of the kit's overrides: keep every cell in the DOM (so figures can be
# counted), save widget state with the notebook (so figures inside interact outputs can be counted), no autosave.
TEST_OVERRIDES = {
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none", "scrollPastEnd": False},
}
PLOTLY_MIME = "application/vnd.plotly.v1+json"
SCREENSHOT_WIDTH = 1280
MAX_SHOT_HEIGHT = 15000  # Chromium cannot capture much more than 16k pixels in one image

# What the page shows, per cell of the open notebook (index = cell index in the notebook).
_DOM_FACTS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const visible = e => !!(e.offsetParent || e.getClientRects().length);
  const cells = panel.content.widgets.map((cell, i) => {
    if (cell.model.type !== 'code') return null;
    const area = cell.outputArea.node;
    const views = [];  // one per widget-view output of the cell: 'ok', 'hidden' (a closed widget) or 'broken: …'
    for (let j = 0; j < cell.outputArea.model.length; j++) {
      if (!(cell.outputArea.model.get(j).data || {})['application/vnd.jupyter.widget-view+json']) continue;
      const child = cell.outputArea.widgets[j];
      const out = child && child.node.querySelector('.jp-OutputArea-output');
      if (!out || !visible(out)) { views.push('hidden'); continue; }
      views.push(out.querySelector(':scope > .jupyter-widgets') ? 'ok'
                 : 'broken: ' + (out.textContent.trim().slice(0, 120) || 'nothing shown'));
    }
    const nestedBroken = Array.from(area.querySelectorAll('.jupyter-widgets .jupyter-widgets'))
      .filter(e => e.children.length === 0 && /Error displaying widget|Loading widget/.test(e.textContent))
      .map(e => 'broken inside a widget: ' + e.textContent.trim().slice(0, 120));
    const jsErrors = Array.from(area.querySelectorAll('.jp-OutputArea-output'))
      .filter(e => e.textContent.startsWith('Javascript Error')).map(e => e.textContent.slice(0, 200));
    const cutLabels = Array.from(area.querySelectorAll('.widget-label'))
      .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent);
    return {index: i, plots: area.querySelectorAll('.js-plotly-plot').length, views: views.concat(nestedBroken),
            jsErrors, cutLabels};
  });
  const toasts = Array.from(document.querySelectorAll('.Toastify__toast')).map(e => e.textContent);
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {cells, toasts, kernel: kernel ? kernel.status : 'none'};
}"""

_READY = """(path) => {
  const app = window.jupyterapp; const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== path || !panel.sessionContext) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

_RUN_ALL = """() => {
  window.__nbkitRun = null;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => { window.__nbkitRun = {ok}; }, err => { window.__nbkitRun = {error: String(err)}; });
}"""

_IDLE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !kernel || ['idle', 'dead', 'unknown'].includes(kernel.status);
}"""

_SETTLED = """() => {
  const loading = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
    .some(e => e.textContent.startsWith('Loading widget'));
  return [document.querySelectorAll('.js-plotly-plot').length, document.querySelectorAll('.jupyter-widgets').length,
          loading];
}"""


@dataclass
class NotebookCheck:
    """What one notebook produced and what rendered; ``problems`` is empty when all is well."""

    notebook: str
    seconds: float = 0.0
    figures_produced: int = 0
    figures_rendered: int = 0
    widgets_produced: int = 0
    widgets_rendered: int = 0
    problems: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: time, figures and widgets produced/rendered, number of problems."""
        return (f"{self.notebook}: {self.seconds:.0f} s, figures {self.figures_rendered}/{self.figures_produced}, "
                f"widgets {self.widgets_rendered}/{self.widgets_produced}, {len(self.problems)} problem(s)")


def chromium_path() -> str:
    """Debian's chromium (or ``NBKIT_CHROMIUM``); a clear error when it is not installed."""
    path = os.environ.get("NBKIT_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).is_file():
        raise RuntimeError(f"no Chromium at {path}: install Debian's package (apt-get install -y chromium) "
                           "or point NBKIT_CHROMIUM at a Chromium binary")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _is_figure(output: dict) -> bool:
    data = output.get("data", {})
    return PLOTLY_MIME in data or "plotly-graph-div" in str(data.get("text/html", ""))


def _source_head(cell) -> str:
    line = next((x for x in cell.source.splitlines() if x.strip()), "")
    return line[:60] + ("…" if len(line) > 60 else "")


def produced(nb) -> dict:
    """What a saved notebook holds: per code cell, figures and errors; plus those nested in widgets.

    Nested means inside Output widgets (``interact`` shows its results there),
    read from the widget state saved with the notebook.
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    cells = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        cells[i] = {
            "figures": sum(_is_figure(o) for o in outputs),
            "errors": [f"{o.get('ename')}: {o.get('evalue', '')[:200]}" for o in outputs if o.output_type == "error"],
            "executed": cell.execution_count is not None,
        }
    nested_outputs = [o for m in state.values() if m.get("model_name") == "OutputModel"
                      for o in m.get("state", {}).get("outputs", [])]
    nested = {"figures": sum(_is_figure(o) for o in nested_outputs),
              "errors": [f"{o.get('ename')}: {o.get('evalue', '')[:200]}" for o in nested_outputs
                         if o.get("output_type") == "error"]}
    return {"cells": cells, "nested": nested}


def compare(name: str, nb, made: dict, page: dict) -> NotebookCheck:
    """Turn what the notebook produced and what the page rendered into a list of problems."""
    result = NotebookCheck(name)
    shown = {c["index"]: c for c in page["cells"] if c}
    for i, facts in made["cells"].items():
        where = f"{name} cell {i} ({_source_head(nb.cells[i])})"
        dom = shown.get(i, {"plots": 0, "views": [], "jsErrors": [], "cutLabels": []})
        result.problems += [f"{where}: error output {e}" for e in facts["errors"]]
        result.problems += [f"{where}: {e}" for e in dom["jsErrors"]]
        result.problems += [f"{where}: widget did not render ({v})" for v in dom["views"] if v.startswith("broken")]
        result.problems += [f"{where}: widget label cut: {label!r}" for label in dom["cutLabels"]]
        if dom["plots"] < facts["figures"]:
            result.problems.append(f"{where}: {facts['figures']} figure(s) produced, {dom['plots']} rendered")
    result.problems += [f"{name}: error output inside a widget: {e}" for e in made["nested"]["errors"]]
    result.figures_produced = sum(f["figures"] for f in made["cells"].values()) + made["nested"]["figures"]
    result.figures_rendered = sum(c["plots"] for c in shown.values())
    views = [v for c in shown.values() for v in c["views"] if v != "hidden"]
    result.widgets_produced, result.widgets_rendered = len(views), views.count("ok")
    if result.figures_rendered < result.figures_produced:
        result.problems.append(f"{name}: {result.figures_produced} figure(s) produced in all (inside widgets "
                               f"too), {result.figures_rendered} rendered")
    if not any(f["executed"] for f in made["cells"].values()) and made["cells"]:
        result.problems.append(f"{name}: no cell was executed")
    if page["kernel"] in ("dead", "unknown", "none"):
        result.problems.append(f"{name}: kernel is {page['kernel']} after the run")
    result.problems += [f"{name}: JupyterLab shows a pop-up: {t[:120]!r}" for t in page["toasts"]
                        if "news" in t.lower() or "update" in t.lower()]
    return result


class LabSession:
    """A JupyterLab server on a copy of some notebooks, and a headless Chromium driving it.

    files: repo-relative ``.ipynb`` paths copied (keeping their folders) into
    a fresh root. screenshots: folder for the PNGs. env: extra environment for
    the server and its kernels (e.g. ``NBKIT_SCALE``, ``NBKIT_CACHE``).
    """

    def __init__(self, files: list[Path], screenshots: Path, env: dict[str, str] | None = None,
                 work_dir: Path | None = None):
        if not files:
            raise ValueError("files must name at least one notebook to serve")
        self.files = [Path(f) for f in files]
        self.screenshots = Path(screenshots)
        self.env = dict(env or {})
        self.work = Path(work_dir or tempfile.mkdtemp(prefix="nbkit-lab-"))
        self.root = self.work / "root"
        self._server = None
        self._playwright = None
        self._browser = None
        self.base_url = ""

    # -- life cycle ---------------------------------------------------------------------------------------
    def __enter__(self):
        try:
            self._prepare()
            self._start_server()
            self._start_browser()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _prepare(self) -> None:
        for f in self.files:
            target = self.root / (f.relative_to(REPO) if f.is_absolute() else f)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / f if not f.is_absolute() else f, target)
        settings = self.work / "app-settings"
        settings.mkdir(parents=True, exist_ok=True)
        overrides = json.loads(KIT_OVERRIDES.read_text())
        for plugin, values in TEST_OVERRIDES.items():
            overrides.setdefault(plugin, {}).update(values)
        (settings / "overrides.json").write_text(json.dumps(overrides, indent=1))
        self.screenshots.mkdir(parents=True, exist_ok=True)

    def _start_server(self) -> None:
        port = _free_port()
        env = {**os.environ, **self.env}
        for name in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_RUNTIME_DIR",
                     "JUPYTER_CONFIG_DIR"):
            env[name] = str(self.work / name.lower())
        log = open(self.work / "lab.log", "w")  # noqa: SIM115 - the server writes to it while it runs
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={self.root}",
               "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.app_settings_dir={self.work / 'app-settings'}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self._server = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within 120 s:\n{self._log_tail()}")

    def _start_browser(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        # a persistent context on a fresh, empty profile folder: nothing from another run can leak in
        self._browser = self._playwright.chromium.launch_persistent_context(
            str(self.work / "chromium-profile"), executable_path=chromium_path(), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": SCREENSHOT_WIDTH, "height": 900})

    def _log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join((self.work / "lab.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def close(self) -> None:
        """Close the browser and stop the server and its kernels (only the processes this session started)."""
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        if self._server is not None and self._server.poll() is None:
            os.killpg(self._server.pid, signal.SIGTERM)
            try:
                self._server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._server.pid, signal.SIGKILL)
                self._server.wait()
        self._server = None

    def _shutdown_kernels(self) -> None:
        with urllib.request.urlopen(f"{self.base_url}/api/kernels", timeout=10) as answer:
            kernels = json.load(answer)
        for kernel in kernels:
            request = urllib.request.Request(f"{self.base_url}/api/kernels/{kernel['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()

    # -- one notebook -------------------------------------------------------------------------------------
    def check(self, path: str, timeout: float = 300, dark: bool = True) -> NotebookCheck:
        """Open ``path`` (relative to the served root), run it, compare, screenshot; returns the check.

        timeout: seconds allowed for running all cells. dark: also screenshot
        the notebook in JupyterLab's dark theme.
        """
        name = Path(path).stem
        page = self._browser.new_page()
        page.set_default_timeout(120_000)
        start = time.monotonic()
        try:
            page.goto(f"{self.base_url}/lab/workspaces/nbkit-{name}/tree/{path}?reset")
            page.wait_for_function(_READY, arg=path, timeout=120_000)
            page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
            page.evaluate(_RUN_ALL)
            finished = True
            try:
                page.wait_for_function("() => window.__nbkitRun !== null", timeout=timeout * 1000, polling=500)
                page.wait_for_function(_IDLE, timeout=60_000, polling=500)
            except Exception:  # noqa: BLE001 - a run past its time is a finding, reported below
                finished = False
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:interrupt-kernel')")
            seconds = time.monotonic() - start
            self._settle(page)
            page.evaluate("async () => { const p = window.jupyterapp.shell.currentWidget; await p.context.save(); }")
            facts = page.evaluate(_DOM_FACTS)
            nb = nbformat.read(self.root / path, as_version=4)
            result = compare(name, nb, produced(nb), facts)
            result.seconds = seconds
            if not finished:
                result.problems.insert(0, f"{name}: did not finish within {timeout:.0f} s")
            result.screenshots = self._screenshots(page, name, dark)
            return result
        finally:
            page.close()
            self._shutdown_kernels()

    @staticmethod
    def _settle(page, limit: float = 20.0) -> None:
        """Wait until no widget is still loading and the number of rendered figures stops changing."""
        deadline, last = time.monotonic() + limit, None
        while time.monotonic() < deadline:
            now = page.evaluate(_SETTLED)
            if now == last and not now[-1]:
                return
            last = now
            page.wait_for_timeout(700)

    def _screenshots(self, page, name: str, dark: bool) -> list[str]:
        shots = self._tall_shots(page, name)
        if dark:
            page.evaluate("async () => window.jupyterapp.commands.execute('apputils:change-theme', "
                          "{theme: 'JupyterLab Dark'})")
            page.wait_for_timeout(1500)
            shots += self._tall_shots(page, f"{name}-dark")
            page.evaluate("async () => window.jupyterapp.commands.execute('apputils:change-theme', "
                          "{theme: 'JupyterLab Light'})")
        return shots

    def _tall_shots(self, page, name: str) -> list[str]:
        """The whole notebook in as few PNGs as Chromium allows (a tall viewport, scrolled in steps)."""
        scroller = "window.jupyterapp.shell.currentWidget.content.node.querySelector('.jp-WindowedPanel-outer')"
        total = page.evaluate(f"() => {scroller}.scrollHeight")
        height = min(total + 200, MAX_SHOT_HEIGHT)
        page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": height})
        paths = []
        for part, top in enumerate(range(0, max(total, 1), MAX_SHOT_HEIGHT - 300)):
            page.evaluate(f"() => {{ {scroller}.scrollTop = {top}; }}")
            page.wait_for_timeout(800)
            path = self.screenshots / (f"{name}.png" if part == 0 else f"{name}-{part + 1}.png")
            page.screenshot(path=str(path))
            paths.append(str(path))
        page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": 900})
        page.evaluate(f"() => {{ {scroller}.scrollTop = 0; }}")
        return paths
