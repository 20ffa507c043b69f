"""The claim map: full ids, notebook links, coloured status, profile, evidence, filters; cards left-aligned."""

import pytest

from nbkit import claims, ledger
from nbkit.claims import cards


def _record(claim_id, status, evidence, scale="smoke"):
    c = claims.get(claim_id)
    ledger.append({"claim": c.id, "status": status, "condition": "gap > 0.2", "numbers": {"gap": 0.31},
                   "evidence": evidence, "scale": scale, "seeds": [0], "notebook": c.notebook})


def test_map_shows_full_ids_links_status_profile_and_evidence():
    _record("SCALE-1", "supported", "Loss fell as a power law over 6 sizes.")
    card = claims.claim_map()
    html_text, text = card._repr_html_(), repr(card)
    for cid in claims.CLAIMS:
        assert f">{cid}<" in html_text and cid in text  # every id, never truncated
    assert "<a href='02_scaling_laws.ipynb'>02_scaling_laws</a>" in html_text
    assert cards.STATUS_COLOURS["supported"] in html_text and "Loss fell as a power law over 6 sizes." in html_text
    assert "<td style='padding:3px 12px 3px 0;text-align:left" in html_text and "text-align:right" not in html_text
    assert "gap &gt; 0.2 with gap = 0.31" in html_text  # the rule that fired, as a tooltip on the status
    assert "SCALE-1  supported" in text and "[smoke]" in text


def test_map_filters_by_notebook_and_status():
    _record("COMP-2", "not supported", "Ratio 3.1, far from 30.")
    only_comp = repr(claims.claim_map(notebook="03"))
    assert "COMP-1" in only_comp and "ARCH-1" not in only_comp
    assert repr(claims.claim_map(notebook="03_compression")) == only_comp
    unsupported = repr(claims.claim_map(status="not supported"))
    assert "COMP-2" in unsupported and "COMP-1" not in unsupported
    assert "No claim matches" in repr(claims.claim_map(notebook="03", status="supported"))
    assert repr(claims.claim_map(notebook="all", status="all")).count("\n") == len(claims.CLAIMS) - 1


def test_map_prefers_the_requested_profile_and_links_pages_in_the_book():
    _record("COMP-3", "supported", "Two numbers generate the sequence.", scale="default")
    _record("COMP-3", "partly supported", "Smoke run: a shorter sequence.", scale="smoke")
    assert "COMP-3  supported" in repr(claims.claim_map(notebook="03", scale="default"))
    assert "COMP-3  partly supported" in repr(claims.claim_map(notebook="03"))  # newest of any profile
    book_html = cards.claim_map_html(ledger.table(), link_suffix=".html", filters=True)
    assert "<a href='03_compression.html'>" in book_html and "<select data-filter='status'" in book_html
    assert "<a href" not in cards.claim_map_html(ledger.table(), link_suffix=None)


def test_map_checks_its_arguments():
    with pytest.raises(ValueError, match="unknown notebook '99'"):
        claims.claim_map(notebook="99")
    with pytest.raises(ValueError, match="unknown status 'true'"):
        claims.claim_map(status="true")
    with pytest.raises(TypeError, match="notebook must be a string"):
        claims.claim_map(notebook=3)
    with pytest.raises(ValueError, match="unknown scale"):
        claims.claim_map(scale="huge")
    with pytest.raises(TypeError, match="rows must be a list"):
        cards.claim_map_html("rows")
    with pytest.raises(TypeError, match="link_suffix"):
        cards.claim_map_html([], link_suffix=1)


def test_explorer_has_two_menus_with_labels_that_fit():
    panel = claims.claim_map_explorer()
    menus = panel.children[:-1]
    assert [m.description for m in menus] == ["notebook", "status"]
    assert all(m.style.description_width == "initial" for m in menus)
    assert "not yet measured" in menus[1].options and "03_compression" in menus[0].options


def test_cards_are_left_aligned_and_take_the_theme_colour():
    html_text = cards.card("Claim X-1", "#1565c0", [("claim", "a < b"), ("rule", "x > 1")])._repr_html_()
    assert "text-align:left" in html_text and "text-align:right" not in html_text
    assert "color:" not in html_text.replace("border-left:6px solid", "")  # text inherits the theme's colour
    assert "a &lt; b" in html_text
