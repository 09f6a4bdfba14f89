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
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, expect_shape

__all__ = ["affine_forward", "affine_backward", "softmax_cross_entropy", "mse_loss"]


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
    cache : tuple
        ``(x, W)``, consumed by :func:`affine_backward`.

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
    return out, (x, W)


def affine_backward(dout, cache):
    """Backward pass of :func:`affine_forward`.

    With ``out = x @ W + b``: ``dx = dout @ W.T``, and ``dW``, ``db`` sum the
    contributions of every example (and every time step, for ``x (N, T, H)``).

    Parameters
    ----------
    dout : ndarray, shape (N, C) or (N, T, C)
        Gradient of the loss with respect to ``out``.
    cache : tuple
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
        If ``dout`` does not have the shape of the forward output.
    """
    x, W = cache
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
