"""Every claim the kit tests, with its decision rule registered before any measurement.

    nbkit.claim_card("ARCH-2")     # the claim, its source, what we measure, and the rule
    nbkit.decide("ARCH-2", {...})  # apply the rule to measured numbers, print why, record it

The claims of each area live in their own file (``arch.py``, ``emb.py``, …);
the mechanism is in ``registry.py``; the ledger of verdicts in ``nbkit.ledger``
(``ledger()`` here lists every claim with its newest verdict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import config
from .. import ledger as _ledger
from . import arch, comp, conv, cost, emb, lim, rag  # noqa: F401  (importing registers the claims)
from . import scale as _scale  # noqa: F401
from .cards import STATUS_COLOURS, Card, card, claim_map, claim_map_explorer
from .registry import CLAIMS, NOTEBOOKS, SOURCES, STATUSES, Claim, Rule, check_measured, claims_for, get

__all__ = ["CLAIMS", "NOTEBOOKS", "SOURCES", "STATUSES", "STATUS_COLOURS", "Claim", "Rule", "claim_card",
           "claim_map", "claim_map_explorer", "claims_for", "decide", "get", "ledger", "rule_rows"]


def rule_rows(rule: Rule | None) -> list[tuple[str, str]]:
    """The rule as card rows: one per quantity, then one per branch ("if …: status")."""
    if rule is None:
        return [("rule", "not registered yet")]
    rows = [(f"measure {name}", meaning) for name, meaning in rule.quantities.items()]
    for i, (status, condition) in enumerate(rule.branches):
        word = "if" if i == 0 else ("otherwise" if condition.strip() == "True" else "else if")
        rows.append((word, status if condition.strip() == "True" else f"{condition}  →  {status}"))
    if rule.note:
        rows.append(("why", rule.note))
    return rows


def claim_card(claim_id: str) -> Card:
    """A card for one claim: our restatement, its source, what we measure and the registered rule."""
    from .registry import SOURCES as _sources

    c = get(claim_id)
    rows = [("claim", c.text), ("source", f"{c.source} — {_sources[c.document]}"), ("we measure", c.measure),
            ("notebook", c.notebook)] + rule_rows(c.rule)
    return card(f"Claim {c.id}", "#1565c0", rows)


def decide(claim_id: str, measured: Mapping[str, float], evidence: str,
           seeds: Sequence[int] = (), quiet: bool = False) -> Card:
    """Apply a claim's registered rule to measured numbers, record the verdict, return its card.

    measured: every quantity the rule names -> finite number (extra numbers
        are recorded too). evidence: one or two sentences on what was measured.
    seeds: the seeds behind the numbers. Prints which branch fired and why
    (unless ``quiet``), then appends the record to the ledger with the
    profile, device and code version.
    """
    from .. import runs

    c = get(claim_id)
    if c.rule is None:
        raise ValueError(f"{c.id} has no registered rule yet; register it in nbkit/claims before deciding")
    if not isinstance(evidence, str) or len(evidence.strip()) < 10:
        raise ValueError("evidence must be a sentence (>= 10 characters) saying what was measured")
    if isinstance(seeds, (str, bytes)) or not all(isinstance(s, int) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a sequence of non-negative integers, got {seeds!r}")
    status, condition, trail = c.rule.evaluate(measured)
    numbers = {k: round(v, 6) for k, v in check_measured(measured, c.rule.quantities).items()}
    if not quiet:
        for st, cond, fired in trail:
            print(f"  {'→' if fired else ' '} {cond}  [{st}]: {'TRUE' if fired else 'false'}")
        shown = ", ".join(f"{k} = {numbers[k]:.4g}" for k in c.rule.quantities)
        print(f"{c.id}: {status}  (because {condition} with {shown})")
    record = _ledger.append({
        "claim": c.id, "status": status, "condition": condition, "numbers": numbers,
        "evidence": evidence.strip(), "scale": config.scale(), "seeds": list(seeds), "base_seed": config.base_seed(),
        "device": str(config.device()), "code_version": runs.code_version(), "notebook": c.notebook,
    })
    rows = [("status", status), ("because", condition), ("evidence", record["evidence"]),
            ("numbers", ", ".join(f"{k} = {v:g}" for k, v in numbers.items())),
            ("measured at", f"profile '{record['scale']}', seeds {list(seeds) or '—'}, code {record['code_version']}")]
    return card(f"Verdict {c.id}: {status}", STATUS_COLOURS[status], rows)


def ledger(scale: str | None = None) -> list[dict]:
    """Every claim with its newest verdict (see ``nbkit.ledger.table``)."""
    return _ledger.table(scale=scale)
