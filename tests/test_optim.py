"""clip_grad_norm and the written-out optimisers against torch, Keras, TensorFlow 1 and Graves (2013)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lstm_helpers.optim import SGD, Adam, RMSprop, clip_grad_norm


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


# ----------------------------------------------------------------------------- optimisers

SHAPES = st.lists(st.lists(st.integers(1, 4), max_size=3).map(tuple), min_size=1, max_size=3)
LR = st.floats(1e-4, 0.5)
MOMENTUM = st.floats(0.01, 0.99)


def run_both(ours, theirs, shapes, seed, steps=50):
    """Run two optimisers on identical float64 parameters and gradients; return both parameter lists."""
    rng = np.random.default_rng(seed)
    start = [np.asarray(rng.normal(size=s), dtype=np.float64) for s in shapes]
    a = [torch.tensor(x, requires_grad=True) for x in start]
    b = [torch.tensor(x, requires_grad=True) for x in start]
    opt_a, opt_b = ours(a), theirs(b)
    for _ in range(steps):
        for x, y in zip(a, b):
            g = torch.tensor(np.asarray(rng.normal(scale=2.0, size=x.shape), dtype=np.float64))
            x.grad, y.grad = g.clone(), g.clone()
        opt_a.step()
        opt_b.step()
    return a, b


def assert_same(a, b):
    for x, y in zip(a, b):
        assert x.dtype == y.dtype == torch.float64
        np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("use_momentum, nesterov", [(False, False), (True, False), (True, True)],
                         ids=["plain", "momentum", "nesterov"])
@given(shapes=SHAPES, lr=LR, momentum=MOMENTUM, seed=st.integers(0, 2**31 - 1))
def test_sgd_equals_torch(use_momentum, nesterov, shapes, lr, momentum, seed):
    mu = momentum if use_momentum else 0.0
    assert_same(*run_both(lambda ps: SGD(ps, lr, momentum=mu, nesterov=nesterov),
                          lambda ps: torch.optim.SGD(ps, lr, momentum=mu, nesterov=nesterov),
                          shapes, seed))


@pytest.mark.parametrize("use_momentum", [False, True])
@pytest.mark.parametrize("centered", [False, True])
@given(shapes=SHAPES, lr=LR, alpha=st.floats(0.1, 0.999), eps=st.floats(1e-10, 1e-2),
       momentum=MOMENTUM, seed=st.integers(0, 2**31 - 1))
def test_rmsprop_equals_torch(use_momentum, centered, shapes, lr, alpha, eps, momentum, seed):
    kw = dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum if use_momentum else 0.0, centered=centered)
    assert_same(*run_both(lambda ps: RMSprop(ps, **kw), lambda ps: torch.optim.RMSprop(ps, **kw),
                          shapes, seed))


@given(shapes=SHAPES, lr=st.floats(1e-4, 0.1), beta1=st.floats(0.0, 0.99),
       beta2=st.floats(0.5, 0.9999), eps=st.floats(1e-10, 1e-3), seed=st.integers(0, 2**31 - 1))
def test_adam_equals_torch(shapes, lr, beta1, beta2, eps, seed):
    kw = dict(lr=lr, betas=(beta1, beta2), eps=eps)
    assert_same(*run_both(lambda ps: Adam(ps, **kw), lambda ps: torch.optim.Adam(ps, **kw),
                          shapes, seed))


def one_step_on_half_square(opt_factory, x0):
    """One step on loss x^2/2 (gradient x) from ``x0``; return the new x."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = opt_factory([x])
    (x ** 2 / 2).backward()
    opt.step()
    return x.item()


def test_keras_documented_example():
    # keras.optimizers.RMSprop(learning_rate=0.1): rho 0.9, epsilon 1e-7 inside the root,
    # zero initial velocity; 10.0 -> 9.683772
    x = one_step_on_half_square(lambda ps: RMSprop(ps, lr=0.1, alpha=0.9, eps=1e-7, eps_inside_sqrt=True), 10.0)
    assert x == pytest.approx(9.683772, abs=1e-6)
    assert x == pytest.approx(10.0 - 0.1 * 10.0 / math.sqrt(0.1 * 100.0 + 1e-7), rel=1e-15)


def test_tf1_initial_square_average_of_one():
    # tf.train.RMSPropOptimizer: ms starts at 1, ms = 0.9 ms + 0.1 g^2, x -= lr g / sqrt(ms + eps)
    x = one_step_on_half_square(
        lambda ps: RMSprop(ps, lr=0.1, alpha=0.9, eps=1e-10, eps_inside_sqrt=True, initial_square_avg=1.0), 3.0)
    ms = 0.9 * 1.0 + 0.1 * 3.0**2  # 1.8
    assert x == pytest.approx(3.0 - 0.1 * 3.0 / math.sqrt(ms + 1e-10), rel=1e-15)
    # shorter than the step from a zero start, lr / sqrt(1 - 0.9) ~ 0.316
    zero_start = one_step_on_half_square(lambda ps: RMSprop(ps, lr=0.1, alpha=0.9, eps=1e-10, eps_inside_sqrt=True), 3.0)
    assert 3.0 - x == pytest.approx(0.2236068, abs=1e-7) and 3.0 - zero_start == pytest.approx(0.3162278, abs=1e-7)


def test_graves_2013_variant():
    """Centred RMSProp with momentum, eps inside the root, against Graves (2013), Sec. 4, in NumPy."""
    aleph, beth, gimel, daleth = 0.95, 0.9, 1e-4, 1e-4  # decay, momentum, learning rate, epsilon
    rng = np.random.default_rng(7)
    w0 = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(6)]
    w, n, g_avg, delta = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), np.zeros_like(w0)
    p = torch.tensor(w0, requires_grad=True)
    opt = RMSprop([p], lr=gimel, alpha=aleph, eps=daleth, momentum=beth, centered=True, eps_inside_sqrt=True)
    for eps_i in grads:  # eps_i: the gradient dL/dw
        n = aleph * n + (1 - aleph) * eps_i**2
        g_avg = aleph * g_avg + (1 - aleph) * eps_i
        delta = beth * delta - gimel * eps_i / np.sqrt(n - g_avg**2 + daleth)
        w = w + delta
        p.grad = torch.tensor(eps_i)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-12, atol=1e-15)
    assert not np.allclose(w, w0)


@pytest.mark.parametrize("alpha", [0.9, 0.99, 0.999])
@pytest.mark.parametrize("g", [0.5, -3.0])
def test_rmsprop_first_step_is_lr_over_sqrt_one_minus_alpha(alpha, g):
    lr = 0.01
    p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    opt = RMSprop([p], lr=lr, alpha=alpha)
    p.grad = torch.full_like(p, g)
    opt.step()
    expected = -math.copysign(lr / math.sqrt(1 - alpha), g)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-6)
    if alpha == 0.99:
        np.testing.assert_allclose(p.detach().abs().numpy(), 10 * lr, rtol=1e-6)


def _param():
    return [torch.zeros(2, requires_grad=True)]


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(_param(), lr=-0.1), r"lr must be >= 0"),
    (lambda: SGD(_param(), lr=0.1, momentum=-0.5), r"momentum must be >= 0"),
    (lambda: SGD(_param(), lr=0.1, nesterov=True), r"Nesterov momentum requires momentum > 0"),
    (lambda: RMSprop(_param(), lr=-1e-3), r"lr must be >= 0"),
    (lambda: RMSprop(_param(), alpha=1.0), r"alpha must be in \[0, 1\)"),
    (lambda: RMSprop(_param(), alpha=-0.1), r"alpha must be in \[0, 1\)"),
    (lambda: RMSprop(_param(), eps=0.0), r"eps must be > 0"),
    (lambda: RMSprop(_param(), eps=-1e-8), r"eps must be > 0"),
    (lambda: RMSprop(_param(), momentum=-0.9), r"momentum must be >= 0"),
    (lambda: RMSprop(_param(), initial_square_avg=-1.0), r"initial_square_avg must be >= 0"),
    (lambda: Adam(_param(), lr=-1e-3), r"lr must be >= 0"),
    (lambda: Adam(_param(), betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
    (lambda: Adam(_param(), betas=(0.9, 1.5)), r"betas\[1\] must be in \[0, 1\)"),
    (lambda: Adam(_param(), betas=(-0.1, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
    (lambda: Adam(_param(), eps=0.0), r"eps must be > 0"),
    (lambda: Adam([{"params": _param(), "lr": -1.0}], lr=1e-3), r"lr must be >= 0"),
], ids=["sgd-lr", "sgd-momentum", "sgd-nesterov", "rmsprop-lr", "rmsprop-alpha-1", "rmsprop-alpha-neg",
        "rmsprop-eps-0", "rmsprop-eps-neg", "rmsprop-momentum", "rmsprop-initial", "adam-lr", "adam-beta1-1",
        "adam-beta2", "adam-beta1-neg", "adam-eps", "adam-group-lr"])
def test_bad_hyper_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.0),
    lambda ps: RMSprop(ps, lr=0.0),
    lambda ps: Adam(ps, lr=0.0),
], ids=["sgd", "rmsprop", "adam"])
def test_zero_learning_rate_is_allowed_and_does_nothing(make):
    p = torch.ones(3, requires_grad=True)
    opt = make([p])
    p.grad = torch.ones(3)
    opt.step()
    torch.testing.assert_close(p.detach(), torch.ones(3))


@pytest.mark.parametrize("make, keys", [
    (lambda ps: SGD(ps, lr=0.1), set()),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9), {"momentum_buffer"}),
    (lambda ps: RMSprop(ps), {"step", "square_avg"}),
    (lambda ps: RMSprop(ps, momentum=0.9, centered=True), {"step", "square_avg", "grad_avg", "momentum_buffer"}),
    (lambda ps: Adam(ps), {"step", "exp_avg", "exp_avg_sq"}),
], ids=["sgd", "sgd-momentum", "rmsprop", "rmsprop-centered-momentum", "adam"])
def test_state_closure_skipping_and_sparse(make, keys):
    used, unused = torch.ones(2, 3, requires_grad=True), torch.ones(4, requires_grad=True)
    opt = make([used, unused])

    def closure():
        opt.zero_grad()
        loss = (used ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(6.0)
    assert opt.step() is None
    assert set(opt.state[used]) == keys
    assert len(opt.state[unused]) == 0  # no gradient: skipped
    torch.testing.assert_close(unused.detach(), torch.ones(4))
    assert not torch.equal(used.detach(), torch.ones(2, 3))
    for key in keys & {"momentum_buffer", "square_avg", "grad_avg", "exp_avg", "exp_avg_sq"}:
        assert opt.state[used][key].shape == used.shape
    if "step" in keys:
        assert opt.state[used]["step"] == 2
    unused.grad = torch.ones(4).to_sparse()
    with pytest.raises(ValueError, match="sparse gradients"):
        opt.step()
