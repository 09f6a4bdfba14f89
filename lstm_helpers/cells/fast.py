r"""A speed ladder for one LSTM layer: the same computation, written ever faster.

Every rung computes exactly what ``torch.nn.LSTM(I, H, batch_first=True)``
computes, with the same weights (layout ``weight_ih_l0 (4H, I)``,
``weight_hh_l0 (4H, H)``, ``bias_ih_l0``, ``bias_hh_l0 (4H,)``, gate blocks
in PyTorch's order **i, f, g, o**); :func:`ladder` checks each against
``nn.LSTM`` before it times it (:data:`RUNGS`):

==================  ==========================================================================
rung                what it is
==================  ==========================================================================
``naive``           :class:`NaiveLSTM`: per step, eight small products, two per gate
                    (``x_t`` and ``h_{t-1}`` times that gate's rows); nothing hoisted
``course``          the course's :class:`~lstm_helpers.cells.LSTMCell` under
                    :class:`~lstm_helpers.cells.Recurrent` (:func:`course_lstm`), which
                    already hoists the input product out of the loop and computes the
                    four gate blocks of ``h_{t-1} W_hh^T`` in one product per step;
                    its step is general (any of the eight variants), so it handles
                    the gates one by one
``fused``           :class:`FusedLSTM`: the input products of all steps in one
                    ``(T*B, I) x (I, 4H)`` product before the loop, then per step one
                    ``(B, H) x (H, 4H)`` product and the gate nonlinearities
                    (:func:`lstm_step`); nothing else
``fused_compiled``  the same with only the step compiled by ``torch.compile``
                    (:func:`compile_step`): the element-wise gate arithmetic, forward
                    and backward, fused into a few kernels; the loop stays Python
``nn_lstm``         ``torch.nn.LSTM`` itself (cuDNN on a GPU, oneDNN on a CPU)
==================  ==========================================================================

:func:`compile_unrolled` compiles the *whole* loop instead: ``torch.compile``
traces the Python loop, so the graph holds ``T`` copies of the step and its
compile time grows with ``T`` (:func:`compile_sweep` measures it).

Timing and checks
-----------------
:func:`ladder` times one **training step** per rung: gradients set to
``None``, the forward pass, the loss ``mean(output ** 2)`` and the backward
pass (:func:`training_step`); no optimiser (an update costs the same for
every rung, a few element-wise passes over the weights). It reports the
median milliseconds (:func:`lstm_helpers.bench.time_it`), the useful FLOP/s
(:func:`lstm_helpers.bench.lstm_flops` with ``training=True`` over the median
time), the percentage of the device's float32 peak where it is known
(:func:`lstm_helpers.bench.device_peak`; ``None`` on a CPU) and the ratio to
``nn.LSTM``'s time.

The check (:func:`compare_to_lstm`) compares the output, the final state
and the gradients of the four weights after one training step with
``nn.LSTM``'s, in float32: a tensor counts as equal when
``max|ours - theirs| <= tol * max|theirs|`` (``tol = 1e-5``: the largest
difference relative to the tensor's largest value, so that the size of the
loss, which scales every gradient, does not matter). Where float32 rounding
alone exceeds that, the check is repeated in float64 with copies of the same
weights and inputs, and that result decides; the timing is always in
float32. On a GPU,
TF32 tensor-core arithmetic is switched off for the whole ladder (``tf32``
argument), so every rung, cuDNN's included, computes in true float32.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_choice, check_int, check_tensor
from ..bench import device_peak, lstm_flops, synchronize, time_interleaved, time_it
from ..utils import get_device
from .lstm import LSTMCell
from .recurrent import Recurrent

__all__ = [
    "RUNGS",
    "RUNG_DESCRIPTIONS",
    "LadderShape",
    "CPU_SHAPE",
    "GPU_SHAPE",
    "lstm_step",
    "FusedLSTM",
    "NaiveLSTM",
    "course_lstm",
    "compile_step",
    "compile_unrolled",
    "build_rung",
    "training_step",
    "compare_to_lstm",
    "compiler_startup",
    "time_compile",
    "ladder",
    "compile_sweep",
]

#: The rungs of :func:`ladder`, in the order of the ladder (see the module docstring).
RUNGS = ("naive", "course", "fused", "fused_compiled", "nn_lstm")

#: One line per rung, stored with the results.
RUNG_DESCRIPTIONS = {
    "naive": "per step eight small products (x_t and h_{t-1} times each gate's rows); nothing hoisted",
    "course": "lstm_helpers.cells.LSTMCell (variant NP) under Recurrent: input product hoisted, one "
              "recurrent product per step, gates handled one by one by the general cell",
    "fused": "FusedLSTM: all input products in one product before the loop; per step one "
             "(B, H) x (H, 4H) product and the gate nonlinearities",
    "fused_compiled": "FusedLSTM with its step compiled by torch.compile (the loop stays Python)",
    "nn_lstm": "torch.nn.LSTM (cuDNN on a GPU, oneDNN's fused LSTM primitive on a CPU)",
}


@dataclass(frozen=True)
class LadderShape:
    """The problem the ladder times: one layer, ``T`` steps of a batch of ``batch`` sequences.

    Attributes
    ----------
    T : int
        Time steps.
    batch : int
        ``B``, sequences per batch.
    hidden : int
        ``H``, memory cells.
    input_size : int
        ``I``, features per step.

    Raises
    ------
    ValueError
        If a size is not a positive integer.

    Examples
    --------
    >>> LadderShape(T=50, batch=32, hidden=128, input_size=128).flops(training=False)
    419430400
    """

    T: int
    batch: int
    hidden: int
    input_size: int

    def __post_init__(self):
        for name in ("T", "batch", "hidden", "input_size"):
            check_int(name, getattr(self, name), 1)

    def flops(self, training=True):
        """Useful FLOP of one pass over the batch (:func:`lstm_helpers.bench.lstm_flops`)."""
        return lstm_flops(self.batch, self.hidden, self.input_size, steps=self.T, training=training)

    def as_dict(self):
        """``{"T", "batch", "hidden", "input_size"}``."""
        return asdict(self)


#: The shape the ladder times on a CPU (small enough for a laptop).
CPU_SHAPE = LadderShape(T=50, batch=32, hidden=128, input_size=128)
#: The shape the ladder times on a GPU.
GPU_SHAPE = LadderShape(T=100, batch=64, hidden=512, input_size=512)


# --------------------------------------------------------------------------- the computation


def lstm_step(xp, h, c, weight_hh):
    r"""One LSTM step from the projected input: the whole step after the input product.

    Parameters
    ----------
    xp : Tensor, shape (B, 4H)
        ``x_t W_ih^T + b_ih + b_hh``, the gate pre-activations' input part.
    h, c : Tensor, shape (B, H)
        The previous hidden and cell state.
    weight_hh : Tensor, shape (4H, H)
        The recurrent weights, gate blocks i, f, g, o.

    Returns
    -------
    h, c : Tensor, shape (B, H)
        The new state: :math:`c_t = f \odot c_{t-1} + i \odot g`,
        :math:`h_t = o \odot \tanh(c_t)`.

    Notes
    -----
    No shape checks: this runs inside the loop over time, and it is the
    function :func:`compile_step` hands to ``torch.compile``.
    """
    gates = torch.addmm(xp, h, weight_hh.t())  # (B, 4H): all four blocks in one product
    i, f, g, o = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


def _hoisted_loop(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, step):
    """All input products at once, then ``step`` per time step; ``x (B, T, I)`` -> ``(out (B, T, H), h, c)``."""
    B, T, I = x.shape
    xs = x.transpose(0, 1).reshape(T * B, I)  # time-major, so that each step's slice is contiguous
    xp = torch.addmm(bias_ih + bias_hh, xs, weight_ih.t()).view(T, B, -1)  # (T, B, 4H)
    outputs = []
    # unbind, not xp[t]: the backward of T separate xp[t] would write each step's gradient into
    # its own zero tensor of the full (T, B, 4H) size; unbind's backward stacks them once
    for xp_t in xp.unbind(0):
        h, c = step(xp_t, h, c, weight_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h, c


def _naive_loop(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, step=None):
    """Per step and gate two products; nothing hoisted. ``step`` is ignored."""
    H = h.shape[1]
    rows = [slice(k * H, (k + 1) * H) for k in range(4)]
    outputs = []
    for x_t in x.unbind(1):
        i, f, g, o = (F.linear(x_t, weight_ih[r], bias_ih[r]) + F.linear(h, weight_hh[r], bias_hh[r]) for r in rows)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h, c


def _check_nn_lstm(lstm):
    if not isinstance(lstm, nn.LSTM):
        raise ValueError(f"lstm must be a torch.nn.LSTM, got {type(lstm).__name__}")
    bad = [f"{name}={value!r}" for name, value, want in (
        ("num_layers", lstm.num_layers, 1), ("bias", lstm.bias, True), ("bidirectional", lstm.bidirectional, False),
        ("proj_size", lstm.proj_size, 0)) if value != want]
    if bad:
        raise ValueError("lstm must be a torch.nn.LSTM with num_layers=1, bias=True, bidirectional=False and "
                         f"proj_size=0; got {', '.join(bad)}")


class FusedLSTM(nn.Module):
    r"""One LSTM layer, batch first, as fast as a Python loop gets: a drop-in for ``nn.LSTM``.

    The input products of all ``T`` steps are one matrix product before the
    loop (``(T*B, I) x (I, 4H)``); each step is one ``(B, H) x (H, 4H)``
    product for the four gate blocks, then the gate nonlinearities
    (:func:`lstm_step`).

    Parameters
    ----------
    input_size : int
        ``I``.
    hidden_size : int
        ``H``.

    Attributes
    ----------
    weight_ih_l0 : Parameter, shape (4H, I)
    weight_hh_l0 : Parameter, shape (4H, H)
    bias_ih_l0, bias_hh_l0 : Parameter, shape (4H,)
        The names, shapes and gate order (i, f, g, o) of ``nn.LSTM``, so
        ``load_state_dict`` copies weights both ways; initialised like it,
        uniform in ``[-1/sqrt(H), 1/sqrt(H)]``.
    step : callable
        ``step(xp, h, c, weight_hh) -> (h, c)``; :func:`lstm_step`, or its
        compiled form (:func:`compile_step`).
    loop : callable
        The loop over time; compiled by :func:`compile_unrolled`.

    Examples
    --------
    >>> lstm = nn.LSTM(3, 5, batch_first=True)
    >>> fused = FusedLSTM.from_lstm(lstm)
    >>> x = torch.randn(2, 7, 3)
    >>> out, (h, c) = fused(x)
    >>> tuple(out.shape), tuple(h.shape)
    ((2, 7, 5), (1, 2, 5))
    >>> torch.allclose(out, lstm(x)[0], atol=1e-6)
    True
    """

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size = check_int("input_size", input_size, 1)
        self.hidden_size = H = check_int("hidden_size", hidden_size, 1)
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * H, self.input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * H, H))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * H))
        self.bias_hh_l0 = nn.Parameter(torch.empty(4 * H))
        self.step = lstm_step
        self.loop = _hoisted_loop
        self.reset_parameters()

    def reset_parameters(self):
        """``nn.LSTM``'s initialisation: every weight uniform in ``[-1/sqrt(H), 1/sqrt(H)]``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"

    @classmethod
    def from_lstm(cls, lstm):
        """A new module with a copy of the weights of ``lstm``, on its device and in its dtype.

        Parameters
        ----------
        lstm : torch.nn.LSTM
            One layer, with biases, one direction, no projection (any ``batch_first``:
            the weights do not depend on it; this module is always batch first).

        Raises
        ------
        ValueError
            If ``lstm`` is not such an ``nn.LSTM`` (the message names what differs).
        """
        _check_nn_lstm(lstm)
        p = lstm.weight_ih_l0
        module = cls(lstm.input_size, lstm.hidden_size).to(device=p.device, dtype=p.dtype)
        module.load_state_dict({k: v.detach().clone() for k, v in lstm.state_dict().items()})
        return module

    def _state(self, x, state):
        B, H = x.shape[0], self.hidden_size
        if state is None:
            zeros = torch.zeros(B, H, dtype=x.dtype, device=x.device)
            return zeros, zeros
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError("state must be a tuple (h0, c0), each of shape (1, B, H) as for nn.LSTM; got "
                             + (f"a {type(state).__name__} of length {len(state)}" if isinstance(state, (tuple, list))
                                else type(state).__name__))
        check_tensor("h0", state[0], (1, B, H), "(1, B, H)", like=self.weight_hh_l0)
        check_tensor("c0", state[1], (1, B, H), "(1, B, H)", like=self.weight_hh_l0)
        return state[0][0], state[1][0]

    def forward(self, x, state=None):
        """Run the layer over a batch of sequences.

        Parameters
        ----------
        x : Tensor, shape (B, T, I)
            Batch first, as ``nn.LSTM(..., batch_first=True)``.
        state : tuple of Tensor, optional
            ``(h0, c0)``, each of shape ``(1, B, H)`` as for ``nn.LSTM``; zeros if omitted.

        Returns
        -------
        output : Tensor, shape (B, T, H)
            ``h_t`` of every step.
        (h_T, c_T) : tuple of Tensor, each of shape (1, B, H)
            The final state.

        Raises
        ------
        ValueError
            If ``x`` or the state has another shape (the message names the
            expected one), another dtype or device than the weights, or no time step.
        """
        check_tensor("x", x, (None, None, self.input_size), "(B, T, I)", like=self.weight_ih_l0)
        if x.shape[1] == 0:
            raise ValueError(f"x must hold at least one time step, shape (B, T, I); got {tuple(x.shape)}")
        h, c = self._state(x, state)
        out, h, c = self.loop(x, h, c, self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0,
                              self.step)
        return out, (h.unsqueeze(0), c.unsqueeze(0))


class NaiveLSTM(FusedLSTM):
    """The slowest rung: per step and gate, ``x_t`` and ``h_{t-1}`` each times that gate's rows.

    Eight small products per step and nothing hoisted out of the loop; same
    parameters, inputs and outputs as :class:`FusedLSTM` (and ``nn.LSTM``).

    Examples
    --------
    >>> lstm = nn.LSTM(3, 5, batch_first=True)
    >>> x = torch.randn(2, 4, 3)
    >>> torch.allclose(NaiveLSTM.from_lstm(lstm)(x)[0], lstm(x)[0], atol=1e-6)
    True
    """

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.loop = _naive_loop


def course_lstm(lstm):
    """The course's cell with the weights of ``lstm``: ``Recurrent(LSTMCell(I, H, "NP"))``, batch first.

    Parameters
    ----------
    lstm : torch.nn.LSTM
        One layer, with biases, one direction, no projection.

    Returns
    -------
    Recurrent
        Inputs ``(B, T, I)``, outputs ``(B, T, H)`` and the state ``(h, c)``,
        each ``(B, H)`` (the course's layout; ``nn.LSTM``'s is ``(1, B, H)``),
        on the device and in the dtype of ``lstm``.

    Raises
    ------
    ValueError
        If ``lstm`` is not such an ``nn.LSTM``.

    Examples
    --------
    >>> lstm = nn.LSTM(3, 5, batch_first=True)
    >>> x = torch.randn(2, 4, 3)
    >>> torch.allclose(course_lstm(lstm)(x)[0], lstm(x)[0], atol=1e-6)
    True
    """
    _check_nn_lstm(lstm)
    p = lstm.weight_ih_l0
    cell = LSTMCell(lstm.input_size, lstm.hidden_size, variant="NP").to(device=p.device, dtype=p.dtype)
    cell.load_state_dict({k.removesuffix("_l0"): v.detach().clone() for k, v in lstm.state_dict().items()})
    return Recurrent(cell, batch_first=True)


def _load_compiler():
    """Import torch.compile's default backend now, hiding a deprecation warning PyTorch raises inside it.

    (Importing inductor imports ``torch.utils.mkldnn``, which uses the deprecated
    ``torch.jit.script_method``; under ``-W error`` that import would fail the first compilation.)
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script_method.* is deprecated",
                                category=DeprecationWarning)
        try:
            import torch._inductor.compile_fx  # noqa: F401
        except ImportError:  # no inductor: torch.compile will say so when it is called
            pass


def _twin(model):
    if not isinstance(model, FusedLSTM) or isinstance(model, NaiveLSTM):
        raise ValueError(f"model must be a FusedLSTM (not a NaiveLSTM), got {type(model).__name__}")
    p = model.weight_ih_l0
    twin = FusedLSTM(model.input_size, model.hidden_size).to(device=p.device, dtype=p.dtype)
    twin.load_state_dict({k: v.detach().clone() for k, v in model.state_dict().items()})
    return twin


def compile_step(model, mode=None):
    """A copy of ``model`` whose step (:func:`lstm_step`) is compiled with ``torch.compile``.

    Only the step is compiled; the loop over time stays Python, so the
    compile time does not depend on ``T``. Compilation happens on the first
    call (forward graph) and the first backward pass (backward graph), for
    each new input shape; :func:`time_compile` measures it.

    Parameters
    ----------
    model : FusedLSTM
        The weights to copy.
    mode : str, optional
        ``torch.compile``'s ``mode`` (None: its default).

    Returns
    -------
    FusedLSTM
        With ``step = torch.compile(lstm_step, dynamic=False, fullgraph=True)``.

    Raises
    ------
    ValueError
        If ``model`` is not a :class:`FusedLSTM` (a :class:`NaiveLSTM` has no step to compile).
    """
    twin = _twin(model)
    _load_compiler()
    twin.step = torch.compile(lstm_step, dynamic=False, fullgraph=True, mode=mode)
    return twin


def compile_unrolled(model, mode=None):
    """A copy of ``model`` whose whole loop over time is compiled with ``torch.compile``.

    ``torch.compile`` traces the Python loop, so the graph it compiles holds
    ``T`` copies of the step: one graph per sequence length ``T``, whose
    compile time grows with ``T`` (:func:`compile_sweep`).

    Parameters
    ----------
    model : FusedLSTM
        The weights to copy.
    mode : str, optional
        ``torch.compile``'s ``mode``.

    Returns
    -------
    FusedLSTM
        With ``loop`` compiled (``dynamic=False, fullgraph=True``).

    Raises
    ------
    ValueError
        If ``model`` is not a :class:`FusedLSTM`.
    """
    twin = _twin(model)
    _load_compiler()
    twin.loop = torch.compile(_hoisted_loop, dynamic=False, fullgraph=True, mode=mode)
    return twin


def build_rung(rung, lstm):
    """The module of rung ``rung`` (one of :data:`RUNGS`) with a copy of the weights of ``lstm``.

    Parameters
    ----------
    rung : str
        One of :data:`RUNGS`.
    lstm : torch.nn.LSTM
        One layer, batch first, with biases; for ``"nn_lstm"`` a copy of it
        is returned.

    Returns
    -------
    torch.nn.Module
        Called as ``module(x)`` with ``x (B, T, I)``, returning ``(output (B, T, H), state)``.

    Raises
    ------
    ValueError
        If ``rung`` is unknown (the message lists :data:`RUNGS`) or ``lstm``
        is not a one-layer, batch-first ``nn.LSTM`` with biases.
    """
    check_choice("rung", rung, RUNGS)
    _check_nn_lstm(lstm)
    if not lstm.batch_first:
        raise ValueError("lstm must be built with batch_first=True: every rung takes x of shape (B, T, I)")
    if rung == "naive":
        return NaiveLSTM.from_lstm(lstm)
    if rung == "course":
        return course_lstm(lstm)
    if rung == "fused":
        return FusedLSTM.from_lstm(lstm)
    if rung == "fused_compiled":
        return compile_step(FusedLSTM.from_lstm(lstm))
    twin = copy.deepcopy(lstm)
    twin.flatten_parameters()  # on a GPU: one contiguous block of weights, as cuDNN wants (a no-op elsewhere)
    return twin


# --------------------------------------------------------------------------- one training step, checks


def training_step(model, x):
    """One training step without an optimiser: gradients to ``None``, forward, loss, backward.

    Parameters
    ----------
    model : torch.nn.Module
        Called as ``model(x) -> (output (B, T, H), state)``.
    x : Tensor, shape (B, T, I)

    Returns
    -------
    Tensor
        The loss ``mean(output ** 2)``, detached (reading its value would
        wait for the device; this function does not).
    """
    for p in model.parameters():
        p.grad = None
    out, _ = model(x)
    loss = out.pow(2).mean()
    loss.backward()
    return loss.detach()


_WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _weights(model):
    """The four weights of any rung, in the order of :data:`_WEIGHTS`."""
    if isinstance(model, Recurrent):
        return [getattr(model.cell, name) for name in _WEIGHTS]
    return [getattr(model, name + "_l0") for name in _WEIGHTS]


def _scaled_diff(ours, theirs):
    """``max|ours - theirs| / max|theirs|`` as a Python float (the plain difference where ``theirs`` is 0)."""
    ours, theirs = ours.detach().double(), theirs.detach().double()
    scale = theirs.abs().max().item() or 1.0
    return (ours - theirs).abs().max().item() / scale


def compare_to_lstm(model, lstm, x, tol=1e-5):
    r"""Compare one training step of ``model`` with ``lstm``'s: outputs, final state, gradients.

    Both run :func:`training_step` on ``x`` from a zero state. Each compared
    tensor ``a`` (ours) and ``b`` (``nn.LSTM``'s) gives
    ``max|a - b| / max|b|``: the largest difference relative to the largest
    value of ``b`` (the plain difference where ``b`` is all zeros). The
    gradients of the loss ``mean(output ** 2)`` are small numbers; relative
    differences judge them as strictly as the outputs.

    Parameters
    ----------
    model : torch.nn.Module
        A rung (:func:`build_rung`), with the weights of ``lstm``.
    lstm : torch.nn.LSTM
        Batch first, one layer.
    x : Tensor, shape (B, T, I)
        On the device and in the dtype of both.
    tol : float
        The largest difference that counts as equal.

    Returns
    -------
    dict
        ``dtype`` (of ``x``), ``tol``, ``max_diff`` (per compared tensor:
        ``output``, ``h``, ``c`` and the gradients ``grad_weight_ih``,
        ``grad_weight_hh``, ``grad_bias_ih``, ``grad_bias_hh``), ``worst``
        (the largest of them) and ``equal`` (``worst <= tol``).

    Raises
    ------
    ValueError
        If ``tol`` is not a positive number.

    Examples
    --------
    >>> lstm = nn.LSTM(3, 5, batch_first=True)
    >>> compare_to_lstm(FusedLSTM.from_lstm(lstm), lstm, torch.randn(2, 4, 3))["equal"]
    True
    """
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    results = []
    for module in (model, lstm):
        for p in module.parameters():
            p.grad = None
        out, (h, c) = module(x)
        out.pow(2).mean().backward()
        results.append((out, h.reshape(x.shape[0], -1), c.reshape(x.shape[0], -1),
                        [w.grad for w in _weights(module)]))
    (out, h, c, grads), (ref_out, ref_h, ref_c, ref_grads) = results
    diffs = {"output": _scaled_diff(out, ref_out), "h": _scaled_diff(h, ref_h), "c": _scaled_diff(c, ref_c)}
    for name, g, ref in zip(_WEIGHTS, grads, ref_grads):
        diffs[f"grad_{name}"] = _scaled_diff(g, ref)
    for module in (model, lstm):
        for p in module.parameters():
            p.grad = None
    worst = max(diffs.values())
    return {"dtype": str(x.dtype).removeprefix("torch."), "tol": tol, "max_diff": diffs, "worst": worst,
            "equal": bool(worst <= tol)}


def _check_rung(rung, model, lstm, x, tol):
    """Float32 check; where it fails, the float64 check with copies of the weights decides."""
    checks = [compare_to_lstm(model, lstm, x, tol)]
    if not checks[0]["equal"]:
        lstm64 = copy.deepcopy(lstm).double()
        checks.append(compare_to_lstm(build_rung(rung, lstm64), lstm64, x.double(), tol))
    return {"equal": checks[-1]["equal"], "decided_in": checks[-1]["dtype"], "checks": checks}


@contextlib.contextmanager
def _cold_compile(cold):
    """Forget every compiled graph of this process; with ``cold``, also bypass the on-disk caches."""
    torch._dynamo.reset()
    if not cold:
        yield
        return
    with warnings.catch_warnings(), torch.compiler.config.patch(force_disable_caches=True):
        warnings.filterwarnings("ignore", message=".*force disabled by.*force_disable_caches")
        yield


def _tiny(x):
    return torch.sin(x) * 2.0 + 1.0


def compiler_startup(device=None, cold=True):
    """Seconds to compile (forward and backward) a one-line function: the compiler's start-up.

    The first compilation in a process also pays one-time costs (loading
    the compiler's modules, probing the C++ or GPU toolchain); run this
    first so that later compile times (:func:`time_compile`) measure the
    model alone. A second call measures what a one-line function costs.

    Parameters
    ----------
    device : torch.device or str, optional
        Where the tiny function runs (None: the CPU).
    cold : bool
        Bypass ``torch.compile``'s on-disk caches (see :func:`time_compile`).

    Returns
    -------
    float
        Seconds.
    """
    dev = torch.device("cpu") if device is None else torch.device(device)
    _load_compiler()
    x = torch.randn(8, device=dev, requires_grad=True)
    with _cold_compile(cold):
        synchronize(dev)
        start = time.perf_counter()
        torch.compile(_tiny, dynamic=False, fullgraph=True)(x).sum().backward()
        synchronize(dev)
        return time.perf_counter() - start


def time_compile(model, x, device=None, cold=True):
    """Seconds of the first training step of a freshly compiled model: compilation included.

    Forgets every graph compiled before in this process
    (``torch._dynamo.reset()``), then times one :func:`training_step`, which
    compiles the forward graph on the forward pass and the backward graph on
    the backward pass. Subtract the step's usual time to get the compile
    time alone (:func:`ladder` does).

    Parameters
    ----------
    model : torch.nn.Module
        A compiled rung (:func:`compile_step`, :func:`compile_unrolled`) not called yet.
    x : Tensor, shape (B, T, I)
    device : torch.device or str, optional
        Synchronised before and after (None: the CPU).
    cold : bool
        Also bypass ``torch.compile``'s on-disk caches, so the time is that of
        a first compilation on this machine; ``False`` lets a cache filled by
        an earlier run shorten it.

    Returns
    -------
    float
        Seconds.
    """
    with _cold_compile(cold):
        synchronize(device)
        start = time.perf_counter()
        training_step(model, x)
        synchronize(device)
        return time.perf_counter() - start


# --------------------------------------------------------------------------- the ladder


@contextlib.contextmanager
def _tf32(enabled):
    """Allow or forbid TF32 tensor cores in cuBLAS and cuDNN for the block; restore afterwards."""
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = bool(enabled)
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def _problem(shape, seed, dev, T=None):
    """``nn.LSTM`` weights and an input from a private generator (the caller's random state is untouched)."""
    gen = torch.Generator().manual_seed(seed)
    T = shape.T if T is None else T
    lstm = nn.LSTM(shape.input_size, shape.hidden, batch_first=True)
    bound = 1.0 / math.sqrt(shape.hidden)
    with torch.no_grad():
        for p in lstm.parameters():
            p.uniform_(-bound, bound, generator=gen)
    x = torch.randn(shape.batch, T, shape.input_size, generator=gen)
    return lstm.to(dev), x.to(dev)


def _device_name(dev):
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    from ..experiments.runner import hardware  # the CPU's name as every stored result records it

    return hardware()["cpu"]


def _check_shape(shape):
    if not isinstance(shape, LadderShape):
        raise ValueError(f"shape must be a LadderShape (e.g. CPU_SHAPE or GPU_SHAPE), got {type(shape).__name__}")


def ladder(shape, device="cpu", *, rungs=RUNGS, repeats=10, warmup=3, seed=0, tol=1e-5, cold_compile=True,
           tf32=False, log=None):
    """Check every rung against ``nn.LSTM``, then time one training step of each.

    Every rung is built, compiled where it is compiled, and checked first;
    then all of them are timed in alternation
    (:func:`lstm_helpers.bench.time_interleaved`: one training step of each
    per round), so that other work on the machine slows them alike.

    Parameters
    ----------
    shape : LadderShape
        ``T``, ``batch``, ``hidden``, ``input_size`` (:data:`CPU_SHAPE`, :data:`GPU_SHAPE`).
    device : str or torch.device
        As for :func:`lstm_helpers.utils.get_device` (``"auto"``, ``"cpu"``, ``"cuda"``).
    rungs : sequence of str
        Names from :data:`RUNGS`; ``"nn_lstm"`` is always timed (the ratios need it).
    repeats, warmup : int
        Timed rounds (one training step of each rung per round) and untimed steps of each rung first.
    seed : int
        Seed of the weights and the input (a private generator).
    tol : float
        Tolerance of the checks (:func:`compare_to_lstm`).
    cold_compile : bool
        Measure the compile time without ``torch.compile``'s on-disk caches
        (:func:`time_compile`).
    tf32 : bool
        Allow TF32 tensor cores on a GPU (False: true float32 for every rung).
    log : callable, optional
        Called with one line per finished rung.

    Returns
    -------
    dict
        ``shape``, ``device`` (its type), ``device_name``, ``dtype``
        (``"float32"``), ``tf32``, ``flops_per_step`` (useful FLOP of one
        training step), ``peak`` (:func:`lstm_helpers.bench.device_peak` or
        None), ``compiler_startup_seconds`` (:func:`compiler_startup`, run
        just before the compiled rung so that its compile time is its own;
        None without that rung), and ``rungs``: per rung ``description``, ``timing`` (a
        :class:`lstm_helpers.bench.Timing` as a dict), ``ms_per_step`` (its
        median), ``ratio_to_nn_lstm``, ``gflops_per_s``, ``percent_of_peak``
        (of the float32 peak; None when unknown), ``check`` (``equal``,
        ``decided_in`` and the float32, and where needed float64, results of
        :func:`compare_to_lstm`), ``unsynchronized`` (on CUDA the timing with
        ``sync=False``, the launch time only; None elsewhere, where it equals
        the synchronised one), and for ``fused_compiled``
        ``first_step_seconds`` and ``compile_seconds`` (the first step minus
        the median step; None for the other rungs).

    Raises
    ------
    ValueError
        If ``shape`` is not a :class:`LadderShape`, a rung is unknown, or a count is out of range.
    """
    _check_shape(shape)
    rungs = list(dict.fromkeys(rungs))
    for rung in rungs:
        check_choice("rung", rung, RUNGS)
    if "nn_lstm" not in rungs:
        rungs.append("nn_lstm")
    repeats = check_int("repeats", repeats, 1)
    warmup = check_int("warmup", warmup, 0)
    seed = check_int("seed", seed, 0)
    dev = get_device(device) if isinstance(device, str) else torch.device(device)
    name = _device_name(dev)
    peak = device_peak(name) if dev.type == "cuda" else None
    flops = shape.flops(training=True)
    models, checks, firsts, startup = {}, {}, {}, None
    with _tf32(tf32), torch.random.fork_rng(devices=[]):  # building modules draws from the global generator
        lstm, x = _problem(shape, seed, dev)
        for rung in (r for r in RUNGS if r in rungs):  # in ladder order, whatever the order asked for
            model = models[rung] = build_rung(rung, lstm)
            if rung == "fused_compiled":
                startup = compiler_startup(dev, cold=cold_compile)
                firsts[rung] = time_compile(model, x, dev, cold=cold_compile)
            checks[rung] = _check_rung(rung, model, lstm, x, tol)
            if log is not None:
                log(f"{rung}: equal to nn.LSTM: {checks[rung]['equal']} (decided in {checks[rung]['decided_in']})"
                    + (f"; first step, compilation included: {firsts[rung]:.1f} s" if rung in firsts else ""))
        steps = {rung: (lambda m=m: training_step(m, x)) for rung, m in models.items()}
        timings = time_interleaved(steps, warmup=warmup, repeats=repeats, device=dev)
        unsync = {}
        if dev.type == "cuda":  # the classic wrong measurement, for comparison: launch time only
            unsync = {rung: time_it(fn, warmup=1, repeats=repeats, device=dev, sync=False).as_dict()
                      for rung, fn in steps.items()}
    results = {}
    for rung, timing in timings.items():
        ms = timing.median_ms
        rate = flops / (ms / 1e3)
        first = firsts.get(rung)
        results[rung] = {
            "description": RUNG_DESCRIPTIONS[rung],
            "timing": timing.as_dict(),
            "ms_per_step": ms,
            "gflops_per_s": rate / 1e9,
            "percent_of_peak": None if peak is None else 100.0 * rate / peak["fp32"],
            "check": checks[rung],
            "unsynchronized": unsync.get(rung),
            "first_step_seconds": first,
            "compile_seconds": None if first is None else max(0.0, first - ms / 1e3),
        }
        if log is not None:
            log(f"{rung}: {ms:.2f} ms per training step (median of {timing.repeats}), {rate / 1e9:.2f} GFLOP/s")
    for entry in results.values():
        entry["ratio_to_nn_lstm"] = entry["ms_per_step"] / results["nn_lstm"]["ms_per_step"]
    return {"shape": shape.as_dict(), "device": dev.type, "device_name": name, "dtype": "float32", "tf32": bool(tf32),
            "flops_per_step": flops, "peak": peak, "compiler_startup_seconds": startup, "rungs": results}


def compile_sweep(shape, device="cpu", steps=(5, 10, 20), *, repeats=3, attempts=1, seed=0, tol=1e-5, cold=True,
                  tf32=False, log=None):
    """Compile time of the whole loop (:func:`compile_unrolled`) for several sequence lengths.

    For each ``T`` of ``steps``, a :class:`FusedLSTM` with the batch, hidden
    and input sizes of ``shape`` is compiled whole (``T`` copies of the step
    in one graph), its first training step timed (:func:`time_compile`),
    its result checked against ``nn.LSTM`` in float32 and its later steps
    timed. The compiler's start-up (:func:`compiler_startup`) is paid first,
    outside every measurement. With ``attempts > 1`` each ``T`` is compiled
    afresh that many times and the shortest first step counts: other work
    on the machine can only make a compilation slower.

    Parameters
    ----------
    shape : LadderShape
        Its ``T`` is ignored; ``batch``, ``hidden``, ``input_size`` are used.
    device : str or torch.device
    steps : sequence of int
        The sequence lengths, each >= 1.
    repeats : int
        Timed training steps after the first, per ``T``.
    attempts : int
        Fresh compilations per ``T`` (>= 1).
    seed, tol, cold, tf32, log
        As for :func:`ladder`.

    Returns
    -------
    list of dict
        One per ``T``: ``T``, ``first_step_seconds`` (the shortest of the
        attempts), ``attempts_seconds`` (every attempt's first step),
        ``compile_seconds`` (first step minus the median of the later ones), ``ms_per_step``,
        ``equal`` and ``worst`` (:func:`compare_to_lstm` in float32).

    Raises
    ------
    ValueError
        If ``shape`` is not a :class:`LadderShape` or a length is not a positive integer.
    """
    _check_shape(shape)
    steps = [check_int("every length of steps", T, 1) for T in steps]
    repeats = check_int("repeats", repeats, 1)
    attempts = check_int("attempts", attempts, 1)
    dev = get_device(device) if isinstance(device, str) else torch.device(device)
    rows = []
    with _tf32(tf32), torch.random.fork_rng(devices=[]):
        compiler_startup(dev, cold=cold)  # so that the first length does not pay the compiler's start-up
        for T in steps:
            lstm, x = _problem(shape, seed, dev, T=T)
            tries = []
            for _ in range(attempts):
                model = compile_unrolled(FusedLSTM.from_lstm(lstm))
                tries.append(time_compile(model, x, dev, cold=cold))
            first = min(tries)
            check = compare_to_lstm(model, lstm, x, tol)
            timing = time_it(lambda: training_step(model, x), warmup=1, repeats=repeats, device=dev)
            rows.append({"T": T, "first_step_seconds": first, "attempts_seconds": tries,
                         "compile_seconds": max(0.0, first - timing.median_ms / 1e3),
                         "ms_per_step": timing.median_ms, "equal": check["equal"], "worst": check["worst"]})
            if log is not None:
                log(f"whole loop compiled, T={T}: first step {first:.1f} s, then {timing.median_ms:.2f} ms per "
                    f"step; equal to nn.LSTM: {check['equal']}")
    return rows
