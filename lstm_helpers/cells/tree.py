r"""Tree-structured LSTMs: the child-sum and the N-ary Tree-LSTM cell, and batching trees.

A chain LSTM computes the state of step :math:`t` from the state of one
predecessor, step :math:`t-1`. A Tree-LSTM (Tai, Socher and Manning, 2015) computes the
state of a node :math:`j` from the states of all its children
:math:`C(j)`; a leaf has no children and starts from nothing.

- :class:`ChildSumTreeLSTMCell` sums the children's hidden states, so it
  takes any number of children and ignores their order, and gives every child
  its own forget gate (Tai et al., eqs. 2--8).
- :class:`NaryTreeLSTMCell` takes exactly ``n_children`` ordered children and
  has separate weights for each child position (Tai et al., eqs. 9--14).
- :func:`batch_trees` turns many :class:`~lstm_helpers.trees.Tree` objects
  into a :class:`TreeBatch`, a schedule that :func:`tree_lstm_forward`
  evaluates level by level, all nodes of the same height at once, in
  ``O(height)`` cell calls. :func:`tree_lstm_recursive` evaluates one tree
  node by node, as the equations read; both give the same states.

The trees themselves (:class:`~lstm_helpers.trees.Tree`,
:func:`~lstm_helpers.trees.binarize`, :func:`~lstm_helpers.trees.draw_tree`)
live in :mod:`lstm_helpers.trees`, which does not import PyTorch; they can
also be imported from here.

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._checks import check_int, check_size, check_tensor
from ..trees import Tree, _postorder
from ..trees import binarize as binarize  # importable from here too
from ..trees import draw_tree as draw_tree  # importable from here too

__all__ = [
    "TreeBatch",
    "ChildSumTreeLSTMCell",
    "NaryTreeLSTMCell",
    "batch_trees",
    "tree_lstm_forward",
    "tree_lstm_recursive",
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


_CELLS = (ChildSumTreeLSTMCell, NaryTreeLSTMCell)


def _check_cell(cell):
    if not isinstance(cell, _CELLS):
        names = ", ".join(c.__name__ for c in _CELLS)
        raise ValueError(f"cell must be one of {names}; got {type(cell).__name__}")


# --------------------------------------------------------------------------- batching


@dataclass
class TreeBatch:
    """Many trees flattened into one list of nodes, ordered by height.

    Built by :func:`batch_trees`. Node ``m`` (``0 ... M - 1``) is one
    occurrence of a node in one of the ``B`` trees; nodes are sorted by their
    height (leaves first), so level ``l`` is the slice
    ``level_offsets[l]:level_offsets[l + 1]`` and every child comes before its
    parent. Edges (parent, child) are sorted by parent, then by the child's
    position, so the edges of level ``l`` are
    ``edge_offsets[l]:edge_offsets[l + 1]``.

    Attributes
    ----------
    labels : list, length M
        The node labels, in node order.
    ids : torch.Tensor of int64, shape (M,), or None
        ``vocab[label]`` for every node, when a vocabulary was given.
    tree : torch.Tensor of int64, shape (M,)
        Which tree (``0 ... B - 1``) each node belongs to.
    height : torch.Tensor of int64, shape (M,)
        Height of each node (leaves 0).
    position : torch.Tensor of int64, shape (M,)
        Index of each node among its siblings (0 for the first child; roots 0).
    n_siblings : torch.Tensor of int64, shape (M,)
        Number of children of the node's parent (1 for roots).
    roots : torch.Tensor of int64, shape (B,)
        Node index of the root of each tree.
    preorder : torch.Tensor of int64, shape (M,)
        Index of each node in a pre-order walk of its own tree (root 0, then
        the subtrees of the children from left to right); see
        :meth:`tree_rows`.
    edge_parent, edge_child, edge_position : torch.Tensor of int64, shape (E,)
        One entry per edge: parent node, child node, position of the child.
    level_offsets : list of int, length L + 1
        Node ranges of the levels; ``L`` is the largest tree height plus 1.
    edge_offsets : list of int, length L + 1
        Edge ranges, grouped by the level of the parent (level 0 has none).
    arities : frozenset of int
        The numbers of children that internal nodes have (empty if all trees
        are single leaves).
    """

    labels: list
    ids: Any
    tree: torch.Tensor
    height: torch.Tensor
    position: torch.Tensor
    n_siblings: torch.Tensor
    roots: torch.Tensor
    preorder: torch.Tensor
    edge_parent: torch.Tensor
    edge_child: torch.Tensor
    edge_position: torch.Tensor
    level_offsets: list
    edge_offsets: list
    arities: frozenset

    @property
    def n_nodes(self) -> int:
        """``M``, the number of nodes."""
        return len(self.labels)

    @property
    def n_trees(self) -> int:
        """``B``, the number of trees."""
        return int(self.roots.shape[0])

    @property
    def n_levels(self) -> int:
        """``L``, the number of levels (cell calls of :func:`tree_lstm_forward`)."""
        return len(self.level_offsets) - 1

    def tree_rows(self, b=0):
        """Node indices of tree ``b`` in pre-order: ``h[batch.tree_rows(b)]`` lists its states root first.

        This is the order :func:`~lstm_helpers.trees.draw_tree` expects for its ``values``.
        """
        check_int("b", b, 0)
        if b >= self.n_trees:
            raise ValueError(f"b must be a tree index in 0 ... B - 1 = {self.n_trees - 1}, got {b}")
        rows = (self.tree == b).nonzero().ravel()
        return rows[self.preorder[rows].argsort()]

    def to(self, device):
        """Return a copy with every tensor on ``device``."""
        moved = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            moved[name] = value.to(device) if isinstance(value, torch.Tensor) else value
        return TreeBatch(**moved)


def batch_trees(trees, vocab=None, n_children=None):
    """Flatten a list of trees into a :class:`TreeBatch` for :func:`tree_lstm_forward`.

    Parameters
    ----------
    trees : sequence of Tree
        ``B >= 1`` trees. A node object used twice (a shared subtree) counts
        as two nodes; a node that is its own ancestor is an error.
    vocab : dict or sequence, optional
        Maps labels to integer ids (a sequence maps ``vocab[i]`` to ``i``); the
        ids are stored in ``TreeBatch.ids``, e.g. for an ``nn.Embedding``.
    n_children : int, optional
        When given, every internal node must have exactly this many children
        (for :class:`NaryTreeLSTMCell`).

    Returns
    -------
    TreeBatch

    Raises
    ------
    ValueError
        If ``trees`` is empty or holds something that is not a ``Tree``, a tree
        has a cycle, a label is missing from ``vocab``, or a node has the wrong
        number of children for ``n_children``.
    """
    if isinstance(trees, Tree):
        trees = [trees]
    if isinstance(trees, (str, bytes)) or not hasattr(trees, "__iter__"):
        raise ValueError(f"trees must be a non-empty sequence of Tree objects, got {type(trees).__name__}")
    trees = list(trees)
    if not trees:
        raise ValueError("trees must be a non-empty sequence of Tree objects, got an empty sequence")
    if n_children is not None:
        n_children = check_int("n_children", n_children, 1)
    if vocab is not None and not isinstance(vocab, dict):
        vocab = {label: i for i, label in enumerate(vocab)}

    labels, tree_of, parent, position, n_kids = [], [], [], [], []  # pre-order, one entry per occurrence
    roots = []
    exit_marker = object()
    for b, tree in enumerate(trees):
        if not isinstance(tree, Tree):
            raise ValueError(f"trees[{b}] must be a Tree, got {type(tree).__name__} {tree!r}")
        roots.append(len(labels))
        on_path = set()  # ids of the ancestors of the node being entered
        stack = [(tree, -1, 0)]
        while stack:
            node, par, k = stack.pop()
            if node is exit_marker:
                on_path.discard(par)
                continue
            if id(node) in on_path:
                raise ValueError(f"trees[{b}] has a cycle: node {node.label!r} is its own ancestor")
            kids = node.children
            if n_children is not None and kids and len(kids) != n_children:
                raise ValueError(
                    f"every internal node must have exactly n_children = {n_children} children; "
                    f"node {node.label!r} of trees[{b}] has {len(kids)}"
                )
            m = len(labels)
            labels.append(node.label)
            tree_of.append(b)
            parent.append(par)
            position.append(k)
            n_kids.append(len(kids))
            if kids:
                on_path.add(id(node))
                stack.append((exit_marker, id(node), 0))
                stack.extend((kids[j], m, j) for j in range(len(kids) - 1, -1, -1))

    M = len(labels)
    height = [0] * M
    for m in range(M - 1, 0, -1):  # in pre-order every child comes after its parent
        p = parent[m]
        if p >= 0 and height[m] >= height[p]:
            height[p] = height[m] + 1
    height = np.array(height, dtype=np.int64)
    parent = np.array(parent, dtype=np.int64)
    position = np.array(position, dtype=np.int64)
    n_kids = np.array(n_kids, dtype=np.int64)
    order = np.argsort(height, kind="stable")  # levels: leaves first, children before parents
    new_index = np.empty(M, dtype=np.int64)
    new_index[order] = np.arange(M)
    is_child = parent >= 0
    e_child = new_index[is_child]
    e_parent = new_index[parent[is_child]]
    e_position = position[is_child]
    e_order = np.lexsort((e_position, e_parent))  # by parent, then position
    e_child, e_parent, e_position = e_child[e_order], e_parent[e_order], e_position[e_order]
    sorted_height = height[order]
    n_levels = int(height.max()) + 1
    level_offsets = np.concatenate([[0], np.cumsum(np.bincount(sorted_height, minlength=n_levels))])
    edge_offsets = np.concatenate([[0], np.cumsum(np.bincount(sorted_height[e_parent], minlength=n_levels))])
    n_siblings = np.ones(M, dtype=np.int64)
    n_siblings[is_child] = n_kids[parent[is_child]]

    tree_of = np.array(tree_of, dtype=np.int64)
    roots = np.array(roots, dtype=np.int64)
    preorder = np.arange(M) - roots[tree_of]  # each tree's nodes are consecutive in pre-order
    sorted_labels = [labels[m] for m in order.tolist()]
    ids = None
    if vocab is not None:
        try:
            ids = torch.tensor([vocab[lab] for lab in sorted_labels], dtype=torch.long)
        except (KeyError, TypeError):
            missing = sorted({repr(lab) for lab in sorted_labels if lab not in vocab})
            valid = ", ".join(repr(k) for k in vocab)
            raise ValueError(f"labels {', '.join(missing)} are not in vocab; valid labels: {valid}") from None

    def long(values):
        return torch.from_numpy(np.ascontiguousarray(values, dtype=np.int64))

    return TreeBatch(
        labels=sorted_labels,
        ids=ids,
        tree=long(tree_of[order]),
        height=long(sorted_height),
        position=long(position[order]),
        n_siblings=long(n_siblings[order]),
        roots=long(new_index[roots]),
        preorder=long(preorder[order]),
        edge_parent=long(e_parent),
        edge_child=long(e_child),
        edge_position=long(e_position),
        level_offsets=[int(v) for v in level_offsets],
        edge_offsets=[int(v) for v in edge_offsets],
        arities=frozenset(int(k) for k in np.unique(n_kids[n_kids > 0])),
    )


def tree_lstm_forward(cell, x, batch):
    """Run a Tree-LSTM cell over all trees of a batch, one level at a time.

    All nodes of height ``l`` are computed in one cell call, after the levels
    below them; their children's states are gathered with index tensors. A
    batch of trees therefore costs ``batch.n_levels`` cell calls, however many
    trees and nodes it holds.

    Parameters
    ----------
    cell : ChildSumTreeLSTMCell or NaryTreeLSTMCell
    x : torch.Tensor, shape (M, D)
        Input of every node, in the node order of ``batch`` (for example
        ``embedding(batch.ids)``).
    batch : TreeBatch
        From :func:`batch_trees`.

    Returns
    -------
    h, c : torch.Tensor, shape (M, H)
        States of all nodes in the node order of ``batch``; the roots are
        ``h[batch.roots]``.

    Raises
    ------
    ValueError
        If ``cell`` is not a Tree-LSTM cell, ``x`` has the wrong shape, or an
        N-ary cell meets a node with a different number of children.
    """
    _check_cell(cell)
    if not isinstance(batch, TreeBatch):
        raise ValueError(f"batch must be a TreeBatch (from batch_trees), got {type(batch).__name__}")
    check_tensor("x", x, (batch.n_nodes, cell.input_size), "(M, D)", like=cell.weight_ih)
    nary = isinstance(cell, NaryTreeLSTMCell)
    if nary and batch.arities - {cell.n_children}:
        raise ValueError(
            f"NaryTreeLSTMCell(n_children={cell.n_children}) needs every internal node to have exactly "
            f"{cell.n_children} children; this batch has nodes with {sorted(batch.arities)} children"
        )
    H = cell.hidden_size
    sizes = [hi - lo for lo, hi in zip(batch.level_offsets[:-1], batch.level_offsets[1:])]
    x_levels = torch.split(x, sizes)  # one view per level (its backward is a single concatenation)
    hs, cs = [], []
    h_all = c_all = None
    for level, x_level in enumerate(x_levels):
        if level == 0:
            h, c = cell(x_level)  # the leaves
        else:
            lo = batch.level_offsets[level]
            e_lo, e_hi = batch.edge_offsets[level], batch.edge_offsets[level + 1]
            child = batch.edge_child[e_lo:e_hi]
            child_h, child_c = h_all[child], c_all[child]  # gather the children's states
            if nary:
                n = x_level.shape[0]  # edges are sorted by parent, then position: reshape to (n, K, H)
                h, c = cell(x_level, child_h.reshape(n, cell.n_children, H), child_c.reshape(n, cell.n_children, H))
            else:
                h, c = cell(x_level, child_h, child_c, batch.edge_parent[e_lo:e_hi] - lo)
        hs.append(h)
        cs.append(c)
        h_all, c_all = torch.cat(hs), torch.cat(cs)
    return h_all, c_all


def tree_lstm_recursive(cell, tree, embed):
    """Evaluate one tree node by node, exactly as the equations read.

    Each node is one cell call on a batch of one, after its children. This is
    the slow reference for :func:`tree_lstm_forward`.

    Parameters
    ----------
    cell : ChildSumTreeLSTMCell or NaryTreeLSTMCell
    tree : Tree
    embed : callable
        ``embed(node) -> torch.Tensor (D,)``, the input ``x_j`` of a node.

    Returns
    -------
    h, c : torch.Tensor, shape (H,)
        The states of the root.

    Raises
    ------
    ValueError
        If ``cell`` is not a Tree-LSTM cell, ``tree`` is not a tree (or has a
        cycle), an input has the wrong shape, or an N-ary cell meets a node with
        a different number of children.
    """
    _check_cell(cell)
    nary = isinstance(cell, NaryTreeLSTMCell)
    gen = _postorder(tree)
    state = None
    try:
        node, results = next(gen)
        while True:
            x = embed(node)
            check_tensor("embed(node)", x, (cell.input_size,), "(D,)", like=cell.weight_ih)
            x = x[None]
            if not results:
                h, c = cell(x)
            elif nary:
                if len(results) != cell.n_children:
                    raise ValueError(
                        f"NaryTreeLSTMCell(n_children={cell.n_children}) needs exactly {cell.n_children} "
                        f"children per internal node; node {node.label!r} has {len(results)}"
                    )
                h, c = cell(x, torch.stack([r[0] for r in results])[None], torch.stack([r[1] for r in results])[None])
            else:
                child_h = torch.stack([r[0] for r in results])
                child_c = torch.stack([r[1] for r in results])
                parent = torch.zeros(len(results), dtype=torch.long, device=x.device)
                h, c = cell(x, child_h, child_c, parent)
            state = (h[0], c[0])
            node, results = gen.send(state)
    except StopIteration:
        return state
