r"""How far gradients travel back in time: measurements shared by chapters 3 and 5.

Two kinds of measurement:

* :func:`rnn_jacobian_norms` -- the spectral norm of the product of Jacobians
  :math:`\partial h_T / \partial h_k = \prod_{t=k+1}^{T} \partial h_t / \partial h_{t-1}`
  (Pascanu et al., 2013, eq. 5) for every lag :math:`T - k`, with the bound
  :func:`jacobian_bound` beside it.
* :func:`rnn_backprop_norms` and :func:`lstm_backprop_norms` -- the norm of
  the gradient :math:`\partial L / \partial h_k` (and :math:`\partial L / \partial c_k`)
  of a loss placed on the last step only, obtained by running the
  hand-written backward steps of :mod:`lstm_helpers.numpy_rnn` and
  :mod:`lstm_helpers.numpy_lstm`.

Lags are counted back from the last step: lag 0 is step ``T``, lag ``T`` is
the initial state.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, expect_shape
from .numpy_lstm import lstm_forward, lstm_step_backward
from .numpy_rnn import rnn_forward, rnn_step_backward

__all__ = ["rnn_jacobian_norms", "jacobian_bound", "rnn_backprop_norms", "lstm_backprop_norms"]


def rnn_jacobian_norms(x, h0, Wx, Wh, b):
    r"""Spectral norms of :math:`\partial h_T / \partial h_{T-\ell}` for every lag :math:`\ell`.

    For the cell :math:`h_t = \tanh(W_{xh} x_t + W_{hh} h_{t-1} + b)` one step's
    Jacobian is :math:`\partial h_t / \partial h_{t-1} = \mathrm{diag}(1 - h_t^2)\, W_{hh}`
    (with :math:`W_{hh}` = ``Wh.T``). The products are accumulated from step
    ``T`` backwards.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    ndarray, shape (N, T + 1)
        Entry ``[n, l]`` is the largest singular value of
        :math:`\partial h_T / \partial h_{T-l}` for sequence ``n``; column 0
        is 1 (the identity).
    """
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    N, T, H = h.shape
    W_hh = np.asarray(Wh).T
    norms = np.ones((N, T + 1))
    for n in range(N):
        J = np.eye(H)
        for lag in range(1, T + 1):
            t = T - lag  # index of h_{t+1} in h is t
            J = J @ ((1.0 - h[n, t] ** 2)[:, None] * W_hh)
            norms[n, lag] = np.linalg.norm(J, 2)
    return norms


def jacobian_bound(Wh, lags, gamma: float = 1.0):
    r"""The bound :math:`\lVert \partial h_T / \partial h_{T-\ell} \rVert \le (\gamma \lVert W_{hh} \rVert)^\ell`.

    Parameters
    ----------
    Wh : ndarray, shape (H, H)
        Recurrent weights.
    lags : array-like of int, shape (L,)
    gamma : float
        Bound on the derivative of the activation: 1 for tanh, 1/4 for the
        sigmoid.

    Returns
    -------
    ndarray, shape (L,)
    """
    Wh = as_array("Wh", Wh, 2, "(H, H)")
    expect_shape("Wh", Wh, (Wh.shape[0], Wh.shape[0]), "(H, H)")
    return (gamma * np.linalg.norm(Wh, 2)) ** np.asarray(lags, dtype=float)


def _unit_upstream(rng, N, H):
    if rng is None:
        v = np.ones((N, H))
    else:
        v = rng.normal(size=(N, H))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def rnn_backprop_norms(x, h0, Wx, Wh, b, dh_T=None, rng=None):
    r"""Norms of :math:`\partial L / \partial h_{T-\ell}` for a loss on the last step only.

    The loss is :math:`L = \sum_n \langle dh_T[n], h_T[n] \rangle`; its gradient is
    carried back with :func:`lstm_helpers.numpy_rnn.rnn_step_backward`.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx, Wh, b : ndarrays, shapes (D, H), (H, H), (H,)
    dh_T : ndarray, shape (N, H), optional
        Upstream gradient at the last step; unit vectors (random when ``rng``
        is given, otherwise all-equal) when omitted.
    rng : numpy.random.Generator, optional

    Returns
    -------
    dict
        ``"h"``: ndarray, shape (T + 1,), the mean over the batch of
        :math:`\lVert \partial L / \partial h_{T-\ell} \rVert` for
        :math:`\ell = 0 \dots T`.
    """
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    N, T, H = h.shape
    dh = _unit_upstream(rng, N, H) if dh_T is None else as_array("dh_T", dh_T, 2, "(N, H)")
    expect_shape("dh_T", dh, (N, H), "(N, H)")
    norms = np.empty(T + 1)
    norms[0] = np.linalg.norm(dh, axis=1).mean()
    for lag in range(1, T + 1):
        _, dh, *_ = rnn_step_backward(dh, cache[T - lag])
        norms[lag] = np.linalg.norm(dh, axis=1).mean()
    return {"h": norms}


def lstm_backprop_norms(x, h0, Wx, Wh, b, c0=None, dh_T=None, rng=None):
    r"""Norms of :math:`\partial L / \partial h_{T-\ell}` and :math:`\partial L / \partial c_{T-\ell}`.

    Same loss as :func:`rnn_backprop_norms` (on :math:`h_T` only), carried back
    with :func:`lstm_helpers.numpy_lstm.lstm_step_backward`.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx, Wh, b : ndarrays, shapes (D, 4H), (H, 4H), (4H,), gates i, f, g, o
    c0 : ndarray, shape (N, H), optional
    dh_T : ndarray, shape (N, H), optional
    rng : numpy.random.Generator, optional

    Returns
    -------
    dict
        ``"h"`` and ``"c"``: ndarrays of shape (T + 1,), batch means of the
        gradient norms at lags ``0 ... T``. ``"c"`` is the total gradient of
        :math:`c_k`: through :math:`c_{k+1}` and through :math:`h_k`.
    """
    h, cache = lstm_forward(x, h0, Wx, Wh, b, c0=c0)
    N, T, H = h.shape
    steps = cache["steps"]
    dh = _unit_upstream(rng, N, H) if dh_T is None else as_array("dh_T", dh_T, 2, "(N, H)")
    expect_shape("dh_T", dh, (N, H), "(N, H)")
    last = steps[-1]
    norm_h = np.empty(T + 1)
    norm_c = np.empty(T + 1)
    norm_h[0] = np.linalg.norm(dh, axis=1).mean()
    norm_c[0] = np.linalg.norm(dh * last["o"] * (1 - last["tanh_c"] ** 2), axis=1).mean()
    dc = np.zeros((N, H))
    for lag in range(1, T + 1):
        _, dh, dc, *_ = lstm_step_backward(dh, dc, steps[T - lag])
        norm_h[lag] = np.linalg.norm(dh, axis=1).mean()
        # the total gradient of c_k also has the path through h_k = o_k * tanh(c_k)
        # (step k's own backward adds it); c_0 has no such path
        total_dc = dc
        if lag < T:
            prev = steps[T - lag - 1]
            total_dc = dc + dh * prev["o"] * (1 - prev["tanh_c"] ** 2)
        norm_c[lag] = np.linalg.norm(total_dc, axis=1).mean()
    return {"h": norm_h, "c": norm_c}
