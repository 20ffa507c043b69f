import json
import subprocess
import sys

import nbformat
import pytest

from nbkit import assets, cli
from nbkit.runner import run_notebook


def test_doctor_exits_zero(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "profile" in out and "python-docs" in out and ("offline" in out or "online" in out)


def test_ledger_json_lists_every_claim(capsys):
    assert cli.main(["ledger", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 33
    assert {"id", "notebook", "status", "evidence", "scale"} <= set(rows[0])


def test_ledger_text(capsys):
    assert cli.main(["ledger"]) == 0
    assert "not yet measured" in capsys.readouterr().out


def test_bad_scale_env_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("NBKIT_SCALE", "huge")
    assert cli.main(["ledger"]) == 2
    assert "smoke, default, full" in capsys.readouterr().err


def _notebook(path, sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_reports_time_memory_and_failure(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = _notebook(tmp_path / "good.ipynb", ["import os; print(os.environ['NBKIT_SCALE'])"])
    bad = _notebook(tmp_path / "bad.ipynb", ["raise RuntimeError('effect gone')"])
    ok = run_notebook(good, scale="smoke")
    assert ok.ok and ok.wall_s > 0 and ok.peak_mib > 10
    executed = nbformat.read(ok.executed, as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "smoke"
    failed = run_notebook(bad, scale="smoke")
    assert not failed.ok and "effect gone" in failed.error
    assert cli.main(["run", str(good), str(bad), "--scale", "smoke"]) == 1


def test_run_rejects_missing_file():
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        run_notebook("nope.ipynb")
    assert cli.main(["run", "nope.ipynb"]) == 2


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "nbkit", "ledger", "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and json.loads(out.stdout)


def test_assets_listing_and_require():
    names = {a["name"]: a for a in assets.available()}
    assert names["python-docs"]["installed"]
    assert assets.require("sklearn-datasets")
    with pytest.raises(ValueError, match="known"):
        assets.require("gpt-5")
    missing = [a for a in assets.ASSETS if not names[a.name]["installed"]]
    if missing:
        with pytest.raises(ModuleNotFoundError, match="pip install"):
            assets.require(missing[0].name)


def test_ledger_history_scale_and_markdown(capsys):
    from nbkit import ledger

    ledger.append({"claim": "COMP-3", "status": "supported", "scale": "smoke", "notebook": "03_compression"})
    ledger.append({"claim": "COMP-3", "status": "not supported", "scale": "default", "notebook": "03_compression"})
    assert cli.main(["ledger", "--history"]) == 0
    out = capsys.readouterr().out
    assert out.count("COMP-3") == 2
    assert cli.main(["ledger", "--scale", "smoke"]) == 0
    assert "COMP-3   03_compression           supported" in capsys.readouterr().out
    assert cli.main(["ledger", "--markdown"]) == 0
    assert "| COMP-3 | 03_compression | not supported |" in capsys.readouterr().out
    assert cli.main(["ledger", "--readme", "/nonexistent/README.md"]) == 2
    assert "no file" in capsys.readouterr().err


@pytest.mark.parametrize("source, status", [("print('done')", "ok"), ("raise ValueError('late')", "error")])
def test_a_lost_execute_reply_does_not_hang_the_run(tmp_path, source, status):
    """ipykernel 7 sometimes loses a cell's execute_reply (nbclient#312): the run goes on after the grace."""
    import time

    from nbclient.util import ensure_async

    from nbkit import runner

    nb = nbformat.read(_notebook(tmp_path / "lost.ipynb", ["x = 1", source, "print(x + 1)"]), as_version=4)
    client = runner._robust_client_class()(nb, timeout=120, kernel_name="python3")
    client.lost_reply_grace = 1.0
    replies = []

    async def drop_the_reply_of_cell_1(cell, cell_index, **_):
        if cell_index != 1:
            return
        channel = client.kc.shell_channel
        get_msg = channel.get_msg

        async def lossy(*args, **kwargs):
            msg = await ensure_async(get_msg(*args, **kwargs))
            if msg["msg_type"] == "execute_reply" and not replies:
                replies.append(msg)           # swallowed, as if it never came
                return await ensure_async(get_msg(*args, **kwargs))
            return msg

        channel.get_msg = lossy

    client.on_cell_execute = drop_the_reply_of_cell_1
    start = time.perf_counter()
    if status == "ok":
        client.execute()
        assert nb.cells[2].outputs[0]["text"].strip() == "2"
    else:
        from nbclient.exceptions import CellExecutionError

        with pytest.raises(CellExecutionError, match="late"):
            client.execute()
    assert replies and time.perf_counter() - start < 60
