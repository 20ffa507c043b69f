import re
import threading
from pathlib import Path

import pytest

import nbkit
from nbkit import claims, ledger
from nbkit.claims import Rule

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


def test_every_claim_has_a_registered_rule():
    missing = [c.id for c in claims.CLAIMS.values() if c.rule is None]
    assert not missing, f"claims without a registered decision rule: {missing}"


@pytest.mark.parametrize("claim_id", list(claims.CLAIMS))
def test_every_status_of_every_rule_is_reachable(claim_id):
    """Each rule's examples reach each status its branches can give (no verdict decided in advance)."""
    rule = claims.CLAIMS[claim_id].rule
    if rule is None:
        pytest.skip(f"{claim_id} has no rule yet (test_every_claim_has_a_registered_rule fails for it)")
    assert set(rule.examples) == set(rule.statuses), f"{claim_id}: examples must cover {rule.statuses}"
    for status, measured in rule.examples.items():
        got, _, _ = rule.evaluate(measured)
        assert got == status, f"{claim_id}: example for {status!r} gives {got!r}"


def _rule():
    return Rule(quantities={"gap": "accuracy gap (0-1)", "se": "standard error of the gap"},
                branches=[("supported", "gap > 0.2 and gap > 2 * se"), ("partly supported", "gap > 0"),
                          ("not supported", "True")],
                examples={"supported": {"gap": 0.5, "se": 0.01}, "partly supported": {"gap": 0.1, "se": 0.01},
                          "not supported": {"gap": -0.1, "se": 0.01}})


def test_rule_evaluates_in_order_and_reports_the_trail():
    status, condition, trail = _rule().evaluate({"gap": 0.3, "se": 0.2})
    assert status == "partly supported" and condition == "gap > 0"
    assert [fired for *_, fired in trail] == [False, True]


def test_rule_rejects_bad_definitions():
    with pytest.raises(ValueError, match="not among"):
        Rule({"a": "x"}, [("supported", "b > 1"), ("not supported", "True")])
    with pytest.raises(ValueError, match="only arithmetic"):
        Rule({"a": "x"}, [("supported", "[a][0] > 1"), ("not supported", "True")])
    with pytest.raises(ValueError, match="abs/min/max/sqrt"):
        Rule({"a": "x"}, [("supported", "open(a)"), ("not supported", "True")])
    with pytest.raises(ValueError, match="catch-all"):
        Rule({"a": "x"}, [("supported", "a > 1")])
    with pytest.raises(ValueError, match="unknown status"):
        Rule({"a": "x"}, [("proven", "True")])
    with pytest.raises(ValueError, match="no branch"):
        Rule({"a": "x"}, [("supported", "True")], examples={"not supported": {"a": 1}})


def test_rule_rejects_bad_measurements():
    rule = _rule()
    with pytest.raises(ValueError, match="missing"):
        rule.evaluate({"gap": 0.1})
    with pytest.raises(ValueError, match="finite"):
        rule.evaluate({"gap": float("nan"), "se": 0.1})
    with pytest.raises(TypeError, match="number"):
        rule.evaluate({"gap": "big", "se": 0.1})
    with pytest.raises(TypeError, match="dict"):
        rule.evaluate([0.1, 0.2])


def test_claim_card_shows_the_rule(monkeypatch):
    monkeypatch.setitem(claims.CLAIMS, "ARCH-2", claims.CLAIMS["ARCH-2"].__class__(
        **{**claims.CLAIMS["ARCH-2"].__dict__, "rule": _rule()}))
    card = claims.claim_card("arch-2")
    html_text, text = card._repr_html_(), repr(card)
    assert "ARCH-2" in html_text and "ZB §1.2" in text
    assert "gap &gt; 0.2 and gap &gt; 2 * se" in html_text and "otherwise" in text
    with pytest.raises(ValueError, match="unknown claim id"):
        claims.claim_card("ARCH-99")
    with pytest.raises(ValueError, match="unknown notebook"):
        claims.claims_for("99")
    with pytest.raises(TypeError):
        claims.claims_for(1)


def test_decide_applies_the_rule_and_appends_to_the_ledger(monkeypatch, capsys):
    monkeypatch.setitem(claims.CLAIMS, "ARCH-1", claims.CLAIMS["ARCH-1"].__class__(
        **{**claims.CLAIMS["ARCH-1"].__dict__, "rule": _rule()}))
    card = nbkit.decide("ARCH-1", {"gap": 0.5, "se": 0.05, "extra": 3}, "gap measured on 3 seeds", seeds=[0, 1, 2])
    assert "supported" in repr(card) and "TRUE" in capsys.readouterr().out
    nbkit.decide("ARCH-1", {"gap": -0.5, "se": 0.05}, "second run, other seeds", seeds=[3, 4, 5])
    hist = ledger.history("ARCH-1")
    assert [r["status"] for r in hist] == ["supported", "not supported"]
    assert hist[0]["seeds"] == [0, 1, 2] and hist[0]["numbers"]["extra"] == 3 and hist[0]["scale"] == "smoke"
    row = {r["id"]: r for r in claims.ledger()}["ARCH-1"]
    assert row["status"] == "not supported" and row["seeds"] == [3, 4, 5]
    assert {r["id"]: r for r in claims.ledger()}["ARCH-2"]["status"] == "not yet measured"
    with pytest.raises(ValueError, match="evidence"):
        nbkit.decide("ARCH-1", {"gap": 0.5, "se": 0.05}, "short")
    with pytest.raises(ValueError, match="seeds"):
        nbkit.decide("ARCH-1", {"gap": 0.5, "se": 0.05}, "a long enough evidence", seeds=[-1])
    with pytest.raises(ValueError, match="missing"):
        nbkit.decide("ARCH-1", {"gap": 0.5}, "a long enough evidence")


def test_ledger_skips_a_bad_line_and_keeps_the_rest():
    ledger.append({"claim": "COMP-1", "status": "supported", "scale": "smoke"})
    with open(ledger.path(), "a", encoding="utf-8") as fh:
        fh.write("{this is not json\n")
    ledger.append({"claim": "COMP-1", "status": "not supported", "scale": "default"})
    with pytest.warns(UserWarning, match="skipped 1 unreadable line"):
        recs = ledger.history("COMP-1")
    assert [r["status"] for r in recs] == ["supported", "not supported"]
    with pytest.warns(UserWarning):
        newest = ledger.latest()
    assert newest[("COMP-1", "smoke")]["status"] == "supported"
    assert newest[("COMP-1", "default")]["status"] == "not supported"
    with pytest.raises(ValueError, match="claim"):
        ledger.append({"status": "supported"})


def test_ledger_appends_from_many_threads_without_losing_lines():
    def write(i):
        for j in range(50):
            ledger.append({"claim": "COMP-3", "status": "supported", "scale": "smoke", "i": i, "j": j})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ledger.history("COMP-3")) == 200


def test_ledger_markdown_lists_every_claim():
    ledger.append({"claim": "SCALE-5", "status": "not supported", "scale": "default", "numbers": {"slope": 1.04}})
    md = ledger.markdown("default")
    assert "| SCALE-5 | 02_scaling_laws | not supported | — | slope 1.04 |" in md
    assert md.count("\n") == len(claims.CLAIMS) + 1
    ledger.append({"claim": "SCALE-5", "status": "supported", "scale": "default", "seeds": [0, 1, 2],
                   "evidence": "a | b\nc", "numbers": {"slope": 2.0}})
    assert "| SCALE-5 | 02_scaling_laws | supported | 0, 1, 2 | a \\| b c |" in ledger.markdown("default")


def test_ledger_groups_runs_by_seed_set():
    for seeds, status in (([0, 1, 2], "supported"), ([100, 101, 102], "partly supported"), ([0, 1, 2], "supported")):
        ledger.append({"claim": "COMP-3", "status": status, "scale": "default", "seeds": seeds})
    ledger.append({"claim": "COMP-2", "status": "supported", "scale": "default", "seeds": [0, 1, 2]})
    ledger.append({"claim": "COMP-2", "status": "supported", "scale": "smoke", "seeds": [5]})
    for base, status in ((0, "context only"), (100, "context only")):
        ledger.append({"claim": "SCALE-3", "status": status, "scale": "default", "seeds": [], "base_seed": base})
    ledger.append({"claim": "COST-1", "status": "context only", "scale": "default"})
    ledger.append({"claim": "COST-1", "status": "supported", "scale": "default"})
    runs = ledger.by_seeds("default")
    assert runs["COMP-3"] == {(100, 101, 102): ["partly supported"], (0, 1, 2): ["supported", "supported"]}
    table = ledger.stability_markdown("default")
    assert "| COMP-3 | partly supported (seeds 100, 101, 102); supported (seeds 0, 1, 2) | **no** (2 runs) |" in table
    assert "| COMP-2 | supported (seeds 0, 1, 2) | yes (1 run) |" in table and "ARCH-1" not in table
    assert ("| SCALE-3 | context only (seeds NBKIT_SEED=0); context only (seeds NBKIT_SEED=100) | yes (2 runs) |"
            in table)
    assert "| COST-1 | context only, supported (2 run(s), seeds not recorded) | **no** (2 runs) |" in table


def test_ledger_write_readme_replaces_only_the_marked_block(tmp_path):
    ledger.append({"claim": "COMP-3", "status": "supported", "scale": "default", "evidence": "6 bytes"})
    readme = tmp_path / "README.md"
    readme.write_text(f"# Kit\nintro\n{ledger.README_START}\nold table\n{ledger.README_END}\nrest\n")
    ledger.write_readme(readme)
    text = readme.read_text()
    assert text.startswith("# Kit\nintro\n") and text.endswith(f"{ledger.README_END}\nrest\n")
    assert "old table" not in text and "| COMP-3 | 03_compression | supported | — | 6 bytes |" in text
    ledger.write_readme(readme)  # idempotent
    assert readme.read_text() == text
    readme.write_text("no markers here")
    with pytest.raises(ValueError, match="marker"):
        ledger.write_readme(readme)
    with pytest.raises(FileNotFoundError, match="README"):
        ledger.write_readme(tmp_path / "missing.md")
