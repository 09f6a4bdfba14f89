"""Tests of the ListOps generator in lstm_helpers.tasks.listops."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_helpers import set_seed
from lstm_helpers.cells.tree_batch import batch_trees
from lstm_helpers.tasks import listops
from lstm_helpers.tasks.listops import (
    OPERATORS,
    SEQ_VOCAB,
    TREE_VOCAB,
    encode_tokens,
    evaluate,
    node_values,
    parse,
    to_string,
    to_tokens,
)
from lstm_helpers.trees import Tree, binarize


def value_of_string(expression):
    """An evaluator written independently of the package: recursive descent over the string."""
    tokens = expression.split()
    pos = 0

    def read():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok.isdigit():
            return int(tok)
        assert tok.startswith("[")
        args = []
        while tokens[pos] != "]":
            args.append(read())
        pos += 1
        op = tok[1:]
        return {"MIN": min(args), "MAX": max(args), "FIRST": args[0], "LAST": args[-1],
                "SM": sum(args) % 10}[op]

    value = read()
    assert pos == len(tokens)
    return value


def nesting_depth(expression):
    """Largest number of open brackets, counted on the string."""
    depth = best = 0
    for tok in expression.split():
        if tok.startswith("["):
            depth += 1
            best = max(best, depth)
        elif tok == "]":
            depth -= 1
    return best


def argument_counts(tree):
    if tree.is_leaf:
        return []
    return [len(tree.children)] + [k for child in tree.children for k in argument_counts(child)]


# the package exports the function `listops`, which hides the module of the same name as an attribute
listops_module = importlib.import_module("lstm_helpers.tasks.listops")


def test_docstring_examples_run():
    result = doctest.testmod(listops_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_example_from_the_documentation():
    tree = parse("[MAX 2 9 [MIN 4 7 ] 0 ]")
    assert evaluate(tree) == 9 and tree.height == 2
    assert to_tokens(tree) == ["[MAX", "2", "9", "[MIN", "4", "7", "]", "0", "]"]
    assert tree == Tree("MAX", [Tree("2"), Tree("9"), Tree("MIN", [Tree("4"), Tree("7")]), Tree("0")])
    assert [evaluate(parse(s)) for s in ("[SM 5 8 ]", "[FIRST 3 1 ]", "[LAST 3 1 ]", "[MIN 3 1 7 ]")] == [3, 3, 1, 1]


def test_shapes_and_types():
    data = listops(50, np.random.default_rng(0))
    trees, tokens, labels, depths = data  # a named tuple unpacks
    assert len(trees) == len(tokens) == 50
    assert labels.shape == depths.shape == (50,)
    assert labels.dtype == depths.dtype == np.int64
    assert all(isinstance(t, Tree) for t in trees)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    min_depth=st.integers(1, 3),
    extra=st.integers(0, 2),
    max_args=st.integers(2, 5),
    branch_prob=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_labels_are_the_values_of_the_expressions(n, min_depth, extra, max_args, branch_prob, seed):
    data = listops(n, np.random.default_rng(seed), max_depth=min_depth + extra, max_args=max_args,
                   min_depth=min_depth, branch_prob=branch_prob)
    for tree, tokens, label, depth in zip(*data):
        string = " ".join(tokens)
        assert label == value_of_string(string)  # independent evaluator on the flat string
        assert label == evaluate(tree)
        assert depth == nesting_depth(string) == tree.height
        assert min_depth <= depth <= min_depth + extra
        assert tokens == to_tokens(tree) and string == to_string(tree)
        assert parse(string) == tree
        assert all(2 <= k <= max_args for k in argument_counts(tree))
        # every operator here folds from the left, so binarizing keeps the value
        assert evaluate(binarize(tree)) == label


def test_depths_are_uniform_over_the_documented_range():
    data = listops(8000, np.random.default_rng(1), max_depth=5, min_depth=2)
    freq = np.bincount(data.depths, minlength=6)[2:] / 8000
    assert set(np.unique(data.depths)) == {2, 3, 4, 5}
    np.testing.assert_allclose(freq, 0.25, atol=0.02)


def test_all_labels_and_operators_occur():
    data = listops(3000, np.random.default_rng(2))
    assert set(np.unique(data.labels)) == set(range(10))
    assert np.bincount(data.labels).min() > 0.05 * 3000
    assert {t.label for t in data.trees} == set(OPERATORS)


def test_operators_subset_and_branch_prob_zero():
    data = listops(200, np.random.default_rng(3), operators=("MAX", "SM"), branch_prob=0.0, max_depth=3)
    labels = {lab for t in data.trees for lab in to_tokens(t) if lab.startswith("[")}
    assert labels <= {"[MAX", "[SM"}
    # with branch_prob = 0 only one argument of an operator is an expression: a "spine"
    for t in data.trees:
        node = t
        while not node.is_leaf:
            inner = [c for c in node.children if not c.is_leaf]
            assert len(inner) <= 1
            node = inner[0] if inner else node.children[0]


def test_determinism():
    a = listops(100, np.random.default_rng(7))
    b = listops(100, np.random.default_rng(7))
    c = listops(100, np.random.default_rng(8))
    assert a.tokens == b.tokens and a.trees == b.trees
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.tokens != c.tokens
    assert listops(20, set_seed(0)).tokens == listops(20, set_seed(0)).tokens


def test_the_generator_is_advanced():
    rng = np.random.default_rng(0)
    assert listops(30, rng).tokens != listops(30, rng).tokens


def test_vocabularies():
    assert TREE_VOCAB == OPERATORS + tuple("0123456789")
    assert SEQ_VOCAB[0] == "<pad>" and "]" in SEQ_VOCAB and "[SM" in SEQ_VOCAB
    data = listops(100, np.random.default_rng(4))
    assert {tok for seq in data.tokens for tok in seq} <= set(SEQ_VOCAB[1:])
    assert {lab for t in data.trees for lab in str(t).replace("(", " ").replace(")", " ").split()} <= set(TREE_VOCAB)


def test_encode_tokens():
    tokens = [["[MAX", "2", "9", "]"], ["[SM", "1", "[MIN", "3", "4", "]", "]"]]
    ids, lengths = encode_tokens(tokens)
    assert ids.shape == (2, 7) and ids.dtype == np.int64
    np.testing.assert_array_equal(lengths, [4, 7])
    assert ids[0, 4:].tolist() == [0, 0, 0]  # padding
    assert [SEQ_VOCAB[i] for i in ids[1]] == tokens[1]
    assert [SEQ_VOCAB[i] for i in ids[0, :4]] == tokens[0]


def test_every_operator_is_a_left_fold():
    """op(a_1 .. a_k) == op(op(a_1 .. a_(k-1)), a_k) for all digit lists of 3 and 4 arguments."""
    import itertools

    for op in OPERATORS:
        for k in (3, 4):
            for args in itertools.product(range(10), repeat=k):
                whole = evaluate(Tree(op, [Tree(str(a)) for a in args]))
                head = evaluate(Tree(op, [Tree(str(a)) for a in args[:-1]]))
                assert whole == evaluate(Tree(op, [Tree(str(head)), Tree(str(args[-1]))])), (op, args)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exclude_gives_a_test_set_disjoint_from_the_training_set(seed):
    rng = np.random.default_rng(seed)
    train = listops(3000, rng, max_depth=3, max_args=3)
    test = listops(1000, rng, max_depth=3, max_args=3, exclude=train)
    train_strings = {to_string(t) for t in train.trees}
    assert not any(to_string(t) in train_strings for t in test.trees)
    assert len(test.trees) == 1000 and test.labels.shape == test.depths.shape == (1000,)
    for tree, tokens, label, depth in zip(*test):
        assert tokens == to_tokens(tree) and label == evaluate(tree) == value_of_string(to_string(tree))
        assert depth == tree.height
    # without exclude, the same draws overlap: many lists of depth 1 are in the training set
    overlap = listops(1000, np.random.default_rng(seed + 10), max_depth=3, max_args=3)
    assert sum(to_string(t) in train_strings for t in overlap.trees) > 50
    # a list of strings works as well, with any white space
    strings = [" ".join(tokens) for tokens in train.tokens]
    again = listops(1000, np.random.default_rng(seed + 20), max_depth=3, max_args=3,
                    exclude=["  " + s.replace(" ", "   ") for s in strings])
    assert not any(to_string(t) in train_strings for t in again.trees)


def test_exclude_keeps_the_depths_uniform_and_none_changes_nothing():
    train = listops(4000, np.random.default_rng(5), max_depth=4, max_args=3)
    test = listops(4000, np.random.default_rng(6), max_depth=4, max_args=3, exclude=train)
    np.testing.assert_allclose(np.bincount(test.depths, minlength=5)[1:] / 4000, 0.25, atol=0.03)
    plain = listops(200, np.random.default_rng(7))
    assert listops(200, np.random.default_rng(7), exclude=None).tokens == plain.tokens
    # an exclusion that removes nothing draws exactly what a call without it draws
    assert listops(200, np.random.default_rng(7), exclude=[]).tokens == plain.tokens


def test_exclude_that_covers_every_expression_is_an_error():
    everything = [f"[MAX {a} {b} ]" for a in range(10) for b in range(10)]
    with pytest.raises(ValueError, match="exclude holds .nearly. every expression of depth 1"):
        listops(5, np.random.default_rng(0), max_depth=1, max_args=2, operators=("MAX",), exclude=everything)
    # leaving one expression out: the generator finds it
    data = listops(3, np.random.default_rng(0), max_depth=1, max_args=2, operators=("MAX",), exclude=everything[1:])
    assert [to_string(t) for t in data.trees] == ["[MAX 0 0 ]"] * 3


def test_node_values():
    trees = listops(300, np.random.default_rng(8), max_depth=4, max_args=4).trees
    for prepare in (lambda t: t, binarize):
        prepared = [prepare(t) for t in trees]
        batch = batch_trees(prepared)
        values = node_values(batch)
        assert values.shape == (batch.n_nodes,) and values.dtype == np.int64
        assert values[batch.roots].tolist() == [evaluate(t) for t in prepared] == [evaluate(t) for t in trees]
        # every node holds the value of its own subexpression: walk each tree in pre-order
        for b, tree in enumerate(prepared[:30]):
            subtrees = []
            stack = [tree]
            while stack:
                node = stack.pop()
                subtrees.append(node)
                stack.extend(reversed(node.children))
            rows = batch.tree_rows(b).tolist()
            assert [batch.labels[r] for r in rows] == [node.label for node in subtrees]
            assert [int(values[r]) for r in rows] == [evaluate(node) if node.children else int(node.label)
                                                     for node in subtrees]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0), "n must be an integer >= 1"),
        (dict(min_depth=0), "min_depth must be an integer >= 1"),
        (dict(min_depth=3, max_depth=2), "max_depth must be an integer >= 3"),
        (dict(max_args=1), "max_args must be an integer >= 2"),
        (dict(branch_prob=1.5), r"branch_prob must be a probability in \[0, 1\]"),
        (dict(operators=("MAX", "ADD")), "must be one of 'MIN', 'MAX', 'FIRST', 'LAST', 'SM'; got 'ADD'"),
        (dict(operators=()), "non-empty subset of MIN, MAX, FIRST, LAST, SM"),
        (dict(rng=0), "rng must be a numpy.random.Generator"),
        (dict(exclude="[MAX 1 2 ]"), "exclude must be a ListOps .* or an iterable of expression strings"),
        (dict(exclude=3), "exclude must be a ListOps"),
        (dict(exclude=[["[MAX", "1", "2", "]"]]), r"exclude\[0\] must be an expression string"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = dict(n=5, rng=np.random.default_rng(0)) | kwargs
    with pytest.raises(ValueError, match=message):
        listops(**args)


def test_bad_expressions():
    with pytest.raises(ValueError, match="must be one of '0', '1'"):
        evaluate(Tree("MAX", [Tree("1"), Tree("x")]))
    with pytest.raises(ValueError, match="must be one of 'MIN', 'MAX', 'FIRST', 'LAST', 'SM'; got 'ADD'"):
        evaluate(Tree("ADD", [Tree("1"), Tree("2")]))
    with pytest.raises(ValueError, match="expected a Tree"):
        evaluate("[MAX 1 2 ]")
    with pytest.raises(ValueError, match="unmatched"):
        parse("] 1")
    with pytest.raises(ValueError, match="extra token ']' at position 4"):
        parse("[MAX 1 2 ] ]")
    with pytest.raises(ValueError, match="left open"):
        parse("[MAX 1 [MIN 2 3 ]")
    with pytest.raises(ValueError, match="extra token"):
        parse("[MAX 1 2 ] 3")
    with pytest.raises(ValueError, match="no arguments"):
        parse("[MAX ]")
    with pytest.raises(ValueError, match=r"token 1 must be one of '\[MIN'"):
        parse("[MAX 12 3 ]")
    with pytest.raises(ValueError, match="empty"):
        parse("")
    with pytest.raises(ValueError, match="must be one of"):
        encode_tokens([["[MAX", "x", "]"]])
    with pytest.raises(ValueError, match="non-empty"):
        encode_tokens([])
    with pytest.raises(ValueError, match="batch must be a TreeBatch"):
        node_values([parse("[MAX 1 2 ]")])
    with pytest.raises(ValueError, match="the label of leaf 0 must be one of '0'"):
        node_values(batch_trees([Tree("MAX", [Tree("x"), Tree("2")])]))
    with pytest.raises(ValueError, match="the label of internal node 2 must be one of 'MIN'"):
        node_values(batch_trees([Tree("ADD", [Tree("1"), Tree("2")])]))
