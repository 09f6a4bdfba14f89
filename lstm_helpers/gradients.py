r"""How far gradients travel back in time: measurements shared by chapters 3 and 5.

Three kinds of measurement:

* :func:`rnn_jacobian_norms` -- the spectral norm of the product of Jacobians
  :math:`\partial h_T / \partial h_k = \prod_{t=k+1}^{T} \partial h_t / \partial h_{t-1}`
  (Pascanu et al., 2013, eq. 5) for every lag :math:`T - k`, with the bound
  :func:`jacobian_bound` beside it.
* :func:`rnn_backprop_norms` and :func:`lstm_backprop_norms` -- the norm of
  the gradient :math:`\partial L / \partial h_k` (and :math:`\partial L / \partial c_k`)
  of a loss placed on the last step only, obtained by running the
  hand-written backward steps of :mod:`lstm_helpers.numpy_rnn` and
  :mod:`lstm_helpers.numpy_lstm`.
* :func:`rnn_backprop_log10_norms` and :func:`lstm_backprop_log10_norms` --
  the same norms as base-10 logarithms, computed without underflow, so that
  gradients of size :math:`10^{-300}` and below (common after 1000 steps)
  still have a value; the LSTM version can also follow one path only (along
  the cell state, or avoiding it).

And one summary of a trained network's gradients: :func:`gradient_rms_by_block`,
the root mean square of the gradient in each block of parameters (input
weights, recurrent weights, biases, read-out), which chapter 10 follows
over training.

Lags are counted back from the last step: lag 0 is step ``T``, lag ``T`` is
the initial state.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_choice, expect_shape
from .numpy_lstm import lstm_forward, lstm_step_backward
from .numpy_rnn import rnn_forward, rnn_step_backward

__all__ = [
    "rnn_jacobian_norms",
    "jacobian_bound",
    "rnn_backprop_norms",
    "lstm_backprop_norms",
    "rnn_backprop_log10_norms",
    "lstm_backprop_log10_norms",
    "gradient_rms_by_block",
]


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
    steps = cache["steps"]
    N, T, H = h.shape
    dh = _unit_upstream(rng, N, H) if dh_T is None else as_array("dh_T", dh_T, 2, "(N, H)")
    expect_shape("dh_T", dh, (N, H), "(N, H)")
    norms = np.empty(T + 1)
    norms[0] = np.linalg.norm(dh, axis=1).mean()
    for lag in range(1, T + 1):
        _, dh, *_ = rnn_step_backward(dh, steps[T - lag])
        norms[lag] = np.linalg.norm(dh, axis=1).mean()
    return {"h": norms}


def lstm_backprop_norms(x, h0, c0, Wx, Wh, b, dh_T=None, rng=None):
    r"""Norms of :math:`\partial L / \partial h_{T-\ell}` and :math:`\partial L / \partial c_{T-\ell}`.

    Same loss as :func:`rnn_backprop_norms` (on :math:`h_T` only), carried back
    with :func:`lstm_helpers.numpy_lstm.lstm_step_backward`.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    c0 : ndarray, shape (N, H), or None
        Initial cell state; ``None`` means zeros (as in :func:`lstm_helpers.numpy_lstm.lstm_forward`).
    Wx, Wh, b : ndarrays, shapes (D, 4H), (H, 4H), (4H,), gates i, f, g, o
    dh_T : ndarray, shape (N, H), optional
    rng : numpy.random.Generator, optional

    Returns
    -------
    dict
        ``"h"`` and ``"c"``: ndarrays of shape (T + 1,), batch means of the
        gradient norms at lags ``0 ... T``. ``"c"`` is the total gradient of
        :math:`c_k`: through :math:`c_{k+1}` and through :math:`h_k`.
    """
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
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


_LOG10_2 = float(np.log10(2.0))


def _rescale(scale_exp, *arrays):
    """Divide row ``n`` of every array by the same power of 2, exact in floating point.

    The power is chosen so that the largest entry of the row (over all the
    arrays) lies in [0.5, 1). ``scale_exp[n]`` accumulates the exponents: the
    true value of row ``n`` is ``2 ** scale_exp[n]`` times the stored one.
    """
    largest = np.max([np.max(np.abs(a), axis=1) for a in arrays], axis=0)
    _, exponent = np.frexp(largest)  # largest = m * 2**exponent with 0.5 <= m < 1; exponent 0 for 0
    factor = np.ldexp(1.0, -exponent)[:, None]
    scale_exp += exponent
    return tuple(a * factor for a in arrays)


def _log10_batch_mean_norm(v, scale_exp):
    """``log10`` of the batch mean of the row norms of ``v * 2**scale_exp[:, None]``; ``-inf`` for zeros."""
    with np.errstate(divide="ignore"):
        logs = np.log10(np.linalg.norm(v, axis=1)) + scale_exp * _LOG10_2
    top = np.max(logs)
    if not np.isfinite(top):
        return float(top)
    return float(top + np.log10(np.mean(10.0 ** (logs - top))))


def rnn_backprop_log10_norms(x, h0, Wx, Wh, b, dh_T=None, rng=None):
    r"""``log10`` of the norms returned by :func:`rnn_backprop_norms`, free of underflow.

    After each backward step the gradient of every sequence is divided by a
    power of 2 close to its norm, and the exponents are summed separately.
    Scaling by a power of 2 is exact in floating point and the backward step
    is linear in the upstream gradient, so wherever :func:`rnn_backprop_norms`
    does not underflow the two agree to rounding error; beyond that (norms
    below about :math:`10^{-154}`, whose squares underflow) this function
    still returns the value.

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
        ``"h"``: ndarray, shape (T + 1,), :math:`\log_{10}` of the batch mean of
        :math:`\lVert \partial L / \partial h_{T-\ell} \rVert` for
        :math:`\ell = 0 \dots T` (``-inf`` where the gradient is exactly zero).

    Raises
    ------
    ValueError
        If a shape disagrees with the others.
    """
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    steps = cache["steps"]
    N, T, H = h.shape
    dh = _unit_upstream(rng, N, H) if dh_T is None else as_array("dh_T", dh_T, 2, "(N, H)")
    expect_shape("dh_T", dh, (N, H), "(N, H)")
    scale_exp = np.zeros(N, dtype=np.int64)
    out = np.empty(T + 1)
    (dh,) = _rescale(scale_exp, dh)
    out[0] = _log10_batch_mean_norm(dh, scale_exp)
    for lag in range(1, T + 1):
        _, dh, *_ = rnn_step_backward(dh, steps[T - lag])
        (dh,) = _rescale(scale_exp, dh)
        out[lag] = _log10_batch_mean_norm(dh, scale_exp)
    return {"h": out}


#: The paths :func:`lstm_backprop_log10_norms` can follow.
LSTM_PATHS = ("all", "cell", "hidden")


def lstm_backprop_log10_norms(x, h0, c0, Wx, Wh, b, dh_T=None, rng=None, path="all"):
    r"""``log10`` of the LSTM gradient norms, free of underflow, along all paths or one.

    The loss is the one of :func:`lstm_backprop_norms` (on :math:`h_T` only).
    Rows are rescaled by powers of 2 as in :func:`rnn_backprop_log10_norms`.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    c0 : ndarray, shape (N, H), or None
        Initial cell state; ``None`` means zeros (as in :func:`lstm_helpers.numpy_lstm.lstm_forward`).
    Wx, Wh, b : ndarrays, shapes (D, 4H), (H, 4H), (4H,), gates i, f, g, o
    dh_T : ndarray, shape (N, H), optional
    rng : numpy.random.Generator, optional
    path : {"all", "cell", "hidden"}
        ``"all"``: the full gradient, as in :func:`lstm_backprop_norms`.
        ``"cell"``: only the path along the cell state (the constant error
        carousel): :math:`\partial L / \partial c_T` (which reaches :math:`c_T`
        through :math:`h_T`) multiplied by the forget gates,
        :math:`\partial L / \partial c_T \odot f_T \odot f_{T-1} \cdots f_{k+1}`:
        :math:`\partial L / \partial c_T` carried back by the transposed Jacobians
        :math:`(\partial c_t / \partial c_{t-1})^\top = \mathrm{diag}(f_t)` of the
        edges :math:`c_{t-1} \to c_t` alone.
        ``"hidden"``: only the paths that never take the edge
        :math:`c_{t-1} \to c_t` (as if every :math:`c_{t-1}` entered step
        :math:`t` as a constant): the LSTM's counterpart of the plain RNN's path,
        :math:`\partial L / \partial h_T` carried back by the transposed Jacobians
        :math:`(\partial h_t / \partial h_{t-1})^\top` taken with :math:`c_{t-1}` fixed.

    Returns
    -------
    dict
        ``"all"``: ``"h"`` and ``"c"``; ``"cell"``: ``"c"``; ``"hidden"``:
        ``"h"``. Each an ndarray of shape (T + 1,): :math:`\log_{10}` of the
        batch mean of the gradient norms at lags ``0 ... T``.

    Raises
    ------
    ValueError
        If a shape disagrees with the others or ``path`` is not one of
        ``"all"``, ``"cell"``, ``"hidden"``.
    """
    check_choice("path", path, LSTM_PATHS)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    N, T, H = h.shape
    steps = cache["steps"]
    dh = _unit_upstream(rng, N, H) if dh_T is None else as_array("dh_T", dh_T, 2, "(N, H)")
    expect_shape("dh_T", dh, (N, H), "(N, H)")
    scale_exp = np.zeros(N, dtype=np.int64)
    last = steps[-1]
    if path == "cell":
        dc = dh * last["o"] * (1 - last["tanh_c"] ** 2)
        (dc,) = _rescale(scale_exp, dc)
        out_c = np.empty(T + 1)
        out_c[0] = _log10_batch_mean_norm(dc, scale_exp)
        for lag in range(1, T + 1):
            (dc,) = _rescale(scale_exp, dc * steps[T - lag]["f"])
            out_c[lag] = _log10_batch_mean_norm(dc, scale_exp)
        return {"c": out_c}
    dc = np.zeros((N, H))
    dh, dc = _rescale(scale_exp, dh, dc)
    out_h = np.empty(T + 1)
    out_h[0] = _log10_batch_mean_norm(dh, scale_exp)
    if path == "hidden":
        for lag in range(1, T + 1):
            _, dh, *_ = lstm_step_backward(dh, np.zeros((N, H)), steps[T - lag])
            (dh,) = _rescale(scale_exp, dh)
            out_h[lag] = _log10_batch_mean_norm(dh, scale_exp)
        return {"h": out_h}
    out_c = np.empty(T + 1)
    out_c[0] = _log10_batch_mean_norm(dh * last["o"] * (1 - last["tanh_c"] ** 2), scale_exp)
    for lag in range(1, T + 1):
        _, dh, dc, *_ = lstm_step_backward(dh, dc, steps[T - lag])
        dh, dc = _rescale(scale_exp, dh, dc)
        out_h[lag] = _log10_batch_mean_norm(dh, scale_exp)
        total_dc = dc
        if lag < T:  # the path through h_k = o_k * tanh(c_k), as in lstm_backprop_norms
            prev = steps[T - lag - 1]
            total_dc = dc + dh * prev["o"] * (1 - prev["tanh_c"] ** 2)
        out_c[lag] = _log10_batch_mean_norm(total_dc, scale_exp)
    return {"h": out_h, "c": out_c}


def gradient_rms_by_block(module, blocks=None):
    r"""Root mean square of the gradient in each block of a module's parameters.

    After ``loss.backward()``, the gradient of every parameter tensor is
    summarised by :math:`\sqrt{\operatorname{mean}(g^2)}` over its entries (the
    quantity RMSProp keeps a running average of, here over one batch).
    Parameters can be grouped into blocks, for example the two bias vectors of
    ``nn.RNN`` into one block of biases.

    Parameters
    ----------
    module : torch.nn.Module
        A module whose parameters hold gradients.
    blocks : dict of str -> sequence of str, optional
        Block name -> names of parameters (as in ``module.named_parameters()``)
        pooled into that block. By default every parameter tensor is its own
        block, under its own name.

    Returns
    -------
    dict of str -> float
        The gradient RMS of each block, in the order of ``blocks``.

    Raises
    ------
    ValueError
        If a block names an unknown parameter or is empty, or a parameter of a
        block has no gradient (``backward`` not called yet).

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(3, 2)
    >>> lin(torch.ones(4, 3)).sum().backward()   # d/dW = 4 everywhere, d/db = 4
    >>> gradient_rms_by_block(lin)
    {'weight': 4.0, 'bias': 4.0}
    """
    params = dict(module.named_parameters())
    if blocks is None:
        blocks = {name: [name] for name in params}
    out = {}
    for block, names in blocks.items():
        names = [names] if isinstance(names, str) else list(names)
        if not names:
            raise ValueError(f"block {block!r} must name at least one parameter")
        unknown = [n for n in names if n not in params]
        if unknown:
            raise ValueError(f"block {block!r} names unknown parameters {unknown}; "
                             f"the module's parameters are {', '.join(params)}")
        missing = [n for n in names if params[n].grad is None]
        if missing:
            raise ValueError(f"parameters {missing} of block {block!r} have no gradient; call loss.backward() first")
        total = sum(float(params[n].grad.detach().double().pow(2).sum()) for n in names)
        count = sum(params[n].numel() for n in names)
        out[block] = (total / count) ** 0.5
    return out
