"""llm.unload forgets the loaded generator (so a notebook can free its memory)."""

from nbkit import llm


def test_unload_forgets_the_generator(monkeypatch):
    monkeypatch.setattr(llm, "_LOADED", object())
    llm.unload()
    assert llm._LOADED is None
    llm.unload()  # unloading twice is harmless
    assert llm._LOADED is None
