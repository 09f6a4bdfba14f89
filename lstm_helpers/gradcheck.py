"""Numerical gradients and the relative error used to compare gradients.

These two functions are how the course checks every hand-written backward
pass: compute the analytic gradient, compute central differences, and print
their relative error.
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f, x, df=None, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``f`` with respect to the array ``x``.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns either a scalar, or an array of any shape when
        ``df`` is given.
    x : numpy.ndarray of float64, any shape
        The point at which to differentiate. It is perturbed **in place**,
        one entry at a time, and restored afterwards, so ``f`` may close
        over ``x`` (as in ``lambda _: loss(W)`` with ``x = W``). It must be
        float64 (or a wider float): in float32, ``x + h`` is rounded to
        about 7 significant digits, and that rounding, divided by ``2 h``,
        makes the gradient wrong from its third or fourth digit on
        (2.0027 instead of 2 for the derivative of ``x**2`` at 1), so a
        float32 array raises ValueError instead.
    df : numpy.ndarray or None, same shape as ``f(x)``
        Upstream gradient. When given, the gradient of
        ``sum(f(x) * df)`` is returned (a vector-Jacobian product); when
        ``None``, ``f(x)`` must be a scalar.
    h : float
        Step of the central difference ``(f(x + h) - f(x - h)) / (2 h)``.

    Returns
    -------
    numpy.ndarray, same shape as ``x``
        The numerical gradient.

    Raises
    ------
    ValueError
        If ``x`` is not a float array, is a float array less precise than
        float64 (float32, float16), ``h`` is not positive, ``f`` is not
        scalar while ``df`` is ``None``, or ``df`` does not match ``f(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0])
    >>> numerical_gradient(lambda v: np.sum(v**2), x)  # the gradient 2 x
    array([ 2., -4.])
    >>> numerical_gradient(lambda v: np.sum(v**2), np.ones(2, dtype=np.float32))
    Traceback (most recent call last):
    ...
    ValueError: x has dtype float32, too coarse for central differences; use float64 arrays (x and those f reads)
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise ValueError("x must be a floating-point numpy.ndarray (it is perturbed in place)")
    if np.finfo(x.dtype).eps > np.finfo(np.float64).eps:
        raise ValueError(
            f"x has dtype {x.dtype}, too coarse for central differences; "
            "use float64 arrays (x and those f reads)"
        )
    if not h > 0:
        raise ValueError(f"h must be positive, got {h}")

    def scalar(value):
        value = np.asarray(value, dtype=np.float64)
        if df is None:
            if value.size != 1:
                raise ValueError(
                    f"f(x) returned an array of shape {value.shape}; pass df with that shape "
                    "to differentiate sum(f(x) * df)"
                )
            return float(value.reshape(()))
        if value.shape != np.shape(df):
            raise ValueError(f"df must have the shape of f(x) {value.shape}, got {np.shape(df)}")
        return float(np.sum(value * df))

    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + h
        plus = scalar(f(x))
        x[idx] = old - h
        minus = scalar(f(x))
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
        it.iternext()
    return grad


def rel_error(a, b, eps: float = 1e-12) -> float:
    """Largest element-wise relative error ``|a - b| / max(|a| + |b|, eps)``.

    Parameters
    ----------
    a, b : array-like, same shape
        The two gradients (or any two arrays) to compare. Torch tensors are
        accepted and converted.
    eps : float
        Floor of the denominator, so two zeros compare as equal.

    Returns
    -------
    float
        0 for identical arrays; about 1e-7 or less for a correct float64
        gradient checked against central differences; 1 when the arrays have
        opposite signs.

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    a = _to_numpy(a)
    b = _to_numpy(b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)
