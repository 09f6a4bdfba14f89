"""Diagrams of recurrent networks, drawn with matplotlib.

Every figure of a network in the course is drawn here, once, so that a
chapter can show the same picture growing from section to section.
"""

from __future__ import annotations

from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath

from ._checks import check_choice, check_int
from ._variants import PEEPHOLES, VARIANTS

__all__ = [
    "COLORS",
    "draw_unrolled_rnn",
    "draw_sequence_patterns",
    "draw_lstm_cell",
    "draw_unrolled_lstm",
    "LSTM_CELL_XY",
    "LSTM_PART_COLORS",
    "LSTM_STAGES",
    "draw_lstm_variant",
    "draw_gru_cell",
    "PEEPHOLE_COLOR",
    "GRU_PART_COLORS",
]

# Colours shared by all diagrams (colour-blind safe, readable when projected).
COLORS = {
    "input": "#a6cee3",
    "hidden": "#fdbf6f",
    "output": "#b2df8a",
    "edge": "#333333",
    "highlight": "#e31a1c",
}


def _box(ax, xy, text, color, w=0.8, h=0.55, fontsize=12):
    x, y = xy
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04", fc=color, ec=COLORS["edge"], lw=1.4
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, label=None, label_offset=(0.0, 0.0), color=None, rad=0.0, fontsize=10):
    color = color or COLORS["edge"]
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=14, lw=1.4, color=color,
            connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0,
        )
    )
    if label:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=fontsize, color=color)


def draw_unrolled_rnn(tokens=("The", "cat", "sat"), ax=None, show_outputs=True, show_folded=True):
    """Draw a vanilla RNN, folded (with its loop) and unrolled over ``tokens``.

    Parameters
    ----------
    tokens : sequence of str
        One word (or symbol) per time step, written under the inputs
        ``x_1 ... x_T``. At least one token.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of a suitable size is created if omitted.
    show_outputs : bool
        Draw the outputs ``y_t`` and the weight ``W_hy``.
    show_folded : bool
        Draw the folded network with its self-loop to the left of the
        unrolled one.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (axis lines hidden).

    Raises
    ------
    ValueError
        If ``tokens`` is empty.
    """
    import matplotlib.pyplot as plt

    tokens = list(tokens)
    if not tokens:
        raise ValueError("tokens must hold at least one word, e.g. ('The', 'cat', 'sat')")
    T = len(tokens)
    x0 = 2.7 if show_folded else 0.0
    width = x0 + 1.8 * (T + 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.45 * width, 3.6 if show_outputs else 2.8))
    y_in, y_h, y_out = 0.0, 1.5, 3.0
    if show_folded:
        _box(ax, (0.6, y_in), "$x_t$", COLORS["input"])
        _box(ax, (0.6, y_h), "$h_t$", COLORS["hidden"])
        _arrow(ax, (0.6, y_in + 0.3), (0.6, y_h - 0.3), "$W_{xh}$", (0.35, 0))
        loop = MplPath(
            [(1.0, y_h + 0.14), (1.5, y_h + 0.14), (1.5, y_h - 0.14), (1.0, y_h - 0.14)],
            [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO],
        )
        ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=14, lw=1.4, color=COLORS["edge"]))
        ax.text(1.55, y_h + 0.42, "$W_{hh}$", ha="center", va="center", fontsize=10)
        if show_outputs:
            _box(ax, (0.6, y_out), "$y_t$", COLORS["output"])
            _arrow(ax, (0.6, y_h + 0.3), (0.6, y_out - 0.3), "$W_{hy}$", (0.35, 0))
        ax.text(2.2, y_h, "=", ha="center", va="center", fontsize=20)
    # h_0 then one column per token
    _box(ax, (x0 + 0.6, y_h), "$h_0$", "white")
    for t, word in enumerate(tokens, start=1):
        cx = x0 + 0.6 + 1.8 * t
        _box(ax, (cx, y_in), f"$x_{{{t}}}$", COLORS["input"])
        ax.text(cx, y_in - 0.55, f"\u201c{word}\u201d", ha="center", va="center", fontsize=11, style="italic")
        _box(ax, (cx, y_h), f"$h_{{{t}}}$", COLORS["hidden"])
        _arrow(ax, (cx, y_in + 0.3), (cx, y_h - 0.3), "$W_{xh}$", (0.35, 0))
        _arrow(ax, (cx - 1.4, y_h), (cx - 0.4, y_h), "$W_{hh}$", (0, 0.22))
        if show_outputs:
            _box(ax, (cx, y_out), f"$y_{{{t}}}$", COLORS["output"])
            _arrow(ax, (cx, y_h + 0.3), (cx, y_out - 0.3), "$W_{hy}$", (0.35, 0))
    ax.set_xlim(-0.1, width)
    ax.set_ylim(y_in - 0.9, (y_out if show_outputs else y_h) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


# The four input/output patterns of a recurrent network, one example each:
# (title, inputs, outputs). ``None`` marks a step without an input or output.
_SEQUENCE_PATTERNS = (
    (
        "One-to-many: image captioning",
        ("[image]", None, None, None),
        ("a", "black", "cat", "<end>"),
    ),
    (
        "Many-to-one: sentiment of a review",
        ("what", "a", "great", "film"),
        (None, None, None, "positive"),
    ),
    (
        "Many-to-many: translation (encoder\u2013decoder)",
        ("cats", "sleep", None, None, None),
        (None, None, "les", "chats", "dorment"),
    ),
    (
        "Synced many-to-many: tagging every word",
        ("The", "cat", "sat"),
        ("DET", "NOUN", "VERB"),
    ),
)


def _draw_pattern(ax, title, inputs, outputs, fontsize=11):
    """Draw one input/output pattern: a chain of hidden states with inputs below, outputs above."""
    y_in, y_h, y_out = 0.0, 1.2, 2.4
    for t, (word_in, word_out) in enumerate(zip(inputs, outputs)):
        cx = 0.6 + 1.2 * t
        _box(ax, (cx, y_h), "", COLORS["hidden"], w=0.6, h=0.45)
        if t > 0:
            _arrow(ax, (cx - 0.9, y_h), (cx - 0.3, y_h))
        if word_in is not None:
            _box(ax, (cx, y_in), "", COLORS["input"], w=0.6, h=0.45)
            _arrow(ax, (cx, y_in + 0.225), (cx, y_h - 0.225))
            ax.text(cx, y_in - 0.45, word_in, ha="center", va="center", fontsize=fontsize, style="italic")
        if word_out is not None:
            _box(ax, (cx, y_out), "", COLORS["output"], w=0.6, h=0.45)
            _arrow(ax, (cx, y_h + 0.225), (cx, y_out - 0.225))
            ax.text(cx, y_out + 0.45, word_out, ha="center", va="center", fontsize=fontsize, style="italic")
    ax.set_title(title, fontsize=fontsize + 1)
    ax.set_xlim(-0.1, 1.2 * len(inputs))
    ax.set_ylim(y_in - 0.8, y_out + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_sequence_patterns(axes=None):
    """Draw the four ways a recurrent network maps inputs to outputs, one example each.

    The panels are, in this order: one-to-many (image captioning), many-to-one
    (sentiment of a review), many-to-many with an encoder and a decoder
    (translation) and synced many-to-many (a tag for every word). Each column
    is one time step: an input box (blue) at the bottom where the step reads
    an input, the hidden state (orange) in the middle, passed to the right,
    and an output box (green) at the top where the step emits an output. The
    example words are written under the inputs and over the outputs. When the
    figure is created here, a legend names the three colours and the layout is
    already tightened (no ``tight_layout`` call is needed).

    Parameters
    ----------
    axes : sequence of four matplotlib.axes.Axes, optional
        Where to draw the four panels; a new figure (two rows, panels of
        widths proportional to their number of steps) is created if omitted.

    Returns
    -------
    list of matplotlib.axes.Axes
        The four axes drawn on (axis lines hidden).

    Raises
    ------
    ValueError
        If ``axes`` is given and does not hold exactly four axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig = plt.figure(figsize=(11, 6.2))
        grid = fig.add_gridspec(2, 8)
        axes = [
            fig.add_subplot(grid[0, 0:4]),
            fig.add_subplot(grid[0, 4:8]),
            fig.add_subplot(grid[1, 0:5]),
            fig.add_subplot(grid[1, 5:8]),
        ]
        handles = [
            Patch(fc=COLORS[key], ec=COLORS["edge"], label=label)
            for key, label in (("input", "input $x_t$"), ("hidden", "hidden state $h_t$"), ("output", "output $y_t$"))
        ]
        fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=11, frameon=False)
        for ax, (title, inputs, outputs) in zip(axes, _SEQUENCE_PATTERNS):
            _draw_pattern(ax, title, inputs, outputs)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        return axes
    axes = list(axes)
    if len(axes) != 4:
        raise ValueError(f"axes must hold exactly 4 matplotlib axes, one per pattern; got {len(axes)}")
    for ax, (title, inputs, outputs) in zip(axes, _SEQUENCE_PATTERNS):
        _draw_pattern(ax, title, inputs, outputs)
    return axes


# ---------------------------------------------------------------------------
# The LSTM cell
# ---------------------------------------------------------------------------

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


def _time_index(offset):
    """The subscript of the step ``offset`` steps after ``t``: ``"t-1"``, ``"t"``, ``"t+2"``."""
    if offset == 0:
        return "t"
    return f"t{offset:+d}"


def draw_unrolled_lstm(steps=3, ax=None, highlight_cell_state=True, gate_labels=False, time_labels=None,
                       title=None, fontsize=15):
    r"""Draw an LSTM unrolled over time: the same cell repeated, step after step.

    Each step is the full cell of :func:`draw_lstm_cell`, in the same layout,
    and neighbouring steps are joined: the cell state runs along the top from
    one step to the next (:math:`c_{t-2} \to c_{t-1} \to c_t \to \dots`), the
    hidden state along the bottom (:math:`h_{t-1}` leaves one step to the right
    and enters the next one, where :math:`x_t` joins it). The inputs
    :math:`x_{t-1}, x_t, \dots` come in from below, and each step's hidden
    state also leaves upwards, as the output read by a layer above. All steps
    share one set of weights; only the inputs and the two states change from
    step to step.

    Parameters
    ----------
    steps : int
        Number of time steps drawn, at least 1. By default the steps are
        centred on :math:`t`: three steps are :math:`t-1, t, t+1`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure whose width grows with ``steps`` is
        created if omitted.
    highlight_cell_state : bool
        Draw the cell-state line with its :math:`\times` and :math:`+`, through
        all steps, in the colour of the cell state
        (:data:`LSTM_PART_COLORS` ``["cell"]``) and thicker; the rest stays
        black. With ``False`` everything is black.
    gate_labels : bool
        Also write the gate labels :math:`f, i, \tilde c, o`, with each step's
        time index, inside the cells. The states and inputs between and around
        the cells are always labelled.
    time_labels : sequence of str, optional
        The time index of each step, as LaTeX math without dollars, e.g.
        ``("1", "2", "3")``; one per step. Default: centred on ``t``.
    title : str, optional
        Title of the axes.
    fontsize : float
        Size of the state and input labels in points; the symbols inside the
        cells use ``fontsize - 4`` (they fit the default figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (axis lines hidden, equal aspect). The artists of
        step ``k`` (counted from 0) carry ``gid`` ``"unrolled:<k>:<element>"``
        with the element names of :func:`draw_lstm_cell` (for example
        ``"unrolled:1:cell_in"``); the state and input labels carry
        ``"unrolled:label:<name>"`` (``c_in``, ``h_in``, ``c_<k>``, ``h_<k>``,
        ``x_<k>``, ``h_up_<k>``).

    Raises
    ------
    ValueError
        If ``steps`` is not an integer of at least 1, or ``time_labels`` does
        not hold exactly ``steps`` strings.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_unrolled_lstm(steps=3)
    >>> ax = draw_unrolled_lstm(steps=2, time_labels=("1", "2"), highlight_cell_state=False)
    """
    import matplotlib.pyplot as plt

    steps = check_int("steps", steps, 1)
    if time_labels is None:
        first = -((steps - 1) // 2)
        time_labels = [_time_index(first + k) for k in range(steps)]
        before = _time_index(first - 1)
    else:
        if isinstance(time_labels, str):
            raise ValueError(f"time_labels must be a sequence of {steps} strings, one per step, not one string")
        time_labels = list(time_labels)
        if len(time_labels) != steps or not all(isinstance(s, str) for s in time_labels):
            raise ValueError(f"time_labels must hold exactly {steps} strings, one per step; got {time_labels!r}")
        first = time_labels[0]
        before = str(int(first) - 1) if first.lstrip("-").isdigit() else first + "-1"
    P = LSTM_CELL_XY
    pitch = P["c_out"][0] - P["c_in"][0]  # one cell's c_out is the next cell's c_in
    xa, xb, ya, yb = P["limits"]
    x_lo, x_hi = P["c_in"][0] - 2.3, P["c_out"][0] + (steps - 1) * pitch + 2.3
    if ax is None:
        scale = 0.42  # inches per data unit: the symbols of the cell fit text of about 11 points
        top = 0.9 if title else 1.0
        fig = plt.figure(figsize=(scale * (x_hi - x_lo), scale * (yb - ya) / top))
        ax = fig.add_axes((0.0, 0.0, 1.0, top))
    cell_color = LSTM_PART_COLORS["cell"]
    highlight = ("cell",) if highlight_cell_state else ()

    def style(groups):
        for part in groups:
            if part in highlight:
                return cell_color, cell_color, "white", "white", 1.45
        s = _LSTM_NORMAL
        return s["line"], s["face"], s["text"], s["op_face"], 1.0

    # the states and inputs are labelled below, with their time index; inside a cell only the gates
    own_labels = {"forget_label", "input_label", "candidate_label", "output_label"}
    elements = _lstm_elements(LSTM_STAGES.index("lstm"))
    for k, index in enumerate(time_labels):
        def label_text(el, index=index):
            if not gate_labels or el["name"] not in own_labels:
                return None
            return el["text"][:-2] + "{" + index + "}$"  # "$f_t$" -> "$f_{t-1}$"

        _render_lstm_cell(ax, elements, style, dx=k * pitch, labels=True, fontsize=fontsize - 4,
                          label_color=lambda groups, line: line, gid_prefix=f"unrolled:{k}:", label_text=label_text)

    def label(name, at, text, color="black", ha="center", va="center"):
        ax.text(*at, text, ha=ha, va=va, fontsize=fontsize, color=color, zorder=5, gid="unrolled:label:" + name)

    c_color = cell_color if highlight_cell_state else "black"
    yc, yb_ = P["y_cell"], P["y_bus"]
    label("c_in", (P["c_in"][0] - 0.15, yc), f"$c_{{{before}}}$", c_color, ha="right")
    label("h_in", (P["h_in"][0] - 0.15, yb_), f"$h_{{{before}}}$", ha="right")
    for k, index in enumerate(time_labels):
        dx = k * pitch
        x_end = P["c_out"][0] + dx
        if k == steps - 1:  # the states leave the last step to the right
            label(f"c_{k}", (x_end + 0.15, yc), f"$c_{{{index}}}$", c_color, ha="left")
            label(f"h_{k}", (x_end + 0.15, yb_), f"$h_{{{index}}}$", ha="left")
        else:  # ... and pass from each step to the next, labelled where they cross over
            label(f"c_{k}", (x_end, yc + 0.22), f"$c_{{{index}}}$", c_color, va="bottom")
            label(f"h_{k}", (x_end, yb_ - 0.22), f"$h_{{{index}}}$", va="top")
        label(f"x_{k}", (P["x_in"][0] + dx, P["x_in"][1] - 0.12), f"$x_{{{index}}}$", va="top")
        label(f"h_up_{k}", (P["h_up"][0] + dx, P["h_up"][1] + 0.12), f"$h_{{{index}}}$", va="bottom")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(ya, yb)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize)
    return ax


# ---------------------------------------------------------------------------
# LSTM variants and the GRU (chapter 8)
# ---------------------------------------------------------------------------

#: Colour of the peephole connections drawn by :func:`draw_lstm_variant` (sky blue).
PEEPHOLE_COLOR = "#56B4E9"

# What each variant of Greff et al. (2017) changes, for the drawing: the parts to
# highlight, the gates that have peepholes, and the gates that are constant 1.
# What the drawing of each variant highlights, and which gate it replaces by a constant 1;
# the peepholes come from the one definition of the variants (lstm_helpers._variants).
_VARIANT_DRAWING = {
    name: {"peepholes": PEEPHOLES[name], **spec} for name, spec in {
        "vanilla": {"highlight": ()},
        "NIG": {"highlight": ("input",), "constant": "input"},
        "NFG": {"highlight": ("forget",), "constant": "forget"},
        "NOG": {"highlight": ("output",), "constant": "output"},
        "NIAF": {"highlight": ("candidate",)},
        "NOAF": {"highlight": ("output",)},
        "NP": {"highlight": ()},
        "CIFG": {"highlight": ("forget", "input")},
        "FGR": {"highlight": ()},
    }.items()
}
assert tuple(_VARIANT_DRAWING) == VARIANTS


def _path(ax, points, color, lw=2.0, arrow=True, ls="-", zorder=2, gid=None):
    path = MplPath(points, [MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 1))
    ax.add_artist(FancyArrowPatch(path=path, arrowstyle="-|>" if arrow else "-", mutation_scale=15, lw=lw,
                                  color=color, linestyle=ls, capstyle="round", joinstyle="round", zorder=zorder,
                                  gid=gid))


def _artists(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def draw_lstm_variant(variant="vanilla", ax=None, labels=True, title=None, fontsize=15):
    r"""Draw one LSTM variant of Greff et al. (2017): the cell of :func:`draw_lstm_cell`, changed.

    The drawing starts from the full cell and shows what the variant changes
    (see :data:`lstm_helpers.cells.VARIANTS`): peephole connections
    (dashed, sky blue: :math:`c_{t-1}` into the input and forget gates,
    :math:`c_t` into the output gate) for every variant except ``"NP"``; a
    removed gate as a dashed box holding the constant 1 (``"NIG"``,
    ``"NFG"``, ``"NOG"``); an activation function replaced by the identity
    (``"NIAF"``: the candidate, ``"NOAF"``: the output); the forget gate
    computed as :math:`1 - i_t` (``"CIFG"``); and the gates' previous
    activations fed back into the gates (``"FGR"``). The changed parts are
    highlighted in their colours (:data:`LSTM_PART_COLORS`).

    Parameters
    ----------
    variant : str
        One of ``"vanilla"``, ``"NIG"``, ``"NFG"``, ``"NOG"``, ``"NIAF"``,
        ``"NOAF"``, ``"NP"``, ``"CIFG"``, ``"FGR"``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of 8 x 5 inches is created if omitted.
    labels : bool
        Write the math labels.
    title : str, optional
        Title of the axes; default: the variant's name.
    fontsize : float
        Size of the labels in points.

    Returns
    -------
    matplotlib.axes.Axes
        The artists the variant adds carry ``gid`` ``"variant:<element>"``
        (``"variant:peephole_f"``, ``"variant:fgr"``, ...).

    Raises
    ------
    ValueError
        If ``variant`` is not one of the nine names (the message lists them).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_lstm_variant("CIFG")
    """
    check_choice("variant", variant, tuple(_VARIANT_DRAWING))
    spec = _VARIANT_DRAWING[variant]
    ax = draw_lstm_cell(highlight=spec["highlight"], ax=ax, labels=labels,
                        title=variant if title is None else title, fontsize=fontsize)
    P = LSTM_CELL_XY
    gw, gh = P["gate_size"]
    yc, yg = P["y_cell"], P["y_gate"]
    top = yg + gh / 2
    blue = PEEPHOLE_COLOR
    small = fontsize - 2

    def text(at, s, color, ha="center", va="center", gid=None, size=small):
        if labels:
            ax.text(*at, s, ha=ha, va=va, fontsize=size, color=color, zorder=5, gid=gid)

    # peepholes: c_{t-1} into the forget and input gates, c_t into the output gate
    xp = 2.2  # where the peepholes leave c_{t-1}, left of the forget gate's x
    y_route = 3.35
    if spec["peepholes"].replace("o", ""):
        ax.add_artist(Circle((xp, yc), 0.07, fc=blue, ec=blue, zorder=3, gid="variant:peephole_dot"))
    if "f" in spec["peepholes"]:
        xf = P["forget_gate"][0]
        _path(ax, [(xp, yc), (xp, yg), (xf - gw / 2, yg)], blue, ls="--", gid="variant:peephole_f")
        text((xp - 0.12, 4.45), "$p_f$", blue, ha="right", gid="variant:peephole_f_label")
    if "i" in spec["peepholes"]:
        xi = P["input_gate"][0] - 0.28
        _path(ax, [(xp, yc), (xp, y_route), (xi, y_route), (xi, top)], blue, ls="--", gid="variant:peephole_i")
        text((3.38, y_route + 0.07), "$p_i$", blue, va="bottom",
             gid="variant:peephole_i_label")
    if "o" in spec["peepholes"]:
        xo_src, xo = 8.35, P["output_gate"][0] + 0.28
        ax.add_artist(Circle((xo_src, yc), 0.07, fc=blue, ec=blue, zorder=3, gid="variant:peephole_o_dot"))
        _path(ax, [(xo_src, yc), (xo_src, y_route), (xo, y_route), (xo, top)], blue, ls="--",
              gid="variant:peephole_o")
        text((xo_src - 0.1, 4.5), "$p_o$", blue, ha="right", gid="variant:peephole_o_label")

    # a removed gate: a dashed box holding the constant 1, no longer fed by the bus
    if "constant" in spec:
        part = spec["constant"]
        for artist in _artists(ax, f"lstm:{part}_feed"):
            artist.remove()
        for artist in _artists(ax, f"lstm:{part}_gate"):
            artist.set_linestyle("--")
            artist.set_facecolor("white")
        for artist in _artists(ax, f"lstm:{part}_gate:text"):
            artist.set_text("$1$")
            artist.set_color(LSTM_PART_COLORS[part])
    # an activation replaced by the identity
    if variant == "NIAF":
        for artist in _artists(ax, "lstm:candidate_gate:text"):
            artist.set_text("id")
    if variant == "NOAF":
        for artist in _artists(ax, "lstm:cell_tanh:text"):
            artist.set_text("id")
    # coupled gates: the forget gate is 1 - i, computed from the input gate
    if variant == "CIFG":
        for artist in _artists(ax, "lstm:forget_feed"):
            artist.remove()
        for artist in _artists(ax, "lstm:forget_gate:text"):
            artist.set_text("$1-$")
        xf, xi = P["forget_gate"][0], P["input_gate"][0]
        _path(ax, [(xi - gw / 2, yg), (xf + gw / 2, yg)], LSTM_PART_COLORS["input"], lw=2.9,
              gid="variant:coupling")
    # full gate recurrence: [i, f, o] of the previous step feed all three gates
    if variant == "FGR":
        red = COLORS["highlight"]
        y_fgr = 1.75
        xs = [P[k][0] + 0.3 for k in ("forget_gate", "input_gate", "output_gate")]
        _path(ax, [(xs[0] - 0.75, y_fgr), (xs[-1], y_fgr)], red, arrow=False, gid="variant:fgr")
        for x in xs:
            _path(ax, [(x, y_fgr), (x, yg - gh / 2)], red, gid="variant:fgr")
        text((xs[0] - 0.8, y_fgr), "$(i, f, o)_{t-1}$", red, ha="right", gid="variant:fgr_label",
             size=fontsize - 3)
    return ax


#: The parts of the GRU drawing that :func:`draw_gru_cell` can highlight, and their colours.
GRU_PART_COLORS = {
    "update": "#D55E00",  # vermillion: the update gate z_t and the mix it controls
    "reset": "#CC79A7",  # reddish purple: the reset gate r_t
    "candidate": "#E69F00",  # orange: the candidate n_t
}


def draw_gru_cell(highlight=(), ax=None, labels=True, title=None, fontsize=15):
    r"""Draw the GRU cell in the layout of :func:`draw_lstm_cell`.

    The state line along the top carries :math:`h_{t-1}` through the
    multiplication by the update gate :math:`z_t` and the addition of
    :math:`(1 - z_t) \odot n_t` to :math:`h_t`; there is no separate cell
    state. :math:`h_{t-1}` also drops to the bus at the bottom, where
    :math:`x_t` joins it, and feeds the update gate :math:`z_t`, the reset
    gate :math:`r_t` and, through the reset gate's multiplication, the
    candidate :math:`n_t` (:math:`\tilde h_t` in the papers). As drawn, the
    reset gate scales the whole recurrent input of the candidate; PyTorch
    scales :math:`W_{hn} h_{t-1} + b_{hn}` (see :class:`lstm_helpers.cells.GRUCell`).

    Parameters
    ----------
    highlight : str or iterable of str
        Any of ``"update"``, ``"reset"``, ``"candidate"``
        (:data:`GRU_PART_COLORS`); the other parts are greyed.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of 8 x 5 inches is created if omitted.
    labels : bool
        Write the math labels.
    title : str, optional
    fontsize : float

    Returns
    -------
    matplotlib.axes.Axes
        Every artist carries a ``gid`` ``"gru:<element>"``.

    Raises
    ------
    ValueError
        If ``highlight`` names an unknown part (the message lists them).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_gru_cell(highlight="update")
    """
    import matplotlib.pyplot as plt

    if isinstance(highlight, str):
        highlight = (highlight,)
    highlight = tuple(highlight)
    for part in highlight:
        check_choice("highlight", part, tuple(GRU_PART_COLORS))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    P = LSTM_CELL_XY
    gw, gh = P["gate_size"]
    r = P["op_radius"]
    yc, ym, yg, yb = P["y_cell"], P["y_mul"], P["y_gate"], P["y_bus"]
    y_reset = 1.68
    xz, xr, xn = 3.0, 5.0, 7.0  # update gate, reset gate (and the 1 - z box above it), candidate
    x_route = 6.1  # where r_t turns down to the reset multiplication
    x_down = 0.95  # where h_{t-1} drops from the state line to the bus
    x0, y0, x1, y1 = P["outline"]
    ax.add_artist(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.45",
                                fc="#eef4fa", ec="#9aa7b3", lw=1.4, zorder=0, gid="gru:outline"))

    def style(part):
        if part is None or not highlight:
            return _LSTM_NORMAL["line"], _LSTM_NORMAL["face"], "black", 1.0
        if part in highlight:
            c = GRU_PART_COLORS[part]
            return c, c, "white", 1.45
        return _LSTM_GREY["line"], _LSTM_GREY["face"], _LSTM_GREY["text"], 1.0

    def path(name, points, part, arrow=True):
        line, _, _, wf = style(part)
        _path(ax, points, line, lw=2.0 * wf, arrow=arrow, zorder=1 + (wf > 1), gid="gru:" + name)

    def gate(name, at, text, part):
        line, face, color, wf = style(part)
        ax.add_artist(FancyBboxPatch((at[0] - gw / 2, at[1] - gh / 2), gw, gh, boxstyle="round,pad=0,rounding_size=0.1",
                                    fc=face, ec=line, lw=2.0 * wf, zorder=3, gid="gru:" + name))
        ax.text(*at, text, ha="center", va="center", fontsize=fontsize - 1, color=color, zorder=4,
                gid="gru:" + name + ":text")

    def op(name, at, text, part):
        line, _, _, wf = style(part)
        ax.add_artist(Circle(at, r, fc="white", ec=line, lw=2.0 * wf, zorder=3, gid="gru:" + name))
        ax.text(*at, text, ha="center", va="center", fontsize=fontsize + 1 if len(text) > 1 else fontsize,
                color=line, fontweight="bold", zorder=4, gid="gru:" + name + ":text")

    def label(name, at, text, part, ha="center", va="center"):
        if labels:
            line = style(part)[0] if part is not None and highlight else "black"
            ax.text(*at, text, ha=ha, va=va, fontsize=fontsize, color=line, zorder=4, gid="gru:" + name)

    def dot(name, at, part=None):
        line = style(part)[0]
        ax.add_artist(Circle(at, 0.07, fc=line, ec=line, zorder=2, gid="gru:" + name))

    # context: h_{t-1} on the state line and down to the bus, x_t joining from below
    path("state_in", [P["c_in"], (xz - r, yc)], None)
    path("h_down", [(x_down, yc), (x_down, yb), (xn, yb)], None, arrow=False)
    dot("h_down_dot", (x_down, yc))
    path("x_line", [P["x_in"], P["x_join"]], None, arrow=False)
    dot("x_join", P["x_join"])
    label("h_prev_label", (P["c_in"][0] - 0.15, yc), "$h_{t-1}$", None, ha="right")
    label("x_label", (P["x_in"][0], P["x_in"][1] - 0.12), "$x_t$", None, va="top")

    # update gate: z_t keeps the old state ...
    path("update_feed", [(xz, yb), (xz, yg - gh / 2)], "update")
    gate("update_gate", (xz, yg), r"$\sigma$", "update")
    path("update_arrow", [(xz, yg + gh / 2), (xz, yc - r)], "update")
    op("keep_mul", (xz, yc), r"$\times$", "update")
    label("update_label", (xz - 0.18, (yg + ym) / 2), "$z_t$", "update", ha="right")
    # ... and 1 - z_t lets the candidate in
    dot("update_split", (xz, ym), "update")
    path("one_minus_arrow", [(xz, ym), (xr - gw / 2, ym)], "update")
    gate("one_minus", (xr, ym), "$1-$", "update")
    path("one_minus_out", [(xr + gw / 2, ym), (xn - r, ym)], "update")
    op("mix_mul", (xn, ym), r"$\times$", "update")
    path("write_arrow", [(xn, ym + r), (xn, yc - r)], "update")
    path("state_mid", [(xz + r, yc), (xn - r, yc)], None)
    op("add", (xn, yc), "+", None)
    # reset gate: scales the recurrent input of the candidate
    path("reset_feed", [(xr, yb), (xr, yg - gh / 2)], "reset")
    gate("reset_gate", (xr, yg), r"$\sigma$", "reset")
    path("reset_arrow", [(xr + gw / 2, yg), (x_route, yg), (x_route, y_reset), (xn - r, y_reset)], "reset")
    label("reset_label", ((xr + gw / 2 + x_route) / 2, yg + 0.1), "$r_t$", "reset", va="bottom")
    op("reset_mul", (xn, y_reset), r"$\times$", "reset")
    # candidate n_t
    path("candidate_feed_low", [(xn, yb), (xn, y_reset - r)], "candidate")
    path("candidate_feed", [(xn, y_reset + r), (xn, yg - gh / 2)], "candidate")
    gate("candidate_gate", (xn, yg), r"$\tanh$", "candidate")
    path("candidate_arrow", [(xn, yg + gh / 2), (xn, ym - r)], "candidate")
    label("candidate_label", (xn + 0.2, (yg + ym) / 2), "$n_t$", "candidate", ha="left")
    # h_t leaves to the right (next step) and upwards (layer above)
    path("state_out", [(xn + r, yc), P["c_out"]], None)
    xs = P["h_split"][0]
    dot("h_split", (xs, yc))
    path("h_up", [(xs, yc), P["h_up"]], None)
    label("h_label", (P["c_out"][0] + 0.15, yc), "$h_t$", None, ha="left")
    label("h_up_label", (xs, P["h_up"][1] + 0.12), "$h_t$", None, va="bottom")
    xa, xb, ya, yb_ = P["limits"]
    ax.set_xlim(xa, xb)
    ax.set_ylim(ya, yb_)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize - 1)
    return ax
