"""The training loop, its schedule and History, and the evaluation helpers."""

import itertools
import math

import plotly.graph_objects as go
import pytest
import torch

from nbkit import data, models, train


def copy_task(seed=0):
    """Predict the current token (shifted copy): learnable in a few dozen steps."""
    gen = torch.Generator().manual_seed(seed)

    def sample():
        x = torch.randint(0, 8, (16, 6), generator=gen)
        return x, x.clone()

    return sample


def tiny_lstm():
    torch.manual_seed(0)
    return models.build_model(kind="lstm", vocab=8, d_model=16, n_layers=1, context=6)


def test_nats_to_bits():
    assert train.nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert train.nats_to_bits(0.0) == 0.0


def test_lr_schedule():
    assert train.lr_at(0.0, 1.0, 0.1) == 0.0
    assert train.lr_at(0.05, 1.0, 0.1) == pytest.approx(0.5)
    assert train.lr_at(0.1, 1.0, 0.1) == pytest.approx(1.0)
    assert train.lr_at(1.0, 1.0, 0.1) == pytest.approx(0.1)
    values = [train.lr_at(p / 10, 1.0, 0.1) for p in range(1, 11)]
    assert all(a >= b for a, b in itertools.pairwise(values))


def test_loss_fn_ignores_masked_positions():
    logits = torch.zeros(1, 3, 4)
    logits[0, 0, 2] = 10.0
    targets = torch.tensor([[2, data.IGNORE, data.IGNORE]])
    assert train.loss_fn(logits, targets).item() < 1e-3
    classifier_logits = torch.zeros(5, 4)
    assert train.loss_fn(classifier_logits, torch.zeros(5, dtype=torch.long)).item() == pytest.approx(math.log(4))


def test_train_learns_and_records_history():
    model = tiny_lstm()
    before = train.evaluate(model, copy_task(1), 2)
    hist = train.train(model, copy_task(), steps=60, lr=1e-2, warmup=5, eval_every=20,
                       val_batches=copy_task(1), label="lstm", progress=False)
    assert hist.label == "lstm" and hist.step == [20, 40, 60] and hist.val_step == [20, 40, 60]
    assert hist.tokens[-1] == 60 * 16 * 6 and hist.tokens_per_second > 0
    assert hist.final_val_loss < before * 0.5
    assert train.accuracy(model, copy_task(2), 2) > 0.9
    assert not model.training  # train() leaves the model in eval mode


def test_train_time_budget_stops():
    model = tiny_lstm()
    hist = train.train(model, copy_task(), seconds=0.3, lr=1e-2, eval_every=10_000, progress=False,
                       val_batches=copy_task(1))
    assert hist.seconds[-1] < 3.0 and hist.step[-1] >= 1 and len(hist.val_loss) == 1


def test_train_bad_input():
    model = tiny_lstm()
    with pytest.raises(TypeError, match="torch.nn.Module"):
        train.train("model", copy_task(), steps=1)
    with pytest.raises(ValueError, match="budget"):
        train.train(model, copy_task())
    with pytest.raises(ValueError, match="steps"):
        train.train(model, copy_task(), steps=0)
    with pytest.raises(ValueError, match="seconds"):
        train.train(model, copy_task(), seconds=-1)
    with pytest.raises(ValueError, match="lr"):
        train.train(model, copy_task(), steps=1, lr=0)


def test_evaluate_accuracy_and_position_loss():
    model = tiny_lstm()
    loss = train.evaluate(model, copy_task(), 2)
    assert loss == pytest.approx(math.log(8), abs=0.3)  # untrained: about uniform over 8 tokens
    acc = train.accuracy(model, copy_task(), 2)
    assert 0.0 <= acc <= 1.0
    per = train.loss_by_position(model, copy_task(), 2)
    assert per.shape == (6,) and torch.isfinite(per).all()
    for fn in (train.evaluate, train.accuracy, train.loss_by_position):
        with pytest.raises(ValueError, match="n_batches"):
            fn(model, copy_task(), 0)


def test_history_plots():
    h = train.History(label="a", step=[1, 2], tokens=[10, 20], seconds=[0.1, 0.2], train_loss=[2.0, 1.0],
                      val_step=[2], val_tokens=[20], val_seconds=[0.2], val_loss=[1.1])
    assert h.final_val_loss == 1.1 and h.tokens_per_second == pytest.approx(100)
    assert math.isnan(train.History().final_val_loss) and math.isnan(train.History().tokens_per_second)
    fig = h.plot(x="seconds")
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    assert fig.data[1].y[0] == pytest.approx(1.1 / math.log(2))
    fig = train.plot_histories([h, h], x="tokens", bits=False, validation_only=True)
    assert len(fig.data) == 2 and fig.data[0].y[0] == pytest.approx(1.1)
    with pytest.raises(ValueError, match="x must be"):
        train.plot_histories([h], x="epochs")
    with pytest.raises(TypeError, match="History"):
        train.plot_histories([])


def test_recall_accuracy_per_distance():
    torch.manual_seed(0)
    model = models.build_model(kind="gpt", vocab=data.RECALL_VOCAB, d_model=16, n_heads=2, n_layers=1, context=20)
    acc = train.recall_accuracy(model, [1, 4], n_examples=64, seed=3)
    assert list(acc) == [1, 4] and all(0.0 <= a <= 1.0 for a in acc.values())
    assert train.recall_accuracy(model, 4, n_examples=64, seed=3) == {4: acc[4]}  # same examples, same answer
    with pytest.raises(ValueError, match="distances"):
        train.recall_accuracy(model, [-1])
    with pytest.raises(ValueError, match="n_examples"):
        train.recall_accuracy(model, [1], n_examples=0)
