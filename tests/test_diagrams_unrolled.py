"""The unrolled LSTM drawing: one cell per step, joined along the cell state and the hidden state."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from lstm_helpers.diagrams import LSTM_CELL_XY, LSTM_PART_COLORS, draw_lstm_cell, draw_unrolled_lstm  # noqa: E402

CELL = to_hex(LSTM_PART_COLORS["cell"])
NORMAL = "#333333"


def teardown_function():
    plt.close("all")


def by_gid(ax):
    return {a.get_gid(): a for a in ax.get_children() if a.get_gid()}


def ends(arrow):
    """First and last point of the line an arrow follows, in data units (before its head is added)."""
    vertices = arrow._path_original.vertices
    return tuple(vertices[0]), tuple(vertices[-1])


def texts(ax):
    return {t.get_gid(): t.get_text() for t in ax.texts}


def test_draws_three_steps_with_time_indexed_labels():
    ax = draw_unrolled_lstm()
    ax.figure.canvas.draw()
    artists = by_gid(ax)
    assert [k for k in range(5) if f"unrolled:{k}:outline" in artists] == [0, 1, 2]
    labels = set(texts(ax).values())
    for index in ("t-1", "t", "t+1"):
        assert f"$x_{{{index}}}$" in labels  # inputs below
        assert f"$c_{{{index}}}$" in labels  # cell state along the top
        assert f"$h_{{{index}}}$" in labels  # hidden state along the bottom and up
    assert "$c_{t-2}$" in labels and "$h_{t-2}$" in labels  # the states that enter the first step
    # every step is the full cell: four gate boxes and three multiplications
    for k in range(3):
        for part in ("forget", "input", "candidate", "output"):
            assert f"unrolled:{k}:{part}_gate" in artists
        for op in ("forget_mul", "input_mul", "output_mul", "add"):
            assert f"unrolled:{k}:{op}" in artists
    assert not any(t.startswith("$f_") for t in labels), "gate labels are off by default"


def test_the_steps_are_joined_along_both_states():
    P = LSTM_CELL_XY
    pitch = P["c_out"][0] - P["c_in"][0]
    ax = draw_unrolled_lstm(steps=4)
    artists = by_gid(ax)
    for k in range(3):
        out_end = ends(artists[f"unrolled:{k}:cell_out"])[1]
        in_start = ends(artists[f"unrolled:{k + 1}:cell_in"])[0]
        assert out_end == pytest.approx(in_start)
        assert out_end == pytest.approx((P["c_out"][0] + k * pitch, P["y_cell"]))
        h_end = ends(artists[f"unrolled:{k}:h_path"])[1]
        bus_start = ends(artists[f"unrolled:{k + 1}:bus"])[0]
        assert h_end == pytest.approx(bus_start)
        assert h_end == pytest.approx((P["h_out"][0] + k * pitch, P["y_bus"]))


def test_the_cell_state_is_highlighted_through_all_steps():
    for flag, expected in ((True, CELL), (False, NORMAL)):
        artists = by_gid(draw_unrolled_lstm(steps=2, highlight_cell_state=flag))
        for k in range(2):
            for name in ("cell_in", "cell_mid", "cell_out", "add", "forget_mul"):
                assert to_hex(artists[f"unrolled:{k}:{name}"].get_edgecolor()) == expected, (flag, name)
            # the gates are never coloured: only the line is singled out
            assert to_hex(artists[f"unrolled:{k}:forget_gate"].get_edgecolor()) == NORMAL
            assert to_hex(artists[f"unrolled:{k}:bus"].get_edgecolor()) == NORMAL


def test_gate_labels_and_custom_time_labels():
    ax = draw_unrolled_lstm(steps=2, gate_labels=True, time_labels=("1", "2"), title="two steps")
    labels = set(texts(ax).values())
    for index in ("1", "2"):
        for gate in ("f", "i", r"\tilde c", "o"):
            assert f"${gate}_{{{index}}}$" in labels
        assert f"$x_{{{index}}}$" in labels
    assert "$c_{0}$" in labels and "$h_{0}$" in labels
    assert ax.get_title() == "two steps"
    symbolic = set(texts(draw_unrolled_lstm(steps=1, time_labels=("T",))).values())
    assert {"$c_{T-1}$", "$x_{T}$", "$c_{T}$"} <= symbolic


def test_draws_on_a_given_axes_and_leaves_the_cell_drawing_alone():
    fig, (a, b) = plt.subplots(1, 2)
    assert draw_unrolled_lstm(steps=1, ax=a) is a
    single = draw_lstm_cell(ax=b)
    assert not [x for x in single.get_children() if str(x.get_gid()).startswith("unrolled:")]


@pytest.mark.parametrize("steps", [0, -1, 2.5, True, "3", None])
def test_bad_steps_raise(steps):
    with pytest.raises(ValueError, match="steps"):
        draw_unrolled_lstm(steps=steps)


@pytest.mark.parametrize("time_labels", [("1", "2"), ("1", "2", "3", "4"), "123", ("1", 2, "3")])
def test_bad_time_labels_raise(time_labels):
    with pytest.raises(ValueError, match="time_labels"):
        draw_unrolled_lstm(steps=3, time_labels=time_labels)
