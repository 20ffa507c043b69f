"""The byte tokenizer, batching and the synthetic tasks of nbkit.data (the corpora: test_corpus.py).

(The Markov source is tested in test_data_markov.py.)
"""

import numpy as np
import pytest
import torch

from nbkit import data


def test_encode_decode_roundtrip():
    ids = data.encode("héllo ☃")
    assert ids.dtype == np.uint8 and len(ids) == len("héllo ☃".encode())
    assert data.decode(ids) == "héllo ☃"
    assert data.decode(torch.tensor(ids.astype(np.int64))) == "héllo ☃"
    assert data.decode([0xFF]) == "\ufffd"
    with pytest.raises(TypeError, match="text must be a str"):
        data.encode(b"bytes")
    with pytest.raises(ValueError, match="1-D"):
        data.decode(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="0..255"):
        data.decode([300])


def test_batch_sampler_shapes_and_shift():
    ids = np.arange(500) % 256
    sample = data.batch_sampler(ids, 4, 16, seed=1, device="cpu")
    x, y = sample()
    assert x.shape == y.shape == (4, 16) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])
    with pytest.raises(ValueError, match="longer than context"):
        data.batch_sampler(ids[:10], 4, 16)
    with pytest.raises(ValueError, match="batch_size"):
        data.batch_sampler(ids, 0, 16)


def test_recall_batch_layout():
    gen = torch.Generator().manual_seed(0)
    x, y = data.recall_batch(64, 5, n_pairs=3, generator=gen)
    assert x.shape == y.shape == (64, 2 * 3 + 5 + 3)
    assert (y[:, :-1] == data.IGNORE).all()
    assert (x[:, 6] == data.RECALL_SEP).all() and (x[:, -2] == data.RECALL_QUERY).all()
    for row, target in zip(x, y[:, -1]):  # the target is the value shown after the queried key
        keys, values = row[0:6:2], row[1:6:2]
        assert values[(keys == row[-1]).nonzero()[0, 0]] == target
    x, _ = data.recall_batch(2, (3, 3), generator=gen)
    assert x.shape[1] == 6 + 3 + 3
    with pytest.raises(ValueError, match="n_pairs"):
        data.recall_batch(2, 3, n_pairs=9)
    with pytest.raises(ValueError, match="distance"):
        data.recall_batch(2, -1)
    with pytest.raises(ValueError, match="distance range"):
        data.recall_batch(2, (5, 2))
    with pytest.raises(ValueError, match="batch_size"):
        data.recall_batch(0, 2)


def test_recall_sampler_spreads_distances():
    sample = data.recall_sampler(2, 200, n_pairs=1, seed=3)
    gaps = [sample()[0].shape[1] - 5 for _ in range(300)]
    assert 1 <= min(gaps) and max(gaps) <= 200
    assert np.mean(np.array(gaps) <= 14) > 0.35  # log-uniform: about half the batches have short gaps
    uniform = data.recall_sampler(2, 200, n_pairs=1, spread="uniform", seed=3)
    assert np.mean([uniform()[0].shape[1] - 5 <= 14 for _ in range(300)]) < 0.2
    assert data.recall_sampler(2, 4, min_distance=4)()[0].shape[1] == 2 + 4 + 3
    with pytest.raises(ValueError, match="spread"):
        data.recall_sampler(2, 10, spread="exp")
    with pytest.raises(ValueError, match="max_distance"):
        data.recall_sampler(2, 3, min_distance=5)
    with pytest.raises(ValueError, match="batch_size"):
        data.recall_sampler(0, 10)


def test_order_batch_target_is_the_first_mark():
    x, y = data.order_batch(200, 12, n_marks=3, generator=torch.Generator().manual_seed(1))
    assert x.shape == y.shape == (200, 13)
    assert (x[:, -1] == data.RECALL_QUERY).all() and (y[:, :-1] == data.IGNORE).all()
    for row, target in zip(x, y[:, -1]):
        marks = row[:-1][row[:-1] < data.RECALL_KEYS]
        assert len(marks) == 3 and marks[0] == target
    assert data.order_batch(2, 5)[0].shape == (2, 6)  # default generator works
    with pytest.raises(ValueError, match="n_marks"):
        data.order_batch(2, 12, n_marks=1)
    with pytest.raises(ValueError, match="n_marks"):
        data.order_batch(2, 12, n_marks=9)
    with pytest.raises(ValueError, match="length"):
        data.order_batch(2, 2, n_marks=3)


def test_repeat_sampler_second_half_repeats():
    ids = np.arange(1000) % 256
    x, y = data.repeat_sampler(ids, 3, 20, seed=0, device="cpu")()
    assert x.shape == y.shape == (3, 20)
    assert torch.equal(x[:, :10], x[:, 10:])
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert torch.equal(y[:, 10:-1], x[:, 1:10])
    with pytest.raises(ValueError, match="context"):
        data.repeat_sampler(ids, 3, 1)
    with pytest.raises(ValueError, match="longer than"):
        data.repeat_sampler(ids[:5], 3, 20)
    with pytest.raises(ValueError, match="batch_size"):
        data.repeat_sampler(ids, 0, 20)


def test_topic_passages_labels_and_split():
    x, y = data.topic_passages(5, 32, "train", seed=0)
    assert x.shape == (5 * len(data.TOPIC_GROUPS), 32) and y.shape == (len(x),)
    assert sorted(torch.bincount(y).tolist()) == [5] * len(data.TOPIC_GROUPS)
    xt, yt = data.topic_passages(3, 32, "test", classes=("debugger", "strings"), seed=0)
    assert set(yt.tolist()) == {0, 1}
    train_text = {data.decode(r) for r in data.topic_passages(50, 32, "train", classes=("debugger", "strings"))[0]}
    assert not train_text & {data.decode(r) for r in xt}
    with pytest.raises(ValueError, match="classes"):
        data.topic_passages(2, classes=("debugger",))
    with pytest.raises(ValueError, match="classes"):
        data.topic_passages(2, classes=("poetry", "strings"))
    with pytest.raises(ValueError, match="split"):
        data.topic_passages(2, split="val")
    with pytest.raises(ValueError, match="too long"):
        data.topic_passages(2, length=10**6)


def test_tensor_sampler():
    x, y = torch.arange(20).reshape(10, 2), torch.arange(10)
    xb, yb = data.tensor_sampler(x, y, 4, seed=0)()
    assert xb.shape == (4, 2) and torch.equal(xb[:, 0] // 2, yb)
    assert len(data.tensor_sampler(x, y, 50)()[0]) == 10
    with pytest.raises(TypeError, match="tensors"):
        data.tensor_sampler(x.numpy(), y, 4)
    with pytest.raises(ValueError, match="same length"):
        data.tensor_sampler(x, y[:3], 4)


def test_recall_token_names():
    x, _ = data.recall_batch(1, 2, n_pairs=1, generator=torch.Generator().manual_seed(0))
    names = data.recall_token_names(x[0])
    assert names[0].startswith("k") and names[1].startswith("v")
    assert names[2:] == ["|", "·", "·", "?", names[0]]
    with pytest.raises(ValueError, match="1-D"):
        data.recall_token_names(x)
    with pytest.raises(ValueError, match="recall vocabulary"):
        data.recall_token_names([30])


def test_recall_sampler_curriculum_grows_the_distance():
    sample = data.recall_sampler(2, 256, n_pairs=1, seed=3, grow_over=50, device="cpu")
    lengths = [sample()[0].shape[1] - 5 for _ in range(100)]
    assert max(lengths[:10]) <= 8 and max(lengths[50:]) > 64 and max(lengths) <= 256
    with pytest.raises(ValueError, match="grow_over"):
        data.recall_sampler(2, 10, grow_over=-1)
