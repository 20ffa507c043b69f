"""HTML cards for claims and verdicts, and the claim map; all also read well as plain text (nbval, terminals).

Everything here inherits the theme's text colour and only tints borders and
status badges, so it reads the same in JupyterLab's light and dark themes and
in the static book. Every cell is left-aligned explicitly: JupyterLab's table
style right-aligns cells and centres tables.
"""

from __future__ import annotations

import html
import itertools

STATUS_COLOURS = {
    "supported": "#2e7d32",
    "partly supported": "#b26a00",
    "not supported": "#c62828",
    "context only": "#546e7a",
    "not yet measured": "#757575",
}
UNMEASURED = "not yet measured"
MAP_COLUMNS = ("id", "notebook", "claim", "status", "profile", "evidence")

_CELL = "padding:3px 12px 3px 0;text-align:left;vertical-align:top;border:none;background:none"
_TABLE = "margin:4px 0 0 0;border-collapse:collapse;table-layout:auto;width:auto"
_ids = itertools.count()


class Card:
    """Shown as HTML in Jupyter and as text in ``repr`` (what nbval and terminals see)."""

    def __init__(self, html_text: str, plain: str):
        self._html, self._plain = html_text, plain

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._plain


def card(title: str, colour: str, rows: list[tuple[str, str]]) -> Card:
    """A left-aligned card: a coloured bar, a title, and label/value rows.

    rows: (label, text) pairs; text is escaped. Readable in light and dark themes
    because it inherits the theme's text colour and only tints the border.
    """
    body = "".join(
        f"<tr style='background:none'><td style='{_CELL};opacity:.75;white-space:nowrap'>{html.escape(k)}</td>"
        f"<td style='{_CELL};white-space:pre-wrap;max-width:60em'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    html_text = (
        f"<div style='border-left:6px solid {colour};padding:6px 12px;margin:6px 0;text-align:left'>"
        f"<b>{html.escape(title)}</b><table style='{_TABLE}'>{body}</table></div>"
    )
    width = max((len(k) for k, _ in rows), default=0)
    plain = "\n".join([f"[{title}]"] + [f"  {k:>{width}}: {v}" for k, v in rows])
    return Card(html_text, plain)


def status_badge(status: str) -> str:
    """A status as a small coloured label (white text on the status colour): HTML."""
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS[UNMEASURED])
    return (f"<span style='background:{colour};color:#fff;border-radius:3px;padding:1px 7px;"
            f"white-space:nowrap'>{html.escape(status)}</span>")


def _map_row(r: dict, link_suffix: str | None) -> str:
    notebook = html.escape(r["notebook"])
    link = f"<a href='{notebook}{html.escape(link_suffix)}'>{notebook}</a>" if link_suffix is not None else notebook
    numbers = ", ".join(f"{k} = {v:g}" for k, v in (r.get("numbers") or {}).items())
    because = (f"because {r['condition']}" if r.get("condition") else "") + (f" with {numbers}" if numbers else "")
    profile = html.escape(r.get("scale") or "—")
    return (
        f"<tr data-notebook='{notebook}' data-status='{html.escape(r['status'])}'>"
        f"<td style='{_CELL};white-space:nowrap;font-weight:bold'>{html.escape(r['id'])}</td>"
        f"<td style='{_CELL};white-space:nowrap'>{link}</td>"
        f"<td style='{_CELL};min-width:18em;max-width:34em'>{html.escape(r['claim'])}"
        f"<div style='opacity:.7;font-size:90%'>{html.escape(r.get('source') or '')}</div></td>"
        f"<td style='{_CELL}' title='{html.escape(because)}'>{status_badge(r['status'])}</td>"
        f"<td style='{_CELL}'>{profile}</td>"
        f"<td style='{_CELL};min-width:14em;max-width:34em'>{html.escape(r.get('evidence') or '')}</td></tr>"
    )


def _filter_script(table_id: str, rows: list[dict]) -> str:
    """Two <select>s that hide rows by notebook and status: for pages without a kernel (the static book)."""
    def select(column: str, values: list[str]) -> str:
        options = "".join(f"<option>{html.escape(v)}</option>" for v in ["all"] + values)
        return (f"<label style='margin-right:16px'>{column} <select data-filter='{column}' "
                f"onchange=\"nbkitFilter('{table_id}')\">{options}</select></label>")

    notebooks = sorted({r["notebook"] for r in rows})
    statuses = [s for s in STATUS_COLOURS if any(r["status"] == s for r in rows)]
    script = (
        "<script>function nbkitFilter(id){const t=document.getElementById(id);"
        "const f={};t.parentNode.querySelectorAll('select[data-filter]').forEach(s=>f[s.dataset.filter]=s.value);"
        "let n=0;t.querySelectorAll('tbody tr').forEach(r=>{const show=['notebook','status'].every("
        "k=>f[k]==='all'||r.dataset[k]===f[k]);r.style.display=show?'':'none';n+=show;});"
        "t.parentNode.querySelector('.nbkit-count').textContent=n+' shown';}</script>"
    )
    return (f"<div style='margin:4px 0'>{select('notebook', notebooks)}{select('status', statuses)}"
            f"<span class='nbkit-count' style='opacity:.7'>{len(rows)} shown</span></div>{script}")


def claim_map_html(rows: list[dict], link_suffix: str | None = ".ipynb", filters: bool = False) -> str:
    """The claim map as one HTML table: id, notebook (a link), claim, coloured status, profile, evidence.

    rows: ledger rows as given by ``nbkit.ledger.table``. link_suffix: appended
    to the notebook name to make the link (``".ipynb"`` in JupyterLab,
    ``".html"`` in the static book; None: no links). filters: add two menus
    (notebook, status) that filter rows in the browser without a kernel.
    """
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a list of ledger rows (dicts), e.g. nbkit.ledger.table()")
    if link_suffix is not None and not isinstance(link_suffix, str):
        raise TypeError(f"link_suffix must be a string such as '.ipynb' or None, got {type(link_suffix).__name__}")
    table_id = f"nbkit-claim-map-{next(_ids)}"
    header = "".join(f"<th style='{_CELL};font-weight:bold;border-bottom:1px solid rgba(128,128,128,.5)'>{c}</th>"
                     for c in MAP_COLUMNS)
    body = "".join(_map_row(r, link_suffix) for r in rows)
    table = (f"<table id='{table_id}' style='{_TABLE}'><thead><tr style='background:none'>{header}</tr></thead>"
             f"<tbody>{body}</tbody></table>")
    return f"<div style='text-align:left'>{_filter_script(table_id, rows) if filters else ''}{table}</div>"


def claim_map_text(rows: list[dict]) -> str:
    """The claim map as plain text, one claim per line (what nbval and terminals show)."""
    if not rows:
        return "(no claims match)"
    width = max(len(r["id"]) for r in rows)
    return "\n".join(f"{r['id']:<{width}}  {r['status']:<17} [{r.get('scale') or '—'}]  {r['notebook']}: {r['claim']}"
                     for r in rows)


def _choose(value, known: list[str], what: str) -> str | None:
    if value is None or value == "all":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string (or None for all), got {type(value).__name__}")
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}; choose 'all' or one of: {', '.join(known)}")
    return value


def claim_map(notebook: str | None = None, status: str | None = None, scale: str | None = None,
              link_suffix: str | None = ".ipynb") -> Card:
    """Every claim with its newest verdict, as a readable table; optionally only one notebook or status.

    notebook: ``'01'`` or ``'01_rnn_to_transformer'`` (None or ``'all'``: every
    notebook). status: a verdict status or ``'not yet measured'`` (None/``'all'``:
    every status). scale: prefer verdicts of this profile (None: the newest of
    any profile). Reads the ledger with ``nbkit.ledger.table``.
    """
    from .. import ledger
    from .registry import NOTEBOOKS

    if isinstance(notebook, str) and notebook in NOTEBOOKS:
        notebook = NOTEBOOKS[notebook]
    notebook = _choose(notebook, list(NOTEBOOKS.values()), "notebook")
    status = _choose(status, list(STATUS_COLOURS), "status")
    rows = [r for r in ledger.table(scale=scale)
            if notebook in (None, r["notebook"]) and status in (None, r["status"])]
    if not rows:
        message = f"No claim matches notebook={notebook or 'all'}, status={status or 'all'}."
        return Card(f"<p style='text-align:left'>{html.escape(message)}</p>", message)
    return Card(claim_map_html(rows, link_suffix), claim_map_text(rows))


def claim_map_explorer(scale: str | None = None):
    """The claim map with two menus, notebook and status (ipywidgets); returns the displayed widget."""
    from IPython.display import display

    from .. import widgets
    from .registry import CLAIMS

    notebooks = ["all"] + sorted({c.notebook for c in CLAIMS.values()})
    return widgets.interact(lambda notebook, status: display(claim_map(notebook, status, scale)),
                            notebook=notebooks, status=["all"] + list(STATUS_COLOURS))
