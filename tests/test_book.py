"""The static book: pages that need no kernel and no CDN, an index with the claim map, built at smoke."""

import html
import re
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from nbkit import book, cli

REPO = Path(__file__).resolve().parents[1]
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|cdn\.|unpkg|jsdelivr|cdnjs""", re.IGNORECASE)


def _widget_state():
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    return {
        "box": model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_menu", "IPY_MODEL_out"]),
        "slider": model("FloatSliderModel", description="temperature", value=0.7),
        "menu": model("DropdownModel", description="notebook", index=1, _options_labels=["all", "03_compression"]),
        "out": model("OutputModel", outputs=[
            {"output_type": "stream", "name": "stdout", "text": "sampled text\n"},
            {"output_type": "display_data", "metadata": {},
             "data": {book.PLOTLY_MIME: {"data": [{"type": "bar", "y": [1, 2]}], "layout": {"title": {"text": "t"}}}}},
        ]),
        "bar": model("HBoxModel", children=["IPY_MODEL_left", "IPY_MODEL_right"]),
        "left": model("HTMLModel", value="train: 100%"),
        "right": model("HTMLModel", value="400/400 [00:05&lt;00:00]"),
    }


def _view(model_id):
    return new_output("display_data", data={book.WIDGET_MIME: {"model_id": model_id, "version_major": 2,
                                                               "version_minor": 0}, "text/plain": "widget"})


def test_static_notebook_inlines_widgets_and_plotly():
    nb = new_notebook(cells=[new_code_cell("interact(...)"), new_code_cell("train(...)"), new_code_cell("gone")])
    nb.cells[0].outputs = [_view("box")]
    nb.cells[1].outputs = [_view("bar")]
    nb.cells[2].outputs = [_view("closed-progress-bar")]
    nb.metadata["widgets"] = {book.WIDGET_STATE: {"state": _widget_state(), "version_major": 2, "version_minor": 0}}
    static = book.static_notebook(nb)
    assert "widgets" not in static.metadata and "widgets" in nb.metadata  # the input is not changed
    note, text, figure = static.cells[0].outputs
    shown = html.unescape(note.data["text/html"])
    assert "temperature = 0.7" in shown and "notebook = '03_compression'" in shown
    assert text.text == "sampled text\n"
    assert "plotly-graph-div" in figure.data["text/html"] and "Plotly.newPlot" in figure.data["text/html"]
    assert not REMOTE.search(figure.data["text/html"])
    assert static.cells[1].outputs[0].text == "train: 100% 400/400 [00:05<00:00]\n"
    assert static.cells[2].outputs == []
    with pytest.raises(TypeError, match="nb must be a notebook"):
        book.static_notebook([])


def test_build_book_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown scale profile"):
        book.build_book(tmp_path, [REPO / "notebooks" / "00_start_here.ipynb"], scale="huge")
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        book.build_book(tmp_path, [tmp_path / "nope.ipynb"], scale="smoke")
    with pytest.raises(TypeError, match="outdir"):
        book.build_book(None, scale="smoke")
    assert cli.main(["book", str(tmp_path), str(tmp_path / "nope.ipynb"), "--scale", "smoke"]) == 2


def test_book_of_a_notebook_at_smoke_works_offline(tmp_path, shared_smoke_cache):
    """03 (figures, an interact, formulas, verdicts) built at smoke: pages, index, claim map, no CDN anywhere."""
    out = tmp_path / "book"
    result = book.build_book(out, [REPO / "notebooks" / "03_compression.ipynb"], scale="smoke",
                             executed_dir=tmp_path / "executed", progress=None)
    assert result.ok, result.pages[0].error
    page = (out / "03_compression.html").read_text()
    index = result.index.read_text()
    assert page.count("plotly-graph-div") >= 3 and re.search(r"<script src=._static/plotly\.min\.js.>", page)
    assert (out / "_static" / "plotly.min.js").stat().st_size > 1_000_000
    assert "Interactive in the notebook; shown here at" in page  # the interact, at its starting values
    assert "application/vnd.jupyter.widget" not in page
    for html_file in out.glob("*.html"):
        found = REMOTE.findall(html_file.read_text())
        assert not found, f"{html_file.name} fetches from the network: {found[:5]}"
    if (out / "_static" / "mathjax" / "MathJax.js").is_file():
        assert "_static/mathjax/MathJax.js?config=" in page
    assert "<a href='03_compression.html'>" in index and "COMP-1" in index and "COMP-3" in index
    assert "ARCH-1" not in index  # only the claims of the notebooks in the book
    assert "not yet measured" not in index.split("Claim map")[1]  # each claim got this run's verdict
    assert "<select data-filter='notebook'" in index and re.search(r"<a href=.index\.html.>", page)
