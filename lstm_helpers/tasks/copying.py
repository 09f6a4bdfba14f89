"""The copy task (Arjovsky et al., 2016): reproduce ten symbols after a long blank.

- :func:`copy_task` -- the generator;
- :func:`copy_task_baseline` -- the cross-entropy of the best memoryless
  strategy, the level a model must beat.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_rng
from .batch import Sequences

__all__ = [
    "copy_task",
    "copy_task_baseline",
]

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
