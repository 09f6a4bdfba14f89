"""The 1997 long-time-lag experiments, a task definition on :mod:`~lstm_helpers.experiments.runner`.

Run from the repository root (this stores ``book/data/long_lags/adding_T100.json``)::

    python -m lstm_helpers.experiments long_lags --task adding --T 100 --models all \\
        --seeds 0,1,2,3,4 --device auto

Each run trains a small recurrent network (``--models``: ``rnn``, ``lstm``,
``lstm_bf1``, ``lstm_chrono``, ``lstm_nofg`` or ``all``; see
:func:`make_model`) on freshly generated sequences of a task of Hochreiter &
Schmidhuber (1997) with :func:`lstm_helpers.train.train`,
until the paper's stopping criterion holds on the most recent training
sequences or a budget of training sequences is spent; then it counts the wrong
sequences of a fresh test set of 2560. The JSON it writes holds the
configuration, the seeds, the sequences to criterion and wrong test sequences
per seed, wall times, the hardware and the package version. The book reads it
back with ``load("long_lags", name)`` (:func:`lstm_helpers.experiments.runner.load`);
:func:`lstm_helpers.experiments.paper.results_table` and
:func:`~lstm_helpers.experiments.paper.seed_table` print it beside the paper's
numbers. ``python -m lstm_helpers.experiments migrate`` rewrites the paper's numbers and table references stored
in the files from :data:`PAPER`, leaving the runs alone.

The tasks, their stopping criteria and the window of recent training sequences they
are checked on live in :mod:`lstm_helpers.experiments.long_lag_tasks`.
"""

from __future__ import annotations

import math
import pathlib
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .._checks import check_choice, check_int, check_positive
from ..cells.lstm1997 import LSTM1997, online_string
from ..train import History, count_parameters, train
from ..utils import get_device
from . import runner
from .long_lag_tasks import TASKS, _to_tensors, _Window, make_task
from .paper import PAPER
from .runner import last_step, seeded, store, summarize
from .runner import threads as pinned

__all__ = [
    "TASKS",
    "MODELS",
    "PROTOCOLS",
    "LongLagConfig",
    "LongLagNet",
    "default_config",
    "make_model",
    "make_task",
    "run_long_lag",
    "long_lags",
    "upgrade",
    "EXPERIMENT",
]

MODELS = ("rnn", "lstm", "lstm_bf1", "lstm_chrono", "lstm_nofg", "lstm1997")
PROTOCOLS = ("modern", "1997")
TEST_SIZE = 2560

# --------------------------------------------------------------------------- configuration


@dataclass
class LongLagConfig:
    """Everything that defines one experiment (one task, several models and seeds).

    Attributes
    ----------
    task : {"adding", "reber", "temporal_order", "multiplication", "very_long_lag", "reber_fixed", \
"adding_modern", "copy"}
        See :data:`TASKS` and :mod:`lstm_helpers.experiments.long_lag_tasks`.
    T : int
        Minimal length of the adding and multiplication problems, length of
        the modern adding problem, lag of the copy task, minimal number of
        distractors ``q`` of ``very_long_lag`` (ignored by the other tasks).
    n_relevant : {2, 3}
        Relevant symbols of the temporal order task.
    p : int
        Distractor symbols of ``very_long_lag``.
    protocol : {"modern", "1997"}
        ``"modern"``: batches, Adam, gradient clipping, the models of
        :func:`make_model` except ``lstm1997``. ``"1997"``: the paper's
        training, only for ``lstm1997`` (:class:`~lstm_helpers.cells.lstm1997.LSTM1997`):
        online updates (``batch_size`` 1), plain gradient descent with
        learning rate ``lr``, no clipping, the truncated gradient.
    block_size : int
        Cells per memory block of ``lstm1997`` (``hidden`` cells in all).
    truncate : bool
        ``lstm1997``: the paper's truncated gradient (True) or the full
        gradient of backpropagation through time (False, a diagnostic; the
        file name gets ``_full``).
    updates : {"sequence", "step"}
        When the weights change: once per batch (``"sequence"``), or, in the
        1997 protocol with the truncated gradient, after every step of every
        string, as the paper's online learning did (``"step"``, computed
        forward in time by :func:`lstm_helpers.cells.lstm1997.online_string`;
        the default of the 1997 protocol). The 1997 protocol with
        ``"sequence"`` stores ``..._1997_per_string``.
    hidden : int
        Hidden units (RNN) or memory cells (LSTM).
    batch_size : int
        Sequences per optimisation step.
    lr : float
        Adam learning rate.
    clip : float or None
        Gradient-norm clipping threshold (None: no clipping).
    budget : int
        Maximal number of training sequences of an LSTM run.
    rnn_budget : int
        The same for the RNN.
    window : int
        Number of most recent training sequences the stopping criterion looks at.
    max_error : float or None
        Bound on their mean error (see the module docstring); None for Reber.
    tolerated_wrong : int
        How many of the window's sequences may be wrong (0 except for the
        multiplication problem, where it is 54 of 2000: half the share of
        test sequences the paper's network got wrong, 140 of 2560, since the
        last noisy updates can leave the tested network worse than the
        window).
    check_every : int
        ``reber_fixed``: training strings between two checks of the fixed sets.
    fixed_seed : int
        ``reber_fixed``: seed of the fixed training and test strings.
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
    p: int = 1000
    protocol: str = "modern"
    block_size: int = 2
    truncate: bool = True
    updates: str = "sequence"
    tolerated_wrong: int = 0
    check_every: int = 16
    fixed_seed: int = 0

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Raise ``ValueError`` naming the valid values unless every field is valid (run at construction)."""
        check_choice("task", self.task, TASKS)
        check_int("T", self.T, 2 if self.task in ("adding_modern", "copy", "very_long_lag") else 10)
        check_choice("n_relevant", self.n_relevant, (2, 3))
        check_choice("protocol", self.protocol, PROTOCOLS)
        for name in ("hidden", "batch_size", "budget", "rnn_budget", "window", "test_size", "p", "block_size",
                     "check_every"):
            check_int(name, getattr(self, name), 1)
        for name in ("lr", "clip"):
            value = getattr(self, name)
            if not (name == "clip" and value is None):
                check_positive(name if name == "lr" else "clip (None: no clipping)", value)
        if self.max_error is not None and (isinstance(self.max_error, bool)
                                           or not isinstance(self.max_error, (int, float)) or not self.max_error > 0):
            raise ValueError(f"max_error must be a positive number or None, got {self.max_error!r}")
        check_choice("dtype", self.dtype, ("float32", "float64"))
        check_int("tolerated_wrong", self.tolerated_wrong, 0)
        check_int("fixed_seed", self.fixed_seed, 0)
        if self.tolerated_wrong >= self.window:
            raise ValueError(f"tolerated_wrong must be below window ({self.window}), got {self.tolerated_wrong}")
        if not isinstance(self.truncate, bool):
            raise ValueError(f"truncate must be True or False, got {self.truncate!r}")
        check_choice("updates", self.updates, ("sequence", "step"))
        if self.updates == "step" and (self.protocol != "1997" or not self.truncate):
            raise ValueError("updates='step' needs the 1997 protocol with the truncated gradient")
        if not self.truncate and self.protocol != "1997":
            raise ValueError("truncate=False is a setting of the 1997 protocol (protocol='1997')")
        if self.protocol == "1997" and self.hidden % self.block_size:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of block_size ({self.block_size})")

    @property
    def name(self) -> str:
        """File stem of the stored result, e.g. ``"adding_T100"`` (``"_1997"`` appended for the 1997 protocol)."""
        if self.task in ("adding", "multiplication", "adding_modern", "copy"):
            name = f"{self.task}_T{self.T}"
        elif self.task == "temporal_order":
            name = f"temporal_order_{self.n_relevant}"
        elif self.task == "very_long_lag":
            name = f"very_long_lag_q{self.T}_p{self.p}"
        else:
            name = self.task
        if self.protocol == "1997":
            name += "_1997" if self.updates == "step" else ("_1997_per_string" if self.truncate else "_1997_full")
        return name


def default_config(task, T=100, n_relevant=2, quick=False, p=None, protocol="modern"):
    """The configuration of the stored results of ``task`` (``quick``: a tiny run for tests).

    The modern protocol uses 16 hidden units, batches of 16, Adam with
    learning rate 0.02 and the gradient norm clipped to 1 for every task
    but ``reber_fixed``, which trains on one string per update (as the
    paper did) with 32 cells and learning rate 0.01, and ``copy``, whose ten
    symbols need 64 cells (learning rate 0.005). The
    LSTMs may see as many training sequences as the paper needed (for the
    embedded Reber grammar: its slowest configuration, 39,740), except where
    that is more than 200,000 (the adding problem with ``T >= 500``, the
    multiplication problem, temporal order with 3 symbols): there a quarter
    of the paper's number, the goal the chapter sets, keeps the CPU time
    down. The RNN, which does not learn these tasks, may see a quarter of the
    paper's number. The modern adding problem and the copy task, which the
    paper did not run, get 100,000 sequences (the RNN 25,000).

    The 1997 protocol (``protocol="1997"``, model ``lstm1997``) trains online
    (one sequence per update) with plain gradient descent, learning rate 0.5
    and no clipping; on ``reber_fixed`` with 3 memory blocks of 2 cells
    (the paper's fastest configuration on the embedded Reber grammar), on the
    other tasks with 2 blocks of 2.

    Parameters
    ----------
    task : str
        One of :data:`TASKS`.
    T : int
        See :class:`LongLagConfig`.
    n_relevant : {2, 3}
    quick : bool
    p : int, optional
        Distractors of ``very_long_lag`` (default ``T``).
    protocol : {"modern", "1997"}

    Raises
    ------
    ValueError
        If ``task`` is not one of :data:`TASKS`, ``n_relevant`` is not 2 or 3,
        or ``protocol`` is unknown.
    """
    check_choice("task", task, TASKS)
    check_choice("n_relevant", n_relevant, (2, 3))
    check_choice("protocol", protocol, PROTOCOLS)
    common = dict(hidden=16, batch_size=16, lr=0.02, clip=1.0)

    def paper_budget(name, default):
        paper = PAPER.get(name, {}).get("sequences", default)
        budget = paper if paper <= 200_000 else paper // 4
        return budget, min(budget, paper // 4)

    if task == "adding":
        T = check_int("T", T, 10)
        paper = PAPER.get(f"adding_T{T}", {}).get("sequences", 74_000 * T // 100)
        budget = paper if T < 500 else paper // 4
        config = LongLagConfig(task, T=T, budget=budget, rnn_budget=paper // 4, window=2000, max_error=0.01,
                               **common)
    elif task == "multiplication":
        T = check_int("T", T, 10)
        budget, rnn_budget = paper_budget(f"multiplication_T{T}", 482_000)
        config = LongLagConfig(task, T=T, budget=budget, rnn_budget=rnn_budget, window=2000, max_error=None,
                               tolerated_wrong=54, **common)
    elif task == "temporal_order":
        budget, rnn_budget = paper_budget(f"temporal_order_{n_relevant}", 0)
        config = LongLagConfig(task, n_relevant=n_relevant, budget=budget, rnn_budget=rnn_budget, window=2000,
                               max_error=0.1, **common)
    elif task == "very_long_lag":
        T = check_int("T", T, 2)
        p = T if p is None else check_int("p", p, 1)
        budget, rnn_budget = paper_budget(f"very_long_lag_q{T}_p{p}", 50_000)
        config = LongLagConfig(task, T=T, p=p, budget=budget, rnn_budget=rnn_budget, window=2000, max_error=0.1,
                               **common)
    elif task == "adding_modern":
        T = check_int("T", T, 2)
        config = LongLagConfig(task, T=T, budget=100_000, rnn_budget=25_000, window=2000, max_error=0.01, **common)
    elif task == "copy":  # ten symbols of three bits each do not fit in 16 cells
        T = check_int("T", T, 2)
        config = LongLagConfig(task, T=T, budget=100_000, rnn_budget=25_000, window=2000, max_error=None,
                               **{**common, "hidden": 64, "lr": 0.005})
    elif task == "reber":
        paper = PAPER["reber"]["sequences_max"]
        config = LongLagConfig(task, budget=paper, rnn_budget=paper // 4, window=512, max_error=None, **common)
    else:  # reber_fixed: one string per update, as the paper trained, with Adam and 32 cells
        paper = PAPER["reber"]["sequences_max"]
        config = LongLagConfig(task, budget=paper, rnn_budget=paper // 4, window=512, max_error=None,
                               **{**common, "hidden": 32, "batch_size": 1, "lr": 0.01})
    if protocol == "1997":
        config.protocol, config.batch_size, config.lr, config.clip, config.block_size = "1997", 1, 0.5, None, 2
        config.updates = "step"
        config.hidden = 6 if task == "reber_fixed" else 4
    if quick:
        config.hidden, config.budget, config.rnn_budget, config.window, config.test_size = 4, 64, 32, 16, 32
        config.tolerated_wrong = min(config.tolerated_wrong, 1)
        if task in ("adding", "multiplication", "adding_modern", "copy", "very_long_lag"):
            config.T = min(config.T, 20)
            config.p = min(config.p, 20)
    config.validate()
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
    symbols : bool
        Take symbol indices ``x (N, L)`` (int64, ``0 ... input_size - 1``)
        instead of one-hot vectors. The input weights then live in an
        ``nn.Embedding(input_size, G * hidden_size)`` whose row ``k`` is
        column ``k`` of ``weight_ih`` of the one-hot network (``G = 4`` gates
        for the LSTM, 1 for the RNN), and the recurrent layer's own
        ``weight_ih_l0`` is a fixed identity: the same network, without
        multiplying by a one-hot vector over a thousand symbols at every step.

    Notes
    -----
    ``forward(x, lengths=None, every_step=False)`` takes ``x (N, L, D)`` (or
    ``(N, L)`` indices when ``symbols``), batch first, and returns the read-out of every step, ``(N, L, C)``, when
    ``every_step`` is true; otherwise the read-out after step ``lengths[i]``
    of each sequence, ``(N, C)`` (after the last step when ``lengths`` is
    None). Padding after ``lengths[i]`` cannot change that output, since the
    network runs forward in time.
    """

    def __init__(self, kind, input_size, hidden_size, output_size, symbols=False):
        super().__init__()
        self.kind = kind
        self.symbols = bool(symbols)
        gates = 1 if kind == "rnn" else 4
        width = gates * hidden_size if self.symbols else input_size
        if kind == "rnn":
            self.rnn = torch.nn.RNN(width, hidden_size, nonlinearity="tanh", batch_first=True)
        else:
            self.rnn = torch.nn.LSTM(width, hidden_size, batch_first=True)
        if self.symbols:
            bound = 1.0 / hidden_size ** 0.5  # PyTorch's initialisation of weight_ih
            self.embed = torch.nn.Embedding(input_size, width)
            with torch.no_grad():
                self.embed.weight.uniform_(-bound, bound)
                self.rnn.weight_ih_l0.copy_(torch.eye(width))
            self.rnn.weight_ih_l0.requires_grad_(False)
        self.readout = torch.nn.Linear(hidden_size, output_size)

    def forward(self, x, lengths=None, every_step=False):
        if self.symbols:
            if x.dtype != torch.int64 or x.dim() != 2:
                raise ValueError(f"this network takes symbol indices, an int64 tensor (N, L); got {x.dtype} "
                                 f"{tuple(x.shape)}")
            x = self.embed(x)
        h, _ = self.rnn(x)
        if every_step:
            return self.readout(h)
        return self.readout(last_step(h, lengths))


def make_model(kind, input_size, hidden_size, output_size, chrono_T=None, rng=None, block_size=2, symbols=False,
               truncate=True):
    """Build the network of one model name.

    Parameters
    ----------
    kind : {"rnn", "lstm", "lstm_bf1", "lstm_chrono", "lstm_nofg", "lstm1997"}
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
        ``lstm1997``: the cell of 1997 itself,
        :class:`~lstm_helpers.cells.lstm1997.LSTM1997` with ``hidden_size``
        cells in blocks of ``block_size``, trained only with the 1997
        protocol (:class:`LongLagConfig`).
    input_size, hidden_size, output_size : int
    chrono_T : int, optional
        :math:`T_{\\max}` of the chrono initialisation (the longest lag expected).
    rng : numpy.random.Generator, optional
        Draws the chrono biases (default: a fixed generator).
    block_size : int
        Cells per memory block of ``lstm1997``; must divide ``hidden_size``.
    symbols : bool
        Inputs are symbol indices (see :class:`LongLagNet`); not for ``lstm1997``.
    truncate : bool
        ``lstm1997``: the truncated gradient (True) or the full one.

    Returns
    -------
    LongLagNet or LSTM1997

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`MODELS`.
    """
    check_choice("model", kind, MODELS)
    if kind == "lstm1997":
        if hidden_size % block_size:
            raise ValueError(f"hidden_size ({hidden_size}) must be a multiple of block_size ({block_size})")
        return LSTM1997(input_size, hidden_size // block_size, block_size, output_size, truncate=truncate)
    net = LongLagNet(kind, input_size, hidden_size, output_size, symbols=symbols)
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
            if net.symbols:
                net.embed.weight[:, forget] = 0.0
            net.rnn.bias_ih_l0[forget] = 30.0  # sigmoid(30) = 1 - 1e-13: the gate is always open
            net.rnn.bias_ih_l0[:H] = -3.0  # input gates start nearly closed, against state drift
            net.rnn.bias_hh_l0[:H] = 0.0

        def freeze_forget(grad):
            grad = grad.clone()
            grad[forget] = 0.0
            return grad

        for p in (net.rnn.weight_ih_l0, net.rnn.weight_hh_l0, net.rnn.bias_ih_l0, net.rnn.bias_hh_l0):
            if p.requires_grad:
                p.register_hook(freeze_forget)
        if net.symbols:
            net.embed.weight.register_hook(lambda grad: torch.cat([grad[:, :H], torch.zeros_like(grad[:, H:2 * H]),
                                                                   grad[:, 2 * H:]], dim=1))
    return net


# --------------------------------------------------------------------------- one run


def run_long_lag(config, model="lstm", seed=0, device="cpu", threads=1, progress=False, curve_points=100,
                 optimizer=None, clip="config"):
    """Train one model with one seed until the stopping criterion or the budget; test it.

    Parameters
    ----------
    config : LongLagConfig
        Task, sizes, optimiser settings, budget and criterion
        (:func:`default_config` gives the stored ones).
    model : {"rnn", "lstm", "lstm_bf1", "lstm_chrono", "lstm_nofg", "lstm1997"}
        ``lstm1997`` goes with ``config.protocol == "1997"`` and only with it.
    seed : int
        Seeds the weights (:func:`lstm_helpers.experiments.runner.seeded`), the training
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
    optimizer : callable, optional
        ``optimizer(parameters) -> torch.optim.Optimizer``; by default Adam with
        ``config.lr`` (what the stored results used). The optimiser
        comparison (:mod:`lstm_helpers.experiments.optimizers`) passes others.
        The 1997 protocol uses plain gradient descent (``torch.optim.SGD``)
        with ``config.lr`` instead.
    clip : float, None or "config"
        Gradient-norm clipping threshold; ``"config"`` takes ``config.clip``,
        None trains without clipping.

    Returns
    -------
    dict
        ``seed``, ``reached`` (bool), ``sequences_to_criterion`` (int, or
        None when the budget ran out), ``updates_to_criterion`` (weight
        updates, the same or None), ``sequences_seen``, ``wrong_test``,
        ``test_size``, ``test_loss`` (the training loss averaged over the test
        sequences), ``seconds`` (training and test), ``parameters``, and
        ``curve``: ``{"seen": [...], "loss": [...], "recent_correct":
        [...]}``, the training loss and the fraction of the most recent
        ``window`` training sequences processed correctly (for
        ``reber_fixed``: of the 512 fixed strings at the last check). For
        ``reber_fixed`` also ``wrong_fixed``, the fixed strings wrong at the
        end.

    Raises
    ------
    ValueError
        If ``model`` or ``config.task`` is unknown, a size is not a positive
        integer, ``clip`` is not positive, or ``optimizer`` is not callable.
    """
    check_choice("model", model, MODELS)
    config.validate()  # again: fields may have been changed since construction
    if (model == "lstm1997") != (config.protocol == "1997"):
        raise ValueError(f"model {model!r} does not go with protocol {config.protocol!r}: the 1997 protocol "
                         "trains 'lstm1997' and only it")
    seed = check_int("seed", seed, 0)
    if clip == "config":
        clip = None if config.protocol == "1997" else config.clip
    elif clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or clip <= 0):
        raise ValueError(f"clip must be a positive number, None (no clipping) or 'config'; got {clip!r}")
    if optimizer is not None and not callable(optimizer):
        raise ValueError(f"optimizer must be a callable parameters -> torch.optim.Optimizer, got {optimizer!r}")
    dtype = getattr(torch, config.dtype)
    # seeded(seed) leaves the seeded state behind, as a bare set_seed(seed) would
    with pinned(threads), seeded(seed):
        start = time.perf_counter()
        task = make_task(config)  # draws nothing
        train_rng = np.random.default_rng([seed, 1])
        test_rng = np.random.default_rng([seed, 2])
        init_rng = np.random.default_rng([seed, 3])
        net = make_model(model, task.input_size, config.hidden, task.output_size,
                         chrono_T=task.chrono_T, rng=init_rng, block_size=config.block_size,
                         symbols=task.symbols and model != "lstm1997", truncate=config.truncate).to(dtype)
        dev = get_device(device) if isinstance(device, str) else device
        window = _Window(config.window, config.max_error, config.tolerated_wrong)
        recent = []
        judged = {"ok": False, "wrong": None, "next": config.check_every}

        def batches(step):
            return _to_tensors(task.sample(config.batch_size, train_rng), dtype)

        def loss_fn(net, batch):
            loss, correct, error = task.evaluate(net, batch)
            window.add(correct.cpu().tolist(), error.cpu().tolist())
            return loss

        def callback(step, net, history):
            seen_now = history.seen[-1] if history.seen else step * config.batch_size
            if task.judge is None:
                recent.append((seen_now, window.fraction_correct()))
                return window.satisfied()
            if seen_now >= judged["next"]:  # the paper's check: every fixed string, now and then
                while judged["next"] <= seen_now:
                    judged["next"] += config.check_every
                judged["ok"], judged["wrong"] = task.judge(net)
            recent.append((seen_now, 0.0 if judged["wrong"] is None else 1 - judged["wrong"] / 512))
            return judged["ok"]

        budget = config.rnn_budget if model == "rnn" else config.budget
        n_steps = math.ceil(budget / config.batch_size)
        if optimizer is not None:
            opt = optimizer(net.parameters())
        elif config.protocol == "1997":
            opt = torch.optim.SGD(net.parameters(), lr=config.lr)
        else:
            opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        if config.updates == "step":
            history = _train_online_1997(net, task, batches, config, callback, n_steps)
        else:
            history = train(net, batches, loss_fn, optimizer=opt, n_steps=n_steps, clip=clip,
                            device=dev, callback=callback, callback_every=1, record_every=1, progress=progress,
                            desc=f"{config.name} {model} seed {seed}")
        reached = window.satisfied() if task.judge is None else judged["ok"]
        seen = history.sequences_seen
        updates = history.step[-1] if history.step else 0
        if config.updates == "step":
            updates = history.metrics["step_updates"]
        # test on fresh sequences, in chunks
        wrong, test_loss = 0, 0.0
        with torch.no_grad():
            for lo in range(0, config.test_size, 512):
                n = min(512, config.test_size - lo)
                draw = task.test_sample or task.sample
                batch = {k: v.to(dev) for k, v in _to_tensors(draw(n, test_rng), dtype).items()}
                loss, correct, _ = task.evaluate(net, batch)
                wrong += int((~correct).sum())
                test_loss += float(loss) * n
        seconds = time.perf_counter() - start
    every = max(1, math.ceil(len(history.loss) / curve_points))
    curve = {
        "seen": [int(s) for s in history.seen[every - 1::every]],
        "loss": [round(float(v), 6) for v in _block_means(history.loss, every)],
        "recent_correct": [round(float(f), 4) for _, f in recent[every - 1::every]],
    }
    result = {
        "seed": seed,
        "reached": bool(reached),
        "sequences_to_criterion": seen if reached else None,
        "updates_to_criterion": int(updates) if reached else None,
        "sequences_seen": seen,
        "wrong_test": wrong,
        "test_size": config.test_size,
        "test_loss": round(test_loss / config.test_size, 6),
        "seconds": round(seconds, 2),
        "parameters": count_parameters(net),
        "curve": curve,
    }
    if task.judge is not None:
        result["wrong_fixed"] = task.judge(net)[1]
    return result


def _train_online_1997(net, task, batches, config, callback, n_steps):
    """The paper's online learning: one string at a time, the weights changed after every step of it.

    Uses :func:`lstm_helpers.cells.lstm1997.online_string`; returns a
    :class:`lstm_helpers.train.History` like :func:`lstm_helpers.train.train`,
    with ``metrics["step_updates"]``, the number of weight updates (one per
    step of every string) until the loop stopped.
    """
    if task.judge is None or not task.every_step:
        raise ValueError("updates='step' is implemented for the embedded Reber grammar on fixed strings "
                         "(task='reber_fixed')")
    history = History()
    start = time.perf_counter()
    updates = 0
    for step in range(1, n_steps + 1):
        batch = batches(step)
        length = int(batch["lengths"][0])
        loss, _ = online_string(net, batch["x"][0, :length], batch["targets"][0, :length], lr=config.lr)
        updates += length
        history.step.append(step)
        history.loss.append(loss)
        history.seen.append(step)
        history.grad_norm.append(float("nan"))
        with torch.no_grad():
            if callback(step, net, history):
                history.stopped_early = step < n_steps
                break
    history.metrics["step_updates"] = updates
    history.seconds = time.perf_counter() - start
    return history


def _block_means(values, every):
    values = np.asarray(values, dtype=float)
    n = len(values) // every * every
    return values[:n].reshape(-1, every).mean(axis=1) if n else values


# --------------------------------------------------------------------------- a whole experiment


def long_lags(config, models=("rnn", "lstm", "lstm_bf1"), seeds=(0, 1, 2), *, device="auto", threads=1,
              out=None, progress=True, log=print, command=None):
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
        See :func:`run_long_lag` (ignored on a GPU).
    out : str or pathlib.Path, optional
        Where to write the JSON (:func:`lstm_helpers.experiments.runner.store`).
        When the file exists and was made with the same configuration and
        seeds, the models of this call replace theirs and the others are kept
        (so models can be run one at a time).
    progress : bool
        Progress bars (written to stdout).
    log : callable or None
        Called with one line per finished run (default ``print``; None: silent).
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        The stored results: ``schema_version``, ``experiment``, ``name``,
        ``task``, ``config``, ``criterion``, ``optimizer``, ``seeds``,
        ``models`` (per model: ``runs`` and ``summary``), ``paper``,
        ``device``, ``device_name``, ``hardware``, ``threads``, ``version``,
        ``wall_seconds``, ``command``.
    """
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
            if log is not None:
                status = (f"criterion after {run['sequences_to_criterion']} sequences" if run["reached"]
                          else f"criterion not reached in {run['sequences_seen']} sequences")
                log(f"{config.name} {m} seed {s}: {status}; {run['wrong_test']}/{run['test_size']} wrong test "
                    f"sequences; {run['seconds']:.1f} s")
            runs.append(run)
        results[m] = {"runs": runs, "summary": summarize(runs, config.batch_size)}
    task = make_task(config)
    data = {
        "schema_version": runner.SCHEMA_VERSION,
        "experiment": EXPERIMENT,
        "name": config.name,
        "task": task.describe,
        "config": asdict(config),
        "criterion": task.criterion.format(**asdict(config)),
        "optimizer": (f"Adam (lr {config.lr}), gradient norm clipped to {config.clip}, batches of "
                      f"{config.batch_size}, {config.dtype}" if config.protocol == "modern" else
                      f"plain gradient descent (lr {config.lr}), online, "
                      f"{'an update after every step' if config.updates == 'step' else 'one update per sequence'}, "
                      f"{'truncated' if config.truncate else 'full'} gradient, no clipping, {config.dtype}"),
        "seeds": seeds,
        "models": results,
        "paper": PAPER.get(config.name),
        **runner.provenance(dev, threads, start, command),
    }
    if out is not None:
        out = pathlib.Path(out)
        if out.exists():
            try:
                old = runner._loads(out.read_text())
            except (OSError, ValueError):
                old = None
            if old and old.get("config") == data["config"] and old.get("seeds") == data["seeds"]:
                merged = dict(old.get("models", {}))
                merged.update(results)
                data["models"] = {m: merged[m] for m in MODELS if m in merged}
                data["wall_seconds"] = round(data["wall_seconds"] + old.get("wall_seconds", 0.0), 1)
        data = store(data, out)
    return data


# --------------------------------------------------------------------------- stored results


def upgrade(data):
    """A stored long-lag result brought to the current schema (see :func:`lstm_helpers.experiments.runner.migrate`).

    Adds ``schema_version``, recomputes each model's summary from its runs
    (:func:`lstm_helpers.experiments.runner.summarize`: the fields it had keep
    their values, the medians over every run are added) and brings the
    ``paper`` entry up to date from :data:`PAPER`. Runs stored before
    ``updates_to_criterion`` existed get it: their sequences to criterion
    divided by the batch size (one update per batch). The runs stay
    otherwise as they are.

    Parameters
    ----------
    data : dict
        As read from a file in ``book/data/long_lags``.

    Returns
    -------
    dict
    """
    data = dict(data)
    batch = data["config"]["batch_size"]

    def with_updates(run):
        if "updates_to_criterion" in run:
            return run
        seq = run["sequences_to_criterion"]
        items = list(run.items())
        at = [k for k, _ in items].index("sequences_to_criterion") + 1
        items.insert(at, ("updates_to_criterion", None if seq is None else seq // batch))
        return dict(items)

    data["models"] = {m: {**entry, "runs": [with_updates(r) for r in entry["runs"]]} for m, entry in
                      data["models"].items()}
    data["models"] = {m: {**entry, "summary": summarize(entry["runs"], batch)} for m, entry in data["models"].items()}
    data["paper"] = PAPER.get(data["name"])
    return data


# --------------------------------------------------------------------------- command line


def _add_arguments(p):
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--T", type=int, default=100, help="minimal sequence length of the adding problem")
    p.add_argument("--n-relevant", type=int, default=2, choices=(2, 3), help="temporal order: 2 or 3 symbols")
    p.add_argument("--p", type=int, help="very_long_lag: distractor symbols (default T)")
    p.add_argument("--protocol", default="modern", choices=PROTOCOLS,
                   help="modern (batches, Adam) or 1997 (online gradient descent, model lstm1997)")
    p.add_argument("--block-size", type=int, help="lstm1997: cells per memory block")
    p.add_argument("--full-gradient", action="store_true",
                   help="lstm1997: the full gradient, summed over each string, instead of the paper's truncated "
                        "one (a diagnostic)")
    p.add_argument("--per-string", action="store_true",
                   help="lstm1997: the truncated gradient summed over each string, one update per string, "
                        "instead of an update after every step (a diagnostic)")
    p.add_argument("--hidden", type=int, help="hidden units / memory cells")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--budget", type=int, help="maximal training sequences of an LSTM run")
    p.add_argument("--rnn-budget", type=int, help="maximal training sequences of an RNN run")
    p.add_argument("--window", type=int, help="recent sequences checked by the stopping criterion")
    p.add_argument("--test-size", type=int, help=f"test sequences (default {TEST_SIZE})")


def _make_config(args):
    config = default_config(args.task, T=args.T, n_relevant=args.n_relevant, quick=args.quick, p=args.p,
                            protocol=args.protocol)
    config = runner.override(config, args, ("hidden", "batch_size", "lr", "budget", "rnn_budget", "window",
                                            "test_size", "block_size"))
    if args.per_string or args.full_gradient:
        config.updates = "sequence"
    if args.full_gradient:
        config.truncate = False
    config.validate()
    return config


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    return long_lags(config, models, seeds, device=device, threads=threads, out=out, progress=progress, log=log,
                     command=command)


def _report(data):
    return runner.criterion_report(data, "model")


EXPERIMENT = "long_lags"

runner.register(runner.Experiment(
    name=EXPERIMENT, help="the 1997 long-time-lag experiments and their modern forms (--task)", models=MODELS,
    default_models=("rnn", "lstm", "lstm_bf1"), default_seeds=(0, 1, 2), add_arguments=_add_arguments,
    make_config=_make_config, run=_run, report=_report, upgrade=upgrade))
