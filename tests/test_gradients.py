"""Gradient-vs-lag measurements against torch autograd."""

import numpy as np
import torch

from lstm_helpers.gradients import (
    jacobian_bound,
    lstm_backprop_norms,
    rnn_backprop_norms,
    rnn_jacobian_norms,
)
from lstm_helpers.numpy_lstm import lstm_weights_to_torch
from lstm_helpers.numpy_rnn import rnn_weights_to_torch


def rnn_params(rng, N=2, T=6, D=3, H=4):
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(scale=0.5, size=(D, H)),
            rng.normal(scale=0.5, size=(H, H)), rng.normal(scale=0.5, size=H))


def test_jacobian_norms_match_autograd(rng):
    x, h0, Wx, Wh, b = rnn_params(rng, N=1)
    norms = rnn_jacobian_norms(x, h0, Wx, Wh, b)
    rnn = rnn_weights_to_torch(Wx, Wh, b)
    T = x.shape[1]
    for k in range(T + 1):
        # d h_T / d h_k via autograd: run from h_k onwards
        hs = [torch.tensor(h0)]
        xt = torch.tensor(x)
        h_k = None
        for t in range(T):
            if t == k:
                h_k = hs[-1].detach().requires_grad_()
                hs[-1] = h_k
            out, _ = rnn(xt[:, t : t + 1], hs[-1][None])
            hs.append(out[:, 0])
        if k == T:
            expected = 1.0
        else:
            J = torch.autograd.functional.jacobian(lambda hk: _run_from(rnn, xt, hk, k, T), h_k)
            expected = np.linalg.norm(J[0, :, 0, :].numpy(), 2)
        assert np.isclose(norms[0, T - k], expected, rtol=1e-8), k


def _run_from(rnn, xt, h_k, k, T):
    h = h_k
    for t in range(k, T):
        out, _ = rnn(xt[:, t : t + 1], h[None])
        h = out[:, 0]
    return h


def test_jacobian_norms_stay_below_the_bound(rng):
    x, h0, Wx, Wh, b = rnn_params(rng, T=20)
    norms = rnn_jacobian_norms(x, h0, Wx, Wh, b)
    bound = jacobian_bound(Wh, np.arange(21))
    assert np.all(norms <= bound[None] * (1 + 1e-9))


def test_rnn_backprop_norms_match_autograd(rng):
    x, h0, Wx, Wh, b = rnn_params(rng)
    dh_T = rng.normal(size=h0.shape)
    norms = rnn_backprop_norms(x, h0, Wx, Wh, b, dh_T=dh_T)["h"]
    rnn = rnn_weights_to_torch(Wx, Wh, b)
    hs, h = [], torch.tensor(h0).requires_grad_()
    hs.append(h)
    for t in range(x.shape[1]):
        out, _ = rnn(torch.tensor(x[:, t : t + 1]), h[None])
        h = out[:, 0]
        h.retain_grad()
        hs.append(h)
    (h * torch.tensor(dh_T)).sum().backward()
    T = x.shape[1]
    for lag in range(T + 1):
        expected = hs[T - lag].grad.norm(dim=1).mean().item()
        assert np.isclose(norms[lag], expected, rtol=1e-10), lag


def test_lstm_backprop_norms_match_autograd(rng):
    N, T, D, H = 2, 5, 3, 4
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Wx, Wh, b = rng.normal(scale=0.5, size=(D, 4 * H)), rng.normal(scale=0.5, size=(H, 4 * H)), rng.normal(size=4 * H)
    dh_T = rng.normal(size=(N, H))
    norms = lstm_backprop_norms(x, h0, c0, Wx, Wh, b, dh_T=dh_T)
    cell = torch.nn.LSTMCell(D, H).double()
    lstm_weights_to_torch(Wx, Wh, b, cell)
    h = torch.tensor(h0).requires_grad_()
    c = torch.tensor(c0).requires_grad_()
    hs, cs = [h], [c]
    for t in range(T):
        h, c = cell(torch.tensor(x[:, t]), (h, c))
        h.retain_grad()
        c.retain_grad()
        hs.append(h)
        cs.append(c)
    (h * torch.tensor(dh_T)).sum().backward()
    for lag in range(T + 1):
        assert np.isclose(norms["h"][lag], hs[T - lag].grad.norm(dim=1).mean().item(), rtol=1e-10), lag
        assert np.isclose(norms["c"][lag], cs[T - lag].grad.norm(dim=1).mean().item(), rtol=1e-10), lag


def test_default_upstream_is_unit_norm(rng):
    x, h0, Wx, Wh, b = rnn_params(rng)
    assert np.isclose(rnn_backprop_norms(x, h0, Wx, Wh, b)["h"][0], 1.0)
    assert np.isclose(rnn_backprop_norms(x, h0, Wx, Wh, b, rng=rng)["h"][0], 1.0)


def test_gradient_rms_by_block_pools_the_entries_of_each_block():
    import pytest

    from lstm_helpers.gradients import gradient_rms_by_block

    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 4)
    rnn(torch.randn(5, 2, 3))[0].pow(2).sum().backward()
    per_tensor = gradient_rms_by_block(rnn)
    assert list(per_tensor) == [n for n, _ in rnn.named_parameters()]
    for name, p in rnn.named_parameters():
        assert per_tensor[name] == pytest.approx(float(p.grad.pow(2).mean().sqrt()), rel=1e-6)
    biases = torch.cat([rnn.bias_ih_l0.grad, rnn.bias_hh_l0.grad])
    pooled = gradient_rms_by_block(rnn, {"biases": ["bias_ih_l0", "bias_hh_l0"], "recurrent": "weight_hh_l0"})
    assert list(pooled) == ["biases", "recurrent"]
    assert pooled["biases"] == pytest.approx(float(biases.pow(2).mean().sqrt()), rel=1e-6)
    assert pooled["recurrent"] == pytest.approx(per_tensor["weight_hh_l0"])
    with pytest.raises(ValueError, match=r"block 'x' names unknown parameters \['w'\]; the module's parameters are "
                                         "weight_ih_l0, weight_hh_l0"):
        gradient_rms_by_block(rnn, {"x": ["w"]})
    with pytest.raises(ValueError, match="block 'x' must name at least one parameter"):
        gradient_rms_by_block(rnn, {"x": []})
    with pytest.raises(ValueError, match="have no gradient; call loss.backward"):
        gradient_rms_by_block(torch.nn.Linear(2, 2))
