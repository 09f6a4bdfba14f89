r"""Layers of recurrent networks, drawn as boxes over time: stacked layers and a bidirectional LSTM (chapter 6).

The boxes stand for whole LSTM layers (or their states), not for the inside of
a cell; the labels use PyTorch's names (``output[:, t]``, ``h_n[k]``) so that
the figures read next to :class:`torch.nn.LSTM`.
"""

from __future__ import annotations

from .._checks import check_int
from ._base import COLORS, _arrow, _box

__all__ = ["BACKWARD_COLOR", "draw_stacked_lstm", "draw_bidirectional_lstm", "draw_stacked_and_bidirectional"]

#: Fill colour of the backward direction's states in :func:`draw_bidirectional_lstm` (light purple).
BACKWARD_COLOR = "#cab2d6"

_LEVEL = 1.4  # vertical distance between the rows of boxes


def _check_layout(steps, gap):
    steps = check_int("steps", steps, 1)
    if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not gap >= 1.5:
        raise ValueError(f"gap must be a number >= 1.5 (the boxes are 1.15 wide), got {gap!r}")
    return steps, float(gap)


def _new_axes(ax, steps, gap, rows):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9 * (gap * (steps - 1) + 4.0) / 10.0, 0.9 * (rows * _LEVEL + 1.9)))
    return ax


def _finish(ax, xs, y_top):
    ax.set_xlim(-2.0, xs[-1] + 2.0)
    ax.set_ylim(-0.5, y_top)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_stacked_lstm(steps=4, num_layers=2, ax=None, gap=2.0, title=None):
    r"""Draw ``num_layers`` stacked LSTM layers unrolled over ``steps`` steps.

    Every step has an input box :math:`x_t` at the bottom and one box per
    layer above it; each layer passes its state to the right, to its next
    step, and up, as the input of the layer above (dashed red: where
    ``dropout`` acts during training). The top layer's states are the
    ``output[:, t]``; each layer's last state leaves to the right as
    ``h_n[k]``.

    Parameters
    ----------
    steps : int
        Number of time steps drawn, at least 1.
    num_layers : int
        Number of stacked layers, at least 1.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created if omitted.
    gap : float
        Horizontal distance between steps, at least 1.5.
    title : str, optional
        Title of the axes; default: what the stack computes
        (``"num_layers=2: layer 2 reads the hidden states of layer 1"``).

    Returns
    -------
    matplotlib.axes.Axes
        The boxes carry ``gid`` ``"stack:x_<t>"`` and ``"stack:layer<k>_<t>"``
        (step ``t`` and layer ``k`` counted from 1), the arrows
        ``"stack:input_<t>"`` (:math:`x_t` into layer 1),
        ``"stack:dropout<k>_<t>"`` (layer ``k`` into layer ``k + 1``),
        ``"stack:state<k>_<t>"`` (step ``t - 1`` to step ``t``),
        ``"stack:output_<t>"`` and ``"stack:h_n<k>"``; the texts
        ``"stack:output_<t>:label"``, ``"stack:h_n<k>:label"`` and
        ``"stack:dropout"``.

    Raises
    ------
    ValueError
        If ``steps`` or ``num_layers`` is not an integer of at least 1, or
        ``gap`` is smaller than 1.5.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_stacked_lstm(steps=3, num_layers=2)
    >>> sum(str(p.get_gid()).startswith("stack:layer") for p in ax.patches)
    6
    """
    steps, gap = _check_layout(steps, gap)
    num_layers = check_int("num_layers", num_layers, 1)
    ax = _new_axes(ax, steps, gap, num_layers)
    red = COLORS["highlight"]
    xs = [gap * t for t in range(steps)]
    y_top = _LEVEL * num_layers
    for t, xp in enumerate(xs):
        _box(ax, (xp, 0), f"$x_{t + 1}$", COLORS["input"], w=0.9, gid=f"stack:x_{t + 1}")
        for layer in range(1, num_layers + 1):
            yp = _LEVEL * layer
            _box(ax, (xp, yp), f"layer {layer}", COLORS["hidden"], w=1.15, gid=f"stack:layer{layer}_{t + 1}")
            if t > 0:
                _arrow(ax, (xs[t - 1] + 0.6, yp), (xp - 0.6, yp), gid=f"stack:state{layer}_{t + 1}")
        _arrow(ax, (xp, 0.3), (xp, _LEVEL - 0.3), gid=f"stack:input_{t + 1}")
        for layer in range(1, num_layers):  # dashed: where dropout acts
            yp = _LEVEL * layer
            _arrow(ax, (xp, yp + 0.3), (xp, yp + _LEVEL - 0.3), color=red, linestyle="--",
                   gid=f"stack:dropout{layer}_{t + 1}")
        _arrow(ax, (xp, y_top + 0.3), (xp, y_top + 0.85), gid=f"stack:output_{t + 1}")
        ax.text(xp, y_top + 1.1, f"output[:, {t}]", ha="center", fontsize=12, gid=f"stack:output_{t + 1}:label")
    for layer in range(1, num_layers + 1):
        yp = _LEVEL * layer
        _arrow(ax, (xs[-1] + 0.6, yp), (xs[-1] + 1.1, yp), gid=f"stack:h_n{layer - 1}")
        ax.text(xs[-1] + 1.15, yp, f"h_n[{layer - 1}]", va="center", fontsize=12, gid=f"stack:h_n{layer - 1}:label")
    if num_layers > 1:
        ax.text(xs[0] - 0.25, 1.5 * _LEVEL, "dropout\n(training)", ha="right", va="center", fontsize=11, color=red,
                gid="stack:dropout")
    if title is None:
        if num_layers == 1:
            title = "num_layers=1: one layer"
        elif num_layers == 2:
            title = "num_layers=2: layer 2 reads the hidden states of layer 1"
        else:
            title = f"num_layers={num_layers}: each layer reads the hidden states of the layer below"
    ax.set_title(title, fontsize=13)
    _finish(ax, xs, y_top + 1.4)
    return ax


def draw_bidirectional_lstm(steps=4, ax=None, gap=2.0, title=None):
    r"""Draw a bidirectional LSTM unrolled over ``steps`` steps.

    Every input :math:`x_t` feeds two states: the forward one
    :math:`\overrightarrow{h}_t` (orange, lower row, passed to the right) and
    the backward one :math:`\overleftarrow{h}_t` (purple,
    :data:`BACKWARD_COLOR`, upper row, passed to the left). Both go up into
    ``output[:, t]``, their concatenation. The forward direction's last state
    leaves to the right as ``h_n[0]``, the backward direction's last state (at
    step 1) to the left as ``h_n[1]``. The forward boxes are shifted left and
    the backward ones right, so that no arrow crosses a box.

    Parameters
    ----------
    steps : int
        Number of time steps drawn, at least 1.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created if omitted.
    gap : float
        Horizontal distance between steps, at least 1.5.
    title : str, optional
        Title of the axes; default: what the output holds.

    Returns
    -------
    matplotlib.axes.Axes
        The boxes carry ``gid`` ``"bidir:x_<t>"``, ``"bidir:forward_<t>"`` and
        ``"bidir:backward_<t>"`` (step ``t`` counted from 1), the arrows
        ``"bidir:forward_state_<t>"`` (step ``t - 1`` to ``t``),
        ``"bidir:backward_state_<t>"`` (step ``t`` to ``t - 1``),
        ``"bidir:forward_input_<t>"``, ``"bidir:backward_input_<t>"``,
        ``"bidir:forward_output_<t>"``, ``"bidir:backward_output_<t>"``,
        ``"bidir:h_n0"`` and ``"bidir:h_n1"``; the texts
        ``"bidir:output_<t>:label"``, ``"bidir:h_n0:label"`` and
        ``"bidir:h_n1:label"``.

    Raises
    ------
    ValueError
        If ``steps`` is not an integer of at least 1, or ``gap`` is smaller
        than 1.5.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_bidirectional_lstm(steps=2)
    >>> sorted(t.get_text() for t in ax.texts if str(t.get_gid()).startswith("bidir:h_n"))
    ['h_n[0]', 'h_n[1]']
    """
    steps, gap = _check_layout(steps, gap)
    ax = _new_axes(ax, steps, gap, 2)
    xs = [gap * t for t in range(steps)]
    y_f, y_b = _LEVEL, 2 * _LEVEL
    shift = 0.38
    for t, xp in enumerate(xs):
        n = t + 1
        _box(ax, (xp, 0), f"$x_{n}$", COLORS["input"], w=1.1, gid=f"bidir:x_{n}")
        _box(ax, (xp - shift, y_f), r"$\overrightarrow{h}_{%d}$" % n, COLORS["hidden"], w=0.62,
             gid=f"bidir:forward_{n}")
        _box(ax, (xp + shift, y_b), r"$\overleftarrow{h}_{%d}$" % n, BACKWARD_COLOR, w=0.62, gid=f"bidir:backward_{n}")
        if t > 0:
            _arrow(ax, (xs[t - 1] - shift + 0.33, y_f), (xp - shift - 0.33, y_f), gid=f"bidir:forward_state_{n}")
            _arrow(ax, (xp + shift - 0.33, y_b), (xs[t - 1] + shift + 0.33, y_b), gid=f"bidir:backward_state_{n}")
        _arrow(ax, (xp - shift, 0.3), (xp - shift, y_f - 0.3), gid=f"bidir:forward_input_{n}")
        _arrow(ax, (xp + shift, 0.3), (xp + shift, y_b - 0.3), gid=f"bidir:backward_input_{n}")
        _arrow(ax, (xp - shift, y_f + 0.3), (xp - shift, y_b + 0.85), gid=f"bidir:forward_output_{n}")
        _arrow(ax, (xp + shift, y_b + 0.3), (xp + shift, y_b + 0.85), gid=f"bidir:backward_output_{n}")
        ax.text(xp, y_b + 1.1, f"output[:, {t}]", ha="center", fontsize=12, gid=f"bidir:output_{n}:label")
    _arrow(ax, (xs[-1] - shift + 0.33, y_f), (xs[-1] + 1.1, y_f), gid="bidir:h_n0")
    ax.text(xs[-1] + 1.15, y_f, "h_n[0]", va="center", fontsize=12, gid="bidir:h_n0:label")
    _arrow(ax, (xs[0] + shift - 0.33, y_b), (xs[0] - 1.1, y_b), gid="bidir:h_n1")
    ax.text(xs[0] - 1.15, y_b, "h_n[1]", ha="right", va="center", fontsize=12, gid="bidir:h_n1:label")
    if title is None:
        title = r"bidirectional=True: the output at step $t$ is $[\overrightarrow{h}_t, \overleftarrow{h}_t]$"
    ax.set_title(title, fontsize=13)
    _finish(ax, xs, y_b + 1.4)
    return ax


def draw_stacked_and_bidirectional(steps=4, gap=2.0):
    """Draw two panels, one above the other: two stacked LSTM layers and a bidirectional LSTM.

    The panels are :func:`draw_stacked_lstm` with ``num_layers=2`` and
    :func:`draw_bidirectional_lstm`, over the same ``steps`` and in the same
    layout, in a new figure of 9 x 8.6 inches (for four steps) whose layout is
    already tightened.

    Parameters
    ----------
    steps : int
        Number of time steps drawn in both panels, at least 1.
    gap : float
        Horizontal distance between steps, at least 1.5.

    Returns
    -------
    matplotlib.figure.Figure
        Its two axes, stacked panel first.

    Raises
    ------
    ValueError
        If ``steps`` is not an integer of at least 1, or ``gap`` is smaller
        than 1.5.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> len(draw_stacked_and_bidirectional(steps=3).axes)
    2
    """
    import matplotlib.pyplot as plt

    steps, gap = _check_layout(steps, gap)
    fig, (ax_s, ax_b) = plt.subplots(2, 1, figsize=(9 * (gap * (steps - 1) + 4.0) / 10.0, 8.6))
    draw_stacked_lstm(steps, num_layers=2, ax=ax_s, gap=gap)
    draw_bidirectional_lstm(steps, ax=ax_b, gap=gap)
    fig.tight_layout()
    return fig
