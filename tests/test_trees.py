"""Tests of the tree data type in lstm_helpers.trees: Tree, binarize, draw_tree, and that no PyTorch is needed."""

from __future__ import annotations

import doctest
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

import lstm_helpers.trees as trees_module
from lstm_helpers.diagrams import COLORS
from lstm_helpers.trees import Tree, binarize, draw_tree

matplotlib.use("Agg")


def test_docstring_examples_run():
    result = doctest.testmod(trees_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_imports_and_works_without_torch():
    """With torch made unimportable, the module imports, builds and binarizes trees, and does not load torch."""
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # any 'import torch' now raises ImportError\n"
        "from lstm_helpers.trees import Tree, binarize\n"
        "t = binarize(Tree('SM', [Tree('1'), Tree('2'), Tree('3')]))\n"
        "assert str(t) == '(SM (SM 1 2) 3)' and t.height == 2 and t.size == 5\n"
        "assert sys.modules['torch'] is None\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_tree_height_size_and_str():
    t = Tree("A", [Tree("x"), Tree("B", [Tree("y"), Tree("z")]), Tree("x")])
    assert (t.height, t.size, t.is_leaf) == (2, 6, False)
    assert Tree("x").height == 0 and Tree("x").size == 1 and Tree("x").is_leaf
    assert str(t) == "(A x (B y z) x)"
    assert t == Tree("A", (Tree("x"), Tree("B", [Tree("y"), Tree("z")]), Tree("x")))  # lists become tuples
    assert isinstance(t.children, tuple)


def test_deep_chain_does_not_hit_the_recursion_limit():
    t = Tree("x")
    for _ in range(3000):
        t = Tree("A", [t])
    assert (t.height, t.size) == (3000, 3001)
    assert (binarize(t).height, binarize(t).size) == (3000, 3001)  # one child per node: nothing to change


@pytest.mark.parametrize("children", [[1, 2], "ab", Tree("x"), [Tree("x"), "y"], 5])
def test_tree_rejects_children_that_are_not_trees(children):
    with pytest.raises(ValueError, match="Tree"):
        Tree("A", children)


def cyclic_tree():
    a = Tree("A", [Tree("x")])
    b = Tree("B", [a])
    object.__setattr__(a, "children", (b,))  # only possible by breaking immutability
    return b


def test_cycles_are_rejected():
    t = cyclic_tree()
    for call in (lambda: t.height, lambda: t.size, lambda: binarize(t), lambda: draw_tree(t)):
        with pytest.raises(ValueError, match="cycle"):
            call()


def arities(tree):
    """The numbers of children of the internal nodes of a tree."""
    if tree.is_leaf:
        return set()
    return {len(tree.children)}.union(*(arities(child) for child in tree.children))


def test_binarize():
    t = Tree("A", [Tree("x"), Tree("y"), Tree("B", [Tree("z"), Tree("x"), Tree("y")]), Tree("z")])
    b = binarize(t)
    assert str(b) == "(A (A (A x y) (B (B z x) y)) z)"
    assert arities(b) == {2}
    assert binarize(Tree("x")) == Tree("x")
    assert binarize(Tree("A", [Tree("x")])) == Tree("A", [Tree("x")])
    with pytest.raises(ValueError, match="expected a Tree"):
        binarize("(A x y)")


def test_draw_tree():
    t = Tree("A", [Tree("x"), Tree("B", [Tree("y"), Tree("z")])])
    ax = draw_tree(t, values=[np.linspace(-1, 1, 3)] * 5, value_label="c")
    assert len(ax.texts) == 5
    ax = draw_tree(t, notes=list("abcde"))
    assert len(ax.texts) == 10
    with pytest.raises(ValueError, match="one text per node"):
        draw_tree(t, notes=["a"])
    with pytest.raises(ValueError, match="one vector per node"):
        draw_tree(t, values=[np.zeros(3)] * 4)
    with pytest.raises(ValueError, match="same length"):
        draw_tree(t, values=[np.zeros(3)] * 4 + [np.zeros(2)])
    matplotlib.pyplot.close("all")


def test_draw_tree_uses_the_course_colours():
    ax = draw_tree(Tree("A", [Tree("x"), Tree("y")]))
    faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert faces == [COLORS["hidden"], COLORS["input"], COLORS["input"]]  # pre-order: the root, then the leaves
    assert {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines} == {COLORS["edge"]}
    matplotlib.pyplot.close("all")
