r"""A vanilla recurrent network in NumPy: forward and backward, step and sequence.

The cell is

.. math:: h_t = \tanh(x_t W_x + h_{t-1} W_h + b)

with row vectors, batch first: ``x (N, T, D)``, ``h (N, T, H)``,
``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``. The row-vector form ``x @ Wx`` is
the transpose of the column-vector form ``W_{xh} x_t`` used in the prose, so
``Wx = W_{xh}^T`` and PyTorch's ``weight_ih_l0`` is ``Wx.T``.

Each forward function returns a ``cache`` holding what its backward function
needs; each backward function takes the upstream gradient and that cache. A
cache is always a ``dict``: a step cache holds named arrays, a sequence cache is
``{"steps": [step caches]}`` (the conventions of all NumPy layers are listed in
:mod:`lstm_helpers.numpy_layers`).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_size, expect_shape
from ._torch_weights import copy_into_params, weights_from_params
from .numpy_layers import _check_cache, _check_sequence_cache

__all__ = [
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "rnn_weights_from_torch",
    "rnn_weights_to_torch",
    "rnn_parameter_count",
]

#: The entries of a step cache of :func:`rnn_step_forward`.
RNN_STEP_CACHE_KEYS = ("x", "h_prev", "Wx", "Wh", "h_next")


def _check_weights(Wx, Wh, b):
    Wx = as_array("Wx", Wx, 2, "(D, H)")
    H = Wx.shape[1]
    Wh = as_array("Wh", Wh, 2, "(H, H)")
    expect_shape("Wh", Wh, (H, H), "(H, H)")
    b = as_array("b", b, 1, "(H,)")
    expect_shape("b", b, (H,), "(H,)")
    return Wx, Wh, b


def rnn_parameter_count(input_size, hidden_size):
    r"""Number of trainable scalars of the cell: :math:`DH + HH + H`.

    The cell :math:`h_t = \tanh(x_t W_x + h_{t-1} W_h + b)` has the weights
    ``Wx (D, H)`` and ``Wh (H, H)`` and **one** bias ``b (H,)``, shared by
    every step, so the count does not depend on the sequence length.
    ``torch.nn.RNN(D, H)`` stores two biases, ``bias_ih`` and ``bias_hh``,
    whose sum is ``b`` (see :func:`rnn_weights_from_torch`): its
    ``sum(p.numel() for p in rnn.parameters())`` is this count plus ``H``.

    Parameters
    ----------
    input_size : int
        ``D``, the number of features of :math:`x_t`.
    hidden_size : int
        ``H``, the number of units of :math:`h_t`.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If either size is not a positive integer.

    Examples
    --------
    >>> rnn_parameter_count(5, 2)  # 5*2 + 2*2 + 2
    16
    >>> rnn_parameter_count(100, 256)
    91392
    """
    input_size = check_size("input_size", input_size)
    hidden_size = check_size("hidden_size", hidden_size)
    return input_size * hidden_size + hidden_size * hidden_size + hidden_size


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One time step of the vanilla RNN: ``h_next = tanh(x @ Wx + h_prev @ Wh + b)``.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Inputs of this step for a batch of ``N`` sequences.
    h_prev : ndarray, shape (N, H)
        Hidden state of the previous step.
    Wx : ndarray, shape (D, H)
        Input-to-hidden weights.
    Wh : ndarray, shape (H, H)
        Hidden-to-hidden (recurrent) weights.
    b : ndarray, shape (H,)
        Bias.

    Returns
    -------
    h_next : ndarray, shape (N, H)
        The new hidden state.
    cache : dict
        ``{"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "h_next": h_next}``
        (shapes (N, D), (N, H), (D, H), (H, H), (N, H)), consumed by
        :func:`rnn_step_backward`.

    Raises
    ------
    ValueError
        If any shape disagrees with the others.
    """
    Wx, Wh, b = _check_weights(Wx, Wh, b)
    D, H = Wx.shape
    x = as_array("x", x, 2, "(N, D)")
    N = x.shape[0]
    expect_shape("x", x, (N, D), "(N, D)")
    h_prev = as_array("h_prev", h_prev, 2, "(N, H)")
    expect_shape("h_prev", h_prev, (N, H), "(N, H)")
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "h_next": h_next}


def rnn_step_backward(dh_next, cache):
    """Backward pass of :func:`rnn_step_forward`.

    With ``a = x @ Wx + h_prev @ Wh + b`` and ``h_next = tanh(a)``, the local
    gradient is ``da = dh_next * (1 - h_next**2)``; everything else is a
    matrix product with ``da``.

    Parameters
    ----------
    dh_next : ndarray, shape (N, H)
        Gradient of the loss with respect to ``h_next``.
    cache : dict
        The cache returned by :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)

    Raises
    ------
    ValueError
        If ``dh_next`` does not have the shape of ``h_next``, or ``cache`` is
        not a cache of :func:`rnn_step_forward`.
    """
    _check_cache(cache, RNN_STEP_CACHE_KEYS, "rnn_step_forward")
    x, h_prev, Wx, Wh, h_next = (cache[key] for key in RNN_STEP_CACHE_KEYS)
    dh_next = as_array("dh_next", dh_next, 2, "(N, H)")
    expect_shape("dh_next", dh_next, h_next.shape, "(N, H)")
    da = dh_next * (1.0 - h_next**2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the vanilla RNN over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        A batch of ``N`` input sequences of length ``T``.
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden states ``h_1 ... h_T`` (``h0`` is not included).
    cache : dict
        ``{"steps": [step caches]}``: the cache of :func:`rnn_step_forward`
        for each of the ``T`` steps, in order; consumed by :func:`rnn_backward`.

    Raises
    ------
    ValueError
        If any shape disagrees with the others.
    """
    Wx, Wh, b = _check_weights(Wx, Wh, b)
    D, H = Wx.shape
    x = as_array("x", x, 3, "(N, T, D)")
    N, T, _ = x.shape
    expect_shape("x", x, (N, T, D), "(N, T, D)")
    h0 = as_array("h0", h0, 2, "(N, H)")
    expect_shape("h0", h0, (N, H), "(N, H)")
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
    steps = []
    h_t = h0
    for t in range(T):
        h_t, step_cache = rnn_step_forward(x[:, t, :], h_t, Wx, Wh, b)
        h[:, t, :] = h_t
        steps.append(step_cache)
    return h, {"steps": steps}


def rnn_backward(dh, cache, truncate=None):
    """Backpropagation through time for :func:`rnn_forward`.

    The loss reaches ``h_t`` along two paths: directly (``dh[:, t]``, the
    upstream gradient of every hidden state) and through ``h_{t+1}``. Walking
    backwards, the gradient entering step ``t`` is therefore
    ``dh[:, t] + dh_prev`` where ``dh_prev`` came out of step ``t + 1``.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every hidden state returned by :func:`rnn_forward`.
    cache : dict
        The cache returned by :func:`rnn_forward`.
    truncate : int or None
        ``None`` (the default): full BPTT. An integer ``k >= 1``: k-step
        truncated BPTT. The gradient of each loss term, ``dh[:, s]``, is
        carried back through at most ``k`` time steps: it passes through the
        steps ``s, s - 1, ..., s - k + 1`` (those that exist), adds to their
        ``dx``, ``dWx``, ``dWh`` and ``db``, and is then dropped; it reaches
        ``dh0`` only when ``s < k``. So ``k = 1`` gives each step only its
        own term, and ``k >= T`` gives full BPTT. This is full BPTT with
        every product of more than ``k`` step Jacobians removed from each
        term; it is *not* the "detach ``h`` every ``k`` steps" scheme, in
        which the number of steps depends on where ``s`` falls in its chunk.
        Terms whose ``dh[:, s]`` is all zero are skipped, so a many-to-one
        loss costs ``k`` step backwards.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)

    Raises
    ------
    ValueError
        If ``dh`` does not match the cache, ``cache`` is not a cache of
        :func:`rnn_forward`, or ``truncate`` is neither ``None`` nor an
        integer ``>= 1``.
    """
    steps = _check_sequence_cache(cache, RNN_STEP_CACHE_KEYS, "rnn_forward")
    x0, Wx, Wh = steps[0]["x"], steps[0]["Wx"], steps[0]["Wh"]
    N, D = x0.shape
    H = Wh.shape[0]
    T = len(steps)
    dh = as_array("dh", dh, 3, "(N, T, H)")
    expect_shape("dh", dh, (N, T, H), "(N, T, H)")
    dx = np.zeros((N, T, D), dtype=np.result_type(dh, x0))
    dWx = np.zeros_like(Wx, dtype=dx.dtype)
    dWh = np.zeros_like(Wh, dtype=dx.dtype)
    db = np.zeros(H, dtype=dx.dtype)
    dh_prev = np.zeros((N, H), dtype=dx.dtype)
    truncate = _check_truncate(truncate)
    if truncate is not None and truncate < T:
        return _rnn_backward_truncated(dh, steps, truncate, dx, dWx, dWh, db, dh_prev)
    for t in reversed(range(T)):
        dx_t, dh_prev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dh_prev, steps[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_prev, dWx, dWh, db


def _check_truncate(truncate):
    """Validate the ``truncate`` argument of :func:`rnn_backward` and :func:`~lstm_helpers.numpy_lstm.lstm_backward`.

    Returns ``None`` or the number of steps as a Python ``int``.

    Raises
    ------
    ValueError
        If ``truncate`` is neither ``None`` nor an integer ``>= 1`` (``bool`` is rejected).

    Examples
    --------
    >>> _check_truncate(None), _check_truncate(3)
    (None, 3)
    >>> _check_truncate(0)
    Traceback (most recent call last):
    ...
    ValueError: truncate must be None or an integer >= 1, got 0
    """
    if truncate is None:
        return None
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1:
        raise ValueError(f"truncate must be None or an integer >= 1, got {truncate!r}")
    return int(truncate)


def _rnn_backward_truncated(dh, steps, k, dx, dWx, dWh, db, dh0):
    """k-step truncated BPTT (see :func:`rnn_backward`): one short backward walk per loss term."""
    T = len(steps)
    for s in range(T):
        grad = dh[:, s, :]
        if not np.any(grad):
            continue
        for t in range(s, max(s - k, -1), -1):
            dx_t, grad, dWx_t, dWh_t, db_t = rnn_step_backward(grad, steps[t])
            dx[:, t, :] += dx_t
            dWx += dWx_t
            dWh += dWh_t
            db += db_t
        if s < k:
            dh0 += grad
    return dx, dh0, dWx, dWh, db


def rnn_weights_from_torch(rnn):
    """Read ``(Wx, Wh, b)`` out of a one-layer ``torch.nn.RNN`` or ``torch.nn.RNNCell``.

    PyTorch stores ``weight_ih (H, D)``, ``weight_hh (H, H)`` and two biases;
    this returns ``Wx = weight_ih.T (D, H)``, ``Wh = weight_hh.T (H, H)`` and
    ``b = bias_ih + bias_hh (H,)`` as float64 NumPy arrays.

    Raises
    ------
    ValueError
        If the module is not a one-layer, unidirectional tanh RNN.
    """
    return weights_from_params(*_torch_rnn_params(rnn))


def rnn_weights_to_torch(Wx, Wh, b, rnn=None):
    """Copy ``(Wx, Wh, b)`` into a ``torch.nn.RNN`` (built if ``rnn`` is None).

    Parameters
    ----------
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)
    rnn : torch.nn.RNN or torch.nn.RNNCell, optional
        A one-layer tanh RNN with ``input_size = D`` and ``hidden_size = H``
        and biases. When omitted, a float64 ``nn.RNN(D, H, batch_first=True)``
        is created.

    Returns
    -------
    torch.nn.Module
        The module, with ``weight_ih = Wx.T``, ``weight_hh = Wh.T``,
        ``bias_ih = b`` and ``bias_hh = 0``.
    """
    import torch

    Wx, Wh, b = _check_weights(Wx, Wh, b)
    D, H = Wx.shape
    if rnn is None:
        rnn = torch.nn.RNN(D, H, batch_first=True).double()
    copy_into_params(_torch_rnn_params(rnn), Wx, Wh, b, "rnn", "")
    return rnn


def _torch_rnn_params(rnn):
    import torch

    if isinstance(rnn, torch.nn.RNN):
        if rnn.num_layers != 1 or rnn.bidirectional:
            raise ValueError("only one-layer, unidirectional torch.nn.RNN modules can be converted")
        if rnn.nonlinearity != "tanh":
            raise ValueError("only nonlinearity='tanh' matches rnn_step_forward")
        return rnn.weight_ih_l0, rnn.weight_hh_l0, getattr(rnn, "bias_ih_l0", None), getattr(rnn, "bias_hh_l0", None)
    if isinstance(rnn, torch.nn.RNNCell):
        if rnn.nonlinearity != "tanh":
            raise ValueError("only nonlinearity='tanh' matches rnn_step_forward")
        return rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh
    raise ValueError(f"expected torch.nn.RNN or torch.nn.RNNCell, got {type(rnn).__name__}")
