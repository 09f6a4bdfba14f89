"""The drawings of the LSTM variants and the GRU: labels, highlighted parts, and bad names."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from lstm_helpers.diagrams import (  # noqa: E402
    GRU_PART_COLORS,
    LSTM_PART_COLORS,
    PEEPHOLE_COLOR,
    draw_gru_cell,
    draw_lstm_variant,
)

GREY = "#c4c4c4"


def teardown_function():
    plt.close("all")


def by_gid(ax):
    return {a.get_gid(): a for a in ax.get_children() if a.get_gid()}


@pytest.mark.parametrize("variant, gate", [("NIG", "input"), ("NFG", "forget"), ("NOG", "output")])
def test_a_removed_gate_is_a_dashed_constant_one(variant, gate):
    artists = by_gid(draw_lstm_variant(variant))
    assert artists[f"lstm:{gate}_gate:text"].get_text() == "$1$"
    assert artists[f"lstm:{gate}_gate"].get_linestyle() == "--"
    assert to_hex(artists[f"lstm:{gate}_gate"].get_edgecolor()) == to_hex(LSTM_PART_COLORS[gate])
    assert f"lstm:{gate}_feed" not in artists


def test_peepholes_are_dashed_sky_blue_with_labels():
    ax = draw_lstm_variant("vanilla")
    artists = by_gid(ax)
    for gate in "fio":
        assert to_hex(artists[f"variant:peephole_{gate}"].get_edgecolor()) == to_hex(PEEPHOLE_COLOR)
        assert artists[f"variant:peephole_{gate}"].get_linestyle() == "--"
        assert artists[f"variant:peephole_{gate}_label"].get_text() == f"$p_{gate}$"
    assert ax.get_title() == "vanilla"
    bare = by_gid(draw_lstm_variant("NP"))
    assert not [g for g in bare if g.startswith("variant:peephole")]
    unlabelled = draw_lstm_variant("vanilla", labels=False, title="x")
    assert not [t for t in unlabelled.texts if str(t.get_gid()).startswith("variant:")]


def test_identity_activations_and_coupled_gates():
    assert by_gid(draw_lstm_variant("NIAF"))["lstm:candidate_gate:text"].get_text() == "id"
    assert by_gid(draw_lstm_variant("NOAF"))["lstm:cell_tanh:text"].get_text() == "id"
    cifg = by_gid(draw_lstm_variant("CIFG"))
    assert cifg["lstm:forget_gate:text"].get_text() == "$1-$"
    assert to_hex(cifg["variant:coupling"].get_edgecolor()) == to_hex(LSTM_PART_COLORS["input"])
    fgr = draw_lstm_variant("FGR")
    assert sum(a.get_gid() == "variant:fgr" for a in fgr.patches) == 4  # the line and one arrow per gate
    assert by_gid(fgr)["variant:fgr_label"].get_text() == "$(i, f, o)_{t-1}$"


def test_variant_rejects_unknown_names():
    with pytest.raises(ValueError, match="variant must be one of"):
        draw_lstm_variant("LSTM")


@pytest.mark.parametrize("part", list(GRU_PART_COLORS))
def test_gru_highlights_one_part_and_greys_the_others(part):
    ax = draw_gru_cell(highlight=part)
    artists = by_gid(ax)
    gate = {"update": "update_gate", "reset": "reset_gate", "candidate": "candidate_gate"}
    for other, name in gate.items():
        expected = GRU_PART_COLORS[other] if other == part else GREY
        assert to_hex(artists[f"gru:{name}"].get_edgecolor()) == to_hex(expected), other
    assert to_hex(artists["gru:h_down"].get_edgecolor()) == "#333333"  # the context is never greyed


def test_gru_labels_and_operations():
    ax = draw_gru_cell(title="GRU")
    labels = {t.get_gid(): t.get_text() for t in ax.texts}
    assert {labels[f"gru:{n}"] for n in ("update_label", "reset_label", "candidate_label")} == {
        "$z_t$", "$r_t$", "$n_t$"}
    assert labels["gru:one_minus:text"] == "$1-$"
    ops = [p for p in ax.patches if isinstance(p, Circle) and str(p.get_gid()).endswith(("_mul", "add"))]
    assert len(ops) == 4  # keep x, mix x, reset x, +
    assert ax.get_title() == "GRU"
    assert not [t for t in draw_gru_cell(labels=False).texts if str(t.get_gid()).endswith("_label")]


def test_gru_rejects_unknown_parts():
    with pytest.raises(ValueError, match="highlight must be one of"):
        draw_gru_cell(highlight=("update", "output"))
