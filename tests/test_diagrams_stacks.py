"""Chapter 6's figures: stacked LSTM layers and a bidirectional LSTM, unrolled over time."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from lstm_helpers.diagrams import (  # noqa: E402
    BACKWARD_COLOR,
    COLORS,
    draw_bidirectional_lstm,
    draw_stacked_and_bidirectional,
    draw_stacked_lstm,
)

RED, BLACK = to_hex(COLORS["highlight"]), to_hex(COLORS["edge"])


def teardown_function():
    plt.close("all")


def by_gid(ax):
    return {a.get_gid(): a for a in ax.get_children() if a.get_gid()}


def n_patches(ax, kind, prefix):
    return sum(isinstance(p, kind) and str(p.get_gid()).startswith(prefix) for p in ax.patches)


@pytest.mark.parametrize("steps", [1, 2, 4])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_stack_draws_one_box_per_layer_and_step(steps, num_layers):
    ax = draw_stacked_lstm(steps=steps, num_layers=num_layers)
    assert n_patches(ax, FancyBboxPatch, "stack:") == steps * (1 + num_layers)
    # arrows: into layer 1, between layers, out at the top, along time, and h_n of every layer
    expected_arrows = steps * (1 + (num_layers - 1) + 1) + num_layers * (steps - 1) + num_layers
    assert n_patches(ax, FancyArrowPatch, "stack:") == expected_arrows
    artists = by_gid(ax)
    for t in range(1, steps + 1):
        assert artists[f"stack:x_{t}:text"].get_text() == f"$x_{t}$"
        for layer in range(1, num_layers + 1):
            assert artists[f"stack:layer{layer}_{t}:text"].get_text() == f"layer {layer}"
            assert to_hex(artists[f"stack:layer{layer}_{t}"].get_facecolor()) == to_hex(COLORS["hidden"])
        assert artists[f"stack:output_{t}:label"].get_text() == f"output[:, {t - 1}]"
        # dropout acts between layers: dashed and red; everything else black and solid
        for layer in range(1, num_layers):
            arrow = artists[f"stack:dropout{layer}_{t}"]
            assert to_hex(arrow.get_edgecolor()) == RED and arrow.get_linestyle() == "--"
        assert f"stack:dropout{num_layers}_{t}" not in artists
        assert to_hex(artists[f"stack:input_{t}"].get_edgecolor()) == BLACK
        assert artists[f"stack:input_{t}"].get_linestyle() == "-"
    assert [artists[f"stack:h_n{k}:label"].get_text() for k in range(num_layers)] == [
        f"h_n[{k}]" for k in range(num_layers)]
    assert ("stack:dropout" in artists) == (num_layers > 1)
    ax.figure.canvas.draw()


def test_two_layers_keep_the_chapter_title_and_limits():
    ax = draw_stacked_lstm()
    assert ax.get_title() == "num_layers=2: layer 2 reads the hidden states of layer 1"
    assert ax.get_xlim() == pytest.approx((-2.0, 8.0)) and ax.get_ylim() == pytest.approx((-0.5, 4.2))
    assert draw_stacked_lstm(num_layers=3, title="three").get_title() == "three"


@pytest.mark.parametrize("steps", [1, 3, 4])
def test_bidirectional_draws_two_directions(steps):
    ax = draw_bidirectional_lstm(steps=steps)
    artists = by_gid(ax)
    assert n_patches(ax, FancyBboxPatch, "bidir:") == 3 * steps
    assert n_patches(ax, FancyArrowPatch, "bidir:") == 4 * steps + 2 * (steps - 1) + 2
    for t in range(1, steps + 1):
        assert artists[f"bidir:forward_{t}:text"].get_text() == r"$\overrightarrow{h}_{%d}$" % t
        assert artists[f"bidir:backward_{t}:text"].get_text() == r"$\overleftarrow{h}_{%d}$" % t
        assert to_hex(artists[f"bidir:forward_{t}"].get_facecolor()) == to_hex(COLORS["hidden"])
        assert to_hex(artists[f"bidir:backward_{t}"].get_facecolor()) == to_hex(BACKWARD_COLOR)
    for t in range(2, steps + 1):  # the forward state goes right, the backward state left
        start, end = artists[f"bidir:forward_state_{t}"]._posA_posB
        assert end[0] > start[0]
        start, end = artists[f"bidir:backward_state_{t}"]._posA_posB
        assert end[0] < start[0]
    # h_n[0] leaves the last step to the right, h_n[1] the first step to the left
    assert artists["bidir:h_n0"]._posA_posB[1][0] > artists[f"bidir:x_{steps}"].get_x()
    assert artists["bidir:h_n1"]._posA_posB[1][0] < artists["bidir:x_1"].get_x()
    assert {artists["bidir:h_n0:label"].get_text(), artists["bidir:h_n1:label"].get_text()} == {"h_n[0]", "h_n[1]"}
    assert ax.get_title().startswith("bidirectional=True")


def test_both_panels_in_one_figure():
    fig = draw_stacked_and_bidirectional()
    ax_s, ax_b = fig.axes
    assert tuple(fig.get_size_inches()) == pytest.approx((9, 8.6))
    assert any(str(g).startswith("stack:") for g in by_gid(ax_s))
    assert any(str(g).startswith("bidir:") for g in by_gid(ax_b))
    assert n_patches(ax_s, FancyBboxPatch, "stack:layer") == 8
    fig.canvas.draw()


@pytest.mark.parametrize("draw", [draw_stacked_lstm, draw_bidirectional_lstm, draw_stacked_and_bidirectional])
@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps"), ({"steps": 2.5}, "steps"), ({"steps": True}, "steps"),
    ({"gap": 1.0}, "gap"), ({"gap": "2"}, "gap"),
])
def test_bad_layout_raises(draw, kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw(**kwargs)


@pytest.mark.parametrize("num_layers", [0, -1, 1.5, None])
def test_bad_num_layers_raises(num_layers):
    with pytest.raises(ValueError, match="num_layers"):
        draw_stacked_lstm(num_layers=num_layers)
