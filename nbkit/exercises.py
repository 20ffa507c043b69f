"""Auto-feedback for notebook exercises.

An exercise cell starts with ``answer = None`` and calls ``check(...)``: it
says "not answered yet" until the learner fills in a value, then ✓ or ✗ with
a hint. It never raises on a wrong or missing answer (notebooks run in CI
with the default cell content), only on a badly written check.

    from nbkit.exercises import check
    answer = None  # your number here
    check("score memory at T=8192", answer, expected=8192**2 * 4, rel_tol=0.05,
          hint="T x T numbers of 4 bytes each")
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
