"""The shared training loop."""

import pytest
import torch

from lstm_helpers.train import count_parameters, train


def regression_problem(seed=0):
    torch.manual_seed(seed)
    w = torch.tensor([[2.0], [-3.0]])
    x = torch.randn(256, 2)
    return x, x @ w + 0.5


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def test_learns_a_linear_map_and_records_history():
    x, y = regression_problem()
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = train(model, lambda step: (x[(step * 32) % 256:][:32], y[(step * 32) % 256:][:32]), mse,
                 optimizer=opt, n_steps=300, record_every=10)
    assert hist.loss[-1] < 1e-4 < hist.loss[0]
    assert hist.step[:2] == [10, 20] and hist.step[-1] == 300
    assert hist.sequences_seen == 300 * 32
    torch.testing.assert_close(model.weight.detach(), torch.tensor([[2.0, -3.0]]), atol=1e-2, rtol=0)
    assert not model.training


def test_iterable_batches_are_cycled():
    x, y = regression_problem()
    data = [(x[i:i + 64], y[i:i + 64]) for i in range(0, 256, 64)]
    model = torch.nn.Linear(2, 1)
    hist = train(model, data, mse, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), n_steps=10, record_every=5)
    assert hist.seen == [5 * 64, 10 * 64]


def test_callback_stops_early_and_stores_metrics():
    x, y = regression_problem()
    model = torch.nn.Linear(2, 1)

    def callback(step, model, history):
        history.metrics.setdefault("val", []).append(float(mse(model, (x, y))))
        return history.metrics["val"][-1] < 0.01

    hist = train(model, lambda s: (x, y), mse, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                 n_steps=10_000, callback=callback, callback_every=20)
    assert hist.stopped_early
    assert hist.step[-1] < 10_000 and hist.step[-1] % 20 == 0
    assert hist.metrics["val"][-1] < 0.01


def test_clipping_limits_the_update():
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    x = torch.ones(1, 1)
    y = torch.full((1, 1), 1000.0)
    hist = train(model, lambda s: (x, y), mse, optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
                 n_steps=1, clip=1.0, record_every=1)
    assert hist.grad_norm[0] == pytest.approx(2000.0)
    assert float(model.weight.detach()) == pytest.approx(1.0, rel=1e-5)


def test_progress_bar_goes_to_stdout(capsys):
    x, y = regression_problem()
    model = torch.nn.Linear(2, 1)
    train(model, lambda s: (x, y), mse, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), n_steps=5,
          progress=True, desc="fit")
    out, err = capsys.readouterr()
    assert "fit" in out and err == ""


def test_bad_arguments():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        train(model, lambda s: None, mse, optimizer=opt, n_steps=0)
    with pytest.raises(ValueError, match="record_every"):
        train(model, lambda s: None, mse, optimizer=opt, n_steps=1, record_every=0)
    with pytest.raises(ValueError, match="first entry is a tensor"):
        train(model, lambda s: ([], []), lambda m, b: m(torch.zeros(1, 2)).sum(), optimizer=opt, n_steps=1)


def test_count_parameters():
    assert count_parameters(torch.nn.LSTM(3, 4)) == 4 * (3 * 4 + 4 * 4 + 2 * 4)


def test_train_moves_a_named_tuple_batch():
    from typing import NamedTuple

    import torch

    from lstm_helpers.train import _to_device

    class Pair(NamedTuple):
        x: object
        y: object

    moved = _to_device(Pair(torch.zeros(2), [torch.ones(1)]), torch.device("cpu"))
    assert isinstance(moved, Pair) and torch.equal(moved.x, torch.zeros(2)) and isinstance(moved.y, list)
