"""The LSTM-variant ablation of Greff et al. (2017), in small: a task definition on
:mod:`~lstm_helpers.experiments.runner`.

Run from the repository root; this command stores ``book/data/ablation/adding_T50.json``
(the stored run took 42 minutes of wall time, on one CPU thread)::

    nice -n 10 python -m lstm_helpers.experiments ablation --task adding --T 50 --hidden 16 --steps 1500 \\
        --batch-size 64 --lr 0.01 --record-every 50 --seeds 0,1,2,3,4 --models all

Every run trains one recurrent network -- one of the nine LSTM variants of
:data:`lstm_helpers.cells.VARIANTS` or a GRU, unrolled by
:class:`lstm_helpers.cells.Recurrent`, with a linear read-out of the last
hidden state -- for a fixed number of Adam steps on freshly generated batches
of a task of :mod:`lstm_helpers.tasks`, using :func:`lstm_helpers.train.train`.
Then it measures the loss on a fixed test set. For a given seed every model
sees the same training batches and the same test set, so the models are
compared pair-wise, seed by seed; the seed also sets the initial weights.
Every model gets the same hyper-parameters (Greff et al. tuned them for each
variant by random search; we cannot afford that).

Two more stored results come from the same command: a learning-rate sweep
(``--lrs``: every model on every seed at each learning rate, stored as
``lr_sweep_<task>.json``; 14 minutes of wall time on one CPU thread)::

    python -m lstm_helpers.experiments ablation --task adding --T 50 --hidden 16 --steps 1200 --batch-size 32 \\
        --lrs 0.001,0.002,0.005,0.01,0.02,0.05,0.1 --record-every 50 --seeds 0,1,2 --models all

and the continual embedded Reber grammar (``--task continual_reber``, stored as
``continual_reber.json``; 8 minutes)::

    python -m lstm_helpers.experiments ablation --task continual_reber --T 50 --hidden 16 --steps 2000 \\
        --batch-size 16 --lr 0.01 --test-size 1000 --record-every 50 --seeds 0,1,2,3,4 --models all

Tasks (``--task``):

- ``adding``: the adding problem in its modern form
  (:func:`lstm_helpers.tasks.adding.adding_problem` with ``variant="modern"``, length
  ``--T``), squared error of the sum; predicting the mean scores 1/6.
- ``temporal_order``: the temporal order task with two relevant symbols
  (:func:`lstm_helpers.tasks.temporal.temporal_order`, 100 to 110 steps), cross-entropy
  over 4 classes; guessing scores ``ln 4``.
- ``continual_reber``: the continual embedded Reber grammar of Gers, Schmidhuber
  & Cummins (2000) (:class:`lstm_helpers.tasks.reber.ContinualReber`): the model
  predicts the legal next symbols at every step of endless streams of strings,
  with its state carried from one window of ``--T`` steps to the next and never
  reset (truncated backpropagation through time), trained with the binary
  cross-entropy of each symbol; it is tested on one held-out stream of
  ``--test-size`` strings per seed, again without a reset
  (:func:`run_continual_model`).

The JSON it writes holds the configuration, the seeds, per model its runs
(test loss, test accuracy, learning curve and wall time of each seed) and their
summary, the wall time of the whole ablation (``wall_seconds``), the hardware
and the package version, in the layout of every stored experiment (see
:mod:`lstm_helpers.experiments.runner`). The book reads it back with
``load("ablation", name)`` (:func:`lstm_helpers.experiments.runner.load`).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from .. import __version__
from .. import tasks as _tasks
from .._checks import check_choice, check_int, check_positive
from ..cells import VARIANTS, GRUCell, LSTMCell, Recurrent
from ..tasks.reber import REBER_SYMBOLS, ContinualReber, reber_correct
from ..train import count_parameters, train
from . import runner
from .runner import hardware, last_step, seeded, store, summarize
from .runner import threads as pinned

__all__ = [
    "TASKS",
    "MODELS",
    "EXPERIMENT",
    "AblationConfig",
    "SequenceClassifier",
    "StreamPredictor",
    "make_model",
    "make_stream_model",
    "run_ablation_model",
    "run_continual_model",
    "run_ablation",
    "plot_ablation",
    "plot_lr_sweep",
    "plot_continual",
    "upgrade",
]

EXPERIMENT = "ablation"
TASKS = ("adding", "temporal_order", "continual_reber")
#: The models of the ablation: the nine LSTM variants and the GRU.
MODELS = VARIANTS + ("GRU",)


@dataclass
class AblationConfig:
    """Everything that defines one ablation (one task, all models, several seeds).

    Attributes
    ----------
    task : {"adding", "temporal_order", "continual_reber"}
    T : int
        Length of the adding problem (ignored by ``temporal_order``); for
        ``continual_reber`` the steps of one window of truncated
        backpropagation through time.
    hidden : int
        Hidden units ``H`` of every model.
    n_steps : int
        Adam steps per run.
    batch_size : int
        Sequences per step (``continual_reber``: streams read side by side).
    lr : float
        Adam learning rate (ignored when ``lrs`` is given).
    clip : float
        Gradient-norm clipping threshold.
    test_size : int
        Sequences of the fixed test set (``continual_reber``: strings of the
        held-out stream).
    record_every : int
        The learning curve averages the training loss over this many steps.
    dtype : {"float32", "float64"}
    threads : int
        ``torch.set_num_threads`` during the runs (restored afterwards); 1
        makes results independent of the machine's thread count.
    forget_bias : float
        Passed to :class:`~lstm_helpers.cells.LSTMCell` (ignored by the GRU).
    lrs : tuple of float
        A learning-rate sweep: every model and seed is trained once at each
        of these Adam learning rates (all side by side). Empty: one run per
        seed at ``lr``.
    """

    task: str = "adding"
    T: int = 50
    hidden: int = 16
    n_steps: int = 1500
    batch_size: int = 32
    lr: float = 0.01
    clip: float = 1.0
    test_size: int = 1000
    record_every: int = 50
    dtype: str = "float64"
    threads: int = 1
    forget_bias: float = 0.0
    lrs: tuple = ()

    def __post_init__(self):
        check_choice("task", self.task, TASKS)
        check_choice("dtype", self.dtype, ("float32", "float64"))
        for name in ("T", "hidden", "n_steps", "batch_size", "test_size", "record_every", "threads"):
            check_int(name, getattr(self, name), 2 if name == "T" else 1)
        for name in ("lr", "clip"):
            check_positive(name, getattr(self, name))
        if isinstance(self.forget_bias, bool) or not isinstance(self.forget_bias, (int, float)):
            raise ValueError(f"forget_bias must be a number, got {self.forget_bias!r}")
        if isinstance(self.lrs, (str, bytes)) or not hasattr(self.lrs, "__iter__"):
            raise ValueError(f"lrs must be a sequence of positive numbers (or empty), got {self.lrs!r}")
        self.lrs = tuple(self.lrs)
        for value in self.lrs:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"lrs must hold positive numbers only, got {self.lrs!r}")
        if len(set(self.lrs)) != len(self.lrs):
            raise ValueError(f"lrs must not repeat a learning rate, got {self.lrs!r}")

    @property
    def name(self) -> str:
        """File stem of the stored result, e.g. ``"adding_T50"``, ``"lr_sweep_adding_T50"``, ``"continual_reber"``."""
        stem = f"adding_T{self.T}" if self.task == "adding" else self.task
        return f"lr_sweep_{stem}" if self.lrs else stem

    @property
    def baseline(self) -> float | None:
        """The test loss of the best constant output: 1/6 (adding), ln 4 (temporal order); None (continual Reber)."""
        if self.task == "continual_reber":
            return None
        return 1.0 / 6.0 if self.task == "adding" else math.log(4.0)

    def slices(self, seeds):
        """``(seed, lr)`` of every copy of a model trained side by side: the seeds at each learning rate."""
        if not self.lrs:
            return [(s, self.lr) for s in seeds]
        return [(s, lr) for lr in self.lrs for s in seeds]


class SequenceClassifier(torch.nn.Module):
    """A recurrent cell unrolled over the sequence, and a linear read-out of its last hidden state.

    Parameters
    ----------
    cell : torch.nn.Module
        A cell of :mod:`lstm_helpers.cells`.
    output_size : int
        1 for regression, the number of classes for classification.

    Notes
    -----
    ``forward(x (N, T, D), lengths (N,) or None) -> (N, output_size)``: the
    read-out looks at :math:`h_t` at step ``lengths[i]`` of each sequence
    (the last step when ``lengths`` is None). Padding after the end never
    influences the output.
    """

    def __init__(self, cell, output_size):
        super().__init__()
        self.rnn = Recurrent(cell, batch_first=True)
        self.readout = torch.nn.Linear(cell.hidden_size, output_size)

    def forward(self, x, lengths=None):
        h, _ = self.rnn(x)  # (N, T, H)
        return self.readout(last_step(h, lengths))


class StreamPredictor(torch.nn.Module):
    """A recurrent cell unrolled over a window of a stream, and a linear read-out at every step.

    Parameters
    ----------
    cell : torch.nn.Module
        A cell of :mod:`lstm_helpers.cells`.
    output_size : int
        Scores per step (7 for the Reber grammar: one logit per symbol).

    Notes
    -----
    ``forward(x (N, T, D), state=None) -> (scores (N, T, output_size), state)``:
    the state returned is the cell's state after the window, to be passed to
    the next window of the same streams (zeros when ``state`` is None).
    """

    def __init__(self, cell, output_size):
        super().__init__()
        self.rnn = Recurrent(cell, batch_first=True)
        self.readout = torch.nn.Linear(cell.hidden_size, output_size)

    def forward(self, x, state=None):
        h, state = self.rnn(x, state)  # (N, T, H)
        return self.readout(h), state


def _cell(name, input_size, hidden_size, forget_bias):
    if name == "GRU":
        return GRUCell(input_size, hidden_size)
    return LSTMCell(input_size, hidden_size, variant=name, forget_bias=forget_bias)


def make_stream_model(name, hidden_size, forget_bias=0.0):
    """One model of the continual Reber task: ``name`` (one of :data:`MODELS`) in a :class:`StreamPredictor`.

    It reads the 7 symbols of :data:`lstm_helpers.tasks.reber.REBER_SYMBOLS`
    one-hot and scores each of them at every step: ``x (N, T, 7)`` ->
    ``(N, T, 7)`` and the state after the window.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`MODELS` (the message lists them).
    """
    check_choice("model", name, MODELS)
    n = len(REBER_SYMBOLS)
    return StreamPredictor(_cell(name, n, hidden_size, forget_bias), n)


def make_model(name, input_size, hidden_size, output_size, forget_bias=0.0):
    """One model of the ablation: ``name`` is an LSTM variant of :data:`MODELS` or ``"GRU"``.

    ``forget_bias`` is passed to :class:`~lstm_helpers.cells.LSTMCell`.
    The model maps ``x (N, T, input_size)`` and ``lengths (N,)`` to ``(N, output_size)``.

    Returns
    -------
    SequenceClassifier

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`MODELS` (the message lists them).
    """
    check_choice("model", name, MODELS)
    return SequenceClassifier(_cell(name, input_size, hidden_size, forget_bias), output_size)


def _task_data(config, n, rng):
    """``(x, y, lengths)`` as NumPy arrays for ``n`` sequences of the configured task."""
    if config.task == "adding":
        return _tasks.adding_problem(n, config.T, rng, variant="modern")
    return _tasks.temporal_order(n, rng, n_relevant=2)


def _stacked_data(config, n, rngs, dtype):
    """One batch per seed, stacked: ``x (S, n, T, D)``, ``y (S, n)``, ``lengths (S, n)``."""
    parts = [_task_data(config, n, rng) for rng in rngs]
    x, y, lengths = (np.stack([p[k] for p in parts]) for k in range(3))
    target = torch.as_tensor(y, dtype=dtype) if config.task == "adding" else torch.as_tensor(y)
    return torch.as_tensor(x, dtype=dtype), target, torch.as_tensor(lengths)


def _loss(task):
    if task == "adding":
        return lambda out, y: torch.nn.functional.mse_loss(out[:, 0], y)
    return torch.nn.functional.cross_entropy


def _accuracy(config, out, y):
    if config.task == "adding":
        return float(np.mean(_tasks.adding_correct(out[:, 0].numpy(), y.numpy(), variant="modern",
                                                   tolerance=0.04)))
    return float(np.mean(out.argmax(dim=1).numpy() == y.numpy()))


class _SeedStack(torch.nn.Module):
    """``S`` copies of one model with independent weights, run as one with ``torch.func.vmap``.

    The parameters are stacked along a new first dimension (one slice per
    seed); ``forward(x (S, N, ...), lengths (S, N))`` returns ``(S, N, ...)``
    (every input, and every output, has the slice first: a stream model's
    ``forward(x, state)`` gets and returns a state of ``(S, N, H)`` tensors).
    Adam works entry by entry, so one optimiser over the stacked parameters
    updates every slice exactly as ``S`` separate optimisers would; gradient
    clipping is done per slice by :meth:`clip_per_seed`, and :meth:`optimizer`
    gives each slice its own learning rate. The point is speed:
    small recurrent models on a CPU spend their time in the per-operation
    overhead of the loop over time, which ``S`` models in one pass share.
    """

    def __init__(self, models):
        super().__init__()
        params, _ = torch.func.stack_module_state(models)
        self._names = list(params)
        self.stacked = torch.nn.ParameterList([torch.nn.Parameter(params[n].detach().clone()) for n in self._names])
        self._base = [copy.deepcopy(models[0]).to("meta")]  # a list: not registered as a submodule

    def forward(self, *inputs):
        base, names = self._base[0], self._names

        def one(params, *inputs):
            return torch.func.functional_call(base, dict(zip(names, params)), inputs)

        in_dims = (0, *(None if v is None else 0 for v in inputs))  # None (no state yet) is passed as is
        return torch.func.vmap(one, in_dims=in_dims)(tuple(self.stacked), *inputs)

    def optimizer(self, lrs, clip):
        """Adam over the stacked parameters, clipping each slice's gradient to ``clip`` before each step.

        ``lrs`` is one learning rate for every slice (a float), or one per
        slice (a list). With one per slice, Adam takes its step with
        learning rate 1 and each slice's change is then scaled by its own
        rate: Adam's step is proportional to the learning rate, so this is
        the step Adam would take with that rate (up to rounding).
        """
        if isinstance(lrs, (int, float)):
            optimizer = torch.optim.Adam(self.parameters(), lr=lrs)
            optimizer.register_step_pre_hook(lambda opt, args, kwargs: self.clip_per_seed(clip))
            return optimizer
        rates = torch.tensor([float(lr) for lr in lrs], dtype=self.stacked[0].dtype)
        before = []
        optimizer = torch.optim.Adam(self.parameters(), lr=1.0)

        def pre(opt, args, kwargs):
            self.clip_per_seed(clip)
            before[:] = [p.detach().clone() for p in self.stacked]

        def post(opt, args, kwargs):
            with torch.no_grad():
                for p, old in zip(self.stacked, before):
                    p.copy_(old + rates.reshape(-1, *([1] * (p.dim() - 1))) * (p - old))

        optimizer.register_step_pre_hook(pre)
        optimizer.register_step_post_hook(post)
        return optimizer

    def clip_per_seed(self, max_norm):
        """Scale each seed's gradient so that its norm (over all its parameters) is at most ``max_norm``."""
        grads = [p.grad for p in self.stacked if p.grad is not None]
        if not grads:
            return
        sq = sum(g.reshape(g.shape[0], -1).pow(2).sum(dim=1) for g in grads)  # (S,)
        scale = (max_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.reshape(-1, *([1] * (g.dim() - 1))))


def _repeat(tensors, times):
    """Each tensor ``(S, ...)`` repeated ``times`` times along the first dimension (the slices of a sweep)."""
    return tuple(t.repeat(times, *([1] * (t.dim() - 1))) for t in tensors)


def _build_stack(config, slices, build, dtype):
    """One model per slice, each seeded by its seed (so every learning rate starts from the same weights).

    The initial weights are drawn in float32 whatever the caller's default
    dtype, then cast; the caller's random states come back afterwards.
    Returns the models, their :class:`_SeedStack` and its optimiser.
    """
    models = []
    default_dtype = torch.get_default_dtype()
    for s, _ in slices:
        with seeded(s, isolated=True):
            torch.set_default_dtype(torch.float32)
            try:
                net_s = build()
            finally:
                torch.set_default_dtype(default_dtype)
        models.append(net_s.to(dtype))
    net = _SeedStack(models)
    optimizer = net.optimizer([lr for _, lr in slices] if config.lrs else config.lr, config.clip)
    return models, net, optimizer


def _curve(losses, k, config):
    every = config.record_every
    steps = list(range(every, config.n_steps + 1, every))
    return steps, [float(losses[st - every:st, k].mean()) for st in steps]


def run_ablation_model(config, model, seeds):
    """Train one model on several seeds (all seeds together) and measure each on its test set.

    Parameters
    ----------
    config : AblationConfig
        With ``task="continual_reber"`` this calls :func:`run_continual_model`.
    model : str
        One of :data:`MODELS`.
    seeds : sequence of int
        Seed ``s`` sets the training batches, the test set (seed ``s + 10000``)
        and the initial weights of its copy of the model, exactly as if it
        were trained alone (the seeds are trained side by side with
        ``torch.func.vmap``; each has its own weights, Adam state and gradient
        clipping). The global random state of the caller is left untouched.
        With ``config.lrs``, each seed is trained once at each learning rate,
        from the same initial weights and on the same batches.

    Returns
    -------
    list of dict
        One per seed (per learning rate and seed, learning rate by learning
        rate, for a sweep): ``model``, ``seed``, ``lr``, ``parameters``,
        ``test_loss`` (mean squared error or cross-entropy on the test set),
        ``test_accuracy`` (adding: fraction of sums within 0.04; temporal
        order: fraction of classes right), ``curve_steps`` and ``curve_loss``
        (training loss averaged over ``record_every`` steps), ``seconds``
        (wall time of the whole group, divided by the number of runs).
    """
    if config.task == "continual_reber":
        return run_continual_model(config, model, seeds)
    check_choice("model", model, MODELS)
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    slices = config.slices(seeds)
    times = len(slices) // len(seeds)
    dtype = getattr(torch, config.dtype)
    loss_of = _loss(config.task)
    out_size = 1 if config.task == "adding" else 4
    in_size = 2 if config.task == "adding" else len(_tasks.TEMPORAL_ORDER_SYMBOLS)
    test = _stacked_data(config, config.test_size, [np.random.default_rng(s + 10_000) for s in seeds], dtype)
    test = _repeat(test, times)
    data_rngs = [np.random.default_rng(s) for s in seeds]
    per_step = []  # training loss of each slice at each step

    def loss_fn(net, batch):
        x, y, lengths = batch
        out = net(x, lengths)
        losses = torch.stack([loss_of(out[k], y[k]) for k in range(len(slices))])
        per_step.append(losses.detach().numpy().copy())
        return losses.sum()  # the slices' parameters are separate: each gets its own gradient

    def batches(step):
        return _repeat(_stacked_data(config, config.batch_size, data_rngs, dtype), times)

    def build():
        return make_model(model, in_size, config.hidden, out_size, forget_bias=config.forget_bias)

    with pinned(config.threads):
        models, net, optimizer = _build_stack(config, slices, build, dtype)
        history = train(net, batches, loss_fn, optimizer=optimizer, n_steps=config.n_steps, device="cpu",
                        record_every=config.record_every)
        with torch.no_grad():
            out = net(test[0], test[2])
    losses = np.array(per_step)  # (n_steps, slices)
    runs = []
    for k, (s, lr) in enumerate(slices):
        steps, curve = _curve(losses, k, config)
        runs.append({
            "model": model, "seed": s, "lr": lr, "parameters": count_parameters(models[k]),
            "test_loss": float(loss_of(out[k], test[1][k])), "test_accuracy": _accuracy(config, out[k], test[1][k]),
            "curve_steps": steps, "curve_loss": curve, "seconds": history.seconds / len(slices),
        })
    return runs


def _test_stream(n_strings, seed):
    """The held-out stream of ``seed``: its first ``n_strings`` whole strings, ``(x (L, 7), y (L, 7), starts (L,))``."""
    streams = ContinualReber(1, np.random.default_rng(seed + 10_000))
    parts = []
    while sum(int(p.starts.sum()) for p in parts) <= n_strings:  # one start more: the last string is whole
        parts.append(streams.next(1000))
    x, y, starts = (np.concatenate([p[k][0] for p in parts]) for k in range(3))
    end = int(np.flatnonzero(starts)[n_strings])
    return x[:end], y[:end], starts[:end]


def _cell_state(state):
    """The memory of a state: ``c`` of an LSTM's ``(h, c)`` or ``(h, c, q)``, ``h`` of a GRU."""
    return state[1] if isinstance(state, tuple) else state


def _run_stream(net, x, state, bounds):
    """Run the stacked stream model over ``x (S, N, L, 7)`` in windows ending at ``bounds``, never resetting.

    Returns the scores ``(S, N, L, 7)`` and the median ``|c|`` (over units and streams) after each window, ``(S, windows)``.
    """
    outs, peaks = [], []
    with torch.no_grad():
        for t0, t1 in zip([0, *bounds[:-1]], bounds):
            out, state = net(x[:, :, t0:t1], state)
            outs.append(out)
            peaks.append(_cell_state(state).abs().flatten(1).median(dim=1).values)
    return torch.cat(outs, dim=2), torch.stack(peaks, dim=1)


def _steps_right(scores, targets):
    """Per step, whether the top-k scores are exactly the legal symbols (the rule of :func:`reber_correct`)."""
    L = scores.shape[0]
    return reber_correct(scores.reshape(L, 1, -1), targets.reshape(L, 1, -1), np.ones(L, dtype=np.int64))


def run_continual_model(config, model, seeds, chunk=500, blocks=10):
    """Train one model on the continual embedded Reber grammar (all seeds together) and test it on long streams.

    Training: ``config.batch_size`` endless streams per seed
    (:class:`lstm_helpers.tasks.reber.ContinualReber`, seeded by ``s``),
    read in windows of ``config.T`` steps; each Adam step backpropagates
    through one window, and the state after it is carried into the next
    (detached: truncated backpropagation through time). Nothing is ever
    reset. The loss is the binary cross-entropy of each of the 7 symbols
    being legal next.

    Test: one held-out stream per seed (seed ``s + 10000``), run from a
    zero state to its end without a reset: one warm-up string (the only
    string a network ever starts from a zero state, which training shows it
    just once, is not counted), then ``config.test_size`` strings. A string
    counts as right when every one of its steps is (the top-k rule of
    :func:`lstm_helpers.tasks.reber.reber_correct`).

    Parameters
    ----------
    config : AblationConfig
        With ``task="continual_reber"``.
    model : str
        One of :data:`MODELS`.
    seeds : sequence of int
    chunk : int
        Steps per window when running the test stream (the state is carried
        between windows, so this changes nothing but the points at which
        ``cell_median`` is measured).
    blocks : int
        The test strings are split into this many blocks of consecutive
        strings for ``block_accuracy``.

    Returns
    -------
    list of dict
        One per seed (per learning rate and seed for a sweep): ``model``,
        ``seed``, ``lr``, ``parameters``, ``test_loss`` (mean binary
        cross-entropy per symbol and step over the test stream),
        ``test_accuracy`` (fraction of the test strings right),
        ``strings_before_error`` (consecutive test strings right from the
        start of the stream; ``test_size`` when none is wrong),
        ``block_accuracy`` (fraction right in each of ``blocks`` blocks of
        consecutive strings, in stream order), ``cell_median`` and
        ``cell_steps`` (the median over units of ``|c_t|`` after each
        ``chunk`` steps of the test stream, of ``|h_t|`` for the GRU, and the
        steps at which it was measured), ``test_steps`` (of the test stream,
        warm-up string included), ``curve_steps`` and
        ``curve_loss`` (training loss averaged over ``record_every``
        steps), ``seconds``.

    Raises
    ------
    ValueError
        If ``config.task`` is not ``"continual_reber"``, ``model`` is
        unknown or ``seeds`` is empty.
    """
    if config.task != "continual_reber":
        raise ValueError(f"run_continual_model needs task='continual_reber', got {config.task!r}")
    check_choice("model", model, MODELS)
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    chunk, blocks = check_int("chunk", chunk, 1), check_int("blocks", blocks, 1)
    slices = config.slices(seeds)
    times = len(slices) // len(seeds)
    dtype = getattr(torch, config.dtype)
    streams = [ContinualReber(config.batch_size, np.random.default_rng(s)) for s in seeds]
    carried = [None]  # the state after the last window, detached
    per_step = []

    def batches(step):
        parts = [st.next(config.T) for st in streams]
        x, y = (torch.as_tensor(np.stack([p[k] for p in parts]), dtype=dtype) for k in (0, 1))
        return _repeat((x, y), times)

    def loss_fn(net, batch):
        x, y = batch
        out, state = net(x, carried[0])
        carried[0] = torch.utils._pytree.tree_map(torch.Tensor.detach, state)
        losses = torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none").mean(dim=(1, 2, 3))
        per_step.append(losses.detach().numpy().copy())
        return losses.sum()

    def build():
        return make_stream_model(model, config.hidden, forget_bias=config.forget_bias)

    tests = [_test_stream(config.test_size + 1, s) for s in seeds]  # one warm-up string more
    L = max(len(t[0]) for t in tests)
    x_test = np.zeros((len(seeds), 1, L, len(REBER_SYMBOLS)))
    for k, (x, _, _) in enumerate(tests):
        x_test[k, 0, :len(x)] = x  # zero padding after a shorter stream's end changes nothing before it
    with pinned(config.threads):
        models, net, optimizer = _build_stack(config, slices, build, dtype)
        history = train(net, batches, loss_fn, optimizer=optimizer, n_steps=config.n_steps, device="cpu",
                        record_every=config.record_every)
        x_stack = _repeat((torch.as_tensor(x_test, dtype=dtype),), times)[0]
        ends = [len(t[0]) for t in tests]  # each seed's stream ends there; zero padding follows
        windows = sorted(set(range(chunk, L, chunk)) | set(ends))
        scores, peaks = _run_stream(net, x_stack, None, windows)
    losses = np.array(per_step)
    runs = []
    for k, (s, lr) in enumerate(slices):
        x, y, starts = tests[k % len(seeds)]
        n = len(x)
        out = scores[k, 0, :n].numpy()
        bce = torch.nn.functional.binary_cross_entropy_with_logits(scores[k, 0, :n], torch.as_tensor(y, dtype=dtype))
        bounds = np.append(np.flatnonzero(starts), n)
        right = np.minimum.reduceat(_steps_right(out, y).astype(np.int64), bounds[:-1]).astype(bool)[1:]
        wrong = np.flatnonzero(~right)
        measured = [b for b in windows if b == n or (b < n and b % chunk == 0)]
        steps, curve = _curve(losses, k, config)
        runs.append({
            "model": model, "seed": s, "lr": lr, "parameters": count_parameters(models[k]),
            "test_loss": float(bce), "test_accuracy": float(right.mean()),
            "strings_before_error": int(wrong[0]) if len(wrong) else int(len(right)),
            "block_accuracy": [float(b.mean()) for b in np.array_split(right, blocks)],
            "cell_median": [float(peaks[k, windows.index(b)]) for b in measured], "cell_steps": measured, "test_steps": n,
            "curve_steps": steps, "curve_loss": curve, "seconds": history.seconds / len(slices),
        })
    return runs


def run_ablation(config, models=MODELS, seeds=(0, 1, 2), log=None, out=None, command=None):
    """Run every model on every seed.

    Parameters
    ----------
    config : AblationConfig
    models : sequence of str
        Subset of :data:`MODELS`.
    seeds : sequence of int
    log : callable, optional
        Called with one line of text after every model (e.g. ``print``).
    out : str or pathlib.Path, optional
        JSON file rewritten after every model with the results so far
        (:func:`lstm_helpers.experiments.runner.store`), so that an
        interrupted run keeps its work.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        ``schema_version``, ``experiment``, ``name``, ``config`` (as a dict),
        ``baseline``, ``seeds``, ``models`` (per model, in the order run:
        ``runs``, one dict per seed, see :func:`run_ablation_model` and
        :func:`run_continual_model`, and ``summary``,
        :func:`lstm_helpers.experiments.runner.summarize`; a learning-rate
        sweep adds ``by_lr``, one summary per learning rate with its ``lr``),
        ``wall_seconds``, ``hardware``, ``version``, ``command``.
    """
    models = list(models)
    for m in models:
        check_choice("model", m, MODELS)
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not models or not seeds:
        raise ValueError("models and seeds must not be empty")
    done = {}
    start = time.perf_counter()
    record = hardware()

    def results():
        return {
            "schema_version": runner.SCHEMA_VERSION, "experiment": EXPERIMENT, "name": config.name,
            "config": asdict(config), "baseline": config.baseline, "seeds": seeds, "models": dict(done),
            "wall_seconds": time.perf_counter() - start, "hardware": record, "version": __version__,
            "command": command,
        }

    for m in models:
        group = run_ablation_model(config, m, seeds)
        done[m] = {"runs": group, "summary": summarize(group)}
        if config.lrs:
            done[m]["by_lr"] = [{"lr": lr, **summarize([r for r in group if r["lr"] == lr])} for lr in config.lrs]
        if log is not None:
            if config.task == "continual_reber":
                shown = "strings right before the first error " + ", ".join(
                    f"{r['strings_before_error']}" for r in group)
            elif config.lrs:
                shown = "median test loss by lr " + ", ".join(
                    f"{e['lr']:g}: {e['test_loss_median']:.4f}" for e in done[m]["by_lr"])
            else:
                shown = "test losses " + ", ".join(f"{r['test_loss']:.4f}" for r in group)
            log(f"{m:8s} {shown} ({sum(r['seconds'] for r in group):.1f} s)")
        if out is not None:
            store(results(), out)
    return results()


def plot_ablation(results, ax=None, title=None, logy=True, models=None):
    """Box plot of the test losses of each model, with every run drawn as a dot.

    Parameters
    ----------
    results : dict
        As returned by :func:`run_ablation` or ``load("ablation", name)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of 7 x 4 inches is created if omitted.
    title : str, optional
    logy : bool
        Logarithmic loss axis (the losses span orders of magnitude).
    models : sequence of str, optional
        Which models to show, in this order (default: all, in the stored order).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``models`` names a model that is not in ``results``.
    """
    import matplotlib.pyplot as plt

    stored = list(results["models"])
    models = stored if models is None else list(models)
    for m in models:
        check_choice("model", m, stored)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    losses = [[r["test_loss"] for r in results["models"][m]["runs"]] for m in models]
    positions = np.arange(1, len(models) + 1)
    ax.boxplot(losses, positions=positions, widths=0.6, showfliers=False,
               medianprops={"color": "#D55E00", "lw": 2}, boxprops={"color": "#555555"},
               whiskerprops={"color": "#555555"}, capprops={"color": "#555555"})
    jitter = np.random.default_rng(0)
    for pos, vals in zip(positions, losses):
        offsets = jitter.uniform(-0.15, 0.15, size=len(vals))
        ax.scatter(pos + offsets, vals, s=22, color="#0072B2", alpha=0.8, zorder=3,
                   label="one seed" if pos == 1 else None)
    if results.get("baseline") is not None:
        ax.axhline(results["baseline"], color="black", ls="--", lw=1.2, label="best constant output")
    ax.set_xticks(positions)
    ax.set_xticklabels(models, rotation=45, ha="right")
    task = results["config"]["task"]
    ax.set_ylabel("test MSE" if task == "adding" else "test cross-entropy")
    top = max(max(max(v) for v in losses), results.get("baseline") or 0.0)
    if logy:
        ax.set_yscale("log")
        ax.set_ylim(top=top * 6)  # room for the legend above the runs
    else:
        ax.set_ylim(top=top * 1.35)
    ax.set_title(title if title is not None else "", fontsize=12)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=10, ncol=2)
    return ax


def plot_lr_sweep(results, axes=None, models=None, reference="vanilla", logy=True):
    """Test loss against learning rate, one panel per model: every seed as a dot, the median over seeds as a line.

    Parameters
    ----------
    results : dict
        A stored learning-rate sweep (``load("ablation", "lr_sweep_adding_T50")``,
        or :func:`run_ablation` with ``config.lrs``).
    axes : sequence of matplotlib.axes.Axes, optional
        One per model; by default a grid of panels, five per row, sharing both axes.
    models : sequence of str, optional
        Which models to draw, in this order (default: all, in the stored order).
    reference : str or None
        A model whose median is drawn in grey in every panel, for comparison.
    logy : bool
        Logarithmic loss axis.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The panels, one per model, in the order of ``models``.

    Raises
    ------
    ValueError
        If ``results`` is not a learning-rate sweep, or ``models`` or
        ``reference`` names a model that is not in it, or ``axes`` has not
        one panel per model.
    """
    import matplotlib.pyplot as plt

    lrs = results["config"].get("lrs") or []
    if not lrs:
        raise ValueError("results must be a learning-rate sweep (a stored result whose config has lrs)")
    stored = list(results["models"])
    models = stored if models is None else list(models)
    for m in models + ([reference] if reference is not None else []):
        check_choice("model", m, stored)

    def per_lr(m):
        runs = results["models"][m]["runs"]
        return np.array([[r["test_loss"] for r in runs if r["lr"] == lr] for lr in lrs])  # (lrs, seeds)

    if axes is None:
        cols = min(5, len(models))
        rows = -(-len(models) // cols)
        _, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.9 * rows), sharex=True, sharey=True,
                               squeeze=False)
        for extra in axes.flat[len(models):]:
            extra.set_visible(False)
    axes = np.asarray(axes, dtype=object).ravel()[:len(models)]
    if len(axes) != len(models):
        raise ValueError(f"axes must hold one panel per model ({len(models)}), got {len(axes)}")
    task = results["config"]["task"]
    label = {"adding": "test MSE", "temporal_order": "test cross-entropy"}.get(task, "test loss")
    for ax, m in zip(axes, models):
        values = per_lr(m)
        if reference is not None and m != reference:
            ax.plot(lrs, np.median(per_lr(reference), axis=1), color="0.6", lw=1.5, label=f"{reference} (median)")
        for k in range(values.shape[1]):
            ax.scatter(lrs, values[:, k], s=16, color="#0072B2", alpha=0.6, zorder=3,
                       label="one seed" if k == 0 else None)
        ax.plot(lrs, np.median(values, axis=1), color="#D55E00", lw=2, marker="o", ms=4, zorder=4, label="median")
        if results.get("baseline") is not None:
            ax.axhline(results["baseline"], color="black", ls="--", lw=1, label="best constant output")
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_title(m, fontsize=12)
        ax.grid(True, alpha=0.3)
    for ax in axes:
        if ax.get_subplotspec() is None or ax.get_subplotspec().is_last_row():
            ax.set_xlabel("learning rate")
        if ax.get_subplotspec() is None or ax.get_subplotspec().is_first_col():
            ax.set_ylabel(label)
    shown = next((ax for ax, m in zip(axes, models) if m != reference), axes[0])  # a panel with every line
    shown.legend(fontsize=8, loc="lower left")
    return axes


_CONTINUAL_MEASURES = ("test_accuracy", "block_accuracy", "cell_median")


def plot_continual(results, ax=None, models=None, measure="block_accuracy", title=None):
    """The continual Reber task along the held-out stream, one line per model (median over seeds, range shaded).

    Parameters
    ----------
    results : dict
        A stored continual Reber result (``load("ablation", "continual_reber")``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure of 7 x 4.5 inches is created if omitted.
    models : sequence of str, optional
        Which models to draw, in this order (default: all, in the stored order).
    measure : {"test_accuracy", "block_accuracy", "cell_median"}
        ``"test_accuracy"``: the fraction of the test strings right, one
        column per model, every seed a dot (each seed's strings right
        before its first error are drawn as a hollow circle when fewer than
        all). ``"block_accuracy"``: the fraction of strings right in each block of
        consecutive test strings, against the strings read so far.
        ``"cell_median"``: the median over units of ``|c_t|`` (of ``|h_t|``
        for the GRU) against the steps read so far (log scale).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``results`` is not a continual Reber result, ``measure`` is
        unknown or ``models`` names a model that is not in it.
    """
    import matplotlib.pyplot as plt

    if results["config"]["task"] != "continual_reber":
        raise ValueError(f"results must be a continual_reber result, got task {results['config']['task']!r}")
    check_choice("measure", measure, _CONTINUAL_MEASURES)
    stored = list(results["models"])
    models = stored if models is None else list(models)
    for m in models:
        check_choice("model", m, stored)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    n = results["config"]["test_size"]
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if measure == "test_accuracy":
        jitter = np.random.default_rng(0)
        for i, m in enumerate(models):
            runs = results["models"][m]["runs"]
            offsets = jitter.uniform(-0.15, 0.15, size=len(runs))
            ax.scatter(i + offsets, [r["test_accuracy"] for r in runs], s=30, color="#0072B2", zorder=3,
                       label="one seed: fraction of the strings right" if i == 0 else None)
            ax.scatter(i + offsets, [r["strings_before_error"] / n for r in runs], s=40, facecolors="none",
                       edgecolors="#D55E00", zorder=3, label="one seed: strings right before the first error / "
                       f"{n}" if i == 0 else None)
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models, rotation=45, ha="right")
        ax.set_ylabel(f"of the {n} test strings")
        ax.set_ylim(-0.05, 1.3)
        ax.set_title(title if title is not None else "", fontsize=12)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=9, loc="upper left")
        return ax
    for i, m in enumerate(models):
        runs = results["models"][m]["runs"]
        if measure == "block_accuracy":
            values = np.array([r["block_accuracy"] for r in runs])  # (seeds, blocks)
            xs = np.array([len(b) for b in np.array_split(np.arange(n), values.shape[1])]).cumsum()
        else:
            length = min(len(r["cell_steps"]) for r in runs)  # the streams of the seeds differ in length
            values = np.array([r["cell_median"][:length] for r in runs])
            xs = np.array(runs[0]["cell_steps"][:length])
        color = palette[i % len(palette)]
        ax.plot(xs, np.median(values, axis=0), marker="o" if measure == "block_accuracy" else None, ms=4, lw=1.8,
                color=color, ls="-" if i < len(palette) else "--", label=m)
        ax.fill_between(xs, values.min(axis=0), values.max(axis=0), color=color, alpha=0.06, lw=0)
    if measure == "block_accuracy":
        ax.set_xlabel("test strings read (end of each block)")
        ax.set_ylabel(f"fraction of the block's strings right\n(median of {len(results['seeds'])} seeds)")
        ax.set_ylim(-0.03, 1.03)
    else:
        ax.set_xlabel("steps of the test stream read")
        ax.set_ylabel(f"median |c_t| over units\n(median of {len(results['seeds'])} seeds)")
        ax.set_yscale("log")
    ax.set_title(title if title is not None else "", fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, ncol=2)
    return ax


def upgrade(data):
    """A stored ablation brought to the current schema (see :func:`lstm_helpers.experiments.runner.migrate`).

    Adds ``schema_version``, ``experiment`` and ``name`` (from the
    configuration), renames ``seconds`` (the wall time of the whole ablation)
    to ``wall_seconds`` as in every experiment, and brings the runs into the
    layout of every stored experiment: schema versions 0 and 1 kept a list of
    model names in ``models``, one flat list of runs in ``runs`` and the
    summaries in ``summary``; version 2 keeps ``models: {name: {"runs": [...],
    "summary": {...}}}``, the models in their stored order, each model's runs
    in their stored order. The summaries are recomputed with
    :func:`lstm_helpers.experiments.runner.summarize` (the same statistics of
    the same runs). No run changes. A file already in the current layout
    comes back unchanged.

    Parameters
    ----------
    data : dict
        As read from a file in ``book/data/ablation``.

    Returns
    -------
    dict
    """
    data = dict(data)
    name = AblationConfig(**data["config"]).name
    if "seconds" in data:
        data["wall_seconds"] = data.pop("seconds")
    if "runs" in data:  # schema 0 and 1: a list of names, one flat list of runs, a separate summary
        runs = data.pop("runs")
        data.pop("summary", None)
        order = list(dict.fromkeys([*data.get("models", []), *(r["model"] for r in runs)]))
        data["models"] = {m: {"runs": [r for r in runs if r["model"] == m]} for m in order}
        data["models"] = {m: entry for m, entry in data["models"].items() if entry["runs"]}
    data["models"] = {m: {**entry, "summary": summarize(entry["runs"])} for m, entry in data["models"].items()}
    head = {"experiment": EXPERIMENT, "name": name}
    return {**head, **{k: v for k, v in data.items() if k not in head}}


# --------------------------------------------------------------------------- command line


def _add_arguments(p):
    defaults = AblationConfig()
    p.add_argument("--task", default=defaults.task, choices=TASKS)
    p.add_argument("--T", type=int, default=defaults.T, help="length of the adding problem")
    p.add_argument("--hidden", type=int, default=defaults.hidden)
    p.add_argument("--steps", type=int, default=defaults.n_steps, help="Adam steps per run")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--clip", type=float, default=defaults.clip)
    p.add_argument("--test-size", type=int, default=defaults.test_size)
    p.add_argument("--record-every", type=int, default=defaults.record_every)
    p.add_argument("--dtype", default=defaults.dtype, choices=("float32", "float64"))
    p.add_argument("--forget-bias", type=float, default=defaults.forget_bias)
    p.add_argument("--lrs", default="", help="a learning-rate sweep: comma-separated learning rates, e.g. "
                   "0.001,0.01,0.1 (replaces --lr)")


def _parse_lrs(text):
    parts = [v.strip() for v in str(text).split(",") if v.strip()]
    try:
        return tuple(float(v) for v in parts)
    except ValueError:
        raise ValueError(f"--lrs must be comma-separated positive numbers such as 0.001,0.01,0.1; got {text!r}") \
            from None


def _make_config(args):
    config = AblationConfig(task=args.task, T=args.T, hidden=args.hidden, n_steps=args.steps,
                            batch_size=args.batch_size, lr=args.lr, clip=args.clip, test_size=args.test_size,
                            record_every=args.record_every, dtype=args.dtype, threads=args.threads or 1,
                            forget_bias=args.forget_bias, lrs=_parse_lrs(args.lrs))
    if args.quick:
        config = replace(config, T=min(config.T, 6), hidden=3, n_steps=6, batch_size=4, test_size=16,
                         record_every=3)
    return config


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    if torch.device(device if device != "auto" else "cpu").type != "cpu":
        raise ValueError(f"the ablation runs on the CPU only; got --device {device}")
    return run_ablation(config, models, seeds, log=log, out=out, command=command)


def _report(data):
    if data["config"]["task"] == "continual_reber":
        lines = [f"{'model':8s} {'runs':>4s} {'fraction right':>14s}   strings right before the first error (each seed)"]
        for m, entry in data["models"].items():
            runs = entry["runs"]
            lines.append(f"{m:8s} {len(runs):4d} {entry['summary']['test_accuracy_mean']:14.3f}   "
                         + " ".join(str(r["strings_before_error"]) for r in runs))
        return "\n".join(lines)
    if data["config"].get("lrs"):
        lrs = data["config"]["lrs"]
        lines = [f"{'model':8s} median test loss at each learning rate: " + " ".join(f"{lr:>8g}" for lr in lrs)]
        for m, entry in data["models"].items():
            lines.append(f"{m:8s} {'':39s}" + " ".join(f"{e['test_loss_median']:8.4f}" for e in entry["by_lr"]))
        return "\n".join(lines)
    lines = [f"{'model':8s} {'runs':>4s} {'median':>8s} {'min':>8s} {'max':>8s} {'accuracy':>8s}   "
             f"(test loss; baseline {data['baseline']:.4f})"]
    for m, entry in data["models"].items():
        s = entry["summary"]
        lines.append(f"{m:8s} {s['n_runs']:4d} {s['test_loss_median']:8.4f} {s['test_loss_min']:8.4f} "
                     f"{s['test_loss_max']:8.4f} {s['test_accuracy_mean']:8.3f}")
    return "\n".join(lines)


runner.register(runner.Experiment(
    name=EXPERIMENT, help="the LSTM-variant ablation (nine variants and a GRU on one task)", models=MODELS,
    default_models=MODELS, default_seeds=(0, 1, 2), add_arguments=_add_arguments, make_config=_make_config,
    run=_run, report=_report, upgrade=upgrade))
