"""One plotly look for the whole kit, and small helpers that use it.

The template has a transparent background, mid-grey text and grid lines and a
colour-blind-safe palette (Okabe-Ito), so figures read in both the light and
the dark JupyterLab themes. Every helper requires a title and axis labels with
units: a figure without them teaches less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "nbkit"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"]
_GREY = "#8a8a8a"


def _template() -> go.layout.Template:
    axis = {"gridcolor": "rgba(138,138,138,0.25)", "zerolinecolor": "rgba(138,138,138,0.5)",
                "linecolor": _GREY, "ticks": "outside", "tickcolor": _GREY, "title_standoff": 8}
    return go.layout.Template(layout=go.Layout(
        colorway=PALETTE,
        font={"family": "Inter, Helvetica, Arial, sans-serif", "size": 13, "color": _GREY},
        title={"x": 0.02, "xanchor": "left", "font": {"size": 16}},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis=axis, yaxis=axis,
        legend={"bgcolor": "rgba(0,0,0,0)"},
        margin={"l": 60, "r": 20, "t": 60, "b": 55},
        hovermode="closest",
        height=400,
    ))


def use_template() -> str:
    """Register the kit's template and make it plotly's default; returns its name."""
    pio.templates[TEMPLATE_NAME] = _template()
    pio.templates.default = TEMPLATE_NAME
    return TEMPLATE_NAME


def _check_labels(title: str, x_label: str, y_label: str) -> None:
    for name, value in (("title", title), ("x_label", x_label), ("y_label", y_label)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string (axis labels carry units, e.g. 'steps')")


def figure(title: str, x_label: str, y_label: str, log_x: bool = False, log_y: bool = False) -> go.Figure:
    """An empty figure in the kit's look, titled, with labelled (optionally log) axes."""
    _check_labels(title, x_label, y_label)
    use_template()
    fig = go.Figure()
    fig.update_layout(title=title, template=TEMPLATE_NAME)
    fig.update_xaxes(title=x_label, type="log" if log_x else "linear")
    fig.update_yaxes(title=y_label, type="log" if log_y else "linear")
    return fig


def lines(x: Sequence | Mapping[str, Sequence], ys: Mapping[str, Sequence], title: str,
          x_label: str, y_label: str, log_x: bool = False, log_y: bool = False,
          markers: bool = True, errors: Mapping[str, Sequence] | None = None) -> go.Figure:
    """One line per series: ``ys = {"LSTM": [...], "GPT": [...]}``.

    x: shared x values (length n), or a mapping with the same keys as ``ys``
    giving each series its own x. errors: optional series name -> error bar
    half-widths (e.g. the standard error over seeds), drawn as vertical bars.
    Returns the figure (call ``.show()``).
    """
    if not isinstance(ys, Mapping) or not ys:
        raise ValueError("ys must be a non-empty mapping: series name -> y values")
    fig = figure(title, x_label, y_label, log_x, log_y)
    for name, y in ys.items():
        xs = x[name] if isinstance(x, Mapping) else x
        if len(xs) != len(y):
            raise ValueError(f"series {name!r}: x has {len(xs)} values but y has {len(y)}")
        bars = None
        if errors is not None and name in errors:
            if len(errors[name]) != len(y):
                raise ValueError(f"series {name!r}: errors has {len(errors[name])} values but y has {len(y)}")
            bars = {"type": "data", "array": list(np.asarray(errors[name], dtype=float)), "visible": True}
        fig.add_trace(go.Scatter(x=list(xs), y=list(np.asarray(y, dtype=float)), name=str(name),
                                 mode="lines+markers" if markers else "lines", error_y=bars))
    return fig


def heatmap(z, title: str, x_label: str, y_label: str, x=None, y=None,
            colorbar: str = "", colorscale: str = "Viridis") -> go.Figure:
    """A heatmap of a 2-D array ``z`` (rows = y, columns = x)."""
    z = np.asarray(z, dtype=float)
    if z.ndim != 2:
        raise ValueError(f"z must be 2-D (rows, columns), got shape {z.shape}")
    fig = figure(title, x_label, y_label)
    fig.add_trace(go.Heatmap(z=z, x=x, y=y, colorscale=colorscale, colorbar={"title": colorbar}))
    fig.update_yaxes(autorange="reversed")
    return fig
