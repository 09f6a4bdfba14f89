"""draw_tree in lstm_helpers.diagrams.trees: what it draws, and that lstm_helpers.trees still offers it lazily."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402

import lstm_helpers.diagrams.trees as diagram_trees  # noqa: E402
from lstm_helpers.diagrams import COLORS, draw_tree  # noqa: E402
from lstm_helpers.trees import Tree  # noqa: E402

TREE = Tree("MAX", [Tree("2"), Tree("MIN", [Tree("4"), Tree("7")]), Tree("0")])  # 6 nodes, 4 leaves


def teardown_function():
    plt.close("all")


def by_gid(ax):
    return {a.get_gid(): a for a in ax.get_children() if a.get_gid()}


def test_one_box_per_node_in_pre_order_coloured_by_kind():
    ax = draw_tree(TREE)
    artists = by_gid(ax)
    labels = ["MAX", "2", "MIN", "4", "7", "0"]
    leaves = {1, 3, 4, 5}
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == len(labels)
    for m, label in enumerate(labels):
        assert artists[f"tree:node_{m}:text"].get_text() == label
        face = COLORS["input"] if m in leaves else COLORS["hidden"]
        assert to_hex(artists[f"tree:node_{m}"].get_facecolor()) == to_hex(face)
    # one edge per node but the root, each from the parent down to the child
    assert len(ax.lines) == len(labels) - 1 and "tree:edge_0" not in artists
    xs, ys = artists["tree:edge_3"].get_data()
    assert ys[0] > ys[1]
    assert not [p for p in ax.patches if isinstance(p, Rectangle)]


def test_values_draw_a_strip_per_node_and_notes_a_text():
    values = [np.linspace(-1, 1, 3) * k for k in range(6)]
    ax = draw_tree(TREE, values=values, notes=[f"n{m}" for m in range(6)], vmax=2.0, cmap="coolwarm")
    artists = by_gid(ax)
    strips = [p for p in ax.patches if str(p.get_gid()).startswith("tree:value_")]
    assert len(strips) == 6 * 3
    cmap, norm = plt.get_cmap("coolwarm"), plt.Normalize(-2.0, 2.0)
    for m in range(6):
        for k in range(3):
            assert artists[f"tree:value_{m}_{k}"].get_facecolor() == pytest.approx(cmap(norm(values[m][k])))
        assert artists[f"tree:note_{m}"].get_text() == f"n{m}"
    assert len(ax.figure.axes) == 2  # the colour bar


@pytest.mark.parametrize("kwargs, match", [
    ({"tree": "(MAX 1 2)"}, "Tree"),
    ({"values": [np.zeros(3)] * 5}, "one vector per node"),
    ({"values": [np.zeros(3)] * 5 + [np.zeros(2)]}, "same length"),
    ({"notes": ["a"]}, "one text per node"),
    ({"vmax": 0}, "vmax"),
    ({"vmax": -1.0}, "vmax"),
])
def test_bad_input_raises(kwargs, match):
    kwargs = {"tree": TREE, **kwargs}
    with pytest.raises(ValueError, match=match):
        draw_tree(**kwargs)


def test_the_trees_module_re_exports_it_lazily():
    import lstm_helpers.trees as trees

    assert trees.draw_tree is draw_tree is diagram_trees.draw_tree
    assert "draw_tree" in dir(trees) and "draw_tree" not in trees.__all__
    with pytest.raises(AttributeError):
        trees.draw_trees  # noqa: B018
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "import lstm_helpers.trees as trees\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded on import'\n"
        "from lstm_helpers.trees import Tree, draw_tree\n"
        "import matplotlib; matplotlib.use('Agg')\n"
        "ax = draw_tree(Tree('A', [Tree('b')]))\n"
        "assert draw_tree.__module__ == 'lstm_helpers.diagrams.trees'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
