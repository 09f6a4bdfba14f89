"""The LSTM cell: one picture, built up stage by stage, with parts highlighted, and its backward pass.

Chapters 4 and 5 draw it; :mod:`lstm_helpers.diagrams.lstm_unrolled` repeats
it over time and :mod:`lstm_helpers.diagrams.variants` changes it into the
variants of the LSTM and the GRU. All coordinates come from
:data:`LSTM_CELL_XY`.
"""

from __future__ import annotations

from matplotlib.colors import is_color_like
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from .._checks import check_choice
from ._base import COLORS

__all__ = ["LSTM_PART_COLORS", "LSTM_STAGES", "LSTM_CELL_XY", "draw_lstm_cell", "draw_lstm_backward"]

#: The parts of the LSTM cell that :func:`draw_lstm_cell` can highlight, and the
#: strong colour of each (Okabe-Ito palette: colour-blind safe, readable when
#: projected). To make a new part highlightable (say ``"peephole"`` in a
#: variant), add its colour here and give its drawing elements that group.
LSTM_PART_COLORS = {
    "cell": "#0072B2",  # blue: the cell-state line c_{t-1} -> c_t
    "forget": "#D55E00",  # vermillion: forget gate f_t
    "input": "#009E73",  # bluish green: input gate i_t
    "candidate": "#E69F00",  # orange: candidate values c~_t
    "output": "#CC79A7",  # reddish purple: output gate o_t, tanh(c_t), h_t
}

#: The build-up stages of :func:`draw_lstm_cell`, in order. Each stage draws
#: everything of the stage before it plus one new piece:
#: ``"rnn"`` the plain tanh RNN cell; ``"cell"`` adds the cell-state line with
#: its ``+`` (c_t = c_{t-1} + c~_t, h_t = tanh(c_t)); ``"forget"`` adds the
#: forget gate and its ``x`` on the cell line; ``"input"`` adds the input gate
#: and the ``x`` that scales the candidate; ``"lstm"`` adds the output gate:
#: the full cell.
LSTM_STAGES = ("rnn", "cell", "forget", "input", "lstm")

#: Named coordinates (data units, equal aspect) of the LSTM cell drawing, and
#: the sizes of its symbols. Everything :func:`draw_lstm_cell` draws is placed
#: from these, so a variant (peepholes, coupled gates) can add elements that
#: line up: rows ``y_*`` (cell line, multiply row, gate row, input bus), gate
#: boxes, point-wise operations, entry and exit points of the lines.
LSTM_CELL_XY = {
    # rows
    "y_cell": 5.6,  # the cell-state line
    "y_mul": 4.2,  # the row of i*c~ and tanh(c_t)
    "y_gate": 2.6,  # the row of the four gate boxes
    "y_bus": 1.0,  # the line that carries h_{t-1} (joined by x_t)
    # gate boxes (centres)
    "forget_gate": (3.0, 2.6),
    "input_gate": (4.5, 2.6),
    "candidate_gate": (6.0, 2.6),
    "output_gate": (7.5, 2.6),
    # point-wise operations (centres)
    "forget_mul": (3.0, 5.6),
    "input_mul": (6.0, 4.2),
    "add": (6.0, 5.6),
    "cell_tanh": (9.2, 4.2),
    "output_mul": (9.2, 2.6),
    # where the lines enter and leave
    "c_in": (-0.3, 5.6),
    "c_out": (12.3, 5.6),
    "h_in": (-0.3, 1.0),
    "x_in": (1.8, -0.6),
    "x_join": (1.8, 1.0),
    "h_corner": (9.2, 1.0),
    "h_split": (10.6, 1.0),
    "h_out": (12.3, 1.0),
    "h_up": (10.6, 7.5),
    # the cell's outline (x0, y0, x1, y1) and the visible area (x0, x1, y0, y1)
    "outline": (0.6, 0.3, 11.4, 6.6),
    "limits": (-1.75, 13.45, -1.35, 8.25),
    # sizes
    "gate_size": (1.12, 0.64),  # width, height of a gate box
    "tanh_size": (1.3, 0.62),  # width, height of the tanh(c_t) ellipse
    "op_radius": 0.3,  # radius of a point-wise operation
    "gap": 0.2,  # half-height of the gap where h_t crosses the cell line
}

# Colours of the parts that are not highlighted.
_LSTM_NORMAL = {"line": "#333333", "face": "#fff2cc", "text": "black", "op_face": "white"}
_LSTM_GREY = {"line": "#c4c4c4", "face": "#f3f3f3", "text": "#b0b0b0", "op_face": "white"}


def _lstm_elements(stage_index):
    """The drawing elements of the cell at one build-up stage.

    Returns a list of dicts ``{"name", "kind", "groups", ...}``. ``kind`` is
    ``"path"`` (``points``, ``arrow``), ``"gate"`` (``at``, ``text``), ``"op"``
    (``at``, ``text``), ``"ellipse"`` (``at``, ``text``), ``"dot"`` (``at``) or
    ``"label"`` (``at``, ``text``, ``ha``, ``va``). ``groups`` lists the
    highlightable parts the element belongs to, most specific first; an empty
    tuple marks context (the inputs), which is never greyed.
    """
    P = LSTM_CELL_XY
    gw, gh = P["gate_size"]
    tw, th = P["tanh_size"]
    r = P["op_radius"]
    yc, ym, yg, yb = P["y_cell"], P["y_mul"], P["y_gate"], P["y_bus"]
    has_cell, has_forget, has_input, has_output = (stage_index >= k for k in (1, 2, 3, 4))

    def x_of(name):
        return P[name][0]

    E = []

    def add(name, kind, groups, **spec):
        E.append({"name": name, "kind": kind, "groups": tuple(groups), **spec})

    # context: h_{t-1} and x_t on the bus, which feeds every gate
    last_gate = "output_gate" if has_output else "candidate_gate"
    add("bus", "path", (), points=[P["h_in"], (x_of(last_gate), yb)], arrow=False)
    add("x_line", "path", (), points=[P["x_in"], P["x_join"]], arrow=False)
    add("x_join", "dot", (), at=P["x_join"])
    add("h_prev_label", "label", (), at=(P["h_in"][0] - 0.15, yb), text="$h_{t-1}$", ha="right", va="center")
    add("x_label", "label", (), at=(P["x_in"][0], P["x_in"][1] - 0.12), text="$x_t$", ha="center", va="top")

    gates = [("candidate", "candidate_gate", r"$\tanh$")]
    if has_forget:
        gates.append(("forget", "forget_gate", r"$\sigma$"))
    if has_input:
        gates.append(("input", "input_gate", r"$\sigma$"))
    if has_output:
        gates.append(("output", "output_gate", r"$\sigma$"))
    for part, key, text in gates:
        x = x_of(key)
        add(f"{part}_feed", "path", (part,), points=[(x, yb), (x, yg - gh / 2)], arrow=True)
        add(f"{part}_gate", "gate", (part,), at=P[key], text=text)

    # the cell-state line
    if has_cell:
        first_stop = "forget_mul" if has_forget else "add"
        add("cell_in", "path", ("cell",), points=[P["c_in"], (x_of(first_stop) - r, yc)], arrow=True)
        if has_forget:
            add("cell_mid", "path", ("cell",), points=[(x_of("forget_mul") + r, yc), (x_of("add") - r, yc)],
                arrow=True)
        add("cell_out", "path", ("cell",), points=[(x_of("add") + r, yc), P["c_out"]], arrow=True)
        add("add", "op", ("cell",), at=P["add"], text="+")
        add("c_prev_label", "label", ("cell",), at=(P["c_in"][0] - 0.15, yc), text="$c_{t-1}$",
            ha="right", va="center")
        add("c_label", "label", ("cell",), at=(P["c_out"][0] + 0.15, yc), text="$c_t$", ha="left", va="center")

    # forget gate: f_t scales c_{t-1}
    if has_forget:
        x = x_of("forget_gate")
        add("forget_arrow", "path", ("forget",), points=[(x, yg + gh / 2), (x, yc - r)], arrow=True)
        add("forget_mul", "op", ("forget", "cell"), at=P["forget_mul"], text=r"$\times$")
        add("forget_label", "label", ("forget",), at=(x - 0.18, (yg + yc) / 2), text="$f_t$", ha="right",
            va="center")

    # candidate (and input gate): what is written into the cell
    xg = x_of("candidate_gate")
    cand_label_y = (yg + gh / 2 + (ym - r if has_input else yc - r)) / 2
    if has_input:
        xi = x_of("input_gate")
        add("input_arrow", "path", ("input",), points=[(xi, yg + gh / 2), (xi, ym), (xg - r, ym)], arrow=True)
        add("input_mul", "op", ("input", "candidate"), at=P["input_mul"], text=r"$\times$")
        add("input_label", "label", ("input",), at=(xi - 0.18, (yg + ym) / 2 + 0.1), text="$i_t$", ha="right",
            va="center")
        add("candidate_arrow", "path", ("candidate",), points=[(xg, yg + gh / 2), (xg, ym - r)], arrow=True)
        add("write_arrow", "path", ("input", "candidate", "cell"), points=[(xg, ym + r), (xg, yc - r)],
            arrow=True)
    elif has_cell:
        add("candidate_arrow", "path", ("candidate",), points=[(xg, yg + gh / 2), (xg, yc - r)], arrow=True)
    if has_cell:
        add("candidate_label", "label", ("candidate",), at=(xg + 0.2, cand_label_y), text=r"$\tilde c_t$",
            ha="left", va="center")

    # output: h_t = o_t * tanh(c_t), or tanh(c_t) before the output gate, or the RNN's tanh
    xo = x_of("cell_tanh")
    if has_cell:
        add("tanh_branch", "path", ("output",), points=[(xo, yc), (xo, ym + th / 2)], arrow=True)
        add("tanh_branch_dot", "dot", ("cell",), at=(xo, yc))
        add("cell_tanh", "ellipse", ("output",), at=P["cell_tanh"], text=r"$\tanh$")
    if has_output:
        xq = x_of("output_gate")
        add("output_arrow", "path", ("output",), points=[(xq + gw / 2, yg), (xo - r, yg)], arrow=True)
        add("output_label", "label", ("output",), at=((xq + gw / 2 + xo - r) / 2, yg + 0.2), text="$o_t$",
            ha="center", va="bottom")
        add("tanh_to_mul", "path", ("output",), points=[(xo, ym - th / 2), (xo, yg + r)], arrow=False)
        add("output_mul", "op", ("output",), at=P["output_mul"], text=r"$\times$")
        h_start = [(xo, yg - r)]
    elif has_cell:
        h_start = [(xo, ym - th / 2)]
    else:  # the plain RNN: h_t = tanh(...) leaves the tanh box to the right
        h_start = [(xg + gw / 2, yg), (xo, yg)]
    add("h_path", "path", ("output",), points=h_start + [P["h_corner"], P["h_out"]], arrow=True)
    xs, ys = P["h_split"]
    add("h_split", "dot", ("output",), at=P["h_split"])
    if has_cell:  # h_t passes under the cell-state line: leave a gap where they cross
        add("h_up_low", "path", ("output",), points=[(xs, ys), (xs, yc - P["gap"])], arrow=False)
        add("h_up_high", "path", ("output",), points=[(xs, yc + P["gap"]), P["h_up"]], arrow=True)
    else:
        add("h_up", "path", ("output",), points=[(xs, ys), P["h_up"]], arrow=True)
    add("h_label", "label", ("output",), at=(P["h_out"][0] + 0.15, yb), text="$h_t$", ha="left", va="center")
    add("h_up_label", "label", ("output",), at=(xs, P["h_up"][1] + 0.12), text="$h_t$", ha="center",
        va="bottom")
    return E


def _lstm_style(groups, highlight):
    """Colours of an element: ``(line, face, text, op_face, width_factor)``."""
    if not highlight or not groups:
        s = _LSTM_NORMAL
        return s["line"], s["face"], s["text"], s["op_face"], 1.0
    for part in groups:
        if part in highlight:
            color = LSTM_PART_COLORS[part]
            return color, color, "white", "white", 1.45
    s = _LSTM_GREY
    return s["line"], s["face"], s["text"], s["op_face"], 1.0


def _render_lstm_cell(ax, elements, style, *, dx=0.0, labels=True, fontsize=15, label_color=None,
                      gid_prefix="lstm:", label_text=None):
    """Draw the elements of :func:`_lstm_elements` on ``ax``, shifted right by ``dx``.

    ``style(groups)`` returns ``(line, face, text, op_face, width_factor)``;
    ``label_color(groups, line)`` the colour of a label; ``label_text(el)`` the
    text of a label, or ``None`` to leave it out (default: ``el["text"]``).
    """
    P = LSTM_CELL_XY
    gw, gh = P["gate_size"]
    tw, th = P["tanh_size"]
    r = P["op_radius"]
    lw = 2.0

    def at(xy):
        return (xy[0] + dx, xy[1])

    # add_artist, not add_patch: the caller sets the limits, so no data limits need updating
    x0, y0, x1, y1 = P["outline"]
    ax.add_artist(FancyBboxPatch((x0 + dx, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.45",
                                fc="#eef4fa", ec="#9aa7b3", lw=1.4, zorder=0, gid=gid_prefix + "outline"))
    for el in elements:
        line, face, text_color, op_face, wf = style(el["groups"])
        gid = gid_prefix + el["name"]
        kind = el["kind"]
        if kind == "path":
            pts = [at(p) for p in el["points"]]
            path = MplPath(pts, [MplPath.MOVETO] + [MplPath.LINETO] * (len(pts) - 1))
            ax.add_artist(FancyArrowPatch(
                path=path, arrowstyle="-|>" if el["arrow"] else "-", mutation_scale=17, lw=lw * wf,
                color=line, capstyle="round", joinstyle="round", zorder=1 + (wf > 1), gid=gid,
            ))
        elif kind == "gate":
            (cx, cy) = at(el["at"])
            ax.add_artist(FancyBboxPatch((cx - gw / 2, cy - gh / 2), gw, gh, boxstyle="round,pad=0,rounding_size=0.1",
                                        fc=face, ec=line, lw=lw * wf, zorder=3, gid=gid))
            ax.text(cx, cy, el["text"], ha="center", va="center", fontsize=fontsize - 1, color=text_color,
                    zorder=4, gid=gid + ":text")
        elif kind == "ellipse":
            (cx, cy) = at(el["at"])
            ax.add_artist(Ellipse((cx, cy), tw, th, fc=face, ec=line, lw=lw * wf, zorder=3, gid=gid))
            ax.text(cx, cy, el["text"], ha="center", va="center", fontsize=fontsize - 2, color=text_color,
                    zorder=4, gid=gid + ":text")
        elif kind == "op":
            (cx, cy) = at(el["at"])
            ax.add_artist(Circle((cx, cy), r, fc=op_face, ec=line, lw=lw * wf, zorder=3, gid=gid))
            ax.text(cx, cy, el["text"], ha="center", va="center", fontsize=fontsize + 1, color=line,
                    fontweight="bold", zorder=4, gid=gid + ":text")
        elif kind == "dot":
            ax.add_artist(Circle(at(el["at"]), 0.07 * wf, fc=line, ec=line, zorder=2, gid=gid))
        elif kind == "label" and labels:
            text = el["text"] if label_text is None else label_text(el)
            if text is not None:
                ax.text(*at(el["at"]), text, ha=el["ha"], va=el["va"], fontsize=fontsize,
                        color=label_color(el["groups"], line) if label_color else line, zorder=4, gid=gid)


def draw_lstm_cell(highlight=(), ax=None, labels=True, title=None, stage="lstm", fontsize=15):
    r"""Draw the LSTM cell, optionally partly built and with some parts highlighted.

    One picture of the cell, in the layout used throughout the course: the
    cell-state line runs along the top from :math:`c_{t-1}` through the forget
    multiplication (``x``) and the write (``+``) to :math:`c_t`; :math:`h_{t-1}`
    enters at the bottom left and is joined by :math:`x_t` from below; the bus
    they form feeds the four gate boxes :math:`\sigma` (forget :math:`f_t`),
    :math:`\sigma` (input :math:`i_t`), :math:`\tanh` (candidate
    :math:`\tilde c_t`) and :math:`\sigma` (output :math:`o_t`); the candidate
    is scaled by :math:`i_t` and added to the cell; :math:`\tanh(c_t)` is
    scaled by :math:`o_t` and leaves as :math:`h_t`, both to the right (to the
    next step) and upwards (to the layer above). All coordinates come from
    :data:`LSTM_CELL_XY`, so every stage and every highlight draws the same
    geometry and a sequence of calls shows one picture growing.

    Parameters
    ----------
    highlight : str or iterable of str
        Parts to draw in their strong colour (:data:`LSTM_PART_COLORS`), any
        subset of ``"cell"`` (the cell-state line with its ``x`` and ``+``),
        ``"forget"``, ``"input"``, ``"candidate"`` and ``"output"`` (output
        gate, :math:`\tanh(c_t)` and :math:`h_t`). When it is not empty, all
        other parts are greyed; the inputs :math:`h_{t-1}` and :math:`x_t` stay
        black. An element shared by two parts (the forget ``x`` belongs to
        ``"forget"`` and ``"cell"``) takes the colour of the more specific one
        that is highlighted. Parts that do not exist at ``stage`` are ignored.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of 8 x 5 inches is created if omitted.
    labels : bool
        Write the math labels (:math:`c_{t-1}`, :math:`f_t`, ...) next to the lines.
    title : str, optional
        Title of the axes.
    stage : str
        How much of the cell to draw, one of :data:`LSTM_STAGES`: ``"rnn"``
        (the plain tanh RNN cell, :math:`h_t = \tanh(\dots)`), ``"cell"``
        (adds the cell state, :math:`c_t = c_{t-1} + \tilde c_t` and
        :math:`h_t = \tanh(c_t)`), ``"forget"`` (adds :math:`f_t`),
        ``"input"`` (adds :math:`i_t`) or ``"lstm"`` (adds :math:`o_t`: the
        full cell, the default). ``None`` means ``"lstm"``.
    fontsize : float
        Size of the labels in points (the symbols are scaled with it).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (axis lines hidden, equal aspect). Every artist
        carries a ``gid`` ``"lstm:<element>"`` (for example
        ``"lstm:forget_gate"`` or ``"lstm:cell_in"``) so that later code can
        find and restyle it.

    Raises
    ------
    ValueError
        If ``highlight`` names an unknown part or ``stage`` is not a stage;
        the message lists the valid choices.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_lstm_cell(highlight=("forget",))
    >>> ax = draw_lstm_cell(stage="cell", highlight="cell", title="the cell state")
    """
    import matplotlib.pyplot as plt

    if isinstance(highlight, str):
        highlight = (highlight,)
    highlight = tuple(highlight)
    for part in highlight:
        check_choice("highlight", part, tuple(LSTM_PART_COLORS))
    stage = "lstm" if stage is None else stage
    check_choice("stage", stage, LSTM_STAGES)
    stage_index = LSTM_STAGES.index(stage)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))

    P = LSTM_CELL_XY
    _render_lstm_cell(ax, _lstm_elements(stage_index), lambda groups: _lstm_style(groups, highlight),
                      labels=labels, fontsize=fontsize,
                      label_color=lambda groups, line: line if groups and highlight else _LSTM_NORMAL["text"])
    xa, xb, ya, yb = P["limits"]
    ax.set_xlim(xa, xb)
    ax.set_ylim(ya, yb)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize - 1)
    return ax



def draw_lstm_backward(ax=None, title=None, color=None, fontsize=13):
    r"""Draw the LSTM cell with the paths of the backward pass into and out of :math:`c_t`.

    The full cell of :func:`draw_lstm_cell` gets red arrows just beside its
    lines: one comes in along the cell state from :math:`c_{t+1}` (the
    gradient of the next step), one comes in from :math:`h_t` and goes up
    through the output gate and :math:`\tanh(c_t)` to the cell line; inside the
    cell the sum passes the ``+`` unchanged and leaves to :math:`c_{t-1}`
    through the forget multiplication, as :math:`\mathrm{d}c_t \odot f_t`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of 8 x 5 inches is created if omitted.
    title : str, optional
        Title of the axes.
    color : matplotlib colour, optional
        Colour of the backward paths and their labels; default
        ``COLORS["highlight"]`` (red).
    fontsize : float
        Size of the labels of the paths in points.

    Returns
    -------
    matplotlib.axes.Axes
        Besides the gids of :func:`draw_lstm_cell`, the segments of the four
        paths carry ``gid`` ``"backward:<path>:<k>"`` (``k`` counted from 0;
        the last segment of a path has the arrow head), with ``<path>`` one of
        ``from_c_next``, ``from_h``, ``past_add`` and ``to_c_prev``; the
        labels ``"backward:label:from_c_next"``, ``"backward:label:from_h"``
        and ``"backward:label:to_c_prev"``.

    Raises
    ------
    ValueError
        If ``color`` is not a matplotlib colour or ``fontsize`` is not a
        positive number.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_lstm_backward()
    >>> sorted(t.get_text() for t in ax.texts if str(t.get_gid()).startswith("backward:"))
    ['$\\mathrm{d}c_t \\odot f_t$', 'from $c_{t+1}$', 'from $h_t$']
    """
    color = COLORS["highlight"] if color is None else color
    if isinstance(color, bool) or not is_color_like(color):
        raise ValueError(f"color must be a matplotlib colour such as '#e31a1c' or 'red', got {color!r}")
    if isinstance(fontsize, bool) or not isinstance(fontsize, (int, float)) or not fontsize > 0:
        raise ValueError(f"fontsize must be a positive number, got {fontsize!r}")
    ax = draw_lstm_cell(ax=ax, title=title)
    P = LSTM_CELL_XY
    yc, off = P["y_cell"], 0.32

    def arrow(name, points):
        for k, (start, end) in enumerate(zip(points[:-1], points[1:])):
            last = k == len(points) - 2
            ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>" if last else "-", mutation_scale=16,
                                         lw=2.2, color=color, zorder=6, shrinkA=0, shrinkB=0,
                                         gid=f"backward:{name}:{k}"))

    def label(name, at, text, va):
        ax.text(*at, text, color=color, ha="center", va=va, fontsize=fontsize, gid=f"backward:label:{name}")

    x_add, x_mul, x_tanh = P["add"][0], P["forget_mul"][0], P["cell_tanh"][0]
    arrow("from_c_next", [(P["c_out"][0], yc + off), (x_add + 0.4, yc + off)])
    arrow("from_h", [(P["h_out"][0], P["y_bus"] - off), (x_tanh + 0.35, P["y_bus"] - off),
                     (x_tanh + 0.35, yc - off)])  # up through o_t and tanh
    arrow("past_add", [(x_add - 0.4, yc + off), (x_mul + 0.4, yc + off)])
    arrow("to_c_prev", [(x_mul - 0.4, yc + off), (P["c_in"][0] + 0.2, yc + off)])  # times f_t
    label("from_c_next", (11.3, yc + off + 0.15), "from $c_{t+1}$", "bottom")
    label("from_h", (11.0, P["y_bus"] - off - 0.15), "from $h_t$", "top")
    label("to_c_prev", (0.9, yc + off + 0.15), r"$\mathrm{d}c_t \odot f_t$", "bottom")
    return ax
