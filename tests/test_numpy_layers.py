"""Tests of lstm_helpers.numpy_layers and of truncated BPTT in lstm_helpers.numpy_rnn.

Every backward pass is checked twice in float64: against central differences
and against PyTorch autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_helpers.gradcheck import numerical_gradient, rel_error
from lstm_helpers.numpy_layers import (
    affine_backward,
    affine_forward,
    mse_loss,
    softmax_cross_entropy,
)
from lstm_helpers.numpy_rnn import (
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_weights_to_torch,
)

TOL = 1e-7  # float64 analytic vs central differences
TORCH_TOL = 1e-10  # float64 analytic vs autograd


def _affine_inputs(rng, lead, H, C):
    x = rng.normal(size=lead + (H,))
    W = rng.normal(size=(H, C))
    b = rng.normal(size=C)
    return x, W, b


# --------------------------------------------------------------------------- affine


@pytest.mark.parametrize("lead", [(4,), (3, 5)], ids=["(N, H)", "(N, T, H)"])
def test_affine_forward_values_and_shape(lead):
    rng = np.random.default_rng(0)
    x, W, b = _affine_inputs(rng, lead, 6, 3)
    out, _ = affine_forward(x, W, b)
    assert out.shape == lead + (3,)
    expected = np.einsum("...h,hc->...c", x, W) + b
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lead", [(4,), (3, 5)], ids=["(N, H)", "(N, T, H)"])
def test_affine_backward_matches_finite_differences(lead):
    rng = np.random.default_rng(1)
    x, W, b = _affine_inputs(rng, lead, 6, 3)
    out, cache = affine_forward(x, W, b)
    dout = rng.normal(size=out.shape)
    dx, dW, db = affine_backward(dout, cache)
    assert rel_error(dx, numerical_gradient(lambda _: affine_forward(x, W, b)[0], x, dout)) < TOL
    assert rel_error(dW, numerical_gradient(lambda _: affine_forward(x, W, b)[0], W, dout)) < TOL
    assert rel_error(db, numerical_gradient(lambda _: affine_forward(x, W, b)[0], b, dout)) < TOL


@pytest.mark.parametrize("lead", [(4,), (3, 5)], ids=["(N, H)", "(N, T, H)"])
def test_affine_backward_matches_torch_autograd(lead):
    rng = np.random.default_rng(2)
    x, W, b = _affine_inputs(rng, lead, 6, 3)
    out, cache = affine_forward(x, W, b)
    dout = rng.normal(size=out.shape)
    dx, dW, db = affine_backward(dout, cache)
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    out_t = xt @ Wt + bt
    out_t.backward(torch.tensor(dout))
    assert rel_error(out, out_t) < TORCH_TOL
    assert rel_error(dx, xt.grad) < TORCH_TOL
    assert rel_error(dW, Wt.grad) < TORCH_TOL
    assert rel_error(db, bt.grad) < TORCH_TOL


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 4),
    T=st.one_of(st.none(), st.integers(1, 4)),
    H=st.integers(1, 5),
    C=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_affine_property_random_shapes(N, T, H, C, seed):
    rng = np.random.default_rng(seed)
    lead = (N,) if T is None else (N, T)
    x, W, b = _affine_inputs(rng, lead, H, C)
    out, cache = affine_forward(x, W, b)
    assert out.shape == lead + (C,)
    dout = rng.normal(size=out.shape)
    dx, dW, db = affine_backward(dout, cache)
    assert dx.shape == x.shape and dW.shape == W.shape and db.shape == b.shape
    for analytic, param in ((dx, x), (dW, W), (db, b)):
        numeric = numerical_gradient(lambda _: affine_forward(x, W, b)[0], param, dout)
        assert rel_error(analytic, numeric) < TOL


@pytest.mark.parametrize(
    "x_shape, W_shape, b_shape, expected",
    [
        ((4, 5), (6, 3), (3,), "(N, H)"),  # H disagrees with W
        ((2, 4, 5), (6, 3), (3,), "(N, T, H)"),  # H disagrees with W, temporal
        ((2, 3, 4, 6), (6, 3), (3,), "(N, H) or (N, T, H)"),  # too many dimensions
        ((6,), (6, 3), (3,), "(N, H) or (N, T, H)"),  # too few dimensions
        ((4, 6), (6,), (3,), "(H, C)"),  # W not a matrix
        ((4, 6), (6, 3), (4,), "(C,)"),  # b disagrees with W
    ],
)
def test_affine_forward_bad_shapes_name_the_expected_shape(x_shape, W_shape, b_shape, expected):
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        affine_forward(np.ones(x_shape), np.ones(W_shape), np.ones(b_shape))


@pytest.mark.parametrize("lead, bad, expected", [((4,), (4, 2), "(N, C)"), ((2, 5), (2, 4, 3), "(N, T, C)")])
def test_affine_backward_bad_dout_names_the_expected_shape(lead, bad, expected):
    _, cache = affine_forward(np.ones(lead + (6,)), np.ones((6, 3)), np.ones(3))
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        affine_backward(np.ones(bad), cache)


def test_affine_rejects_non_numeric_input():
    with pytest.raises(ValueError, match=r"\(N, H\)"):
        affine_forward(np.array([["a", "b"]]), np.ones((2, 3)), np.ones(3))


# --------------------------------------------------------------------------- softmax cross-entropy


def test_softmax_cross_entropy_matches_torch():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(7, 4)) * 3
    y = rng.integers(0, 4, size=7)
    loss, dlogits = softmax_cross_entropy(logits, y)
    lt = torch.tensor(logits, requires_grad=True)
    loss_t = F.cross_entropy(lt, torch.tensor(y))
    loss_t.backward()
    assert isinstance(loss, float)
    assert abs(loss - loss_t.item()) < 1e-12
    assert rel_error(dlogits, lt.grad) < TORCH_TOL


def test_softmax_cross_entropy_matches_finite_differences():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(5, 3))
    y = rng.integers(0, 3, size=5)
    _, dlogits = softmax_cross_entropy(logits, y)
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, y)[0], logits)
    assert rel_error(dlogits, numeric) < TOL


def test_softmax_cross_entropy_known_values():
    # equal logits: p = 1/C for every class, so the loss is log C
    loss, dlogits = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(np.log(4), abs=1e-15)
    np.testing.assert_allclose(dlogits, (np.full((2, 4), 0.25) - np.eye(4)[[0, 3]]) / 2)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([0, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    assert loss == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 6), C=st.integers(1, 5), scale=st.floats(0.1, 10.0), seed=st.integers(0, 2**32 - 1))
def test_softmax_cross_entropy_property_random_shapes(N, C, scale, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(N, C)) * scale
    y = rng.integers(0, C, size=N)
    loss, dlogits = softmax_cross_entropy(logits, y)
    assert loss >= 0.0
    assert dlogits.shape == (N, C)
    # each row of p - onehot sums to zero
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)
    lt = torch.tensor(logits, requires_grad=True)
    F.cross_entropy(lt, torch.tensor(y)).backward()
    # p - onehot cancels when p is within 1e-8 of 1: compare on the scale of p, not of the result
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-9, atol=1e-15)
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, y)[0], logits)
    np.testing.assert_allclose(dlogits, numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(
    "logits, y, expected",
    [
        (np.zeros(3), np.array([0]), r"\(N, C\)"),
        (np.zeros((2, 3, 4)), np.array([0, 1]), r"\(N, C\)"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), r"\(N,\) = \(2,\)"),
        (np.zeros((2, 3)), np.array([[0, 1]]), r"\(N,\)"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), r"integer array of shape \(N,\)"),
        (np.zeros((2, 3)), np.array([0, 3]), r"0 \.\.\. 2"),
        (np.zeros((2, 3)), np.array([-1, 0]), r"0 \.\.\. 2"),
    ],
)
def test_softmax_cross_entropy_bad_input(logits, y, expected):
    with pytest.raises(ValueError, match=expected):
        softmax_cross_entropy(logits, y)


# --------------------------------------------------------------------------- mean squared error


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 2)])
def test_mse_loss_matches_torch_and_finite_differences(shape):
    rng = np.random.default_rng(5)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = mse_loss(pred, target)
    pt = torch.tensor(pred, requires_grad=True)
    loss_t = F.mse_loss(pt, torch.tensor(target))
    loss_t.backward()
    assert isinstance(loss, float)
    assert abs(loss - loss_t.item()) < 1e-12
    assert rel_error(dpred, pt.grad) < TORCH_TOL
    numeric = numerical_gradient(lambda p: mse_loss(p, target)[0], pred)
    assert rel_error(dpred, numeric) < TOL


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    seed=st.integers(0, 2**32 - 1),
)
def test_mse_loss_property_random_shapes(shape, seed):
    rng = np.random.default_rng(seed)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = mse_loss(pred, target)
    assert loss >= 0.0 and dpred.shape == pred.shape
    assert mse_loss(target, target)[0] == 0.0
    numeric = numerical_gradient(lambda p: mse_loss(p, target)[0], pred)
    np.testing.assert_allclose(dpred, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "pred_shape, target_shape, expected",
    [((4, 3), (4, 2), r"\(4, 3\)"), ((4, 3), (4,), r"\(4, 3\)"), ((5,), (5, 1), r"\(5,\)")],
)
def test_mse_loss_bad_shapes_name_the_expected_shape(pred_shape, target_shape, expected):
    with pytest.raises(ValueError, match=expected):
        mse_loss(np.zeros(pred_shape), np.zeros(target_shape))


# --------------------------------------------------------------------------- truncated BPTT


def _rnn_problem(rng, N=3, T=6, D=4, H=5):
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H))
    Wx = rng.normal(size=(D, H)) * 0.5
    Wh = rng.normal(size=(H, H)) * 0.5
    b = rng.normal(size=H) * 0.1
    return x, h0, Wx, Wh, b


def _truncated_torch(x, h0, Wx, Wh, b, dh, k):
    """Reference: for each loss term s, run the cell from h_{s-k} detached (h0 when s < k)."""
    N, T, D = x.shape
    cell = rnn_weights_to_torch(Wx, Wh, b, torch.nn.RNNCell(D, Wx.shape[1]).double())
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    with torch.no_grad():
        states = [h0t]
        for t in range(T):
            states.append(cell(xt[:, t], states[-1]))
    for s in range(T):
        start = max(0, s - k + 1)
        h = h0t if start == 0 else states[start].detach()
        for t in range(start, s + 1):
            h = cell(xt[:, t], h)
        (h * torch.tensor(dh[:, s])).sum().backward()
    return (
        xt.grad.numpy(),
        h0t.grad.numpy(),
        cell.weight_ih.grad.numpy().T,
        cell.weight_hh.grad.numpy().T,
        cell.bias_ih.grad.numpy(),
    )


def _truncated_numpy_reference(cache, dh, k, x_shape, H):
    """Reference: full BPTT over the window of each loss term, with rnn_backward on a slice of the cache."""
    N, T, D = x_shape
    dx = np.zeros(x_shape)
    dh0 = np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for s in range(T):
        start = max(0, s - k + 1)
        window = np.zeros((N, s + 1 - start, H))
        window[:, -1] = dh[:, s]
        dx_w, dh_in, dWx_w, dWh_w, db_w = rnn_backward(window, {"steps": cache["steps"][start : s + 1]})
        dx[:, start : s + 1] += dx_w
        if start == 0:
            dh0 += dh_in
        dWx += dWx_w
        dWh += dWh_w
        db += db_w
    return dx, dh0, dWx, dWh, db


@pytest.mark.parametrize("k", [6, 7, 100])
def test_truncate_at_least_T_is_full_bptt(k):
    rng = np.random.default_rng(6)
    x, h0, Wx, Wh, b = _rnn_problem(rng, T=6)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    full = rnn_backward(dh, cache)
    for a, c in zip(rnn_backward(dh, cache, truncate=k), full):
        np.testing.assert_array_equal(a, c)


def test_truncate_one_is_the_sum_of_one_step_gradients():
    rng = np.random.default_rng(7)
    x, h0, Wx, Wh, b = _rnn_problem(rng)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache, truncate=1)
    steps = [rnn_step_backward(dh[:, t], cache["steps"][t]) for t in range(x.shape[1])]
    np.testing.assert_allclose(dx, np.stack([s[0] for s in steps], axis=1), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dh0, steps[0][1], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dWx, sum(s[2] for s in steps), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dWh, sum(s[3] for s in steps), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(db, sum(s[4] for s in steps), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_truncate_matches_torch_with_detached_windows(k):
    rng = np.random.default_rng(8)
    x, h0, Wx, Wh, b = _rnn_problem(rng, T=6)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    ours = rnn_backward(dh, cache, truncate=k)
    ref = _truncated_torch(x, h0, Wx, Wh, b, dh, k)
    for name, a, c in zip(("dx", "dh0", "dWx", "dWh", "db"), ours, ref):
        assert rel_error(a, c) < TORCH_TOL, name


def test_truncate_many_to_one_cuts_the_early_steps():
    rng = np.random.default_rng(9)
    x, h0, Wx, Wh, b = _rnn_problem(rng, T=8)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = np.zeros_like(h)
    dh[:, -1] = rng.normal(size=h.shape[::2])
    k = 3
    dx, dh0, *_ = rnn_backward(dh, cache, truncate=k)
    assert np.all(dx[:, : 8 - k] == 0.0)
    assert np.all(np.abs(dx[:, 8 - k :]).sum(axis=(0, 2)) > 0)
    assert np.all(dh0 == 0.0)
    dx_full, dh0_full, *_ = rnn_backward(dh, cache)
    np.testing.assert_allclose(dx[:, -k:], dx_full[:, -k:], rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    T=st.integers(1, 7),
    D=st.integers(1, 4),
    H=st.integers(1, 4),
    k=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_truncate_property_matches_windowed_full_bptt(N, T, D, H, k, seed):
    rng = np.random.default_rng(seed)
    x, h0, Wx, Wh, b = _rnn_problem(rng, N, T, D, H)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    ours = rnn_backward(dh, cache, truncate=k)
    ref = _truncated_numpy_reference(cache, dh, k, x.shape, H)
    for a, c in zip(ours, ref):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "3"])
def test_truncate_rejects_bad_values(bad):
    rng = np.random.default_rng(10)
    x, h0, Wx, Wh, b = _rnn_problem(rng)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="truncate"):
        rnn_backward(np.ones_like(h), cache, truncate=bad)


# --------------------------------------------------------------------------- caches


def test_affine_cache_is_a_dict_and_the_wrong_cache_is_rejected():
    rng = np.random.default_rng(11)
    x, W, b = _affine_inputs(rng, (4,), 6, 3)
    out, cache = affine_forward(x, W, b)
    assert isinstance(cache, dict) and set(cache) == {"x", "W"}
    np.testing.assert_array_equal(cache["x"], x)
    np.testing.assert_array_equal(cache["W"], W)
    xs, h0, Wx, Wh, bh = _rnn_problem(rng)
    _, rnn_cache = rnn_forward(xs, h0, Wx, Wh, bh)
    for wrong in ((x, W), {"x": x}, rnn_cache, rnn_cache["steps"][0]):
        with pytest.raises(ValueError, match="cache must be the dict returned by affine_forward"):
            affine_backward(np.ones_like(out), wrong)
