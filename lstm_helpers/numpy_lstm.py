r"""The LSTM in NumPy: forward and backward, step and sequence.

One step, with row vectors and batch first (``x (N, D)``, ``h, c (N, H)``):

.. math::

    a &= x W_x + h_{t-1} W_h + b \quad (N, 4H), \text{ split into } a_i, a_f, a_g, a_o \\
    i &= \sigma(a_i), \quad f = \sigma(a_f), \quad g = \tanh(a_g), \quad o = \sigma(a_o) \\
    c_t &= f \odot c_{t-1} + i \odot g \\
    h_t &= o \odot \tanh(c_t)

The four gate blocks of ``Wx (D, 4H)``, ``Wh (H, 4H)`` and ``b (4H,)`` are
ordered **i, f, g, o**, as in PyTorch, so ``weight_ih_l0`` is ``Wx.T``.

The states come in the order ``h``, ``c`` everywhere:
``lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)`` and
``lstm_forward(x, h0, c0, Wx, Wh, b)``. Every cache is a ``dict`` (a step cache
of named arrays, a sequence cache ``{"steps": [...], "c": ..., "gates": ...}``),
as for all NumPy layers of the package (see :mod:`lstm_helpers.numpy_layers`).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, expect_shape
from ._torch_weights import copy_into_params, weights_from_params
from .numpy_layers import _check_cache, _check_sequence_cache
from .numpy_rnn import _check_truncate

__all__ = [
    "sigmoid",
    "GATES",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "lstm_weights_from_torch",
    "lstm_weights_to_torch",
]

#: The order of the gate blocks in ``Wx``, ``Wh`` and ``b`` (PyTorch's order).
GATES = ("i", "f", "g", "o")

#: The entries of a step cache of :func:`lstm_step_forward`.
LSTM_STEP_CACHE_KEYS = ("x", "h_prev", "c_prev", "Wx", "Wh", "i", "f", "g", "o", "c", "tanh_c")


def sigmoid(z):
    """Logistic sigmoid ``1 / (1 + exp(-z))``, computed without overflow for any ``z``."""
    z = np.asarray(z)
    out = np.empty_like(z, dtype=np.result_type(z, np.float32))
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _check_weights(Wx, Wh, b):
    Wx = as_array("Wx", Wx, 2, "(D, 4H)")
    D, G = Wx.shape
    if G % 4:
        raise ValueError(f"Wx must have shape (D, 4H) with four gate blocks i, f, g, o; got {Wx.shape}")
    H = G // 4
    Wh = as_array("Wh", Wh, 2, "(H, 4H)")
    expect_shape("Wh", Wh, (H, 4 * H), "(H, 4H)")
    b = as_array("b", b, 1, "(4H,)")
    expect_shape("b", b, (4 * H,), "(4H,)")
    return Wx, Wh, b


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One time step of the LSTM.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Inputs of this step.
    h_prev : ndarray, shape (N, H)
        Previous hidden state.
    c_prev : ndarray, shape (N, H)
        Previous cell state.
    Wx : ndarray, shape (D, 4H)
        Input-to-gates weights, blocks ordered i, f, g, o.
    Wh : ndarray, shape (H, 4H)
        Hidden-to-gates weights, blocks ordered i, f, g, o.
    b : ndarray, shape (4H,)
        Gate biases, blocks ordered i, f, g, o.

    Returns
    -------
    h_next : ndarray, shape (N, H)
    c_next : ndarray, shape (N, H)
    cache : dict
        What :func:`lstm_step_backward` needs: the inputs ``"x"`` (N, D),
        ``"h_prev"`` (N, H), ``"c_prev"`` (N, H), the weights ``"Wx"`` (D, 4H)
        and ``"Wh"`` (H, 4H), the gate activations ``"i"``, ``"f"``, ``"g"``,
        ``"o"`` (each (N, H); also handy for plotting), the new cell state
        ``"c"`` (N, H) and ``"tanh_c"`` = ``tanh(c)`` (N, H).

    Raises
    ------
    ValueError
        If any shape disagrees with the others.
    """
    Wx, Wh, b = _check_weights(Wx, Wh, b)
    D, H = Wx.shape[0], Wh.shape[0]
    x = as_array("x", x, 2, "(N, D)")
    N = x.shape[0]
    expect_shape("x", x, (N, D), "(N, D)")
    h_prev = as_array("h_prev", h_prev, 2, "(N, H)")
    expect_shape("h_prev", h_prev, (N, H), "(N, H)")
    c_prev = as_array("c_prev", c_prev, 2, "(N, H)")
    expect_shape("c_prev", c_prev, (N, H), "(N, H)")
    a = x @ Wx + h_prev @ Wh + b  # a_t = W_x x_t + W_h h_{t-1} + b, blocks [a_i; a_f; a_g; a_o]
    i = sigmoid(a[:, :H])  # i_t = σ(a_i)
    f = sigmoid(a[:, H : 2 * H])  # f_t = σ(a_f)
    g = np.tanh(a[:, 2 * H : 3 * H])  # g_t = c̃_t = tanh(a_g)
    o = sigmoid(a[:, 3 * H :])  # o_t = σ(a_o)
    c_next = f * c_prev + i * g  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c  # h_t = o_t ⊙ tanh(c_t)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh,
             "i": i, "f": f, "g": g, "o": o, "c": c_next, "tanh_c": tanh_c}
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward pass of :func:`lstm_step_forward`.

    The cell state receives gradient from two places: directly (``dc_next``,
    from step ``t + 1``) and through ``h_t = o * tanh(c_t)``:
    ``dc = dc_next + dh_next * o * (1 - tanh(c)**2)``. Then ``dc_prev = dc * f``
    -- the path through which the error can travel many steps unchanged when
    ``f`` is close to 1.

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
        Gradient of the loss with respect to ``h_next``.
    dc_next : ndarray, shape (N, H)
        Gradient of the loss with respect to ``c_next`` arriving from later steps.
    cache : dict
        The cache returned by :func:`lstm_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dc_prev : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)

    Raises
    ------
    ValueError
        If ``dh_next`` or ``dc_next`` does not have the shape ``(N, H)`` of
        the step, or ``cache`` is not a cache of :func:`lstm_step_forward`.
    """
    _check_cache(cache, LSTM_STEP_CACHE_KEYS, "lstm_step_forward")
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    dh_next = as_array("dh_next", dh_next, 2, "(N, H)")
    expect_shape("dh_next", dh_next, i.shape, "(N, H)")
    dc_next = as_array("dc_next", dc_next, 2, "(N, H)")
    expect_shape("dc_next", dc_next, i.shape, "(N, H)")
    tanh_c = cache["tanh_c"]
    do = dh_next * tanh_c  # do_t = dh_t ⊙ tanh(c_t)
    dc = dc_next + dh_next * o * (1.0 - tanh_c**2)  # dc_t = dc⁺_t + dh_t ⊙ o_t ⊙ (1 − tanh²c_t)
    df = dc * cache["c_prev"]  # df_t = dc_t ⊙ c_{t-1}
    di = dc * g  # di_t = dc_t ⊙ g_t
    dg = dc * i  # dg_t = dc_t ⊙ i_t
    dc_prev = dc * f  # dc⁺_{t-1} = dc_t ⊙ f_t
    da = np.concatenate(  # through the nonlinearities: σ' = σ(1 − σ), tanh' = 1 − tanh²
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)], axis=1
    )
    dx = da @ cache["Wx"].T  # dx_t = W_xᵀ da_t (row-vector code: da Wxᵀ)
    dh_prev = da @ cache["Wh"].T  # the part of dh_{t-1} that comes through step t
    dWx = cache["x"].T @ da  # dW_x += da_t x_tᵀ, summed over the batch
    dWh = cache["h_prev"].T @ da  # dW_h += da_t h_{t-1}ᵀ
    db = da.sum(axis=0)  # db += da_t
    return dx, dh_prev, dc_prev, dWx, dWh, db


def lstm_forward(x, h0, c0, Wx, Wh, b):
    """Run the LSTM over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    c0 : ndarray, shape (N, H), or None
        Initial cell state; ``None`` means zeros (as in PyTorch).
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden states ``h_1 ... h_T``.
    cache : dict
        ``"steps"``: the list of the ``T`` step caches of
        :func:`lstm_step_forward`, consumed by :func:`lstm_backward`;
        ``"c"``: the cell states ``c_1 ... c_T``, shape (N, T, H); ``"gates"``:
        a dict of the gate activations ``"i"``, ``"f"``, ``"g"``, ``"o"``,
        each of shape (N, T, H).

    Raises
    ------
    ValueError
        If any shape disagrees with the others.
    """
    Wx, Wh, b = _check_weights(Wx, Wh, b)
    D, H = Wx.shape[0], Wh.shape[0]
    x = as_array("x", x, 3, "(N, T, D)")
    N, T, _ = x.shape
    expect_shape("x", x, (N, T, D), "(N, T, D)")
    h0 = as_array("h0", h0, 2, "(N, H)")
    expect_shape("h0", h0, (N, H), "(N, H)")
    if c0 is None:
        c0 = np.zeros((N, H), dtype=h0.dtype)
    c0 = as_array("c0", c0, 2, "(N, H)")
    expect_shape("c0", c0, (N, H), "(N, H)")
    dtype = np.result_type(x, h0, c0, Wx, Wh, b)
    h = np.empty((N, T, H), dtype=dtype)
    c = np.empty((N, T, H), dtype=dtype)
    gates = {name: np.empty((N, T, H), dtype=dtype) for name in GATES}
    steps = []
    h_t, c_t = h0, c0
    for t in range(T):
        h_t, c_t, step = lstm_step_forward(x[:, t, :], h_t, c_t, Wx, Wh, b)
        h[:, t], c[:, t] = h_t, c_t
        for name in GATES:
            gates[name][:, t] = step[name]
        steps.append(step)
    return h, {"steps": steps, "c": c, "gates": gates}


def lstm_backward(dh, cache, truncate=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Walking backwards, step ``t`` receives two gradients from step ``t + 1``:
    the part of ``dh_t`` that came through the gates (added to ``dh[:, t]``)
    and ``dc_t`` along the cell state. Both start at zero after the last step;
    after the first step they are ``dh0`` and ``dc0``.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every hidden state returned by :func:`lstm_forward`.
    cache : dict
        The cache returned by :func:`lstm_forward`.
    truncate : int or None
        ``None`` (the default): full BPTT. An integer ``k >= 1``: k-step
        truncated BPTT, with the meaning it has in
        :func:`lstm_helpers.numpy_rnn.rnn_backward`: the gradient of each loss
        term, ``dh[:, s]``, is carried back (along ``h`` and ``c`` together)
        through the steps ``s, s - 1, ..., s - k + 1`` (those that exist),
        adds to their ``dx``, ``dWx``, ``dWh`` and ``db``, and is then
        dropped; it reaches ``dh0`` and ``dc0`` only when ``s < k``. ``k = 1``
        gives each step only its own term, ``k >= T`` gives full BPTT. Terms
        whose ``dh[:, s]`` is all zero are skipped.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dc0 : ndarray, shape (N, H)
        Gradient with respect to the initial cell state (also when ``c0`` was
        ``None``, i.e. zeros).
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)

    Raises
    ------
    ValueError
        If ``dh`` does not match the cache, ``cache`` is not a cache of
        :func:`lstm_forward`, or ``truncate`` is neither ``None`` nor an
        integer ``>= 1``.
    """
    steps = _check_sequence_cache(cache, LSTM_STEP_CACHE_KEYS, "lstm_forward")
    first = steps[0]
    N, D = first["x"].shape
    H = first["i"].shape[1]
    T = len(steps)
    dh = as_array("dh", dh, 3, "(N, T, H)")
    expect_shape("dh", dh, (N, T, H), "(N, T, H)")
    dtype = np.result_type(dh, first["x"])
    dx = np.zeros((N, T, D), dtype=dtype)
    dWx = np.zeros((D, 4 * H), dtype=dtype)
    dWh = np.zeros((H, 4 * H), dtype=dtype)
    db = np.zeros(4 * H, dtype=dtype)
    dh_prev = np.zeros((N, H), dtype=dtype)
    dc_prev = np.zeros((N, H), dtype=dtype)
    truncate = _check_truncate(truncate)
    if truncate is not None and truncate < T:
        return _lstm_backward_truncated(dh, steps, truncate, dx, dWx, dWh, db, dh_prev, dc_prev)
    for t in reversed(range(T)):
        dx_t, dh_prev, dc_prev, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_prev, dc_prev, steps[t])
        dx[:, t] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_prev, dc_prev, dWx, dWh, db


def _lstm_backward_truncated(dh, steps, k, dx, dWx, dWh, db, dh0, dc0):
    """k-step truncated BPTT (see :func:`lstm_backward`): one short backward walk per loss term."""
    T = len(steps)
    for s in range(T):
        grad_h = dh[:, s]
        if not np.any(grad_h):
            continue
        grad_c = np.zeros_like(dc0)  # the term enters at h_s; nothing reaches c_s from later steps
        for t in range(s, max(s - k, -1), -1):
            dx_t, grad_h, grad_c, dWx_t, dWh_t, db_t = lstm_step_backward(grad_h, grad_c, steps[t])
            dx[:, t] += dx_t
            dWx += dWx_t
            dWh += dWh_t
            db += db_t
        if s < k:
            dh0 += grad_h
            dc0 += grad_c
    return dx, dh0, dc0, dWx, dWh, db


def lstm_weights_from_torch(lstm):
    """Read ``(Wx, Wh, b)`` out of a one-layer ``torch.nn.LSTM`` or a ``torch.nn.LSTMCell``.

    Returns float64 NumPy arrays ``Wx = weight_ih.T (D, 4H)``,
    ``Wh = weight_hh.T (H, 4H)`` and ``b = bias_ih + bias_hh (4H,)`` (PyTorch
    keeps two biases that always appear as a sum). Gate order i, f, g, o.

    Raises
    ------
    ValueError
        For stacked, bidirectional or projected LSTMs, or another module.
    """
    return weights_from_params(*_torch_lstm_params(lstm))


def lstm_weights_to_torch(Wx, Wh, b, lstm=None):
    """Copy ``(Wx, Wh, b)`` into a ``torch.nn.LSTM`` or ``torch.nn.LSTMCell``.

    Parameters
    ----------
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)
    lstm : torch.nn.LSTM or torch.nn.LSTMCell, optional
        One layer, unidirectional, with biases, ``input_size = D`` and
        ``hidden_size = H``. When omitted, a float64
        ``nn.LSTM(D, H, batch_first=True)`` is created.

    Returns
    -------
    torch.nn.Module
        The module, with ``weight_ih = Wx.T``, ``weight_hh = Wh.T``,
        ``bias_ih = b`` and ``bias_hh = 0``.
    """
    import torch

    Wx, Wh, b = _check_weights(Wx, Wh, b)
    D, H = Wx.shape[0], Wh.shape[0]
    if lstm is None:
        lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    copy_into_params(_torch_lstm_params(lstm), Wx, Wh, b, "lstm", "4")
    return lstm


def _torch_lstm_params(lstm):
    import torch

    if isinstance(lstm, torch.nn.LSTM):
        if lstm.num_layers != 1 or lstm.bidirectional or lstm.proj_size:
            raise ValueError("only one-layer, unidirectional torch.nn.LSTM modules without proj_size can be converted")
        return lstm.weight_ih_l0, lstm.weight_hh_l0, getattr(lstm, "bias_ih_l0", None), getattr(lstm, "bias_hh_l0", None)
    if isinstance(lstm, torch.nn.LSTMCell):
        return lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh
    raise ValueError(f"expected torch.nn.LSTM or torch.nn.LSTMCell, got {type(lstm).__name__}")
