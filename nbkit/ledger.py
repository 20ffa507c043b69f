"""The verdict ledger: one JSON line per verdict, appended, never rewritten.

Every ``decide`` call appends a record ``{claim, status, condition, numbers,
evidence, scale, seeds, device, code_version, notebook, recorded}`` to
``ledger.jsonl`` in the cache directory, under an exclusive file lock, so two
notebooks running at once cannot interleave lines. Reading skips (and reports)
a line that does not parse instead of losing the whole history.
``latest()`` gives the newest record per claim and profile; ``history()``
gives them all.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import warnings
from collections.abc import Iterable
from pathlib import Path

from . import config

FILE_NAME = "ledger.jsonl"


def path() -> Path:
    """Where the ledger lives: ``<cache dir>/ledger.jsonl``."""
    return config.cache_dir() / FILE_NAME


def append(record: dict) -> dict:
    """Append one verdict record (a JSON-serialisable dict with 'claim' and 'status'); returns it.

    A UTC timestamp is added as ``recorded`` when missing. The write holds an
    exclusive lock on the file for its duration.
    """
    if not isinstance(record, dict) or not {"claim", "status"} <= set(record):
        raise ValueError("record must be a dict with at least 'claim' and 'status'")
    record = dict(record)
    record.setdefault("recorded", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    with open(path(), "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(line + "\n")
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return record


def history(claim: str | None = None, scale: str | None = None) -> list[dict]:
    """All records, oldest first, optionally for one claim id and/or one profile.

    Lines that are not valid JSON records are skipped with one warning that
    says how many and where (the rest of the history is kept).
    """
    if scale is not None:
        scale = config._check_scale(scale)
    file = path()
    if not file.exists():
        return []
    records, bad = [], []
    with open(file, encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            lines = fh.readlines()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or "claim" not in rec or "status" not in rec:
                raise ValueError("not a verdict record")
        except ValueError:
            bad.append(number)
            continue
        if (claim is None or rec["claim"] == claim.upper()) and (scale is None or rec.get("scale") == scale):
            records.append(rec)
    if bad:
        warnings.warn(f"ledger {file}: skipped {len(bad)} unreadable line(s) (line {', '.join(map(str, bad[:5]))}"
                      f"{'…' if len(bad) > 5 else ''}); the other records are intact", stacklevel=2)
    return records


def latest(scale: str | None = None) -> dict[tuple[str, str], dict]:
    """The newest record per ``(claim, scale)``; with ``scale`` given, only that profile."""
    newest: dict[tuple[str, str], dict] = {}
    for rec in history(scale=scale):
        newest[(rec["claim"], rec.get("scale", "?"))] = rec
    return newest


def table(scale: str | None = None, claim_ids: Iterable[str] | None = None) -> list[dict]:
    """One row per claim (in registry order) with its newest verdict, preferring ``scale`` if given.

    Without ``scale`` the newest record of any profile is shown. Rows of
    claims never measured have status ``'not yet measured'``.
    """
    from .claims import CLAIMS

    ids = list(CLAIMS) if claim_ids is None else [c.upper() for c in claim_ids]
    newest: dict[str, dict] = {}
    for rec in history(scale=scale):
        newest[rec["claim"]] = rec
    rows = []
    for cid in ids:
        c = CLAIMS[cid]
        rec = newest.get(cid, {})
        rows.append({
            "id": cid, "notebook": c.notebook, "claim": c.text, "source": c.source,
            "status": rec.get("status", "not yet measured"), "condition": rec.get("condition", ""),
            "evidence": rec.get("evidence", ""), "numbers": rec.get("numbers", {}),
            "scale": rec.get("scale"), "seeds": rec.get("seeds", []), "recorded": rec.get("recorded"),
        })
    return rows


def markdown(scale: str = "default") -> str:
    """The verdicts of one profile as a Markdown table (for the README), generated from the ledger."""
    rows = table(scale=scale)
    out = ["| claim | notebook | verdict | key numbers |", "|---|---|---|---|"]
    for r in rows:
        nums = ", ".join(f"{k} {v:.3g}" for k, v in list(r["numbers"].items())[:4])
        out.append(f"| {r['id']} | {r['notebook']} | {r['status']} | {nums} |")
    return "\n".join(out)
