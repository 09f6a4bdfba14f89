"""The NumPy LSTM against torch autograd, finite differences, the converters and bad input."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lstm_helpers.gradcheck import numerical_gradient, rel_error
from lstm_helpers.numpy_lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    lstm_weights_from_torch,
    lstm_weights_to_torch,
    sigmoid,
)


def make_params(rng, N, T, D, H, scale=0.5):
    return (
        rng.normal(size=(N, T, D)),
        rng.normal(size=(N, H)),
        rng.normal(scale=scale, size=(D, 4 * H)),
        rng.normal(scale=scale, size=(H, 4 * H)),
        rng.normal(scale=scale, size=4 * H),
        rng.normal(size=(N, H)),
    )


@given(
    N=st.integers(1, 4), T=st.integers(1, 6), D=st.integers(1, 5), H=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1), zero_c0=st.booleans(),
)
def test_forward_backward_match_torch_autograd(N, T, D, H, seed, zero_c0):
    rng = np.random.default_rng(seed)
    x, h0, Wx, Wh, b, c0 = make_params(rng, N, T, D, H)
    if zero_c0:
        c0 = None
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0=c0)
    dh = rng.normal(size=h.shape)
    dx, dh0, dWx, dWh, db = lstm_backward(dh, cache)

    lstm = lstm_weights_to_torch(Wx, Wh, b)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.zeros(1, N, H, dtype=torch.float64) if c0 is None else torch.tensor(c0)[None]
    out, (hT, cT) = lstm(xt, (h0t[None], c0t))
    (out * torch.tensor(dh)).sum().backward()
    assert rel_error(h, out) < 1e-10
    assert rel_error(cache["c"][:, -1], cT[0]) < 1e-10
    assert rel_error(dx, xt.grad) < 1e-9
    assert rel_error(dh0, h0t.grad) < 1e-9
    assert rel_error(dWx, lstm.weight_ih_l0.grad.T) < 1e-9
    assert rel_error(dWh, lstm.weight_hh_l0.grad.T) < 1e-9
    assert rel_error(db, lstm.bias_ih_l0.grad) < 1e-9


def test_sequence_backward_matches_finite_differences(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 4, 3, 3)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    dh = rng.normal(size=h.shape)
    grads = lstm_backward(dh, cache)
    for value, grad in zip([x, h0, Wx, Wh, b], grads):
        num = numerical_gradient(lambda _: lstm_forward(x, h0, Wx, Wh, b, c0)[0], value, dh)
        assert rel_error(grad, num) < 1e-7


def test_step_backward_matches_finite_differences(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 3, 1, 4, 2)
    x = x[:, 0]
    h, c, cache = lstm_step_forward(x, h0, c0, Wx, Wh, b)
    dh, dc = rng.normal(size=h.shape), rng.normal(size=c.shape)
    grads = lstm_step_backward(dh, dc, cache)

    def f(_):
        h_, c_, _ = lstm_step_forward(x, h0, c0, Wx, Wh, b)
        return np.concatenate([h_, c_], axis=1)

    upstream = np.concatenate([dh, dc], axis=1)
    for value, grad in zip([x, h0, c0, Wx, Wh, b], grads):
        assert rel_error(grad, numerical_gradient(f, value, upstream)) < 1e-7


def test_step_formula_by_hand():
    # H = 1, D = 1: every gate pre-activation is a number we can follow
    Wx = np.array([[1.0, 2.0, -1.0, 0.5]])  # i, f, g, o
    Wh = np.zeros((1, 4))
    b = np.array([0.0, 1.0, 0.0, 0.0])
    h, c, cache = lstm_step_forward(np.array([[1.0]]), np.zeros((1, 1)), np.array([[2.0]]), Wx, Wh, b)
    i, f, g, o = 1 / (1 + np.exp(-1)), 1 / (1 + np.exp(-3)), np.tanh(-1), 1 / (1 + np.exp(-0.5))
    assert c[0, 0] == pytest.approx(f * 2 + i * g)
    assert h[0, 0] == pytest.approx(o * np.tanh(f * 2 + i * g))
    assert cache["f"][0, 0] == pytest.approx(f)


def test_forget_gate_open_keeps_the_cell_gradient(rng):
    # f = 1, i = 0 (huge biases): c_t = c_{t-1}, and dc flows back unchanged
    H = 3
    Wx, Wh = np.zeros((2, 4 * H)), np.zeros((H, 4 * H))
    b = np.concatenate([-50 * np.ones(H), 50 * np.ones(H), np.zeros(H), np.zeros(H)])
    x, h0, c0 = rng.normal(size=(1, 2)), np.zeros((1, H)), rng.normal(size=(1, H))
    _, c, cache = lstm_step_forward(x, h0, c0, Wx, Wh, b)
    np.testing.assert_allclose(c, c0, atol=1e-12)
    dc_next = rng.normal(size=(1, H))
    _, _, dc_prev, *_ = lstm_step_backward(np.zeros((1, H)), dc_next, cache)
    np.testing.assert_allclose(dc_prev, dc_next, atol=1e-12)


def test_cache_exposes_states_and_gates(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 5, 3, 4)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    assert cache["c"].shape == (2, 5, 4)
    for name in "ifgo":
        assert cache["gates"][name].shape == (2, 5, 4)
    assert np.all((cache["gates"]["f"] > 0) & (cache["gates"]["f"] < 1))
    np.testing.assert_allclose(h, cache["gates"]["o"] * np.tanh(cache["c"]))


def test_sigmoid_is_stable():
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    s = sigmoid(z)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0])


# ---------------------------------------------------------------- converters


@pytest.mark.parametrize("cls", [torch.nn.LSTM, torch.nn.LSTMCell])
def test_converters_round_trip(cls):
    torch.manual_seed(0)
    module = cls(3, 4).double()
    Wx, Wh, b = lstm_weights_from_torch(module)
    assert Wx.shape == (3, 16) and Wh.shape == (4, 16) and b.shape == (16,)
    back = lstm_weights_to_torch(Wx, Wh, b, cls(3, 4).double())
    for ours, theirs in zip((Wx, Wh, b), lstm_weights_from_torch(back)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)


def test_biases_are_summed():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(2, 3).double()
    _, _, b = lstm_weights_from_torch(cell)
    np.testing.assert_allclose(b, (cell.bias_ih + cell.bias_hh).detach().numpy())


def test_lstmcell_step_equals_numpy_step(rng):
    torch.manual_seed(3)
    cell = torch.nn.LSTMCell(3, 2).double()
    Wx, Wh, b = lstm_weights_from_torch(cell)
    x, h0, c0 = rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    h, c, _ = lstm_step_forward(x, h0, c0, Wx, Wh, b)
    ht, ct = cell(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    assert rel_error(h, ht) < 1e-12 and rel_error(c, ct) < 1e-12


def test_float32_torch_module_converts():
    torch.manual_seed(0)
    Wx, Wh, b = lstm_weights_from_torch(torch.nn.LSTM(2, 3))
    assert Wx.dtype == np.float64
    lstm = lstm_weights_to_torch(Wx, Wh, b, torch.nn.LSTM(2, 3, batch_first=True))
    assert lstm.weight_ih_l0.dtype == torch.float32


def test_converter_rejects_unsupported_modules():
    with pytest.raises(ValueError, match="one-layer, unidirectional"):
        lstm_weights_from_torch(torch.nn.LSTM(2, 3, num_layers=2))
    with pytest.raises(ValueError, match="one-layer, unidirectional"):
        lstm_weights_from_torch(torch.nn.LSTM(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="expected torch.nn.LSTM"):
        lstm_weights_from_torch(torch.nn.GRU(2, 3))
    with pytest.raises(ValueError, match="input_size=2 and hidden_size=3"):
        lstm_weights_to_torch(np.zeros((2, 12)), np.zeros((3, 12)), np.zeros(12), torch.nn.LSTM(5, 3))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change, message",
    [
        ({"x": np.zeros((2, 3))}, r"x must have shape \(N, T, D\)"),
        ({"x": np.zeros((2, 4, 5))}, r"x must have shape \(N, T, D\) = \(2, 4, 3\)"),
        ({"h0": np.zeros((3, 4))}, r"h0 must have shape \(N, H\) = \(2, 4\)"),
        ({"c0": np.zeros((2, 5))}, r"c0 must have shape \(N, H\) = \(2, 4\)"),
        ({"Wx": np.zeros((3, 10))}, r"Wx must have shape \(D, 4H\)"),
        ({"Wh": np.zeros((4, 12))}, r"Wh must have shape \(H, 4H\) = \(4, 16\)"),
        ({"b": np.zeros(4)}, r"b must have shape \(4H,\) = \(16,\)"),
    ],
)
def test_lstm_forward_bad_shapes(change, message, rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 4, 3, 4)
    args = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "c0": c0, **change}
    with pytest.raises(ValueError, match=message):
        lstm_forward(**args)


def test_lstm_backward_bad_input(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 4, 3, 4)
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0)
    with pytest.raises(ValueError, match=r"dh must have shape \(N, T, H\) = \(2, 4, 4\)"):
        lstm_backward(h[:, 1:], cache)
    with pytest.raises(ValueError, match="cache"):
        lstm_backward(h, [])
    _, _, step = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dc_next must have shape \(N, H\)"):
        lstm_step_backward(np.zeros((2, 4)), np.zeros((2, 3)), step)
    with pytest.raises(ValueError, match=r"c_prev must have shape \(N, H\) = \(2, 4\)"):
        lstm_step_forward(x[:, 0], h0, c0[:, :2], Wx, Wh, b)
