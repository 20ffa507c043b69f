"""A static HTML book of the notebooks: ``python -m nbkit book OUTDIR --scale default``.

Each notebook is executed headless (``nbkit.runner``; trained models come from
the run cache, so a warm cache makes this quick) and converted with
nbconvert's ``lab`` template into ``OUTDIR/<notebook>.html``. ``index.html``
lists the pages and shows the claim map with the verdicts just measured,
filterable by notebook and status. The site works from disk or any web server,
offline:

- plotly figures stay interactive: each becomes a ``<div>`` drawn by
  ``_static/plotly.min.js``, a copy of the plotly.js that ships with the plotly
  package (never fetched from a CDN);
- formulas are typeset by a local MathJax when the ``jupyter-server-mathjax``
  package is installed (copied to ``_static/mathjax``); without it they stay as
  TeX source;
- widgets need a running kernel, so each is replaced by what it showed at its
  starting values (the output of an ``interact``, the text of a progress bar)
  and a line naming the knob settings.
"""

from __future__ import annotations

import copy
import datetime as _dt
import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import config

STATIC = "_static"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"

# nbconvert's lab template with every remote script replaced: plotly.js from _static, no require.js,
# no widget manager, no mermaid, MathJax only from a local copy; a navigation bar on each page.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% from 'mathjax.html.j2' import mathjax %}
{%- block html_head_js_requirejs -%}<script src="_static/plotly.min.js"></script>{%- endblock -%}
{%- block jupyter_widgets -%}{%- endblock -%}
{%- block html_head_js_mermaidjs -%}{%- endblock -%}
{%- block html_head_js_mathjax -%}
{%- if resources.nbkit_mathjax -%}{{ mathjax(resources.nbkit_mathjax) }}{%- endif -%}
{%- endblock -%}
{%- block body_header -%}{{ super() }}{{ resources.nbkit_nav }}{%- endblock -%}
"""


@dataclass
class BookPage:
    """One notebook of the book: its page, whether it ran, time (s) and peak memory (MiB)."""

    notebook: str
    title: str
    page: str
    ok: bool
    wall_s: float
    peak_mib: float
    error: str = ""


@dataclass
class Book:
    """The written site: ``index`` (path of index.html) and its ``pages``."""

    index: Path
    pages: list[BookPage]

    @property
    def ok(self) -> bool:
        """True when every notebook ran without an error."""
        return all(p.ok for p in self.pages)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def plotly_to_html(output: dict) -> dict:
    """A plotly display output turned into an HTML one drawn by the page's local plotly.js.

    output: a notebook output holding ``application/vnd.plotly.v1+json``.
    Returns a new ``display_data`` output (``text/html`` + ``text/plain``).
    """
    import plotly.io as pio

    figure = output["data"][PLOTLY_MIME]
    height = (figure.get("layout") or {}).get("height") or 480
    div = pio.to_html(figure, include_plotlyjs=False, full_html=False, validate=False,
                      default_height=f"{height}px", config={"responsive": True})
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": div, "text/plain": "<plotly figure>"}}


def _widget_parts(model_id: str, state: dict, seen: set) -> tuple[list[dict], list[str], list[str]]:
    """(outputs of Output widgets, 'knob = value' lines, plain texts) of a widget and its children."""
    model = state.get(model_id)
    if model is None or model_id in seen:
        return [], [], []
    seen.add(model_id)
    name, st = model.get("model_name", ""), model.get("state", {})
    if name == "OutputModel":
        return list(st.get("outputs", [])), [], []
    outputs, knobs, texts = [], [], []
    for child in st.get("children", []):
        o, k, t = _widget_parts(str(child).removeprefix("IPY_MODEL_"), state, seen)
        outputs, knobs, texts = outputs + o, knobs + k, texts + t
    if name in ("HTMLModel", "LabelModel", "HTMLMathModel"):
        text = re.sub(r"<[^>]+>", "", html.unescape(str(st.get("value", "")))).strip()
        return outputs, knobs, texts + ([text] if text else [])
    if (st.get("description") and "value" in st) or "_options_labels" in st:
        value = st.get("value")
        if "_options_labels" in st and isinstance(st.get("index"), int):
            value = st["_options_labels"][st["index"]]
        knobs.append(f"{st.get('description') or name.removesuffix('Model')} = {value!r}")
    return outputs, knobs, texts


def static_outputs(outputs: list[dict], state: dict) -> list[dict]:
    """Outputs that need no kernel and no CDN: plotly → HTML, widgets → what they show at their start values.

    outputs: a code cell's outputs. state: the notebook's saved widget state
    (model id -> model). Widgets whose model was closed are dropped.
    """
    result = []
    for output in outputs:
        data = output.get("data", {})
        if PLOTLY_MIME in data:
            result.append(plotly_to_html(output))
        elif WIDGET_MIME in data:
            inner, knobs, texts = _widget_parts(data[WIDGET_MIME].get("model_id", ""), state, set())
            if knobs:
                note = ("<p style='opacity:.75;font-style:italic;text-align:left'>Interactive in the notebook; "
                        f"shown here at {html.escape(', '.join(knobs))}.</p>")
                result.append({"output_type": "display_data", "metadata": {},
                               "data": {"text/html": note, "text/plain": "(interactive)"}})
            if texts:
                result.append({"output_type": "stream", "name": "stdout", "text": " ".join(texts) + "\n"})
            result += static_outputs(inner, state)
        else:
            result.append(output)
    return result


def static_notebook(nb):
    """A copy of an executed notebook whose outputs render in a static page (see ``static_outputs``)."""
    if not hasattr(nb, "cells"):
        raise TypeError(f"nb must be a notebook read with nbformat, got {type(nb).__name__}")
    import nbformat

    out = copy.deepcopy(nb)
    state = out.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(o) for o in static_outputs(cell.outputs, state)]
    return out


def notebook_title(nb, fallback: str) -> str:
    """The text of the notebook's first Markdown heading, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def _nav(pages: list[tuple[str, str]], i: int) -> str:
    links = ["<a href='index.html'>contents &amp; claim map</a>"]
    if i > 0:
        links.append(f"<a href='{pages[i - 1][0]}.html'>← {html.escape(pages[i - 1][1])}</a>")
    if i + 1 < len(pages):
        links.append(f"<a href='{pages[i + 1][0]}.html'>{html.escape(pages[i + 1][1])} →</a>")
    return ("<nav style='padding:8px 16px;border-bottom:1px solid rgba(128,128,128,.4);font-family:sans-serif'>"
            + " · ".join(links) + "</nav>")


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", theme="light")
    exporter.raw_template = _TEMPLATE
    return exporter


def copy_static(outdir: Path) -> str | None:
    """Write plotly.js (and MathJax when installed) under ``outdir/_static``; returns the MathJax URL or None."""
    from plotly.offline import get_plotlyjs

    static = outdir / STATIC
    static.mkdir(parents=True, exist_ok=True)
    (static / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (source / "MathJax.js").is_file():
        return None
    shutil.copytree(source, static / "mathjax", dirs_exist_ok=True)
    return f"{STATIC}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"


def _index_html(pages: list[BookPage], rows: list[dict], scale: str, mathjax: str | None) -> str:
    from .claims.cards import STATUS_COLOURS, claim_map_html, status_badge
    from .runs import code_version

    notebook_rows = "".join(
        f"<tr><td><a href='{html.escape(p.page)}'>{html.escape(p.title)}</a></td><td>{html.escape(p.notebook)}</td>"
        f"<td>{'ran' if p.ok else 'FAILED'}</td><td>{p.wall_s:.0f} s</td><td>{p.peak_mib:.0f} MiB</td></tr>"
        for p in pages)
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUS_COLOURS}
    verdicts = " ".join(f"{status_badge(s)} {n}" for s, n in counts.items() if n)
    built = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    maths = "" if mathjax else "<p>(Formulas show as TeX: install <code>jupyter-server-mathjax</code> to typeset them.)</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claims about LLMs, measured</title>
<style>
:root {{ color-scheme: light dark; }}
body {{ font-family: system-ui, sans-serif; line-height: 1.45; margin: 0 auto; max-width: 1200px; padding: 16px 24px; }}
table {{ border-collapse: collapse; }}
main > table td, main > table th {{ text-align: left; padding: 3px 14px 3px 0; }}
tbody tr:nth-child(even) {{ background: rgba(128, 128, 128, .08); }}
a {{ color: #1e88e5; }}
</style></head>
<body><main>
<h1>Claims about LLMs, measured</h1>
<p>Every page is a notebook of the kit, executed at the <b>{html.escape(scale)}</b> profile on {built}
(code version {html.escape(code_version())}). The figures are interactive and everything works offline.</p>
{maths}
<h2>Notebooks</h2>
<table><thead><tr><th>notebook</th><th>file</th><th>run</th><th>time</th><th>peak memory</th></tr></thead>
<tbody>{notebook_rows}</tbody></table>
<h2>Verdicts</h2>
<p>{verdicts}</p>
<h2>Claim map</h2>
<p>Each claim with the verdict its notebook just recorded (hover a status for the rule that fired).</p>
{claim_map_html(rows, ".html", filters=True)}
</main></body></html>
"""


def build_book(outdir: str | Path, notebooks: list[str | Path] | None = None, scale: str = "default",
               timeout: int = 1800, executed_dir: str | Path | None = None, progress=print) -> Book:
    """Execute notebooks at ``scale`` and write the static site into ``outdir``; returns the ``Book``.

    notebooks: ``.ipynb`` paths (default: ``notebooks/*.ipynb``). timeout:
    seconds allowed per cell. executed_dir: where executed copies go (default
    ``build/executed``). progress: called with one line per notebook (None: silent).
    A notebook that fails still gets its page (showing the error); ``Book.ok`` says so.
    """
    import nbformat

    from . import ledger, runner

    if not isinstance(outdir, (str, Path)) or not str(outdir).strip():
        raise TypeError("outdir must be a folder path")
    scale = config._check_scale(scale)
    paths = [Path(p) for p in (notebooks if notebooks is not None else sorted(Path("notebooks").glob("*.ipynb")))]
    if not paths:
        raise ValueError("no notebooks given and none in ./notebooks; run from the kit's folder or name them")
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise FileNotFoundError(f"{path} is not a notebook file (.ipynb)")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    mathjax = copy_static(outdir)
    exporter = _exporter()
    runs_out = Path(executed_dir) if executed_dir is not None else runner.BUILD_DIR
    executed = []
    for path in paths:
        result = runner.run_notebook(path, scale=scale, timeout=timeout, out_dir=runs_out)
        nb = nbformat.read(result.executed, as_version=4)
        executed.append((path, result, nb))
        if progress:
            progress(f"{'ok  ' if result.ok else 'FAIL'} {path.stem}  {result.wall_s:6.1f} s  "
                     f"peak {result.peak_mib:6.0f} MiB")
    titles = [(path.stem, notebook_title(nb, path.stem)) for path, _, nb in executed]
    pages = []
    for i, (path, result, nb) in enumerate(executed):
        resources = {"metadata": {"name": titles[i][1]}, "nbkit_nav": _nav(titles, i), "nbkit_mathjax": mathjax}
        body, _ = exporter.from_notebook_node(static_notebook(nb), resources=resources)
        (outdir / f"{path.stem}.html").write_text(body, encoding="utf-8")
        pages.append(BookPage(path.stem, titles[i][1], f"{path.stem}.html", result.ok, result.wall_s,
                              result.peak_mib, result.error))
    built = {p.notebook for p in pages}
    rows = [r for r in ledger.table(scale=scale) if r["notebook"] in built]
    index = outdir / "index.html"
    index.write_text(_index_html(pages, rows, scale, mathjax), encoding="utf-8")
    return Book(index, pages)


def add_command(sub) -> None:
    """Register ``python -m nbkit book OUTDIR [--scale S] [NOTEBOOK ...]`` on an argparse subparsers object."""
    parser = sub.add_parser("book", help="execute the notebooks and write a static HTML site (works offline)")
    parser.add_argument("outdir", help="folder for the site (index.html and one page per notebook)")
    parser.add_argument("notebooks", nargs="*", help=".ipynb files (default: notebooks/*.ipynb)")
    parser.add_argument("--scale", choices=config.SCALES, default="default", help="profile (default: default)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")


def command(args) -> int:
    """Run the ``book`` subcommand; returns the exit status (1 when a notebook failed)."""
    try:
        result = build_book(args.outdir, args.notebooks or None, scale=args.scale, timeout=args.timeout)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}")
        return 2
    for page in result.pages:
        if not page.ok:
            print(f"FAILED {page.notebook}:\n  " + page.error.replace("\n", "\n  "))
    print(f"book: {result.index} ({len(result.pages)} notebook pages)")
    return 0 if result.ok else 1
