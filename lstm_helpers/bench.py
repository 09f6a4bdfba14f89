r"""Timing PyTorch code correctly, and what an LSTM's arithmetic costs.

A GPU runs asynchronously: a PyTorch call *queues* its kernels and returns
at once. A clock read right after it measures how long the queueing took,
not the computation. :func:`time_it` therefore synchronises the device
before every clock reading (``sync=True``); ``sync=False`` keeps the
classic wrong measurement, to show the difference. On a CPU the two are the
same, since every call finishes before it returns. :func:`time_interleaved`
times several functions in alternation, for a fair comparison on a machine
shared with other work.

The cost side:

- :func:`lstm_flops` -- the useful floating-point operations of an LSTM
  (its matrix products), forward or forward + backward;
- :func:`lstm_bytes` -- a simple estimate of the memory traffic of a step;
- :func:`arithmetic_intensity` -- their ratio, in FLOP per byte;
- :data:`DEVICE_PEAKS` and :func:`device_peak` -- the dense peak FLOP/s of a
  few NVIDIA GPUs from their datasheets. A CPU's peak is not in any table
  here (it depends on the model, the vector units, the clock under load and
  the thread count), so :func:`device_peak` returns ``None`` for one.

Units: milliseconds (ms) for times, FLOP (one multiplication or one
addition) for work, FLOP/s for speed, bytes and megabytes (MB, 10**6 bytes)
for memory.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass

import numpy as np

from ._checks import check_int, check_positive, check_size

__all__ = [
    "Timing",
    "synchronize",
    "time_it",
    "time_interleaved",
    "lstm_flops",
    "lstm_bytes",
    "arithmetic_intensity",
    "DEVICE_PEAKS",
    "device_peak",
    "best_rate",
]


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """What :func:`time_it` measured: statistics of the wall time of one call, in milliseconds.

    Attributes
    ----------
    median_ms : float
        The median over the timed calls: the number to report.
    q1_ms, q3_ms : float
        The first and third quartiles (25th and 75th percentiles, linear
        interpolation): the spread of the middle half of the calls, which a
        single slow call (a page fault, another process) does not move.
    min_ms, max_ms : float
        The fastest and slowest call.
    repeats : int
        The number of timed calls.
    warmup : int
        Calls made before the timed ones, not timed.
    synchronized : bool
        Whether the device was synchronised before every clock reading.
    device : str
        ``"cpu"``, ``"cuda"``, ... (the type of the device).
    peak_memory_mb : float or None
        On CUDA, the most memory PyTorch's allocator held at any moment of
        the timed calls, in MB (10**6 bytes): ``torch.cuda.max_memory_allocated``
        after ``torch.cuda.reset_peak_memory_stats`` (tensors only, not the
        allocator's cached blocks nor the CUDA context). ``None`` elsewhere:
        PyTorch's CPU allocator keeps no such record, and the process's
        resident-memory high-water mark (``resource.getrusage``) cannot be
        reset, so it would not measure these calls.
    times_ms : tuple of float
        Every timed call, in order.
    """

    median_ms: float
    q1_ms: float
    q3_ms: float
    min_ms: float
    max_ms: float
    repeats: int
    warmup: int
    synchronized: bool
    device: str
    peak_memory_mb: float | None
    times_ms: tuple

    def as_dict(self):
        """The fields as a plain dict (``times_ms`` as a list), ready for JSON."""
        data = asdict(self)
        data["times_ms"] = list(self.times_ms)
        return data


def _device(device):
    """``device`` as a ``torch.device`` (``None``: the CPU)."""
    import torch

    if device is None:
        return torch.device("cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be None, 'cpu', 'cuda', 'cuda:N' or 'mps' (or a torch.device); "
                         f"got {device!r}") from exc


def synchronize(device=None):
    """Wait until every queued kernel of ``device`` has finished.

    Parameters
    ----------
    device : torch.device or str, optional
        ``"cuda"`` (or ``"cuda:N"``): ``torch.cuda.synchronize``; ``"mps"``:
        ``torch.mps.synchronize``; ``None`` or ``"cpu"``: nothing to wait for.
    """
    import torch

    dev = _device(device)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()


def time_it(fn, *, warmup=3, repeats=10, device=None, sync=True):
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed ones.

    Each timed call is read with ``time.perf_counter`` just before and
    just after it. With ``sync=True`` the device is synchronised
    (:func:`synchronize`) before *every* clock reading, so a reading after the
    call includes the kernels the call queued, and a reading before it does
    not include kernels queued earlier. With ``sync=False`` nothing waits:
    on a GPU this measures only how long it took to *queue* the kernels (the
    classic wrong measurement); the device is synchronised once after the
    last reading so that queued work does not spill into what runs next.

    Parameters
    ----------
    fn : callable
        Called with no arguments; its result is ignored.
    warmup : int
        Untimed calls first (>= 0): they let the allocator, the kernel
        caches and ``torch.compile`` settle.
    repeats : int
        Timed calls (>= 1).
    device : torch.device or str, optional
        The device ``fn`` runs on; ``None`` means the CPU.
    sync : bool
        Synchronise before every clock reading.

    Returns
    -------
    Timing
        Median, quartiles, minimum and maximum in milliseconds, the count of
        calls and, on CUDA, the peak memory of the timed calls.

    Raises
    ------
    ValueError
        If ``fn`` is not callable, ``warmup`` is not an integer >= 0,
        ``repeats`` not an integer >= 1, or ``device`` not a device name.

    Examples
    --------
    >>> t = time_it(lambda: sum(range(1000)), warmup=1, repeats=5)
    >>> t.repeats, t.device, t.peak_memory_mb
    (5, 'cpu', None)
    >>> t.min_ms <= t.q1_ms <= t.median_ms <= t.q3_ms <= t.max_ms
    True
    """
    import torch

    if not callable(fn):
        raise ValueError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    warmup = check_int("warmup", warmup, 0)
    repeats = check_int("repeats", repeats, 1)
    dev = _device(device)
    for _ in range(warmup):
        fn()
    cuda = dev.type == "cuda"
    if cuda:
        synchronize(dev)  # the warm-up's memory is not part of the peak of the timed calls
        torch.cuda.reset_peak_memory_stats(dev)
    times = []
    for _ in range(repeats):
        if sync:
            synchronize(dev)
        start = time.perf_counter()
        fn()
        if sync:
            synchronize(dev)
        times.append((time.perf_counter() - start) * 1e3)
    if not sync:
        synchronize(dev)  # after the last reading: drain the queue
    peak = torch.cuda.max_memory_allocated(dev) / 1e6 if cuda else None
    return _timing(times, warmup, sync, dev, peak)


def time_interleaved(fns, *, warmup=3, repeats=10, device=None, sync=True):
    """Time several functions in turn, one call of each per round, so that they share the machine's moods.

    On a machine shared with other work, timing one function after another
    lets a busy spell slow one of them only. Here every round calls each
    function once (the order rotated by one each round, so that none is
    always first); a busy spell then slows all of them alike. Each call is
    read as in :func:`time_it` (synchronised before every clock reading
    when ``sync``).

    Parameters
    ----------
    fns : dict of str -> callable
        The functions, each called with no arguments.
    warmup : int
        Untimed calls of each function first (>= 0).
    repeats : int
        Rounds, i.e. timed calls of each function (>= 1).
    device : torch.device or str, optional
        The device they run on; ``None`` means the CPU.
    sync : bool
        Synchronise before every clock reading.

    Returns
    -------
    dict of str -> Timing
        In the order of ``fns``. On CUDA with ``sync``, ``peak_memory_mb``
        is the largest peak of any one call of that function (the peak is
        reset before each call); otherwise None.

    Raises
    ------
    ValueError
        If ``fns`` is not a non-empty dict of callables, or a count or the
        device is invalid (as for :func:`time_it`).

    Examples
    --------
    >>> t = time_interleaved({"a": lambda: None, "b": lambda: sum(range(100))}, warmup=0, repeats=3)
    >>> list(t), t["b"].repeats
    (['a', 'b'], 3)
    """
    import torch

    if not isinstance(fns, dict) or not fns or not all(callable(f) for f in fns.values()):
        raise ValueError("fns must be a non-empty dict {name: callable taking no arguments}")
    warmup = check_int("warmup", warmup, 0)
    repeats = check_int("repeats", repeats, 1)
    dev = _device(device)
    cuda = dev.type == "cuda" and sync  # measuring each call's peak needs a synchronisation around it
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    times = {name: [] for name in names}
    peaks = dict.fromkeys(names, 0.0)
    for k in range(repeats):
        for name in names[k % len(names):] + names[:k % len(names)]:
            if sync:
                synchronize(dev)
            if cuda:
                torch.cuda.reset_peak_memory_stats(dev)
            start = time.perf_counter()
            fns[name]()
            if sync:
                synchronize(dev)
            times[name].append((time.perf_counter() - start) * 1e3)
            if cuda:
                peaks[name] = max(peaks[name], torch.cuda.max_memory_allocated(dev) / 1e6)
    if not sync:
        synchronize(dev)
    return {name: _timing(times[name], warmup, sync, dev, peaks[name] if cuda else None) for name in names}


def _timing(times, warmup, sync, dev, peak):
    q1, median, q3 = (float(v) for v in np.percentile(times, [25, 50, 75]))
    return Timing(median_ms=median, q1_ms=q1, q3_ms=q3, min_ms=float(min(times)), max_ms=float(max(times)),
                  repeats=len(times), warmup=warmup, synchronized=bool(sync), device=dev.type,
                  peak_memory_mb=peak, times_ms=tuple(float(t) for t in times))


# --------------------------------------------------------------------------- arithmetic


def _sizes(batch, hidden, input_size, steps, layers):
    return (check_size("batch", batch), check_size("hidden", hidden), check_size("input_size", input_size),
            check_size("steps", steps), check_size("layers", layers))


def lstm_flops(batch, hidden, input_size, steps=1, layers=1, training=False):
    r"""Useful floating-point operations of a (stacked) LSTM over a batch of sequences.

    One step of one layer computes the four gate blocks from the input and
    the previous hidden state: the products :math:`x_t W_{ih}^\top`, shape
    ``(B, I) x (I, 4H)``, and :math:`h_{t-1} W_{hh}^\top`, ``(B, H) x (H, 4H)``.
    Counting a multiply-add as 2 FLOP, that is

    .. math:: 2 \cdot B \cdot 4H \cdot (I + H) = 8 B H (I + H)

    FLOP per step; a layer above the first reads the ``H`` outputs of the one
    below, so its ``I`` is ``H``. The element-wise work (the gates'
    sigmoids and tanh, the cell update, the biases: of order ``B H`` per
    step, against ``B H (I + H)`` for the products) is not counted.

    With ``training=True`` the count is 3x the forward count: the backward
    pass of each product ``Y = X W`` computes two products of the same size,
    ``dX = dY W^T`` and ``dW = X^T dY``. This is the usual approximation; it
    ignores the element-wise backward work like the forward count does.

    Parameters
    ----------
    batch, hidden, input_size : int
        ``B``, ``H`` and ``I``.
    steps : int
        ``T``, the number of time steps.
    layers : int
        Stacked layers.
    training : bool
        Count forward + backward (3x the forward count) instead of forward only.

    Returns
    -------
    int
        FLOP of the whole batch and all ``T`` steps.

    Raises
    ------
    ValueError
        If a size is not a positive integer.

    Examples
    --------
    >>> lstm_flops(1, 1, 1)  # 8 * 1 * 1 * (1 + 1)
    16
    >>> lstm_flops(64, 512, 512, steps=100, training=True)  # 3 * 100 * 8 * 64 * 512 * 1024
    80530636800
    """
    B, H, I, T, L = _sizes(batch, hidden, input_size, steps, layers)
    forward = T * (8 * B * H * (I + H) + (L - 1) * 8 * B * H * (H + H))
    return 3 * forward if training else forward


def lstm_bytes(batch, hidden, input_size, steps=1, layers=1, bytes_per_element=4):
    r"""A simple estimate of the memory traffic of a (stacked) LSTM's forward pass, in bytes.

    Per step and layer: the weights read once, ``4H (I + H)`` numbers plus
    the ``4H`` summed biases; the step's input ``x_t`` ``(B, I)`` and the old
    state ``h_{t-1}, c_{t-1}`` ``(B, H)`` each, read once; the new state
    ``h_t, c_t`` written once:

    .. math:: e \cdot \left[ 4H(I + H) + 4H + B(I + 2H) + 2BH \right]

    bytes, with ``e`` bytes per number (4 in float32). This is the least a
    perfectly fused step must move (the gate pre-activations never leave the
    chip); a real kernel moves more, and a cache that holds the weights
    across steps moves less. A layer above the first has ``I = H``.

    Parameters
    ----------
    batch, hidden, input_size, steps, layers : int
        As for :func:`lstm_flops`.
    bytes_per_element : int
        4 for float32, 2 for bfloat16, 8 for float64.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If a size is not a positive integer.

    Examples
    --------
    >>> lstm_bytes(1, 1, 1)  # 4 * (4*2 + 4 + 3 + 2)
    68
    """
    B, H, I, T, L = _sizes(batch, hidden, input_size, steps, layers)
    e = check_size("bytes_per_element", bytes_per_element)

    def per_step(inputs):
        return 4 * H * (inputs + H) + 4 * H + B * (inputs + 2 * H) + 2 * B * H

    return e * T * (per_step(I) + (L - 1) * per_step(H))


def arithmetic_intensity(batch, hidden, input_size, layers=1, bytes_per_element=4):
    """FLOP per byte of memory traffic of an LSTM's forward step: :func:`lstm_flops` / :func:`lstm_bytes`.

    Independent of the number of steps (both grow linearly with it). A
    device whose peak FLOP/s divided by its memory bandwidth (bytes/s) is
    larger than this number cannot keep its arithmetic units busy on this
    step: the step is limited by memory.

    Parameters
    ----------
    batch, hidden, input_size, layers, bytes_per_element
        As for :func:`lstm_bytes`.

    Returns
    -------
    float
        FLOP/byte.

    Examples
    --------
    >>> round(arithmetic_intensity(64, 512, 512), 1)
    29.7
    """
    flops = lstm_flops(batch, hidden, input_size, layers=layers)
    return flops / lstm_bytes(batch, hidden, input_size, layers=layers, bytes_per_element=bytes_per_element)


# --------------------------------------------------------------------------- device peaks

_SPARSE_NOTE = "the datasheet gives the tensor-core figures with 2:4 sparsity; dense is half of them"

#: Dense (non-sparse) peak FLOP/s of a few NVIDIA GPUs, from NVIDIA's datasheets.
#:
#: Each entry: ``pattern`` (a regular expression matched against the name
#: ``torch.cuda.get_device_name`` returns), ``fp32`` (FLOP/s of ordinary
#: float32 arithmetic, without tensor cores), ``tf32`` and ``bf16`` (dense
#: tensor-core FLOP/s; ``None`` where the GPU has no such mode), ``bandwidth``
#: (memory bandwidth in bytes/s; ``None`` where the entry covers models that
#: differ), ``source`` (the datasheet) and ``note``. Figures are at the boost clock; a GPU
#: held below it by power or temperature peaks lower.
DEVICE_PEAKS = {
    "H100 SXM": dict(pattern=r"\bH100\b(?!.*(PCIe|NVL))", fp32=67e12, tf32=494.5e12, bf16=989.5e12, bandwidth=3.35e12,
                     source="NVIDIA H100 Tensor Core GPU datasheet (H100 SXM)", note=_SPARSE_NOTE),
    "H100 PCIe": dict(pattern=r"\bH100\b.*PCIe", fp32=51e12, tf32=378e12, bf16=756.5e12, bandwidth=2.0e12,
                      source="NVIDIA H100 Tensor Core GPU datasheet (H100 PCIe)", note=_SPARSE_NOTE),
    "H200 SXM": dict(pattern=r"(?<![A-Za-z])H200\b(?!.*NVL)", fp32=67e12, tf32=494.5e12, bf16=989.5e12,
                     bandwidth=4.8e12,
                     source="NVIDIA H200 Tensor Core GPU datasheet (H200 SXM)", note=_SPARSE_NOTE),
    "A100": dict(pattern=r"\bA100\b", fp32=19.5e12, tf32=156e12, bf16=312e12, bandwidth=None,
                 source="NVIDIA A100 Tensor Core GPU datasheet (A100 40GB and 80GB, PCIe and SXM)",
                 note="the datasheet gives the same peaks for every A100 form factor; the memory bandwidth "
                      "differs (1,555 GB/s for the 40 GB PCIe card to 2,039 GB/s for the 80 GB SXM module)"),
    "L4": dict(pattern=r"\bL4\b", fp32=30.3e12, tf32=60e12, bf16=121e12, bandwidth=300e9,
               source="NVIDIA L4 Tensor Core GPU datasheet", note=_SPARSE_NOTE),
    "T4": dict(pattern=r"\bT4\b", fp32=8.1e12, tf32=None, bf16=None, bandwidth=320e9,
               source="NVIDIA T4 Tensor Core GPU datasheet",
               note="no TF32 or BF16 tensor cores (Turing); its tensor cores run FP16 (65 TFLOP/s mixed precision)"),
}


def device_peak(name):
    """The entry of :data:`DEVICE_PEAKS` for a device name, or ``None``.

    Parameters
    ----------
    name : str or None
        A GPU's name as ``torch.cuda.get_device_name`` returns it (e.g.
        ``"NVIDIA H100 80GB HBM3"``, ``"NVIDIA A100-SXM4-40GB"``,
        ``"Tesla T4"``), or a CPU's name.

    Returns
    -------
    dict or None
        ``{"device", "fp32", "tf32", "bf16", "source", "note"}`` (FLOP/s; the
        key of :data:`DEVICE_PEAKS` as ``device``), or ``None`` for a CPU, an
        unlisted GPU or ``None``. GPUs whose figures differ from the listed
        part but whose names look alike (H100 NVL, H200 NVL, GH200, L40,
        L40S) return ``None`` rather than a wrong peak.

    Raises
    ------
    ValueError
        If ``name`` is neither a string nor ``None``.

    Examples
    --------
    >>> device_peak("NVIDIA A100-SXM4-80GB")["fp32"]
    19500000000000.0
    >>> device_peak("NVIDIA H100 80GB HBM3")["device"]
    'H100 SXM'
    >>> device_peak("NVIDIA L40S") is None, device_peak("Intel(R) Xeon(R) Processor") is None
    (True, True)
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValueError(f"name must be a device name (str) such as 'NVIDIA H100 80GB HBM3', or None; "
                         f"got {type(name).__name__}")
    if re.search(r"GH200|GB200|\bNVL\b", name):  # other parts with other peaks
        return None
    for device, entry in DEVICE_PEAKS.items():
        if re.search(entry["pattern"], name):
            return {"device": device, **{k: v for k, v in entry.items() if k != "pattern"}}
    return None


def best_rate(intensity, peak, bandwidth):
    """The roofline bound: the fastest a kernel of this arithmetic intensity can run, in FLOP/s.

    A kernel doing ``intensity`` FLOPs per byte it moves from memory runs at
    most at ``min(peak, intensity * bandwidth)``: limited by the arithmetic
    (``peak``) above the break-even intensity ``peak / bandwidth``, by the
    memory traffic below it. Data kept in the caches between calls can beat
    the memory term; nothing beats the peak.

    Parameters
    ----------
    intensity : float
        FLOPs per byte (:func:`arithmetic_intensity`).
    peak : float
        FLOP/s (for example ``DEVICE_PEAKS[...]["fp32"]``).
    bandwidth : float
        Bytes per second from memory (``DEVICE_PEAKS[...]["bandwidth"]``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If a value is not a positive number.

    Examples
    --------
    >>> best_rate(10.0, peak=100e12, bandwidth=2e12) / 1e12   # memory-bound: 10 FLOP/byte * 2 TB/s
    20.0
    >>> best_rate(100.0, peak=100e12, bandwidth=2e12) / 1e12  # compute-bound
    100.0
    """
    for name, value in (("intensity", intensity), ("peak", peak), ("bandwidth", bandwidth)):
        check_positive(name, value)
    return float(min(peak, intensity * bandwidth))
