"""Tests of the Tree-LSTM cells (lstm_helpers.cells.tree) and the batched tree evaluation
(lstm_helpers.cells.tree_batch).

The tree data type itself (Tree, binarize, draw_tree) is tested in test_trees.py.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch

import lstm_helpers.cells
import lstm_helpers.cells.tree as tree_module
import lstm_helpers.cells.tree_batch as tree_batch_module
import lstm_helpers.trees
from lstm_helpers.cells.tree import ChildSumTreeLSTMCell, NaryTreeLSTMCell
from lstm_helpers.cells.tree_batch import (
    TreeBatch,
    batch_trees,
    tree_lstm_forward,
    tree_lstm_recursive,
)
from lstm_helpers.trees import Tree, binarize


@pytest.fixture(autouse=True)
def float64():
    """Every test of this module computes in float64 (gradcheck needs it); the default is restored after."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)

LABELS = ("A", "B", "C", "x", "y", "z")


def sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def blocks(weight, n, size):
    """Split the rows of a weight matrix into n blocks of `size` rows."""
    return [weight[k * size:(k + 1) * size] for k in range(n)]


def child_sum_reference(cell, x, children):
    """Tai et al. (2015), eqs. 2-8, for one node, column vectors and a loop over the children.

    x: (D,); children: list of (h_k, c_k), each (H,). Returns h_j, c_j.
    """
    H = cell.hidden_size
    W_xi, W_xf, W_xg, W_xo = blocks(cell.weight_ih, 4, H)
    b_i, b_f, b_g, b_o = blocks(cell.bias_ih, 4, H)
    W_hi, W_hf, W_hg, W_ho = blocks(cell.weight_hh, 4, H)
    h_tilde = torch.zeros(H)
    for h_k, _ in children:
        h_tilde = h_tilde + h_k
    i = sigmoid(W_xi @ x + W_hi @ h_tilde + b_i)
    o = sigmoid(W_xo @ x + W_ho @ h_tilde + b_o)
    u = torch.tanh(W_xg @ x + W_hg @ h_tilde + b_g)
    c = i * u
    for h_k, c_k in children:
        f_k = sigmoid(W_xf @ x + W_hf @ h_k + b_f)  # one forget gate per child
        c = c + f_k * c_k
    return o * torch.tanh(c), c


def nary_reference(cell, x, children):
    """Tai et al. (2015), eqs. 9-14, with the blocks U^(i)_l, U^(f)_kl, U^(o)_l, U^(u)_l named one by one."""
    H, K = cell.hidden_size, cell.n_children
    W_xi, W_xf, W_xg, W_xo = blocks(cell.weight_ih, 4, H)
    b_i, b_f, b_g, b_o = blocks(cell.bias_ih, 4, H)
    U = cell.weight_hh  # rows: i, f_1 .. f_K, g, o; columns: children 1 .. K

    def U_block(row, l):
        return U[row * H:(row + 1) * H, l * H:(l + 1) * H]

    if not children:
        children = [(torch.zeros(H), torch.zeros(H))] * K
    a_i = W_xi @ x + b_i + sum(U_block(0, l) @ children[l][0] for l in range(K))
    a_g = W_xg @ x + b_g + sum(U_block(1 + K, l) @ children[l][0] for l in range(K))
    a_o = W_xo @ x + b_o + sum(U_block(2 + K, l) @ children[l][0] for l in range(K))
    i, u, o = sigmoid(a_i), torch.tanh(a_g), sigmoid(a_o)
    c = i * u
    for k in range(K):
        f_k = sigmoid(W_xf @ x + b_f + sum(U_block(1 + k, l) @ children[l][0] for l in range(K)))  # U^(f)_kl
        c = c + f_k * children[k][1]
    return o * torch.tanh(c), c


def random_tree(rng, depth, max_kids=3, n_children=None):
    """A random tree of height <= depth; every internal node has n_children (if given) or 1..max_kids children."""
    if depth == 0 or rng.random() < 0.3:
        return Tree(LABELS[3 + int(rng.integers(3))])
    k = n_children or int(rng.integers(1, max_kids + 1))
    return Tree(LABELS[int(rng.integers(3))], [random_tree(rng, depth - 1, max_kids, n_children) for _ in range(k)])


def make_embed(D, seed=0):
    g = torch.Generator().manual_seed(seed)
    table = torch.randn(len(LABELS), D, generator=g)
    return table, (lambda node: table[LABELS.index(node.label)])


# --------------------------------------------------------------------------- the module's examples


def test_docstring_examples_run():
    result = doctest.testmod(tree_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_the_package_exports_the_cells_the_batching_and_the_tree_type():
    for module in (tree_module, tree_batch_module, lstm_helpers.trees):
        for name in getattr(module, "__all__", ("Tree", "binarize", "draw_tree")):
            assert getattr(lstm_helpers.cells, name) is getattr(module, name), name
    for name in ("Tree", "binarize", "draw_tree"):
        assert getattr(lstm_helpers.cells, name) is getattr(lstm_helpers.trees, name)
        assert name not in tree_module.__all__ and name not in tree_batch_module.__all__  # documented once


def test_the_cells_do_not_depend_on_the_batching():
    assert not hasattr(tree_module, "tree_batch") and not hasattr(tree_module, "batch_trees")
    assert tree_batch_module.ChildSumTreeLSTMCell is ChildSumTreeLSTMCell


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("make, shapes", [
    (lambda: ChildSumTreeLSTMCell(3, 5), {"weight_ih": (20, 3), "weight_hh": (20, 5), "bias_ih": (20,)}),
    (lambda: NaryTreeLSTMCell(3, 5, n_children=2), {"weight_ih": (20, 3), "weight_hh": (25, 10), "bias_ih": (20,)}),
])
def test_parameters_are_named_like_pytorch(make, shapes):
    cell = make()
    assert {name: tuple(p.shape) for name, p in cell.named_parameters()} == shapes
    assert all(isinstance(p, torch.nn.Parameter) for p in cell.parameters())


@pytest.mark.parametrize("make, fan_in_hh", [
    (lambda: ChildSumTreeLSTMCell(3, 5), 5),
    (lambda: NaryTreeLSTMCell(3, 5, n_children=2), 10),
])
def test_initialisation_draws_like_two_linear_layers(make, fan_in_hh):
    """The same seeded draws as nn.Linear(D, 4H) (weight, then bias) followed by nn.Linear(fan_in, rows, bias=False)."""
    torch.manual_seed(0)
    cell = make()
    rows = cell.weight_hh.shape[0]
    torch.manual_seed(0)
    linear_x = torch.nn.Linear(3, 20)
    linear_h = torch.nn.Linear(fan_in_hh, rows, bias=False)
    assert torch.equal(cell.weight_ih, linear_x.weight) and torch.equal(cell.bias_ih, linear_x.bias)
    assert torch.equal(cell.weight_hh, linear_h.weight)


def test_deep_chain_does_not_hit_the_recursion_limit():
    t = Tree("x")
    for _ in range(3000):
        t = Tree("A", [t])
    assert t.height == 3000
    batch = batch_trees([t])
    assert batch.n_levels == 3001


def cyclic_tree():
    a = Tree("A", [Tree("x")])
    b = Tree("B", [a])
    object.__setattr__(a, "children", (b,))  # only possible by breaking immutability
    return b


def test_cycles_are_rejected_by_batching_and_recursion():
    t = cyclic_tree()
    cell = ChildSumTreeLSTMCell(2, 3)
    _, embed = make_embed(2)
    for call in (lambda: batch_trees([t]), lambda: tree_lstm_recursive(cell, t, embed)):
        with pytest.raises(ValueError, match="cycle"):
            call()


def test_shared_subtree_counts_as_two_nodes():
    leaf = Tree("x")
    t = Tree("A", [leaf, leaf])  # the same object twice: a tree once unfolded
    batch = batch_trees([t])
    assert batch.n_nodes == 3
    cell = ChildSumTreeLSTMCell(2, 3)
    table, embed = make_embed(2)
    h, c = tree_lstm_forward(cell, table[[LABELS.index(lab) for lab in batch.labels]], batch)
    h_rec, c_rec = tree_lstm_recursive(cell, t, embed)
    torch.testing.assert_close(h[batch.roots[0]], h_rec)
    torch.testing.assert_close(c[batch.roots[0]], c_rec)


# --------------------------------------------------------------------------- child-sum cell


def test_child_sum_cell_equals_its_equations():
    torch.manual_seed(0)
    D, H = 3, 4
    cell = ChildSumTreeLSTMCell(D, H)
    n_kids = [0, 1, 3, 2]  # four nodes with 0, 1, 3 and 2 children
    x = torch.randn(len(n_kids), D)
    parent = torch.tensor([n for n, k in enumerate(n_kids) for _ in range(k)])
    child_h, child_c = torch.randn(len(parent), H), torch.randn(len(parent), H)
    h, c = cell(x, child_h, child_c, parent)
    for n in range(len(n_kids)):
        rows = (parent == n).nonzero().ravel().tolist()
        h_ref, c_ref = child_sum_reference(cell, x[n], [(child_h[r], child_c[r]) for r in rows])
        torch.testing.assert_close(h[n], h_ref)
        torch.testing.assert_close(c[n], c_ref)


def test_child_sum_leaf_reduces_to_h_tilde_zero():
    torch.manual_seed(1)
    D, H = 3, 2
    cell = ChildSumTreeLSTMCell(D, H)
    x = torch.randn(5, D)
    h, c = cell(x)
    W_xi, _, W_xg, W_xo = blocks(cell.weight_ih, 4, H)
    b_i, _, b_g, b_o = blocks(cell.bias_ih, 4, H)
    i = torch.sigmoid(x @ W_xi.T + b_i)
    u = torch.tanh(x @ W_xg.T + b_g)
    o = torch.sigmoid(x @ W_xo.T + b_o)
    torch.testing.assert_close(c, i * u)  # no children: nothing to forget, h~ = 0
    torch.testing.assert_close(h, o * torch.tanh(i * u))
    # an explicit empty list of children gives the same
    h0, c0 = cell(x, torch.zeros(0, H), torch.zeros(0, H), torch.zeros(0, dtype=torch.long))
    torch.testing.assert_close(h0, h)
    torch.testing.assert_close(c0, c)


def test_child_sum_is_invariant_to_the_order_of_the_children():
    torch.manual_seed(2)
    cell = ChildSumTreeLSTMCell(3, 4)
    x = torch.randn(1, 3)
    child_h, child_c = torch.randn(4, 4), torch.randn(4, 4)
    parent = torch.zeros(4, dtype=torch.long)
    perm = torch.tensor([2, 0, 3, 1])
    h1, c1 = cell(x, child_h, child_c, parent)
    h2, c2 = cell(x, child_h[perm], child_c[perm], parent)
    torch.testing.assert_close(h1, h2)
    torch.testing.assert_close(c1, c2)


def test_child_sum_on_a_chain_is_an_lstm_step():
    torch.manual_seed(3)
    D, H, T = 3, 5, 6
    lstm = torch.nn.LSTMCell(D, H)
    cell = ChildSumTreeLSTMCell(D, H)
    with torch.no_grad():
        cell.weight_ih.copy_(lstm.weight_ih)
        cell.bias_ih.copy_(lstm.bias_ih + lstm.bias_hh)
        cell.weight_hh.copy_(lstm.weight_hh)
    x = torch.randn(T, D)
    h_l, c_l = lstm(x[:1])  # the first node is a leaf: h_0 = c_0 = 0
    h_t, c_t = cell(x[:1])
    for t in range(1, T):  # every later node has exactly one child, the node before it
        h_l, c_l = lstm(x[t:t + 1], (h_l, c_l))
        h_t, c_t = cell(x[t:t + 1], h_t, c_t, torch.zeros(1, dtype=torch.long))
        torch.testing.assert_close(h_t, h_l)
        torch.testing.assert_close(c_t, c_l)


def test_child_sum_gradcheck():
    torch.manual_seed(4)
    cell = ChildSumTreeLSTMCell(3, 2)
    x = torch.randn(3, 3, requires_grad=True)
    child_h = torch.randn(4, 2, requires_grad=True)
    child_c = torch.randn(4, 2, requires_grad=True)
    parent = torch.tensor([0, 0, 2, 0])  # node 1 is a leaf

    W, b, U = (p.detach().clone().requires_grad_(True) for p in (cell.weight_ih, cell.bias_ih, cell.weight_hh))

    def g(x, child_h, child_c, W, b, U):  # the cell as a function of its inputs and its weights
        return torch.func.functional_call(cell, {"weight_ih": W, "bias_ih": b, "weight_hh": U},
                                          (x, child_h, child_c, parent))

    assert torch.autograd.gradcheck(g, (x, child_h, child_c, W, b, U))


def test_nary_gradcheck():
    torch.manual_seed(5)
    cell = NaryTreeLSTMCell(3, 2, n_children=3)
    x = torch.randn(2, 3, requires_grad=True)
    child_h = torch.randn(2, 3, 2, requires_grad=True)
    child_c = torch.randn(2, 3, 2, requires_grad=True)
    W, b, U = (p.detach().clone().requires_grad_(True) for p in (cell.weight_ih, cell.bias_ih, cell.weight_hh))

    def g(x, child_h, child_c, W, b, U):
        return torch.func.functional_call(cell, {"weight_ih": W, "bias_ih": b, "weight_hh": U}, (x, child_h, child_c))

    assert torch.autograd.gradcheck(g, (x, child_h, child_c, W, b, U))


# --------------------------------------------------------------------------- N-ary cell


@pytest.mark.parametrize("K", [1, 2, 3])
def test_nary_cell_equals_its_equations(K):
    torch.manual_seed(10 + K)
    D, H, N = 3, 4, 3
    cell = NaryTreeLSTMCell(D, H, n_children=K)
    assert cell.weight_hh.shape == ((3 + K) * H, K * H)
    x = torch.randn(N, D)
    child_h, child_c = torch.randn(N, K, H), torch.randn(N, K, H)
    h, c = cell(x, child_h, child_c)
    for n in range(N):
        h_ref, c_ref = nary_reference(cell, x[n], [(child_h[n, l], child_c[n, l]) for l in range(K)])
        torch.testing.assert_close(h[n], h_ref)
        torch.testing.assert_close(c[n], c_ref)
    # a leaf: all children states zero
    h0, c0 = cell(x)
    h0_ref, c0_ref = nary_reference(cell, x[0], [])
    torch.testing.assert_close(h0[0], h0_ref)
    torch.testing.assert_close(c0[0], c0_ref)


def test_nary_depends_on_the_order_of_the_children():
    torch.manual_seed(6)
    cell = NaryTreeLSTMCell(3, 4, n_children=2)
    x = torch.randn(1, 3)
    child_h, child_c = torch.randn(1, 2, 4), torch.randn(1, 2, 4)
    h1, _ = cell(x, child_h, child_c)
    h2, _ = cell(x, child_h.flip(1), child_c.flip(1))
    assert (h1 - h2).abs().max() > 1e-3


def test_nary_with_one_child_is_an_lstm_step():
    torch.manual_seed(7)
    lstm = torch.nn.LSTMCell(3, 4)
    cell = NaryTreeLSTMCell(3, 4, n_children=1)
    with torch.no_grad():
        cell.weight_ih.copy_(lstm.weight_ih)
        cell.bias_ih.copy_(lstm.bias_ih + lstm.bias_hh)
        cell.weight_hh.copy_(lstm.weight_hh)  # rows i, f_1, g, o = the LSTM's i, f, g, o
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    h_l, c_l = lstm(x, (h, c))
    h_n, c_n = cell(x, h[:, None], c[:, None])
    torch.testing.assert_close(h_n, h_l)
    torch.testing.assert_close(c_n, c_l)


# --------------------------------------------------------------------------- batched == recursive


@pytest.mark.parametrize("kind", ["child-sum", "binary"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batched_equals_recursive(kind, seed):
    rng = np.random.default_rng(seed)
    D, H = 3, 4
    torch.manual_seed(seed)
    if kind == "child-sum":
        cell = ChildSumTreeLSTMCell(D, H)
        trees = [random_tree(rng, 4) for _ in range(12)] + [Tree("x")]
    else:
        cell = NaryTreeLSTMCell(D, H, n_children=2)
        trees = [random_tree(rng, 4, n_children=2) for _ in range(12)] + [Tree("x")]
    table, embed = make_embed(D, seed)
    batch = batch_trees(trees, vocab=LABELS)
    # O(height) cell calls: one level per height
    assert batch.n_levels == max(t.height for t in trees) + 1
    x = table[batch.ids].requires_grad_(True)
    h, c = tree_lstm_forward(cell, x, batch)
    assert h.shape == c.shape == (batch.n_nodes, H)
    for b, t in enumerate(trees):
        h_rec, c_rec = tree_lstm_recursive(cell, t, embed)
        torch.testing.assert_close(h[batch.roots[b]], h_rec)
        torch.testing.assert_close(c[batch.roots[b]], c_rec)
    # and the gradients agree too
    h[batch.roots].sum().backward()
    batched_grads = [p.grad.clone() for p in cell.parameters()]
    cell.zero_grad()
    sum(tree_lstm_recursive(cell, t, embed)[0].sum() for t in trees).backward()
    for batched_grad, p in zip(batched_grads, cell.parameters()):
        torch.testing.assert_close(batched_grad, p.grad)


def test_batch_structure():
    t1 = Tree("A", [Tree("x"), Tree("B", [Tree("y"), Tree("z")]), Tree("x")])
    t2 = Tree("C", [Tree("z"), Tree("y")])
    batch = batch_trees([t1, t2], vocab={lab: i for i, lab in enumerate(LABELS)})
    assert batch.n_trees == 2 and batch.n_nodes == 9 and batch.n_levels == 3
    assert batch.level_offsets == [0, 6, 8, 9]
    assert batch.arities == frozenset({2, 3})
    assert [batch.labels[r] for r in batch.roots.tolist()] == ["A", "C"]
    assert batch.height.tolist() == sorted(batch.height.tolist())
    assert (batch.edge_child < batch.edge_parent).all()  # children come before parents
    # edges of a parent are contiguous and in order of position
    for p in batch.edge_parent.unique().tolist():
        assert batch.edge_position[batch.edge_parent == p].tolist() == list(range(int((batch.edge_parent == p).sum())))
    # position and n_siblings of the root A's children
    a = batch.roots[0]
    kids = batch.edge_child[batch.edge_parent == a]
    assert [batch.labels[k] for k in kids.tolist()] == ["x", "B", "x"]
    assert batch.position[kids].tolist() == [0, 1, 2] and batch.n_siblings[kids].tolist() == [3, 3, 3]
    assert batch.n_siblings[batch.roots].tolist() == [1, 1]
    # pre-order rows: tree 0 is A x B y z x
    assert [batch.labels[r] for r in batch.tree_rows(0).tolist()] == ["A", "x", "B", "y", "z", "x"]
    assert [batch.labels[r] for r in batch.tree_rows(1).tolist()] == ["C", "z", "y"]
    with pytest.raises(ValueError, match="0 ... B - 1 = 1"):
        batch.tree_rows(2)
    moved = batch.to("cpu")
    assert isinstance(moved, TreeBatch) and torch.equal(moved.ids, batch.ids)


def test_binarized_trees_batch_as_binary():
    t = Tree("A", [Tree("x"), Tree("y"), Tree("B", [Tree("z"), Tree("x"), Tree("y")]), Tree("z")])
    assert batch_trees([t]).arities == frozenset({3, 4})
    assert batch_trees([binarize(t)], n_children=2).arities == frozenset({2})


# --------------------------------------------------------------------------- bad input


def test_bad_cell_sizes():
    with pytest.raises(ValueError, match="hidden_size"):
        ChildSumTreeLSTMCell(3, 0)
    with pytest.raises(ValueError, match="input_size"):
        NaryTreeLSTMCell(2.5, 3)
    with pytest.raises(ValueError, match="n_children"):
        NaryTreeLSTMCell(3, 3, n_children=0)


def test_bad_shapes_name_the_expected_shape():
    cell = ChildSumTreeLSTMCell(3, 2)
    with pytest.raises(ValueError, match=r"\(N, D\) = \(4, 3\)"):
        cell(torch.randn(4, 5))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        cell(torch.randn(3))
    with pytest.raises(ValueError, match=r"child_h must have shape \(M, H\)"):
        cell(torch.randn(2, 3), torch.randn(3, 4), torch.randn(3, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"parent must have shape \(M,\)"):
        cell(torch.randn(2, 3), torch.randn(3, 2), torch.randn(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="together"):
        cell(torch.randn(2, 3), torch.randn(3, 2), torch.randn(3, 2))
    with pytest.raises(ValueError, match=r"0 \.\.\. N - 1 = 1"):
        cell(torch.randn(2, 3), torch.randn(1, 2), torch.randn(1, 2), torch.tensor([2]))
    with pytest.raises(ValueError, match="int64"):
        cell(torch.randn(2, 3), torch.randn(1, 2), torch.randn(1, 2), torch.tensor([0.0]))
    nary = NaryTreeLSTMCell(3, 2, n_children=2)
    with pytest.raises(ValueError, match=r"\(N, K, H\) = \(4, 2, 2\)"):
        nary(torch.randn(4, 3), torch.randn(4, 3, 2), torch.randn(4, 3, 2))
    with pytest.raises(ValueError, match="together"):
        nary(torch.randn(4, 3), torch.randn(4, 2, 2))


def test_bad_batches():
    with pytest.raises(ValueError, match="empty"):
        batch_trees([])
    with pytest.raises(ValueError, match=r"trees\[1\] must be a Tree"):
        batch_trees([Tree("x"), ("A", "x")])
    with pytest.raises(ValueError, match="non-empty sequence"):
        batch_trees(42)
    with pytest.raises(ValueError, match="valid labels: 'A', 'B'"):
        batch_trees([Tree("A", [Tree("q")])], vocab=["A", "B"])
    with pytest.raises(ValueError, match="exactly n_children = 2 children; node 'A' of trees\\[0\\] has 3"):
        batch_trees([Tree("A", [Tree("x")] * 3)], n_children=2)


def test_nary_cell_rejects_trees_with_the_wrong_arity():
    cell = NaryTreeLSTMCell(2, 3, n_children=2)
    t = Tree("A", [Tree("x"), Tree("y"), Tree("z")])
    batch = batch_trees([t])
    with pytest.raises(ValueError, match=r"exactly 2 children; this batch has nodes with \[3\] children"):
        tree_lstm_forward(cell, torch.randn(batch.n_nodes, 2), batch)
    _, embed = make_embed(2)
    with pytest.raises(ValueError, match="node 'A' has 3"):
        tree_lstm_recursive(cell, t, embed)


def test_forward_rejects_wrong_cells_and_inputs():
    batch = batch_trees([Tree("A", [Tree("x"), Tree("y")])])
    with pytest.raises(ValueError, match="ChildSumTreeLSTMCell, NaryTreeLSTMCell; got LSTMCell"):
        tree_lstm_forward(torch.nn.LSTMCell(2, 3), torch.randn(3, 2), batch)
    cell = ChildSumTreeLSTMCell(2, 3)
    with pytest.raises(ValueError, match=r"\(M, D\) = \(3, 2\)"):
        tree_lstm_forward(cell, torch.randn(4, 2), batch)
    with pytest.raises(ValueError, match="TreeBatch"):
        tree_lstm_forward(cell, torch.randn(3, 2), [Tree("x")])
    with pytest.raises(ValueError, match="expected a Tree"):
        tree_lstm_recursive(cell, "(A x y)", lambda node: torch.zeros(2))
    with pytest.raises(ValueError, match=r"embed\(node\) must have shape \(D,\)"):
        tree_lstm_recursive(cell, Tree("x"), lambda node: torch.zeros(1, 2))
