r"""Feed-forward layers and losses in NumPy, each a forward/backward pair.

These are the pieces a recurrent network needs around its cell: an affine
readout from the hidden states and a loss. Like :mod:`lstm_helpers.numpy_rnn`
they use row vectors and put the batch first:

- :func:`affine_forward` / :func:`affine_backward` -- ``out = x @ W + b`` for
  ``x (N, H)`` (one readout per sequence, e.g. from the last hidden state) or
  ``x (N, T, H)`` (a readout at every time step).
- :func:`softmax_cross_entropy` -- the mean cross-entropy of a softmax over
  ``C`` classes and its gradient, equal to ``torch.nn.functional.cross_entropy``.
- :func:`mse_loss` -- the mean squared error and its gradient, equal to
  ``torch.nn.functional.mse_loss``.

Each loss returns ``(loss, dlogits)`` (or ``(loss, dpred)``): the scalar loss
and its gradient with respect to the network's output, ready to be passed on to
:func:`affine_backward`.

The conventions shared by the NumPy layers of this package
(:mod:`lstm_helpers.numpy_rnn`, :mod:`lstm_helpers.numpy_lstm` and this module):

- Every ``*_forward`` function returns its outputs followed by a ``cache``, and
  the matching ``*_backward`` function takes the upstream gradient(s) and that
  cache, and returns one gradient per input, in the order of the inputs.
- Every cache is a ``dict``. A step (or layer) cache holds named arrays, such as
  ``{"x": ..., "W": ...}``; a sequence cache is ``{"steps": [step caches], ...}``.
  Each backward function raises ``ValueError`` when handed a cache of another kind.
- States come in the order ``h`` then ``c``, both in the step and the sequence
  functions: ``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)`` and
  ``lstm_forward(x, h0, c0, Wx, Wh, b)``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, expect_shape

__all__ = ["affine_forward", "affine_backward", "softmax_cross_entropy", "mse_loss"]

#: The entries of the cache of :func:`affine_forward`.
AFFINE_CACHE_KEYS = ("x", "W")


def affine_forward(x, W, b):
    """Affine layer ``out = x @ W + b``, applied to the last axis of ``x``.

    Parameters
    ----------
    x : ndarray, shape (N, H) or (N, T, H)
        Features of ``N`` examples, or of ``N`` sequences at each of ``T``
        steps (a temporal readout applies the same ``W`` at every step).
    W : ndarray, shape (H, C)
        Weights.
    b : ndarray, shape (C,)
        Bias.

    Returns
    -------
    out : ndarray, shape (N, C) or (N, T, C)
        The same leading axes as ``x``.
    cache : dict
        ``{"x": x, "W": W}`` (``x`` and ``W`` as arrays), consumed by
        :func:`affine_backward`.

    Raises
    ------
    ValueError
        If ``x`` has neither 2 nor 3 dimensions, or the shapes disagree.
    """
    W = as_array("W", W, 2, "(H, C)")
    H, C = W.shape
    b = as_array("b", b, 1, "(C,)")
    expect_shape("b", b, (C,), "(C,)")
    x = _as_features(x, H)
    out = x @ W + b
    return out, {"x": x, "W": W}


def affine_backward(dout, cache):
    """Backward pass of :func:`affine_forward`.

    With ``out = x @ W + b``: ``dx = dout @ W.T``, and ``dW``, ``db`` sum the
    contributions of every example (and every time step, for ``x (N, T, H)``).

    Parameters
    ----------
    dout : ndarray, shape (N, C) or (N, T, C)
        Gradient of the loss with respect to ``out``.
    cache : dict
        The cache returned by :func:`affine_forward`.

    Returns
    -------
    dx : ndarray, shape (N, H) or (N, T, H)
        The shape of ``x``.
    dW : ndarray, shape (H, C)
    db : ndarray, shape (C,)

    Raises
    ------
    ValueError
        If ``dout`` does not have the shape of the forward output, or
        ``cache`` is not a cache of :func:`affine_forward`.
    """
    _check_cache(cache, AFFINE_CACHE_KEYS, "affine_forward")
    x, W = cache["x"], cache["W"]
    H, C = W.shape
    shape_doc = "(N, C)" if x.ndim == 2 else "(N, T, C)"
    dout = as_array("dout", dout, x.ndim, shape_doc)
    expect_shape("dout", dout, x.shape[:-1] + (C,), shape_doc)
    dx = dout @ W.T
    x2 = x.reshape(-1, H)
    d2 = dout.reshape(-1, C)
    dW = x2.T @ d2
    db = d2.sum(axis=0)
    return dx, dW, db


def softmax_cross_entropy(logits, y):
    r"""Mean softmax cross-entropy over a batch, and its gradient.

    With :math:`p = \mathrm{softmax}(z)` for each row ``z`` of ``logits``, the
    loss is :math:`L = -\frac{1}{N}\sum_n \log p_{n, y_n}` and its gradient is
    ``dlogits = (p - onehot(y)) / N``. The softmax is computed after
    subtracting each row's maximum, so large logits do not overflow.

    Parameters
    ----------
    logits : ndarray, shape (N, C)
        Unnormalised class scores of ``N`` examples over ``C`` classes.
    y : ndarray of int, shape (N,)
        The correct class of each example, in ``0 ... C - 1``.

    Returns
    -------
    loss : float
        The mean cross-entropy (natural logarithm), as
        ``torch.nn.functional.cross_entropy(logits, y)``.
    dlogits : ndarray, shape (N, C)
        Gradient of ``loss`` with respect to ``logits``.

    Raises
    ------
    ValueError
        If ``logits`` is not ``(N, C)``, ``y`` is not an integer array of
        shape ``(N,)``, or a label lies outside ``0 ... C - 1``.
    """
    logits = as_array("logits", logits, 2, "(N, C)")
    N, C = logits.shape
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise ValueError(f"y must be an integer array of shape (N,) = ({N},), got dtype {y.dtype}")
    expect_shape("y", y, (N,), "(N,)")
    if N and (y.min() < 0 or y.max() >= C):
        raise ValueError(f"y must hold class indices in 0 ... {C - 1} (C = {C}), got values in {y.min()} ... {y.max()}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    rows = np.arange(N)
    loss = float(-log_p[rows, y].mean()) if N else 0.0
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1.0
    dlogits /= max(N, 1)
    return loss, dlogits


def mse_loss(pred, target):
    r"""Mean squared error over all entries, and its gradient.

    The loss is :math:`L = \frac{1}{M}\sum_i (\hat y_i - y_i)^2` where ``M``
    is the number of entries of ``pred``; its gradient is
    ``dpred = 2 (pred - target) / M``.

    Parameters
    ----------
    pred : ndarray, any shape, for example (N,), (N, K) or (N, T, K)
        Predictions.
    target : ndarray, the shape of ``pred``
        Targets.

    Returns
    -------
    loss : float
        The mean squared error, as ``torch.nn.functional.mse_loss(pred, target)``.
    dpred : ndarray, the shape of ``pred``
        Gradient of ``loss`` with respect to ``pred``.

    Raises
    ------
    ValueError
        If ``target`` does not have the shape of ``pred``, or either is not
        real-valued.
    """
    pred_arr = np.asarray(pred)
    pred = as_array("pred", pred_arr, pred_arr.ndim, "(any shape)")
    shape_doc = f"{tuple(pred.shape)} (the shape of pred)"
    target = as_array("target", target, pred.ndim, shape_doc)
    expect_shape("target", target, pred.shape, "(the shape of pred)")
    M = pred.size
    diff = pred - target
    loss = float(np.sum(diff**2) / M) if M else 0.0
    dpred = 2.0 * diff / max(M, 1)
    return loss, dpred


def _as_features(x, H):
    """Check ``x`` is ``(N, H)`` or ``(N, T, H)`` and return it as an array."""
    x = np.asarray(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must have shape (N, H) or (N, T, H) with H = {H}, got shape {x.shape}")
    shape_doc = "(N, H)" if x.ndim == 2 else "(N, T, H)"
    x = as_array("x", x, x.ndim, shape_doc)
    expect_shape("x", x, x.shape[:-1] + (H,), shape_doc)
    return x


def _describe(cache):
    if isinstance(cache, dict):
        return "a dict with entries " + (", ".join(map(repr, cache)) or "none")
    return f"a {type(cache).__name__}"


def _check_cache(cache, keys, producer):
    """Check that ``cache`` is a step or layer cache: a dict holding every entry of ``keys``.

    Parameters
    ----------
    cache : object
        What the caller passed as a cache.
    keys : tuple of str
        The entries the backward function reads.
    producer : str
        The forward function that makes such a cache, for the error message.

    Returns
    -------
    dict
        ``cache`` itself.

    Raises
    ------
    ValueError
        If ``cache`` is not a dict or lacks one of ``keys``.

    Examples
    --------
    >>> _check_cache({"x": 1, "W": 2}, ("x", "W"), "affine_forward")
    {'x': 1, 'W': 2}
    >>> _check_cache((1, 2), ("x", "W"), "affine_forward")
    Traceback (most recent call last):
    ...
    ValueError: cache must be the dict returned by affine_forward, with entries 'x', 'W'; got a tuple
    """
    if not isinstance(cache, dict) or any(key not in cache for key in keys):
        wanted = ", ".join(map(repr, keys))
        raise ValueError(f"cache must be the dict returned by {producer}, with entries {wanted}; got {_describe(cache)}")
    return cache


def _check_sequence_cache(cache, step_keys, producer):
    """Check that ``cache`` is a sequence cache ``{"steps": [step caches], ...}``.

    Parameters
    ----------
    cache : object
        What the caller passed as a cache.
    step_keys : tuple of str
        The entries every step cache must hold.
    producer : str
        The forward function that makes such a cache, for the error message.

    Returns
    -------
    list of dict
        ``cache["steps"]``, one step cache per time step.

    Raises
    ------
    ValueError
        If ``cache`` is not a dict with a non-empty list ``"steps"`` of step
        caches that hold every entry of ``step_keys``.
    """
    steps = cache.get("steps") if isinstance(cache, dict) else None
    if not isinstance(steps, list) or not steps:
        raise ValueError(
            f"cache must be the dict returned by {producer}, with a non-empty list 'steps'; got {_describe(cache)}"
        )
    for step in steps:
        _check_cache(step, step_keys, f"{producer} (one entry of its 'steps')")
    return steps
