"""The LSTM variants of Greff et al. (2017) and the GRU, drawn in the layout of the LSTM cell (chapter 8)."""

from __future__ import annotations

from matplotlib.patches import Circle, FancyBboxPatch

from .._checks import check_choice
from .._variants import PEEPHOLES, VARIANTS
from ._base import COLORS, _artists, _path
from .lstm_cell import _LSTM_GREY, _LSTM_NORMAL, LSTM_CELL_XY, LSTM_PART_COLORS, draw_lstm_cell

__all__ = ["PEEPHOLE_COLOR", "GRU_PART_COLORS", "draw_lstm_variant", "draw_gru_cell"]


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


def draw_lstm_variant(variant="vanilla", ax=None, labels=True, title=None, fontsize=15):
    r"""Draw one LSTM variant of Greff et al. (2017): the cell of :func:`~lstm_helpers.diagrams.lstm_cell.draw_lstm_cell`, changed.

    The drawing starts from the full cell and shows what the variant changes
    (see :data:`lstm_helpers.cells.VARIANTS`): peephole connections
    (dashed, sky blue: :math:`c_{t-1}` into the input and forget gates,
    :math:`c_t` into the output gate) for every variant except ``"NP"``; a
    removed gate as a dashed box holding the constant 1 (``"NIG"``,
    ``"NFG"``, ``"NOG"``); an activation function replaced by the identity
    (``"NIAF"``: the candidate, ``"NOAF"``: the output); the forget gate
    computed as :math:`1 - i_t` (``"CIFG"``); and the gates' previous
    activations fed back into the gates (``"FGR"``). The changed parts are
    highlighted in their colours (:data:`~lstm_helpers.diagrams.lstm_cell.LSTM_PART_COLORS`).

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
    r"""Draw the GRU cell in the layout of :func:`~lstm_helpers.diagrams.lstm_cell.draw_lstm_cell`.

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
