"""The LSTM unrolled over time: the cell of :func:`~lstm_helpers.diagrams.lstm_cell.draw_lstm_cell`, step after step."""

from __future__ import annotations

from .._checks import check_int
from .lstm_cell import (
    _LSTM_NORMAL,
    LSTM_CELL_XY,
    LSTM_PART_COLORS,
    LSTM_STAGES,
    _lstm_elements,
    _render_lstm_cell,
)

__all__ = ["draw_unrolled_lstm"]


def _time_index(offset):
    """The subscript of the step ``offset`` steps after ``t``: ``"t-1"``, ``"t"``, ``"t+2"``."""
    if offset == 0:
        return "t"
    return f"t{offset:+d}"


def draw_unrolled_lstm(steps=3, ax=None, highlight_cell_state=True, gate_labels=False, time_labels=None,
                       title=None, fontsize=15):
    r"""Draw an LSTM unrolled over time: the same cell repeated, step after step.

    Each step is the full cell of :func:`~lstm_helpers.diagrams.lstm_cell.draw_lstm_cell`, in the same layout,
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
        (:data:`~lstm_helpers.diagrams.lstm_cell.LSTM_PART_COLORS` ``["cell"]``) and thicker; the rest stays
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
        with the element names of :func:`~lstm_helpers.diagrams.lstm_cell.draw_lstm_cell` (for example
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

