r"""Trees as data: the :class:`Tree` type, walking it, making it binary, drawing it.

Nothing here needs PyTorch: a tree is a label and a tuple of children, and
everything in this module is plain Python (and NumPy and Matplotlib for the
figure). The Tree-LSTM cells that read trees, and :func:`~lstm_helpers.cells.tree.batch_trees`,
which turns trees into index tensors, are in :mod:`lstm_helpers.cells.tree`.

- :class:`Tree` holds one tree; its ``height`` and ``size`` are computed
  bottom-up without recursion, so deep trees do not hit Python's recursion
  limit, and a node that is its own ancestor is reported as an error.
- :func:`binarize` turns a tree with wider nodes into a binary one, for
  :class:`~lstm_helpers.cells.tree.NaryTreeLSTMCell` with ``n_children=2``.
- :func:`draw_tree` draws a tree with a small heatmap of a vector (a state)
  under every node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Tree", "binarize", "draw_tree"]


@dataclass(frozen=True)
class Tree:
    """A node of a tree: a ``label`` and an ordered tuple of ``children``.

    A leaf is a ``Tree`` without children. Trees are immutable and compare
    equal when their labels and children are equal.

    Parameters
    ----------
    label : hashable
        What the node holds, for example a token such as ``"MAX"`` or ``"7"``.
    children : sequence of Tree
        The children, in order; stored as a tuple.

    Raises
    ------
    ValueError
        If ``children`` is not a sequence of ``Tree`` instances.

    Examples
    --------
    >>> t = Tree("MAX", [Tree("2"), Tree("MIN", [Tree("4"), Tree("7")])])
    >>> t.height, t.size, len(t.children)
    (2, 5, 2)
    >>> str(t)
    '(MAX 2 (MIN 4 7))'
    """

    label: Any
    children: tuple = field(default=())

    def __post_init__(self):
        children = self.children
        if isinstance(children, (str, bytes, Tree)) or not hasattr(children, "__iter__"):
            raise ValueError(
                f"children must be a sequence of Tree objects, got {type(children).__name__} "
                "(write Tree(label, [child1, child2]) and Tree(label) for a leaf)"
            )
        children = tuple(children)
        for k, child in enumerate(children):
            if not isinstance(child, Tree):
                raise ValueError(
                    f"child {k} of node {self.label!r} must be a Tree, got {type(child).__name__} "
                    f"{child!r} (wrap a leaf label as Tree(label))"
                )
        object.__setattr__(self, "children", children)

    @property
    def is_leaf(self) -> bool:
        """True when the node has no children."""
        return not self.children

    @property
    def height(self) -> int:
        """Longest path from this node down to a leaf, counted in edges (a leaf has height 0)."""
        return _heights_and_size(self)[0]

    @property
    def size(self) -> int:
        """Number of nodes in the tree."""
        return _heights_and_size(self)[1]

    def __str__(self) -> str:
        if self.is_leaf:
            return str(self.label)
        return "(" + " ".join([str(self.label)] + [str(c) for c in self.children]) + ")"


def _postorder(tree: Tree):
    """Yield ``(node, child_results)`` bottom-up without recursion; reject cycles and non-trees.

    ``child_results`` holds the values that the caller sent back for the
    children (via the generator's ``send``), in order.
    """
    if not isinstance(tree, Tree):
        raise ValueError(f"expected a Tree, got {type(tree).__name__} {tree!r}")
    on_path = {id(tree)}
    stack = [(tree, 0, [])]
    while stack:
        node, k, results = stack[-1]
        if k < len(node.children):
            stack[-1] = (node, k + 1, results)
            child = node.children[k]
            if id(child) in on_path:
                raise ValueError(f"the tree has a cycle: node {child.label!r} is its own ancestor")
            on_path.add(id(child))
            stack.append((child, 0, []))
            continue
        stack.pop()
        on_path.discard(id(node))
        value = yield node, results
        if stack:
            stack[-1][2].append(value)


def _heights_and_size(tree: Tree):
    gen = _postorder(tree)
    value = None
    try:
        node, results = next(gen)
        while True:
            value = (1 + max(r[0] for r in results) if results else 0, 1 + sum(r[1] for r in results))
            node, results = gen.send(value)
    except StopIteration:
        return value


def binarize(tree):
    """Turn every node with more than two children into a left-branching chain of binary nodes.

    A node ``(op a b c d)`` becomes ``(op (op (op a b) c) d)``: every new node
    keeps the label of the node it replaces, its left child is the node
    before it in the chain and its right child is the next argument. Leaves
    and nodes with one or two children are kept. The result has only binary
    internal nodes (if the input has no unary ones), for
    :class:`~lstm_helpers.cells.tree.NaryTreeLSTMCell` with ``n_children=2``.

    Read with the same operator at every new node, the binary tree means
    what the original means only when the operator is a *left fold*:
    ``op(a_1, ..., a_k) == op(op(a_1, ..., a_(k-1)), a_k)``. The five ListOps
    operators of :mod:`lstm_helpers.tasks.listops` are; a median is not (the
    median of three digits depends on the smaller *and* the larger of the
    first two, which one digit cannot carry).

    Parameters
    ----------
    tree : Tree

    Returns
    -------
    Tree

    Raises
    ------
    ValueError
        If ``tree`` is not a Tree or has a cycle.

    Examples
    --------
    >>> str(binarize(Tree("SM", [Tree("1"), Tree("2"), Tree("3"), Tree("4")])))
    '(SM (SM (SM 1 2) 3) 4)'
    """
    gen = _postorder(tree)
    result = None
    try:
        node, kids = next(gen)
        while True:
            if len(kids) <= 2:
                result = Tree(node.label, kids)
            else:
                result = Tree(node.label, kids[:2])
                for kid in kids[2:]:
                    result = Tree(node.label, [result, kid])
            node, kids = gen.send(result)
    except StopIteration:
        return result



# --------------------------------------------------------------------------- figure


def _layout(tree):
    """x, y positions of every node occurrence (leaves spaced 1 apart, parents centred)."""
    nodes, parents, xs = [], [], []
    next_leaf = [0.0]
    depth_of = []

    def walk(node, depth, parent):  # recursion is fine for the small trees that are drawn
        m = len(nodes)
        nodes.append(node)
        parents.append(parent)
        depth_of.append(depth)
        xs.append(None)
        if node.is_leaf:
            xs[m] = next_leaf[0]
            next_leaf[0] += 1.0
        else:
            kids = [walk(child, depth + 1, m) for child in node.children]
            xs[m] = (xs[kids[0]] + xs[kids[-1]]) / 2
        return m

    _heights_and_size(tree)  # rejects cycles before walking
    walk(tree, 0, None)
    return nodes, parents, xs, depth_of


def draw_tree(tree, values=None, ax=None, cmap="coolwarm", vmax=1.0, fontsize=13, value_label=None, notes=None):
    """Draw a tree top-down, with an optional heatmap strip of a vector under every node.

    Inner nodes are filled with the colour of hidden states and leaves with the
    colour of inputs, as in the other drawings of the course
    (:data:`lstm_helpers.diagrams.COLORS`).

    Parameters
    ----------
    tree : Tree
    values : sequence of array-like, optional
        One vector per node, in pre-order (root first, then the subtrees of
        the children from left to right), for example the cell states
        ``c_j``, each of shape ``(H,)`` with the same ``H``; drawn as a row of
        ``H`` coloured squares below the node's label.
    ax : matplotlib.axes.Axes, optional
    cmap : str
        Colour map of the strips.
    vmax : float
        Strips are coloured on the range ``[-vmax, vmax]``.
    fontsize : int
    value_label : str, optional
        Label of the colour bar (drawn when ``values`` is given).
    notes : sequence of str, optional
        One short text per node, in pre-order, written below the node (for
        example a prediction).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``tree`` is not a Tree, or ``values`` does not hold one vector of
        the same length per node, or ``notes`` one text per node.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Rectangle

    from .diagrams import COLORS

    nodes, parents, xs, depth = _layout(tree)
    if values is not None:
        values = [np.asarray(v, dtype=float).ravel() for v in values]
        if len(values) != len(nodes):
            raise ValueError(f"values must hold one vector per node in pre-order: {len(nodes)} nodes, "
                             f"got {len(values)} vectors")
        widths = {len(v) for v in values}
        if len(widths) != 1:
            raise ValueError(f"every vector in values must have the same length (H,), got lengths {sorted(widths)}")
    if notes is not None:
        notes = [str(n) for n in notes]
        if len(notes) != len(nodes):
            raise ValueError(f"notes must hold one text per node in pre-order: {len(nodes)} nodes, got {len(notes)}")
    # below each box: the strip of values (0.36 high), then the note (0.3 high); edges leave below both
    strip_y = 0.62 if values is not None else 0.26
    note_y = strip_y + 0.23
    below = note_y + 0.15 if notes is not None else strip_y + 0.02
    if ax is None:
        n_leaves = sum(node.is_leaf for node in nodes)
        _, ax = plt.subplots(figsize=(max(4.0, 1.1 * n_leaves + 1), (1.0 + below) * (max(depth) + 1) + 0.6))
    ys = [-(1.0 + below) * d for d in depth]
    for m, p in enumerate(parents):
        if p is not None:
            ax.plot([xs[p], xs[m]], [ys[p] - below, ys[m] + 0.25], color=COLORS["edge"], lw=1.4, zorder=1)
    norm = plt.Normalize(-vmax, vmax)
    colormap = plt.get_cmap(cmap)
    for m, node in enumerate(nodes):
        face = COLORS["input"] if node.is_leaf else COLORS["hidden"]
        ax.add_patch(FancyBboxPatch((xs[m] - 0.38, ys[m] - 0.22), 0.76, 0.44, boxstyle="round,pad=0.04",
                                    fc=face, ec=COLORS["edge"], lw=1.3, zorder=2))
        ax.text(xs[m], ys[m], str(node.label), ha="center", va="center", fontsize=fontsize, zorder=3)
        if values is not None:
            v = values[m]
            w = 0.8 / len(v)
            for k, val in enumerate(v):
                ax.add_patch(Rectangle((xs[m] - 0.4 + k * w, ys[m] - 0.62), w, 0.28, fc=colormap(norm(val)),
                                       ec=COLORS["edge"], lw=0.6, zorder=2))
        if notes is not None:
            ax.text(xs[m], ys[m] - note_y, notes[m], ha="center", va="center",
                    fontsize=fontsize - 2, color=COLORS["edge"], zorder=3)
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - below - 0.15, 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if values is not None:
        sm = plt.cm.ScalarMappable(norm=norm, cmap=colormap)
        bar = ax.figure.colorbar(sm, ax=ax, fraction=0.03, pad=0.02)
        if value_label:
            bar.set_label(value_label, fontsize=12)
        bar.ax.tick_params(labelsize=11)
    return ax
