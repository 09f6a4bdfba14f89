r"""Running a Tree-LSTM cell over whole trees: batched, level by level, and node by node.

The cells of :mod:`lstm_helpers.cells.tree` compute a set of nodes from the
states of their children. This module feeds them trees:

- :func:`batch_trees` turns many :class:`~lstm_helpers.trees.Tree` objects
  into a :class:`TreeBatch`, a schedule that :func:`tree_lstm_forward`
  evaluates level by level, all nodes of the same height at once, in
  ``O(height)`` cell calls.
- :func:`tree_lstm_recursive` evaluates one tree node by node, as the
  equations read; both give the same states.

Shapes are batch first, like the rest of the course: node inputs ``x (M, D)``,
states ``h, c (M, H)`` for the ``M`` nodes of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._checks import check_int, check_tensor
from ..trees import Tree, _postorder
from .tree import ChildSumTreeLSTMCell, NaryTreeLSTMCell

__all__ = [
    "TreeBatch",
    "batch_trees",
    "tree_lstm_forward",
    "tree_lstm_recursive",
]


_CELLS = (ChildSumTreeLSTMCell, NaryTreeLSTMCell)


def _check_cell(cell):
    if not isinstance(cell, _CELLS):
        names = ", ".join(c.__name__ for c in _CELLS)
        raise ValueError(f"cell must be one of {names}; got {type(cell).__name__}")


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
        (for :class:`~lstm_helpers.cells.tree.NaryTreeLSTMCell`).

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
