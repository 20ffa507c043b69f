"""nbkit.kb: the invented knowledge base is deterministic, private-by-construction and well formed."""

import pytest

from nbkit import kb


def test_same_seed_same_kb_other_seed_other_kb():
    a, b, c = kb.make_kb(8, seed=3), kb.make_kb(8, seed=3), kb.make_kb(8, seed=4)
    assert [p.text for p in a.pages] == [p.text for p in b.pages]
    assert [p.text for p in a.pages] != [p.text for p in c.pages]


def test_structure_pairs_and_answers():
    base = kb.make_kb(12, seed=0, n_filler=2)
    assert len(base.facts) == 12
    assert sum(p.entity != "" for p in base.pages) == 6 and len(base.pages) == 8
    answers = [f.answer for f in base.facts]
    assert len(set(answers)) == len(answers)
    for f in base.facts:
        page, sibling = base.page(f.page_id), base.page(f.sibling_id)
        assert kb.contains_answer(page.text, f.answer) and not kb.contains_answer(sibling.text, f.answer)
        assert page.entity.split()[0] == sibling.entity.split()[0] and page.entity != sibling.entity
        assert f.attribute in kb.ATTRIBUTES and f.fake != f.answer
        assert f.question != f.paraphrase != f.near_miss
    assert {p.source for p in base.pages} <= {"handbook", "wiki"}
    with pytest.raises(KeyError, match="nope"):
        base.page("nope")


def test_poison_pages():
    base = kb.make_kb(8, seed=1)
    targets = base.facts[:3]
    explicit, subtle = kb.poison(base, targets, "explicit"), kb.poison(base, targets, "subtle")
    assert all(kb.INJECTION_MARKER in p.text and p.source == "wiki" for p in explicit)
    for page, f in zip(subtle, targets):
        assert kb.contains_answer(page.text, f.fake) and not kb.contains_answer(page.text, f.answer)
        assert f.entity in page.text and "instruction" not in page.text.lower()


def test_contains_answer_is_whole_word_and_normalised():
    assert kb.contains_answer("The port is 4817.", "4817")
    assert not kb.contains_answer("The port is 48170.", "4817")
    assert not kb.contains_answer("v1.4817", "4817")
    assert kb.contains_answer("It reads `thamound.ini`.", "thamound.ini")
    assert kb.contains_answer("owned by ODILE  Fenwarth!", "Odile Fenwarth")
    assert kb.normalise("A.cfg, b. C") == "a.cfg b c"


@pytest.mark.parametrize("kwargs, match", [({"n_facts": 6}, "n_facts"), ({"n_facts": 0}, "n_facts"),
                                           ({"n_facts": 8, "seed": -1}, "seed"),
                                           ({"n_facts": 8, "n_filler": -2}, "n_filler"),
                                           ({"n_facts": 8, "wiki_share": 1.0}, "wiki_share")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kb.make_kb(**kwargs)


def test_bad_poison_and_text():
    base = kb.make_kb(4, seed=0)
    with pytest.raises(ValueError, match="kind"):
        kb.poison(base, base.facts, "loud")
    with pytest.raises(TypeError, match="kb"):
        kb.poison("kb", base.facts, "subtle")
    with pytest.raises(TypeError, match="facts"):
        kb.poison(base, ["x"], "subtle")
    with pytest.raises(TypeError, match="text"):
        kb.normalise(3)
    with pytest.raises(ValueError, match="answer"):
        kb.contains_answer("x", "!!")
