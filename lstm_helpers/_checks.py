"""Input validation shared by the helper modules.

Every public function of :mod:`lstm_helpers` checks its arguments with these
helpers, so that a wrong shape fails loudly with a message that names the
expected shape instead of broadcasting into a silently wrong answer.
"""

from __future__ import annotations

import numpy as np


def as_array(name: str, value, ndim: int, shape_doc: str) -> np.ndarray:
    """Return ``value`` as a floating NumPy array with ``ndim`` dimensions.

    Raises ``ValueError`` naming ``shape_doc`` (for example ``"(N, T, D)"``)
    when the number of dimensions is wrong or the dtype is not numeric.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a real-valued array of shape {shape_doc}, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must have shape {shape_doc} ({ndim} dimensions), got shape {arr.shape}"
        )
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    return arr


def expect_shape(name: str, arr: np.ndarray, expected: tuple, shape_doc: str) -> None:
    """Raise ``ValueError`` unless ``arr.shape == expected``.

    ``shape_doc`` is the symbolic shape (``"(H, H)"``) and is shown together
    with the concrete shape that was expected from the other arguments.
    """
    if tuple(arr.shape) != tuple(expected):
        raise ValueError(
            f"{name} must have shape {shape_doc} = {tuple(expected)}, got shape {tuple(arr.shape)}"
        )


def check_choice(name: str, value, choices) -> None:
    """Raise ``ValueError`` listing the valid ``choices`` unless ``value`` is one of them."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {valid}; got {value!r}")


def check_int(name, value, minimum):
    """Return ``value`` as an ``int``; raise ``ValueError`` unless it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_rng(rng):
    """Raise ``ValueError`` unless ``rng`` is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "rng must be a numpy.random.Generator (e.g. lstm_helpers.set_seed(0) or "
            f"numpy.random.default_rng(0)), got {type(rng).__name__}"
        )
