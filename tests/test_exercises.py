"""The exercise checker: right, wrong, not answered, and badly written checks."""

import pytest

from nbkit.exercises import check, close_enough


def test_not_answered_yet(capsys):
    assert check("slope", None, 2.0) is None
    assert "not answered yet" in capsys.readouterr().out


def test_numbers_with_tolerances(capsys):
    assert check("slope", 2.05, 2.0, tol=0.1) is True
    assert "✓" in capsys.readouterr().out
    assert check("slope", 2.5, 2.0, tol=0.1, hint="double T, time x4") is False
    out = capsys.readouterr().out
    assert "✗" in out and "double T, time x4" in out
    assert check("bytes", 1.03e9, 1e9, rel_tol=0.05) is True
    assert check("bytes", "1e9", 1e9) is True  # numeric strings are read as numbers
    assert check("bytes", "a lot", 1e9) is False
    assert check("bytes", float("nan"), 1e9, rel_tol=1.0) is False


def test_strings_bools_and_alternatives():
    assert check("model", "  LSTM ", "lstm") is True
    assert check("model", "gru", "lstm", accept=["gru"]) is True
    assert check("model", "rnn", "lstm") is False
    assert check("parallel", True, True) is True
    assert check("parallel", 1, True) is False
    assert check("pair", (1, 2), (1, 2)) is True


def test_close_enough():
    assert close_enough(0.51, 0.5, tol=0.02)
    assert not close_enough(None, 0.5, tol=1)
    with pytest.raises(ValueError, match="rel_tol"):
        close_enough(1, 1, rel_tol=-1)


def test_bad_checks_raise():
    with pytest.raises(ValueError, match="name"):
        check("", 1, 1)
    with pytest.raises(ValueError, match="tol"):
        check("x", 1, 1, tol=-0.1)
    with pytest.raises(TypeError, match="hint"):
        check("x", 1, 1, hint=3)


def test_solutions_are_checked_against_their_exercise(capsys):
    from nbkit.exercises import solutions

    check("ratio of the biggest model", None, expected=2.5, rel_tol=0.02)
    check("cheaper to ship", None, expected="xz")
    block = solutions({"ratio of the biggest model": "8 / bits", "cheaper to ship": "'xz'"}, {"bits": 3.2},
                      notes={"cheaper to ship": "the weights dwarf the text"})
    assert "<details>" in block.data and "8 / bits" in block.data and "weights dwarf" in block.data
    with pytest.raises(AssertionError, match="ratio of the biggest model"):
        solutions({"ratio of the biggest model": "8 / bits"}, {"bits": 4.0})
    with pytest.raises(ValueError, match="run the exercise cells first"):
        solutions({"never asked": "1"}, {})
    with pytest.raises(TypeError, match="written"):
        solutions({}, {})
    with pytest.raises(TypeError, match="namespace"):
        solutions({"cheaper to ship": "'xz'"}, None)
    with pytest.raises(ValueError, match="notes"):
        solutions({"cheaper to ship": "'xz'"}, {}, notes={"other": "x"})
