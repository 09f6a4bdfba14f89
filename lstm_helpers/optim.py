"""Optimisation helpers written out: gradient norm clipping."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clip_grad_norm"]


def clip_grad_norm(parameters, max_norm, norm_type=2.0, eps: float = 1e-6) -> float:
    r"""Rescale gradients in place so that their joint norm is at most ``max_norm``.

    This is norm clipping (Pascanu et al., 2013, Algorithm 1): with
    :math:`g` all gradients stacked into one vector, if
    :math:`\lVert g \rVert > \text{max\_norm}` then
    :math:`g \leftarrow g \cdot \text{max\_norm} / \lVert g \rVert`. The direction is kept, only
    the length shrinks. As in ``torch.nn.utils.clip_grad_norm_`` the factor is
    ``max_norm / (total_norm + eps)``, applied only when it is below 1.

    Parameters
    ----------
    parameters : iterable
        NumPy gradient arrays (any shapes; modified in place), or torch
        tensors whose ``.grad`` is clipped (tensors without a gradient are
        skipped), or a single one of either.
    max_norm : float
        Largest allowed norm, positive.
    norm_type : float
        2 for the Euclidean norm, ``float("inf")`` for the largest absolute entry.
    eps : float
        Added to the norm in the denominator (PyTorch uses 1e-6).

    Returns
    -------
    float
        The total norm of the gradients **before** clipping.

    Raises
    ------
    ValueError
        If ``max_norm`` is not positive, ``norm_type`` is not 2 or inf, or an
        item is neither a float NumPy array nor a torch tensor.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    if norm_type not in (2, 2.0, math.inf):
        raise ValueError(f"norm_type must be one of 2, inf; got {norm_type!r}")
    if isinstance(parameters, np.ndarray) or hasattr(parameters, "grad"):
        parameters = [parameters]
    grads = []
    for p in parameters:
        if isinstance(p, np.ndarray):
            if p.dtype.kind != "f":
                raise ValueError(f"gradient arrays must be floating point, got dtype {p.dtype}")
            grads.append(("numpy", p))
        elif hasattr(p, "grad"):
            if p.grad is not None:
                grads.append(("torch", p.grad))
        else:
            raise ValueError(f"expected NumPy gradient arrays or torch tensors, got {type(p).__name__}")
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if kind == "numpy" else float(g.detach().abs().max()) for kind, g in grads)
    else:
        squares = 0.0
        for kind, g in grads:
            squares += float(np.sum(g.astype(np.float64) ** 2)) if kind == "numpy" else float(g.detach().double().pow(2).sum())
        total = math.sqrt(squares)
    coef = max_norm / (total + eps)
    if coef < 1.0:
        for kind, g in grads:
            if kind == "numpy":
                g *= coef
            else:
                g.mul_(coef)
    return total
