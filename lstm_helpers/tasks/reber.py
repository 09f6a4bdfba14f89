"""The embedded Reber grammar (Hochreiter & Schmidhuber, 1997, Experiment 1).

- :func:`embedded_reber` -- predict the legal next symbols of strings of the
  embedded Reber grammar; strings are padded with zeros at the end and come
  with their ``lengths``;
- :func:`embedded_reber_walk` -- the grammar walker (legal next symbols of a
  given string);
- :func:`reber_correct` -- the paper's success criterion;
- :data:`REBER_SYMBOLS` -- the 7 symbols in one-hot order;
- :func:`continual_embedded_reber` and :class:`ContinualReber` -- the continual
  embedded Reber grammar of Gers, Schmidhuber & Cummins (2000): strings
  concatenated into endless streams, with no reset between them;
  :class:`ReberStream` is what they return.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_array, check_choice, check_int, check_rng
from .batch import PaddedSequences

__all__ = [
    "REBER_SYMBOLS",
    "embedded_reber",
    "embedded_reber_walk",
    "reber_correct",
    "ReberStream",
    "ContinualReber",
    "continual_embedded_reber",
]

#: The 7 symbols of the (embedded) Reber grammar, in one-hot order.
REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")

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
    >>> from lstm_helpers.tasks.decoding import decode
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


# --------------------------------------------------------------------------- the continual grammar


class ReberStream(NamedTuple):
    """Windows of continual embedded Reber streams: ``(x, y, starts)``.

    Fields
    ------
    x : ndarray of float64, shape (n, L, 7)
        One-hot inputs over :data:`REBER_SYMBOLS`, one stream per row.
    y : ndarray of float64, shape (n, L, 7)
        Multi-hot legal-next sets: ``y[i, t, s] = 1`` when symbol ``s`` may
        follow the symbols of stream ``i`` up to step ``t``. After a string's
        final E the only legal symbol is the B that opens the next string.
    starts : ndarray of bool, shape (n, L)
        True at the first symbol (the outer B) of every string.
    """

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray


class ContinualReber:
    """``n`` endless streams of embedded Reber strings, read window by window.

    The continual embedded Reber grammar (Gers, Schmidhuber & Cummins,
    2000): strings of :func:`embedded_reber` follow each other without a
    break, and a network reading the stream is never told where one string
    ends; it must predict the legal next symbols at every step, for as long
    as the stream lasts. After the final E of a string the next symbol is
    always the B of the next one.

    Parameters
    ----------
    n : int
        Number of streams, at least 1.
    rng : numpy.random.Generator
        Source of randomness; the call draws one child generator per stream
        from it, so stream ``i`` does not depend on how the windows are cut.

    Notes
    -----
    :meth:`next` returns the next ``length`` steps of every stream as a
    :class:`ReberStream`; successive calls continue the streams where the
    last call stopped, so two windows of 30 and 20 steps equal one window of
    50 steps drawn from the same generator state. Every stream opens with
    the first symbol of a string.

    Examples
    --------
    >>> import numpy as np
    >>> streams = ContinualReber(2, np.random.default_rng(0))
    >>> first, second = streams.next(30), streams.next(20)
    >>> whole = ContinualReber(2, np.random.default_rng(0)).next(50)
    >>> bool(np.array_equal(np.concatenate([first.x, second.x], axis=1), whole.x))
    True
    >>> whole.x.shape, whole.y.shape, whole.starts.shape, bool(whole.starts[:, 0].all())
    ((2, 50, 7), (2, 50, 7), (2, 50), True)
    """

    def __init__(self, n, rng):
        self.n = check_int("n", n, 1)
        check_rng(rng)
        self._rngs = [np.random.default_rng(s) for s in rng.integers(0, 2**63 - 1, size=self.n)]
        self._pending = [[] for _ in range(self.n)]  # per stream: (symbol index, legal indices, is start)

    def _fill(self, i, length):
        index = {s: k for k, s in enumerate(REBER_SYMBOLS)}
        pending = self._pending[i]
        while len(pending) < length:
            string, legal = _reber_string(self._rngs[i])
            legal = legal[:-1] + [("B",)]  # after the final E comes the next string's B
            for t, (symbol, options) in enumerate(zip(string, legal)):
                pending.append((index[symbol], [index[s] for s in options], t == 0))

    def next(self, length):
        """The next ``length`` steps of every stream.

        Parameters
        ----------
        length : int
            Steps, at least 1.

        Returns
        -------
        ReberStream
            ``x (n, length, 7)``, ``y (n, length, 7)``, ``starts (n, length)``.

        Raises
        ------
        ValueError
            If ``length`` is not a positive integer.
        """
        length = check_int("length", length, 1)
        x = np.zeros((self.n, length, len(REBER_SYMBOLS)))
        y = np.zeros_like(x)
        starts = np.zeros((self.n, length), dtype=bool)
        for i in range(self.n):
            self._fill(i, length)
            window, self._pending[i] = self._pending[i][:length], self._pending[i][length:]
            for t, (symbol, legal, start) in enumerate(window):
                x[i, t, symbol] = 1.0
                y[i, t, legal] = 1.0
                starts[i, t] = start
        return ReberStream(x, y, starts)


def continual_embedded_reber(n, length, rng):
    """Continual embedded Reber streams: strings back to back, with no reset between them.

    The task of Gers, Schmidhuber & Cummins (2000) that motivated the forget
    gate: strings of the embedded Reber grammar (see :func:`embedded_reber`)
    concatenated into one stream, which the network reads symbol by symbol
    without being told where a string ends, predicting the set of legal next
    symbols at every step. Each string needs the T or P of its second symbol
    until its second-to-last one, and then no longer: a cell that keeps
    everything it stored will sooner or later be overwhelmed. The same rule
    as :func:`reber_correct` (``"topk"``) decides whether a step is right.
    This is ``ContinualReber(n, rng).next(length)`` (:class:`ContinualReber`
    continues streams window by window).

    Parameters
    ----------
    n : int
        Number of streams, at least 1.
    length : int
        Steps of every stream, at least 1. Each stream opens with the first
        symbol of a string; its last string is cut where the stream ends.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.

    Returns
    -------
    ReberStream
        The named tuple ``(x, y, starts)``.
    x : ndarray of float64, shape (n, length, 7)
        One-hot inputs over :data:`REBER_SYMBOLS`.
    y : ndarray of float64, shape (n, length, 7)
        Multi-hot legal-next sets, one or two ones per step; after each
        final E the single legal symbol is B.
    starts : ndarray of bool, shape (n, length)
        True at the first symbol of every string: string ``k`` of stream
        ``i`` runs from its start to the step before the next start.

    Raises
    ------
    ValueError
        If ``n`` or ``length`` is not a positive integer or ``rng`` is not
        a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> from lstm_helpers.tasks.decoding import decode
    >>> x, targets, starts = continual_embedded_reber(1, 40, np.random.default_rng(0))
    >>> stream = decode(x[0], REBER_SYMBOLS)
    >>> first = stream[:int(np.flatnonzero(starts[0])[1])]  # up to the second string's B
    >>> first[-1], len(embedded_reber_walk(first)) == len(first)
    ('E', True)
    """
    return ContinualReber(n, rng).next(length)
