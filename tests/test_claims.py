import json
import re
from pathlib import Path

import pytest

import nbkit
from nbkit import claims

SHARED_CLAIMS = Path(__file__).resolve().parents[2] / "shared" / "CLAIMS.md"


def test_every_claim_of_the_ledger_document_is_in_the_package():
    if not SHARED_CLAIMS.exists():
        pytest.skip("shared/CLAIMS.md not beside the checkout")
    ids = set(re.findall(r"^- ([A-Z]+-\d+) \(", SHARED_CLAIMS.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert ids and ids == set(claims.CLAIMS)


def test_claims_have_sources_and_notebooks():
    for c in claims.CLAIMS.values():
        assert c.text and c.measure and c.document in claims.SOURCES
        assert c.notebook in claims.NOTEBOOKS.values()
    assert {c.id for c in claims.claims_for("01")} == {f"ARCH-{i}" for i in range(1, 7)}


def test_claim_card_renders_html_and_text():
    card = claims.claim_card("arch-2")
    assert "ARCH-2" in card._repr_html_() and "ZB §1.2" in repr(card)


def test_unknown_ids_and_statuses_say_what_exists():
    with pytest.raises(ValueError, match="known ids: ARCH-1"):
        claims.claim_card("ARCH-99")
    with pytest.raises(ValueError, match="supported, partly supported"):
        claims.verdict("ARCH-1", "maybe", "we measured something here")
    with pytest.raises(ValueError, match="unknown notebook"):
        claims.claims_for("99")
    with pytest.raises(TypeError):
        claims.claims_for(1)


def test_verdict_is_recorded_with_scale():
    card = nbkit.verdict("SCALE-1", "Supported", "loss fell as a power law over 1.8 decades", {"alpha": 0.08})
    assert "supported" in repr(card)
    rows = {r["id"]: r for r in claims.ledger()}
    assert rows["SCALE-1"]["status"] == "supported"
    assert rows["SCALE-1"]["scale"] == "smoke"
    assert rows["SCALE-1"]["numbers"] == {"alpha": 0.08}
    assert rows["ARCH-1"]["status"] == "not yet measured"
    stored = json.loads((nbkit.config.cache_dir() / "ledger.json").read_text())
    assert set(stored) == {"SCALE-1"}


@pytest.mark.parametrize("evidence, numbers, error", [
    ("", None, ValueError),
    ("a long enough sentence", [1, 2], TypeError),
    ("a long enough sentence", {"x": "abc"}, TypeError),
    ("a long enough sentence", {"x": float("nan")}, ValueError),
])
def test_verdict_rejects_bad_evidence(evidence, numbers, error):
    with pytest.raises(error):
        claims.verdict("COMP-1", "supported", evidence, numbers)


def test_ledger_figure_filters():
    fig = claims.ledger_figure("01")
    assert len(fig.data[0].cells.values[0]) == 6
    assert len(claims.ledger_figure().data[0].cells.values[0]) == len(claims.CLAIMS)
    with pytest.raises(ValueError, match="unknown notebook"):
        claims.ledger_figure("nope")
