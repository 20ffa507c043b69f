"""HTML cards for claims and verdicts that also read well as plain text (nbval, terminals)."""

from __future__ import annotations

import html

STATUS_COLOURS = {
    "supported": "#2e7d32",
    "partly supported": "#b26a00",
    "not supported": "#c62828",
    "context only": "#546e7a",
    "not yet measured": "#757575",
}


class Card:
    """Shown as HTML in Jupyter and as text in ``repr`` (what nbval and terminals see)."""

    def __init__(self, html_text: str, plain: str):
        self._html, self._plain = html_text, plain

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._plain


def card(title: str, colour: str, rows: list[tuple[str, str]]) -> Card:
    """A left-aligned card: a coloured bar, a title, and label/value rows (values may hold pre-escaped HTML).

    rows: (label, text) pairs; text is escaped. Readable in light and dark themes
    because it inherits the theme's text colour and only tints the border.
    """
    cell = "padding:2px 10px 2px 0;text-align:left;vertical-align:top;border:none;background:none"
    body = "".join(
        f"<tr><td style='{cell};opacity:.7;white-space:nowrap'>{html.escape(k)}</td>"
        f"<td style='{cell};white-space:pre-wrap'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    html_text = (
        f"<div style='border-left:6px solid {colour};padding:6px 12px;margin:6px 0;text-align:left'>"
        f"<b>{html.escape(title)}</b><table style='margin:4px 0 0 0;border-collapse:collapse'>{body}</table></div>"
    )
    width = max((len(k) for k, _ in rows), default=0)
    plain = "\n".join([f"[{title}]"] + [f"  {k:>{width}}: {v}" for k, v in rows])
    return Card(html_text, plain)
