"""The LSTM of 1997: memory blocks without forget gates, trained with a truncated gradient.

:class:`LSTM1997` follows the architecture of Hochreiter & Schmidhuber
(1997), Section 4, as closely as a few lines of PyTorch allow:

- ``n_blocks`` memory blocks of ``block_size`` cells; each block has one
  input gate and one output gate (sigmoid, in ``[0, 1]``) shared by its
  cells, and no forget gate, so the cell state is a running sum (the
  constant error carousel): :math:`c_t = c_{t-1} + y^{in}_t \\, g(z_t)`;
- the squashing functions of the paper: the cell input
  :math:`g(z) = 4\\sigma(z) - 2 \\in [-2, 2]` and the cell output
  :math:`h(c) = 2\\sigma(c) - 1 \\in [-1, 1]`, so
  :math:`y^c_t = y^{out}_t \\, h(c_t)`;
- the gates and cell inputs see the current input and every cell output of
  the previous step; sigmoid output units see the cell outputs;
- weights drawn uniformly from ``[-init, init]``; the input and output gate
  biases negative and growing block by block (``gate_bias * (j + 1)`` for
  block ``j``), the paper's remedy against cells that saturate or drift
  before they have learned anything;
- the **truncated gradient** (``truncate=True``): the error that reaches the
  net input of a gate or of a cell input updates that unit's incoming
  weights but does not flow back in time through the recurrent
  connections. Only the cell states carry error back in time. In autograd
  this is one ``detach()`` of the previous cell outputs where they enter the
  gates and cell inputs.

The recurrence is a Python loop over time steps, fine for the short strings
of the embedded Reber grammar and slow for sequences of 1000 steps.
"""

from __future__ import annotations

import torch

from .._checks import check_int, check_positive

__all__ = ["LSTM1997", "squash_g", "squash_h", "online_string"]


def squash_g(z):
    """The 1997 cell-input squashing :math:`g(z) = 4\\sigma(z) - 2`, in ``[-2, 2]`` (any shape)."""
    return 4.0 * torch.sigmoid(z) - 2.0


def squash_h(c):
    """The 1997 cell-output squashing :math:`h(c) = 2\\sigma(c) - 1`, in ``[-1, 1]`` (any shape)."""
    return 2.0 * torch.sigmoid(c) - 1.0


class LSTM1997(torch.nn.Module):
    """A 1997 LSTM network: memory blocks without forget gates and sigmoid output units.

    Parameters
    ----------
    input_size : int
        ``D``, the size of one input vector.
    n_blocks : int
        ``B``, memory blocks.
    block_size : int
        ``S``, cells per block; the network has ``C = B * S`` cells.
    output_size : int
        ``K``, sigmoid output units.
    truncate : bool
        Truncate the gradient as the paper did (see the module docstring).
        False gives the full gradient of backpropagation through time.
    init : float
        Weights and the other biases are drawn uniformly from ``[-init, init]``.
    gate_bias : float
        The input-gate biases of block ``j`` start at ``gate_bias * (j + 1)``.
    output_gate_bias : float, optional
        The same for the output gates (default: ``gate_bias``).
    direct : bool
        Connect the inputs to the output units as well (a shortcut the
        paper's nets had in some experiments).
    generator : torch.Generator, optional
        Source of the initial weights (default: PyTorch's global generator).

    Attributes
    ----------
    paper_outputs : bool
        True: the outputs are the output units' activations in ``[0, 1]``,
        trained on the squared error, as in the paper. The long-lag
        experiments (:func:`lstm_helpers.experiments.long_lag_tasks.make_task`)
        judge and train them so.

    Notes
    -----
    ``forward(x, lengths=None, every_step=False)`` takes ``x (N, L, D)``,
    batch first, and returns the output units' activations at every step,
    ``(N, L, K)``, when ``every_step`` is true; otherwise those after step
    ``lengths[i]`` of each sequence, ``(N, K)`` (after the last step when
    ``lengths`` is None). ``states(x)`` returns the cell states
    ``(N, L, C)`` and the gate activations ``(N, L, B)`` for inspection.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``init`` is not positive, or
        ``x`` is not ``(N, L, D)``.
    """

    paper_outputs = True

    def __init__(self, input_size, n_blocks, block_size, output_size, *, truncate=True, init=0.1,
                 gate_bias=-0.5, output_gate_bias=None, direct=False, generator=None):
        super().__init__()
        self.input_size = check_int("input_size", input_size, 1)
        self.n_blocks = check_int("n_blocks", n_blocks, 1)
        self.block_size = check_int("block_size", block_size, 1)
        self.output_size = check_int("output_size", output_size, 1)
        check_positive("init", init)
        self.truncate = bool(truncate)
        D, B, C, K = self.input_size, self.n_blocks, self.hidden_size, self.output_size

        def uniform(*shape):
            return torch.nn.Parameter((torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1)
                                      .to(torch.get_default_dtype()) * init)

        self.W_in, self.W_out, self.W_c = uniform(B, D + C), uniform(B, D + C), uniform(C, D + C)
        self.b_c, self.W_y, self.b_y = uniform(C), uniform(K, C), uniform(K)
        steps = torch.arange(1, B + 1, dtype=torch.get_default_dtype())
        self.b_in = torch.nn.Parameter(gate_bias * steps.clone())
        out_bias = gate_bias if output_gate_bias is None else output_gate_bias
        self.b_out = torch.nn.Parameter(out_bias * steps.clone())
        self.direct = bool(direct)
        self.W_yx = uniform(K, D) if self.direct else None

    @property
    def hidden_size(self):
        """``C = n_blocks * block_size``, the number of cells."""
        return self.n_blocks * self.block_size

    def _run(self, x):
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, L, {self.input_size}), got {shape}")
        N, L, _ = x.shape
        C, S = self.hidden_size, self.block_size
        c = x.new_zeros(N, C)
        y_c = x.new_zeros(N, C)
        outputs, cells, gates_in, gates_out = [], [], [], []
        for t in range(L):
            prev = y_c.detach() if self.truncate else y_c
            u = torch.cat([x[:, t], prev], dim=1)
            y_in = torch.sigmoid(u @ self.W_in.T + self.b_in)  # (N, B)
            y_out = torch.sigmoid(u @ self.W_out.T + self.b_out)  # (N, B)
            g = squash_g(u @ self.W_c.T + self.b_c)  # (N, C)
            c = c + y_in.repeat_interleave(S, dim=1) * g
            y_c = y_out.repeat_interleave(S, dim=1) * squash_h(c)
            net_y = y_c @ self.W_y.T + self.b_y
            if self.direct:
                net_y = net_y + x[:, t] @ self.W_yx.T
            outputs.append(torch.sigmoid(net_y))
            cells.append(c)
            gates_in.append(y_in)
            gates_out.append(y_out)
        return (torch.stack(outputs, 1), torch.stack(cells, 1), torch.stack(gates_in, 1),
                torch.stack(gates_out, 1))

    def forward(self, x, lengths=None, every_step=False):
        out = self._run(x)[0]
        if every_step:
            return out
        if lengths is None:
            return out[:, -1]
        index = torch.as_tensor(lengths, device=out.device).long() - 1
        return out[torch.arange(out.shape[0], device=out.device), index]

    def states(self, x):
        """Cell states ``(N, L, C)``, input gates ``(N, L, B)`` and output gates ``(N, L, B)`` on ``x (N, L, D)``."""
        with torch.no_grad():
            _, cells, gates_in, gates_out = self._run(x)
        return cells, gates_in, gates_out

    def extra_repr(self):
        return (f"input_size={self.input_size}, n_blocks={self.n_blocks}, block_size={self.block_size}, "
                f"output_size={self.output_size}, truncate={self.truncate}")



def online_string(net, x, targets, lr=None):
    """One string through ``net`` with the paper's learning rule: truncated gradients computed forward in time.

    Hochreiter & Schmidhuber (1997, Appendix A) compute the truncated gradient
    without going back in time: since only the cell state carries error
    backwards, every cell keeps, for the incoming weights of its cell input
    and of its block's input gate, the running partial derivative of its
    state, :math:`\\partial c_t / \\partial w = \\partial c_{t-1} / \\partial w +
    \\partial (y^{in}_t g(z_t)) / \\partial w`. The error at step ``t`` times these
    traces is the gradient of that step's error; the weights of the output
    gates and output units get theirs directly. With ``lr`` the weights change
    after every step (the paper's online learning), so the rest of the string is
    processed with the new weights; without ``lr`` nothing changes and the
    gradients of the whole string are summed, which equals the gradient of
    :class:`LSTM1997` with ``truncate=True`` computed by autograd.

    Parameters
    ----------
    net : LSTM1997
    x : torch.Tensor, shape (L, D)
        One string (no padding).
    targets : torch.Tensor, shape (L, K)
        Target of every step; the error is half the squared error, summed.
    lr : float, optional
        Learning rate of the updates after every step; None: no update.

    Returns
    -------
    loss : float
        The string's error (summed over steps, each computed before that step's update).
    grads : dict of str to torch.Tensor
        The summed gradients by parameter name (only when ``lr`` is None; else empty).

    Raises
    ------
    ValueError
        If ``net`` is not an :class:`LSTM1997` with ``truncate=True`` and no
        direct connections, or the shapes do not match.
    """
    if not isinstance(net, LSTM1997) or not net.truncate or net.direct:
        raise ValueError("online_string needs an LSTM1997 with truncate=True and direct=False")
    if x.dim() != 2 or x.shape[1] != net.input_size or targets.shape != (x.shape[0], net.output_size):
        raise ValueError(f"x must be (L, {net.input_size}) and targets (L, {net.output_size}); got "
                         f"{tuple(x.shape)} and {tuple(targets.shape)}")
    P = {name: p.data for name, p in net.named_parameters()}
    sums = {name: torch.zeros_like(p) for name, p in P.items()} if lr is None else {}
    D, C, B, S = net.input_size, net.hidden_size, net.n_blocks, net.block_size
    block = torch.arange(C) // S
    kw = dict(dtype=x.dtype, device=x.device)
    c, y_c = torch.zeros(C, **kw), torch.zeros(C, **kw)
    trace_Wc, trace_bc = torch.zeros(C, D + C, **kw), torch.zeros(C, **kw)
    trace_Win, trace_bin = torch.zeros(C, D + C, **kw), torch.zeros(C, **kw)
    loss = 0.0
    with torch.no_grad():
        for t in range(x.shape[0]):
            u = torch.cat([x[t], y_c])  # the previous cell outputs enter as constants: the truncation
            y_in = torch.sigmoid(P["W_in"] @ u + P["b_in"])
            s_c = torch.sigmoid(P["W_c"] @ u + P["b_c"])
            g, g_slope = 4 * s_c - 2, 4 * s_c * (1 - s_c)
            y_out = torch.sigmoid(P["W_out"] @ u + P["b_out"])
            in_slope = (y_in * (1 - y_in))[block]
            trace_Wc += (y_in[block] * g_slope)[:, None] * u
            trace_bc += y_in[block] * g_slope
            trace_Win += (g * in_slope)[:, None] * u
            trace_bin += g * in_slope
            c = c + y_in[block] * g
            s_h = torch.sigmoid(c)
            h, h_slope = 2 * s_h - 1, 2 * s_h * (1 - s_h)
            y_c = y_out[block] * h
            y = torch.sigmoid(P["W_y"] @ y_c + P["b_y"])
            e = y - targets[t]
            loss += 0.5 * float((e ** 2).sum())
            d_net_y = e * y * (1 - y)
            d_y_c = P["W_y"].T @ d_net_y
            d_net_out = torch.zeros(B, **kw).index_add_(0, block, d_y_c * h) * y_out * (1 - y_out)
            d_c = d_y_c * y_out[block] * h_slope
            grads = {
                "W_y": torch.outer(d_net_y, y_c), "b_y": d_net_y,
                "W_out": torch.outer(d_net_out, u), "b_out": d_net_out,
                "W_c": d_c[:, None] * trace_Wc, "b_c": d_c * trace_bc,
                "W_in": torch.zeros(B, D + C, **kw).index_add_(0, block, d_c[:, None] * trace_Win),
                "b_in": torch.zeros(B, **kw).index_add_(0, block, d_c * trace_bin),
            }
            for name, grad in grads.items():
                if lr is None:
                    sums[name] += grad
                else:
                    P[name] -= lr * grad
    return loss, sums
