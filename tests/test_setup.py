import plotly.io as pio
import pytest
import torch

import nbkit


def test_setup_prints_one_line_each_and_returns_facts(capsys):
    info = nbkit.setup(seed=7)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].strip() for line in out] == ["profile", "device", "seed", "versions"]
    assert info["profile"] == "smoke" and info["seed"] == 7 and info["threads"] == torch.get_num_threads()
    assert info["versions"]["torch"] == torch.__version__
    assert pio.templates.default == "nbkit"


def test_setup_quiet_and_seeded(capsys):
    nbkit.setup(seed=1, quiet=True)
    a = torch.rand(2)
    nbkit.setup(seed=1, quiet=True)
    assert torch.equal(a, torch.rand(2)) and capsys.readouterr().out == ""


def test_setup_rejects_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        nbkit.setup(seed=-3)
