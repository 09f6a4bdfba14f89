"""Very long time lags without local regularities (Hochreiter & Schmidhuber, 1997, Experiment 2c).

:func:`very_long_lag` draws the sequences of the paper's Task 2c, the
noise-free task with its longest lags: a start symbol, the symbol to
remember (x or y), at least ``q`` distractors drawn from ``p`` symbols, an
end symbol, and after it the remembered symbol as the target. With
``p`` as large as ``q`` each distractor occurs about once per sequence,
so nothing in the gap predicts anything. :data:`LONG_LAG_NAMES` names the
special symbols.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_rng
from .batch import PaddedSequences

__all__ = ["LONG_LAG_NAMES", "very_long_lag", "very_long_lag_symbols"]

#: Names of the four symbols after the ``p`` distractors, in index order ``p ... p + 3``.
LONG_LAG_NAMES = ("b", "e", "x", "y")


def very_long_lag_symbols(p):
    """Names of the ``p + 4`` input symbols of :func:`very_long_lag`: ``a1 ... ap``, then ``b, e, x, y``.

    Raises
    ------
    ValueError
        If ``p`` is not an integer >= 1.
    """
    p = check_int("p", p, 1)
    return tuple(f"a{i + 1}" for i in range(p)) + LONG_LAG_NAMES


def very_long_lag(n, q, rng, p=None, p_end=0.1):
    """Sequences with a lag of more than ``q`` steps and nothing in between that helps.

    Each sequence is ``b, s, d_1, ..., d_{q+k}, e`` with ``s`` the symbol
    to remember (``x`` or ``y``, probability 1/2 each), ``q + k``
    distractors drawn uniformly from ``a1 ... ap``, and the end symbol
    ``e``. After ``q`` distractors, each further step is ``e`` with
    probability ``p_end`` (so ``k`` is geometric, mean ``(1 - p_end) /
    p_end``; it is cut at ``max(q // 10, 1)``), so the network cannot count
    its way to the end. The target, read after ``e``, is ``s``: class 0 for
    ``x``, 1 for ``y``. The lag between ``s`` and the answer is ``q + k + 1``
    steps. This follows the paper's Task 2c (Hochreiter & Schmidhuber, 1997,
    Section 5.2); the rule for ``k`` is ours.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    q : int
        Minimal number of distractors, at least 1.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    p : int, optional
        Number of distractor symbols, at least 1 (default ``q``).
    p_end : float
        Probability, after ``q`` distractors, that the next symbol is ``e``;
        in ``(0, 1]``.

    Returns
    -------
    PaddedSequences
        The named tuple ``(x, y, lengths)``. Unlike the other generators,
        ``x`` holds symbol *indices*, not one-hot vectors: with
        ``p = q = 1000`` a one-hot batch of 16 sequences would take about 71 MB
        (``torch.nn.functional.one_hot(torch.as_tensor(x), p + 4)`` makes it).
    x : ndarray of int64, shape (n, L_max)
        Indices into :func:`very_long_lag_symbols`: ``0 ... p - 1`` the
        distractors, ``p`` = b, ``p + 1`` = e, ``p + 2`` = x, ``p + 3`` = y;
        after ``lengths[i]`` steps, padding with index ``p`` (b, never read
        by a network that reads its answer after step ``lengths[i]``).
        ``L_max = q + 3 + max(q // 10, 1)``.
    y : ndarray of int64, shape (n,)
        0 (x) or 1 (y).
    lengths : ndarray of int64, shape (n,)
        ``q + 3 + k``.

    Raises
    ------
    ValueError
        If ``n``, ``q`` or ``p`` is not a positive integer, ``p_end`` is not in
        ``(0, 1]``, or ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, lengths = very_long_lag(2, 10, np.random.default_rng(0), p=5)
    >>> x.shape, y.shape, bool(np.all(x[:, 0] == 5)), bool(np.all(lengths >= 13))
    ((2, 14), (2,), True, True)
    >>> bool(np.all(x[np.arange(2), lengths - 1] == 6))  # the last symbol is e
    True
    >>> bool(np.all(x[:, 1] == 7 + y))  # step 1 holds x (index 7) or y (index 8)
    True
    """
    n = check_int("n", n, 1)
    q = check_int("q", q, 1)
    p = q if p is None else check_int("p", p, 1)
    if isinstance(p_end, bool) or not isinstance(p_end, (int, float)) or not 0 < p_end <= 1:
        raise ValueError(f"p_end must be a probability in (0, 1], got {p_end!r}")
    check_rng(rng)
    k_max = max(q // 10, 1)
    L_max = q + 3 + k_max
    y = rng.integers(0, 2, size=n)
    k = np.minimum(rng.geometric(p_end, size=n) - 1, k_max)
    lengths = (q + 3 + k).astype(np.int64)
    x = rng.integers(0, p, size=(n, L_max))
    steps = np.arange(L_max)[None, :]
    x = np.where(steps < lengths[:, None] - 1, x, p)  # padding: b
    x[:, 0] = p
    x[:, 1] = p + 2 + y
    x[np.arange(n), lengths - 1] = p + 1
    return PaddedSequences(x.astype(np.int64), y.astype(np.int64), lengths)
