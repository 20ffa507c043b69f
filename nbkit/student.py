"""Student copies of the notebooks: solutions removed, exercise answers blank.

``python -m nbkit student OUTDIR`` writes every notebook of ``notebooks/`` to
OUTDIR with:

- each Markdown ``<details>`` block whose ``<summary>`` says "Solution" (or
  "Solutions") removed, the rest of its cell kept, and a one-line note in its
  place;
- each code cell that calls ``solutions(...)`` (``nbkit.exercises.solutions``:
  written solutions, checked when the notebook runs) or is tagged ``solution``
  removed, with the same note in its place;
- in each exercise cell (a code cell that calls ``check(``), every top-level
  assignment to a name starting with ``answer`` set back to ``None``.

Outputs are cleared. A notebook author who follows these conventions gets
correct student copies with no other work. The expected value inside each
``check(...)`` call stays visible: the copy hides written solutions, not the checker.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from pathlib import Path

SOLUTION_TAG = "solution"
REMOVED_NOTE = "*(The solutions are not in this student copy: try the exercises first, then ask your teacher.)*"
_DETAILS = re.compile(r"<details\b[^>]*>\s*<summary\b[^>]*>(?P<summary>.*?)</summary>.*?</details>",
                      re.DOTALL | re.IGNORECASE)
_ANSWER = re.compile(r"^answer\w*$")
_ANSWER_LINE = re.compile(r"^(?P<lhs>answer\w*\s*(?::[^=]+)?=\s*)(?P<value>[^#\n]*?)(?P<rest>\s*(#.*)?)$", re.MULTILINE)


@dataclass
class StudentCopy:
    """One written student copy: where, how many solution blocks/cells were removed, answers blanked."""

    source: Path
    written: Path
    solutions_removed: int
    answers_blanked: int
    removed_text: list[str]


def strip_solutions(markdown: str) -> tuple[str, list[str]]:
    """Remove the ``<details>`` blocks whose summary mentions a solution; returns (new text, removed blocks)."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a string, got {type(markdown).__name__}")
    removed: list[str] = []

    def replace(match: re.Match) -> str:
        if "solution" not in match.group("summary").lower():
            return match.group(0)
        removed.append(match.group(0))
        return REMOVED_NOTE

    return _DETAILS.sub(replace, markdown), removed


def _is_answer_target(target: ast.expr) -> bool:
    return isinstance(target, ast.Name) and bool(_ANSWER.match(target.id))


def calls(code: str, function: str) -> bool:
    """True when a code cell calls ``function(...)`` (by name or as an attribute); comments and strings do not count."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return bool(re.search(rf"\b{re.escape(function)}\s*\(", code))
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == function
               for node in ast.walk(tree))


def _blank_statement(node: ast.stmt, code: str) -> str | None:
    """``answer… = None`` for a top-level assignment to answer names with a value other than None, else None."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    else:
        return None
    if not all(_is_answer_target(t) for t in targets):
        return None
    if isinstance(node.value, ast.Constant) and node.value.value is None:
        return None
    if isinstance(node, ast.AnnAssign):
        return f"{node.target.id}: {ast.get_source_segment(code, node.annotation)} = None"
    return " = ".join(t.id for t in targets) + " = None"


def blank_answers(code: str) -> tuple[str, int]:
    """Set every top-level ``answer… = value`` of an exercise cell to ``None``; returns (new code, how many).

    Parsed with ``ast`` so multi-line values and trailing comments are handled;
    a cell Python cannot parse (IPython magics) falls back to a line-based rule.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a string, got {type(code).__name__}")
    try:
        tree = ast.parse(code)
    except SyntaxError:
        count = 0

        def replace(match: re.Match) -> str:
            nonlocal count
            if match.group("value").strip() in ("", "None"):
                return match.group(0)
            count += 1
            return f"{match.group('lhs')}None{match.group('rest')}"

        return _ANSWER_LINE.sub(replace, code), count
    edits = [(node, new) for node in tree.body if (new := _blank_statement(node, code)) is not None]
    lines = [line.encode() for line in code.splitlines(keepends=True)]
    for node, new in reversed(edits):  # from the end, so earlier offsets stay valid (ast offsets are UTF-8 bytes)
        first, last = node.lineno - 1, node.end_lineno - 1
        head, tail = lines[first][:node.col_offset], lines[last][node.end_col_offset:]
        lines[first:last + 1] = [head + new.encode() + tail]
    return b"".join(lines).decode(), len(edits)


def student_notebook(nb):
    """A student copy of a notebook (``nbformat`` node; the input is not changed).

    Returns ``(copy, solutions_removed, answers_blanked, removed_text)``.
    """
    if not hasattr(nb, "cells"):
        raise TypeError(f"nb must be a notebook read with nbformat, got {type(nb).__name__}")
    import nbformat

    out = copy.deepcopy(nb)
    cells, removed_text, blanked = [], [], 0
    for cell in out.cells:
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []) or (
                cell.cell_type == "code" and calls(cell.source, "solutions")):
            removed_text.append(cell.source)
            if not (cells and cells[-1].source == REMOVED_NOTE):
                cells.append(nbformat.v4.new_markdown_cell(REMOVED_NOTE))
            continue
        if cell.cell_type == "markdown":
            cell.source, removed = strip_solutions(cell.source)
            removed_text += removed
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if calls(cell.source, "check"):
                cell.source, n = blank_answers(cell.source)
                blanked += n
        cells.append(cell)
    out.cells = cells
    out.metadata.pop("widgets", None)
    out.metadata["nbkit"] = {**out.metadata.get("nbkit", {}), "student_copy": True}
    return out, len(removed_text), blanked, removed_text


def write_student_copies(outdir: str | Path, notebooks: list[str | Path] | None = None) -> list[StudentCopy]:
    """Write a student copy of each notebook (default: ``notebooks/*.ipynb``) into ``outdir``.

    Refuses to overwrite a source notebook. Returns one ``StudentCopy`` per notebook.
    """
    import nbformat

    if not isinstance(outdir, (str, Path)) or not str(outdir).strip():
        raise TypeError("outdir must be a folder path")
    paths = [Path(p) for p in (notebooks if notebooks is not None else sorted(Path("notebooks").glob("*.ipynb")))]
    if not paths:
        raise ValueError("no notebooks given and none in ./notebooks; run from the kit's folder or name them")
    outdir = Path(outdir)
    copies = []
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise FileNotFoundError(f"{path} is not a notebook file (.ipynb)")
        target = outdir / path.name
        if target.resolve() == path.resolve():
            raise ValueError(f"outdir {outdir} holds the source notebooks; choose another folder")
        student, n_removed, n_blank, removed = student_notebook(nbformat.read(path, as_version=4))
        outdir.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, target)
        copies.append(StudentCopy(path, target, n_removed, n_blank, removed))
    return copies


def add_command(sub) -> None:
    """Register ``python -m nbkit student OUTDIR [NOTEBOOK ...]`` on an argparse subparsers object."""
    parser = sub.add_parser("student", help="write student copies: solutions removed, exercise answers blank")
    parser.add_argument("outdir", help="folder for the student copies")
    parser.add_argument("notebooks", nargs="*", help=".ipynb files (default: notebooks/*.ipynb)")


def command(args) -> int:
    """Run the ``student`` subcommand; returns the exit status."""
    try:
        copies = write_student_copies(args.outdir, args.notebooks or None)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}")
        return 2
    for c in copies:
        print(f"{c.written}: {c.solutions_removed} solution block(s) removed, {c.answers_blanked} answer(s) blanked")
    return 0
