r"""Unroll any recurrent cell over a whole sequence.

:class:`Recurrent` turns a one-step cell into a sequence layer, like
``torch.nn.LSTM`` does for ``torch.nn.LSTMCell``. The loop over time is plain
Python; what keeps it fast is that the input's matrix product does not depend
on the state, so it is done for all ``T`` steps at once before the loop
(one ``(N*T, D) x (D, G*H)`` product instead of ``T`` small ones), and only the
recurrent product ``h_{t-1} W_hh^T`` stays inside.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_tensor

__all__ = ["Recurrent"]


class Recurrent(nn.Module):
    r"""Run ``cell`` over every step of a batch of sequences.

    Parameters
    ----------
    cell : torch.nn.Module
        A cell of :mod:`lstm_helpers.cells` (:class:`~lstm_helpers.cells.LSTMCell`,
        :class:`~lstm_helpers.cells.GRUCell`), whose input projection is
        hoisted out of the loop, or any PyTorch cell called as
        ``cell(x_t, state) -> state`` with ``input_size`` and ``hidden_size``
        attributes (``torch.nn.RNNCell``, ``torch.nn.LSTMCell``,
        ``torch.nn.GRUCell``), which is called step by step.
    batch_first : bool
        ``True``: inputs ``(N, T, D)`` and outputs ``(N, T, H)``;
        ``False``: ``(T, N, D)`` and ``(T, N, H)``.

    Examples
    --------
    >>> from lstm_helpers.cells import LSTMCell
    >>> layer = Recurrent(LSTMCell(3, 5))
    >>> out, (h, c) = layer(torch.zeros(2, 7, 3))
    >>> tuple(out.shape), tuple(h.shape)
    ((2, 7, 5), (2, 5))
    """

    def __init__(self, cell, batch_first=True):
        super().__init__()
        if not isinstance(cell, nn.Module) or not hasattr(cell, "hidden_size") or not hasattr(cell, "input_size"):
            raise ValueError("cell must be a torch.nn.Module with input_size and hidden_size attributes "
                             f"(e.g. lstm_helpers.cells.LSTMCell), got {type(cell).__name__}")
        self.cell = cell
        self.batch_first = bool(batch_first)
        self.input_size = cell.input_size
        self.hidden_size = cell.hidden_size
        self._hoisted = all(hasattr(cell, name) for name in ("input_projection", "step", "initial_state", "hidden"))

    def extra_repr(self):
        return f"batch_first={self.batch_first}"

    def forward(self, x, state=None):
        """Unroll the cell.

        Parameters
        ----------
        x : Tensor, shape (N, T, D) (``(T, N, D)`` if not ``batch_first``)
        state : optional
            The cell's initial state (``(h, c)`` for an LSTM, ``h`` for a
            GRU, each ``(N, H)``); zeros if omitted.

        Returns
        -------
        outputs : Tensor, shape (N, T, H) (``(T, N, H)`` if not ``batch_first``)
            The hidden state :math:`h_t` of every step.
        state
            The final state, in the cell's format (for an LSTM ``(h_T, c_T)``).

        Raises
        ------
        ValueError
            If ``x`` or ``state`` does not have the expected shape.
        """
        doc = "(N, T, D)" if self.batch_first else "(T, N, D)"
        expected = (None, None, self.input_size)
        check_tensor("x", x, expected, doc, like=next(self.cell.parameters(), None))
        xs = x.transpose(0, 1) if self.batch_first else x  # (T, N, D)
        T, N = xs.shape[0], xs.shape[1]
        if T == 0:
            raise ValueError(f"x must hold at least one time step, shape {doc}; got {tuple(x.shape)}")
        cell = self.cell
        outputs = []
        if self._hoisted:
            state = cell.initial_state(N, dtype=x.dtype, device=x.device) if state is None else \
                cell.check_state(state, N)
            xp = cell.input_projection(xs)  # (T, N, G*H): all input products at once
            for xp_t in xp.unbind(0):
                state = cell.step(xp_t, state)
                outputs.append(cell.hidden(state))
        else:
            for x_t in xs.unbind(0):
                state = cell(x_t, state)
                outputs.append(state[0] if isinstance(state, tuple) else state)
        return torch.stack(outputs, dim=1 if self.batch_first else 0), state
