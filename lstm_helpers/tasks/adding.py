"""The adding problem (Hochreiter & Schmidhuber, 1997, Experiment 4), its modern form, and the multiplication problem.

- :func:`adding_problem` -- remember two marked real numbers and output their
  sum at the end (the paper's Experiment 4, or the fixed-length variant of
  Arjovsky et al., 2016), or their product (the paper's Experiment 5,
  ``variant="multiplication"``); sequences of variable length are padded with zeros
  at the end and come with their ``lengths``;
- :func:`adding_correct` -- the success criterion (absolute error below 0.04
  for the 1997 form, 0.16 for the modern one).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_array, check_choice, check_int, check_rng
from .batch import PaddedSequences

__all__ = [
    "adding_problem",
    "adding_correct",
]

ADDING_VARIANTS = ("1997", "modern", "multiplication")


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

    ``variant="multiplication"`` (Hochreiter & Schmidhuber, 1997, Experiment
    5): the sequences of ``"1997"`` (lengths, markers, positions, and
    :math:`X_1 = 0` when the first pair is marked), but the values are
    uniform in ``[0, 1]`` and the target is the product :math:`X_1 X_2`, in
    ``[0, 1]``. Predicting its mean, 0.225 (1/4, times the 9/10 of
    sequences whose first pair is not marked), gives a mean squared error of
    about 0.049.

    Parameters
    ----------
    n : int
        Number of sequences, at least 1.
    T : int
        Minimal length: at least 10 for ``"1997"`` (the first ten pairs must
        exist), at least 2 for ``"modern"``.
    rng : numpy.random.Generator
        Source of randomness; advanced by the call.
    variant : {"1997", "modern", "multiplication"}

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
        If ``variant`` is not one of ``"1997"``, ``"modern"``,
        ``"multiplication"``, if ``n`` or
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
    T = check_int("T", T, 2 if variant == "modern" else 10)
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
    values = rng.uniform(0.0 if variant == "multiplication" else -1.0, 1.0, size=(n, L_max))
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
    if variant == "multiplication":
        y = values[rows, p1] * values[rows, p2]
    else:
        y = 0.5 + (values[rows, p1] + values[rows, p2]) / 4.0
    return PaddedSequences(np.stack([values, markers], axis=2), y, lengths)


def adding_correct(prediction, y, variant="1997", tolerance=None):
    """Which sequences of the adding problem are processed correctly.

    Parameters
    ----------
    prediction, y : array-like, shape (n,)
        Outputs at the last step of each sequence, and the targets.
    variant : {"1997", "modern", "multiplication"}
        Sets the default tolerance: 0.04 for ``"1997"`` and
        ``"multiplication"`` (the paper's criterion; its target is the sum
        :math:`X_1 + X_2` divided by 4, plus 0.5, or the product) and 0.16 for ``"modern"`` (the same tolerance on the unscaled
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
        tolerance = 0.16 if variant == "modern" else 0.04
    return np.abs(prediction - y) < tolerance
