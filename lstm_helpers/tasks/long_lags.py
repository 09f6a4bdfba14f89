"""The long-time-lag tasks of Hochreiter & Schmidhuber (1997) and their modern forms.

Four seeded generators, each ``(n, ..., rng) -> arrays`` in a named tuple
(:mod:`lstm_helpers.tasks.batch`), batch first:

- :func:`adding_problem` -- remember two marked real numbers and output their
  sum at the end (the paper's Experiment 4, or the fixed-length variant of
  Arjovsky et al., 2016);
- :func:`embedded_reber` -- predict the legal next symbols of strings of the
  embedded Reber grammar (the paper's Experiment 1);
- :func:`temporal_order` -- classify a sequence by the order of two or three
  widely separated symbols X / Y (the paper's Experiment 6);
- :func:`copy_task` -- reproduce ten symbols after a long blank (Arjovsky et
  al., 2016).

Sequences of variable length are padded with zeros at the end and come with
their ``lengths``. Helpers: :func:`embedded_reber_walk` (the grammar walker),
:func:`reber_correct` (the paper's success criterion),
:func:`adding_correct`, :func:`temporal_order_correct`,
:func:`copy_task_baseline` and :func:`decode`.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array, check_choice, check_int, check_rng
from .batch import PaddedSequences, Sequences

__all__ = [
    "REBER_SYMBOLS",
    "TEMPORAL_ORDER_SYMBOLS",
    "adding_problem",
    "adding_correct",
    "embedded_reber",
    "embedded_reber_walk",
    "reber_correct",
    "temporal_order",
    "temporal_order_classes",
    "temporal_order_correct",
    "copy_task",
    "copy_task_baseline",
    "decode",
]

#: The 7 symbols of the (embedded) Reber grammar, in one-hot order.
REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")
#: The 8 input symbols of the temporal order task, in one-hot order.
TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "B", "E")

ADDING_VARIANTS = ("1997", "modern")
REBER_RULES = ("topk", "threshold")

# The Reber grammar as a graph: node -> ((symbol, next node), (symbol, next node)).
# Node 1 follows the initial B; node 6 only accepts the final E.
_REBER_GRAPH = {
    1: (("T", 2), ("P", 3)),
    2: (("S", 2), ("X", 4)),
    3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)),
    5: (("P", 4), ("V", 6)),
    6: (("E", None),),
}


# --------------------------------------------------------------------------- adding problem


def adding_problem(n, T, rng, variant="1997"):
    """The adding problem: output the sum of the two marked values at the end of a sequence.

    Every step of a sequence is a pair ``(value, marker)``. Two pairs carry the
    marker 1; the target, given only after the last step, is a function of
    their values :math:`X_1` and :math:`X_2`.

    ``variant="1997"`` (Hochreiter & Schmidhuber, 1997, Experiment 4):

    - the length ``L`` of each sequence is an integer drawn uniformly from
      ``T ... T + T // 10``;
    - values are drawn uniformly from ``[-1, 1]``;
    - :math:`X_1` is the value of one of the first 10 pairs (position ``p1``
      uniform in ``0 ... 9``), :math:`X_2` the value of one of the first
      ``T // 2 - 1`` pairs that are not marked yet (for ``T >= 20``, ``p2``
      is uniform over ``{0, ..., T // 2 - 1}`` without ``p1``);
    - all other markers are 0, except those of the first and the last pair,
      which are -1 (the first pair keeps the marker 1 when it is marked);
    - when the first pair is the one marked as :math:`X_1` (``p1 = 0``), its
      value is set to 0, so :math:`X_1 = 0`;
    - the target is :math:`0.5 + (X_1 + X_2) / 4`, in ``[0, 1]``; a sequence
      counts as processed correctly when the absolute error of the output is
      below 0.04 (:func:`adding_correct`).

    ``variant="modern"`` (Arjovsky et al., 2016): every sequence has exactly
    ``T`` steps, values are uniform in ``[0, 1]``, one marker 1 lies in the
    first half (``p1`` in ``0 ... T // 2 - 1``) and one in the second half
    (``p2`` in ``T // 2 ... T - 1``), all other markers are 0, and the target
    is :math:`X_1 + X_2`. Predicting the mean, 1, always gives a mean squared
    error of :math:`\\mathrm{Var}(X_1 + X_2) = 2/12 = 1/6`.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    T : int
        Minimal length: at least 10 for ``"1997"`` (the first ten pairs must
        exist), at least 2 for ``"modern"``.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    variant : {"1997", "modern"}

    Returns
    -------
    PaddedSequences
        The named tuple ``(x, y, lengths)``
        (:class:`~lstm_helpers.tasks.batch.PaddedSequences`); unpack it as
        ``x, y, lengths = adding_problem(...)`` or read the fields by name.
    x : ndarray of float64, shape (n, L_max, 2)
        ``x[i, t] = (value, marker)`` for ``t < lengths[i]``; zero padding
        after. ``L_max = T + T // 10`` for ``"1997"`` and ``T`` for
        ``"modern"``.
    y : ndarray of float64, shape (n,)
        The targets.
    lengths : ndarray of int64, shape (n,)
        Number of valid steps of each sequence; the output is read after step
        ``lengths[i]`` (index ``lengths[i] - 1``).

    Raises
    ------
    ValueError
        If ``variant`` is not one of ``"1997"``, ``"modern"``, if ``n`` or
        ``T`` is too small, or ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, lengths = adding_problem(3, 20, np.random.default_rng(0))
    >>> x.shape, y.shape, lengths.shape
    ((3, 22, 2), (3,), (3,))
    >>> bool(np.all((x[:, :, 1] == 1).sum(axis=1) == 2))
    True
    >>> adding_problem(3, 20, np.random.default_rng(0))._fields
    ('x', 'y', 'lengths')
    """
    check_choice("variant", variant, ADDING_VARIANTS)
    n = check_int("n", n, 1)
    T = check_int("T", T, 10 if variant == "1997" else 2)
    check_rng(rng)
    rows = np.arange(n)
    if variant == "modern":
        values = rng.uniform(0.0, 1.0, size=(n, T))
        p1 = rng.integers(0, T // 2, size=n)
        p2 = rng.integers(T // 2, T, size=n)
        markers = np.zeros((n, T))
        markers[rows, p1] = 1.0
        markers[rows, p2] = 1.0
        y = values[rows, p1] + values[rows, p2]
        lengths = np.full(n, T, dtype=np.int64)
        return PaddedSequences(np.stack([values, markers], axis=2), y, lengths)

    L_max = T + T // 10
    lengths = rng.integers(T, L_max + 1, size=n).astype(np.int64)
    values = rng.uniform(-1.0, 1.0, size=(n, L_max))
    p1 = rng.integers(0, 10, size=n)
    k = rng.integers(0, T // 2 - 1, size=n)  # index among the first T//2 - 1 unmarked pairs
    p2 = k + (k >= p1)
    valid = np.arange(L_max)[None, :] < lengths[:, None]
    markers = np.zeros((n, L_max))
    markers[:, 0] = -1.0
    markers[rows, lengths - 1] = -1.0
    markers[rows, p1] = 1.0
    markers[rows, p2] = 1.0
    values[p1 == 0, 0] = 0.0  # X1 is set to zero when the first pair is marked as X1
    values = np.where(valid, values, 0.0)
    y = 0.5 + (values[rows, p1] + values[rows, p2]) / 4.0
    return PaddedSequences(np.stack([values, markers], axis=2), y, lengths)


def adding_correct(prediction, y, variant="1997", tolerance=None):
    """Which sequences of the adding problem are processed correctly.

    Parameters
    ----------
    prediction, y : array-like, shape (n,)
        Outputs at the last step of each sequence, and the targets.
    variant : {"1997", "modern"}
        Sets the default tolerance: 0.04 for ``"1997"`` (the paper's
        criterion; its target is the sum :math:`X_1 + X_2` divided by 4, plus
        0.5) and 0.16 for ``"modern"`` (the same tolerance on the unscaled
        sum).
    tolerance : float, optional
        Overrides the default.

    Returns
    -------
    ndarray of bool, shape (n,)
        ``|prediction - y| < tolerance``.

    Raises
    ------
    ValueError
        If the shapes differ or ``variant`` is unknown.
    """
    check_choice("variant", variant, ADDING_VARIANTS)
    prediction = as_array("prediction", prediction, 1, "(n,)")
    y = as_array("y", y, 1, "(n,)")
    if prediction.shape != y.shape:
        raise ValueError(f"prediction and y must both have shape (n,), got {prediction.shape} and {y.shape}")
    if tolerance is None:
        tolerance = 0.04 if variant == "1997" else 0.16
    return np.abs(prediction - y) < tolerance


# --------------------------------------------------------------------------- embedded Reber


def _reber_string(rng):
    """One embedded Reber string and the legal next symbols after each of its prefixes."""
    branch = "T" if rng.random() < 0.5 else "P"
    symbols = ["B", branch, "B"]
    legal = [("T", "P"), ("B",), ("T", "P")]
    node = 1
    while node is not None:
        options = _REBER_GRAPH[node]
        symbol, node = options[0] if len(options) == 1 else options[int(rng.random() < 0.5)]
        symbols.append(symbol)
        legal.append(tuple(s for s, _ in _REBER_GRAPH[node]) if node is not None else (branch,))
    symbols += [branch, "E"]
    legal += [("E",), ()]
    return "".join(symbols), legal


def embedded_reber_walk(string):
    """Walk a string through the embedded Reber grammar; return the legal next symbols.

    The embedded grammar is ``B, (T|P), <Reber string>, the same (T|P), E``,
    where a Reber string starts with B and ends with E and follows the graph
    of Reber (1967) in between (as drawn by Hochreiter & Schmidhuber, 1997,
    Fig. 3).

    Parameters
    ----------
    string : str
        A complete string over ``B, T, P, S, X, V, E``.

    Returns
    -------
    list of str, length ``len(string)``
        Entry ``t`` holds the legal symbols after the prefix ``string[:t + 1]``
        in the order of :data:`REBER_SYMBOLS` (``""`` after the final E).

    Raises
    ------
    ValueError
        If ``string`` is not a string of the embedded Reber grammar; the
        message names the first illegal position.

    Examples
    --------
    >>> embedded_reber_walk("BTBTXSETE")
    ['TP', 'B', 'TP', 'SX', 'SX', 'E', 'T', 'E', '']
    """
    if not isinstance(string, str):
        raise ValueError(f"string must be a str over {''.join(REBER_SYMBOLS)}, got {type(string).__name__}")
    order = {s: i for i, s in enumerate(REBER_SYMBOLS)}

    def fmt(options):
        return "".join(sorted(options, key=order.__getitem__))

    legal = []
    expected = ("B",)
    state = "start"
    node = None
    branch = None
    for t, symbol in enumerate(string):
        if symbol not in expected:
            raise ValueError(
                f"{string!r} is not an embedded Reber string: symbol {t} is {symbol!r}, "
                f"expected one of {fmt(expected)!r}"
            )
        if state == "start":
            state, expected = "outer", ("T", "P")
        elif state == "outer":
            branch = symbol
            state, expected = "inner_B", ("B",)
        elif state == "inner_B":
            state, node = "inner", 1
            expected = tuple(s for s, _ in _REBER_GRAPH[node])
        elif state == "inner":
            node = dict(_REBER_GRAPH[node])[symbol]
            if node is None:
                state, expected = "branch", (branch,)
            else:
                expected = tuple(s for s, _ in _REBER_GRAPH[node])
        elif state == "branch":
            state, expected = "end", ("E",)
        elif state == "end":
            state, expected = "done", ()
        legal.append(fmt(expected))
    if state != "done":
        raise ValueError(f"{string!r} is not an embedded Reber string: it stops before its final E")
    return legal


def embedded_reber(n, rng):
    """Strings of the embedded Reber grammar, as next-symbol prediction data.

    A string is B, then T or P (probability 1/2 each), then a Reber string
    (B ... E, each branch of the grammar taken with probability 1/2), then
    the same T or P as before, then E. The network reads the string one
    symbol at a time and, after each symbol, must predict the *set* of legal
    next symbols (Hochreiter & Schmidhuber, 1997, Experiment 1). Most steps
    are easy, but the second-to-last prediction needs a memory: the only
    legal symbol is the T or P seen at step 2, before the whole inner Reber
    string.

    Parameters
    ----------
    n : int
        Number of strings, at least 1.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.

    Returns
    -------
    PaddedSequences
        The named tuple ``(x, y, lengths)``
        (:class:`~lstm_helpers.tasks.batch.PaddedSequences`); its ``y`` holds
        the multi-hot targets, so unpack it as
        ``x, targets, lengths = embedded_reber(...)`` or read the fields by name.
    x : ndarray of float64, shape (n, L_max, 7)
        One-hot inputs over :data:`REBER_SYMBOLS` (``B, T, P, S, X, V, E``):
        all symbols of string ``i`` except its final E, so ``lengths[i]`` steps,
        then zero padding. ``L_max = lengths.max()``.
    y : ndarray of float64, shape (n, L_max, 7)
        The targets, multi-hot legal-next sets: ``y[i, t, s] = 1`` when symbol ``s``
        may follow the first ``t + 1`` symbols of string ``i``. Each valid
        step has one or two ones; padding is zero. The last valid step
        (``t = lengths[i] - 1``, input T or P) has the single target E, the
        step before it the single target T or P that repeats symbol 2.
    lengths : ndarray of int64, shape (n,)
        ``len(string) - 1`` for each string (at least 8).

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or ``rng`` is not a
        ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, targets, lengths = embedded_reber(2, np.random.default_rng(0))
    >>> x.shape[2], targets.shape == x.shape
    (7, True)
    >>> string = decode(x[0], REBER_SYMBOLS, lengths[0]) + "E"  # the final E is not an input
    >>> len(embedded_reber_walk(string)) == int(lengths[0]) + 1
    True
    >>> embedded_reber(2, np.random.default_rng(0))._fields
    ('x', 'y', 'lengths')
    """
    n = check_int("n", n, 1)
    check_rng(rng)
    index = {s: i for i, s in enumerate(REBER_SYMBOLS)}
    pairs = [_reber_string(rng) for _ in range(n)]
    lengths = np.array([len(s) - 1 for s, _ in pairs], dtype=np.int64)
    L_max = int(lengths.max())
    x = np.zeros((n, L_max, len(REBER_SYMBOLS)))
    targets = np.zeros_like(x)
    for i, (string, legal) in enumerate(pairs):
        for t, (symbol, options) in enumerate(zip(string[:-1], legal[:-1])):
            x[i, t, index[symbol]] = 1.0
            for s in options:
                targets[i, t, index[s]] = 1.0
    return PaddedSequences(x, targets, lengths)


def reber_correct(outputs, targets, lengths, rule="topk", threshold=0.5):
    """The 1997 success criterion: every legal next symbol is predicted, at every step.

    Parameters
    ----------
    outputs : array-like, shape (n, L, 7)
        The network's scores (or probabilities) for each next symbol.
    targets : array-like, shape (n, L, 7)
        Multi-hot legal-next sets from :func:`embedded_reber`.
    lengths : array-like of int, shape (n,)
        Valid steps of each string; later steps are ignored.
    rule : {"topk", "threshold"}
        ``"topk"`` (the paper's rule): at each step with ``k`` legal symbols,
        the ``k`` largest outputs must be exactly the legal ones.
        ``"threshold"``: the outputs above ``threshold`` must be exactly the
        legal ones (use it with probabilities).
    threshold : float
        Used by ``rule="threshold"``.

    Returns
    -------
    ndarray of bool, shape (n,)
        True for a string whose every step is predicted correctly, the
        long-lag step before the final E included.

    Raises
    ------
    ValueError
        On mismatched shapes or an unknown ``rule``.
    """
    check_choice("rule", rule, REBER_RULES)
    outputs = as_array("outputs", outputs, 3, "(n, L, 7)")
    targets = as_array("targets", targets, 3, "(n, L, 7)")
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets must have the same shape (n, L, 7), got {outputs.shape} and {targets.shape}")
    lengths = np.asarray(lengths)
    if lengths.shape != (outputs.shape[0],):
        raise ValueError(f"lengths must have shape (n,) = ({outputs.shape[0]},), got {lengths.shape}")
    legal = targets > 0.5
    if rule == "threshold":
        predicted = outputs > threshold
    else:
        k = legal.sum(axis=2, keepdims=True)
        rank = np.argsort(np.argsort(-outputs, axis=2, kind="stable"), axis=2, kind="stable")
        predicted = rank < k
    step_ok = np.all(predicted == legal, axis=2)
    valid = np.arange(outputs.shape[1])[None, :] < lengths[:, None]
    return np.all(step_ok | ~valid, axis=1)


# --------------------------------------------------------------------------- temporal order

_TEMPORAL_POSITIONS = {2: ((10, 20), (50, 60)), 3: ((10, 20), (33, 43), (66, 76))}


def temporal_order_classes(n_relevant=2):
    """Names of the classes of :func:`temporal_order`: ``["XX", "XY", "YX", "YY"]`` for 2.

    Class ``k`` is the order of the relevant symbols read as a binary number
    with X = 0 and Y = 1, the first symbol most significant.

    Raises
    ------
    ValueError
        If ``n_relevant`` is not 2 or 3.
    """
    check_choice("n_relevant", n_relevant, (2, 3))
    return ["".join("XY"[(k >> (n_relevant - 1 - j)) & 1] for j in range(n_relevant))
            for k in range(2**n_relevant)]


def temporal_order(n, rng, n_relevant=2):
    """The temporal order task: classify a sequence by the order of its X and Y symbols.

    Following Hochreiter & Schmidhuber (1997), Experiment 6: a sequence has a
    length ``L`` drawn uniformly from ``100 ... 110``. It starts with E, ends
    with the trigger symbol B, and every other step is a distractor drawn
    uniformly from ``a, b, c, d``, except for ``n_relevant`` steps that hold
    an X or a Y (probability 1/2 each). Their positions (0-based, each
    uniform in its range) are

    - ``n_relevant=2`` (task 6a): ``t1`` in ``10 ... 20``, ``t2`` in ``50 ... 60``;
    - ``n_relevant=3`` (task 6b): ``t1`` in ``10 ... 20``, ``t2`` in ``33 ... 43``,
      ``t3`` in ``66 ... 76``.

    The class (4 or 8 of them) is the order of the relevant symbols, given
    only at the end, so the first one must be remembered for at least 80
    steps. A sequence counts as classified correctly when the final error of
    every output unit is below 0.3 (:func:`temporal_order_correct`).

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    n_relevant : {2, 3}

    Returns
    -------
    PaddedSequences
        The named tuple ``(x, y, lengths)``
        (:class:`~lstm_helpers.tasks.batch.PaddedSequences`); unpack it as
        ``x, y, lengths = temporal_order(...)`` or read the fields by name.
    x : ndarray of float64, shape (n, 110, 8)
        One-hot inputs over :data:`TEMPORAL_ORDER_SYMBOLS`
        (``a, b, c, d, X, Y, B, E``), zero padding after ``lengths[i]`` steps.
    y : ndarray of int64, shape (n,)
        Classes in ``0 ... 2**n_relevant - 1``, named by
        :func:`temporal_order_classes` (``0 = XX, 1 = XY, 2 = YX, 3 = YY``).
    lengths : ndarray of int64, shape (n,)
        Sequence lengths, ``100 ... 110``.

    Raises
    ------
    ValueError
        If ``n_relevant`` is not 2 or 3, ``n`` is not a positive integer, or
        ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, lengths = temporal_order(2, np.random.default_rng(0))
    >>> x.shape, decode(x[0], TEMPORAL_ORDER_SYMBOLS)[0], decode(x[0], TEMPORAL_ORDER_SYMBOLS, lengths[0])[-1]
    ((2, 110, 8), 'E', 'B')
    >>> temporal_order(2, np.random.default_rng(0))._fields
    ('x', 'y', 'lengths')
    """
    check_choice("n_relevant", n_relevant, (2, 3))
    n = check_int("n", n, 1)
    check_rng(rng)
    L_max = 110
    lengths = rng.integers(100, L_max + 1, size=n).astype(np.int64)
    symbols = rng.integers(0, 4, size=(n, L_max))  # distractors a, b, c, d
    rows = np.arange(n)
    symbols[:, 0] = TEMPORAL_ORDER_SYMBOLS.index("E")
    symbols[rows, lengths - 1] = TEMPORAL_ORDER_SYMBOLS.index("B")
    y = np.zeros(n, dtype=np.int64)
    x_index = TEMPORAL_ORDER_SYMBOLS.index("X")
    for low, high in _TEMPORAL_POSITIONS[n_relevant]:
        position = rng.integers(low, high + 1, size=n)
        is_y = rng.integers(0, 2, size=n)
        symbols[rows, position] = x_index + is_y
        y = 2 * y + is_y
    x = np.eye(len(TEMPORAL_ORDER_SYMBOLS))[symbols]
    x[np.arange(L_max)[None, :] >= lengths[:, None]] = 0.0
    return PaddedSequences(x, y, lengths)


def temporal_order_correct(probabilities, y, tolerance=0.3):
    """The 1997 criterion: every output is within ``tolerance`` of the one-hot target.

    Parameters
    ----------
    probabilities : array-like, shape (n, C)
        Output activations at the last step (e.g. softmax probabilities).
    y : array-like of int, shape (n,)
        Classes.
    tolerance : float
        0.3 in the paper.

    Returns
    -------
    ndarray of bool, shape (n,)

    Raises
    ------
    ValueError
        On mismatched shapes.
    """
    probabilities = as_array("probabilities", probabilities, 2, "(n, C)")
    y = np.asarray(y)
    if y.shape != (probabilities.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({probabilities.shape[0]},), got {y.shape}")
    target = np.eye(probabilities.shape[1])[y]
    return np.all(np.abs(probabilities - target) < tolerance, axis=1)


# --------------------------------------------------------------------------- copy task


def copy_task(n, T, rng, n_symbols=8, length=10):
    """The copy task: reproduce ``length`` symbols after ``T`` blank steps.

    As in Arjovsky et al. (2016): symbol 0 is the blank, ``1 ... n_symbols``
    are data symbols and ``n_symbols + 1`` is the delimiter. The input is
    ``length`` data symbols (uniform), ``T - 1`` blanks, the delimiter and
    ``length`` blanks; the target is ``T + length`` blanks followed by the
    ``length`` data symbols. A memoryless strategy (blanks, then uniform
    guesses) has the cross-entropy :func:`copy_task_baseline`.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    T : int
        The lag, at least 1.
    rng : numpy.random.Generator
    n_symbols : int
        Number of data symbols, at least 2.
    length : int
        Number of symbols to copy, at least 1.

    Returns
    -------
    Sequences
        The named tuple ``(x, y)`` (:class:`~lstm_helpers.tasks.batch.Sequences`);
        unpack it as ``x, y = copy_task(...)`` or read ``.x`` and ``.y``.
    x : ndarray of float64, shape (n, T + 2 * length, n_symbols + 2)
        One-hot inputs.
    y : ndarray of int64, shape (n, T + 2 * length)
        Target symbol at every step.

    Raises
    ------
    ValueError
        If an integer argument is too small or ``rng`` is not a
        ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = copy_task(1, 5, np.random.default_rng(0), n_symbols=4, length=3)
    >>> x.shape, y.shape
    ((1, 11, 6), (1, 11))
    >>> bool(np.all(y[0, -3:] == x[0, :3].argmax(axis=1)))
    True
    >>> copy_task(1, 5, np.random.default_rng(0), n_symbols=4, length=3)._fields
    ('x', 'y')
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    length = check_int("length", length, 1)
    check_rng(rng)
    total = T + 2 * length
    data = rng.integers(1, n_symbols + 1, size=(n, length))
    inputs = np.zeros((n, total), dtype=np.int64)
    inputs[:, :length] = data
    inputs[:, length + T - 1] = n_symbols + 1
    y = np.zeros((n, total), dtype=np.int64)
    y[:, -length:] = data
    return Sequences(np.eye(n_symbols + 2)[inputs], y)


def copy_task_baseline(T, n_symbols=8, length=10):
    """Mean cross-entropy per step of the best memoryless strategy on :func:`copy_task`.

    Predict the blank with certainty for the first ``T + length`` steps and
    a uniform guess over the ``n_symbols`` data symbols for the last
    ``length`` steps: ``length * log(n_symbols) / (T + 2 * length)``, which
    is ``10 log 8 / (T + 20)`` with the defaults.

    Raises
    ------
    ValueError
        If an argument is not a positive integer (``n_symbols >= 2``).
    """
    T = check_int("T", T, 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    length = check_int("length", length, 1)
    return length * float(np.log(n_symbols)) / (T + 2 * length)


# --------------------------------------------------------------------------- decoding


def decode(x, symbols, length=None):
    """Turn one one-hot sequence back into a string of symbols.

    Parameters
    ----------
    x : array-like, shape (L, D)
        One sequence (e.g. ``x[i]`` of a generator).
    symbols : sequence of str, length D
        The names of the one-hot positions, e.g. :data:`REBER_SYMBOLS`.
    length : int, optional
        Number of steps to decode (default: all steps; all-zero padding steps
        become ``"."``).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``x`` is not 2-D with ``len(symbols)`` columns.
    """
    x = as_array("x", x, 2, "(L, D)")
    if x.shape[1] != len(symbols):
        raise ValueError(f"x must have shape (L, D) with D = len(symbols) = {len(symbols)}, got {x.shape}")
    if length is not None:
        x = x[: int(length)]
    return "".join(symbols[int(row.argmax())] if row.any() else "." for row in x)
