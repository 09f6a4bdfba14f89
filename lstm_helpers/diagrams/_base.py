"""What every diagram shares: the course's colours and the box, arrow and line primitives.

Private: the drawing modules of :mod:`lstm_helpers.diagrams` build on these,
and :data:`COLORS` is re-exported by the package.
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

#: Colours shared by all diagrams (colour-blind safe, readable when projected):
#: ``"input"`` boxes, ``"hidden"`` states, ``"output"`` boxes, ``"edge"`` (lines
#: and outlines) and ``"highlight"`` (what a figure singles out, e.g. the
#: backward pass).
COLORS = {
    "input": "#a6cee3",
    "hidden": "#fdbf6f",
    "output": "#b2df8a",
    "edge": "#333333",
    "highlight": "#e31a1c",
}


def _box(ax, xy, text, color, w=0.8, h=0.55, fontsize=12, gid=None):
    """A rounded box of width ``w`` and height ``h`` centred on ``xy``, with ``text`` in it."""
    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04", fc=color, ec=COLORS["edge"], lw=1.4,
            gid=gid,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, gid=None if gid is None else gid + ":text")


def _arrow(ax, start, end, label=None, label_offset=(0.0, 0.0), color=None, rad=0.0, fontsize=10, gid=None,
           linestyle="-"):
    """A straight (or, with ``rad``, bent) arrow from ``start`` to ``end``, optionally labelled at its middle."""
    color = color or COLORS["edge"]
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=14, lw=1.4, color=color,
            connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0, gid=gid, linestyle=linestyle,
        )
    )
    if label:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=fontsize, color=color,
                gid=None if gid is None else gid + ":label")


def _path(ax, points, color, lw=2.0, arrow=True, ls="-", zorder=2, gid=None):
    """A polyline through ``points``, with an arrow head at its end when ``arrow``."""
    path = MplPath(points, [MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 1))
    ax.add_artist(FancyArrowPatch(path=path, arrowstyle="-|>" if arrow else "-", mutation_scale=15, lw=lw,
                                  color=color, linestyle=ls, capstyle="round", joinstyle="round", zorder=zorder,
                                  gid=gid))


def _artists(ax, gid):
    """The artists of ``ax`` whose gid is ``gid``."""
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _check_text(name, value):
    """Raise ``ValueError`` unless ``value`` is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _check_tokens(tokens):
    """Return ``tokens`` as a list of strings; raise ``ValueError`` if it is empty or a single string."""
    if isinstance(tokens, str):
        raise ValueError(f"tokens must be a sequence of words, e.g. ('The', 'cat', 'sat'), not one string {tokens!r}")
    tokens = list(tokens)
    if not tokens:
        raise ValueError("tokens must hold at least one word, e.g. ('The', 'cat', 'sat')")
    return tokens
