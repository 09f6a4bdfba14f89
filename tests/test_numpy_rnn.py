"""The NumPy RNN against torch autograd, finite differences and bad input."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lstm_helpers.gradcheck import numerical_gradient, rel_error
from lstm_helpers.numpy_rnn import (
    rnn_backward,
    rnn_forward,
    rnn_parameter_count,
    rnn_step_backward,
    rnn_step_forward,
    rnn_weights_from_torch,
    rnn_weights_to_torch,
)


def make_params(rng, N, T, D, H, scale=0.5):
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H))
    Wx = rng.normal(scale=scale, size=(D, H))
    Wh = rng.normal(scale=scale, size=(H, H))
    b = rng.normal(scale=scale, size=H)
    return x, h0, Wx, Wh, b


def torch_reference(x, h0, Wx, Wh, b, dh):
    """Forward with torch.nn.RNN (float64) and autograd gradients of sum(h * dh)."""
    rnn = rnn_weights_to_torch(Wx, Wh, b)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    out, _ = rnn(xt, h0t[None])
    (out * torch.tensor(dh)).sum().backward()
    grads = {
        "x": xt.grad.numpy(),
        "h0": h0t.grad.numpy(),
        "Wx": rnn.weight_ih_l0.grad.numpy().T,
        "Wh": rnn.weight_hh_l0.grad.numpy().T,
        "b": rnn.bias_ih_l0.grad.numpy(),
    }
    return out.detach().numpy(), grads


@given(
    N=st.integers(1, 4),
    T=st.integers(1, 6),
    D=st.integers(1, 5),
    H=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
)
def test_forward_backward_match_torch_autograd(N, T, D, H, seed):
    rng = np.random.default_rng(seed)
    x, h0, Wx, Wh, b = make_params(rng, N, T, D, H)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)
    h_ref, g = torch_reference(x, h0, Wx, Wh, b, dh)
    assert h.shape == (N, T, H)
    assert rel_error(h, h_ref) < 1e-10
    for name, ours in [("x", dx), ("h0", dh0), ("Wx", dWx), ("Wh", dWh), ("b", db)]:
        assert ours.shape == g[name].shape, name
        assert rel_error(ours, g[name]) < 1e-9, name


def test_backward_matches_finite_differences(rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 4, 3, 5)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    grads = dict(zip(["x", "h0", "Wx", "Wh", "b"], rnn_backward(dh, cache)))
    args = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}

    def f(_):
        return rnn_forward(**args)[0]

    for name, value in args.items():
        assert rel_error(grads[name], numerical_gradient(f, value, dh)) < 1e-7, name


def test_step_backward_matches_finite_differences(rng):
    x, h0, Wx, Wh, b = make_params(rng, 3, 1, 4, 5)
    x = x[:, 0]
    h, cache = rnn_step_forward(x, h0, Wx, Wh, b)
    dh = rng.normal(size=h.shape)
    grads = rnn_step_backward(dh, cache)
    for value, grad in zip([x, h0, Wx, Wh, b], grads):
        num = numerical_gradient(lambda _: rnn_step_forward(x, h0, Wx, Wh, b)[0], value, dh)
        assert rel_error(grad, num) < 1e-7


def test_step_forward_formula_by_hand():
    x = np.array([[1.0, 0.0]])
    h_prev = np.array([[0.5]])
    Wx = np.array([[0.2], [0.3]])
    Wh = np.array([[-1.0]])
    b = np.array([0.1])
    h, _ = rnn_step_forward(x, h_prev, Wx, Wh, b)
    assert h.shape == (1, 1)
    assert h[0, 0] == pytest.approx(np.tanh(0.2 - 0.5 + 0.1))


def test_sequence_equals_repeated_steps(rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 5, 3, 4)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    h_t = h0
    for t in range(5):
        h_t, _ = rnn_step_forward(x[:, t], h_t, Wx, Wh, b)
        np.testing.assert_allclose(h[:, t], h_t, rtol=0, atol=0)


def test_h0_gradient_is_zero_when_weights_do_not_recur(rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 3, 3, 4)
    _, cache = rnn_forward(x, h0, Wx, np.zeros_like(Wh), b)
    _, dh0, *_ = rnn_backward(np.ones((2, 3, 4)), cache)
    assert np.all(dh0 == 0)


def test_float32_inputs_keep_working(rng):
    """A float32 run stays in float32 and agrees with the float64 run of the same numbers to float32 precision."""
    params32 = [a.astype(np.float32) for a in make_params(rng, 2, 3, 3, 4)]
    params64 = [a.astype(np.float64) for a in params32]  # the same values, exactly
    dh = rng.normal(size=(2, 3, 4))
    h, cache = rnn_forward(*params32)
    h64, cache64 = rnn_forward(*params64)
    assert h.dtype == np.float32 and h.shape == h64.shape == (2, 3, 4)
    np.testing.assert_allclose(h, h64, rtol=1e-5, atol=1e-6)
    grads = rnn_backward(dh.astype(np.float32), cache)
    grads64 = rnn_backward(dh, cache64)
    for name, g, g64, p in zip(("dx", "dh0", "dWx", "dWh", "db"), grads, grads64, params32):
        assert g.dtype == np.float32 and g.shape == g64.shape == p.shape, name
        np.testing.assert_allclose(g, g64, rtol=1e-4, atol=1e-5, err_msg=name)


# ---------------------------------------------------------------- converters


@pytest.mark.parametrize("cls", [torch.nn.RNN, torch.nn.RNNCell])
def test_converters_round_trip(cls, rng):
    torch.manual_seed(0)
    module = cls(3, 4).double()
    Wx, Wh, b = rnn_weights_from_torch(module)
    assert Wx.shape == (3, 4) and Wh.shape == (4, 4) and b.shape == (4,)
    np.testing.assert_allclose(Wx, module.weight_ih_l0.detach().numpy().T if cls is torch.nn.RNN else module.weight_ih.detach().numpy().T)
    back = rnn_weights_to_torch(Wx, Wh, b, cls(3, 4).double())
    Wx2, Wh2, b2 = rnn_weights_from_torch(back)
    np.testing.assert_array_equal(Wx, Wx2)
    np.testing.assert_array_equal(Wh, Wh2)
    np.testing.assert_allclose(b, b2, rtol=0, atol=1e-15)


def test_torch_module_from_numpy_gives_same_output(rng):
    x, h0, Wx, Wh, b = make_params(rng, 3, 4, 2, 5)
    module = rnn_weights_to_torch(Wx, Wh, b)
    assert module.batch_first
    out, h_last = module(torch.tensor(x), torch.tensor(h0)[None])
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    assert rel_error(out, h) < 1e-12
    assert rel_error(h_last[0], h[:, -1]) < 1e-12


def test_rnn_cell_from_torch_gives_same_step(rng):
    torch.manual_seed(1)
    cell = torch.nn.RNNCell(3, 2).double()
    Wx, Wh, b = rnn_weights_from_torch(cell)
    x = rng.normal(size=(4, 3))
    h_prev = rng.normal(size=(4, 2))
    ours, _ = rnn_step_forward(x, h_prev, Wx, Wh, b)
    theirs = cell(torch.tensor(x), torch.tensor(h_prev)).detach().numpy()
    assert rel_error(ours, theirs) < 1e-12


def test_converter_rejects_unsupported_modules():
    with pytest.raises(ValueError, match="one-layer"):
        rnn_weights_from_torch(torch.nn.RNN(2, 3, num_layers=2))
    with pytest.raises(ValueError, match="tanh"):
        rnn_weights_from_torch(torch.nn.RNN(2, 3, nonlinearity="relu"))
    with pytest.raises(ValueError, match="expected torch.nn.RNN"):
        rnn_weights_from_torch(torch.nn.LSTM(2, 3))
    with pytest.raises(ValueError, match="input_size=2 and hidden_size=3"):
        rnn_weights_to_torch(np.zeros((2, 3)), np.zeros((3, 3)), np.zeros(3), torch.nn.RNN(4, 3))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change, message",
    [
        ({"x": np.zeros((2, 3))}, r"x must have shape \(N, T, D\)"),
        ({"x": np.zeros((2, 4, 5))}, r"x must have shape \(N, T, D\) = \(2, 4, 3\)"),
        ({"h0": np.zeros((3, 4))}, r"h0 must have shape \(N, H\) = \(2, 4\)"),
        ({"h0": np.zeros(4)}, r"h0 must have shape \(N, H\)"),
        ({"Wh": np.zeros((4, 5))}, r"Wh must have shape \(H, H\) = \(4, 4\)"),
        ({"b": np.zeros(5)}, r"b must have shape \(H,\) = \(4,\)"),
        ({"Wx": np.zeros(3)}, r"Wx must have shape \(D, H\)"),
        ({"x": np.array([["a"]])}, r"real-valued"),
    ],
)
def test_rnn_forward_bad_shapes(change, message, rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 4, 3, 4)
    args = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, **change}
    with pytest.raises(ValueError, match=message):
        rnn_forward(**args)


def test_rnn_step_forward_bad_shapes(rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 1, 3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\)"):
        rnn_step_forward(x, h0, Wx, Wh, b)  # 3-D x given to the step
    with pytest.raises(ValueError, match=r"h_prev must have shape \(N, H\) = \(2, 4\)"):
        rnn_step_forward(x[:, 0], h0[:1], Wx, Wh, b)


def test_backward_bad_shapes(rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 4, 3, 4)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh must have shape \(N, T, H\) = \(2, 4, 4\)"):
        rnn_backward(h[:, :2], cache)
    with pytest.raises(ValueError, match="cache"):
        rnn_backward(h, [])
    _, step_cache = rnn_step_forward(x[:, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh_next must have shape \(N, H\)"):
        rnn_step_backward(np.zeros((2, 5)), step_cache)


# ---------------------------------------------------------------- caches


def test_caches_are_dicts_of_named_arrays(rng):
    x, h0, Wx, Wh, b = make_params(rng, 2, 4, 3, 5)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    assert isinstance(cache, dict) and set(cache) == {"steps"} and len(cache["steps"]) == 4
    step = cache["steps"][1]
    assert set(step) == {"x", "h_prev", "Wx", "Wh", "h_next"}
    np.testing.assert_array_equal(step["x"], x[:, 1])
    np.testing.assert_array_equal(step["h_prev"], h[:, 0])
    np.testing.assert_array_equal(step["h_next"], h[:, 1])
    _, step_cache = rnn_step_forward(x[:, 0], h0, Wx, Wh, b)
    assert set(step_cache) == set(step)
    np.testing.assert_array_equal(step_cache["h_prev"], h0)


def test_backward_rejects_the_wrong_cache(rng):
    from lstm_helpers.numpy_layers import affine_forward
    from lstm_helpers.numpy_lstm import lstm_forward, lstm_step_forward

    x, h0, Wx, Wh, b = make_params(rng, 2, 3, 3, 4)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    _, step_cache = rnn_step_forward(x[:, 0], h0, Wx, Wh, b)
    Wx4, Wh4, b4 = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), rng.normal(size=16)
    _, lstm_cache = lstm_forward(x, h0, None, Wx4, Wh4, b4)
    _, _, lstm_step_cache = lstm_step_forward(x[:, 0], h0, h0, Wx4, Wh4, b4)
    _, affine_cache = affine_forward(x[:, 0], Wx, b)
    dh = np.ones_like(h)
    for wrong in (cache["steps"], tuple(step_cache.values()), step_cache, lstm_cache, {"steps": []},
                  {"steps": [step_cache, lstm_step_cache]}, affine_cache):
        with pytest.raises(ValueError, match="cache must be the dict returned by rnn_forward"):
            rnn_backward(dh, wrong)
    for wrong in (tuple(step_cache.values()), cache, lstm_step_cache, affine_cache):
        with pytest.raises(ValueError, match="cache must be the dict returned by rnn_step_forward"):
            rnn_step_backward(dh[:, 0], wrong)


@pytest.mark.parametrize("D, H", [(1, 1), (1, 2), (5, 2), (3, 7), (100, 256)])
def test_parameter_count_is_torch_rnn_without_its_second_bias(D, H):
    rnn = torch.nn.RNN(D, H)
    torch_count = sum(p.numel() for p in rnn.parameters())
    assert rnn.bias_hh_l0.numel() == H
    assert rnn_parameter_count(D, H) == torch_count - H == D * H + H * H + H


def test_parameter_count_is_the_size_of_the_numpy_weights(rng):
    D, H = 4, 3
    Wx, Wh, b = rnn_weights_from_torch(torch.nn.RNN(D, H))
    assert rnn_parameter_count(D, H) == Wx.size + Wh.size + b.size
    assert isinstance(rnn_parameter_count(np.int64(D), H), int)


@pytest.mark.parametrize("D, H, name", [(0, 2, "input_size"), (2, 0, "hidden_size"), (2.0, 2, "input_size"),
                                        (True, 2, "input_size"), (2, -1, "hidden_size")])
def test_parameter_count_rejects_bad_sizes(D, H, name):
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        rnn_parameter_count(D, H)
