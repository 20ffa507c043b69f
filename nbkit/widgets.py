"""Widget helpers: ``interact`` whose labels are never cut.

ipywidgets gives every description a fixed 80-pixel column, so a knob called
``temperature`` shows as "temperat…". ``interact`` here is ipywidgets'
``interact`` with each label sized to its text::

    from nbkit import widgets as kit
    kit.interact(sample_at, temperature=(0.1, 2.0, 0.1), prompt="A class definition ");
"""

from __future__ import annotations


def fit_labels(*controls):
    """Size each control's description to its text (``description_width='initial'``); returns the controls.

    controls: ipywidgets controls (sliders, dropdowns, text boxes…); others
    (outputs, boxes) are left alone. Long labels push the control to the right
    instead of being cut.
    """
    import ipywidgets

    for control in controls:
        if not isinstance(control, ipywidgets.Widget):
            raise TypeError(f"controls must be ipywidgets widgets, got {type(control).__name__}")
        style = getattr(control, "style", None)
        if style is not None and hasattr(style, "description_width") and getattr(control, "description", ""):
            style.description_width = "initial"
    return controls


def interact(function, **knobs):
    """Like ``ipywidgets.interact``: show controls for ``function``'s arguments and its output under them.

    function: called with the knobs' values each time one changes. knobs:
    argument name -> a widget or an abbreviation (``(min, max, step)``, a list
    of options, a string, a bool) as in ipywidgets. The labels are sized so they
    are not cut. Displays the widget and returns it (end the line with ``;``).
    """
    import ipywidgets
    from IPython.display import display

    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    if not knobs:
        raise ValueError("give at least one knob, e.g. interact(f, temperature=(0.1, 2.0, 0.1))")
    panel = ipywidgets.interactive(function, **knobs)
    fit_labels(*panel.children[:-1])
    display(panel)
    return panel
