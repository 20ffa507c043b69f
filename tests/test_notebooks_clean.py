"""The repo stores notebooks without outputs; each starts with the setup cell; a notebook that tests claims
shows every one of its claims and decides each with its registered rule (``nbkit.decide``, never a status
typed in), and every exercise checked with ``check`` has a written solution shown by ``solutions``, which
proves it passes that check when the notebook runs."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

from nbkit import claims

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _code(path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _calls(source: str, name: str) -> list[ast.Call]:
    """Calls of ``name`` or ``<something>.name`` in a cell (IPython magics and syntax errors are skipped)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)]


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: clear outputs before committing"
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_starts_with_setup(path):
    nb = nbformat.read(path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "nbkit.setup()" in first_code.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_shows_and_decides_each_of_its_claims(path):
    ids = {c.id for c in claims.CLAIMS.values() if c.notebook == path.stem}
    code = "\n".join(_code(path))
    decided = [call.args[0].value for src in _code(path) for call in _calls(src, "decide")
               if call.args and isinstance(call.args[0], ast.Constant)]
    assert sorted(decided) == sorted(ids), f"{path.name}: decides {sorted(decided)}, its claims are {sorted(ids)}"
    for claim_id in ids:
        assert f'"{claim_id}"' in code, f"{path.name}: claim {claim_id} is never shown"
    assert not any(_calls(src, "verdict") for src in _code(path)), f"{path.name}: a status chosen in the notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_checked_solution(path):
    asked = [call.args[0].value for src in _code(path) for call in _calls(src, "check")
             if call.args and isinstance(call.args[0], ast.Constant)]
    written = set()
    for src in _code(path):
        for call in _calls(src, "solutions"):
            if call.args and isinstance(call.args[0], ast.Dict):
                written |= {k.value for k in call.args[0].keys if isinstance(k, ast.Constant)}
    missing = sorted(set(asked) - written)
    assert not missing, f"{path.name}: exercises without a written solution checked by solutions(): {missing}"
    assert not re.search(r"<summary>\s*Solutions", "\n".join(
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")) or not asked, (
        f"{path.name}: solutions typed in markdown are never checked; use exercises.solutions")
