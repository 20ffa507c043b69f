"""Cost arithmetic: yearly declines that compose, and the demand response to a cheaper good (Jevons).

A yearly *decline* ``d`` (a fraction in [0, 1]) leaves ``1 - d`` of the cost
after a year. Two independent declines compose by multiplying what each leaves:
``1 - (1 - d1)(1 - d2)``, never by adding (53 % + 47 % would be a free lunch).
Over ``t`` years a decline leaves ``(1 - d) ** t``, i.e. the good gets
``(1 - d) ** -t`` times cheaper.

Jevons paradox as a constant-elasticity demand curve: quantity ``Q ∝ p^-ε``.
Cut the price ``k``-fold and demand grows ``k^ε``-fold, while total spend
(or total resource use, if the efficiency gain is what cut the price) changes
``k^(ε-1)``-fold: it rises exactly when ``ε > 1``.

Every function checks its inputs and names the bad argument in the error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ELASTICITY_BACKFIRE = 1.0  # above it, a cost cut raises total spend (Jevons' "backfire")


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


def fraction(name: str, value) -> float:
    """``value`` as a float checked to lie in [0, 1] (a share or a decline); the error names ``name``."""
    value = _number(name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1] (e.g. 0.53 for 53 %), got {value}")
    return value


def positive(name: str, value, unit: str = "") -> float:
    """``value`` as a float checked to be > 0; the error names ``name`` and its ``unit``."""
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0{' ' + unit if unit else ''}, got {value}")
    return value


def remaining(declines: Sequence[float]) -> float:
    """Fraction of the cost left after independent yearly ``declines`` all act for one year: ``Π (1 - d)``."""
    if isinstance(declines, (str, bytes)) or not isinstance(declines, Sequence) or not declines:
        raise ValueError("declines must be a non-empty list of fractions, e.g. [0.53, 0.47]")
    left = 1.0
    for i, d in enumerate(declines):
        left *= 1.0 - fraction(f"declines[{i}]", d)
    return left


def compose_declines(declines: Sequence[float]) -> float:
    """The combined yearly decline of independent ``declines``: ``1 - Π (1 - d)`` (a fraction)."""
    return 1.0 - remaining(declines)


def cheaper_factor(annual_decline: float, years: float) -> float:
    """How many times cheaper after ``years`` of ``annual_decline``: ``(1 - d) ** -years``."""
    d = fraction("annual_decline", annual_decline)
    years = positive("years", years, "years")
    if d == 1.0:
        raise ValueError("annual_decline of 1 (100 %) makes the cost zero: the factor is infinite")
    return (1.0 - d) ** -years


def implied_annual_decline(factor: float, years: float) -> float:
    """The yearly decline that makes a good ``factor`` times cheaper in ``years``: ``1 - factor ** (-1/years)``."""
    factor = positive("factor", factor, "(times cheaper)")
    years = positive("years", years, "years")
    if factor < 1:
        raise ValueError(f"factor must be >= 1 (times cheaper); got {factor}, which is a price rise")
    return 1.0 - factor ** (-1.0 / years)


def years_between(start: str, end: str) -> float:
    """Years from ``start`` to ``end``, dates as ``'YYYY-MM-DD'`` (365.25-day years); must be > 0."""
    from datetime import date

    try:
        a, b = date.fromisoformat(start), date.fromisoformat(end)
    except (TypeError, ValueError):
        raise ValueError(f"start and end must be dates 'YYYY-MM-DD', got {start!r}, {end!r}") from None
    days = (b - a).days
    if days <= 0:
        raise ValueError(f"end ({end}) must come after start ({start}): a duration must be > 0")
    return days / 365.25


def demand_ratio(cost_cut: float, elasticity: float) -> float:
    """Demand after a ``cost_cut``-fold price cut over demand before, with constant ``elasticity``: ``k ** ε``."""
    k = positive("cost_cut", cost_cut, "(times cheaper)")
    eps = _number("elasticity", elasticity)
    if eps < 0:
        raise ValueError(f"elasticity must be >= 0 (demand falls as price rises), got {eps}")
    return k**eps


def spend_ratio(cost_cut: float, elasticity: float) -> float:
    """Total spend (price x quantity) after a ``cost_cut``-fold price cut over before: ``k ** (ε - 1)``.

    Read it also as total resource use when an efficiency gain is what cut the
    price: > 1 means the saving is more than eaten by new demand (Jevons).
    """
    return demand_ratio(cost_cut, elasticity) / positive("cost_cut", cost_cut)
