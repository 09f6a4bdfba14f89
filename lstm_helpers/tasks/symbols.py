"""Symbol-memory tasks: name a symbol seen many steps ago."""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_rng

__all__ = ["first_symbol"]


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
    """
    n = check_int("n", n, 1)
    T = check_int("T", T, 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    check_rng(rng)
    symbols = rng.integers(0, n_symbols, size=(n, T))
    x = np.eye(n_symbols)[symbols]
    y = symbols[:, 0].astype(np.int64)
    return x, y
