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

Tasks (``--task``):

- ``adding``: the adding problem in its modern form
  (:func:`lstm_helpers.tasks.adding.adding_problem` with ``variant="modern"``, length
  ``--T``), squared error of the sum; predicting the mean scores 1/6.
- ``temporal_order``: the temporal order task with two relevant symbols
  (:func:`lstm_helpers.tasks.temporal.temporal_order`, 100 to 110 steps), cross-entropy
  over 4 classes; guessing scores ``ln 4``.

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
from .._checks import check_choice, check_int
from ..cells import VARIANTS, GRUCell, LSTMCell, Recurrent
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
    "make_model",
    "run_ablation_model",
    "run_ablation",
    "plot_ablation",
    "upgrade",
]

EXPERIMENT = "ablation"
TASKS = ("adding", "temporal_order")
#: The models of the ablation: the nine LSTM variants and the GRU.
MODELS = VARIANTS + ("GRU",)


@dataclass
class AblationConfig:
    """Everything that defines one ablation (one task, all models, several seeds).

    Attributes
    ----------
    task : {"adding", "temporal_order"}
    T : int
        Length of the adding problem (ignored by ``temporal_order``).
    hidden : int
        Hidden units ``H`` of every model.
    n_steps : int
        Adam steps per run.
    batch_size : int
        Sequences per step.
    lr : float
        Adam learning rate.
    clip : float
        Gradient-norm clipping threshold.
    test_size : int
        Sequences of the fixed test set.
    record_every : int
        The learning curve averages the training loss over this many steps.
    dtype : {"float32", "float64"}
    threads : int
        ``torch.set_num_threads`` during the runs (restored afterwards); 1
        makes results independent of the machine's thread count.
    forget_bias : float
        Passed to :class:`~lstm_helpers.cells.LSTMCell` (ignored by the GRU).
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

    def __post_init__(self):
        check_choice("task", self.task, TASKS)
        check_choice("dtype", self.dtype, ("float32", "float64"))
        for name in ("T", "hidden", "n_steps", "batch_size", "test_size", "record_every", "threads"):
            check_int(name, getattr(self, name), 2 if name == "T" else 1)
        for name in ("lr", "clip"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if isinstance(self.forget_bias, bool) or not isinstance(self.forget_bias, (int, float)):
            raise ValueError(f"forget_bias must be a number, got {self.forget_bias!r}")

    @property
    def name(self) -> str:
        """File stem of the stored result, e.g. ``"adding_T50"``."""
        return f"adding_T{self.T}" if self.task == "adding" else "temporal_order"

    @property
    def baseline(self) -> float:
        """The test loss of the best constant output: 1/6 (adding), ln 4 (temporal order)."""
        return 1.0 / 6.0 if self.task == "adding" else math.log(4.0)


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
    if name == "GRU":
        cell = GRUCell(input_size, hidden_size)
    else:
        cell = LSTMCell(input_size, hidden_size, variant=name, forget_bias=forget_bias)
    return SequenceClassifier(cell, output_size)


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
    seed); ``forward(x (S, N, ...), lengths (S, N))`` returns ``(S, N, ...)``.
    Adam works entry by entry, so one optimiser over the stacked parameters
    updates every slice exactly as ``S`` separate optimisers would; gradient
    clipping is done per slice by :meth:`clip_per_seed`. The point is speed:
    small recurrent models on a CPU spend their time in the per-operation
    overhead of the loop over time, which ``S`` models in one pass share.
    """

    def __init__(self, models):
        super().__init__()
        params, _ = torch.func.stack_module_state(models)
        self._names = list(params)
        self.stacked = torch.nn.ParameterList([torch.nn.Parameter(params[n].detach().clone()) for n in self._names])
        self._base = [copy.deepcopy(models[0]).to("meta")]  # a list: not registered as a submodule

    def forward(self, x, lengths):
        base, names = self._base[0], self._names

        def one(params, x, lengths):
            return torch.func.functional_call(base, dict(zip(names, params)), (x, lengths))

        return torch.func.vmap(one)(tuple(self.stacked), x, lengths)

    def clip_per_seed(self, max_norm):
        """Scale each seed's gradient so that its norm (over all its parameters) is at most ``max_norm``."""
        grads = [p.grad for p in self.stacked if p.grad is not None]
        if not grads:
            return
        sq = sum(g.reshape(g.shape[0], -1).pow(2).sum(dim=1) for g in grads)  # (S,)
        scale = (max_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.reshape(-1, *([1] * (g.dim() - 1))))


def run_ablation_model(config, model, seeds):
    """Train one model on several seeds (all seeds together) and measure each on its test set.

    Parameters
    ----------
    config : AblationConfig
    model : str
        One of :data:`MODELS`.
    seeds : sequence of int
        Seed ``s`` sets the training batches, the test set (seed ``s + 10000``)
        and the initial weights of its copy of the model, exactly as if it
        were trained alone (the seeds are trained side by side with
        ``torch.func.vmap``; each has its own weights, Adam state and gradient
        clipping). The global random state of the caller is left untouched.

    Returns
    -------
    list of dict
        One per seed: ``model``, ``seed``, ``parameters``, ``test_loss``
        (mean squared error or cross-entropy on the test set),
        ``test_accuracy`` (adding: fraction of sums within 0.04; temporal
        order: fraction of classes right), ``curve_steps`` and ``curve_loss``
        (training loss averaged over ``record_every`` steps), ``seconds``
        (wall time of the whole group, divided by the number of seeds).
    """
    check_choice("model", model, MODELS)
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    dtype = getattr(torch, config.dtype)
    loss_of = _loss(config.task)
    out_size = 1 if config.task == "adding" else 4
    in_size = 2 if config.task == "adding" else len(_tasks.TEMPORAL_ORDER_SYMBOLS)
    test = _stacked_data(config, config.test_size, [np.random.default_rng(s + 10_000) for s in seeds], dtype)
    data_rngs = [np.random.default_rng(s) for s in seeds]
    per_step = []  # training loss of each seed at each step

    def loss_fn(net, batch):
        x, y, lengths = batch
        out = net(x, lengths)
        losses = torch.stack([loss_of(out[k], y[k]) for k in range(len(seeds))])
        per_step.append(losses.detach().numpy().copy())
        return losses.sum()  # the seeds' parameters are separate: each gets its own gradient

    with pinned(config.threads):
        models = []
        default_dtype = torch.get_default_dtype()
        for s in seeds:
            with seeded(s, isolated=True):  # the caller's random states come back afterwards
                # initial weights drawn in float32 whatever the caller's default dtype, then cast
                torch.set_default_dtype(torch.float32)
                try:
                    net_s = make_model(model, in_size, config.hidden, out_size,
                                                forget_bias=config.forget_bias)
                finally:
                    torch.set_default_dtype(default_dtype)
                models.append(net_s.to(dtype))
        net = _SeedStack(models)
        optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
        optimizer.register_step_pre_hook(lambda opt, args, kwargs: net.clip_per_seed(config.clip))
        history = train(net, lambda step: _stacked_data(config, config.batch_size, data_rngs, dtype), loss_fn,
                        optimizer=optimizer, n_steps=config.n_steps, device="cpu",
                        record_every=config.record_every)
        with torch.no_grad():
            out = net(test[0], test[2])
    losses = np.array(per_step)  # (n_steps, S)
    every = config.record_every
    steps = list(range(every, config.n_steps + 1, every))
    runs = []
    for k, s in enumerate(seeds):
        curve = [float(losses[st - every:st, k].mean()) for st in steps]
        runs.append({
            "model": model, "seed": s, "parameters": count_parameters(models[k]),
            "test_loss": float(loss_of(out[k], test[1][k])), "test_accuracy": _accuracy(config, out[k], test[1][k]),
            "curve_steps": steps, "curve_loss": curve, "seconds": history.seconds / len(seeds),
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
        ``runs``, one dict per seed, see :func:`run_ablation_model`, and
        ``summary``, :func:`lstm_helpers.experiments.runner.summarize`),
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
        if log is not None:
            losses = ", ".join(f"{r['test_loss']:.4f}" for r in group)
            log(f"{m:8s} test losses {losses} ({sum(r['seconds'] for r in group):.1f} s)")
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
    ax.axhline(results["baseline"], color="black", ls="--", lw=1.2, label="best constant output")
    ax.set_xticks(positions)
    ax.set_xticklabels(models, rotation=45, ha="right")
    task = results["config"]["task"]
    ax.set_ylabel("test MSE" if task == "adding" else "test cross-entropy")
    top = max(max(max(v) for v in losses), results["baseline"])
    if logy:
        ax.set_yscale("log")
        ax.set_ylim(top=top * 6)  # room for the legend above the runs
    else:
        ax.set_ylim(top=top * 1.35)
    ax.set_title(title if title is not None else "", fontsize=12)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=10, ncol=2)
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


def _make_config(args):
    config = AblationConfig(task=args.task, T=args.T, hidden=args.hidden, n_steps=args.steps,
                            batch_size=args.batch_size, lr=args.lr, clip=args.clip, test_size=args.test_size,
                            record_every=args.record_every, dtype=args.dtype, threads=args.threads or 1,
                            forget_bias=args.forget_bias)
    if args.quick:
        config = replace(config, T=min(config.T, 6), hidden=3, n_steps=6, batch_size=4, test_size=16,
                         record_every=3)
    return config


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    if torch.device(device if device != "auto" else "cpu").type != "cpu":
        raise ValueError(f"the ablation runs on the CPU only; got --device {device}")
    return run_ablation(config, models, seeds, log=log, out=out, command=command)


def _report(data):
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
