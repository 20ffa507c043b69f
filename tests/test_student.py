"""Student copies: no solution text survives, answers are blank, and a copy still runs at smoke."""

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nbkit import cli, runner, student

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _all_text(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


def test_blank_answers_handles_comments_multiline_and_annotations():
    code = ('answer_1 = 8 / rates[big][-1]  # your number\n'
            'answer_2: float = (1 +\n    2)\n'
            'answer_3 = None  # already blank\n'
            'closest = min(KINDS)\n'
            'check("x", answer_1, expected=1)\n')
    blank, n = student.blank_answers(code)
    assert n == 2
    assert "answer_1 = None  # your number" in blank and "answer_2: float = None" in blank
    assert "answer_3 = None  # already blank" in blank and "closest = min(KINDS)" in blank
    assert "rates[big]" not in blank
    magic, n = student.blank_answers("%time x = 1\nanswer = 42  # type it\ncheck('y', answer, 42)")
    assert n == 1 and "answer = None  # type it" in magic
    with pytest.raises(TypeError, match="code"):
        student.blank_answers(3)


def test_strip_solutions_keeps_hints_and_other_text():
    text = ("Intro.\n<details><summary>Hint</summary>look up</details>\n"
            "<details>\n<summary>Solutions (click to open)</summary>\n\n1. `answer = 42`\n</details>\nAfter.")
    kept, removed = student.strip_solutions(text)
    assert "Intro." in kept and "After." in kept and "look up" in kept
    assert "answer = 42" not in kept and student.REMOVED_NOTE in kept
    assert len(removed) == 1 and "answer = 42" in removed[0]
    with pytest.raises(TypeError, match="markdown"):
        student.strip_solutions(None)


def test_student_notebook_on_a_synthetic_notebook():
    nb = new_notebook(cells=[
        new_markdown_cell("## Exercises"),
        new_code_cell("answer = 7 * 6\ncheck('product', answer, expected=42)"),
        new_code_cell("answer = model(x)  # not an exercise cell: no check() here"),
        new_code_cell("answer = 42\ncheck('product', answer, expected=42)", metadata={"tags": ["solution"]}),
        new_code_cell('solutions({"product": "6 * 7"}, globals())'),
        new_markdown_cell("<details><summary>Solution</summary>It is 7 * 6 = 42.</details>"),
    ])
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="✓")]
    copy, n_removed, n_blank, removed = student.student_notebook(nb)
    assert any("7 * 6 = 42" in r for r in removed)
    assert (n_removed, n_blank) == (3, 1) and len(copy.cells) == 5  # two adjacent solution cells -> one note
    assert [c.source for c in copy.cells[3:]] == [student.REMOVED_NOTE] * 2 and "6 * 7" not in _all_text(copy)
    assert copy.cells[1].source.startswith("answer = None") and copy.cells[1].outputs == []
    assert copy.cells[2].source.startswith("answer = model(x)")
    assert "7 * 6 = 42" not in _all_text(copy) and copy.metadata["nbkit"]["student_copy"]
    assert nb.cells[1].source.startswith("answer = 7 * 6"), "the input notebook must not change"
    with pytest.raises(TypeError, match="nb must be a notebook"):
        student.student_notebook({"cells": []})


def _solution_blocks(nb) -> tuple[list[str], list[str]]:
    """The original's solution text, found independently of nbkit.student: (solution blocks, other cells' text)."""
    blocks, rest = [], []
    for cell in nb.cells:
        calls_solutions = re.search(r"^\s*(\w+\.)?solutions\(", cell.source, re.MULTILINE)
        if "solution" in cell.metadata.get("tags", []) or calls_solutions:
            blocks.append(cell.source)
            continue
        found = re.findall(r"<details>\s*<summary>[^<]*[Ss]olution.*?</details>", cell.source, re.DOTALL)
        blocks += found
        rest.append(re.sub(r"<details>.*?</details>", "", cell.source, flags=re.DOTALL) if found else cell.source)
    return blocks, rest


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_text_survives(path, tmp_path):
    original = nbformat.read(path, as_version=4)
    blocks, rest = _solution_blocks(original)
    (copy,) = student.write_student_copies(tmp_path, [path])
    assert copy.solutions_removed == len(blocks)
    nb = nbformat.read(copy.written, as_version=4)
    text, shared = _all_text(nb), "\n".join(rest)
    assert not re.search(r"<summary\b[^>]*>[^<]*solution", text, re.IGNORECASE)
    assert not any(student.SOLUTION_TAG in c.metadata.get("tags", []) for c in nb.cells)
    for block in blocks:
        for line in block.splitlines():
            line = line.strip()
            # a line also found outside the solutions (an exercise's name in its check call) is not solution text
            if len(line) >= 20 and line not in shared:
                assert line not in text, f"solution text survived in {path.name}: {line!r}"
    for cell in nb.cells:
        if cell.cell_type == "code" and "check(" in cell.source:
            for match in re.finditer(r"^(answer\w*)\s*(?::[^=\n]+)?=\s*(.+)$", cell.source, re.MULTILINE):
                assert match.group(2).split("#")[0].strip() == "None", f"{path.name}: {match.group(0)}"


def test_write_student_copies_checks_its_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        student.write_student_copies(tmp_path, [tmp_path / "missing.ipynb"])
    with pytest.raises(ValueError, match="holds the source notebooks"):
        student.write_student_copies(REPO / "notebooks", [NOTEBOOKS[0]])
    with pytest.raises(TypeError, match="outdir"):
        student.write_student_copies(None, [NOTEBOOKS[0]])


def test_cli_student(tmp_path, capsys):
    assert cli.main(["student", str(tmp_path), str(NOTEBOOKS[0])]) == 0
    assert (tmp_path / NOTEBOOKS[0].name).is_file() and "solution block(s) removed" in capsys.readouterr().out
    assert cli.main(["student", str(tmp_path), str(tmp_path / "nope.ipynb")]) == 2


def test_a_student_copy_runs_at_smoke(tmp_path, shared_smoke_cache):
    """03 is the quickest notebook with exercises and a solution block: its student copy runs top to bottom."""
    (copy,) = student.write_student_copies(tmp_path / "student", [REPO / "notebooks" / "03_compression.ipynb"])
    assert copy.solutions_removed >= 1
    result = runner.run_notebook(copy.written, scale="smoke", timeout=600, out_dir=tmp_path / "executed")
    assert result.ok, result.error
    executed = nbformat.read(result.executed, as_version=4)
    printed = "\n".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "not answered yet" in printed
