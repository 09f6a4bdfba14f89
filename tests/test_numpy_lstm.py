"""The NumPy LSTM against torch autograd, finite differences, the converters and bad input.

Truncated BPTT is checked against an independent computation: autograd, one loss
term at a time, on a graph whose state is detached k steps before the term.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
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
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    dx, dh0, dc0, dWx, dWh, db = lstm_backward(dh, cache)

    lstm = lstm_weights_to_torch(Wx, Wh, b)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.zeros(N, H, dtype=torch.float64) if c0 is None else torch.tensor(c0)
    c0t.requires_grad_(True)
    out, (hT, cT) = lstm(xt, (h0t[None], c0t[None]))
    (out * torch.tensor(dh)).sum().backward()
    assert rel_error(h, out) < 1e-10
    assert rel_error(cache["c"][:, -1], cT[0]) < 1e-10
    assert rel_error(dx, xt.grad) < 1e-9
    assert rel_error(dh0, h0t.grad) < 1e-9
    assert dc0.shape == (N, H) and rel_error(dc0, c0t.grad) < 1e-9
    assert rel_error(dWx, lstm.weight_ih_l0.grad.T) < 1e-9
    assert rel_error(dWh, lstm.weight_hh_l0.grad.T) < 1e-9
    assert rel_error(db, lstm.bias_ih_l0.grad) < 1e-9


def test_sequence_backward_matches_finite_differences(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 4, 3, 3)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    grads = lstm_backward(dh, cache)
    assert len(grads) == 6
    for value, grad in zip([x, h0, c0, Wx, Wh, b], grads):
        num = numerical_gradient(lambda _: lstm_forward(x, h0, c0, Wx, Wh, b)[0], value, dh)
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
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
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
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh must have shape \(N, T, H\) = \(2, 4, 4\)"):
        lstm_backward(h[:, 1:], cache)
    with pytest.raises(ValueError, match="cache"):
        lstm_backward(h, [])
    _, _, step = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dc_next must have shape \(N, H\)"):
        lstm_step_backward(np.zeros((2, 4)), np.zeros((2, 3)), step)
    with pytest.raises(ValueError, match=r"c_prev must have shape \(N, H\) = \(2, 4\)"):
        lstm_step_forward(x[:, 0], h0, c0[:, :2], Wx, Wh, b)


def test_c0_none_is_zeros_and_is_positional(rng):
    x, h0, Wx, Wh, b, _ = make_params(rng, 2, 4, 3, 4)
    h_none, cache_none = lstm_forward(x, h0, None, Wx, Wh, b)
    h_zero, cache_zero = lstm_forward(x, h0, np.zeros_like(h0), Wx, Wh, b)
    np.testing.assert_array_equal(h_none, h_zero)
    dh = rng.normal(size=h_none.shape)
    for a, c in zip(lstm_backward(dh, cache_none), lstm_backward(dh, cache_zero)):
        np.testing.assert_array_equal(a, c)
    with pytest.raises(TypeError):
        lstm_forward(x, h0, Wx, Wh, b)  # the old order (x, h0, Wx, Wh, b, c0=None) no longer fits


# ---------------------------------------------------------------- truncated BPTT


def _truncated_torch(x, h0, c0, Wx, Wh, b, dh, k):
    """Reference for lstm_backward(..., truncate=k): autograd, one loss term at a time.

    For the term <dh[:, s], h_s>, the LSTM is unrolled from the state after step
    s - k (detached, so no gradient passes it), or from the leaves (h0, c0) when
    s < k; gradients of all terms are summed.
    """
    cell = lstm_weights_to_torch(Wx, Wh, b, torch.nn.LSTMCell(Wx.shape[0], Wh.shape[0]).double())
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True)
    T = x.shape[1]
    with torch.no_grad():  # the states (h_t, c_t) of the forward pass, index t = after t steps
        states = [(h0t.detach(), c0t.detach())]
        for t in range(T):
            states.append(cell(xt[:, t].detach(), states[-1]))
    for s in range(T):
        start = max(0, s - k + 1)
        h, c = (h0t, c0t) if start == 0 else states[start]
        for t in range(start, s + 1):
            h, c = cell(xt[:, t], (h, c))
        (h * torch.tensor(dh[:, s])).sum().backward()
    zeros = lambda t: np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()  # noqa: E731
    return (zeros(xt), zeros(h0t), zeros(c0t), cell.weight_ih.grad.numpy().T,
            cell.weight_hh.grad.numpy().T, cell.bias_ih.grad.numpy())


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3), T=st.integers(1, 7), D=st.integers(1, 4), H=st.integers(1, 4),
    k=st.integers(1, 8), seed=st.integers(0, 2**31 - 1),
)
def test_truncate_matches_autograd_with_detached_states(N, T, D, H, k, seed):
    rng = np.random.default_rng(seed)
    x, h0, Wx, Wh, b, c0 = make_params(rng, N, T, D, H)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    ours = lstm_backward(dh, cache, truncate=k)
    ref = _truncated_torch(x, h0, c0, Wx, Wh, b, dh, k)
    for name, a, c in zip(("dx", "dh0", "dc0", "dWx", "dWh", "db"), ours, ref):
        assert a.shape == c.shape, name
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("k", [6, 7, 100])
def test_truncate_at_least_T_is_full_bptt(rng, k):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 6, 3, 4)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    for a, c in zip(lstm_backward(dh, cache, truncate=k), lstm_backward(dh, cache)):
        np.testing.assert_array_equal(a, c)


def test_truncate_one_is_the_sum_of_one_step_gradients(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 5, 3, 4)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    dx, dh0, dc0, dWx, dWh, db = lstm_backward(dh, cache, truncate=1)
    zero = np.zeros_like(h0)
    steps = [lstm_step_backward(dh[:, t], zero, cache["steps"][t]) for t in range(x.shape[1])]
    tol = dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dx, np.stack([s[0] for s in steps], axis=1), **tol)
    np.testing.assert_allclose(dh0, steps[0][1], **tol)
    np.testing.assert_allclose(dc0, steps[0][2], **tol)
    for i, total in zip((3, 4, 5), (dWx, dWh, db)):
        np.testing.assert_allclose(total, sum(s[i] for s in steps), **tol)


def test_truncate_many_to_one_cuts_the_early_steps(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 8, 3, 4)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    dh = np.zeros_like(h)
    dh[:, -1] = rng.normal(size=(2, 4))
    k = 3
    dx, dh0, dc0, *_ = lstm_backward(dh, cache, truncate=k)
    assert np.all(dx[:, : 8 - k] == 0.0)
    assert np.all(np.abs(dx[:, 8 - k :]).sum(axis=(0, 2)) > 0)
    assert np.all(dh0 == 0.0) and np.all(dc0 == 0.0)
    dx_full, *_ = lstm_backward(dh, cache)
    np.testing.assert_allclose(dx[:, -k:], dx_full[:, -k:], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "3"])
def test_truncate_rejects_bad_values(rng, bad):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 4, 3, 4)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match="truncate must be None or an integer >= 1"):
        lstm_backward(np.ones_like(h), cache, truncate=bad)


# ---------------------------------------------------------------- caches


def test_step_cache_holds_named_arrays(rng):
    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 1, 3, 4)
    h, c, cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    assert set(cache) == {"x", "h_prev", "c_prev", "Wx", "Wh", "i", "f", "g", "o", "c", "tanh_c"}
    np.testing.assert_array_equal(cache["c"], c)
    np.testing.assert_array_equal(cache["c_prev"], c0)
    np.testing.assert_allclose(h, cache["o"] * cache["tanh_c"], rtol=0, atol=0)


def test_backward_rejects_the_wrong_cache(rng):
    from lstm_helpers.numpy_layers import affine_forward
    from lstm_helpers.numpy_rnn import rnn_forward, rnn_step_forward

    x, h0, Wx, Wh, b, c0 = make_params(rng, 2, 3, 3, 4)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    step = cache["steps"][0]
    _, rnn_cache = rnn_forward(x, h0, Wx[:, :4], Wh[:, :4], b[:4])
    _, rnn_step_cache = rnn_step_forward(x[:, 0], h0, Wx[:, :4], Wh[:, :4], b[:4])
    _, affine_cache = affine_forward(h, Wh, b)
    partial = {key: value for key, value in step.items() if key != "tanh_c"}
    for wrong in (cache["steps"], step, rnn_cache, {"steps": []}, {"steps": [step, partial]}, affine_cache):
        with pytest.raises(ValueError, match="cache must be the dict returned by lstm_forward"):
            lstm_backward(np.ones_like(h), wrong)
    for wrong in (tuple(step.values()), cache, rnn_step_cache, partial, affine_cache):
        with pytest.raises(ValueError, match="cache must be the dict returned by lstm_step_forward"):
            lstm_step_backward(np.ones_like(h0), np.ones_like(h0), wrong)
