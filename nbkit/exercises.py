"""Auto-feedback for notebook exercises.

An exercise cell starts with ``answer = None`` and calls ``check(...)``: it
says "not answered yet" until the learner fills in a value, then ✓ or ✗ with
a hint. It never raises on a wrong or missing answer (notebooks run in CI
with the default cell content), only on a badly written check.

    from nbkit.exercises import check
    answer = None  # your number here
    check("score memory at T=8192", answer, expected=8192**2 * 4, rel_tol=0.05,
          hint="T x T numbers of 4 bytes each")

Written solutions are shown by ``solutions({name: code}, globals())`` in a
collapsed block; it also runs each solution's code and checks it against the
exercise's own ``check`` (recorded when the exercise cell ran), so a notebook
run in CI proves that every written solution passes its check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Number


def _is_number(x) -> bool:
    return isinstance(x, Number) and not isinstance(x, bool)


def _matches(answer, expected, tol: float, rel_tol: float) -> bool:
    if _is_number(expected):
        if not _is_number(answer):
            try:
                answer = float(answer)
            except (TypeError, ValueError):
                return False
        answer, expected = float(answer), float(expected)
        if not math.isfinite(answer):
            return False
        return abs(answer - expected) <= max(tol, rel_tol * abs(expected))
    if isinstance(expected, bool):
        return isinstance(answer, bool) and answer == expected
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
    return answer == expected


_CHECKS: dict[str, tuple] = {}  # name -> (expected, tol, rel_tol, accept) of the last check() call


def check(name: str, answer, expected, tol: float = 0.0, rel_tol: float = 0.0, hint: str = "",
          accept: Iterable | None = None) -> bool | None:
    """Compare a learner's ``answer`` with ``expected`` and print feedback.

    name: what the exercise is called (shown in the feedback).
    answer: the learner's value; ``None`` means "not answered yet" (returns None).
    expected: a number (matched within ``max(tol, rel_tol·|expected|)``), a
    string (case- and space-insensitive), a bool, or any value compared with ``==``.
    accept: other values that also count as right (e.g. ``["LSTM", "lstm cell"]``).
    hint: shown after a wrong answer.
    Returns True (right), False (wrong) or None (not answered).
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must be a non-empty string naming the exercise")
    for label, value in (("tol", tol), ("rel_tol", rel_tol)):
        if not _is_number(value) or value < 0 or not math.isfinite(value):
            raise ValueError(f"{label} must be a finite number >= 0, got {value!r}")
    if not isinstance(hint, str):
        raise TypeError(f"hint must be a string, got {type(hint).__name__}")
    _CHECKS[name] = (expected, tol, rel_tol, list(accept) if accept is not None else [])
    if answer is None:
        print(f"… {name}: not answered yet — replace None with your answer and run the cell again.")
        return None
    candidates = [expected] + (list(accept) if accept is not None else [])
    if any(_matches(answer, c, tol, rel_tol) for c in candidates):
        print(f"✓ {name}: {answer!r} is right.")
        return True
    print(f"✗ {name}: {answer!r} is not right yet." + (f" Hint: {hint}" if hint else ""))
    return False


def close_enough(answer, expected, tol: float = 0.0, rel_tol: float = 0.0) -> bool:
    """True when ``answer`` matches ``expected`` by ``check``'s rules, without printing."""
    for label, value in (("tol", tol), ("rel_tol", rel_tol)):
        if not _is_number(value) or value < 0 or not math.isfinite(value):
            raise ValueError(f"{label} must be a finite number >= 0, got {value!r}")
    return answer is not None and _matches(answer, expected, tol, rel_tol)


def solutions(written: dict, namespace: dict, notes: dict | None = None):
    """Show the written solutions in a collapsed block, after proving each passes its exercise's check.

    written: exercise name (as given to ``check``) -> the solution, a Python
    expression (e.g. ``"8 / rates[big][-1]"``) evaluated in ``namespace`` (pass
    ``globals()``); it is not assigned to anything, so the learner's answers
    stay as they are. notes: optional name -> one-line explanation. Each
    exercise cell must have run first (its ``check`` records the expected
    value). Raises ``AssertionError`` naming any solution its check rejects.
    Returns the HTML block (``IPython.display.HTML``).
    """
    import html

    from IPython.display import HTML

    if not isinstance(written, dict) or not written or not all(isinstance(k, str) and isinstance(v, str)
                                                               for k, v in written.items()):
        raise TypeError("written must be a non-empty dict: exercise name -> solution expression (str)")
    if not isinstance(namespace, dict):
        raise TypeError(f"namespace must be a dict (pass globals()), got {type(namespace).__name__}")
    notes = {} if notes is None else notes
    if not isinstance(notes, dict) or set(notes) - set(written):
        raise ValueError("notes must be a dict whose names are among the written solutions")
    missing = [name for name in written if name not in _CHECKS]
    if missing:
        raise ValueError(f"no check() has run for {missing}; run the exercise cells first (names must match)")
    failed, items = [], []
    for name, code in written.items():
        value = eval(code, dict(namespace))  # the notebook's own written solution
        expected, tol, rel_tol, accept = _CHECKS[name]
        if not any(_matches(value, c, tol, rel_tol) for c in [expected, *accept]):
            failed.append(f"{name}: solution {code!r} gives {value!r}, the check expects {expected!r}")
        shown = f"<code>{html.escape(code)}</code> → <code>{html.escape(repr(value))}</code>"
        note = f"<br>{html.escape(notes[name])}" if name in notes else ""
        items.append(f"<li><b>{html.escape(name)}</b>: {shown}{note}</li>")
    if failed:
        raise AssertionError("written solutions that fail their own check:\n" + "\n".join(failed))
    return HTML("<details><summary>Solutions (click to open) — each one checked against its exercise"
                f"</summary><ol>{''.join(items)}</ol></details>")
