"""Claims, their registered decision rules, and ``decide``: rules before results.

Each claim is registered once, in the file of its area (``arch.py``, ``emb.py``,
…), together with its **rule**: the quantities a notebook must measure and, in
order, the conditions for each status. The claim card shows the rule before
the experiment runs; after it, ``decide(id, measured)`` evaluates the
conditions on the measured numbers, prints which branch fired and why, and
appends the verdict to the ledger (``nbkit.ledger``).

Conditions are Python expressions over the quantity names, restricted to
arithmetic, comparisons, ``and``/``or``/``not`` and the functions ``abs``,
``min``, ``max`` and ``sqrt``. The text shown on the card is the code that
runs, so the two cannot drift apart.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

STATUSES = ("supported", "partly supported", "not supported", "context only")

SOURCES = {
    "ZB": "The Age of Intelligent Change (智变时代), essay on generative AI, mid-2024",
    "ZB-notes": "A reader's notes on ZB, with the LLM app-stack walkthrough",
    "LQ": "Notes on a talk by Lu Qi about large models",
    "AGI-BM": "The AGI era: from technical paradigm to business model",
    "YZ": "Interview excerpts on model quality and compression",
}

NOTEBOOKS = {
    "00": "00_start_here",
    "01": "01_rnn_to_transformer",
    "02": "02_scaling_laws",
    "03": "03_compression",
    "04": "04_embeddings",
    "05": "05_rag",
    "06": "06_convergence",
    "07": "07_cost_speed_energy",
    "08": "08_limits",
}

_FUNCTIONS = {"abs": abs, "min": min, "max": max, "sqrt": math.sqrt}
_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Compare, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq,
    ast.NotEq, ast.Name, ast.Load, ast.Constant, ast.Call,
)


def _names_in(expression: str) -> set[str]:
    """Quantity names used by a condition; raises ValueError on anything but plain arithmetic logic."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"condition {expression!r} is not a valid expression: {exc.msg}") from None
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"condition {expression!r} uses {type(node).__name__}; only arithmetic, "  # noqa: TRY004
                             "comparisons, and/or/not and abs/min/max/sqrt are allowed")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
            raise ValueError(f"condition {expression!r} calls something other than abs/min/max/sqrt")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, bool)):
            raise ValueError(f"condition {expression!r} holds a non-numeric constant {node.value!r}")  # noqa: TRY004
        if isinstance(node, ast.Name) and node.id not in _FUNCTIONS and node.id not in ("True", "False"):
            names.add(node.id)
    return names


@dataclass(frozen=True)
class Rule:
    """A decision rule registered with a claim before anything is measured.

    quantities: name -> what it is, with units (the numbers ``decide`` needs).
    branches: ``(status, condition)`` pairs, tried in order; the first true
        condition gives the status. The last condition should be ``"True"``.
    examples: status -> synthetic quantities that reach that status; every
        status in ``branches`` needs one (a unit test runs them all).
    note: why these thresholds, in a sentence or two.
    """

    quantities: Mapping[str, str]
    branches: Sequence[tuple[str, str]]
    examples: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self):
        if not self.quantities:
            raise ValueError("a rule needs at least one measured quantity")
        if not self.branches:
            raise ValueError("a rule needs at least one (status, condition) branch")
        for status, condition in self.branches:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r} in a rule; use one of {', '.join(STATUSES)}")
            unknown = _names_in(condition) - set(self.quantities)
            if unknown:
                raise ValueError(f"condition {condition!r} uses {sorted(unknown)}, which are not among the "
                                 f"rule's quantities {sorted(self.quantities)}")
        if self.branches[-1][1].strip() != "True":
            raise ValueError("the last branch of a rule must be the catch-all condition 'True'")
        for status in self.examples:
            if status not in self.statuses:
                raise ValueError(f"example for {status!r}, which no branch of the rule gives")

    @property
    def statuses(self) -> list[str]:
        """The statuses this rule can give, in branch order, without repeats."""
        return list(dict.fromkeys(s for s, _ in self.branches))

    def evaluate(self, measured: Mapping[str, float]) -> tuple[str, str, list[tuple[str, str, bool]]]:
        """Apply the rule: returns ``(status, condition that fired, [(status, condition, value), …])``.

        measured: every quantity of the rule, name -> finite number. Extra
        names are allowed (kept as context); missing or non-finite ones raise.
        """
        values = check_measured(measured, self.quantities)
        trail = []
        for status, condition in self.branches:
            fired = bool(eval(compile(condition, "<rule>", "eval"), {"__builtins__": {}, **_FUNCTIONS}, values))
            trail.append((status, condition, fired))
            if fired:
                return status, condition, trail
        raise AssertionError("unreachable: the last branch is 'True'")


def check_measured(measured, quantities) -> dict[str, float]:
    """Validate measured numbers against a rule's quantities; returns name -> float."""
    if not isinstance(measured, Mapping):
        raise TypeError(f"measured must be a dict name -> number, got {type(measured).__name__}")
    missing = [q for q in quantities if q not in measured]
    if missing:
        raise ValueError(f"measured is missing {missing}; the rule needs {sorted(quantities)}")
    values = {}
    for key, value in measured.items():
        if isinstance(value, bool):
            value = float(value)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"measured[{key!r}] must be a number, got {value!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"measured[{key!r}] is {value}; a rule can only judge finite measured values")
        values[str(key)] = value
    return values


@dataclass(frozen=True)
class Claim:
    """One testable claim: id, our restatement, source, notebook, what we measure, its rule."""

    id: str
    text: str
    source: str
    notebook: str
    measure: str
    rule: Rule | None = None

    @property
    def document(self) -> str:
        """The short name of the source document, e.g. ``'ZB-notes'``."""
        return re.match(r"[A-Za-z-]+", self.source).group(0)


CLAIMS: dict[str, Claim] = {}


def register(claim_id: str, text: str, source: str, notebook: str, measure: str, rule: Rule | None) -> Claim:
    """Add a claim (with its rule) to ``CLAIMS``; called by the area modules at import."""
    if notebook not in NOTEBOOKS:
        raise ValueError(f"notebook must be one of {', '.join(NOTEBOOKS)}, got {notebook!r}")
    if claim_id in CLAIMS:
        raise ValueError(f"claim {claim_id} is registered twice")
    if rule is not None and not isinstance(rule, Rule):
        raise TypeError(f"rule must be a Rule, got {type(rule).__name__}")
    claim = Claim(claim_id, text, source, NOTEBOOKS[notebook], measure, rule)
    if claim.document not in SOURCES:
        raise ValueError(f"source {source!r} does not start with a known document: {', '.join(SOURCES)}")
    CLAIMS[claim_id] = claim
    return claim


def get(claim_id: str) -> Claim:
    """The registered claim for an id such as ``'ARCH-2'`` (case-insensitive)."""
    if not isinstance(claim_id, str) or claim_id.strip().upper() not in CLAIMS:
        raise ValueError(f"unknown claim id {claim_id!r}; known ids: {', '.join(CLAIMS)}")
    return CLAIMS[claim_id.strip().upper()]


def claims_for(notebook: str) -> list[Claim]:
    """The claims a notebook tests, by its number ('01') or name ('01_rnn_to_transformer')."""
    if not isinstance(notebook, str):
        raise TypeError(f"notebook must be a string like '01', got {type(notebook).__name__}")
    name = NOTEBOOKS.get(notebook, notebook)
    if name not in NOTEBOOKS.values():
        raise ValueError(f"unknown notebook {notebook!r}; known: {', '.join(NOTEBOOKS.values())}")
    return [c for c in CLAIMS.values() if c.notebook == name]
