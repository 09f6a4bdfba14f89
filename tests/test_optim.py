"""clip_grad_norm against torch.nn.utils.clip_grad_norm_."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lstm_helpers.optim import clip_grad_norm


@given(
    shapes=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=4),
    max_norm=st.floats(0.01, 10.0),
    scale=st.floats(0.01, 100.0),
    inf_norm=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_clip_equals_torch(shapes, max_norm, scale, inf_norm, seed):
    rng = np.random.default_rng(seed)
    norm_type = math.inf if inf_norm else 2.0
    grads = [rng.normal(scale=scale, size=s) for s in shapes]
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g)
        params.append(p)
    ours = [g.copy() for g in grads]
    total = clip_grad_norm(ours, max_norm, norm_type=norm_type)
    total_torch = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert total == pytest.approx(float(total_torch), rel=1e-12)
    for a, p in zip(ours, params):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_on_torch_tensors_equals_torch():
    torch.manual_seed(0)
    a = [torch.randn(3, 2, requires_grad=True) for _ in range(2)]
    b = [t.detach().clone().requires_grad_() for t in a]
    for x, y in zip(a, b):
        x.grad = torch.randn_like(x) * 5
        y.grad = x.grad.clone()
    assert clip_grad_norm(a, 1.0) == pytest.approx(float(torch.nn.utils.clip_grad_norm_(b, 1.0)), rel=1e-6)
    for x, y in zip(a, b):
        torch.testing.assert_close(x.grad, y.grad)


def test_direction_kept_and_small_gradients_untouched():
    g = np.array([3.0, 4.0])
    total = clip_grad_norm([g], 1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-5)
    small = np.array([0.3, 0.4])
    clip_grad_norm(small, 1.0)
    np.testing.assert_array_equal(small, [0.3, 0.4])


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_grad_norm([np.ones(2)], 0)
    with pytest.raises(ValueError, match="norm_type must be one of 2, inf"):
        clip_grad_norm([np.ones(2)], 1.0, norm_type=1)
    with pytest.raises(ValueError, match="floating point"):
        clip_grad_norm([np.ones(2, dtype=int)], 1.0)
    with pytest.raises(ValueError, match="expected NumPy gradient arrays"):
        clip_grad_norm([[1.0, 2.0]], 1.0)
