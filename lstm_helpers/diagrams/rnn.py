"""Drawings of the vanilla RNN: folded and unrolled, the four input/output patterns, backpropagation through time.

Chapters 1 and 2 draw these. Every box and arrow carries a ``gid`` (see each
function's *Returns*), so that a test or a later cell can find it.
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath

from ._base import COLORS, _arrow, _box, _check_text, _check_tokens

__all__ = ["draw_unrolled_rnn", "draw_sequence_patterns", "draw_bptt"]


def draw_unrolled_rnn(tokens=("The", "cat", "sat"), ax=None, show_outputs=True, show_folded=True, output_label="y"):
    r"""Draw a vanilla RNN, folded (with its loop) and unrolled over ``tokens``.

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
    output_label : str
        The symbol of the outputs, as LaTeX math without dollars: ``"y"``
        (the default) writes :math:`y_1, y_2, \dots`, ``r"\hat y"`` writes
        the predictions :math:`\hat y_1, \hat y_2, \dots`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (axis lines hidden). The boxes of step ``t``
        (counted from 1) carry ``gid`` ``"rnn:x_<t>"``, ``"rnn:h_<t>"``,
        ``"rnn:y_<t>"`` (their texts ``"...:text"``), the initial state
        ``"rnn:h_0"``; the arrows ``"rnn:Wxh_<t>"``, ``"rnn:Whh_<t>"`` and
        ``"rnn:Why_<t>"`` (their labels ``"...:label"``); the folded network
        ``"rnn:folded:<name>"``.

    Raises
    ------
    ValueError
        If ``tokens`` is empty or one string, or ``output_label`` is not a
        non-empty string.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_unrolled_rnn(("a", "b"), output_label=r"\hat y")
    >>> sorted(t.get_text() for t in ax.texts if t.get_text().startswith(r"$\hat"))
    ['$\\hat y_t$', '$\\hat y_{1}$', '$\\hat y_{2}$']
    """
    import matplotlib.pyplot as plt

    tokens = _check_tokens(tokens)
    y = _check_text("output_label", output_label)
    T = len(tokens)
    x0 = 2.7 if show_folded else 0.0
    width = x0 + 1.8 * (T + 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.45 * width, 3.6 if show_outputs else 2.8))
    y_in, y_h, y_out = 0.0, 1.5, 3.0
    if show_folded:
        _box(ax, (0.6, y_in), "$x_t$", COLORS["input"], gid="rnn:folded:x")
        _box(ax, (0.6, y_h), "$h_t$", COLORS["hidden"], gid="rnn:folded:h")
        _arrow(ax, (0.6, y_in + 0.3), (0.6, y_h - 0.3), "$W_{xh}$", (0.35, 0), gid="rnn:folded:Wxh")
        loop = MplPath(
            [(1.0, y_h + 0.14), (1.5, y_h + 0.14), (1.5, y_h - 0.14), (1.0, y_h - 0.14)],
            [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO],
        )
        ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=14, lw=1.4, color=COLORS["edge"],
                                     gid="rnn:folded:Whh"))
        ax.text(1.55, y_h + 0.42, "$W_{hh}$", ha="center", va="center", fontsize=10, gid="rnn:folded:Whh:label")
        if show_outputs:
            _box(ax, (0.6, y_out), f"${y}_t$", COLORS["output"], gid="rnn:folded:y")
            _arrow(ax, (0.6, y_h + 0.3), (0.6, y_out - 0.3), "$W_{hy}$", (0.35, 0), gid="rnn:folded:Why")
        ax.text(2.2, y_h, "=", ha="center", va="center", fontsize=20, gid="rnn:folded:equals")
    # h_0 then one column per token
    _box(ax, (x0 + 0.6, y_h), "$h_0$", "white", gid="rnn:h_0")
    for t, word in enumerate(tokens, start=1):
        cx = x0 + 0.6 + 1.8 * t
        _box(ax, (cx, y_in), f"$x_{{{t}}}$", COLORS["input"], gid=f"rnn:x_{t}")
        ax.text(cx, y_in - 0.55, f"\u201c{word}\u201d", ha="center", va="center", fontsize=11, style="italic",
                gid=f"rnn:word_{t}")
        _box(ax, (cx, y_h), f"$h_{{{t}}}$", COLORS["hidden"], gid=f"rnn:h_{t}")
        _arrow(ax, (cx, y_in + 0.3), (cx, y_h - 0.3), "$W_{xh}$", (0.35, 0), gid=f"rnn:Wxh_{t}")
        _arrow(ax, (cx - 1.4, y_h), (cx - 0.4, y_h), "$W_{hh}$", (0, 0.22), gid=f"rnn:Whh_{t}")
        if show_outputs:
            _box(ax, (cx, y_out), f"${y}_{{{t}}}$", COLORS["output"], gid=f"rnn:y_{t}")
            _arrow(ax, (cx, y_h + 0.3), (cx, y_out - 0.3), "$W_{hy}$", (0.35, 0), gid=f"rnn:Why_{t}")
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
        _box(ax, (cx, y_h), "", COLORS["hidden"], w=0.6, h=0.45, gid=f"pattern:h_{t}")
        if t > 0:
            _arrow(ax, (cx - 0.9, y_h), (cx - 0.3, y_h), gid=f"pattern:state_{t}")
        if word_in is not None:
            _box(ax, (cx, y_in), "", COLORS["input"], w=0.6, h=0.45, gid=f"pattern:x_{t}")
            _arrow(ax, (cx, y_in + 0.225), (cx, y_h - 0.225), gid=f"pattern:read_{t}")
            ax.text(cx, y_in - 0.45, word_in, ha="center", va="center", fontsize=fontsize, style="italic")
        if word_out is not None:
            _box(ax, (cx, y_out), "", COLORS["output"], w=0.6, h=0.45, gid=f"pattern:y_{t}")
            _arrow(ax, (cx, y_h + 0.225), (cx, y_out - 0.225), gid=f"pattern:emit_{t}")
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
        The four axes drawn on (axis lines hidden). In each, the boxes of
        step ``t`` (counted from 0) carry ``gid`` ``"pattern:x_<t>"``,
        ``"pattern:h_<t>"`` and ``"pattern:y_<t>"``, the arrows
        ``"pattern:read_<t>"``, ``"pattern:state_<t>"`` and ``"pattern:emit_<t>"``.

    Raises
    ------
    ValueError
        If ``axes`` is given and does not hold exactly four axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> [ax.get_title().split(":")[0] for ax in draw_sequence_patterns()]
    ['One-to-many', 'Many-to-one', 'Many-to-many', 'Synced many-to-many']
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


def draw_bptt(tokens=("The", "cat", "sat"), ax=None):
    r"""Draw backpropagation through time: the unrolled RNN with a loss at every step, the backward pass in red.

    The network of :func:`draw_unrolled_rnn` (without the folded one), its
    outputs written as predictions :math:`\hat y_t`, gets a loss box
    :math:`L_t` above every prediction and the total
    :math:`L = L_1 + \dots + L_T` on top. Black arrows are the forward pass;
    red arrows the backward pass: from every :math:`L_t` down to
    :math:`\hat y_t`, from :math:`\hat y_t` down to :math:`h_t`, and from
    every :math:`h_t` back to :math:`h_{t-1}`. With two or more steps, the two
    ways into :math:`h_{T-1}` are labelled: via :math:`\hat y_{T-1}` and via
    :math:`h_T`.

    Parameters
    ----------
    tokens : sequence of str
        One word per time step (at least one).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure (7.5 x 6.2 inches for three steps, wider
        for more) is created if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Besides the gids of :func:`draw_unrolled_rnn`, step ``t`` (from 1)
        carries ``"bptt:loss_<t>"`` (the loss box; its text
        ``"bptt:loss_<t>:text"``), ``"bptt:forward_<t>"`` (the black arrow
        into the loss) and the red arrows ``"bptt:back_loss_<t>"`` (:math:`L_t
        \to \hat y_t`), ``"bptt:back_output_<t>"`` (:math:`\hat y_t \to h_t`)
        and ``"bptt:back_state_<t>"`` (:math:`h_t \to h_{t-1}`); the texts
        ``"bptt:total"``, ``"bptt:legend"``, ``"bptt:via_output"`` and
        ``"bptt:via_state"``.

    Raises
    ------
    ValueError
        If ``tokens`` is empty or one string.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_bptt(("a", "b"))
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "bptt:total"]
    ['$L = L_1 + L_2$']
    """
    import matplotlib.pyplot as plt

    tokens = _check_tokens(tokens)
    T = len(tokens)
    x_max = 0.6 + 1.8 * T + 0.6
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5 * x_max / 6.6, 6.2))
    draw_unrolled_rnn(tokens, ax=ax, show_folded=False, output_label=r"\hat y")
    red, black = COLORS["highlight"], COLORS["edge"]

    def arrow(start, end, color, gid, rad=0.0):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.8,
                                     color=color, connectionstyle=f"arc3,rad={rad}", gid=gid))

    y_h, y_out, y_loss = 1.5, 3.0, 4.3
    for t in range(1, T + 1):
        cx = 0.6 + 1.8 * t
        ax.add_patch(FancyBboxPatch((cx - 0.4, y_loss - 0.25), 0.8, 0.5,
                                    boxstyle="round,pad=0.04", fc="white", ec=black, lw=1.4, gid=f"bptt:loss_{t}"))
        ax.text(cx, y_loss, f"$L_{{{t}}}$", ha="center", va="center", fontsize=12, gid=f"bptt:loss_{t}:text")
        arrow((cx, y_out + 0.3), (cx, y_loss - 0.3), black, f"bptt:forward_{t}")
        arrow((cx - 0.25, y_loss - 0.3), (cx - 0.25, y_out + 0.3), red, f"bptt:back_loss_{t}")  # L_t -> y_t
        arrow((cx - 0.25, y_out - 0.3), (cx - 0.25, y_h + 0.3), red, f"bptt:back_output_{t}")  # y_t -> h_t
        arrow((cx - 0.42, y_h - 0.2), (cx - 1.38, y_h - 0.2), red, f"bptt:back_state_{t}", rad=-0.5)  # h_t -> h_{t-1}
    if T >= 2:  # the two ways back into h_{T-1}
        ax.text(0.6 + 1.8 * (T - 1) - 0.3, y_out - 0.75, rf"via $\hat y_{T - 1}$", color=red, ha="right",
                fontsize=12, gid="bptt:via_output")
        ax.text(0.6 + 1.8 * (T - 0.5), 0.75, f"via $h_{T}$", color=red, ha="center", fontsize=12,
                gid="bptt:via_state")
    total = " + ".join(f"L_{t}" for t in range(1, T + 1))
    ax.text(0.6 + 0.9 * (T + 1), 5.0, f"$L = {total}$", ha="center", fontsize=13, gid="bptt:total")
    ax.text(x_max / 2, -1.2, "black: forward pass      red: backward pass", ha="center", fontsize=12,
            gid="bptt:legend")
    ax.set_xlim(0, x_max)
    ax.set_ylim(-1.45, 5.3)
    return ax
