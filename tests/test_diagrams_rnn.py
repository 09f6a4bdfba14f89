"""The RNN drawings: the unrolled RNN, the four input/output patterns, backpropagation through time."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from lstm_helpers.diagrams import COLORS, draw_bptt, draw_sequence_patterns, draw_unrolled_rnn  # noqa: E402

RED, BLACK = to_hex(COLORS["highlight"]), to_hex(COLORS["edge"])


def teardown_function():
    plt.close("all")


def by_gid(ax):
    return {a.get_gid(): a for a in ax.get_children() if a.get_gid()}


def texts(ax):
    return [t.get_text() for t in ax.texts]


def count(ax, kind, prefix=""):
    return sum(isinstance(p, kind) and str(p.get_gid()).startswith(prefix) for p in ax.patches)


# --------------------------------------------------------------------------- the unrolled RNN


@pytest.mark.parametrize("T", [1, 3, 5])
@pytest.mark.parametrize("show_outputs", [True, False])
@pytest.mark.parametrize("show_folded", [True, False])
def test_unrolled_rnn_draws_one_column_per_token(T, show_outputs, show_folded):
    tokens = [f"w{t}" for t in range(T)]
    ax = draw_unrolled_rnn(tokens, show_outputs=show_outputs, show_folded=show_folded)
    per_step = 3 if show_outputs else 2
    folded = (per_step if show_folded else 0)
    # boxes: h_0, then x_t, h_t (and y_t) per step, plus the folded network's
    assert count(ax, FancyBboxPatch) == 1 + per_step * T + folded
    # arrows: W_xh, W_hh (and W_hy) per step, plus the folded network's (its loop included)
    assert count(ax, FancyArrowPatch) == per_step * T + folded
    artists = by_gid(ax)
    assert {f"rnn:h_{t}" for t in range(T + 1)} <= set(artists)
    assert (f"rnn:y_{T}" in artists) == show_outputs
    assert ("rnn:folded:h" in artists) == show_folded
    labels = texts(ax)
    assert [f"\u201cw{t}\u201d" for t in range(T)] == [x for x in labels if x.startswith("\u201c")]
    assert labels.count("$W_{xh}$") == T + show_folded
    assert labels.count("$W_{hy}$") == (T + show_folded) * show_outputs
    for t in range(1, T + 1):
        assert artists[f"rnn:x_{t}:text"].get_text() == f"$x_{{{t}}}$"
        assert to_hex(artists[f"rnn:x_{t}"].get_facecolor()) == to_hex(COLORS["input"])
        assert to_hex(artists[f"rnn:h_{t}"].get_facecolor()) == to_hex(COLORS["hidden"])
    ax.figure.canvas.draw()


def test_the_output_label_is_a_parameter():
    ax = draw_unrolled_rnn(("a", "b"), output_label=r"\hat y")
    labels = texts(ax)
    assert {r"$\hat y_{1}$", r"$\hat y_{2}$", r"$\hat y_t$"} <= set(labels)
    assert not [x for x in labels if x.startswith("$y_")]
    plain = texts(draw_unrolled_rnn(("a", "b")))
    assert {"$y_{1}$", "$y_{2}$", "$y_t$"} <= set(plain)


@pytest.mark.parametrize("kwargs, match", [
    ({"tokens": ()}, "at least one"),
    ({"tokens": []}, "at least one"),
    ({"tokens": "cat"}, "not one string"),
    ({"output_label": ""}, "output_label"),
    ({"output_label": None}, "output_label"),
])
def test_unrolled_rnn_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw_unrolled_rnn(**kwargs)


# --------------------------------------------------------------------------- the four patterns


def test_sequence_patterns_draw_the_boxes_of_each_example():
    axes = draw_sequence_patterns()
    # (inputs, hidden states, outputs) per panel: one-to-many, many-to-one, encoder-decoder, synced
    expected = [(1, 4, 4), (4, 4, 1), (2, 5, 3), (3, 3, 3)]
    for ax, (n_in, n_h, n_out) in zip(axes, expected):
        gids = [str(p.get_gid()) for p in ax.patches]
        assert sum(g.startswith("pattern:x_") for g in gids) == n_in
        assert sum(g.startswith("pattern:h_") for g in gids) == n_h
        assert sum(g.startswith("pattern:y_") for g in gids) == n_out
        arrows = [g for g in gids if g.startswith(("pattern:read_", "pattern:state_", "pattern:emit_"))]
        assert len(arrows) == n_in + (n_h - 1) + n_out
    assert "positive" in texts(axes[1]) and "dorment" in texts(axes[2])
    assert [ax.get_title().split(":")[0] for ax in axes] == [
        "One-to-many", "Many-to-one", "Many-to-many", "Synced many-to-many"]
    legend = axes[0].figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["input $x_t$", "hidden state $h_t$", "output $y_t$"]


# --------------------------------------------------------------------------- BPTT


@pytest.mark.parametrize("T", [1, 2, 3, 4])
def test_bptt_draws_a_loss_and_three_red_arrows_per_step(T):
    tokens = [f"w{t}" for t in range(T)]
    ax = draw_bptt(tokens)
    artists = by_gid(ax)
    for t in range(1, T + 1):
        assert artists[f"bptt:loss_{t}:text"].get_text() == f"$L_{{{t}}}$"
        assert to_hex(artists[f"bptt:forward_{t}"].get_edgecolor()) == BLACK
        for name in ("back_loss", "back_output", "back_state"):
            assert to_hex(artists[f"bptt:{name}_{t}"].get_edgecolor()) == RED, (name, t)
    reds = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and to_hex(p.get_edgecolor()) == RED]
    assert len(reds) == 3 * T
    # the network itself is black: 3 arrows per step, plus one into each loss
    blacks = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and to_hex(p.get_edgecolor()) == BLACK]
    assert len(blacks) == 4 * T
    # the outputs are predictions: y-hat, never plain y
    labels = texts(ax)
    assert [x for x in labels if x.startswith(r"$\hat y_{")] == [rf"$\hat y_{{{t}}}$" for t in range(1, T + 1)]
    assert not [x for x in labels if x.startswith("$y_")]
    assert artists["bptt:total"].get_text() == "$L = " + " + ".join(f"L_{t}" for t in range(1, T + 1)) + "$"
    assert ("bptt:via_output" in artists) == (T >= 2)
    if T >= 2:
        assert artists["bptt:via_output"].get_text() == rf"via $\hat y_{T - 1}$"
        assert artists["bptt:via_state"].get_text() == f"via $h_{T}$"
        assert to_hex(artists["bptt:via_state"].get_color()) == RED
    assert "rnn:folded:h" not in artists
    ax.figure.canvas.draw()


def test_bptt_of_three_steps_keeps_its_size_and_limits():
    ax = draw_bptt()
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((7.5, 6.2))
    assert ax.get_xlim() == pytest.approx((0, 6.6)) and ax.get_ylim() == pytest.approx((-1.45, 5.3))
    _, given = plt.subplots()
    assert draw_bptt(("a",), ax=given) is given


@pytest.mark.parametrize("tokens", [(), [], "cat"])
def test_bptt_rejects_bad_tokens(tokens):
    with pytest.raises(ValueError, match="tokens"):
        draw_bptt(tokens)
