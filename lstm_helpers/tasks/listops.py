"""ListOps: nested list operations on the digits 0--9, with their gold trees.

A small, seeded version of the ListOps task of Nangia and Bowman (2018). An
expression applies an operator to a list of two or more arguments, each a
digit or another expression, for example ``[MAX 2 9 [MIN 4 7 ] 0 ]``, whose
value is 9. The operators are

- ``MIN`` and ``MAX``: the smallest and the largest argument;
- ``FIRST`` and ``LAST``: the first and the last argument;
- ``SM``: the sum of the arguments modulo 10.

The value of every expression is a digit, so the task is a 10-class
classification. Each of the five operators is a *left fold*: its value on
``a_1 ... a_k`` equals the operator applied to two arguments, the value on
``a_1 ... a_(k-1)`` and ``a_k`` (the median of the original ListOps is not).
This is why :func:`~lstm_helpers.trees.binarize` keeps the value of an
expression. The expression is also a tree (:class:`~lstm_helpers.trees.Tree`):
an operator node whose children are its arguments, with digits as leaves.
A tree model reads the tree; a sequential model reads the flat token
sequence with its brackets.

:func:`listops` draws expressions; its ``exclude`` argument draws a test set
that shares no expression with a training set. :func:`node_values` gives the
value of every node of a :class:`~lstm_helpers.cells.tree_batch.TreeBatch`.

The trees are :class:`lstm_helpers.trees.Tree` objects, which need no
PyTorch; only :func:`node_values`, which reads a ``TreeBatch``, imports it.
"""

from __future__ import annotations

import random
from typing import NamedTuple

import numpy as np

from .._checks import check_choice, check_int, check_rng
from ..trees import Tree

__all__ = [
    "OPERATORS",
    "DIGITS",
    "TREE_VOCAB",
    "SEQ_VOCAB",
    "ListOps",
    "listops",
    "evaluate",
    "to_tokens",
    "to_string",
    "parse",
    "encode_tokens",
    "node_values",
]

#: The five operators, in a fixed order.
OPERATORS = ("MIN", "MAX", "FIRST", "LAST", "SM")
#: The ten digits, as strings (the labels of the leaves).
DIGITS = tuple(str(d) for d in range(10))
#: Node labels of the trees: operators, then digits (index = id for an embedding).
TREE_VOCAB = OPERATORS + DIGITS
#: Tokens of the flat sequences: padding (id 0), the opening tokens ``[MIN`` ...
#: ``[SM``, the closing bracket ``]``, then the digits.
SEQ_VOCAB = ("<pad>",) + tuple("[" + op for op in OPERATORS) + ("]",) + DIGITS


class ListOps(NamedTuple):
    """What :func:`listops` returns (a named tuple: unpack it or use the names).

    Fields
    ------
    trees : list of Tree, length n
        The expressions as trees: operator nodes with digit leaves.
    tokens : list of list of str, length n
        The same expressions as flat token sequences, e.g.
        ``['[MAX', '2', '9', '[MIN', '4', '7', ']', '0', ']']``.
    labels : ndarray of int64, shape (n,)
        The values of the expressions, in ``0 ... 9``.
    depths : ndarray of int64, shape (n,)
        The depth of each expression: the height of its tree, the largest
        number of nested brackets (``[MAX 2 9 ]`` has depth 1).
    """

    trees: list
    tokens: list
    labels: np.ndarray
    depths: np.ndarray


def _apply(op, args):
    if op == "MIN":
        return min(args)
    if op == "MAX":
        return max(args)
    if op == "FIRST":
        return args[0]
    if op == "LAST":
        return args[-1]
    return sum(args) % 10  # SM


def evaluate(tree) -> int:
    """The value of a ListOps expression given as a tree.

    Parameters
    ----------
    tree : Tree
        Leaves are digits ``"0" ... "9"``; internal nodes are operators
        (:data:`OPERATORS`) with at least one child.

    Returns
    -------
    int
        The value, in ``0 ... 9``.

    Raises
    ------
    ValueError
        If a leaf is not a digit or an internal node is not an operator.

    Examples
    --------
    >>> evaluate(parse("[MAX 2 9 [MIN 4 7 ] 0 ]"))
    9
    >>> evaluate(parse("[SM 5 [FIRST 8 1 ] ]"))
    3
    """
    stack = [(tree, [])]  # explicit stack: no recursion limit on deep expressions
    while True:
        node, values = stack[-1]
        if not hasattr(node, "children") or not hasattr(node, "label"):
            raise ValueError(f"expected a Tree, got {type(node).__name__} {node!r}")
        if node.is_leaf:
            check_choice("a leaf label", node.label, DIGITS)
            value = int(node.label)
        elif len(values) < len(node.children):
            stack.append((node.children[len(values)], []))
            continue
        else:
            check_choice("an operator label", node.label, OPERATORS)
            value = _apply(node.label, values)
        stack.pop()
        if not stack:
            return value
        stack[-1][1].append(value)


def to_tokens(tree) -> list:
    """The flat token sequence of a tree: ``['[MAX', '2', '9', '[MIN', '4', '7', ']', '0', ']']``.

    Each internal node becomes ``'[' + operator``, its arguments, and ``']'``;
    each leaf becomes its digit.
    """
    if tree.is_leaf:
        return [str(tree.label)]
    out = ["[" + str(tree.label)]
    for child in tree.children:
        out += to_tokens(child)
    return out + ["]"]


def to_string(tree) -> str:
    """The expression as one string, tokens separated by spaces: ``"[MAX 2 9 [MIN 4 7 ] 0 ]"``."""
    return " ".join(to_tokens(tree))


def parse(expression):
    """Parse a ListOps string (or a list of its tokens) into a tree.

    Parameters
    ----------
    expression : str or list of str
        Tokens separated by white space, as written by :func:`to_string`.

    Returns
    -------
    Tree

    Raises
    ------
    ValueError
        If a token is not in :data:`SEQ_VOCAB` or the brackets do not match.

    Examples
    --------
    >>> str(parse("[MAX 2 9 [MIN 4 7 ] 0 ]"))
    '(MAX 2 9 (MIN 4 7) 0)'
    """
    tokens = expression.split() if isinstance(expression, str) else list(expression)
    if not tokens:
        raise ValueError("expression must hold at least one token, got an empty expression")
    stack = []  # (operator, children)
    result = None
    for pos, tok in enumerate(tokens):
        if result is not None:
            raise ValueError(f"extra token {tok!r} at position {pos} after the end of the expression")
        check_choice(f"token {pos}", tok, SEQ_VOCAB[1:])
        if tok.startswith("["):
            stack.append((tok[1:], []))
            continue
        if tok == "]":
            if not stack:
                raise ValueError(f"unmatched ']' at position {pos}")
            op, children = stack.pop()
            if not children:
                raise ValueError(f"operator {op} at position {pos} has no arguments")
            node = Tree(op, children)
        else:
            node = Tree(tok)
        if stack:
            stack[-1][1].append(node)
        else:
            result = node
    if stack:
        raise ValueError(f"{len(stack)} bracket(s) left open at the end of the expression")
    return result


def encode_tokens(tokens):
    """Turn token sequences into padded integer ids for an embedding layer.

    Parameters
    ----------
    tokens : list of list of str, length n
        Token sequences, e.g. ``ListOps.tokens``.

    Returns
    -------
    ids : ndarray of int64, shape (n, T_max)
        ``SEQ_VOCAB.index(token)``, right-padded with 0 (``"<pad>"``).
    lengths : ndarray of int64, shape (n,)
        The true length of each sequence.

    Raises
    ------
    ValueError
        If ``tokens`` is empty or holds a token that is not in :data:`SEQ_VOCAB`.
    """
    tokens = [list(seq) for seq in tokens]
    if not tokens or any(not seq for seq in tokens):
        raise ValueError("tokens must be a non-empty list of non-empty token sequences")
    index = {tok: i for i, tok in enumerate(SEQ_VOCAB)}
    lengths = np.array([len(seq) for seq in tokens], dtype=np.int64)
    ids = np.zeros((len(tokens), int(lengths.max())), dtype=np.int64)
    for n, seq in enumerate(tokens):
        for t, tok in enumerate(seq):
            if tok not in index or tok == "<pad>":
                check_choice(f"token {t} of sequence {n}", tok, SEQ_VOCAB[1:])
            ids[n, t] = index[tok]
    return ids, lengths


def node_values(batch) -> np.ndarray:
    """The value of every node of a batch of ListOps trees, in the batch's node order.

    A leaf's value is its digit; an operator node's value is the operator
    applied to the values of its children, in order. For the root of a tree
    this is :func:`evaluate`; for a node inside the tree it is the value of
    the subexpression below it. On a binarized tree
    (:func:`~lstm_helpers.trees.binarize`) every new node holds the value
    of the operator on the arguments so far, because every operator is a left
    fold.

    Parameters
    ----------
    batch : TreeBatch
        From :func:`~lstm_helpers.cells.tree_batch.batch_trees` on ListOps trees:
        leaf labels are digits, internal labels operators.

    Returns
    -------
    ndarray of int64, shape (M,)
        ``values[m]`` belongs to node ``m`` (``batch.labels[m]``); use
        ``values[batch.tree_rows(b)]`` for the nodes of tree ``b`` in
        pre-order and ``values[batch.roots]`` for the roots.

    Raises
    ------
    ValueError
        If ``batch`` is not a TreeBatch, a leaf is not a digit or an internal
        node is not an operator.

    Examples
    --------
    >>> from lstm_helpers.cells.tree_batch import batch_trees
    >>> batch = batch_trees([parse("[MAX 2 9 [MIN 4 7 ] 0 ]")])
    >>> values = node_values(batch)
    >>> [f"{batch.labels[r]}={values[r]}" for r in batch.tree_rows(0).tolist()]
    ['MAX=9', '2=2', '9=9', 'MIN=4', '4=4', '7=7', '0=0']
    """
    from ..cells.tree_batch import TreeBatch

    if not isinstance(batch, TreeBatch):
        raise ValueError(f"batch must be a TreeBatch (from batch_trees), got {type(batch).__name__}")
    children = [[] for _ in range(batch.n_nodes)]
    # edges are sorted by parent, then by position: the children arrive in order
    for parent, child in zip(batch.edge_parent.tolist(), batch.edge_child.tolist()):
        children[parent].append(child)
    values = np.empty(batch.n_nodes, dtype=np.int64)
    for m, label in enumerate(batch.labels):  # nodes are sorted by height: children come first
        if children[m]:
            check_choice(f"the label of internal node {m}", label, OPERATORS)
            values[m] = _apply(label, [int(values[c]) for c in children[m]])
        else:
            check_choice(f"the label of leaf {m}", label, DIGITS)
            values[m] = int(label)
    return values


def _expression(depth, r, max_args, branch_prob, operators, Tree):
    """A random expression of exactly ``depth`` as a Tree; ``r`` is a ``random.Random``."""
    k = r.randint(2, max_args)
    op = operators[r.randrange(len(operators))]
    if depth == 1:
        return Tree(op, [Tree(DIGITS[r.randrange(10)]) for _ in range(k)])
    deep = r.randrange(k)  # this argument carries the full depth
    args = []
    for a in range(k):
        if a == deep:
            args.append(_expression(depth - 1, r, max_args, branch_prob, operators, Tree))
        elif r.random() < branch_prob:
            args.append(_expression(r.randint(1, depth - 1), r, max_args, branch_prob, operators, Tree))
        else:
            args.append(Tree(DIGITS[r.randrange(10)]))
    return Tree(op, args)


def _exclusion_set(exclude):
    """The expression strings of ``exclude`` (a ListOps or an iterable of strings) as a set."""
    if exclude is None:
        return None
    if isinstance(exclude, ListOps):
        return {" ".join(tokens) for tokens in exclude.tokens}
    if isinstance(exclude, (str, bytes)) or not hasattr(exclude, "__iter__"):
        raise ValueError(
            "exclude must be a ListOps (e.g. the training set) or an iterable of expression strings "
            f"such as ['[MAX 2 9 ]'], got {type(exclude).__name__} {exclude!r:.60}"
        )
    strings = set()
    for k, expression in enumerate(exclude):
        if not isinstance(expression, str):
            raise ValueError(f"exclude[{k}] must be an expression string such as '[MAX 2 9 ]', "
                             f"got {type(expression).__name__} {expression!r:.60}")
        strings.add(" ".join(expression.split()))
    return strings


_MAX_REDRAWS = 10_000  # draws in a row that may all fall in ``exclude`` before listops gives up


def listops(n, rng, max_depth=4, max_args=4, min_depth=1, branch_prob=0.25, operators=OPERATORS, exclude=None):
    """Generate ``n`` random ListOps expressions with their trees, values and depths.

    The depth of each expression is drawn uniformly from
    ``min_depth ... max_depth``, so every depth is equally common (in
    expectation ``n / (max_depth - min_depth + 1)`` expressions each). An
    expression of depth ``d`` is built top-down: an operator drawn uniformly
    from ``operators``, with ``2 ... max_args`` arguments (uniform). At depth 1
    all arguments are digits (uniform over 0--9). Otherwise one argument,
    at a uniform position, is an expression of depth ``d - 1``; each other
    argument is, with probability ``branch_prob``, an expression of a depth
    drawn uniformly from ``1 ... d - 1``, and otherwise a digit.

    Parameters
    ----------
    n : int
        Number of expressions, at least 1.
    rng : numpy.random.Generator
        Source of randomness (advanced by the call).
    max_depth : int
        Largest depth, at least ``min_depth``.
    max_args : int
        Largest number of arguments of an operator, at least 2.
    min_depth : int
        Smallest depth, at least 1.
    branch_prob : float
        Probability that an argument beside the deepest one is an expression,
        in ``[0, 1]``.
    operators : sequence of str
        The operators to use, a non-empty subset of :data:`OPERATORS`.
    exclude : ListOps or iterable of str, optional
        Expressions that must not occur in the result, for example the
        training set when drawing a test set. A drawn expression whose string
        (:func:`to_string`) is in ``exclude`` is dropped and a new one is drawn
        at the same depth, so the depths stay uniform; the mix of expressions
        within a depth changes where ``exclude`` holds many of them (few
        expressions of depth 1 exist: ``5 * (100 + 1000)`` with
        ``max_args=3``). Without ``exclude`` the draws are those of a call
        without it.

    Returns
    -------
    ListOps
        The named tuple ``(trees, tokens, labels, depths)`` (:class:`ListOps`);
        unpack it in this order or read the fields by name.
    trees : list of Tree, length n
        The expressions as trees (:class:`~lstm_helpers.trees.Tree`).
    tokens : list of list of str, length n
        The same expressions as flat token sequences (:func:`to_tokens`).
    labels : ndarray of int64, shape (n,)
        The values of the expressions, in ``0 ... 9``.
    depths : ndarray of int64, shape (n,)
        The depth of each expression, in ``min_depth ... max_depth``.

    Raises
    ------
    ValueError
        On a bad argument; the message names the valid values. Also when
        ``exclude`` holds (nearly) every expression of a depth, so that
        10,000 draws in a row all fall in it.

    Examples
    --------
    >>> train = listops(500, np.random.default_rng(0), max_depth=2)
    >>> test = listops(100, np.random.default_rng(1), max_depth=2, exclude=train)
    >>> set(map(to_string, test.trees)) & set(map(to_string, train.trees))
    set()
    >>> data = listops(3, np.random.default_rng(0), max_depth=2)
    >>> len(data.trees), data.labels.shape, data.depths.shape
    (3, (3,), (3,))
    >>> data._fields
    ('trees', 'tokens', 'labels', 'depths')
    >>> all(evaluate(t) == y for t, y in zip(data.trees, data.labels))
    True
    """
    n = check_int("n", n, 1)
    min_depth = check_int("min_depth", min_depth, 1)
    max_depth = check_int("max_depth", max_depth, min_depth)
    max_args = check_int("max_args", max_args, 2)
    if isinstance(branch_prob, bool) or not isinstance(branch_prob, (int, float, np.floating)) \
            or not 0.0 <= float(branch_prob) <= 1.0:
        raise ValueError(f"branch_prob must be a probability in [0, 1], got {branch_prob!r}")
    if isinstance(operators, str):
        operators = (operators,)
    operators = tuple(operators)
    if not operators:
        raise ValueError(f"operators must be a non-empty subset of {', '.join(OPERATORS)}; got none")
    for op in operators:
        check_choice("each operator", op, OPERATORS)
    check_rng(rng)
    excluded = _exclusion_set(exclude)

    # one draw from rng seeds a fast Python generator for the many small draws below
    r = random.Random(int(rng.integers(2**63)))
    trees, tokens, labels = [], [], []
    depths = np.empty(n, dtype=np.int64)
    for j in range(n):
        depths[j] = r.randint(min_depth, max_depth)
        tree = _expression(int(depths[j]), r, max_args, float(branch_prob), operators, Tree)
        expression = to_tokens(tree)
        redraws = 0
        while excluded is not None and " ".join(expression) in excluded:
            redraws += 1
            if redraws > _MAX_REDRAWS:
                raise ValueError(
                    f"exclude holds (nearly) every expression of depth {depths[j]}: {_MAX_REDRAWS} draws in a "
                    "row were all excluded; draw more expressions at once, or exclude fewer"
                )
            tree = _expression(int(depths[j]), r, max_args, float(branch_prob), operators, Tree)
            expression = to_tokens(tree)
        trees.append(tree)
        tokens.append(expression)
        labels.append(evaluate(tree))
    return ListOps(trees, tokens, np.array(labels, dtype=np.int64), depths)
