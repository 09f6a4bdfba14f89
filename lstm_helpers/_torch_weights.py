"""The conversion between the NumPy layout ``(Wx, Wh, b)`` and PyTorch's recurrent modules.

Written once for the RNN (one gate block, ``G = 1``) and the LSTM (``G = 4``):
PyTorch keeps ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)`` and two biases;
the NumPy code keeps ``Wx = weight_ih.T (D, G*H)``, ``Wh = weight_hh.T (H, G*H)``
and their sum ``b (G*H,)``.
"""

from __future__ import annotations

import numpy as np


def weights_from_params(weight_ih, weight_hh, bias_ih, bias_hh):
    """Return float64 ``(Wx, Wh, b)`` from PyTorch's four parameters (biases may be None)."""
    Wx = weight_ih.detach().cpu().double().numpy().T.copy()
    Wh = weight_hh.detach().cpu().double().numpy().T.copy()
    if bias_ih is None:
        b = np.zeros(Wx.shape[1])
    else:
        b = (bias_ih.detach().cpu().double() + bias_hh.detach().cpu().double()).numpy().copy()
    return Wx, Wh, b


def copy_into_params(params, Wx, Wh, b, name, blocks):
    """Copy checked ``(Wx, Wh, b)`` into PyTorch's four parameters; ``bias_hh`` becomes 0.

    ``name`` ("rnn", "lstm") and ``blocks`` ("" or "4") only shape the error messages.

    Raises
    ------
    ValueError
        If the module's sizes do not match ``Wx`` or it has no biases.
    """
    import torch

    weight_ih, weight_hh, bias_ih, bias_hh = params
    D, H = Wx.shape[0], Wh.shape[0]
    if tuple(weight_ih.shape) != (Wx.shape[1], D):
        raise ValueError(
            f"{name} must have input_size={D} and hidden_size={H} to take Wx (D, {blocks}H) = {Wx.shape}; "
            f"its weight_ih has shape {tuple(weight_ih.shape)}"
        )
    if bias_ih is None:
        raise ValueError(f"{name} must be built with bias=True to take b")
    with torch.no_grad():
        weight_ih.copy_(torch.as_tensor(Wx.T))
        weight_hh.copy_(torch.as_tensor(Wh.T))
        bias_ih.copy_(torch.as_tensor(b))
        bias_hh.zero_()
