r"""Trees as data: the :class:`Tree` type, walking it, making it binary.

Nothing here needs PyTorch or Matplotlib: a tree is a label and a tuple of
children, and everything in this module is plain Python. The Tree-LSTM cells
that read trees are in :mod:`lstm_helpers.cells.tree`;
:func:`~lstm_helpers.cells.tree_batch.batch_trees`, which turns trees into
index tensors, is in :mod:`lstm_helpers.cells.tree_batch`.

- :class:`Tree` holds one tree; its ``height`` and ``size`` are computed
  bottom-up without recursion, so deep trees do not hit Python's recursion
  limit, and a node that is its own ancestor is reported as an error.
- :func:`binarize` turns a tree with wider nodes into a binary one, for
  :class:`~lstm_helpers.cells.tree.NaryTreeLSTMCell` with ``n_children=2``.
- ``draw_tree`` draws a tree with a small heatmap of a vector (a state)
  under every node. It lives with the other figures, in
  :func:`lstm_helpers.diagrams.trees.draw_tree`; ``from lstm_helpers.trees
  import draw_tree`` imports it from there (only when asked for, so that this
  module stays free of Matplotlib).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Tree", "binarize"]


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


def __getattr__(name):
    """Import :func:`draw_tree` from :mod:`lstm_helpers.diagrams.trees` when it is first asked for.

    Lazily, so that importing this module loads neither Matplotlib nor the diagrams.
    """
    if name == "draw_tree":
        from .diagrams.trees import draw_tree

        return draw_tree
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + ["draw_tree"])
