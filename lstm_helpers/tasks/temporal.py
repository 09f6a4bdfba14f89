"""The temporal order task (Hochreiter & Schmidhuber, 1997, Experiment 6).

- :func:`temporal_order` -- classify a sequence by the order of two or three
  widely separated symbols X / Y; sequences of variable length are padded
  with zeros at the end and come with their ``lengths``;
- :func:`temporal_order_classes` -- the names of the classes;
- :func:`temporal_order_correct` -- the paper's success criterion;
- :data:`TEMPORAL_ORDER_SYMBOLS` -- the 8 input symbols in one-hot order.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array, check_choice, check_int, check_rng
from .batch import PaddedSequences

__all__ = [
    "TEMPORAL_ORDER_SYMBOLS",
    "temporal_order",
    "temporal_order_classes",
    "temporal_order_correct",
]

#: The 8 input symbols of the temporal order task, in one-hot order.
TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "B", "E")

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
    >>> from lstm_helpers.tasks.decoding import decode
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
