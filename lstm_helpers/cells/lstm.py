r"""The LSTM cell and its variants, written gate by gate in PyTorch.

The reference cell is the *vanilla* LSTM of Greff et al. (2017), the LSTM with
a forget gate (Gers et al., 2000) and peephole connections (Gers et al., 2002).
For one sequence, with column vectors:

.. math::

    i_t &= \sigma(W_{xi} x_t + W_{hi} h_{t-1} + p_i \odot c_{t-1} + b_i) \\
    f_t &= \sigma(W_{xf} x_t + W_{hf} h_{t-1} + p_f \odot c_{t-1} + b_f) \\
    \tilde c_t &= \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
    o_t &= \sigma(W_{xo} x_t + W_{ho} h_{t-1} + p_o \odot c_t + b_o) \\
    h_t &= o_t \odot \tanh(c_t)

The peephole weights :math:`p_i, p_f, p_o \in \mathbb{R}^H` are vectors (a
diagonal matrix each): unit :math:`j` of a gate sees only cell :math:`j`. The
input and forget gates look at the old cell state :math:`c_{t-1}`, the output
gate at the new one :math:`c_t`.

Each of the eight variants of Greff et al. changes exactly one thing
(:data:`VARIANTS`):

========  ===========================================================================
variant   change from vanilla
========  ===========================================================================
NIG       no input gate: :math:`i_t = 1`
NFG       no forget gate: :math:`f_t = 1`
NOG       no output gate: :math:`o_t = 1`
NIAF      no input activation: :math:`\tilde c_t = W_{xg} x_t + W_{hg} h_{t-1} + b_g`
NOAF      no output activation: :math:`h_t = o_t \odot c_t`
NP        no peepholes (:math:`p_i = p_f = p_o = 0`): the LSTM of ``torch.nn.LSTM``
CIFG      coupled input and forget gate: :math:`f_t = 1 - i_t`
FGR       full gate recurrence: the gates also see :math:`i_{t-1}, f_{t-1}, o_{t-1}`
========  ===========================================================================

Parameter layout
----------------
As in ``torch.nn.LSTMCell``: ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``,
``bias_ih (G*H,)`` and ``bias_hh (G*H,)``, where the ``G`` blocks of ``H``
rows are the gates the variant computes, in PyTorch's order **i, f, g, o**
(:attr:`LSTMCell.blocks`; a gate that is constant has no rows). For ``"NP"``
the layout is exactly ``nn.LSTMCell``'s, so ``load_state_dict`` copies weights
both ways. Peephole weights are ``peephole_i``, ``peephole_f``, ``peephole_o``
(each ``(H,)``), and FGR's gate-to-gate weights are ``weight_gg (3H, 3H)``
(rows: the gate that receives, columns: the gate at ``t - 1`` that sends, both
ordered i, f, o).

Like PyTorch, every gate has two biases, ``bias_ih`` and ``bias_hh``; only
their sum matters, so one of them is redundant. We keep both so that the
weights can be copied to and from ``torch.nn.LSTMCell``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_choice, check_last_dim, check_size, check_tensor
from .._variants import BLOCKS as _BLOCKS
from .._variants import PEEPHOLES as _PEEPHOLES
from .._variants import VARIANTS  # the variants of Greff et al. (2017), in the order of their paper

__all__ = ["VARIANTS", "LSTMCell", "lstm_parameter_count"]


def lstm_parameter_count(input_size, hidden_size, variant="NP"):
    r"""Number of trainable scalars of :class:`LSTMCell`, by formula.

    With ``G`` gate blocks computed from weights, ``P`` peephole vectors and
    ``D``, ``H`` the input and hidden sizes:

    .. math::

        G \cdot H \cdot (D + H + 2) + P \cdot H + [\text{FGR}]\; 9 H^2

    (``D + H`` weights and two biases per unit and block; ``9 H^2`` for FGR's
    three gates each seeing three gates).

    Parameters
    ----------
    input_size, hidden_size : int
        ``D`` and ``H``.
    variant : str
        One of :data:`VARIANTS`.

    Returns
    -------
    int

    Examples
    --------
    >>> lstm_parameter_count(3, 5, "NP")  # 4 * 5 * (3 + 5 + 2)
    200
    >>> lstm_parameter_count(3, 5, "vanilla")  # plus 3 peephole vectors
    215
    """
    check_choice("variant", variant, VARIANTS)
    input_size = check_size("input_size", input_size)
    hidden_size = check_size("hidden_size", hidden_size)
    D, H = input_size, hidden_size
    G, P = len(_BLOCKS[variant]), len(_PEEPHOLES[variant])
    return G * H * (D + H + 2) + P * H + (9 * H * H if variant == "FGR" else 0)


class LSTMCell(nn.Module):
    r"""One LSTM step, in any of the variants of Greff et al. (2017).

    Parameters
    ----------
    input_size : int
        ``D``, the number of features of :math:`x_t`.
    hidden_size : int
        ``H``, the number of units of :math:`h_t` and :math:`c_t`.
    variant : str
        One of :data:`VARIANTS` (see the module docstring for the
        equations). The default ``"NP"`` (no peepholes) is the LSTM of
        ``torch.nn.LSTMCell``.
    forget_bias : float
        Added to the forget gate's part of ``bias_ih`` after the uniform
        initialisation, so ``0.0`` keeps PyTorch's initialisation and
        ``1.0`` starts with the forget gates mostly open (Gers et al., 2000;
        Jozefowicz et al., 2015). For ``"CIFG"`` it is subtracted from the
        input gate's bias instead (``f = 1 - i = \sigma(-a_i)``); ``"NFG"``
        has no forget gate and ignores it.

    Attributes
    ----------
    blocks : str
        The gate blocks computed from weights, in order, e.g. ``"ifgo"``; the
        rows of ``weight_ih`` are ``len(blocks)`` blocks of ``H``.
    peepholes : str
        The gates that have a peephole weight vector, e.g. ``"ifo"``.

    Notes
    -----
    The state is the tuple ``(h, c)``, each ``(N, H)``. For ``"FGR"`` it is
    ``(h, c, a)`` where ``a (N, 3H)`` holds the gate activations
    ``[i, f, o]`` of the previous step (zeros before the first step).

    A step is split in two so that a sequence model can hoist the input's
    matrix product out of the loop over time (:class:`~lstm_helpers.cells.Recurrent`):
    :meth:`input_projection` computes ``x W_ih^T + b_ih + b_hh`` for any
    number of steps at once, and :meth:`step` does the rest.
    ``forward(x, state) == step(input_projection(x), state)``.

    Raises
    ------
    ValueError
        If ``variant`` is not one of :data:`VARIANTS` (the message lists
        them), or a size is not a positive integer.

    Examples
    --------
    >>> cell = LSTMCell(3, 5, variant="CIFG")
    >>> cell.blocks, cell.peepholes, tuple(cell.weight_ih.shape)
    ('igo', 'io', (15, 3))
    >>> h, c = cell(torch.zeros(2, 3))
    >>> tuple(h.shape), tuple(c.shape)
    ((2, 5), (2, 5))
    """

    def __init__(self, input_size, hidden_size, variant="NP", forget_bias=0.0):
        super().__init__()
        check_choice("variant", variant, VARIANTS)
        input_size = check_size("input_size", input_size)
        hidden_size = check_size("hidden_size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.variant = variant
        self.forget_bias = float(forget_bias)
        self.blocks = _BLOCKS[variant]
        self.peepholes = _PEEPHOLES[variant]
        G, H = len(self.blocks), hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))
        self.bias_ih = nn.Parameter(torch.empty(G * H))
        self.bias_hh = nn.Parameter(torch.empty(G * H))
        for gate in self.peepholes:
            self.register_parameter(f"peephole_{gate}", nn.Parameter(torch.empty(H)))
        if variant == "FGR":
            self.weight_gg = nn.Parameter(torch.empty(3 * H, 3 * H))
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's initialisation, uniform in ``[-1/sqrt(H), 1/sqrt(H)]``, plus ``forget_bias``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)
        H = self.hidden_size
        with torch.no_grad():
            if "f" in self.blocks:
                k = self.blocks.index("f")
                self.bias_ih[k * H:(k + 1) * H] += self.forget_bias
            elif self.variant == "CIFG":
                k = self.blocks.index("i")
                self.bias_ih[k * H:(k + 1) * H] -= self.forget_bias

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, variant={self.variant!r}"

    # -- state -------------------------------------------------------------------------------

    def initial_state(self, n, dtype=None, device=None):
        """Zero state for ``n`` sequences: ``(h, c)`` (``(h, c, a)`` for FGR), each ``(n, H)``."""
        p = self.weight_hh
        dtype = p.dtype if dtype is None else dtype
        device = p.device if device is None else device
        H = self.hidden_size
        zeros = [torch.zeros(n, H, dtype=dtype, device=device) for _ in range(2)]
        if self.variant == "FGR":
            zeros.append(torch.zeros(n, 3 * H, dtype=dtype, device=device))
        return tuple(zeros)

    @staticmethod
    def hidden(state):
        """The hidden state ``h (N, H)`` of a state tuple."""
        return state[0]

    def check_state(self, state, n):
        """Return ``state`` as a tuple after checking its shapes for ``n`` sequences."""
        H = self.hidden_size
        size = 3 if self.variant == "FGR" else 2
        if not isinstance(state, (tuple, list)) or len(state) != size:
            doc = "(h, c, a) with h, c (N, H) and a (N, 3H)" if size == 3 else "(h, c), each (N, H)"
            raise ValueError(f"state of variant {self.variant!r} must be a tuple {doc}; got {type(state).__name__}"
                             + (f" of length {len(state)}" if isinstance(state, (tuple, list)) else ""))
        check_tensor("h", state[0], (n, H), "(N, H)")
        check_tensor("c", state[1], (n, H), "(N, H)")
        if size == 3:
            check_tensor("a", state[2], (n, 3 * H), "(N, 3H)")
        return tuple(state)

    # -- the step ----------------------------------------------------------------------------

    def input_projection(self, x):
        """The part of the gate pre-activations that depends on the input only.

        Parameters
        ----------
        x : Tensor, shape (..., D)
            Inputs of one step ``(N, D)`` or of a whole sequence ``(N, T, D)``.

        Returns
        -------
        Tensor, shape (..., G*H)
            ``x W_ih^T + b_ih + b_hh``: one matrix product for all steps.
        """
        check_last_dim("x", x, self.input_size, like=self.weight_ih)
        return torch.nn.functional.linear(x, self.weight_ih, self.bias_ih + self.bias_hh)

    def step(self, xp, state):
        """One step from the projected input ``xp (N, G*H)`` and the state; returns the new state.

        No shape checks (this runs inside the loop over time); :meth:`forward`
        checks them.
        """
        return self._step(xp, state, None)

    def _step(self, xp, state, record):
        H = self.hidden_size
        h_prev, c_prev = state[0], state[1]
        # pre-activations of all gate blocks: W_x* x_t + W_h* h_{t-1} + b_*
        a = torch.addmm(xp, h_prev, self.weight_hh.t())
        pre = dict(zip(self.blocks, a.split(H, dim=1)))
        if self.variant == "FGR":  # every gate also sees [i, f, o] of the previous step
            rec = dict(zip("ifo", (state[2] @ self.weight_gg.t()).split(H, dim=1)))
            for gate in "ifo":
                pre[gate] = pre[gate] + rec[gate]
        # peepholes into the input and forget gates look at c_{t-1}: a_i + p_i ⊙ c_{t-1}, a_f + p_f ⊙ c_{t-1}
        for gate in self.peepholes.replace("o", ""):
            pre[gate] = torch.addcmul(pre[gate], getattr(self, f"peephole_{gate}"), c_prev)

        i = torch.sigmoid(pre["i"]) if "i" in pre else None  # i_t = σ(a_i); None means the constant 1
        if "f" in pre:
            f = torch.sigmoid(pre["f"])  # f_t = σ(a_f)
        elif self.variant == "CIFG":
            f = 1.0 - i  # coupled: f_t = 1 − i_t, forget exactly as much as is written
        else:
            f = None
        g = pre["g"] if self.variant == "NIAF" else torch.tanh(pre["g"])  # g_t = c̃_t = tanh(a_g)

        # the cell update c_t = f_t * c_{t-1} + i_t * g_t
        kept = c_prev if f is None else f * c_prev
        written = g if i is None else i * g
        c = kept + written

        # the output gate looks at the new cell state c_t
        if "o" in pre:
            a_o = torch.addcmul(pre["o"], self.peephole_o, c) if "o" in self.peepholes else pre["o"]
            o = torch.sigmoid(a_o)  # o_t = σ(a_o + p_o ⊙ c_t)
        else:
            o = None
        shown = c if self.variant == "NOAF" else torch.tanh(c)
        h = shown if o is None else o * shown  # h_t = o_t ⊙ tanh(c_t)

        if record is not None:
            ones = torch.ones_like(c)
            record.update(i=ones if i is None else i, f=ones if f is None else f, g=g,
                          o=ones if o is None else o, c=c, h=h)
        if self.variant == "FGR":
            return h, c, torch.cat([i, f, o], dim=1)
        return h, c

    def _prepare(self, x, state):
        check_tensor("x", x, (None, self.input_size), "(N, D)", like=self.weight_ih)
        n = x.shape[0]
        if state is None:
            return self.initial_state(n, dtype=x.dtype, device=x.device)
        return self.check_state(state, n)

    def forward(self, x, state=None):
        """One step.

        Parameters
        ----------
        x : Tensor, shape (N, D)
        state : tuple, optional
            ``(h, c)``, each ``(N, H)`` (``(h, c, a)`` for FGR); zeros if omitted.

        Returns
        -------
        tuple
            The new state ``(h, c)`` (``(h, c, a)`` for FGR).

        Raises
        ------
        ValueError
            If a shape is not the expected one; the message names it.
        """
        state = self._prepare(x, state)
        return self._step(self.input_projection(x), state, None)

    def forward_with_gates(self, x, state=None):
        """Like :meth:`forward`, and also return every gate of the step.

        Returns
        -------
        state : tuple
            As :meth:`forward`.
        gates : dict of str -> Tensor (N, H)
            ``"i"``, ``"f"``, ``"g"`` (the candidate), ``"o"``, ``"c"`` and
            ``"h"``. A gate the variant does not have is a tensor of ones
            (``NIG``, ``NFG``, ``NOG``); CIFG's ``"f"`` is ``1 - i``.
        """
        state = self._prepare(x, state)
        gates = {}
        new_state = self._step(self.input_projection(x), state, gates)
        return new_state, gates
