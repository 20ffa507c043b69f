"""The claims the kit tests, their cards, and the ledger of measured verdicts.

Each claim is restated in our own words (the sources are Chinese essays; see
``shared/CLAIMS.md`` for the ids). ``claim_card(id)`` shows a claim in a
notebook; ``verdict(id, status, evidence, numbers)`` records what a notebook
measured, with the scale profile it was measured at, in ``ledger.json`` inside
the cache directory. ``ledger()`` lists every claim with its latest verdict.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import re
from dataclasses import dataclass

from . import config

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


@dataclass(frozen=True)
class Claim:
    """One testable claim: id, our restatement, source, notebook, what we measure."""

    id: str
    text: str
    source: str
    notebook: str
    measure: str

    @property
    def document(self) -> str:
        """The short name of the source document, e.g. ``'ZB-notes'``."""
        return re.match(r"[A-Za-z-]+", self.source).group(0)


def _c(id_, text, source, nb, measure):
    return Claim(id_, text, source, NOTEBOOKS[nb], measure)


CLAIMS: dict[str, Claim] = {
    c.id: c
    for c in [
        # A. Architecture
        _c("ARCH-1", "A plain recurrent network trains slowly and forgets what it saw early in a sequence.",
           "ZB §1.2", "01", "recall accuracy vs distance for an Elman RNN"),
        _c("ARCH-2", "An LSTM keeps information far longer than a plain RNN (up to hundreds of steps), "
           "yet its language ability stays limited.",
           "ZB §1.2", "01", "recall accuracy vs distance, LSTM vs RNN; held-out bits per character"),
        _c("ARCH-3", "A Transformer knows where each token sits and relates every token to every other one.",
           "ZB §1.2", "01", "attention maps on the recall task; accuracy with and without positions"),
        _c("ARCH-4", "Transformers cost more compute but run in parallel, so extra compute and data keep "
           "turning into better models, while the LSTM scales worse.",
           "ZB §1.2; ZB-notes §1.2", "01", "step time vs length; loss at equal wall-clock budget; loss by position"),
        _c("ARCH-5", "Pre-training on unlabeled text removed the bottleneck of hand-labelled data.",
           "ZB §1.2", "01", "accuracy vs number of labels, with and without language-model pre-training"),
        _c("ARCH-6", "Plain attention is a poor fit for very long contexts (its cost grows with the square "
           "of the length), and longer context windows make inference slower.",
           "YZ; ZB §2.2", "01", "time and memory of attention vs context length, beside the RNN"),
        # B. Scaling laws
        _c("SCALE-1", "Test loss falls predictably, as a power law, when models grow; enough compute and "
           "good data make a strong enough model.",
           "ZB §1.1, §1.3", "02", "loss vs parameters over a sweep; fitted exponent with its interval"),
        _c("SCALE-2", "For Transformers of a fixed parameter count, the split between width and depth "
           "hardly matters; the count does.",
           "AGI-BM §1", "02", "loss of several shapes at equal parameter count"),
        _c("SCALE-3", "GPT-2 to GPT-4 took about 3.5-4 more orders of magnitude of training compute; "
           "by 2027-28 another 3-6 orders (compute, algorithms, unhobbling) are expected.",
           "ZB §4.4", "02", "the arithmetic of the cited orders of magnitude (context only)"),
        _c("SCALE-4", "Intelligence is energy turned into capability by an algorithm: with the algorithm "
           "fixed, more compute gives more capability.",
           "YZ", "02", "the compute-efficient frontier of our own sweep"),
        _c("SCALE-5", "The harder the output choice (more classes, bigger vocabulary), the more data is "
           "needed, claimed to grow exponentially with the number of classes.",
           "AGI-BM §1-2", "02", "samples needed vs number of classes, on log-log axes"),
        # C. Compression
        _c("COMP-1", "A model that compresses data well has learned something about it; an LLM is a "
           "lossy, blurry compression of its training text.",
           "ZB §1.3; LQ", "03", "bits per character of models vs gzip/bz2/xz on the same held-out text"),
        _c("COMP-2", "The compression ratio on a large dataset measures model quality; the source puts "
           "GPT-4 at 30+ in some domains vs a little over 10 for open models.",
           "YZ", "03", "what a ratio of 30 means in bits per character, vs published and our results"),
        _c("COMP-3", "Knowing the rule behind data compresses it drastically: an arithmetic sequence of "
           "10,000 numbers needs only two numbers.",
           "YZ", "03", "size of a rule-aware code vs general-purpose compressors"),
        # D. Embeddings
        _c("EMB-1", "Inside a network, symbols become large vectors, and meaning lives in the vectors and "
           "how they interact (an RNN's final state as a 'thought vector').",
           "ZB §4.1", "04", "nearest neighbours and probes on learned vectors"),
        _c("EMB-2", "Embeddings map data to vectors whose distances measure similarity.",
           "ZB-notes, embedding models", "04", "similarity rankings vs human judgements"),
        _c("EMB-3", "Concepts that sit close together inside a model are the ones people find related, "
           "even across languages.",
           "ZB §4.1", "04", "neighbourhoods of concepts, across languages"),
        # E. RAG
        _c("RAG-1", "Retrieval lets a model answer from private data it never saw in training, using it "
           "as a reasoning engine rather than a database.",
           "ZB §2.2", "05", "answer accuracy on private facts with and without retrieval"),
        _c("RAG-2", "The LLM app stack (pipelines, embeddings, vector store, orchestration, cache, "
           "logging, validation) has a job at each layer.",
           "ZB-notes, technology stack", "05", "what each layer adds, measured"),
        _c("RAG-3", "A model is not a database: without retrieval it cannot know private or fresh facts.",
           "ZB §2.2", "05", "closed-book vs open-book answers"),
        # F. Convergence
        _c("CONV-1", "Models trained on different data, objectives and modalities converge toward one "
           "shared representation; strong models resemble each other, weak ones differ.",
           "ZB §4.3", "06", "mutual-kNN and CKA between models, against chance and untrained baselines"),
        _c("CONV-2", "Task generality, capacity and a simplicity bias drive convergence; bigger models "
           "get closer to the shared optimum.",
           "ZB §4.3", "06", "alignment vs width and vs data"),
        _c("CONV-3", "Stitching one model's lower layers to another's upper layers works when their "
           "representations are compatible.",
           "ZB §4.3", "06", "accuracy lost by affine stitching"),
        _c("CONV-4", "Paired cross-modal data increases convergence; the best text model benefits from "
           "images too.",
           "ZB §4.3, §4.2", "06", "image-text alignment of a toy two-tower model"),
        # G. Cost
        _c("COST-1", "Hardware cuts AI compute cost 53% a year and algorithms cut training cost 47% a "
           "year, about 75% a year together.",
           "ZB §3.1", "07", "the composition of two independent declines (context only)"),
        _c("COST-2", "Inference cost falls about 86% a year; GPT-4o vs GPT-4 within a year: 5x faster, "
           "about 10x cheaper.",
           "ZB §3.1", "07", "arithmetic of the cited figures (context only)"),
        _c("COST-3", "In the 'LLM OS', tokens per second are the clock and the context window is the "
           "memory; smaller models run faster but reason worse.",
           "ZB §2.2; ZB-notes", "07", "tokens/s vs model size and context length on our models"),
        _c("COST-4", "25M datacenter GPUs by 2030 would outrun US power supply; a 5 GW cluster is about "
           "70% of 2023 US datacenter use; frontier runs reach about 1e26 FLOP.",
           "ZB §3.2-3.3", "07", "FLOPs = 6·N·D and GPU power arithmetic (context only)"),
        _c("COST-5", "With careful engineering LLMs run on CPUs and old GPUs; small vertical models cut "
           "deployment cost.",
           "LQ; AGI-BM §5", "07", "int8 vs fp32: size, speed, quality"),
        _c("COST-6", "Cheaper intelligence raises total demand (Jevons paradox).",
           "ZB §3.1, §5.1", "07", "a demand-elasticity toy model (context only)"),
        # H. Limits
        _c("LIM-1", "Neural nets of any size extrapolate a sine wave poorly outside their data; they "
           "cannot shortcut computationally irreducible processes.",
           "ZB §4.5", "08", "error inside vs outside the training range"),
        _c("LIM-2", "General methods that scale with compute beat hand-built knowledge in the long run "
           "(the Bitter Lesson).",
           "ZB §4", "08", "learned vs hand-made features as data and compute grow"),
        _c("LIM-3", "Deep learning is a universal function approximator.",
           "ZB §3.4", "08", "fit error vs width within the data range"),
    ]
}


def _check_id(claim_id: str) -> Claim:
    if not isinstance(claim_id, str) or claim_id.strip().upper() not in CLAIMS:
        known = ", ".join(CLAIMS)
        raise ValueError(f"unknown claim id {claim_id!r}; known ids: {known}")
    return CLAIMS[claim_id.strip().upper()]


def _check_status(status: str) -> str:
    if not isinstance(status, str) or status.strip().lower() not in STATUSES:
        raise ValueError(f"unknown verdict status {status!r}; use one of: {', '.join(STATUSES)}")
    return status.strip().lower()


def claims_for(notebook: str) -> list[Claim]:
    """The claims a notebook tests, by its number ('01') or name ('01_rnn_to_transformer')."""
    if not isinstance(notebook, str):
        raise TypeError(f"notebook must be a string like '01', got {type(notebook).__name__}")
    name = NOTEBOOKS.get(notebook, notebook)
    if name not in NOTEBOOKS.values():
        raise ValueError(f"unknown notebook {notebook!r}; known: {', '.join(NOTEBOOKS.values())}")
    return [c for c in CLAIMS.values() if c.notebook == name]


_STATUS_COLOURS = {
    "supported": "#2e7d32",
    "partly supported": "#b26a00",
    "not supported": "#c62828",
    "context only": "#546e7a",
    "not yet measured": "#757575",
}


class _Card:
    """An HTML card that also reads well as plain text (for nbval and terminals)."""

    def __init__(self, html_text: str, plain: str):
        self._html, self._plain = html_text, plain

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._plain


def _card_html(title: str, colour: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><td style='padding:2px 8px;opacity:.75;vertical-align:top'>{html.escape(k)}</td>"
        f"<td style='padding:2px 8px'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return (
        f"<div style='border-left:6px solid {colour};padding:6px 10px;margin:6px 0'>"
        f"<b>{html.escape(title)}</b><table style='margin-top:4px'>{body}</table></div>"
    )


def claim_card(claim_id: str) -> _Card:
    """A card for one claim: our restatement, its source, what we measure."""
    c = _check_id(claim_id)
    rows = [
        ("claim", c.text),
        ("source", f"{c.source} — {SOURCES[c.document]}"),
        ("we measure", c.measure),
        ("notebook", c.notebook),
    ]
    plain = "\n".join([f"[{c.id}]"] + [f"  {k:>10}: {v}" for k, v in rows])
    return _Card(_card_html(f"Claim {c.id}", "#1565c0", rows), plain)


def _ledger_path():
    return config.cache_dir() / "ledger.json"


def _read_ledger() -> dict:
    path = _ledger_path()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}


def verdict(claim_id: str, status: str, evidence: str, numbers: dict | None = None) -> _Card:
    """Record a measured verdict in the ledger and return a card showing it.

    claim_id: e.g. ``"ARCH-2"``. status: one of ``STATUSES``. evidence: one or
    two sentences saying what was measured and why it rules this way.
    numbers: the measured quantities behind it, name -> finite number.
    The active scale profile is stored with it.
    """
    c = _check_id(claim_id)
    status = _check_status(status)
    if not isinstance(evidence, str) or len(evidence.strip()) < 10:
        raise ValueError("evidence must be a sentence (>= 10 characters) saying what was measured")
    numbers = {} if numbers is None else numbers
    if not isinstance(numbers, dict):
        raise TypeError(f"numbers must be a dict name -> number, got {type(numbers).__name__}")
    clean = {}
    for key, value in numbers.items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"numbers[{key!r}] must be a number, got {value!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"numbers[{key!r}] is {value}; record only finite measured values")
        clean[str(key)] = round(value, 6)
    entry = {
        "status": status,
        "evidence": evidence.strip(),
        "numbers": clean,
        "scale": config.scale(),
        "recorded": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    ledger_data = _read_ledger()
    ledger_data[c.id] = entry
    path = _ledger_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(ledger_data, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    shown = ", ".join(f"{k} = {v:g}" for k, v in clean.items())
    rows = [("status", status), ("evidence", entry["evidence"]), ("numbers", shown or "—"),
            ("measured at", f"scale '{entry['scale']}'")]
    plain = "\n".join([f"[{c.id}] VERDICT: {status}"] + [f"  {k:>11}: {v}" for k, v in rows[1:]])
    return _Card(_card_html(f"Verdict {c.id}: {status}", _STATUS_COLOURS[status], rows), plain)


def ledger() -> list[dict]:
    """Every claim with its notebook and latest verdict (or 'not yet measured').

    Returns a list of dicts with keys ``id, notebook, claim, source, status,
    evidence, numbers, scale, recorded``.
    """
    recorded = _read_ledger()
    rows = []
    for c in CLAIMS.values():
        entry = recorded.get(c.id, {})
        rows.append({
            "id": c.id,
            "notebook": c.notebook,
            "claim": c.text,
            "source": c.source,
            "status": entry.get("status", "not yet measured"),
            "evidence": entry.get("evidence", ""),
            "numbers": entry.get("numbers", {}),
            "scale": entry.get("scale"),
            "recorded": entry.get("recorded"),
        })
    return rows


def ledger_figure(notebook: str | None = None):
    """An interactive table (plotly) of the ledger, optionally for one notebook.

    Rows are coloured by status; hover and scroll inside the figure.
    """
    import plotly.graph_objects as go

    from . import plots

    rows = ledger()
    if notebook not in (None, "all"):
        name = NOTEBOOKS.get(notebook, notebook)
        if name not in NOTEBOOKS.values():
            raise ValueError(f"unknown notebook {notebook!r}; known: {', '.join(NOTEBOOKS.values())}")
        rows = [r for r in rows if r["notebook"] == name]
    plots.use_template()
    columns = ["id", "notebook", "claim", "source", "status", "scale", "evidence"]
    fill = [[_STATUS_COLOURS[r["status"]] + "33" for r in rows]] * len(columns)
    fig = go.Figure(go.Table(
        columnwidth=[60, 130, 380, 90, 100, 60, 380],
        header={"values": [f"<b>{c}</b>" for c in columns], "align": "left"},
        cells={"values": [[str(r[c] or "") for r in rows] for c in columns], "align": "left", "fill_color": fill},
    ))
    fig.update_layout(title=f"Claims and verdicts ({len(rows)} claims)", height=min(900, 140 + 48 * len(rows)))
    return fig
