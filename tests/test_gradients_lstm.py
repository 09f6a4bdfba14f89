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
    plain = lstm_backprop_norms(x, h0, Wx, Wh, b, c0=c0, dh_T=dh_T)
    logs = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, c0=c0, dh_T=dh_T)
    assert set(logs) == {"h", "c"}
    for key in ("h", "c"):
        np.testing.assert_allclose(logs[key], np.log10(plain[key]), rtol=1e-12, atol=1e-12)


def test_default_upstream_matches_plain(rng):
    x, h0, Wx, Wh, b = lstm_params(rng)
    np.testing.assert_allclose(lstm_backprop_log10_norms(x, h0, Wx, Wh, b)["h"],
                               np.log10(lstm_backprop_norms(x, h0, Wx, Wh, b)["h"]), atol=1e-12)
    logs = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, rng=np.random.default_rng(5))
    plain = lstm_backprop_norms(x, h0, Wx, Wh, b, rng=np.random.default_rng(5))
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
    plain = lstm_backprop_norms(x, h0, Wx, Wh, b, dh_T=dh_T)
    logs = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=dh_T)
    assert plain["c"][-1] == 0.0
    assert np.all(np.isfinite(logs["c"])) and np.all(np.isfinite(logs["h"]))
    shifted = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=np.ldexp(dh_T, -1000))
    for key in ("h", "c"):
        np.testing.assert_allclose(shifted[key], logs[key] - 1000 * np.log10(2.0), rtol=0, atol=1e-9)


def test_cell_path_is_the_product_of_forget_gates(rng):
    x, h0, Wx, Wh, b = lstm_params(rng, T=8)
    dh_T = rng.normal(size=h0.shape)
    cell = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=dh_T, path="cell")
    assert set(cell) == {"c"}
    _, cache = lstm_forward(x, h0, Wx, Wh, b)
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
    full = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=dh_T)
    cell = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=dh_T, path="cell")
    assert cell["c"][0] == pytest.approx(full["c"][0], abs=1e-12)


def test_hidden_path_matches_autograd_with_cell_state_cut(rng):
    N, T, D, H = 2, 5, 3, 4
    x, h0, Wx, Wh, b = lstm_params(rng, N=N, T=T, D=D, H=H)
    c0 = rng.normal(size=(N, H))
    dh_T = rng.normal(size=(N, H))
    hidden = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, c0=c0, dh_T=dh_T, path="hidden")
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
    logs = lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=np.zeros_like(h0))
    assert np.all(np.isneginf(logs["h"])) and np.all(np.isneginf(logs["c"]))


def test_bad_arguments_raise(rng):
    x, h0, Wx, Wh, b = lstm_params(rng)
    with pytest.raises(ValueError, match="'all', 'cell', 'hidden'"):
        lstm_backprop_log10_norms(x, h0, Wx, Wh, b, path="forget")
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        lstm_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=np.ones((3, 4)))
    xr, h0r, Wxr, Whr, br = rnn_params(rng)
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        rnn_backprop_log10_norms(xr, h0r, Wxr, Whr, br, dh_T=np.ones(4))
    with pytest.raises(ValueError, match=r"\(H, H\)"):
        rnn_backprop_log10_norms(xr, h0r, Wxr, np.ones((4, 5)), br)
