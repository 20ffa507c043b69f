"""``python -m nbkit rag index|ask``: a fresh folder end to end, and every error path (nothing half-written)."""

import json

import pytest

from nbkit import cli, rag_cli
from tests.llm_weights import llm_weights, shared_llm_weights  # noqa: F401  (fixtures)


@pytest.fixture
def notes(tmp_path):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "garden.md").write_text("# Garden\n\nThe tomatoes in the north bed are watered every 3 days.\n\n"
                                      "The compost heap is turned on Sundays by Priya.\n", encoding="utf-8")
    (folder / "sub" / "bike.txt").write_text("The rear tyre pressure of the bike is 4.5 bar.\n", encoding="utf-8")
    (folder / "photo.png").write_bytes(b"\x89PNG\x00\x00\x01")          # not a text suffix: ignored
    (folder / ".hidden.md").write_text("secret", encoding="utf-8")      # hidden: ignored
    return folder


def _run(capsys, *argv):
    code = cli.main(["rag", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.usefixtures("llm_weights")
def test_index_and_ask_json(notes, capsys):
    code, out, err = _run(capsys, "index", str(notes))
    assert code == 0, err
    assert "indexed 2 files" in out
    manifest = rag_cli.load_manifest("minilm-l6")
    assert manifest["files"] == 2 and manifest["chunks"] >= 2 and manifest["qdrant"] == "embedded"
    assert not [p for p in rag_cli.index_dir().parent.iterdir() if "tmp" in p.name or "old" in p.name]
    code, out, err = _run(capsys, "ask", "How often are the tomatoes watered?", "--k", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {"answer", "sources", "timings"} and result["answer"]
    assert len(result["sources"]) == 2 and set(result["sources"][0]) == {"file", "text", "score"}
    assert result["sources"][0]["file"] == "garden.md"
    code, out, err = _run(capsys, "ask", "What is the tyre pressure?")
    assert code == 0 and "sources:" in out and "sub/bike.txt" in out
    log = (rag_cli.index_dir().parent / "queries.jsonl").read_text().splitlines()
    assert len(log) == 2 and json.loads(log[0])["question"] == "How often are the tomatoes watered?"


def test_ask_before_any_index(capsys):
    code, _, err = _run(capsys, "ask", "anything?")
    assert code == 2 and "no index yet" in err and "rag index" in err


def test_index_errors_leave_nothing_behind(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "image.png").write_bytes(b"\x00\x01")
    code, _, err = _run(capsys, "index", str(empty))
    assert code == 2 and "no text files" in err
    code, _, err = _run(capsys, "index", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err
    binary = tmp_path / "binary"
    binary.mkdir()
    (binary / "ok.md").write_text("fine text here", encoding="utf-8")
    (binary / "data.txt").write_bytes(b"PK\x03\x04\x00\x00binary")
    code, _, err = _run(capsys, "index", str(binary))
    assert code == 2 and "data.txt is not UTF-8 text" in err
    blank = tmp_path / "blank"
    blank.mkdir()
    (blank / "a.txt").write_text("  \n\n ", encoding="utf-8")
    code, _, err = _run(capsys, "index", str(blank))
    assert code == 2 and "empty" in err
    code, _, err = _run(capsys, "index", str(blank), "--size", "10", "--overlap", "10")
    assert code == 2 and "--overlap" in err
    assert not rag_cli.index_dir().exists()


def test_ask_with_another_model_and_bad_input(notes, capsys):
    assert _run(capsys, "index", str(notes), "--model", "wordllama")[0] == 0
    code, _, err = _run(capsys, "ask", "tomatoes?", "--model", "minilm-l6")
    assert code == 2 and "built with the embedding model 'wordllama'" in err
    code, _, err = _run(capsys, "ask", "   ")
    assert code == 2 and "empty" in err
    code, _, err = _run(capsys, "ask", "tomatoes?", "--k", "0")
    assert code == 2 and "--k" in err


def test_failed_reindex_keeps_the_previous_index(notes, tmp_path, capsys):
    assert _run(capsys, "index", str(notes), "--model", "wordllama")[0] == 0
    before = rag_cli.load_manifest()
    assert _run(capsys, "index", str(tmp_path / "missing"))[0] == 2
    assert rag_cli.load_manifest() == before


def test_outdated_index_format(notes, capsys):
    assert _run(capsys, "index", str(notes), "--model", "wordllama")[0] == 0
    path = rag_cli.index_dir() / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "format": 0}))
    code, _, err = _run(capsys, "ask", "tomatoes?")
    assert code == 2 and "another version" in err
