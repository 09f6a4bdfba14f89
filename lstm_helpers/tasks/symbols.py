"""Symbol tasks: name a symbol seen many steps ago; count a symbol since the last full stop."""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_rng
from .batch import Sequences, SymbolSequences

__all__ = ["first_symbol", "COUNT_SYMBOLS", "count_since_stop"]


def first_symbol(n, T, rng, n_symbols=4):
    """Many-to-one task: classify a sequence by the symbol seen at its first step.

    Each of the ``n`` sequences is ``T`` symbols drawn independently and
    uniformly from ``0 ... n_symbols - 1``, one-hot encoded. The label is the
    first symbol; the ``T - 1`` symbols after it are distractors that carry no
    information about the label. A network that reads its answer out of the
    last hidden state ``h_T`` must therefore carry the first symbol across
    ``T - 1`` steps: the *lag* of the task is ``T - 1``. Guessing gives an
    accuracy of ``1 / n_symbols``.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    T : int
        Sequence length, at least 1 (``T = 1`` has no distractors).
    rng : numpy.random.Generator
        Source of randomness, e.g. the one returned by
        :func:`~lstm_helpers.utils.set_seed`. It is advanced by the call.
    n_symbols : int
        Size of the alphabet, at least 2.

    Returns
    -------
    Sequences
        The named tuple ``(x, y)`` (:class:`~lstm_helpers.tasks.batch.Sequences`);
        unpack it as ``x, y = first_symbol(...)`` or read ``.x`` and ``.y``.
    x : ndarray of float64, shape (n, T, n_symbols)
        One-hot inputs: ``x[i, t, s] = 1`` when sequence ``i`` shows symbol
        ``s`` at step ``t + 1``, and 0 otherwise.
    y : ndarray of int64, shape (n,)
        Labels, ``y[i] = argmax(x[i, 0])``, each in ``0 ... n_symbols - 1``.

    Raises
    ------
    ValueError
        If ``n``, ``T`` or ``n_symbols`` is not an integer of the allowed
        size, or ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = first_symbol(2, 5, np.random.default_rng(0), n_symbols=3)
    >>> x.shape, y.shape
    ((2, 5, 3), (2,))
    >>> bool(np.all(y == x[:, 0].argmax(axis=1)))
    True
    >>> first_symbol(2, 5, np.random.default_rng(0))._fields
    ('x', 'y')
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    check_rng(rng)
    symbols = rng.integers(0, n_symbols, size=(n, T))
    x = np.eye(n_symbols)[symbols]
    y = symbols[:, 0].astype(np.int64)
    return Sequences(x, y)


#: The alphabet of :func:`count_since_stop`, in the order of its one-hot columns.
COUNT_SYMBOLS = ("a", "b", "c", ".")


def count_since_stop(n, T, rng, probs=(0.3, 0.29, 0.29, 0.12)):
    """Many-to-many counting task: at every step, the number of "a" since the last ".".

    Each of the ``n`` sequences is ``T`` symbols drawn independently from
    :data:`COUNT_SYMBOLS` ("a", "b", "c", ".") with probabilities ``probs``. The
    target at step ``t`` is how many "a" appeared since the last full stop "."
    (or since the start): "a" must be counted, "b" and "c" ignored, and "."
    resets the count to zero. A cell solves it by keeping the count in its
    state, adding on "a", keeping it on "b"/"c" and clearing it on ".".

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    T : int
        Sequence length, at least 1.
    rng : numpy.random.Generator
        Source of randomness; it is advanced by the call.
    probs : sequence of 4 floats
        Probabilities of "a", "b", "c", "."; non-negative, summing to 1.

    Returns
    -------
    SymbolSequences
        The named tuple ``(x, y, symbols)``
        (:class:`~lstm_helpers.tasks.batch.SymbolSequences`); unpack it as
        ``x, y, symbols = count_since_stop(...)`` or read the fields by name.
    x : ndarray of float64, shape (n, T, 4)
        One-hot symbols, columns in the order of :data:`COUNT_SYMBOLS`.
    y : ndarray of float64, shape (n, T)
        The count after reading step ``t``.
    symbols : ndarray of int64, shape (n, T)
        The symbol indices, ``x[i, t].argmax() == symbols[i, t]``.

    Raises
    ------
    ValueError
        If ``n`` or ``T`` is not a positive integer, ``rng`` is not a
        ``numpy.random.Generator``, or ``probs`` is not 4 probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, s = count_since_stop(1, 6, np.random.default_rng(0))
    >>> x.shape, y.shape, s.shape
    ((1, 6, 4), (1, 6), (1, 6))
    >>> count_since_stop(1, 6, np.random.default_rng(0))._fields
    ('x', 'y', 'symbols')
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    check_rng(rng)
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (len(COUNT_SYMBOLS),) or not np.all(np.isfinite(p)) or np.any(p < 0) \
            or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"probs must be 4 non-negative probabilities of 'a', 'b', 'c', '.' summing to 1; "
                         f"got {probs!r}")
    symbols = rng.choice(len(COUNT_SYMBOLS), size=(n, T), p=p)
    y = np.zeros((n, T))
    count = np.zeros(n)
    for t in range(T):
        count = np.where(symbols[:, t] == 3, 0.0, count + (symbols[:, t] == 0))
        y[:, t] = count
    return SymbolSequences(np.eye(len(COUNT_SYMBOLS))[symbols], y, symbols.astype(np.int64))
