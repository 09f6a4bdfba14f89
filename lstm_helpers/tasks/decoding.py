"""Decoding one-hot sequences back into strings of symbols.

- :func:`decode` -- one one-hot sequence of a generator (e.g.
  :func:`~lstm_helpers.tasks.reber.embedded_reber`,
  :func:`~lstm_helpers.tasks.temporal.temporal_order`,
  :func:`~lstm_helpers.tasks.copying.copy_task`) as a string.
"""

from __future__ import annotations

from .._checks import as_array

__all__ = ["decode"]


def decode(x, symbols, length=None):
    """Turn one one-hot sequence back into a string of symbols.

    Parameters
    ----------
    x : array-like, shape (L, D)
        One sequence (e.g. ``x[i]`` of a generator).
    symbols : sequence of str, length D
        The names of the one-hot positions, e.g. :data:`~lstm_helpers.tasks.reber.REBER_SYMBOLS`.
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
