"""Diagrams of recurrent networks, drawn with matplotlib.

Every figure of a network in the course is drawn here, once, so that a
chapter can show the same picture growing from section to section.
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

__all__ = ["draw_unrolled_rnn", "draw_sequence_patterns"]

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
    x0 = 2.6 if show_folded else 0.0
    width = x0 + 1.8 * (T + 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.45 * width, 3.6 if show_outputs else 2.8))
    y_in, y_h, y_out = 0.0, 1.5, 3.0
    if show_folded:
        _box(ax, (0.6, y_in), "$x_t$", COLORS["input"])
        _box(ax, (0.6, y_h), "$h_t$", COLORS["hidden"])
        _arrow(ax, (0.6, y_in + 0.3), (0.6, y_h - 0.3), "$W_{xh}$", (0.35, 0))
        ax.add_patch(
            FancyArrowPatch(
                (0.95, y_h + 0.1), (0.95, y_h - 0.1), arrowstyle="-|>", mutation_scale=14, lw=1.4,
                color=COLORS["edge"], connectionstyle="arc3,rad=-2.6",
            )
        )
        ax.text(1.65, y_h, "$W_{hh}$", ha="center", va="center", fontsize=10)
        if show_outputs:
            _box(ax, (0.6, y_out), "$y_t$", COLORS["output"])
            _arrow(ax, (0.6, y_h + 0.3), (0.6, y_out - 0.3), "$W_{hy}$", (0.35, 0))
        ax.text(2.05, y_h, "=", ha="center", va="center", fontsize=20)
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
