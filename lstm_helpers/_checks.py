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


def check_positive(name, value):
    """Return ``value`` as a ``float``; raise ``ValueError`` unless it is a number ``> 0`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_rng(rng):
    """Raise ``ValueError`` unless ``rng`` is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "rng must be a numpy.random.Generator (e.g. lstm_helpers.set_seed(0) or "
            f"numpy.random.default_rng(0)), got {type(rng).__name__}"
        )


def check_size(name, value):
    """Return ``value`` as an ``int``; raise ``ValueError`` unless it is a positive integer.

    NumPy integers (``np.int64(5)``) are accepted like Python ones; ``bool`` is not.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_tensor(name, value, expected, shape_doc, like=None, floating=True):
    """Raise ``ValueError`` unless ``value`` is a tensor of shape ``expected``.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        What was passed.
    expected : tuple of int or None
        The expected shape; ``None`` stands for any size along that axis.
    shape_doc : str
        The symbolic shape (``"(N, D)"``), shown with the concrete one.
    like : torch.Tensor, optional
        A tensor (usually a weight of the module) whose dtype and device
        ``value`` must share; a mismatch raises ``ValueError`` naming both,
        instead of PyTorch's ``RuntimeError`` deep inside a matrix product.
    floating : bool
        Require a floating-point dtype.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {shape_doc}, got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor of shape {shape_doc}, got dtype {value.dtype}")
    shape = tuple(value.shape)
    if len(shape) != len(expected) or any(e is not None and s != e for s, e in zip(shape, expected)):
        symbols = shape_doc.strip("()").rstrip(",").split(", ")
        if len(symbols) != len(expected):
            symbols = ["*"] * len(expected)
        concrete = "(" + ", ".join(s if e is None else str(e) for s, e in zip(symbols, expected))
        concrete += ",)" if len(expected) == 1 else ")"
        raise ValueError(f"{name} must have shape {shape_doc} = {concrete}, got shape {shape}")
    if like is not None:
        if value.dtype != like.dtype:
            raise ValueError(f"{name} has dtype {value.dtype} but the module's weights are {like.dtype}; "
                             f"convert one of them (e.g. x.to({like.dtype}) or module.to({value.dtype}))")
        if value.device != like.device:
            raise ValueError(f"{name} is on device {value.device} but the module's weights are on {like.device}; "
                             f"move one of them (x.to(device) or module.to(device))")


def check_last_dim(name, value, size, like=None):
    """Raise ``ValueError`` unless ``value`` is a floating tensor of shape ``(..., size)``.

    Used where one step ``(N, D)`` and a whole sequence ``(N, T, D)`` are both
    allowed; ``like`` as in :func:`check_tensor`.
    """
    import torch

    if not isinstance(value, torch.Tensor) or value.dim() < 1 or value.shape[-1] != size:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f"{name} must have shape (..., D) = (..., {size}), got {got}")
    check_tensor(name, value, (None,) * (value.dim() - 1) + (size,), "(..., D)", like=like)
