r"""The gated recurrent unit (GRU) of Cho et al. (2014), written gate by gate.

PyTorch's ``torch.nn.GRUCell`` computes, for one sequence with column vectors,

.. math::

    r_t &= \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}) \\
    z_t &= \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}) \\
    n_t &= \tanh\big(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

with the reset gate :math:`r_t`, the update gate :math:`z_t` and the candidate
:math:`n_t` (:math:`\tilde h_t` in the papers). There is no separate cell
state: :math:`h_t` is the memory.

How this relates to the papers
------------------------------
*The update gate.* Cho et al. (2014, eq. 7) write
:math:`h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t`: :math:`z_t`
multiplies the **old** state, exactly as in PyTorch, so the two ``z`` are the
same gate (``z = 1`` keeps the old state and ignores the input). Chung et al.
(2014, eq. 5) and many tutorials write the mirror image,
:math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t`: their ``z`` is
``1 - z`` here. The two parametrisations describe the same family of cells
(negate the update gate's weights and biases to go from one to the other).

*The reset gate.* Cho et al. and Chung et al. apply the reset gate to the old
state *before* the matrix product,
:math:`\tilde h_t = \tanh(W_{xn} x_t + W_{hn}(r_t \odot h_{t-1}) + b)`. PyTorch
(and cuDNN) apply it *after* the product, to :math:`W_{hn} h_{t-1} + b_{hn}`,
which lets the three matrix products with :math:`h_{t-1}` run as one.
:class:`GRUCell` does either: ``reset_after=True`` (the default) is PyTorch's
form, ``reset_after=False`` the papers'. Both have the same parameters.

Parameter layout
----------------
As in ``torch.nn.GRUCell``: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``,
``bias_ih (3H,)``, ``bias_hh (3H,)``, blocks ordered **r, z, n**, so
``load_state_dict`` copies weights both ways.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_last_dim, check_size, check_tensor

__all__ = ["GRUCell", "gru_parameter_count"]


def gru_parameter_count(input_size, hidden_size):
    r"""Number of trainable scalars of :class:`GRUCell`: :math:`3 H (D + H + 2)`.

    Examples
    --------
    >>> gru_parameter_count(3, 5)
    150
    """
    input_size = check_size("input_size", input_size)
    hidden_size = check_size("hidden_size", hidden_size)
    return 3 * hidden_size * (input_size + hidden_size + 2)


class GRUCell(nn.Module):
    r"""One GRU step, with the weights and results of ``torch.nn.GRUCell``.

    Parameters
    ----------
    input_size : int
        ``D``, the number of features of :math:`x_t`.
    hidden_size : int
        ``H``, the number of units of :math:`h_t`.
    reset_after : bool
        ``True`` (default): the reset gate scales :math:`W_{hn} h_{t-1} + b_{hn}`
        as in PyTorch; ``False``: it scales :math:`h_{t-1}` before the product,
        as in Cho et al. (2014) (the result then differs from ``nn.GRUCell``).

    Notes
    -----
    The state is the tensor ``h (N, H)``. As in :class:`~lstm_helpers.cells.LSTMCell`,
    :meth:`input_projection` (``x W_ih^T + b_ih``) and :meth:`step` split a
    step so that :class:`~lstm_helpers.cells.Recurrent` can hoist the input's
    matrix product out of the loop over time.

    Examples
    --------
    >>> cell = GRUCell(3, 5)
    >>> tuple(cell(torch.zeros(2, 3)).shape)
    (2, 5)
    """

    blocks = "rzn"

    def __init__(self, input_size, hidden_size, reset_after=True):
        super().__init__()
        input_size = check_size("input_size", input_size)
        hidden_size = check_size("hidden_size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.reset_after = bool(reset_after)
        H = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(3 * H, input_size))
        self.weight_hh = nn.Parameter(torch.empty(3 * H, H))
        self.bias_ih = nn.Parameter(torch.empty(3 * H))
        self.bias_hh = nn.Parameter(torch.empty(3 * H))
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's initialisation, uniform in ``[-1/sqrt(H), 1/sqrt(H)]``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, reset_after={self.reset_after}"

    def initial_state(self, n, dtype=None, device=None):
        """Zero state ``h (n, H)``."""
        p = self.weight_hh
        return torch.zeros(n, self.hidden_size, dtype=p.dtype if dtype is None else dtype,
                           device=p.device if device is None else device)

    @staticmethod
    def hidden(state):
        """The hidden state ``h (N, H)`` (the state itself)."""
        return state

    def check_state(self, state, n):
        """Return ``state`` after checking that it is ``h (n, H)``."""
        check_tensor("h", state, (n, self.hidden_size), "(N, H)")
        return state

    def input_projection(self, x):
        """``x W_ih^T + b_ih`` for ``x (..., D)``; returns ``(..., 3H)``."""
        check_last_dim("x", x, self.input_size, like=self.weight_ih)
        return torch.nn.functional.linear(x, self.weight_ih, self.bias_ih)

    def step(self, xp, h_prev):
        """One step from the projected input ``xp (N, 3H)`` and ``h_prev (N, H)``; returns ``h (N, H)``."""
        return self._step(xp, h_prev, None)

    def _step(self, xp, h_prev, record):
        H = self.hidden_size
        x_r, x_z, x_n = xp.split(H, dim=1)
        if self.reset_after:  # PyTorch: all three products with h_{t-1} at once
            hp = torch.addmm(self.bias_hh, h_prev, self.weight_hh.t())
            h_r, h_z, h_n = hp.split(H, dim=1)
            r = torch.sigmoid(x_r + h_r)  # r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
            z = torch.sigmoid(x_z + h_z)  # z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
            n = torch.tanh(x_n + r * h_n)  # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
        else:  # Cho et al.: reset h_{t-1} first, then multiply
            W_hr, W_hz, W_hn = self.weight_hh.split(H, dim=0)
            b_hr, b_hz, b_hn = self.bias_hh.split(H)
            r = torch.sigmoid(x_r + h_prev @ W_hr.t() + b_hr)  # r_t as above
            z = torch.sigmoid(x_z + h_prev @ W_hz.t() + b_hz)  # z_t as above
            n = torch.tanh(x_n + (r * h_prev) @ W_hn.t() + b_hn)  # n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)
        h = (1.0 - z) * n + z * h_prev  # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        if record is not None:
            record.update(r=r, z=z, n=n, h=h)
        return h

    def _prepare(self, x, h):
        check_tensor("x", x, (None, self.input_size), "(N, D)", like=self.weight_ih)
        if h is None:
            return self.initial_state(x.shape[0], dtype=x.dtype, device=x.device)
        return self.check_state(h, x.shape[0])

    def forward(self, x, h=None):
        """One step: ``x (N, D)``, ``h (N, H)`` (zeros if omitted) -> ``h (N, H)``.

        Raises
        ------
        ValueError
            If a shape is not the expected one; the message names it.
        """
        h = self._prepare(x, h)
        return self._step(self.input_projection(x), h, None)

    def forward_with_gates(self, x, h=None):
        """Like :meth:`forward`; also return ``{"r", "z", "n", "h"}``, each ``(N, H)``."""
        h = self._prepare(x, h)
        gates = {}
        return self._step(self.input_projection(x), h, gates), gates
