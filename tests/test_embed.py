"""Offline embedding loaders: shapes, unit rows, the disk cache, and every bad-input path."""

import numpy as np
import pytest

from nbkit import assets, embed

TEXTS = ["The king ruled the land.", "A queen is a female monarch.", "Lists are mutable sequences."]


def test_wordllama_encode_shape_unit_rows_and_meaning():
    v = embed.encode("wordllama", TEXTS, cache=False)
    assert v.shape == (3, 256) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]  # royal sentences closer to each other than to lists


def test_onnx_models_agree_with_their_references():
    fp32 = embed.encode("minilm-l3-onnx", TEXTS, cache=False)
    assert fp32.shape == (3, 384) and np.allclose(np.linalg.norm(fp32, axis=1), 1, atol=1e-5)
    enc = embed.load("minilm-l3-onnx")
    assert enc.dim == 384 and enc.native is not None


def test_cache_hit_does_not_load_the_model(monkeypatch):
    first = embed.encode("wordllama", TEXTS)
    monkeypatch.setattr(embed, "load", lambda name: (_ for _ in ()).throw(AssertionError("must come from cache")))
    again = embed.encode("wordllama", TEXTS)
    assert np.array_equal(first, again)


def test_damaged_cache_is_recomputed():
    first = embed.encode("wordllama", TEXTS)
    key = embed.cache_key("wordllama", TEXTS)
    from nbkit import config

    (config.cache_dir() / "embeddings" / f"wordllama-{key}.npy").write_bytes(b"not a numpy file")
    assert np.allclose(embed.encode("wordllama", TEXTS), first)


def test_cache_key_changes_with_texts_and_model():
    assert embed.cache_key("wordllama", TEXTS) != embed.cache_key("wordllama", TEXTS[:2])
    assert embed.cache_key("wordllama", TEXTS) != embed.cache_key("minilm-int8", TEXTS)


@pytest.mark.parametrize("sentences, error, words", [
    ([], ValueError, "sentences is empty"),
    (["ok", "  "], ValueError, "sentences[1]"),
    (["ok", 3], TypeError, "sentences[1]"),
    ("one string", TypeError, "not one string"),
    (None, TypeError, "sentences"),
])
def test_bad_sentences(sentences, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        embed.encode("wordllama", sentences)


def test_bad_model_name_and_batch_size():
    with pytest.raises(ValueError, match="unknown sentence model 'bert-huge'"):
        embed.encode("bert-huge", TEXTS)
    with pytest.raises(TypeError, match="model_name"):
        embed.load(None)
    with pytest.raises(ValueError, match="batch_size"):
        embed.encode("wordllama", TEXTS, batch_size=0)
    with pytest.raises(ValueError, match="unknown word-vector model"):
        embed.word_vectors("word2vec-google-news")


def test_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setattr(assets, "_installed", lambda dist: None)
    embed._load.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match="pip install wordllama"):
            embed.load("wordllama")
    finally:
        embed._load.cache_clear()


def test_packaged_word_vectors():
    glove = embed.word_vectors("glove-50d", limit=5000)
    assert len(glove) == 5000 and glove.dim == 50 and glove.words[0] == "the"
    assert "queen" in [w for w, _ in glove.neighbours("king", 10)]
    tokens = embed.word_vectors("minilm-l6-tokens")
    assert tokens.dim == 384 and "king" in tokens and all(w.isalpha() for w in tokens.words[:100])


def test_word_lookup_errors():
    wv = embed.WordVectors.from_arrays("toy", ["a", "b", "c"], np.eye(3))
    with pytest.raises(ValueError, match="word 'zzz' is not in the vocabulary of toy"):
        wv.vector("zzz")
    with pytest.raises(TypeError, match="word must be a string"):
        wv.vector(3)
    with pytest.raises(ValueError, match="k must be"):
        wv.neighbours("a", k=0)
    assert [w for w, _ in wv.neighbours("a", 2)] and "a" not in [w for w, _ in wv.neighbours("a", 2)]


@pytest.mark.parametrize("words, vectors, error, words_in_message", [
    (["a", "a"], np.eye(2), ValueError, "duplicates"),
    (["a", "b"], np.eye(3), ValueError, "shape"),
    (["a", ""], np.eye(2), ValueError, "non-empty"),
    ("ab", np.eye(2), TypeError, "words must be a list"),
    (["a", "b"], np.array([[1.0, 0.0], [0.0, 0.0]]), RuntimeError, "zero or non-finite"),
    (["a", "b"], np.array([[1.0, np.nan], [0.0, 1.0]]), RuntimeError, "zero or non-finite"),
])
def test_from_arrays_rejects_bad_input(words, vectors, error, words_in_message):
    with pytest.raises(error, match=words_in_message):
        embed.WordVectors.from_arrays("toy", words, vectors)


def test_corrupt_vector_file(tmp_path):
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="not a readable .npy"):
        embed.read_vectors(bad, ["a", "b"], "toy")
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.ones((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="does not match its word list"):
        embed.read_vectors(wrong, ["a", "b"], "toy")
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((2, 4), np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="NaN"):
        embed.read_vectors(nan, ["a", "b"], "toy")


def test_word_vector_limits_and_wordllama_words():
    small = embed.word_vectors("glove-50d", limit=1000)
    assert len(small) == 1000 and small.words[:3] == ["the", ",", "."]
    with pytest.raises(ValueError, match="limit must be"):
        embed.word_vectors("glove-50d", limit=0)
    wl = embed.word_vectors("wordllama-words", limit=2000)
    assert wl.dim == 256 and len(wl) == 2000 and all(w.isalpha() for w in wl.words)
    assert "queen" in [w for w, _ in embed.word_vectors("minilm-l6-tokens").neighbours("king", 5)]
