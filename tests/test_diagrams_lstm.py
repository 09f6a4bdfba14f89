"""The LSTM cell drawing: every stage and highlight renders, colours go where they belong."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from lstm_helpers.diagrams import (  # noqa: E402
    LSTM_CELL_XY,
    LSTM_PART_COLORS,
    LSTM_STAGES,
    draw_lstm_cell,
)

PARTS = tuple(LSTM_PART_COLORS)
SUBSETS = [combo for k in range(len(PARTS) + 1) for combo in itertools.combinations(PARTS, k)]
GREY = "#c4c4c4"
COLOR = {part: to_hex(c) for part, c in LSTM_PART_COLORS.items()}  # lower-case hex
NORMAL = "#333333"

# one element of each part whose only part is that one, and its gid
OWN_ELEMENTS = {
    "cell": ["lstm:cell_in", "lstm:cell_mid", "lstm:cell_out", "lstm:add"],
    "forget": ["lstm:forget_gate", "lstm:forget_arrow", "lstm:forget_feed"],
    "input": ["lstm:input_gate", "lstm:input_arrow"],
    "candidate": ["lstm:candidate_gate", "lstm:candidate_arrow"],
    "output": ["lstm:output_gate", "lstm:output_mul", "lstm:cell_tanh", "lstm:h_path"],
}


def teardown_function():
    plt.close("all")


def patches_by_gid(ax):
    return {p.get_gid(): p for p in ax.patches if p.get_gid()}


def edge(patch):
    return to_hex(patch.get_edgecolor())


def test_there_are_five_parts_and_five_stages():
    assert set(PARTS) == {"cell", "forget", "input", "candidate", "output"}
    assert LSTM_STAGES == ("rnn", "cell", "forget", "input", "lstm")
    assert len(SUBSETS) == 32
    assert len(set(LSTM_PART_COLORS.values())) == len(PARTS), "each part needs its own colour"


@pytest.mark.parametrize("highlight", SUBSETS, ids=lambda s: "+".join(s) or "none")
def test_every_highlight_subset_renders_in_its_colours(highlight):
    ax = draw_lstm_cell(highlight=highlight)
    ax.figure.canvas.draw()
    patches = patches_by_gid(ax)
    for part, gids in OWN_ELEMENTS.items():
        for gid in gids:
            if not highlight:
                expected = NORMAL
            elif part in highlight:
                expected = COLOR[part]
            else:
                expected = GREY
            assert edge(patches[gid]) == expected, (gid, highlight)
    # no element wears the colour of a part that is not highlighted
    strong = set(COLOR.values())
    wanted = {COLOR[p] for p in highlight}
    used = {edge(p) for p in ax.patches} & strong
    assert used == wanted
    # the highlighted gate boxes are filled with their colour
    for part in set(highlight) - {"cell"}:
        assert to_hex(patches[f"lstm:{part}_gate"].get_facecolor()) == COLOR[part]


def test_shared_elements_take_the_more_specific_colour():
    forget_mul = patches_by_gid(draw_lstm_cell(highlight=("cell", "forget")))["lstm:forget_mul"]
    assert edge(forget_mul) == COLOR["forget"]
    forget_mul = patches_by_gid(draw_lstm_cell(highlight=("cell",)))["lstm:forget_mul"]
    assert edge(forget_mul) == COLOR["cell"]
    write = patches_by_gid(draw_lstm_cell(highlight=("candidate", "cell")))["lstm:write_arrow"]
    assert edge(write) == COLOR["candidate"]


def test_inputs_are_never_greyed():
    patches = patches_by_gid(draw_lstm_cell(highlight=("forget",)))
    assert edge(patches["lstm:bus"]) == NORMAL
    assert edge(patches["lstm:x_line"]) == NORMAL


def test_labels_follow_the_highlight_and_can_be_switched_off():
    ax = draw_lstm_cell(highlight=("forget",))
    texts = {t.get_gid(): t for t in ax.texts}
    assert texts["lstm:forget_label"].get_text() == "$f_t$"
    assert to_hex(texts["lstm:forget_label"].get_color()) == COLOR["forget"]
    assert to_hex(texts["lstm:c_label"].get_color()) == GREY
    assert to_hex(texts["lstm:h_prev_label"].get_color()) == "#000000"
    for name in ("c_prev_label", "c_label", "h_label", "x_label", "input_label", "candidate_label",
                 "output_label"):
        assert f"lstm:{name}" in texts
    bare = draw_lstm_cell(labels=False)
    assert not [t for t in bare.texts if t.get_gid().endswith("_label")]


# which gate boxes and operations each stage draws
STAGE_CONTENT = {
    "rnn": ({"candidate"}, set()),
    "cell": ({"candidate"}, {"add", "cell_tanh"}),
    "forget": ({"candidate", "forget"}, {"add", "cell_tanh", "forget_mul"}),
    "input": ({"candidate", "forget", "input"}, {"add", "cell_tanh", "forget_mul", "input_mul"}),
    "lstm": ({"candidate", "forget", "input", "output"},
             {"add", "cell_tanh", "forget_mul", "input_mul", "output_mul"}),
}


@pytest.mark.parametrize("stage", LSTM_STAGES)
def test_every_stage_renders_its_pieces(stage):
    gates, ops = STAGE_CONTENT[stage]
    for highlight in ((), PARTS, ("cell", "output")):
        ax = draw_lstm_cell(stage=stage, highlight=highlight, title=stage)
        ax.figure.canvas.draw()
        gids = set(patches_by_gid(ax))
        assert {g[len("lstm:"):-len("_gate")] for g in gids if g.endswith("_gate")} == gates
        assert {g[len("lstm:"):] for g in gids} & set(STAGE_CONTENT["lstm"][1]) == ops
        assert ("lstm:cell_in" in gids) == (stage != "rnn")
        assert "lstm:h_path" in gids
        assert ax.get_title() == stage


def test_every_stage_and_subset_builds():
    _, ax = plt.subplots()
    for stage, highlight in itertools.product(LSTM_STAGES, SUBSETS):
        ax.clear()
        assert draw_lstm_cell(stage=stage, highlight=highlight, ax=ax) is ax
        assert ax.patches


def test_geometry_is_shared_by_all_stages():
    centres = []
    for stage in LSTM_STAGES:
        patches = patches_by_gid(draw_lstm_cell(stage=stage))
        gate = patches["lstm:candidate_gate"]
        centres.append((gate.get_x() + gate.get_width() / 2, gate.get_y() + gate.get_height() / 2))
    assert all(c == pytest.approx(LSTM_CELL_XY["candidate_gate"]) for c in centres)


def test_draws_on_a_given_axes_and_accepts_a_single_name():
    fig, (a, b) = plt.subplots(1, 2)
    assert draw_lstm_cell(ax=a, stage=None) is a
    assert draw_lstm_cell("forget", ax=b) is b
    assert edge(patches_by_gid(b)["lstm:forget_gate"]) == COLOR["forget"]


def test_unknown_names_raise_with_the_valid_choices():
    with pytest.raises(ValueError, match="highlight must be one of") as info:
        draw_lstm_cell(highlight=("forget", "forgot"))
    for part in PARTS:
        assert repr(part) in str(info.value)
    assert "'forgot'" in str(info.value)
    with pytest.raises(ValueError, match="stage must be one of") as info:
        draw_lstm_cell(stage="gru")
    for stage in LSTM_STAGES:
        assert repr(stage) in str(info.value)


# --------------------------------------------------------------------------- the backward paths (chapter 5)

BACKWARD_PATHS = {"from_c_next": 1, "from_h": 2, "past_add": 1, "to_c_prev": 1}  # segments per path


def test_backward_paths_are_drawn_on_the_full_cell():
    from lstm_helpers.diagrams import COLORS, draw_lstm_backward

    ax = draw_lstm_backward(title="backward")
    artists = {a.get_gid(): a for a in ax.get_children() if a.get_gid()}
    red = to_hex(COLORS["highlight"])
    segments = [g for g in artists if g.startswith("backward:") and not g.startswith("backward:label:")]
    assert len(segments) == sum(BACKWARD_PATHS.values())
    for path, n in BACKWARD_PATHS.items():
        for k in range(n):
            arrow = artists[f"backward:{path}:{k}"]
            assert to_hex(arrow.get_edgecolor()) == red
            # only the last segment of a path carries the head
            assert (type(arrow.get_arrowstyle()).__name__ == "CurveFilledB") == (k == n - 1), (path, k)
    labels = {g: artists[g].get_text() for g in segments + list(artists) if g.startswith("backward:label:")}
    assert labels == {"backward:label:from_c_next": "from $c_{t+1}$", "backward:label:from_h": "from $h_t$",
                      "backward:label:to_c_prev": r"$\mathrm{d}c_t \odot f_t$"}
    # the arrows go the way the gradient flows: from right to left along the cell
    for path in ("from_c_next", "past_add", "to_c_prev"):
        (x0, _), (x1, _) = artists[f"backward:{path}:0"]._posA_posB
        assert x1 < x0, path
    # ... and up from h_t to the cell line
    (_, y0), (_, y1) = artists["backward:from_h:1"]._posA_posB
    assert y1 > y0
    # the cell underneath is the full, unhighlighted cell
    for part in ("forget", "input", "candidate", "output"):
        assert edge(artists[f"lstm:{part}_gate"]) == NORMAL
    assert ax.get_title() == "backward"


def test_backward_paths_take_a_colour_and_an_axes():
    from lstm_helpers.diagrams import draw_lstm_backward

    _, given = plt.subplots()
    ax = draw_lstm_backward(ax=given, color="tab:purple", fontsize=9)
    assert ax is given
    arrow = [a for a in ax.patches if a.get_gid() == "backward:to_c_prev:0"][0]
    assert to_hex(arrow.get_edgecolor()) == to_hex("tab:purple")
    assert {t.get_fontsize() for t in ax.texts if str(t.get_gid()).startswith("backward:label:")} == {9}


@pytest.mark.parametrize("kwargs, match", [
    ({"color": "not-a-colour"}, "color"), ({"color": True}, "color"),
    ({"fontsize": 0}, "fontsize"), ({"fontsize": "12"}, "fontsize"),
])
def test_backward_paths_reject_bad_input(kwargs, match):
    from lstm_helpers.diagrams import draw_lstm_backward

    with pytest.raises(ValueError, match=match):
        draw_lstm_backward(**kwargs)
