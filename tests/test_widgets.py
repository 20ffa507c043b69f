"""nbkit.widgets: interact shows every label in full."""

import ipywidgets
import pytest

from nbkit import widgets


def test_interact_sizes_every_label_and_runs_the_function():
    seen = []
    panel = widgets.interact(lambda temperature, prompt, greedy: seen.append((temperature, prompt, greedy)),
                             temperature=ipywidgets.FloatSlider(0.7, min=0.1, max=2.0), prompt="A class", greedy=False)
    controls = panel.children[:-1]
    assert [c.description for c in controls] == ["temperature", "prompt", "greedy"]
    assert all(c.style.description_width == "initial" for c in controls)
    assert seen == [(0.7, "A class", False)]


def test_fit_labels_leaves_unlabelled_widgets_alone():
    slider, out = ipywidgets.IntSlider(description="distance D"), ipywidgets.Output()
    assert widgets.fit_labels(slider, out) == (slider, out)
    assert slider.style.description_width == "initial"
    bare = ipywidgets.IntSlider()
    widgets.fit_labels(bare)
    assert bare.style.description_width == ""


def test_bad_arguments():
    with pytest.raises(TypeError, match="function must be callable"):
        widgets.interact(3, x=1)
    with pytest.raises(ValueError, match="at least one knob"):
        widgets.interact(lambda: None)
    with pytest.raises(TypeError, match="controls must be ipywidgets"):
        widgets.fit_labels("slider")
