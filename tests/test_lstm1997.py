"""Tests of the 1997 cell, lstm_helpers.cells.lstm1997, and of its training protocol in the long-lag experiments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_helpers.cells import LSTM1997
from lstm_helpers.cells.lstm1997 import squash_g, squash_h
from lstm_helpers.experiments.long_lags import default_config, make_model, run_long_lag


def _net(truncate=True, seed=0, **kwargs):
    torch.manual_seed(seed)
    return LSTM1997(3, 2, 2, 2, truncate=truncate, **kwargs).double()


def _unrolled_with_fixed_outputs(net, x):
    """An independent unroll: the previous cell outputs enter as constants recorded beforehand.

    Its gradient is the truncated gradient of the paper by construction: error can
    go back in time through the cell states only.
    """
    with torch.no_grad():
        cells, gates_in, gates_out = net.states(x)
        recorded = gates_out.repeat_interleave(net.block_size, dim=2) * squash_h(cells)  # y_c, (N, L, C)
    N, L, _ = x.shape
    c = x.new_zeros(N, net.hidden_size)
    outs = []
    for t in range(L):
        prev = recorded[:, t - 1] if t else x.new_zeros(N, net.hidden_size)
        u = torch.cat([x[:, t], prev], dim=1)
        y_in = torch.sigmoid(u @ net.W_in.T + net.b_in).repeat_interleave(net.block_size, dim=1)
        y_out = torch.sigmoid(u @ net.W_out.T + net.b_out).repeat_interleave(net.block_size, dim=1)
        c = c + y_in * squash_g(u @ net.W_c.T + net.b_c)
        outs.append(torch.sigmoid((y_out * squash_h(c)) @ net.W_y.T + net.b_y))
    return torch.stack(outs, 1)


def _grads(net, loss):
    net.zero_grad()
    loss.backward()
    return [p.grad.clone() for p in net.parameters()]


def test_squashing_ranges_and_shapes():
    z = torch.linspace(-50, 50, 101, dtype=torch.float64)
    assert squash_g(z).min() >= -2 and squash_g(z).max() <= 2 and squash_g(torch.zeros(1)).item() == 0
    assert squash_h(z).min() >= -1 and squash_h(z).max() <= 1 and squash_h(torch.zeros(1)).item() == 0
    net = _net()
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    out = net(x, every_step=True)
    assert out.shape == (4, 7, 2) and (out > 0).all() and (out < 1).all()
    cells, gates_in, gates_out = net.states(x)
    assert cells.shape == (4, 7, 4) and gates_in.shape == gates_out.shape == (4, 7, 2)
    lengths = torch.tensor([7, 3, 5, 1])
    torch.testing.assert_close(net(x, lengths), out[torch.arange(4), lengths - 1])
    torch.testing.assert_close(net(x), out[:, -1])


def test_the_cell_state_is_a_running_sum_without_forget_gate():
    net = _net()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    cells, gates_in, _ = net.states(x)
    steps = torch.diff(cells, dim=1, prepend=torch.zeros_like(cells[:, :1]))
    bound = 2 * gates_in.repeat_interleave(2, dim=2)  # |y_in g| <= 2 y_in
    assert (steps.abs() <= bound + 1e-12).all()


def test_initialisation():
    net = LSTM1997(7, 3, 2, 7, init=0.1, gate_bias=-0.5)
    assert torch.equal(net.b_in.detach(), torch.tensor([-0.5, -1.0, -1.5]))
    assert torch.equal(net.b_out.detach(), torch.tensor([-0.5, -1.0, -1.5]))
    for p in (net.W_in, net.W_out, net.W_c, net.b_c, net.W_y, net.b_y):
        assert p.abs().max() <= 0.1
    assert net.W_in.shape == (3, 13) and net.W_c.shape == (6, 13) and net.W_y.shape == (7, 6)
    assert net.hidden_size == 6


def test_full_gradient_matches_finite_differences():
    net = _net(truncate=False)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    params = {k: v.detach().clone().requires_grad_() for k, v in net.named_parameters()}

    def f(*values):
        return torch.func.functional_call(net, dict(zip(params, values)), (x,), {"every_step": True}).sum()

    assert torch.autograd.gradcheck(f, tuple(params.values()))


def test_truncated_gradient_is_the_gradient_with_fixed_recurrent_inputs():
    net = _net(truncate=True)
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    target = torch.rand(3, 6, 2, dtype=torch.float64)
    truncated = _grads(net, ((net(x, every_step=True) - target) ** 2).sum())
    reference = _grads(net, ((_unrolled_with_fixed_outputs(net, x) - target) ** 2).sum())
    for a, b in zip(truncated, reference):
        torch.testing.assert_close(a, b)
    net.truncate = False
    full = _grads(net, ((net(x, every_step=True) - target) ** 2).sum())
    assert any(not torch.allclose(a, b) for a, b in zip(truncated, full))  # the truncation is not a no-op


@pytest.mark.parametrize("bad", [torch.zeros(2, 3), torch.zeros(2, 3, 4), np.zeros((2, 3, 3))])
def test_bad_input_is_refused(bad):
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(N, L, 3\)"):
        _net()(bad)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="n_blocks must be an integer >= 1"):
        LSTM1997(3, 0, 2, 2)
    with pytest.raises(ValueError, match="init must be a positive number"):
        LSTM1997(3, 1, 2, 2, init=0)
    with pytest.raises(ValueError, match=r"hidden_size \(5\) must be a multiple of block_size \(2\)"):
        make_model("lstm1997", 7, 5, 7)


def test_the_1997_protocol_trains_only_the_1997_cell():
    config = default_config("reber_fixed", quick=True, protocol="1997")
    assert (config.batch_size, config.clip, config.protocol, config.name) == (1, None, "1997", "reber_fixed_1997")
    with pytest.raises(ValueError, match="does not go with protocol '1997'"):
        run_long_lag(config, "lstm_nofg")
    with pytest.raises(ValueError, match="does not go with protocol 'modern'"):
        run_long_lag(default_config("reber_fixed", quick=True), "lstm1997")
    run = run_long_lag(config, "lstm1997", seed=0)
    assert run["sequences_seen"] == config.budget == 64  # one sequence per update
    assert run["parameters"] == 2 * 2 * (7 + 4 + 1) + 4 * (7 + 4 + 1) + 7 * (4 + 1)
    assert 0 <= run["wrong_fixed"] <= 512


def test_the_full_gradient_is_a_diagnostic_of_the_1997_protocol_only():
    config = default_config("reber_fixed", quick=True, protocol="1997")
    assert (config.updates, config.name) == ("step", "reber_fixed_1997")
    config.truncate = False
    with pytest.raises(ValueError, match="updates='step' needs the 1997 protocol with the truncated gradient"):
        config.validate()
    config.updates = "sequence"
    config.validate()
    assert config.name == "reber_fixed_1997_full"
    config.truncate = True
    assert config.name == "reber_fixed_1997_per_string"
    config.truncate = False
    assert make_model("lstm1997", 7, 4, 7, truncate=False).truncate is False
    modern = default_config("reber_fixed", quick=True)
    modern.truncate = False
    with pytest.raises(ValueError, match="truncate=False is a setting of the 1997 protocol"):
        modern.validate()
    config.truncate = "no"
    with pytest.raises(ValueError, match="truncate must be True or False"):
        config.validate()


def test_the_forward_computed_truncated_gradient_equals_autograd():
    from lstm_helpers.cells.lstm1997 import online_string

    net = _net(truncate=True)
    x = torch.randn(7, 3, dtype=torch.float64)
    target = torch.rand(7, 2, dtype=torch.float64)
    loss, sums = online_string(net, x, target)
    net.zero_grad()
    reference = 0.5 * ((net(x[None], every_step=True)[0] - target) ** 2).sum()
    reference.backward()
    assert loss == pytest.approx(float(reference.detach()))
    for name, p in net.named_parameters():
        torch.testing.assert_close(sums[name], p.grad, msg=name)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    online_string(net, x, target, lr=0.1)  # online: the weights change after every step
    assert any(not torch.equal(before[k], v) for k, v in net.state_dict().items())
    with pytest.raises(ValueError, match="truncate=True"):
        online_string(_net(truncate=False), x, target)
    with pytest.raises(ValueError, match=r"x must be \(L, 3\)"):
        online_string(net, x[None], target)
