"""Data-parallel training of an LSTM on the adding problem with PyTorch's ``DistributedDataParallel``.

One command trains a one-layer LSTM with a linear read-out on the adding
problem (:func:`~lstm_helpers.tasks.adding.adding_problem`) in ``N``
processes, each holding a full copy of the network and seeing ``B / N`` of
the ``B`` sequences of every global batch::

    python -m torch.distributed.run --standalone --nproc-per-node=N -m lstm_helpers.distributed \\
        --task adding --T 50 --steps S --global-batch B --seed 0 --backend gloo --save PATH

``torchrun`` is the same launcher under a shorter name. Other options:
``--lr`` (Adam's learning rate), ``--hidden`` (memory cells), ``--clip``
(gradient-norm threshold; default: no clipping), ``--dtype`` (``float32`` or
``float64``), ``--uneven`` (see below) and ``--log-every`` (print the loss of
the global batch every so many steps; 0: never). Rank 0 alone writes the
final ``state_dict`` of the network (:class:`AddingNet`) to ``PATH`` with
``torch.save``. ``--backend gloo`` runs on CPUs; ``--backend nccl`` runs
process ``LOCAL_RANK`` on the GPU ``cuda:LOCAL_RANK``. Run without the
launcher (``python -m lstm_helpers.distributed ...``), the module trains in
one process.

How a step works
----------------
Every process builds the same network (the same seed, :func:`make_model`;
``DistributedDataParallel`` also copies rank 0's parameters to the others
when it wraps the network). At step ``k`` every process draws the *same*
global batch of ``B`` sequences from a generator seeded by ``(seed, k)``
(:func:`global_batch`) and keeps its own contiguous share, rows
``rank * B / N`` to ``(rank + 1) * B / N`` (:func:`shard`). It computes the
mean squared error over its share (:func:`slice_loss`) and its gradient;
during the backward pass ``DistributedDataParallel`` averages the gradients
of all processes, so every process takes the same optimiser step and the
copies stay equal.

The equality property
---------------------
The same ``--seed`` and ``--global-batch`` give the same final parameters
for any number of processes ``N`` that divides ``B``. The loss of one share
is the mean of ``B / N`` terms; the average of the ``N`` shares' gradients is
therefore

.. math::

    \\frac{1}{N} \\sum_{r=0}^{N-1} \\nabla \\frac{N}{B} \\sum_{i \\in S_r} \\ell_i
    = \\nabla \\frac{1}{B} \\sum_{i=1}^{B} \\ell_i,

where :math:`S_r` holds the sequences of process :math:`r` and
:math:`\\ell_i` is the squared error of sequence :math:`i`: the gradient of
the mean over the global batch, which one process computes
directly. The shares must be equal for this to be exact (hence the
divisibility check), and the global batch must not depend on the rank
(hence the generator seeded by the seed and the step, not by the rank).
Only the order of the floating-point additions differs, so the parameters
agree up to rounding. Measured with ``N = 1`` and ``N = 2`` on a small
network (``T = 20``, 8 memory cells, ``B = 8``, Adam), the largest
difference after 200 steps was about ``1e-7`` in ``float32`` and ``1e-16``
in ``float64`` (``--dtype float64``). Rounding differences can grow over
long runs, as any perturbation of training can, so compare long runs in
``float64``.

Uneven data and ``Join``
------------------------
Each backward pass of ``DistributedDataParallel`` waits until every process
has contributed its gradients. If one process runs out of batches earlier
than another, the other waits for it forever. With ``--uneven``, process
``r`` runs ``S + r`` steps, and the training loop runs inside PyTorch's
``Join`` context manager (``torch.distributed.algorithms.join.Join``): a process
that has finished answers the others' gradient averaging with zeros until
every process has finished, and at the end the parameters of the last
process to finish are copied to all of them. The gradient of a step in
which some processes have already finished is still divided by ``N`` (the
number of processes at the start), so those steps are smaller; the equality
property above holds only for even data. The loop always runs inside
``Join``; with even data it changes nothing.

When it is not worth it
-----------------------
Every step, each process sends and receives the gradients of all the
parameters, a fixed cost per step however small the share of the batch. A
small LSTM does little arithmetic per sequence, and its time steps run one
after the other, so splitting a batch of a few dozen sequences saves less
compute than the exchange and the waiting for the slowest process cost.
Data parallelism pays when each process has enough work per step to hide the
exchange: a large network, long sequences and large batches, on several
GPUs. For a course-sized LSTM on a laptop, one process with a larger batch
is usually as fast or faster; measure before choosing.

Threads
-------
:func:`main` runs every process on one CPU thread
(:class:`~lstm_helpers.utils.pin_threads`): ``N`` processes on a machine
with few cores would otherwise each start a thread per core and compete for
them, and a fixed thread count fixes the order of PyTorch's additions, so a
run gives the same numbers each time.

Public functions
----------------
:func:`make_model`, :func:`global_batch`, :func:`shard`, :func:`to_tensors`,
:func:`slice_loss`, :func:`steps_of_rank`, :func:`median_step_ms`, :func:`parse_args`,
:func:`train`, :func:`main`.

Examples
--------
>>> batch = global_batch("adding", 20, seed=0, step=3, global_batch=8)
>>> batch.x.shape, batch.y.shape, batch.lengths.shape
((8, 22, 2), (8,), (8,))
>>> [part.x.shape[0] for part in (shard(batch, r, 2) for r in range(2))]
[4, 4]
>>> shard(batch, 0, 3)
Traceback (most recent call last):
    ...
ValueError: --global-batch 8 is not divisible by the 3 processes; each process needs the same number of sequences, so use a multiple of 3
"""

from __future__ import annotations

import argparse
import os
import pathlib
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.distributed.algorithms.join import Join
from torch.nn.parallel import DistributedDataParallel

from ._checks import check_choice, check_int
from .experiments.runner import last_step
from .tasks import adding_problem
from .tasks.batch import PaddedSequences

__all__ = [
    "TASKS",
    "BACKENDS",
    "DTYPES",
    "AddingNet",
    "make_model",
    "global_batch",
    "shard",
    "to_tensors",
    "slice_loss",
    "steps_of_rank",
    "median_step_ms",
    "parse_args",
    "train",
    "main",
]

#: Task names and the ``variant`` of :func:`~lstm_helpers.tasks.adding.adding_problem` each one uses.
TASKS = {"adding": "1997", "adding_modern": "modern"}
#: Communication backends: ``gloo`` on CPUs, ``nccl`` on CUDA GPUs.
BACKENDS = ("gloo", "nccl")
#: Floating-point types of the network and the data.
DTYPES = {"float32": torch.float32, "float64": torch.float64}
#: The smallest ``T`` each task accepts.
MIN_T = {"adding": 10, "adding_modern": 2}


# --------------------------------------------------------------------------- model


class AddingNet(torch.nn.Module):
    """A one-layer ``nn.LSTM`` (batch first) with a linear read-out of each sequence's last step.

    Parameters
    ----------
    input_size : int
        Features per step, ``D`` (2 for the adding problem: value and marker).
    hidden_size : int
        Memory cells, ``H``.

    Notes
    -----
    ``forward(x, lengths=None)`` takes ``x (N, L, D)`` and ``lengths (N,)``
    and returns ``(N,)``: the read-out of the hidden state after step
    ``lengths[i]`` of each sequence
    (:func:`~lstm_helpers.experiments.runner.last_step`; after step ``L``
    when ``lengths`` is None). Padding after ``lengths[i]`` cannot change it.

    cuDNN's LSTM wants the weights of all gates in one contiguous block of
    memory. ``.to(device)`` puts them there, and ``DistributedDataParallel``
    broadcasts rank 0's parameters into the existing tensors, so they stay
    there. Only when a weight is replaced by assignment, or a module is
    replicated as ``nn.DataParallel`` does, does PyTorch warn and copy them on
    every call; then call ``self.lstm.flatten_parameters()`` once after the
    change (not in every ``forward``, where on a GPU it would copy the weights
    each time).
    """

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.lstm = torch.nn.LSTM(input_size, hidden_size, batch_first=True)
        self.readout = torch.nn.Linear(hidden_size, 1)

    def forward(self, x, lengths=None):
        h, _ = self.lstm(x)
        return self.readout(last_step(h, lengths)).squeeze(-1)


#: Steps left out of the median step time (the first steps allocate memory and warm caches).
WARMUP_STEPS = 3


def median_step_ms(step_ms, warmup=WARMUP_STEPS):
    """The median time of the steps after the first ``warmup`` ones, in ms (of every step when there are few).

    Parameters
    ----------
    step_ms : sequence of float
        The time of each step, in order.
    warmup : int
        Leading steps left out, as long as one step remains.

    Returns
    -------
    float
        ``nan`` when ``step_ms`` is empty.

    Examples
    --------
    >>> median_step_ms([50.0, 9.0, 8.0, 2.0, 3.0, 4.0])
    3.0
    >>> median_step_ms([7.0])
    7.0
    """
    step_ms = list(step_ms)
    if not step_ms:
        return float("nan")
    return float(np.median(step_ms[min(warmup, len(step_ms) - 1):]))


def make_model(hidden, seed, input_size=2, dtype="float32"):
    """Build the network, initialised from ``seed`` alone.

    PyTorch's default initialisation runs under ``torch.manual_seed(seed)``
    inside ``torch.random.fork_rng``, so every process that calls this
    with the same ``seed`` gets the same parameters, and the caller's random
    state is left as it was.

    Parameters
    ----------
    hidden : int
        Memory cells ``H``, at least 1.
    seed : int
        A non-negative integer.
    input_size : int
        Features per step ``D``, at least 1.
    dtype : {"float32", "float64"}

    Returns
    -------
    AddingNet
        On the CPU; ``lstm`` weights of shape ``(4H, D)`` and ``(4H, H)``,
        ``readout`` weight ``(1, H)``.

    Raises
    ------
    ValueError
        If a size or the seed is not an integer in range, or ``dtype`` is unknown.

    Examples
    --------
    >>> a, b = make_model(4, seed=1), make_model(4, seed=1)
    >>> all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    True
    >>> tuple(a.lstm.weight_hh_l0.shape)
    (16, 4)
    """
    hidden = check_int("hidden", hidden, 1)
    seed = check_int("seed", seed, 0)
    input_size = check_int("input_size", input_size, 1)
    check_choice("dtype", dtype, tuple(DTYPES))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = AddingNet(input_size, hidden)
    return net.to(DTYPES[dtype])


# --------------------------------------------------------------------------- data


def global_batch(task, T, seed, step, global_batch):
    """The global batch of step ``step``: the same arrays in every process.

    The sequences come from ``numpy.random.default_rng([seed, step])``, a
    generator that depends on the seed and the step only, never on the rank
    or the number of processes.

    Parameters
    ----------
    task : {"adding", "adding_modern"}
        The 1997 adding problem (variable lengths ``T ... T + T // 10``) or its
        modern form (length ``T``); see :data:`TASKS`.
    T : int
        Minimal sequence length (at least 10 for ``"adding"``, 2 for ``"adding_modern"``).
    seed, step : int
        Non-negative integers.
    global_batch : int
        Sequences in the batch, ``B``, at least 1.

    Returns
    -------
    PaddedSequences
        ``x (B, L_max, 2)`` float64, ``y (B,)`` float64, ``lengths (B,)``
        int64, with ``L_max = T + T // 10`` for ``"adding"`` and ``T`` for
        ``"adding_modern"`` (:func:`~lstm_helpers.tasks.adding.adding_problem`).

    Raises
    ------
    ValueError
        If ``task`` is unknown or a number is out of range.
    """
    check_choice("task", task, tuple(TASKS))
    T = check_int("T", T, MIN_T[task])
    seed = check_int("seed", seed, 0)
    step = check_int("step", step, 0)
    n = check_int("global_batch", global_batch, 1)
    rng = np.random.default_rng([seed, step])
    return adding_problem(n, T, rng, variant=TASKS[task])


def _check_divisible(global_batch, world_size):
    if global_batch % world_size:
        raise ValueError(
            f"--global-batch {global_batch} is not divisible by the {world_size} processes; each "
            f"process needs the same number of sequences, so use a multiple of {world_size}")
    return global_batch // world_size


def shard(batch, rank, world_size):
    """The share of process ``rank``: a contiguous block of ``B / world_size`` rows.

    Parameters
    ----------
    batch : PaddedSequences
        A global batch ``(x (B, L, D), y (B,), lengths (B,))`` (:func:`global_batch`).
    rank : int
        The process, ``0 <= rank < world_size``.
    world_size : int
        Number of processes ``N``, at least 1; it must divide ``B``.

    Returns
    -------
    PaddedSequences
        Rows ``rank * B / N`` to ``(rank + 1) * B / N`` of each field: ``x (B/N, L, D)``,
        ``y (B/N,)``, ``lengths (B/N,)``. The shares of ranks ``0 ... N - 1``,
        concatenated, give the global batch back.

    Raises
    ------
    ValueError
        If ``N`` does not divide ``B`` (the message names both), or ``rank``
        is not in ``0 ... N - 1``.
    """
    world_size = check_int("world_size", world_size, 1)
    rank = check_int("rank", rank, 0)
    if rank >= world_size:
        raise ValueError(f"rank must be in 0 ... {world_size - 1} for {world_size} processes, got {rank}")
    if not isinstance(batch, PaddedSequences):
        raise ValueError(f"batch must be a PaddedSequences (x, y, lengths), got {type(batch).__name__}")
    share = _check_divisible(len(batch.y), world_size)
    rows = slice(rank * share, (rank + 1) * share)
    return PaddedSequences(batch.x[rows], batch.y[rows], batch.lengths[rows])


def to_tensors(batch, device="cpu", dtype="float32"):
    """The arrays of a batch as tensors on ``device``.

    Parameters
    ----------
    batch : PaddedSequences
        ``x (n, L, D)``, ``y (n,)``, ``lengths (n,)``.
    device : str or torch.device
    dtype : {"float32", "float64"}
        Type of ``x`` and ``y``; ``lengths`` stays int64.

    Returns
    -------
    x : torch.Tensor, shape (n, L, D)
    y : torch.Tensor, shape (n,)
    lengths : torch.Tensor of int64, shape (n,)
    """
    check_choice("dtype", dtype, tuple(DTYPES))
    kind = DTYPES[dtype]
    x = torch.as_tensor(np.asarray(batch.x), dtype=kind, device=device)
    y = torch.as_tensor(np.asarray(batch.y), dtype=kind, device=device)
    lengths = torch.as_tensor(np.asarray(batch.lengths), dtype=torch.int64, device=device)
    return x, y, lengths


def slice_loss(model, x, y, lengths):
    """Mean squared error over the sequences of one process's share.

    The *mean* (not the sum) over the ``n`` sequences: with equal shares, the
    average of the processes' gradients, which ``DistributedDataParallel``
    computes, is then the gradient of the mean over the global batch.

    Parameters
    ----------
    model : torch.nn.Module
        :class:`AddingNet`, or the ``DistributedDataParallel`` wrapping it.
    x : torch.Tensor, shape (n, L, D)
    y : torch.Tensor, shape (n,)
    lengths : torch.Tensor of int64, shape (n,)

    Returns
    -------
    torch.Tensor, shape ()
        :math:`\\frac{1}{n} \\sum_i (\\hat y_i - y_i)^2`.
    """
    return torch.mean((model(x, lengths) - y) ** 2)


def steps_of_rank(steps, rank, uneven=False):
    """Number of optimiser steps process ``rank`` runs: ``steps``, or ``steps + rank`` when ``uneven``.

    Examples
    --------
    >>> [steps_of_rank(5, r, uneven=True) for r in range(3)]
    [5, 6, 7]
    """
    steps = check_int("steps", steps, 1)
    rank = check_int("rank", rank, 0)
    return steps + rank if uneven else steps


# --------------------------------------------------------------------------- command line


def _number(kind, name, minimum, strict=False):
    """An argparse ``type`` that parses ``kind`` and names the allowed range when it fails."""
    bound = f"> {minimum}" if strict else f">= {minimum}"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be {'an integer' if kind is int else 'a number'} {bound}, got {text!r}") from None
        if not (value > minimum if strict else value >= minimum) or value != value:
            raise argparse.ArgumentTypeError(f"{name} must be {bound}, got {text}")
        return value

    return parse


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m torch.distributed.run --standalone --nproc-per-node=N -m lstm_helpers.distributed",
        description="Train an LSTM on the adding problem with DistributedDataParallel; "
                    "rank 0 saves the final state_dict.")
    p.add_argument("--task", default="adding", choices=tuple(TASKS))
    p.add_argument("--T", type=_number(int, "--T", 2), default=50,
                   help="minimal sequence length (at least 10 for 'adding')")
    p.add_argument("--steps", type=_number(int, "--steps", 1), default=100, help="optimiser steps")
    p.add_argument("--global-batch", type=_number(int, "--global-batch", 1), default=32,
                   help="sequences per step over all processes; a multiple of the number of processes")
    p.add_argument("--seed", type=_number(int, "--seed", 0), default=0)
    p.add_argument("--backend", default="gloo", choices=BACKENDS)
    p.add_argument("--save", type=pathlib.Path, default=None,
                   help="file rank 0 writes the final state_dict to (default: not saved)")
    p.add_argument("--lr", type=_number(float, "--lr", 0.0, strict=True), default=1e-2,
                   help="Adam's learning rate")
    p.add_argument("--hidden", type=_number(int, "--hidden", 1), default=16, help="memory cells")
    p.add_argument("--clip", type=_number(float, "--clip", 0.0, strict=True), default=None,
                   help="clip the gradient norm to this value (default: no clipping)")
    p.add_argument("--dtype", default="float32", choices=tuple(DTYPES))
    p.add_argument("--uneven", action="store_true",
                   help="process r runs steps + r steps (handled by the Join context manager)")
    p.add_argument("--log-every", type=_number(int, "--log-every", 0), default=10,
                   help="print the global batch's loss every so many steps (0: never)")
    return p


def parse_args(argv=None):
    """Parse and check the command line (``argv`` None: ``sys.argv[1:]``).

    Returns
    -------
    argparse.Namespace
        ``task, T, steps, global_batch, seed, backend, save, lr, hidden, clip,
        dtype, uneven, log_every``.

    Raises
    ------
    SystemExit
        With code 2 and a message naming the expected values, on a bad option.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.T < MIN_T[args.task]:
        parser.error(f"--T must be at least {MIN_T[args.task]} for --task {args.task}, got {args.T}")
    return args


def _device(backend, local_rank):
    if backend == "nccl":
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def train(rank, world_size, args, local_rank=None):
    """Train in process ``rank`` of ``world_size``; rank 0 saves the final ``state_dict``.

    The default process group must already be initialised with ``world_size``
    processes (:func:`main` does it). Every process runs this function.

    Parameters
    ----------
    rank, world_size : int
        This process and the number of processes, ``0 <= rank < world_size``.
    args : argparse.Namespace
        As :func:`parse_args` returns it.
    local_rank : int, optional
        This process's GPU for ``--backend nccl`` (default: ``LOCAL_RANK``
        from the environment, else ``rank``).

    Returns
    -------
    dict
        ``steps`` (this process's optimiser steps), ``loss`` (the last
        logged loss of the global batch, or None), ``rank_difference`` (the
        largest absolute difference between this process's final parameters
        and rank 0's, the same value on every process; 0 when the copies
        agree), ``saved`` (the path written, on rank 0 with ``--save``;
        else None), ``seconds`` (this process's training loop, without
        start-up and saving) and ``median_step_ms`` (:func:`median_step_ms`
        of its steps); rank 0 prints both.

    Raises
    ------
    ValueError
        If ``world_size`` does not divide ``--global-batch``, ``rank`` is out
        of range, or the process group does not match ``world_size``.
    """
    world_size = check_int("world_size", world_size, 1)
    rank = check_int("rank", rank, 0)
    if rank >= world_size:
        raise ValueError(f"rank must be in 0 ... {world_size - 1} for {world_size} processes, got {rank}")
    _check_divisible(args.global_batch, world_size)
    if not dist.is_initialized() or dist.get_world_size() != world_size or dist.get_rank() != rank:
        raise ValueError(f"train needs an initialised process group of {world_size} processes in which "
                         f"this one is rank {rank} (lstm_helpers.distributed.main sets it up)")
    if local_rank is None:
        local_rank = int(os.environ.get("LOCAL_RANK", rank))
    device = _device(args.backend, local_rank)

    net = make_model(args.hidden, args.seed, dtype=args.dtype).to(device)
    model = DistributedDataParallel(net, device_ids=[local_rank] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_steps = steps_of_rank(args.steps, rank, args.uneven)
    loss_logged = None

    start = time.perf_counter()
    step_ms = []
    with Join([model]):
        for k in range(n_steps):
            tick = time.perf_counter()
            batch = shard(global_batch(args.task, args.T, args.seed, k, args.global_batch), rank, world_size)
            x, y, lengths = to_tensors(batch, device, args.dtype)
            optimizer.zero_grad(set_to_none=True)
            loss = slice_loss(model, x, y, lengths)
            loss.backward()  # DistributedDataParallel averages the gradients of all processes here
            if args.clip is not None:  # the averaged gradients are equal everywhere, so is their norm
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            # every process is still running during the first args.steps steps, so all take part
            if args.log_every and k < args.steps and ((k + 1) % args.log_every == 0 or k + 1 == args.steps):
                total = loss.detach().clone()
                dist.all_reduce(total)  # the mean of equal shares' means: the global batch's loss
                loss_logged = total.item() / world_size
                if rank == 0:
                    print(f"step {k + 1:>5d}/{args.steps}  loss {loss_logged:.6f}", flush=True)
            if device.type == "cuda":
                torch.cuda.synchronize(device)  # the step's kernels have finished before the clock is read
            step_ms.append(1e3 * (time.perf_counter() - tick))

    seconds = time.perf_counter() - start  # the training loop alone: no start-up, no saving
    # after Join every process holds the parameters of the last one to finish
    flat = torch.nn.utils.parameters_to_vector(net.parameters()).detach()
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    difference = (flat - reference).abs().max()
    dist.all_reduce(difference, op=dist.ReduceOp.MAX)
    fewest = torch.tensor(n_steps, device=device)
    most = fewest.clone()
    dist.all_reduce(fewest, op=dist.ReduceOp.MIN)
    dist.all_reduce(most, op=dist.ReduceOp.MAX)
    saved = None
    if rank == 0:
        ran = f"{fewest.item()}" if fewest.item() == most.item() else f"{fewest.item()} to {most.item()}"
        print(f"done: {world_size} process(es) ran {ran} steps; "
              f"largest parameter difference between ranks {difference.item():.1e}", flush=True)
        warmup = min(WARMUP_STEPS, max(0, len(step_ms) - 1))
        print(f"trained in {seconds:.2f} s; median step {median_step_ms(step_ms):.2f} ms after {warmup} warm-up "
              f"steps (rank 0)", flush=True)
        if args.save is not None:
            path = pathlib.Path(args.save)
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.save({name: t.detach().cpu() for name, t in net.state_dict().items()}, path)
            saved = path
    return {"steps": n_steps, "loss": loss_logged, "rank_difference": difference.item(), "saved": saved,
            "seconds": seconds, "median_step_ms": median_step_ms(step_ms)}


def main(argv=None):
    """Entry point of ``python -m lstm_helpers.distributed`` (under ``torchrun`` or alone).

    Reads ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` from the environment
    that ``torchrun`` sets (without them: one process, rank 0), checks the
    options against them, runs on one CPU thread, initialises the process
    group, calls :func:`train` and tears the group down.

    Returns
    -------
    int
        0 on success.

    Raises
    ------
    SystemExit
        With code 2 and a message on a bad option, when ``--global-batch`` is
        not divisible by the number of processes, or when ``--backend nccl``
        has fewer GPUs than processes on this machine.
    """
    parser = _parser()
    args = parse_args(argv)
    launched = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank = int(os.environ["RANK"]) if launched else 0
    world_size = int(os.environ["WORLD_SIZE"]) if launched else 1
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    try:
        _check_divisible(args.global_batch, world_size)
    except ValueError as exc:
        parser.error(str(exc))
    if args.backend == "nccl":
        gpus = torch.cuda.device_count()
        if local_rank >= gpus:
            parser.error(f"--backend nccl needs one CUDA GPU per process on a machine; this process has "
                         f"LOCAL_RANK {local_rank} but {gpus} GPU(s) are visible (use --backend gloo on CPUs)")
        torch.cuda.set_device(local_rank)
    if dist.is_initialized():
        raise RuntimeError("a default process group is already initialised; run main in a fresh process")

    from .utils import pin_threads

    pin_threads(1)  # N processes on few cores: one thread each, and a fixed order of additions

    if launched:
        dist.init_process_group(args.backend, rank=rank, world_size=world_size)
    else:
        dist.init_process_group(args.backend, store=dist.HashStore(), rank=0, world_size=1)
    try:
        train(rank, world_size, args, local_rank=local_rank)
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
