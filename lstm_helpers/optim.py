"""Optimisation helpers written out: gradient norm clipping and three optimisers.

:func:`clip_grad_norm` rescales gradients (Pascanu et al., 2013).
:class:`SGD`, :class:`RMSprop` and :class:`Adam` are ``torch.optim.Optimizer``
subclasses whose ``step`` spells out the update one equation per line; with
matching settings they give the same parameters as their ``torch.optim``
namesakes, and :class:`RMSprop` also reproduces the Keras, TensorFlow 1 and
Graves (2013) variants of RMSProp.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["clip_grad_norm", "SGD", "RMSprop", "Adam"]


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


# ----------------------------------------------------------------------------- optimisers


def _check(ok: bool, message: str, value) -> None:
    """Raise ``ValueError(message + value)`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{message}, got {value!r}")


class _StepByStep(torch.optim.Optimizer):
    """Shared frame: validate every parameter group, run the closure, hand out gradients."""

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        _check(group["lr"] >= 0, "lr must be >= 0", group["lr"])
        self._check_group(group)

    def _check_group(self, group: dict) -> None:
        raise NotImplementedError

    def _grads(self, group: dict):
        """Yield ``(p, g, state)`` for the parameters of ``group`` that have a gradient."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.is_sparse:
                raise ValueError(f"{type(self).__name__} does not support sparse gradients")
            yield p, p.grad, self.state[p]

    @torch.no_grad()
    def step(self, closure=None):
        """Update every parameter once; return ``closure()`` (evaluated first) or ``None``."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update(group)
        return loss


class SGD(_StepByStep):
    r"""Stochastic gradient descent, with optional heavy-ball or Nesterov momentum.

    For each parameter :math:`\theta` with gradient :math:`\mathrm{d}\theta_t`:

    .. math::

        \Delta_t = \mu\, \Delta_{t-1} + \mathrm{d}\theta_t \quad (\Delta_1 = \mathrm{d}\theta_1), \qquad
        D_t = \begin{cases} \mathrm{d}\theta_t + \mu\, \Delta_t & \text{Nesterov} \\ \Delta_t & \text{otherwise}\end{cases},
        \qquad \theta_t = \theta_{t-1} - \eta\, D_t .

    With :math:`\mu = 0` this is plain :math:`\theta \leftarrow \theta - \eta g`. The buffer
    :math:`\Delta` adds up past gradients (Polyak's heavy ball); the Nesterov form looks one momentum
    step ahead (Sutskever et al., 2013, eq. 3--4, rewritten for the gradient at the current
    point). This is ``torch.optim.SGD`` with ``dampening=0`` and ``weight_decay=0``.

    Parameters
    ----------
    params : iterable
        Tensors to optimise, or dicts of parameter groups (as for any ``torch.optim.Optimizer``).
    lr : float
        Learning rate :math:`\eta \ge 0`.
    momentum : float
        Momentum :math:`\mu \ge 0`; 0 turns the buffer off.
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0``.

    Notes
    -----
    State per parameter (``self.state[p]``): ``"momentum_buffer"`` (:math:`\Delta`, same shape as
    ``p``), only when ``momentum > 0``.

    References
    ----------
    Sutskever, Martens, Dahl and Hinton (2013), *On the importance of initialization and
    momentum in deep learning* [sutskever2013importance].

    Raises
    ------
    ValueError
        If ``lr < 0``, ``momentum < 0``, ``nesterov`` without momentum, or a gradient is sparse.

    Examples
    --------
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     ((w ** 2).sum() / 2).backward()   # gradient = w
    ...     opt.step()
    >>> [round(x, 4) for x in w.tolist()]     # 1 - 0.1 - 0.1 * (0.9 * 1 + 0.9)
    [0.72, -1.44]
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov))

    def _check_group(self, group):
        _check(group["momentum"] >= 0, "momentum must be >= 0", group["momentum"])
        _check(not group["nesterov"] or group["momentum"] > 0,
               "Nesterov momentum requires momentum > 0", group["momentum"])

    def _update(self, group):
        lr, mu = group["lr"], group["momentum"]
        for p, g, state in self._grads(group):
            d = g
            if mu > 0:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = g.clone()      # Delta_1 = dtheta_1
                else:
                    state["momentum_buffer"].mul_(mu).add_(g)  # Delta_t = mu Delta_{t-1} + dtheta_t
                b = state["momentum_buffer"]
                d = g.add(b, alpha=mu) if group["nesterov"] else b  # d = g + mu b  |  d = b
            p.add_(d, alpha=-lr)                               # theta -= lr d


class RMSprop(_StepByStep):
    r"""RMSProp: divide the gradient by a running root mean square of recent gradients.

    For each parameter, with gradient :math:`\mathrm{d}\theta_t` and decay :math:`\alpha`:

    .. math::

        v_t &= \alpha\, v_{t-1} + (1-\alpha)\, \mathrm{d}\theta_t^2, \qquad v_0 = \text{initial\_square\_avg} \\
        m_t &= \alpha\, m_{t-1} + (1-\alpha)\, \mathrm{d}\theta_t, \qquad m_0 = 0 \quad \text{(centered only)} \\
        s_t &= v_t - m_t^2 \ \text{(centered)} \quad\text{or}\quad s_t = v_t \\
        u_t &= \mathrm{d}\theta_t / (\sqrt{s_t} + \epsilon) \quad\text{or, ε inside,}\quad \mathrm{d}\theta_t / \sqrt{s_t + \epsilon} \\
        \Delta_t &= \mu\, \Delta_{t-1} + u_t, \quad \Delta_0 = 0, \qquad
        \theta_t = \theta_{t-1} - \eta\, \Delta_t \quad (\theta_t = \theta_{t-1} - \eta\, u_t \text{ if } \mu = 0).

    Centred, :math:`s_t` estimates the variance of the gradient rather than its raw second
    moment. With :math:`v_0 = 0` and a constant gradient the first step has length
    :math:`\eta / \sqrt{1-\alpha}` (ten times ``lr`` at :math:`\alpha = 0.99`), because
    :math:`v_1` is still biased towards zero.

    Settings of other libraries and papers (the rest as they choose, e.g. their ``lr``):

    ===================================  =====  ======  =======  ========  ===============  ============
    as in                                alpha  eps     inside   centered  momentum         initial
    ===================================  =====  ======  =======  ========  ===============  ============
    ``torch.optim.RMSprop`` (defaults)   0.99   1e-8    False    any       any              0.0
    Keras ``RMSprop``                    0.9    1e-7    True     any       any              0.0
    TF1 ``tf.train.RMSPropOptimizer``    0.9    1e-10   True     any       any              1.0
    Graves (2013), Sec. 4                0.95   1e-4    True     True      0.9              0.0
    ===================================  =====  ======  =======  ========  ===============  ============

    (``inside`` is ``eps_inside_sqrt``, ``initial`` is ``initial_square_avg``; Graves uses
    ``lr=1e-4``.) Keras and TF1 put the learning rate inside the momentum buffer,
    :math:`\Delta_t = \mu \Delta_{t-1} + \eta u_t`, which is the same update as long as ``lr`` is fixed.

    Parameters
    ----------
    params : iterable
        Tensors to optimise, or dicts of parameter groups.
    lr : float
        Learning rate :math:`\eta \ge 0`.
    alpha : float
        Decay of the running averages, in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon > 0`, keeps the division finite.
    momentum : float
        :math:`\mu \ge 0`; 0 means no buffer.
    centered : bool
        Subtract the squared running mean :math:`m_t^2` under the root.
    eps_inside_sqrt : bool
        Use :math:`\sqrt{s_t + \epsilon}` instead of :math:`\sqrt{s_t} + \epsilon`.
    initial_square_avg : float
        :math:`v_0 \ge 0`.

    Notes
    -----
    State per parameter: ``"step"`` (int), ``"square_avg"`` (:math:`v`), ``"grad_avg"``
    (:math:`m`, centred only), ``"momentum_buffer"`` (:math:`\Delta`, only when ``momentum > 0``).

    References
    ----------
    Tieleman and Hinton (2012), Lecture 6.5 [tieleman2012rmsprop];
    Graves (2013), *Generating sequences with recurrent neural networks*, Sec. 4
    [graves2013generating].

    Raises
    ------
    ValueError
        If ``lr < 0``, ``alpha`` is outside :math:`[0, 1)`, ``eps <= 0``, ``momentum < 0``,
        ``initial_square_avg < 0``, or a gradient is sparse.

    Examples
    --------
    The Keras example: minimise :math:`x^2/2` from 10 (gradient :math:`x`).

    >>> x = torch.tensor(10.0, requires_grad=True)
    >>> opt = RMSprop([x], lr=0.1, alpha=0.9, eps=1e-7, eps_inside_sqrt=True)
    >>> (x ** 2 / 2).backward()
    >>> opt.step()
    >>> round(x.item(), 5)                   # 10 - 0.1 * 10 / sqrt(0.1 * 100)
    9.68377
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, centered: bool = False, eps_inside_sqrt: bool = False,
                 initial_square_avg: float = 0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                                      centered=centered, eps_inside_sqrt=eps_inside_sqrt,
                                      initial_square_avg=initial_square_avg))

    def _check_group(self, group):
        _check(0 <= group["alpha"] < 1, "alpha must be in [0, 1)", group["alpha"])
        _check(group["eps"] > 0, "eps must be > 0", group["eps"])
        _check(group["momentum"] >= 0, "momentum must be >= 0", group["momentum"])
        _check(group["initial_square_avg"] >= 0, "initial_square_avg must be >= 0",
               group["initial_square_avg"])

    def _update(self, group):
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for p, g, state in self._grads(group):
            if not state:
                state["step"] = 0
                state["square_avg"] = torch.full_like(p, group["initial_square_avg"])  # v_0
                if group["centered"]:
                    state["grad_avg"] = torch.zeros_like(p)                           # m_0 = 0
                if mu > 0:
                    state["momentum_buffer"] = torch.zeros_like(p)                    # b_0 = 0
            state["step"] += 1
            v = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)  # v = a v + (1-a) g^2
            s = v
            if group["centered"]:
                m = state["grad_avg"].mul_(alpha).add_(g, alpha=1 - alpha)  # m = a m + (1-a) g
                s = v - m * m                                                # s = v - m^2
            if group["eps_inside_sqrt"]:
                denom = (s + eps).sqrt()                                     # sqrt(s + eps)
            else:
                denom = s.sqrt() + eps                                       # sqrt(s) + eps
            u = g / denom                                                    # u = g / denom
            if mu > 0:
                u = state["momentum_buffer"].mul_(mu).add_(u)                # b = mu b + u
            p.add_(u, alpha=-lr)                                             # theta -= lr b  (or lr u)


class Adam(_StepByStep):
    r"""Adam: RMSProp's second moment, plus momentum on the first moment, plus bias correction.

    For each parameter, with gradient :math:`\mathrm{d}\theta_t` at step :math:`t = 1, 2, \dots`:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, \mathrm{d}\theta_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\, \mathrm{d}\theta_t^2, \qquad m_0 = v_0 = 0, \\
        \hat m_t &= m_t / (1-\beta_1^t), \qquad \hat v_t = v_t / (1-\beta_2^t), \\
        \theta_t &= \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon).

    Read line by line: :math:`v_t` is RMSProp's running square average with
    :math:`\alpha = \beta_2`; :math:`m_t` is momentum, kept as an average of gradients rather
    than a sum; and the hats are the bias correction, which undoes the pull of the zero
    initial values towards 0 (:math:`m_t` and :math:`v_t` are averages whose weights add up
    to only :math:`1-\beta^t`).

    Without the corrections a constant gradient would give a first step of length
    :math:`\eta (1-\beta_1)/\sqrt{1-\beta_2}` (about :math:`3.2\eta` at the defaults); with
    them the first step has length about :math:`\eta` whatever the gradient's scale. This is ``torch.optim.Adam`` without
    ``amsgrad`` or weight decay (Kingma and Ba, 2015, Algorithm 1; like torch, ε is added
    to :math:`\sqrt{\hat v_t}`).

    Parameters
    ----------
    params : iterable
        Tensors to optimise, or dicts of parameter groups.
    lr : float
        Learning rate :math:`\eta \ge 0`.
    betas : tuple of float
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon > 0`.

    Notes
    -----
    State per parameter: ``"step"`` (int :math:`t`), ``"exp_avg"`` (:math:`m`),
    ``"exp_avg_sq"`` (:math:`v`).

    References
    ----------
    Kingma and Ba (2015), *Adam: a method for stochastic optimization* [kingma2015adam].

    Raises
    ------
    ValueError
        If ``lr < 0``, a beta is outside :math:`[0, 1)`, ``eps <= 0``, or a gradient is sparse.

    Examples
    --------
    The first step moves every coordinate by about ``lr``, whatever its gradient's size:

    >>> w = torch.tensor([1.0, -100.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.01)
    >>> ((w ** 2).sum() / 2).backward()
    >>> opt.step()
    >>> [round(x, 4) for x in w.tolist()]
    [0.99, -99.99]
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))

    def _check_group(self, group):
        for i, beta in enumerate(group["betas"]):
            _check(0 <= beta < 1, f"betas[{i}] must be in [0, 1)", beta)
        _check(group["eps"] > 0, "eps must be > 0", group["eps"])

    def _update(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, g, state in self._grads(group):
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p)     # m_0 = 0
                state["exp_avg_sq"] = torch.zeros_like(p)  # v_0 = 0
            state["step"] += 1
            t = state["step"]
            m = state["exp_avg"].mul_(beta1).add_(g, alpha=1 - beta1)           # m = b1 m + (1-b1) g
            v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v = b2 v + (1-b2) g^2
            m_hat = m / (1 - beta1 ** t)                                       # m^ = m / (1 - b1^t)
            v_hat = v / (1 - beta2 ** t)                                       # v^ = v / (1 - b2^t)
            p.addcdiv_(m_hat, v_hat.sqrt() + eps, value=-lr)                   # theta -= lr m^ / (sqrt(v^) + eps)
