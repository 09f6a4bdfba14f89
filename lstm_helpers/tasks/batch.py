"""The named tuples that the task generators return.

Every generator of :mod:`lstm_helpers.tasks` returns one of these types: a
tuple whose entries also have names. Unpack it in the order of its fields,
``x, y = first_symbol(...)`` or ``x, y, lengths = adding_problem(...)``, or
keep it whole and read the fields by name, ``data.x``, ``data.lengths``.
Shapes are batch first: ``n`` sequences of ``T`` steps with ``D`` input
features; each generator documents its own shapes and dtypes.

- :class:`Sequences` ``(x, y)`` -- sequences that all have the same length:
  :func:`~lstm_helpers.tasks.symbols.first_symbol`,
  :func:`~lstm_helpers.tasks.copying.copy_task`,
  :func:`~lstm_helpers.tasks.series.make_windows`.
- :class:`PaddedSequences` ``(x, y, lengths)`` -- sequences of different
  lengths, zero-padded at the end:
  :func:`~lstm_helpers.tasks.adding.adding_problem`,
  :func:`~lstm_helpers.tasks.reber.embedded_reber`,
  :func:`~lstm_helpers.tasks.temporal.temporal_order`.
- :class:`SymbolSequences` ``(x, y, symbols)`` -- one-hot sequences with the
  symbol index of every step: :func:`~lstm_helpers.tasks.symbols.count_since_stop`.
- :class:`TokenSequences` ``(x, y, tokens)`` -- one-hot sentences with the
  token id of every word: :func:`~lstm_helpers.tasks.subject_verb.agreement`.
- :class:`~lstm_helpers.tasks.listops.ListOps` ``(trees, tokens, labels,
  depths)`` -- expressions as trees and as token lists:
  :func:`~lstm_helpers.tasks.listops.listops`.

Examples
--------
>>> import numpy as np
>>> from lstm_helpers.tasks import adding_problem
>>> data = adding_problem(3, 20, np.random.default_rng(0))
>>> type(data).__name__, data._fields
('PaddedSequences', ('x', 'y', 'lengths'))
>>> x, y, lengths = data  # the same arrays as data.x, data.y, data.lengths
>>> x is data.x, lengths.shape
(True, (3,))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Sequences", "PaddedSequences", "SymbolSequences", "TokenSequences"]


class Sequences(NamedTuple):
    """Sequences of one common length and their targets: ``(x, y)``.

    Fields
    ------
    x : ndarray of float64, shape (n, T, D)
        Inputs, batch first.
    y : ndarray, shape (n,) or (n, T) or (n, horizon)
        Targets: one per sequence for a many-to-one task, one per step for a
        many-to-many task; the generator documents the shape and dtype.
    """

    x: np.ndarray
    y: np.ndarray


class PaddedSequences(NamedTuple):
    """Sequences of different lengths, zero-padded at the end: ``(x, y, lengths)``.

    Fields
    ------
    x : ndarray of float64, shape (n, L_max, D)
        Inputs; step ``t`` of sequence ``i`` is valid when
        ``t < lengths[i]``, and all later steps are zero.
    y : ndarray, shape (n,) or (n, L_max, C)
        Targets: one per sequence, read after its last valid step, or one per
        step (zero on padding); the generator documents the shape and dtype.
    lengths : ndarray of int64, shape (n,)
        Number of valid steps of each sequence, ``1 <= lengths[i] <= L_max``.
    """

    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray


class SymbolSequences(NamedTuple):
    """One-hot symbol sequences, their targets and the symbol indices: ``(x, y, symbols)``.

    Fields
    ------
    x : ndarray of float64, shape (n, T, S)
        One-hot inputs over an alphabet of ``S`` symbols.
    y : ndarray, shape (n, T)
        A target at every step; the generator documents its dtype.
    symbols : ndarray of int64, shape (n, T)
        The index of the symbol at every step, ``symbols = x.argmax(axis=2)``.
    """

    x: np.ndarray
    y: np.ndarray
    symbols: np.ndarray


class TokenSequences(NamedTuple):
    """One-hot sentences, their labels and the token ids: ``(x, y, tokens)``.

    Fields
    ------
    x : ndarray of float64, shape (n, T, V)
        One-hot inputs over a vocabulary of ``V`` words.
    y : ndarray of int64, shape (n,)
        One label per sentence.
    tokens : ndarray of int64, shape (n, T)
        The id of the word at every step, ``tokens = x.argmax(axis=2)``; the
        generator names the vocabulary that turns ids into words.
    """

    x: np.ndarray
    y: np.ndarray
    tokens: np.ndarray
