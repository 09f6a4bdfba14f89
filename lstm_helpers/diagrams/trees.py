"""Trees drawn top-down, with an optional heatmap of a vector under every node (chapter 9).

The tree type itself, :class:`~lstm_helpers.trees.Tree`, is in
:mod:`lstm_helpers.trees`, which also re-exports :func:`draw_tree`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyBboxPatch, Rectangle

from ..trees import Tree, _heights_and_size
from ._base import COLORS

__all__ = ["draw_tree"]


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
    (:data:`lstm_helpers.diagrams.COLORS`). The tree type is
    :class:`lstm_helpers.trees.Tree`; ``from lstm_helpers.trees import draw_tree``
    imports this function too.

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
        Node ``m`` (counted in pre-order from 0, the root) carries ``gid``
        ``"tree:node_<m>"`` (its box; the label ``"tree:node_<m>:text"``),
        ``"tree:value_<m>_<k>"`` (square ``k`` of its strip),
        ``"tree:note_<m>"`` (its note) and ``"tree:edge_<m>"`` (the line up
        to its parent).

    Raises
    ------
    ValueError
        If ``tree`` is not a Tree or has a cycle, ``vmax`` is not positive,
        ``values`` does not hold one vector of the same length per node, or
        ``notes`` one text per node.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_tree(Tree("MAX", [Tree("2"), Tree("9")]), notes=["9", "", ""])
    >>> [t.get_text() for t in ax.texts if t.get_gid().endswith(":text")]
    ['MAX', '2', '9']
    """
    import matplotlib.pyplot as plt

    if not isinstance(tree, Tree):
        raise ValueError(f"tree must be a Tree, got {type(tree).__name__} {tree!r}")
    if isinstance(vmax, bool) or not isinstance(vmax, (int, float, np.integer, np.floating)) or not vmax > 0:
        raise ValueError(f"vmax must be a positive number, got {vmax!r}")
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
            ax.plot([xs[p], xs[m]], [ys[p] - below, ys[m] + 0.25], color=COLORS["edge"], lw=1.4, zorder=1,
                    gid=f"tree:edge_{m}")
    norm = plt.Normalize(-vmax, vmax)
    colormap = plt.get_cmap(cmap)
    for m, node in enumerate(nodes):
        face = COLORS["input"] if node.is_leaf else COLORS["hidden"]
        ax.add_patch(FancyBboxPatch((xs[m] - 0.38, ys[m] - 0.22), 0.76, 0.44, boxstyle="round,pad=0.04",
                                    fc=face, ec=COLORS["edge"], lw=1.3, zorder=2, gid=f"tree:node_{m}"))
        ax.text(xs[m], ys[m], str(node.label), ha="center", va="center", fontsize=fontsize, zorder=3,
                gid=f"tree:node_{m}:text")
        if values is not None:
            v = values[m]
            w = 0.8 / len(v)
            for k, val in enumerate(v):
                ax.add_patch(Rectangle((xs[m] - 0.4 + k * w, ys[m] - 0.62), w, 0.28, fc=colormap(norm(val)),
                                       ec=COLORS["edge"], lw=0.6, zorder=2, gid=f"tree:value_{m}_{k}"))
        if notes is not None:
            ax.text(xs[m], ys[m] - note_y, notes[m], ha="center", va="center",
                    fontsize=fontsize - 2, color=COLORS["edge"], zorder=3, gid=f"tree:note_{m}")
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
