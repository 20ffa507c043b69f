import plotly.io as pio
import pytest

from nbkit import plots


def test_template_is_default_and_transparent():
    plots.use_template()
    assert pio.templates.default == plots.TEMPLATE_NAME
    assert pio.templates[plots.TEMPLATE_NAME].layout.paper_bgcolor == "rgba(0,0,0,0)"


def test_lines_and_log_axes():
    fig = plots.lines([1, 10, 100], {"a": [3, 2, 1], "b": [4, 3, 2]}, "t", "N (parameters)", "loss (bits)",
                      log_x=True)
    assert len(fig.data) == 2 and fig.layout.xaxis.type == "log"
    assert fig.layout.title.text == "t" and fig.layout.yaxis.title.text == "loss (bits)"
    fig2 = plots.lines({"a": [1, 2], "b": [1, 2, 3]}, {"a": [1, 2], "b": [3, 2, 1]}, "t", "x", "y")
    assert len(fig2.data[1].x) == 3


def test_bad_plot_input():
    with pytest.raises(ValueError, match="x_label"):
        plots.figure("title", "", "y")
    with pytest.raises(ValueError, match="series 'a'"):
        plots.lines([1, 2], {"a": [1]}, "t", "x", "y")
    with pytest.raises(ValueError, match="non-empty"):
        plots.lines([1], {}, "t", "x", "y")
    with pytest.raises(ValueError, match="2-D"):
        plots.heatmap([1, 2], "t", "x", "y")


def test_heatmap():
    fig = plots.heatmap([[0, 1], [1, 0]], "attention", "key position", "query position", colorbar="weight")
    assert fig.data[0].type == "heatmap"


def test_lines_with_error_bars():
    fig = plots.lines([1, 2], {"a": [1.0, 2.0], "b": [3.0, 4.0]}, "t", "x (unit)", "y (unit)", errors={"a": [0.1, 0.2]})
    assert list(fig.data[0].error_y.array) == [0.1, 0.2] and fig.data[1].error_y.array is None
    with pytest.raises(ValueError, match="errors"):
        plots.lines([1, 2], {"a": [1.0, 2.0]}, "t", "x (unit)", "y (unit)", errors={"a": [0.1]})
