"""Underflow-free gradient-norm measurements (``*_log10_norms``) and the LSTM's single paths."""

import numpy as np
import pytest
import torch

from lstm_helpers.gradients import (
    lstm_backprop_log10_norms,
    lstm_backprop_norms,
    rnn_backprop_log10_norms,
    rnn_backprop_norms,
)
from lstm_helpers.numpy_lstm import lstm_forward, lstm_weights_to_torch


def lstm_params(rng, N=2, T=6, D=3, H=4, b_f=0.0):
    b = rng.normal(scale=0.5, size=4 * H)
    b[H : 2 * H] += b_f
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(scale=0.5, size=(D, 4 * H)),
            rng.normal(scale=0.5, size=(H, 4 * H)), b)


def rnn_params(rng, N=2, T=6, D=3, H=4, scale=0.5):
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(scale=0.5, size=(D, H)),
            rng.normal(scale=scale, size=(H, H)), rng.normal(scale=0.5, size=H))


def test_rnn_log10_norms_equal_log10_of_plain_norms(rng):
    x, h0, Wx, Wh, b = rnn_params(rng, T=30)
    dh_T = rng.normal(size=h0.shape)
    plain = rnn_backprop_norms(x, h0, Wx, Wh, b, dh_T=dh_T)["h"]
    logs = rnn_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=dh_T)["h"]
    assert logs.shape == (31,)
    np.testing.assert_allclose(logs, np.log10(plain), rtol=1e-12, atol=1e-12)


def test_lstm_log10_norms_equal_log10_of_plain_norms(rng):
    x, h0, Wx, Wh, b = lstm_params(rng, T=30)
    c0 = rng.normal(size=h0.shape)
    dh_T = rng.normal(size=h0.shape)
    plain = lstm_backprop_norms(x, h0, c0, Wx, Wh, b, dh_T=dh_T)
    logs = lstm_backprop_log10_norms(x, h0, c0, Wx, Wh, b, dh_T=dh_T)
    assert set(logs) == {"h", "c"}
    for key in ("h", "c"):
        np.testing.assert_allclose(logs[key], np.log10(plain[key]), rtol=1e-12, atol=1e-12)


def test_default_upstream_matches_plain(rng):
    x, h0, Wx, Wh, b = lstm_params(rng)
    np.testing.assert_allclose(lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b)["h"],
                               np.log10(lstm_backprop_norms(x, h0, None, Wx, Wh, b)["h"]), atol=1e-12)
    logs = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, rng=np.random.default_rng(5))
    plain = lstm_backprop_norms(x, h0, None, Wx, Wh, b, rng=np.random.default_rng(5))
    np.testing.assert_allclose(logs["c"], np.log10(plain["c"]), atol=1e-12)
    assert logs["h"][0] == pytest.approx(0.0, abs=1e-12)  # unit upstream gradients


def test_no_underflow_where_plain_norms_reach_zero(rng):
    # a contracting RNN over 600 steps: the plain norms underflow to 0
    x, h0, Wx, Wh, b = rnn_params(rng, T=600, scale=0.2)
    dh_T = rng.normal(size=h0.shape)
    plain = rnn_backprop_norms(x, h0, Wx, Wh, b, dh_T=dh_T)["h"]
    logs = rnn_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=dh_T)["h"]
    assert plain[-1] == 0.0
    assert np.all(np.isfinite(logs)) and logs[-1] < -320
    # scaling the upstream gradient by 2**-1100 (itself far below the smallest float) is not
    # representable, but 2**-1000 is: it shifts every log10 by exactly -1000 log10(2)
    shifted = rnn_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=np.ldexp(dh_T, -1000))["h"]
    np.testing.assert_allclose(shifted, logs - 1000 * np.log10(2.0), rtol=0, atol=1e-9)


def test_lstm_no_underflow_and_shift(rng):
    x, h0, Wx, Wh, b = lstm_params(rng, T=400, b_f=-3.0)
    dh_T = rng.normal(size=h0.shape)
    plain = lstm_backprop_norms(x, h0, None, Wx, Wh, b, dh_T=dh_T)
    logs = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=dh_T)
    assert plain["c"][-1] == 0.0
    assert np.all(np.isfinite(logs["c"])) and np.all(np.isfinite(logs["h"]))
    shifted = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=np.ldexp(dh_T, -1000))
    for key in ("h", "c"):
        np.testing.assert_allclose(shifted[key], logs[key] - 1000 * np.log10(2.0), rtol=0, atol=1e-9)


def test_cell_path_is_the_product_of_forget_gates(rng):
    x, h0, Wx, Wh, b = lstm_params(rng, T=8)
    dh_T = rng.normal(size=h0.shape)
    cell = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=dh_T, path="cell")
    assert set(cell) == {"c"}
    _, cache = lstm_forward(x, h0, None, Wx, Wh, b)
    last = cache["steps"][-1]
    dc = dh_T * last["o"] * (1 - last["tanh_c"] ** 2)
    f = cache["gates"]["f"]  # (N, T, H)
    T = x.shape[1]
    for lag in range(T + 1):
        expected = dc * np.prod(f[:, T - lag :, :], axis=1)
        assert cell["c"][lag] == pytest.approx(np.log10(np.linalg.norm(expected, axis=1).mean()), abs=1e-12)


def test_cell_path_equals_full_gradient_at_lag_zero(rng):
    x, h0, Wx, Wh, b = lstm_params(rng)
    dh_T = rng.normal(size=h0.shape)
    full = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=dh_T)
    cell = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=dh_T, path="cell")
    assert cell["c"][0] == pytest.approx(full["c"][0], abs=1e-12)


def test_hidden_path_matches_autograd_with_cell_state_cut(rng):
    N, T, D, H = 2, 5, 3, 4
    x, h0, Wx, Wh, b = lstm_params(rng, N=N, T=T, D=D, H=H)
    c0 = rng.normal(size=(N, H))
    dh_T = rng.normal(size=(N, H))
    hidden = lstm_backprop_log10_norms(x, h0, c0, Wx, Wh, b, dh_T=dh_T, path="hidden")
    assert set(hidden) == {"h"}
    cell = lstm_weights_to_torch(Wx, Wh, b, torch.nn.LSTMCell(D, H).double())
    h = torch.tensor(h0).requires_grad_()
    c = torch.tensor(c0)
    hs = [h]
    for t in range(T):
        h, c = cell(torch.tensor(x[:, t]), (h, c.detach()))  # cut the edge c_{t-1} -> c_t
        h.retain_grad()
        hs.append(h)
    (h * torch.tensor(dh_T)).sum().backward()
    for lag in range(T + 1):
        expected = np.log10(hs[T - lag].grad.norm(dim=1).mean().item())
        assert hidden["h"][lag] == pytest.approx(expected, abs=1e-10), lag


def test_zero_upstream_gives_minus_infinity(rng):
    x, h0, Wx, Wh, b = lstm_params(rng)
    logs = lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=np.zeros_like(h0))
    assert np.all(np.isneginf(logs["h"])) and np.all(np.isneginf(logs["c"]))


def test_bad_arguments_raise(rng):
    x, h0, Wx, Wh, b = lstm_params(rng)
    with pytest.raises(ValueError, match="'all', 'cell', 'hidden'"):
        lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, path="forget")
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        lstm_backprop_log10_norms(x, h0, None, Wx, Wh, b, dh_T=np.ones((3, 4)))
    xr, h0r, Wxr, Whr, br = rnn_params(rng)
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        rnn_backprop_log10_norms(xr, h0r, Wxr, Whr, br, dh_T=np.ones(4))
    with pytest.raises(ValueError, match=r"\(H, H\)"):
        rnn_backprop_log10_norms(xr, h0r, Wxr, np.ones((4, 5)), br)


# --- the single paths against computations that share nothing with lstm_helpers but the weights ---


def _torch_cell(Wx, Wh, b):
    D, H = Wx.shape[0], Wh.shape[0]
    return lstm_weights_to_torch(Wx, Wh, b, torch.nn.LSTMCell(D, H).double())


def _step_jacobians(x, h0, c0, Wx, Wh, b):
    """Autograd Jacobians of torch's LSTMCell, one per step and sequence.

    Entry ``[n, t]`` is the (2H, 2H) Jacobian of ``(h, c)`` after input ``x[n, t]`` with respect to
    ``(h, c)`` before it: rows ``h_t`` then ``c_t``, columns ``h_{t-1}`` then ``c_{t-1}``.
    """
    (N, T, _), H = x.shape, h0.shape[1]
    cell = _torch_cell(Wx, Wh, b)
    jac = np.empty((N, T, 2 * H, 2 * H))
    for n in range(N):
        state = torch.tensor(np.concatenate([h0[n], c0[n]]))
        for t in range(T):
            x_t = torch.tensor(x[n, t : t + 1])

            def step(s, x_t=x_t):
                h, c = cell(x_t, (s[None, :H], s[None, H:]))
                return torch.cat([h[0], c[0]])

            jac[n, t] = torch.autograd.functional.jacobian(step, state).numpy()
            with torch.no_grad():
                state = step(state)
    return jac


def _autograd_dc_T(x, h0, c0, Wx, Wh, b, dh_T):
    """dL/dc_T for L = <dh_T, h_T>, by autograd on torch's LSTMCell."""
    cell = _torch_cell(Wx, Wh, b)
    h, c = torch.tensor(h0), torch.tensor(c0)
    for t in range(x.shape[1]):
        h, c = cell(torch.tensor(x[:, t]), (h, c))
    c.retain_grad()
    (h * torch.tensor(dh_T)).sum().backward()
    return c.grad.numpy()


def _log10_mean_norm(v):
    return np.log10(np.linalg.norm(v, axis=1).mean())


@pytest.mark.parametrize("b_f", [-1.0, 0.0, 2.0])
def test_every_path_is_a_product_of_transposed_autograd_jacobians(rng, b_f):
    """all: the full (2H, 2H) Jacobians; hidden: their h_t <- h_{t-1} blocks; cell: their c_t <- c_{t-1} blocks."""
    N, T, D, H = 2, 7, 3, 4
    x, h0, Wx, Wh, b = lstm_params(rng, N=N, T=T, D=D, H=H, b_f=b_f)
    c0 = rng.normal(size=(N, H))
    dh_T = rng.normal(size=(N, H))
    jac = _step_jacobians(x, h0, c0, Wx, Wh, b)
    back = lambda J, v: np.einsum("nij,ni->nj", J, v)  # noqa: E731  J^T v for every sequence
    state = np.concatenate([dh_T, np.zeros((N, H))], axis=1)  # dL/d(h_T, c_T) with h_T and c_T independent
    hidden, cell = dh_T, _autograd_dc_T(x, h0, c0, Wx, Wh, b, dh_T)
    expected = {"all": [_log10_mean_norm(dh_T)], "hidden": [_log10_mean_norm(hidden)],
                "cell": [_log10_mean_norm(cell)]}
    for lag in range(1, T + 1):
        J = jac[:, T - lag]  # d(h, c)_{k+1} / d(h, c)_k with k = T - lag
        state = back(J, state)
        hidden = back(J[:, :H, :H], hidden)
        cell = back(J[:, H:, H:], cell)
        expected["all"].append(_log10_mean_norm(state[:, :H]))
        expected["hidden"].append(_log10_mean_norm(hidden))
        expected["cell"].append(_log10_mean_norm(cell))
    measured = {path: lstm_backprop_log10_norms(x, h0, c0, Wx, Wh, b, dh_T=dh_T, path=path)
                for path in ("all", "hidden", "cell")}
    np.testing.assert_allclose(measured["all"]["h"], expected["all"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(measured["hidden"]["h"], expected["hidden"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(measured["cell"]["c"], expected["cell"], rtol=0, atol=1e-10)
    # the three are different measurements: one step back, h-path and full gradient still agree
    # (c_T depends on h_{T-1} only through the gates); from two steps on they part
    assert measured["hidden"]["h"][1] == pytest.approx(measured["all"]["h"][1], abs=1e-10)
    assert np.all(np.abs(measured["hidden"]["h"][2:] - measured["all"]["h"][2:]) > 1e-3)
    assert np.all(np.abs(measured["cell"]["c"][1:] - measured["all"]["c"][1:]) > 1e-3)


def test_cell_path_matches_autograd_on_a_graph_with_only_the_cell_edges(rng):
    """Unroll the LSTM in torch with every edge cut but c_{t-1} -> c_t and c_T -> h_T."""
    N, T, D, H = 3, 9, 3, 5
    x, h0, Wx, Wh, b = lstm_params(rng, N=N, T=T, D=D, H=H, b_f=1.0)
    c0 = rng.normal(size=(N, H))
    dh_T = rng.normal(size=(N, H))
    W_ih, W_hh, bias = torch.tensor(Wx.T), torch.tensor(Wh.T), torch.tensor(b)
    reference = _torch_cell(Wx, Wh, b)
    h_ref, c_ref = torch.tensor(h0), torch.tensor(c0)
    h, c = torch.tensor(h0), torch.tensor(c0, requires_grad=True)
    cs = [c]
    for t in range(T):
        x_t = torch.tensor(x[:, t])
        i, f, g, o = (x_t @ W_ih.T + h.detach() @ W_hh.T + bias).chunk(4, dim=1)  # PyTorch's gate order
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f.detach() * c + (i * g).detach()  # the forget gate and the new content enter as constants
        h = o.detach() * torch.tanh(c)
        c.retain_grad()
        cs.append(c)
        with torch.no_grad():  # the explicit gates reproduce torch's own cell
            h_ref, c_ref = reference(x_t, (h_ref, c_ref))
        np.testing.assert_allclose(h.detach().numpy(), h_ref.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(c.detach().numpy(), c_ref.numpy(), rtol=0, atol=1e-12)
    (h * torch.tensor(dh_T)).sum().backward()
    expected = [_log10_mean_norm(cs[T - lag].grad.numpy()) for lag in range(T + 1)]
    measured = lstm_backprop_log10_norms(x, h0, c0, Wx, Wh, b, dh_T=dh_T, path="cell")["c"]
    np.testing.assert_allclose(measured, expected, rtol=0, atol=1e-10)
