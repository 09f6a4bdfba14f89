"""Reproduction commands whose results the book stores: the 1997 long-time-lag experiments.

Run from the repository root::

    python -m lstm_helpers.experiments long_lags --task adding --T 100 --model rnn,lstm,lstm_bf1 \\
        --seeds 5 --device auto --out book/data/long_lags/adding_T100.json

Each run trains a small recurrent network (``--model``: ``rnn``, ``lstm``,
``lstm_bf1``, ``lstm_chrono``, ``lstm_nofg`` or ``all``; see
:func:`make_model`) on freshly generated sequences of a task of Hochreiter &
Schmidhuber (1997) with :func:`lstm_helpers.train.train`,
until the paper's stopping criterion holds on the most recent training
sequences or a budget of training sequences is spent; then it counts the wrong
sequences of a fresh test set of 2560. The JSON it writes holds the
configuration, the seeds, the sequences to criterion and wrong test sequences
per seed, wall times, the hardware and the package version. The book reads it
back with :func:`load_results`; :func:`results_table` and :func:`seed_table`
print it beside the paper's numbers. ``python -m lstm_helpers.experiments
refresh_paper`` rewrites the paper's numbers and table references stored in
the files from :data:`PAPER`, leaving the runs alone.

The stopping criteria (checked after every batch, on a window of the most
recent training sequences, each judged before the update that used it):

- adding problem: every one of the last 2000 sequences has an absolute error
  below 0.04 at its end, and their mean squared error is below 0.01;
- temporal order: every one of the last 2000 sequences has all output
  errors below 0.3 (softmax probabilities against the one-hot class), and
  their mean summed squared error is below 0.1;
- embedded Reber: every step of each of the last 512 strings is predicted
  correctly (the ``k`` largest outputs are the ``k`` legal next symbols). The
  paper instead trained on a fixed set of 256 strings and stopped when every
  string of that set and of 256 test strings was predicted correctly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from . import __version__
from ._checks import check_choice, check_int
from .tasks import long_lags as _tasks
from .utils import data_dir, load_stored

__all__ = [
    "TASKS",
    "MODELS",
    "PAPER",
    "LongLagConfig",
    "LongLagNet",
    "default_config",
    "make_model",
    "make_task",
    "run_long_lag",
    "long_lags",
    "results_dir",
    "load_results",
    "summarize",
    "results_table",
    "seed_table",
    "refresh_paper",
    "main",
]

TASKS = ("adding", "reber", "temporal_order")
MODELS = ("rnn", "lstm", "lstm_bf1", "lstm_chrono", "lstm_nofg")
TEST_SIZE = 2560

#: The paper's results (Hochreiter & Schmidhuber, 1997): training sequences until
#: the stopping criterion (mean over successful trials) and wrong sequences of a
#: test set of 2560, with the table they come from: the adding problem is Table 7,
#: the embedded Reber grammar Table 1 (the range over its LSTM configurations;
#: it trained on a fixed set of 256 strings and reports no test count of 2560),
#: temporal order Table 9. The paper changed its weights online, so each of its
#: training sequences brought at least one weight update.
PAPER = {
    "adding_T100": {"sequences": 74_000, "wrong_test": 1, "success": "100%", "table": "Table 7"},
    "adding_T500": {"sequences": 209_000, "wrong_test": 0, "success": "100%", "table": "Table 7"},
    "adding_T1000": {"sequences": 853_000, "wrong_test": 1, "success": "100%", "table": "Table 7"},
    "reber": {"sequences": 8_440, "sequences_max": 39_740, "wrong_test": None, "success": "97-100%",
              "table": "Table 1"},
    "temporal_order_2": {"sequences": 31_390, "wrong_test": 1, "success": "100%", "table": "Table 9"},
    "temporal_order_3": {"sequences": 571_100, "wrong_test": 2, "success": "100%", "table": "Table 9"},
}


# --------------------------------------------------------------------------- configuration


@dataclass
class LongLagConfig:
    """Everything that defines one experiment (one task, several models and seeds).

    Attributes
    ----------
    task : {"adding", "reber", "temporal_order"}
    T : int
        Minimal length of the adding problem (ignored by the other tasks).
    n_relevant : {2, 3}
        Relevant symbols of the temporal order task.
    hidden : int
        Hidden units (RNN) or memory cells (LSTM).
    batch_size : int
        Sequences per optimisation step.
    lr : float
        Adam learning rate.
    clip : float
        Gradient-norm clipping threshold.
    budget : int
        Maximal number of training sequences of an LSTM run.
    rnn_budget : int
        The same for the RNN.
    window : int
        Number of most recent training sequences the stopping criterion looks at.
    max_error : float or None
        Bound on their mean error (see the module docstring); None for Reber.
    test_size : int
        Fresh test sequences counted at the end.
    dtype : {"float32", "float64"}
    """

    task: str = "adding"
    T: int = 100
    n_relevant: int = 2
    hidden: int = 16
    batch_size: int = 16
    lr: float = 0.02
    clip: float = 1.0
    budget: int = 74_000
    rnn_budget: int = 18_500
    window: int = 2000
    max_error: float | None = 0.01
    test_size: int = TEST_SIZE
    dtype: str = "float32"

    @property
    def name(self) -> str:
        """File stem of the stored result, e.g. ``"adding_T100"``."""
        if self.task == "adding":
            return f"adding_T{self.T}"
        if self.task == "temporal_order":
            return f"temporal_order_{self.n_relevant}"
        return self.task


def default_config(task, T=100, n_relevant=2, quick=False):
    """The configuration of the stored results of ``task`` (``quick``: a tiny run for tests).

    Every task uses 16 hidden units, batches of 16, Adam with learning rate
    0.02 and the gradient norm clipped to 1. The LSTMs may see as many
    training sequences as the paper needed (for the embedded Reber grammar:
    its slowest configuration, 39,740), except for the adding problem with
    ``T >= 500``, where a quarter of the paper's number keeps the CPU time
    down. The RNN, which does not learn these tasks, may see a quarter of the
    paper's number: a quarter of the LSTMs' budget, or for the adding problem
    with ``T >= 500`` the same budget as the LSTMs.

    Raises
    ------
    ValueError
        If ``task`` is not one of :data:`TASKS` or ``n_relevant`` is not 2 or 3.
    """
    check_choice("task", task, TASKS)
    check_choice("n_relevant", n_relevant, (2, 3))
    common = dict(hidden=16, batch_size=16, lr=0.02, clip=1.0)
    if task == "adding":
        T = check_int("T", T, 10)
        paper = PAPER.get(f"adding_T{T}", {}).get("sequences", 74_000 * T // 100)
        budget = paper if T < 500 else paper // 4
        config = LongLagConfig(task, T=T, budget=budget, rnn_budget=paper // 4, window=2000, max_error=0.01,
                               **common)
    elif task == "temporal_order":
        paper = PAPER[f"temporal_order_{n_relevant}"]["sequences"]
        config = LongLagConfig(task, n_relevant=n_relevant, budget=paper, rnn_budget=paper // 4, window=2000,
                               max_error=0.1, **common)
    else:
        paper = PAPER["reber"]["sequences_max"]
        config = LongLagConfig(task, budget=paper, rnn_budget=paper // 4, window=512, max_error=None, **common)
    if quick:
        config.hidden, config.budget, config.rnn_budget, config.window, config.test_size = 4, 64, 32, 16, 32
        if task == "adding":
            config.T = min(config.T, 20)
    return config


# --------------------------------------------------------------------------- models


class LongLagNet(torch.nn.Module):
    """A one-layer recurrent network (``nn.RNN`` or ``nn.LSTM``) with a linear read-out.

    Parameters
    ----------
    kind : {"rnn", "lstm", "lstm_bf1", "lstm_chrono"}
        ``"rnn"`` builds a tanh ``nn.RNN``, every other name an ``nn.LSTM``
        (:func:`make_model` sets their initialisation).
    input_size, hidden_size, output_size : int

    Notes
    -----
    ``forward(x, lengths=None, every_step=False)`` takes ``x (N, L, D)``, batch
    first, and returns the read-out of every step, ``(N, L, C)``, when
    ``every_step`` is true; otherwise the read-out after step ``lengths[i]``
    of each sequence, ``(N, C)`` (after the last step when ``lengths`` is
    None). Padding after ``lengths[i]`` cannot change that output, since the
    network runs forward in time.
    """

    def __init__(self, kind, input_size, hidden_size, output_size):
        super().__init__()
        self.kind = kind
        if kind == "rnn":
            self.rnn = torch.nn.RNN(input_size, hidden_size, nonlinearity="tanh", batch_first=True)
        else:
            self.rnn = torch.nn.LSTM(input_size, hidden_size, batch_first=True)
        self.readout = torch.nn.Linear(hidden_size, output_size)

    def forward(self, x, lengths=None, every_step=False):
        h, _ = self.rnn(x)
        if every_step:
            return self.readout(h)
        if lengths is None:
            return self.readout(h[:, -1])
        return self.readout(h[torch.arange(h.shape[0], device=h.device), lengths - 1])


def make_model(kind, input_size, hidden_size, output_size, chrono_T=None, rng=None):
    """Build the network of one model name.

    Parameters
    ----------
    kind : {"rnn", "lstm", "lstm_bf1", "lstm_chrono", "lstm_nofg"}
        ``rnn``: tanh RNN. ``lstm``: ``nn.LSTM`` with PyTorch's default
        initialisation (every bias uniform in :math:`\\pm 1/\\sqrt{H}`, so the
        forget gate starts near 0.5). ``lstm_bf1``: forget-gate bias 1
        (Gers et al., 2000; Jozefowicz et al., 2015). ``lstm_chrono``: chrono
        initialisation (Tallec & Ollivier, 2018), :math:`b_f = \\log u` with
        :math:`u \\sim U[1, T_{\\max} - 1]` and :math:`b_i = -b_f`.
        ``lstm_nofg``: ``nn.LSTM`` without a forget gate, the closest of these
        models to the cell of 1997: the forget gate's weights are zero and its
        bias 30, so :math:`f_t = 1`, and they are kept so during training
        (their gradients are zeroed by hooks); the input gates start nearly
        closed, :math:`b_i = -3`, as the paper advises against drifting cell
        states. It still differs from the 1997 cell: full backpropagation
        through time instead of the paper's truncated gradient, tanh for both
        squashing functions (the paper's :math:`g` ranges over
        :math:`[-2, 2]`), PyTorch's initialisation instead of small uniform
        weights, and one input-gate bias for every cell.
    input_size, hidden_size, output_size : int
    chrono_T : int, optional
        :math:`T_{\\max}` of the chrono initialisation (the longest lag expected).
    rng : numpy.random.Generator, optional
        Draws the chrono biases (default: a fixed generator).

    Returns
    -------
    LongLagNet

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`MODELS`.
    """
    check_choice("model", kind, MODELS)
    net = LongLagNet(kind, input_size, hidden_size, output_size)
    H = hidden_size
    if kind == "lstm_bf1":
        with torch.no_grad():
            net.rnn.bias_ih_l0[H:2 * H] = 1.0
            net.rnn.bias_hh_l0[H:2 * H] = 0.0
    elif kind == "lstm_chrono":
        T_max = max(int(chrono_T or 100), 3)
        rng = rng if rng is not None else np.random.default_rng(0)
        b_f = np.log(rng.uniform(1.0, T_max - 1.0, size=H))
        with torch.no_grad():
            net.rnn.bias_ih_l0[H:2 * H] = torch.as_tensor(b_f, dtype=net.rnn.bias_ih_l0.dtype)
            net.rnn.bias_hh_l0[H:2 * H] = 0.0
            net.rnn.bias_ih_l0[:H] = -torch.as_tensor(b_f, dtype=net.rnn.bias_ih_l0.dtype)
            net.rnn.bias_hh_l0[:H] = 0.0
    elif kind == "lstm_nofg":
        forget = slice(H, 2 * H)
        with torch.no_grad():
            for p in (net.rnn.weight_ih_l0, net.rnn.weight_hh_l0, net.rnn.bias_hh_l0):
                p[forget] = 0.0
            net.rnn.bias_ih_l0[forget] = 30.0  # sigmoid(30) = 1 - 1e-13: the gate is always open
            net.rnn.bias_ih_l0[:H] = -3.0  # input gates start nearly closed, against state drift
            net.rnn.bias_hh_l0[:H] = 0.0

        def freeze_forget(grad):
            grad = grad.clone()
            grad[forget] = 0.0
            return grad

        for p in (net.rnn.weight_ih_l0, net.rnn.weight_hh_l0, net.rnn.bias_ih_l0, net.rnn.bias_hh_l0):
            p.register_hook(freeze_forget)
    return net


# --------------------------------------------------------------------------- tasks as training problems


@dataclass
class _Task:
    """A task seen from the training loop: batches, a loss, and per-sequence judgement."""

    sample: object  # (n, rng) -> dict of numpy arrays
    evaluate: object  # (model, batch) -> (loss tensor, correct (N,) bool tensor, error (N,) tensor)
    input_size: int
    output_size: int
    chrono_T: int
    describe: str = ""
    criterion: str = ""
    extra: dict = field(default_factory=dict)


def make_task(config):
    """The task of ``config`` as a training problem (used by :func:`run_long_lag`).

    Returns an object with ``sample(n, rng) -> batch`` (a dict of NumPy
    arrays), ``evaluate(model, batch) -> (loss, correct, error)`` (torch
    tensors: the mean loss, and per sequence whether it was processed
    correctly and its error for the criterion), ``input_size``,
    ``output_size`` and ``criterion`` (a sentence).

    Raises
    ------
    ValueError
        If ``config.task`` is not one of :data:`TASKS`.
    """
    check_choice("task", config.task, TASKS)
    F = torch.nn.functional

    if config.task == "adding":
        T = config.T

        def sample(n, rng):
            x, y, lengths = _tasks.adding_problem(n, T, rng, variant="1997")
            return {"x": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            out = model(batch["x"], batch["lengths"])[:, 0]
            err = out - batch["y"]
            return (err ** 2).mean(), err.abs() < 0.04, err.detach() ** 2

        return _Task(sample, evaluate, 2, 1, T,
                     describe=f"adding problem (1997), T = {T}",
                     criterion="all of the last {window} sequences with |error| < 0.04 and their mean squared "
                               "error < {max_error}")

    if config.task == "temporal_order":
        k = config.n_relevant

        def sample(n, rng):
            x, y, lengths = _tasks.temporal_order(n, rng, n_relevant=k)
            return {"x": x, "y": y, "lengths": lengths}

        def evaluate(model, batch):
            scores = model(batch["x"], batch["lengths"])
            p = torch.softmax(scores.detach(), dim=1)
            target = F.one_hot(batch["y"], p.shape[1]).to(p.dtype)
            correct = ((p - target).abs() < 0.3).all(dim=1)
            return F.cross_entropy(scores, batch["y"]), correct, ((p - target) ** 2).sum(dim=1)

        return _Task(sample, evaluate, len(_tasks.TEMPORAL_ORDER_SYMBOLS), 2**k, 110,
                     describe=f"temporal order, {k} relevant symbols",
                     criterion="all of the last {window} sequences with every output error < 0.3 and their mean "
                               "summed squared error < {max_error}")

    def sample(n, rng):
        x, targets, lengths = _tasks.embedded_reber(n, rng)
        return {"x": x, "targets": targets, "lengths": lengths}

    def evaluate(model, batch):
        scores = model(batch["x"], every_step=True)
        targets, lengths = batch["targets"], batch["lengths"]
        valid = (torch.arange(scores.shape[1], device=scores.device)[None, :] < lengths[:, None])
        loss = F.binary_cross_entropy_with_logits(scores, targets, reduction="none").sum(dim=2)
        loss = (loss * valid).sum() / valid.sum()
        s = scores.detach()
        legal = targets > 0.5
        k = legal.sum(dim=2, keepdim=True)
        rank = torch.argsort(torch.argsort(-s, dim=2, stable=True), dim=2, stable=True)
        step_ok = ((rank < k) == legal).all(dim=2) | ~valid
        return loss, step_ok.all(dim=1), torch.zeros(s.shape[0], dtype=s.dtype, device=s.device)

    return _Task(sample, evaluate, len(_tasks.REBER_SYMBOLS), len(_tasks.REBER_SYMBOLS), 20,
                 describe="embedded Reber grammar",
                 criterion="every step of each of the last {window} strings predicted correctly (top-k rule)")


def _to_tensors(batch, dtype):
    out = {}
    for key, value in batch.items():
        if value.dtype.kind == "f":
            out[key] = torch.as_tensor(value, dtype=dtype)
        else:
            out[key] = torch.as_tensor(value, dtype=torch.int64)
    return out


class _Window:
    """Correctness and errors of the most recent training sequences."""

    def __init__(self, size, max_error):
        self.correct = deque(maxlen=size)
        self.error = deque(maxlen=size)
        self.size = size
        self.max_error = max_error

    def add(self, correct, error):
        self.correct.extend(bool(c) for c in correct)
        self.error.extend(float(e) for e in error)

    def satisfied(self):
        if len(self.correct) < self.size or not all(self.correct):
            return False
        return self.max_error is None or sum(self.error) / len(self.error) < self.max_error

    def fraction_correct(self):
        return sum(self.correct) / len(self.correct) if self.correct else 0.0


# --------------------------------------------------------------------------- one run


def run_long_lag(config, model="lstm", seed=0, device="cpu", threads=1, progress=False, curve_points=100):
    """Train one model with one seed until the stopping criterion or the budget; test it.

    Parameters
    ----------
    config : LongLagConfig
        Task, sizes, optimiser settings, budget and criterion
        (:func:`default_config` gives the stored ones).
    model : {"rnn", "lstm", "lstm_bf1", "lstm_chrono"}
    seed : int
        Seeds the weights (:func:`lstm_helpers.utils.set_seed`), the training
        sequences and, separately, the test sequences.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (the GPU when there is one).
    threads : int or None
        PyTorch CPU threads during the run (restored afterwards). Networks
        this small run fastest on one thread, and one thread makes CPU runs
        repeat exactly. None leaves the setting alone.
    progress : bool
        Show the training loop's progress bar.
    curve_points : int
        At most this many points of the learning curve are returned.

    Returns
    -------
    dict
        ``seed``, ``reached`` (bool), ``sequences_to_criterion`` (int, or
        None when the budget ran out), ``sequences_seen``, ``wrong_test``,
        ``test_size``, ``seconds`` (training and test), ``parameters``, and
        ``curve``: ``{"seen": [...], "loss": [...], "recent_correct":
        [...]}``, the training loss and the fraction of the most recent
        ``window`` training sequences processed correctly.

    Raises
    ------
    ValueError
        If ``model`` or ``config.task`` is unknown, or a size is not a
        positive integer.
    """
    from .train import count_parameters, train
    from .utils import get_device, set_seed

    check_choice("model", model, MODELS)
    for name in ("hidden", "batch_size", "budget", "rnn_budget", "window", "test_size"):
        check_int(name, getattr(config, name), 1)
    check_choice("dtype", config.dtype, ("float32", "float64"))
    seed = check_int("seed", seed, 0)
    dtype = getattr(torch, config.dtype)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(check_int("threads", threads, 1))
    start = time.perf_counter()
    try:
        task = make_task(config)
        set_seed(seed)
        train_rng = np.random.default_rng([seed, 1])
        test_rng = np.random.default_rng([seed, 2])
        init_rng = np.random.default_rng([seed, 3])
        net = make_model(model, task.input_size, config.hidden, task.output_size,
                         chrono_T=task.chrono_T, rng=init_rng).to(dtype)
        dev = get_device(device) if isinstance(device, str) else device
        window = _Window(config.window, config.max_error)
        recent = []

        def batches(step):
            return _to_tensors(task.sample(config.batch_size, train_rng), dtype)

        def loss_fn(net, batch):
            loss, correct, error = task.evaluate(net, batch)
            window.add(correct.cpu().tolist(), error.cpu().tolist())
            return loss

        def callback(step, net, history):
            recent.append((history.seen[-1] if history.seen else step * config.batch_size,
                           window.fraction_correct()))
            return window.satisfied()

        budget = config.rnn_budget if model == "rnn" else config.budget
        n_steps = math.ceil(budget / config.batch_size)
        optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
        history = train(net, batches, loss_fn, optimizer=optimizer, n_steps=n_steps, clip=config.clip,
                        device=dev, callback=callback, callback_every=1, record_every=1, progress=progress,
                        desc=f"{config.name} {model} seed {seed}")
        reached = window.satisfied()
        seen = history.sequences_seen
        # test on fresh sequences, in chunks
        wrong = 0
        with torch.no_grad():
            for lo in range(0, config.test_size, 512):
                n = min(512, config.test_size - lo)
                batch = {k: v.to(dev) for k, v in _to_tensors(task.sample(n, test_rng), dtype).items()}
                _, correct, _ = task.evaluate(net, batch)
                wrong += int((~correct).sum())
        seconds = time.perf_counter() - start
    finally:
        if threads is not None:
            torch.set_num_threads(old_threads)
    every = max(1, math.ceil(len(history.loss) / curve_points))
    curve = {
        "seen": [int(s) for s in history.seen[every - 1::every]],
        "loss": [round(float(v), 6) for v in _block_means(history.loss, every)],
        "recent_correct": [round(float(f), 4) for _, f in recent[every - 1::every]],
    }
    return {
        "seed": seed,
        "reached": bool(reached),
        "sequences_to_criterion": seen if reached else None,
        "sequences_seen": seen,
        "wrong_test": wrong,
        "test_size": config.test_size,
        "seconds": round(seconds, 2),
        "parameters": count_parameters(net),
        "curve": curve,
    }


def _block_means(values, every):
    values = np.asarray(values, dtype=float)
    n = len(values) // every * every
    return values[:n].reshape(-1, every).mean(axis=1) if n else values


# --------------------------------------------------------------------------- a whole experiment


def _hardware(device):
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _cpu_name():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summarize(runs):
    """Summary of the runs of one model: success rate and sequences to criterion.

    Parameters
    ----------
    runs : list of dict
        As returned by :func:`run_long_lag`.

    Returns
    -------
    dict
        ``n_runs``, ``n_reached``, ``success_rate``, ``sequences_median``,
        ``sequences_min``, ``sequences_max`` (over the runs that reached the
        criterion; None when none did), ``wrong_test_median``,
        ``wrong_test_min``, ``wrong_test_max`` and ``seconds_total``.
    """
    if not runs:
        raise ValueError("runs must hold at least one run (a dict from run_long_lag)")
    reached = [r["sequences_to_criterion"] for r in runs if r["reached"]]
    wrong = [r["wrong_test"] for r in runs]
    return {
        "n_runs": len(runs),
        "n_reached": len(reached),
        "success_rate": len(reached) / len(runs),
        "sequences_median": float(np.median(reached)) if reached else None,
        "sequences_min": min(reached) if reached else None,
        "sequences_max": max(reached) if reached else None,
        "wrong_test_median": float(np.median(wrong)),
        "wrong_test_min": min(wrong),
        "wrong_test_max": max(wrong),
        "seconds_total": round(sum(r["seconds"] for r in runs), 1),
    }


def long_lags(config, models=("rnn", "lstm", "lstm_bf1"), seeds=(0, 1, 2), device="auto", threads=1,
              out=None, progress=True, verbose=True, command=None):
    """Run the experiment of ``config`` for several models and seeds; write and return the results.

    Parameters
    ----------
    config : LongLagConfig
    models : sequence of str
        Names from :data:`MODELS`.
    seeds : sequence of int
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    threads : int or None
        See :func:`run_long_lag`.
    out : str or pathlib.Path, optional
        Where to write the JSON. When the file exists and was made with the
        same configuration and seeds, the models of this call replace theirs
        and the others are kept (so models can be run one at a time).
    progress : bool
        Progress bars (written to stdout).
    verbose : bool
        Print one line per finished run.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        The stored results: ``name``, ``task``, ``config``, ``seeds``,
        ``models`` (per model: ``runs`` and ``summary``), ``paper``,
        ``device``, ``device_name``, ``hardware``, ``threads``, ``version``,
        ``wall_seconds``, ``command``, ``criterion``.
    """
    from .utils import get_device

    if not models:
        raise ValueError(f"models must name at least one of {', '.join(MODELS)}")
    for m in models:
        check_choice("model", m, MODELS)
    seeds = [check_int("seed", s, 0) for s in seeds]
    dev = get_device(device)
    start = time.perf_counter()
    results = {}
    for m in models:
        runs = []
        for s in seeds:
            run = run_long_lag(config, m, s, device=dev, threads=threads if dev.type == "cpu" else None,
                               progress=progress)
            if verbose:
                status = (f"criterion after {run['sequences_to_criterion']} sequences" if run["reached"]
                          else f"criterion not reached in {run['sequences_seen']} sequences")
                print(f"{config.name} {m} seed {s}: {status}; {run['wrong_test']}/{run['test_size']} wrong test "
                      f"sequences; {run['seconds']:.1f} s", flush=True)
            runs.append(run)
        results[m] = {"runs": runs, "summary": summarize(runs)}
    task = make_task(config)
    data = {
        "experiment": "long_lags",
        "name": config.name,
        "task": task.describe,
        "config": asdict(config),
        "criterion": task.criterion.format(window=config.window, max_error=config.max_error),
        "optimizer": f"Adam (lr {config.lr}), gradient norm clipped to {config.clip}, batches of "
                     f"{config.batch_size}, {config.dtype}",
        "seeds": seeds,
        "models": results,
        "paper": PAPER.get(config.name),
        "device": dev.type,
        "device_name": _hardware(dev).get("gpu", _cpu_name()),
        "hardware": _hardware(dev),
        "threads": threads if dev.type == "cpu" else None,
        "version": __version__,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "command": command,
    }
    if out is not None:
        out = pathlib.Path(out)
        if out.exists():
            try:
                old = json.loads(out.read_text())
            except (OSError, ValueError):
                old = None
            if old and old.get("config") == data["config"] and old.get("seeds") == data["seeds"]:
                merged = dict(old.get("models", {}))
                merged.update(results)
                data["models"] = {m: merged[m] for m in MODELS if m in merged}
                data["wall_seconds"] = round(data["wall_seconds"] + old.get("wall_seconds", 0.0), 1)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=1) + "\n")
    return data


# --------------------------------------------------------------------------- stored results


def results_dir():
    """The folder of the stored long-time-lag results: ``book/data/long_lags`` of the repository.

    The one place that knows where the results live. It looks next to the
    installed package first (a checkout of the repository) and then in the
    current folder and its parents (a notebook run from ``notebooks/``).

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet when nothing was stored).
    """
    return data_dir("long_lags")


def load_results(name):
    """Load one stored result, e.g. ``load_results("adding_T100")``.

    Parameters
    ----------
    name : str
        File stem in :func:`results_dir` (``"adding_T100"``, ``"reber"``,
        ``"temporal_order_2"``, ...).

    Returns
    -------
    dict
        As written by :func:`long_lags`.

    Raises
    ------
    ValueError
        If there is no such result; the message lists the stored ones.
    """
    return load_stored("long_lags", name, "result", folder=results_dir())


def _fmt_int(value):
    return "-" if value is None else f"{int(round(value)):,}"


def results_table(names, models=None):
    """A plain-text table of stored results beside the paper's numbers.

    For each experiment, one row with the paper's LSTM result (its success
    rate and mean training sequences; for the embedded Reber grammar the
    range of its configurations' means, under min and max) and one row per
    stored model: seeds that met the criterion, training sequences to
    criterion (median, min, max over those seeds), the budget, the median
    number of wrong test sequences (out of 2560, whether or not the criterion
    was met), the total wall time of the runs and the hardware.

    Parameters
    ----------
    names : sequence of str
        Stored results (see :func:`load_results`); a name that is not stored
        gives a row "not run here".
    models : sequence of str, optional
        Models to show (default: all stored).

    Returns
    -------
    str
    """
    header = (f"{'experiment':<17}{'model':<13}{'met':>8}{'median':>9}{'min':>9}{'max':>9}{'budget':>9}"
              f"{'wrong':>7}{'time s':>8}  hardware")
    lines = [header, "-" * (len(header) + 8)]
    for name in names:
        paper = PAPER.get(name)
        if paper is not None:
            if "sequences_max" in paper:
                seq = ("-", _fmt_int(paper["sequences"]), _fmt_int(paper["sequences_max"]))
            else:
                seq = (_fmt_int(paper["sequences"]), "-", "-")
            wrong = "-" if paper["wrong_test"] is None else str(paper["wrong_test"])
            lines.append(f"{name:<17}{'paper (mean)':<13}{paper['success']:>8}{seq[0]:>9}{seq[1]:>9}{seq[2]:>9}"
                         f"{'-':>9}{wrong:>7}{'-':>8}  1997 ({paper['table']}), online")
        try:
            data = load_results(name)
        except ValueError:
            lines.append(f"{'' if paper else name:<17}{'ours':<13}  not run here")
            continue
        if data["device"] == "cpu":
            hardware = f"CPU, {data['threads']} thread" + ("s" if (data["threads"] or 0) > 1 else "")
        else:
            hardware = data["device_name"]
        config = data["config"]
        for model, entry in data["models"].items():
            if models is not None and model not in models:
                continue
            s = entry["summary"]
            budget = config["rnn_budget"] if model == "rnn" else config["budget"]
            met = f"{s['n_reached']}/{s['n_runs']}"
            lines.append(
                f"{'':<17}{model:<13}{met:>8}{_fmt_int(s['sequences_median']):>9}"
                f"{_fmt_int(s['sequences_min']):>9}{_fmt_int(s['sequences_max']):>9}{_fmt_int(budget):>9}"
                f"{_fmt_int(s['wrong_test_median']):>7}{s['seconds_total']:>8.0f}  {hardware}"
            )
    return "\n".join(lines)


def seed_table(name, quantity="updates", models=None):
    """A plain-text table of one stored result with one row per model and one column per seed.

    Parameters
    ----------
    name : str
        A stored result (see :func:`load_results`).
    quantity : {"updates", "sequences", "wrong"}
        ``"updates"``: weight updates until the stopping criterion held, the
        training sequences divided by the batch size (one update per batch);
        ``"sequences"``: the training sequences themselves; ``"wrong"``: the
        wrong sequences of the test set (counted whether or not the criterion
        was met). A seed that did not meet the criterion shows ``-`` under
        ``"updates"`` and ``"sequences"``.
    models : sequence of str, optional
        Models to show (default: all stored).

    Returns
    -------
    str
        A title line, a header and one row per model; the last column is the
        median over the seeds shown in the row (for ``"updates"`` and
        ``"sequences"``: over the seeds that met the criterion).

    Raises
    ------
    ValueError
        If ``quantity`` is unknown or ``name`` is not stored.
    """
    check_choice("quantity", quantity, ("updates", "sequences", "wrong"))
    data = load_results(name)
    batch = data["config"]["batch_size"]
    titles = {"updates": f"weight updates to criterion (batches of {batch})",
              "sequences": "training sequences to criterion",
              "wrong": f"wrong test sequences (of {data['config']['test_size']})"}
    lines = [f"{name}: {titles[quantity]}, per seed" + ("; -: not met" if quantity != "wrong" else ""),
             f"{'model':<13}" + "".join(f"{'seed ' + str(s):>9}" for s in data["seeds"]) + f"{'median':>9}"]
    for model, entry in data["models"].items():
        if models is not None and model not in models:
            continue
        values = []
        for run in entry["runs"]:
            if quantity == "wrong":
                values.append(run["wrong_test"])
            elif not run["reached"]:
                values.append(None)
            else:
                seq = run["sequences_to_criterion"]
                values.append(seq if quantity == "sequences" else seq / batch)
        known = [v for v in values if v is not None]
        median = float(np.median(known)) if known else None
        lines.append(f"{model:<13}" + "".join(f"{_fmt_int(v):>9}" for v in values) + f"{_fmt_int(median):>9}")
    return "\n".join(lines)


def refresh_paper(folder=None):
    """Rewrite the ``paper`` entry of every stored long-lag result from :data:`PAPER`.

    The runs and everything else in the files stay as they are; only the
    paper's numbers and table references, copied into each file when it was
    written, are brought up to date.

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        Folder of the stored results (default: :func:`results_dir`).

    Returns
    -------
    list of str
        The names of the files whose ``paper`` entry changed.
    """
    folder = results_dir() if folder is None else pathlib.Path(folder)
    changed = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("experiment") != "long_lags":
            continue
        paper = PAPER.get(data["name"])
        if data.get("paper") != paper:
            data["paper"] = paper
            path.write_text(json.dumps(data, indent=1) + "\n")
            changed.append(path.stem)
    return changed


# --------------------------------------------------------------------------- command line


def _parse_models(values):
    names = []
    for value in values:
        names += [v.strip() for v in value.split(",") if v.strip()]
    if "all" in names:
        return list(MODELS)
    bad = [n for n in names if n not in MODELS]
    if bad or not names:
        raise ValueError(f"--model must be one or more of {', '.join(MODELS)}, or all; got {', '.join(bad) or 'none'}")
    return list(dict.fromkeys(names))


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m lstm_helpers.experiments",
        description="Reproduction commands of the course 'LSTM, Step by Step'.",
    )
    sub = parser.add_subparsers(dest="experiment", required=True, metavar="experiment")
    p = sub.add_parser("long_lags", help="the 1997 long-time-lag experiments (adding, reber, temporal_order)")
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--T", type=int, default=100, help="minimal sequence length of the adding problem")
    p.add_argument("--n-relevant", type=int, default=2, choices=(2, 3), help="temporal order: 2 or 3 symbols")
    p.add_argument("--model", nargs="+", default=["rnn,lstm,lstm_bf1"],
                   help=f"one or more of {', '.join(MODELS)} (comma or space separated), or all")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ..., seeds - 1)")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads per run (0: leave as is)")
    p.add_argument("--hidden", type=int, help="hidden units / memory cells")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--budget", type=int, help="maximal training sequences of an LSTM run")
    p.add_argument("--rnn-budget", type=int, help="maximal training sequences of an RNN run")
    p.add_argument("--window", type=int, help="recent sequences checked by the stopping criterion")
    p.add_argument("--test-size", type=int, help=f"test sequences (default {TEST_SIZE})")
    p.add_argument("--out", help="JSON file to write (default: book/data/long_lags/<name>.json)")
    p.add_argument("--quick", action="store_true", help="a tiny run, for tests")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    r = sub.add_parser("refresh_paper", help="rewrite the paper's numbers and tables in the stored long-lag results")
    r.add_argument("--dir", help="folder of the stored results (default: book/data/long_lags)")
    return parser


def main(argv=None):
    """Entry point of ``python -m lstm_helpers.experiments``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.experiment == "refresh_paper":
        changed = refresh_paper(args.dir)
        print(f"updated the paper's entry of {len(changed)} stored result(s)" + (": " + ", ".join(changed) if changed else ""))
        return 0
    try:
        models = _parse_models(args.model)
    except ValueError as exc:
        parser.error(str(exc))
    if args.seeds < 1 or args.first_seed < 0:
        parser.error("--seeds must be >= 1 and --first-seed >= 0")
    try:
        config = default_config(args.task, T=args.T, n_relevant=args.n_relevant, quick=args.quick)
    except ValueError as exc:
        parser.error(f"--T: {exc}")
    for key in ("hidden", "batch_size", "lr", "budget", "rnn_budget", "window", "test_size"):
        value = getattr(args, key)
        if value is not None:
            if value <= 0:
                parser.error(f"--{key.replace('_', '-')} must be positive, got {value}")
            setattr(config, key, value)
    out = args.out or results_dir() / f"{config.name}.json"
    command = "python -m lstm_helpers.experiments " + " ".join(sys.argv[1:] if argv is None else list(argv))
    data = long_lags(config, models=models, seeds=range(args.first_seed, args.first_seed + args.seeds),
                     device=args.device, threads=args.threads or None, out=out,
                     progress=not args.no_progress, command=command)
    print(f"wrote {out} ({data['wall_seconds']:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
