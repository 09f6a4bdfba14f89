"""numerical_gradient and rel_error."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_helpers.gradcheck import numerical_gradient, rel_error


def test_scalar_function_gradient(rng):
    x = rng.normal(size=(3, 4))
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(grad, 3 * x**2) < 1e-8


def test_vector_function_with_upstream_gradient(rng):
    A = rng.normal(size=(5, 3))
    x = rng.normal(size=(3, 2))
    df = rng.normal(size=(5, 2))
    grad = numerical_gradient(lambda v: A @ v, x, df)
    assert rel_error(grad, A.T @ df) < 1e-8


def test_x_is_restored(rng):
    x = rng.normal(size=(4,))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)


def test_matches_torch_autograd(rng):
    x = rng.normal(size=(2, 3))
    xt = torch.tensor(x, requires_grad=True)
    torch.tanh(xt).pow(2).sum().backward()
    grad = numerical_gradient(lambda v: np.sum(np.tanh(v) ** 2), x)
    assert rel_error(grad, xt.grad) < 1e-8


@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(-3, 3)))
def test_quadratic_exact(x):
    # central differences are exact for quadratics up to round-off
    grad = numerical_gradient(lambda v: np.sum(v**2), x.copy())
    np.testing.assert_allclose(grad, 2 * x, atol=1e-6)


def test_numerical_gradient_errors(rng):
    with pytest.raises(ValueError, match="floating-point"):
        numerical_gradient(lambda v: v.sum(), np.arange(3))
    with pytest.raises(ValueError, match="pass df"):
        numerical_gradient(lambda v: v * 2, rng.normal(size=3))
    with pytest.raises(ValueError, match="df must have the shape of f"):
        numerical_gradient(lambda v: v * 2, rng.normal(size=3), df=np.ones(4))
    with pytest.raises(ValueError, match="h must be positive"):
        numerical_gradient(lambda v: v.sum(), rng.normal(size=3), h=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_less_precise_floats_are_refused(dtype):
    x = np.ones(3, dtype=dtype)
    calls = []
    name = np.dtype(dtype).name
    with pytest.raises(ValueError, match=rf"x has dtype {name}, too coarse .*; use float64"):
        numerical_gradient(lambda v: calls.append(1) or np.sum(v**2), x)
    assert not calls, "f must not be evaluated before the dtype is checked"
    np.testing.assert_array_equal(x, np.ones(3, dtype=dtype))


def test_float32_would_give_a_wrong_third_digit():
    """Why float32 is refused: its central difference of x**2 at 1 is 2.0027, not 2."""
    h = 1e-5
    x = np.float32(1.0)
    float32_estimate = (float(np.float32(x + h) ** 2) - float(np.float32(x - h) ** 2)) / (2 * h)
    assert abs(float32_estimate - 2.0) > 1e-3
    grad = numerical_gradient(lambda v: np.sum(v**2), np.ones(1))  # float64
    assert abs(grad[0] - 2.0) < 1e-9


@pytest.mark.parametrize("dtype", [np.float64, np.longdouble])
def test_float64_and_wider_are_accepted(dtype):
    x = np.array([1.0, -2.0], dtype=dtype)
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2.0, -4.0], rtol=1e-9)


def test_rel_error_values():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2e-8])) == pytest.approx(5e-9, rel=1e-3)
    assert rel_error(torch.ones(2), np.ones(2)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))
