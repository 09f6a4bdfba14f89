r"""Tree-structured LSTMs: the child-sum and the N-ary Tree-LSTM cell.

A chain LSTM computes the state of step :math:`t` from the state of one
predecessor, step :math:`t-1`. A Tree-LSTM (Tai, Socher and Manning, 2015) computes the
state of a node :math:`j` from the states of all its children
:math:`C(j)`; a leaf has no children and starts from nothing.

- :class:`ChildSumTreeLSTMCell` sums the children's hidden states, so it
  takes any number of children and ignores their order, and gives every child
  its own forget gate (Tai et al., eqs. 2--8).
- :class:`NaryTreeLSTMCell` takes exactly ``n_children`` ordered children and
  has separate weights for each child position (Tai et al., eqs. 9--14).

A cell computes one set of nodes from the states of their children. Running a
cell over whole trees, bottom-up, is the job of
:mod:`lstm_helpers.cells.tree_batch`: :func:`~lstm_helpers.cells.tree_batch.batch_trees`,
:func:`~lstm_helpers.cells.tree_batch.tree_lstm_forward` and
:func:`~lstm_helpers.cells.tree_batch.tree_lstm_recursive`. The trees
themselves (:class:`~lstm_helpers.trees.Tree`,
:func:`~lstm_helpers.trees.binarize`, :func:`~lstm_helpers.trees.draw_tree`)
live in :mod:`lstm_helpers.trees`, which does not import PyTorch.

Parameter layout
----------------
Named as in ``torch.nn.LSTMCell``, with the gate blocks of ``H`` rows stacked
along dim 0 in PyTorch's order **i, f, g, o** (g is the candidate, Tai et
al.'s :math:`u_j`): ``weight_ih`` multiplies the node's input, ``weight_hh``
the children's hidden states, and ``bias_ih`` is the bias. There is one bias
vector, not PyTorch's two: ``bias_ih + bias_hh`` of an ``nn.LSTMCell`` only
matters through its sum, so copying an LSTM's weights into a tree cell means
``bias_ih = lstm.bias_ih + lstm.bias_hh``. The N-ary cell's ``weight_hh`` has
:math:`3 + K` row blocks (:math:`i, f_1, \dots, f_K, g, o`), see
:class:`NaryTreeLSTMCell`.

Shapes are batch first, like the rest of the course: node inputs ``x (N, D)``,
states ``h, c (N, H)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._checks import check_int, check_size, check_tensor

__all__ = [
    "ChildSumTreeLSTMCell",
    "NaryTreeLSTMCell",
]


def _init_parameters(cell):
    """Initialise like two ``nn.Linear`` layers: ``weight_ih`` and ``bias_ih``, then ``weight_hh``.

    Each ``nn.Linear(fan_in, out)`` draws its weight uniformly from
    ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` (written as a Kaiming-uniform draw
    with ``a = sqrt(5)``), then its bias from the same range. The draws come
    in the same order and with the same bounds as PyTorch's, so a seeded cell
    gets the same numbers.
    """
    nn.init.kaiming_uniform_(cell.weight_ih, a=math.sqrt(5))
    bound = 1.0 / math.sqrt(cell.weight_ih.shape[1])
    nn.init.uniform_(cell.bias_ih, -bound, bound)
    nn.init.kaiming_uniform_(cell.weight_hh, a=math.sqrt(5))


# --------------------------------------------------------------------------- cells


class ChildSumTreeLSTMCell(nn.Module):
    r"""The child-sum Tree-LSTM cell of Tai, Socher and Manning (2015), their eqs. 2--8.

    For a node :math:`j` with input :math:`x_j` and children :math:`k \in C(j)`
    with states :math:`(h_k, c_k)`:

    .. math::

        \tilde h_j &= \textstyle\sum_{k \in C(j)} h_k, \\
        i_j &= \sigma(W_{xi} x_j + W_{hi} \tilde h_j + b_i), \\
        f_{jk} &= \sigma(W_{xf} x_j + W_{hf} h_k + b_f) \quad \text{for every child } k, \\
        o_j &= \sigma(W_{xo} x_j + W_{ho} \tilde h_j + b_o), \\
        u_j &= \tanh(W_{xg} x_j + W_{hg} \tilde h_j + b_g), \\
        c_j &= i_j \odot u_j + \textstyle\sum_{k \in C(j)} f_{jk} \odot c_k, \\
        h_j &= o_j \odot \tanh(c_j).

    A leaf has no children: :math:`\tilde h_j = 0` and the sum over
    :math:`f_{jk} \odot c_k` is empty. On a chain (one child per node) the cell
    is exactly an LSTM step with the same weights.

    Parameters
    ----------
    input_size : int
        :math:`D`, the size of a node input :math:`x_j`.
    hidden_size : int
        :math:`H`, the size of :math:`h_j` and :math:`c_j`.

    Attributes
    ----------
    weight_ih : torch.nn.Parameter, shape (4H, D)
        Stacks :math:`W_{xi}, W_{xf}, W_{xg}, W_{xo}` (gate order i, f, g, o as
        in ``torch.nn.LSTMCell.weight_ih``; g is the candidate :math:`u_j`).
    weight_hh : torch.nn.Parameter, shape (4H, H)
        Stacks :math:`W_{hi}, W_{hf}, W_{hg}, W_{ho}` like
        ``torch.nn.LSTMCell.weight_hh``.
    bias_ih : torch.nn.Parameter, shape (4H,)
        Stacks :math:`b_i, b_f, b_g, b_o`; the only bias (an ``nn.LSTMCell``'s
        two biases copy in as their sum).

    Examples
    --------
    >>> cell = ChildSumTreeLSTMCell(3, 2)
    >>> x = torch.randn(2, 3)                      # two nodes
    >>> child_h, child_c = torch.randn(3, 2), torch.randn(3, 2)
    >>> parent = torch.tensor([0, 0, 1])           # node 0 has two children, node 1 one
    >>> h, c = cell(x, child_h, child_c, parent)
    >>> h.shape, c.shape
    (torch.Size([2, 2]), torch.Size([2, 2]))
    >>> tuple(cell.weight_ih.shape), tuple(cell.weight_hh.shape), tuple(cell.bias_ih.shape)
    ((8, 3), (8, 2), (8,))
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size = check_size("input_size", input_size)
        self.hidden_size = check_size("hidden_size", hidden_size)
        H = self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * H, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H))
        self.bias_ih = nn.Parameter(torch.empty(4 * H))
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's ``nn.Linear`` initialisation, uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``.

        ``weight_ih`` and ``bias_ih`` use ``fan_in = D``, ``weight_hh`` uses ``fan_in = H``.
        """
        _init_parameters(self)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"

    def forward(self, x, child_h=None, child_c=None, parent=None):
        """Compute the states of ``N`` nodes from their inputs and their children's states.

        The children of all ``N`` nodes are given together, one row per child,
        and ``parent`` says which node each child belongs to. Nodes that no
        child points to are leaves.

        Parameters
        ----------
        x : torch.Tensor, shape (N, D)
            Inputs of the nodes.
        child_h, child_c : torch.Tensor, shape (M, H), optional
            States of all ``M`` children; omit both when all nodes are leaves.
        parent : torch.Tensor of int64, shape (M,), optional
            ``parent[m]`` is the row of ``x`` whose child is row ``m``; values in
            ``0 ... N - 1``. Required with ``child_h``.

        Returns
        -------
        h, c : torch.Tensor, shape (N, H)

        Raises
        ------
        ValueError
            On a wrong shape, a missing ``parent`` or ``child_c``, or a parent
            index out of range.
        """
        D, H = self.input_size, self.hidden_size
        check_tensor("x", x, (None, None), "(N, D)")
        check_tensor("x", x, (x.shape[0], D), "(N, D)", like=self.weight_ih)
        N = x.shape[0]
        ax = nn.functional.linear(x, self.weight_ih, self.bias_ih)  # (N, 4H)
        a_i, a_f, a_g, a_o = ax.split(H, dim=1)
        U_i, U_f, U_g, U_o = self.weight_hh.split(H, dim=0)  # each (H, H)
        if child_h is None and child_c is None:
            h_sum = x.new_zeros(N, H)
            c_sum = x.new_zeros(N, H)
        else:
            if child_h is None or child_c is None or parent is None:
                raise ValueError("give child_h, child_c and parent together (or none of them, for leaves)")
            check_tensor("child_h", child_h, (None, H), "(M, H)", like=self.weight_ih)
            M = child_h.shape[0]
            check_tensor("child_c", child_c, (M, H), "(M, H)", like=self.weight_ih)
            check_tensor("parent", parent, (M,), "(M,)", floating=False)
            if parent.dtype != torch.long:
                raise ValueError(f"parent must hold int64 node indices, got dtype {parent.dtype}")
            if M and (int(parent.min()) < 0 or int(parent.max()) >= N):
                raise ValueError(f"parent indices must lie in 0 ... N - 1 = {N - 1}, got "
                                 f"{int(parent.min())} ... {int(parent.max())}")
            h_sum = x.new_zeros(N, H).index_add(0, parent, child_h)  # h~_j = sum_k h_k
            f = torch.sigmoid(a_f[parent] + child_h @ U_f.T)  # one forget gate per child: (M, H)
            c_sum = x.new_zeros(N, H).index_add(0, parent, f * child_c)
        i = torch.sigmoid(a_i + h_sum @ U_i.T)
        o = torch.sigmoid(a_o + h_sum @ U_o.T)
        u = torch.tanh(a_g + h_sum @ U_g.T)
        c = i * u + c_sum
        h = o * torch.tanh(c)
        return h, c


class NaryTreeLSTMCell(nn.Module):
    r"""The N-ary Tree-LSTM cell of Tai, Socher and Manning (2015), their eqs. 9--14.

    Every internal node has exactly :math:`K` = ``n_children`` ordered children
    :math:`\ell = 1 \dots K`, and each position has its own recurrent weights:

    .. math::

        i_j &= \sigma\big(W_{xi} x_j + \textstyle\sum_{\ell} U^{(i)}_{\ell} h_{j\ell} + b_i\big), \\
        f_{jk} &= \sigma\big(W_{xf} x_j + \textstyle\sum_{\ell} U^{(f)}_{k\ell} h_{j\ell} + b_f\big)
                  \quad k = 1 \dots K, \\
        o_j &= \sigma\big(W_{xo} x_j + \textstyle\sum_{\ell} U^{(o)}_{\ell} h_{j\ell} + b_o\big), \\
        u_j &= \tanh\big(W_{xg} x_j + \textstyle\sum_{\ell} U^{(g)}_{\ell} h_{j\ell} + b_g\big), \\
        c_j &= i_j \odot u_j + \textstyle\sum_{\ell} f_{j\ell} \odot c_{j\ell}, \\
        h_j &= o_j \odot \tanh(c_j).

    The forget gate of child :math:`k` sees every child through the
    cross-child weights :math:`U^{(f)}_{k\ell}`. A leaf has all child states
    zero. Swapping two children changes the result (unlike the child-sum cell);
    with ``n_children=1`` the cell is an LSTM step.

    Parameters
    ----------
    input_size : int
        :math:`D`.
    hidden_size : int
        :math:`H`.
    n_children : int
        :math:`K \ge 1`, the number of children of every internal node.

    Attributes
    ----------
    weight_ih : torch.nn.Parameter, shape (4H, D)
        :math:`W_{xi}, W_{xf}, W_{xg}, W_{xo}` (order i, f, g, o; g is the
        candidate :math:`u_j`). The forget gates of all children share
        :math:`W_{xf}` and :math:`b_f`.
    weight_hh : torch.nn.Parameter, shape ((3 + K) H, K H)
        Its row blocks are :math:`i, f_1, \dots, f_K, g, o` and its column
        blocks the children :math:`\ell = 1 \dots K`:
        ``weight_hh[(1 + k) H:(2 + k) H, l H:(l + 1) H]`` is
        :math:`U^{(f)}_{k+1,\,l+1}` (Python counts from 0). With ``K = 1`` the
        row blocks are i, f, g, o, the layout of ``torch.nn.LSTMCell.weight_hh``.
    bias_ih : torch.nn.Parameter, shape (4H,)
        :math:`b_i, b_f, b_g, b_o`; the only bias.

    Examples
    --------
    >>> cell = NaryTreeLSTMCell(3, 2, n_children=2)
    >>> h, c = cell(torch.randn(4, 3), torch.randn(4, 2, 2), torch.randn(4, 2, 2))
    >>> h.shape
    torch.Size([4, 2])
    """

    def __init__(self, input_size: int, hidden_size: int, n_children: int = 2):
        super().__init__()
        self.input_size = check_size("input_size", input_size)
        self.hidden_size = check_size("hidden_size", hidden_size)
        self.n_children = check_int("n_children", n_children, 1)
        K, H = self.n_children, self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * H, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty((3 + K) * H, K * H))
        self.bias_ih = nn.Parameter(torch.empty(4 * H))
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's ``nn.Linear`` initialisation, uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``.

        ``weight_ih`` and ``bias_ih`` use ``fan_in = D``, ``weight_hh`` uses ``fan_in = K H``.
        """
        _init_parameters(self)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, n_children={self.n_children}"

    def forward(self, x, child_h=None, child_c=None):
        """Compute the states of ``N`` nodes, each with ``K`` ordered children.

        Parameters
        ----------
        x : torch.Tensor, shape (N, D)
        child_h, child_c : torch.Tensor, shape (N, K, H), optional
            ``child_h[n, l]`` is the hidden state of child ``l`` of node ``n``.
            Omit both for leaves (all child states zero).

        Returns
        -------
        h, c : torch.Tensor, shape (N, H)

        Raises
        ------
        ValueError
            On a wrong shape, or when only one of ``child_h``, ``child_c`` is given.
        """
        D, H, K = self.input_size, self.hidden_size, self.n_children
        check_tensor("x", x, (None, None), "(N, D)")
        check_tensor("x", x, (x.shape[0], D), "(N, D)", like=self.weight_ih)
        N = x.shape[0]
        if child_h is None and child_c is None:
            child_h = x.new_zeros(N, K, H)
            child_c = x.new_zeros(N, K, H)
        elif child_h is None or child_c is None:
            raise ValueError("give child_h and child_c together (or neither, for leaves)")
        for name, t in (("child_h", child_h), ("child_c", child_c)):
            check_tensor(name, t, (N, K, H), "(N, K, H)", like=self.weight_ih)
        a = nn.functional.linear(child_h.reshape(N, K * H), self.weight_hh)  # (N, (3 + K) H)
        a_i, a_f, a_g, a_o = a[:, :H], a[:, H:(1 + K) * H], a[:, (1 + K) * H:(2 + K) * H], a[:, (2 + K) * H:]
        w_i, w_f, w_g, w_o = nn.functional.linear(x, self.weight_ih, self.bias_ih).split(H, dim=1)
        i = torch.sigmoid(w_i + a_i)
        f = torch.sigmoid(w_f[:, None, :] + a_f.reshape(N, K, H))  # (N, K, H): one gate per child
        o = torch.sigmoid(w_o + a_o)
        u = torch.tanh(w_g + a_g)
        c = i * u + (f * child_c).sum(dim=1)
        h = o * torch.tanh(c)
        return h, c
