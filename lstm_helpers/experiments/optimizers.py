"""The optimiser comparison, a task definition on :mod:`~lstm_helpers.experiments.runner`.

Run from the repository root; the two stored comparisons are::

    python -m lstm_helpers.experiments optimizers --task adding --out book/data/optimizers
    python -m lstm_helpers.experiments optimizers --task reber --out book/data/optimizers

which write ``adding_T100_lstm_chrono.json`` and ``reber_rnn.json``. Each run
trains a network of :mod:`~lstm_helpers.experiments.long_lags` on one of its
tasks: by default the chrono-initialised LSTM (``lstm_chrono`` of
:func:`~lstm_helpers.experiments.long_lags.make_model`) on the adding problem,
or the plain tanh RNN (``rnn``) on the embedded Reber grammar, whose lags a
plain RNN can bridge; with the sizes and stopping criterion of
:func:`~lstm_helpers.experiments.long_lags.default_config` (for the RNN on the
Reber grammar the LSTMs' budget rather than a quarter of it), but with one of
the optimisers of :mod:`lstm_helpers.optim` (``--models``, see
:data:`OPTIMIZERS`) at one learning rate (``--lrs``). A run is one (optimiser, learning rate,
seed); it records the sequences and weight updates until the criterion held
(or that it never did), the wrong sequences of a fresh test set, the seconds it
took and a learning curve. The stored result has one entry of ``models`` per
optimiser and learning rate, named ``"<optimiser>@<lr>"`` (e.g.
``"rmsprop@0.01"``), with the runs of every seed and their
:func:`~lstm_helpers.experiments.runner.summarize`.

Training and testing are those of
:func:`~lstm_helpers.experiments.long_lags.run_long_lag`; only the optimiser
and the gradient clipping differ, passed through its ``optimizer`` and ``clip``
arguments (:func:`run_optimizer`).
"""

from __future__ import annotations

import pathlib
import time
from dataclasses import asdict, dataclass, replace

from .. import optim
from .._checks import check_choice, check_int, check_positive
from ..utils import get_device
from . import long_lags, runner
from .long_lag_tasks import make_task
from .runner import store, summarize

__all__ = [
    "EXPERIMENT",
    "TASKS",
    "OPTIMIZERS",
    "DEFAULT_LRS",
    "OptimizerConfig",
    "default_config",
    "make_optimizer",
    "model_name",
    "run_optimizer",
    "run_optimizers",
]

EXPERIMENT = "optimizers"
TASKS = ("adding", "reber")
#: The network each task trains by default (see :func:`lstm_helpers.experiments.long_lags.make_model`).
DEFAULT_MODEL = {"adding": "lstm_chrono", "reber": "rnn"}

#: The optimisers compared: the class of :mod:`lstm_helpers.optim`, its settings besides
#: ``lr``, and whether the gradient norm is clipped to ``OptimizerConfig.clip`` first.
OPTIMIZERS = {
    "sgd": ("SGD", {}, False),
    "sgd_clip": ("SGD", {}, True),
    "momentum": ("SGD", {"momentum": 0.9}, False),
    "rmsprop": ("RMSprop", {}, False),
    "rmsprop_momentum": ("RMSprop", {"momentum": 0.9}, False),
    # Graves (2013), Sec. 4: centred, momentum 0.9, alpha 0.95, eps 1e-4 inside the root
    "rmsprop_centered": ("RMSprop", {"alpha": 0.95, "eps": 1e-4, "momentum": 0.9, "centered": True,
                                     "eps_inside_sqrt": True}, False),
    "adam": ("Adam", {}, False),
    # chapter 7's setting: Adam after clipping the gradient norm to 1
    "adam_clip": ("Adam", {}, True),
}

#: The learning rates of the sweep: half decades from 1e-4 to 1.
DEFAULT_LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)


@dataclass
class OptimizerConfig:
    """Everything that defines one optimiser comparison (one task, several optimisers and learning rates).

    Attributes
    ----------
    task : {"adding", "reber"}
    T : int
        Minimal length of the adding problem (ignored by ``"reber"``).
    model : {"rnn", "lstm", "lstm_bf1", "lstm_chrono", "lstm_nofg"}
        The network trained (:func:`lstm_helpers.experiments.long_lags.make_model`).
    optimizers : tuple of str
        Names from :data:`OPTIMIZERS`.
    lrs : tuple of float
        The learning rates of the sweep, each positive.
    hidden : int
        Memory cells of the LSTM.
    batch_size : int
        Sequences per weight update.
    clip : float
        Gradient-norm threshold of the optimisers that clip (``sgd_clip``, ``adam_clip``).
    budget : int
        Maximal number of training sequences of a run.
    window : int
        Number of most recent training sequences the stopping criterion looks at.
    max_error : float or None
        Bound on their mean absolute error (None: only their correctness counts).
    test_size : int
        Fresh test sequences counted at the end.
    dtype : {"float32", "float64"}
    """

    task: str = "adding"
    T: int = 100
    model: str = "lstm_chrono"
    optimizers: tuple = tuple(OPTIMIZERS)
    lrs: tuple = DEFAULT_LRS
    hidden: int = 16
    batch_size: int = 16
    clip: float = 1.0
    budget: int = 74_000
    window: int = 2000
    max_error: float | None = 0.01
    test_size: int = long_lags.TEST_SIZE
    dtype: str = "float32"

    def __post_init__(self):
        self.optimizers, self.lrs = tuple(self.optimizers), tuple(self.lrs)
        self.validate()

    def validate(self):
        """Raise ``ValueError`` naming the valid values unless every field is valid (run at construction)."""
        check_choice("task", self.task, TASKS)
        check_int("T", self.T, 10)
        check_choice("model", self.model, long_lags.MODELS)
        bad = [o for o in self.optimizers if o not in OPTIMIZERS]
        if bad or not self.optimizers:
            raise ValueError(f"optimizers must be one or more of {', '.join(OPTIMIZERS)}; "
                             f"got {', '.join(map(repr, bad)) or 'none'}")
        if not self.lrs:
            raise ValueError("lrs must hold at least one learning rate")
        for lr in self.lrs:
            check_positive("every learning rate of lrs", lr)
        for name in ("hidden", "batch_size", "budget", "window", "test_size"):
            check_int(name, getattr(self, name), 1)
        check_positive("clip", self.clip)
        if self.max_error is not None:
            check_positive("max_error", self.max_error)
        check_choice("dtype", self.dtype, ("float32", "float64"))

    @property
    def name(self) -> str:
        """File stem of the stored result, e.g. ``"adding_T100_lstm_chrono"`` or ``"reber_rnn"``."""
        task = f"adding_T{self.T}" if self.task == "adding" else self.task
        return f"{task}_{self.model}"

    def long_lag_config(self, lr):
        """The :class:`~lstm_helpers.experiments.long_lags.LongLagConfig` of a run at learning rate ``lr``."""
        return long_lags.LongLagConfig(self.task, T=self.T, hidden=self.hidden, batch_size=self.batch_size, lr=lr,
                                       clip=self.clip, budget=self.budget, rnn_budget=self.budget,
                                       window=self.window, max_error=self.max_error, test_size=self.test_size,
                                       dtype=self.dtype)


def default_config(task="adding", T=100, model=None, optimizers=tuple(OPTIMIZERS), lrs=DEFAULT_LRS, quick=False):
    """The configuration of a comparison: sizes, budget and criterion of a long-lag task.

    They come from :func:`lstm_helpers.experiments.long_lags.default_config`
    (16 units, batches of 16, the paper's number of sequences as the budget
    of every model, the RNN included; the adding problem's criterion on the
    last 2000 sequences, the Reber grammar's on the last 512); ``quick``
    takes its tiny sizes, for tests. ``model`` defaults to
    :data:`DEFAULT_MODEL` of the task.

    Raises
    ------
    ValueError
        If ``task`` or ``model`` is unknown, ``T`` is below 10, an optimiser is
        unknown or a learning rate is not positive.
    """
    check_choice("task", task, TASKS)
    model = DEFAULT_MODEL[task] if model is None else model
    base = long_lags.default_config(task, T=T, quick=quick)
    return OptimizerConfig(task, T=base.T, model=model, optimizers=tuple(optimizers), lrs=tuple(lrs), hidden=base.hidden,
                           batch_size=base.batch_size, clip=base.clip, budget=base.budget, window=base.window,
                           max_error=base.max_error, test_size=base.test_size, dtype=base.dtype)


def model_name(optimizer, lr):
    """The stored model name of one optimiser and learning rate, e.g. ``model_name("rmsprop", 0.01)``.

    >>> model_name("rmsprop", 0.01)
    'rmsprop@0.01'
    """
    check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    return f"{optimizer}@{lr:g}"


def make_optimizer(name, params, lr):
    """The optimiser ``name`` of :data:`OPTIMIZERS`: an instance of a class of :mod:`lstm_helpers.optim`.

    Parameters
    ----------
    name : str
        A key of :data:`OPTIMIZERS`.
    params : iterable
        The parameters to optimise.
    lr : float
        The learning rate.

    Returns
    -------
    torch.optim.Optimizer

    Raises
    ------
    ValueError
        If ``name`` is unknown.
    """
    check_choice("optimizer", name, tuple(OPTIMIZERS))
    cls, settings, _ = OPTIMIZERS[name]
    return getattr(optim, cls)(params, lr=lr, **settings)


def run_optimizer(config, optimizer="adam", lr=0.01, seed=0, device="cpu", threads=1, progress=False):
    """Train the chrono-initialised LSTM with one optimiser, learning rate and seed; test it.

    Parameters
    ----------
    config : OptimizerConfig
    optimizer : str
        A key of :data:`OPTIMIZERS`.
    lr : float
        The learning rate.
    seed : int
    device, threads, progress
        As for :func:`lstm_helpers.experiments.long_lags.run_long_lag`.

    Returns
    -------
    dict
        What :func:`~lstm_helpers.experiments.long_lags.run_long_lag` returns
        (``seed``, ``reached``, ``sequences_to_criterion``, ``sequences_seen``,
        ``wrong_test``, ``test_size``, ``seconds``, ``parameters``, ``curve``)
        with ``optimizer``, ``lr``, ``clip`` (None when unclipped),
        ``updates_to_criterion`` (None when the criterion was not reached)
        and ``updates_seen``.

    Raises
    ------
    ValueError
        If ``optimizer`` is unknown or ``lr`` is not positive.
    """
    check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    check_positive("lr", lr)
    config.validate()
    run = long_lags.run_long_lag(config.long_lag_config(lr), config.model, seed, device=device, threads=threads,
                                 progress=progress, optimizer=lambda params: make_optimizer(optimizer, params, lr),
                                 clip=config.clip if OPTIMIZERS[optimizer][2] else None)
    n = run["sequences_to_criterion"]
    return {"optimizer": optimizer, "lr": lr, "clip": config.clip if OPTIMIZERS[optimizer][2] else None, **run,
            "updates_to_criterion": None if n is None else -(-n // config.batch_size),
            "updates_seen": -(-run["sequences_seen"] // config.batch_size)}


def run_optimizers(config, models=None, seeds=(0, 1, 2), *, device="auto", threads=1, out=None, progress=True,
                   log=print, command=None):
    """Run every optimiser and learning rate of ``config`` with several seeds; write and return the results.

    Parameters
    ----------
    config : OptimizerConfig
    models : sequence of str, optional
        Optimisers to run instead of ``config.optimizers``.
    seeds : sequence of int
    device, threads, progress
        As for :func:`lstm_helpers.experiments.long_lags.long_lags`.
    out : str or pathlib.Path, optional
        Where to write the JSON (:func:`lstm_helpers.experiments.runner.store`).
    log : callable or None
        Called with one line per finished run.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        ``schema_version``, ``experiment``, ``name``, ``task``, ``model``,
        ``config``, ``criterion``, ``optimizers`` (the settings of each),
        ``seeds``, ``models`` (per ``"<optimiser>@<lr>"``: ``runs`` and
        ``summary``), ``device``, ``device_name``, ``hardware``, ``threads``,
        ``version``, ``wall_seconds``, ``command``.
    """
    if models is not None:
        config = replace(config, optimizers=tuple(models))
    seeds = [check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    dev = get_device(device)
    start = time.perf_counter()
    results = {}
    for opt in config.optimizers:
        for lr in config.lrs:
            name = model_name(opt, lr)
            runs = []
            for s in seeds:
                run = run_optimizer(config, opt, lr, s, device=dev, threads=threads if dev.type == "cpu" else None,
                                    progress=progress)
                if log is not None:
                    status = (f"criterion after {run['sequences_to_criterion']} sequences" if run["reached"]
                              else f"criterion not reached in {run['sequences_seen']} sequences")
                    log(f"{config.name} {name} seed {s}: {status}; {run['wrong_test']}/{run['test_size']} wrong "
                        f"test sequences; {run['seconds']:.1f} s")
                runs.append(run)
            results[name] = {"runs": runs, "summary": summarize(runs, config.batch_size)}
    task = make_task(config.long_lag_config(config.lrs[0]))
    data = {
        "schema_version": runner.SCHEMA_VERSION,
        "experiment": EXPERIMENT,
        "name": config.name,
        "task": task.describe,
        "model": config.model,
        "config": asdict(config),
        "criterion": task.criterion.format(window=config.window, max_error=config.max_error),
        "optimizers": {o: {"class": f"lstm_helpers.optim.{OPTIMIZERS[o][0]}", **OPTIMIZERS[o][1],
                           "clip": config.clip if OPTIMIZERS[o][2] else None} for o in config.optimizers},
        "seeds": seeds,
        "models": results,
        **runner.provenance(dev, threads, start, command),
    }
    if out is not None:
        data = store(data, pathlib.Path(out))
    return data


# --------------------------------------------------------------------------- command line


def _parse_lrs(text):
    try:
        lrs = [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        lrs = None
    if not lrs or any(not lr > 0 for lr in lrs):
        raise ValueError(f"--lrs must be comma-separated positive learning rates such as 0.001,0.01; got {text!r}")
    return tuple(dict.fromkeys(lrs))


def _add_arguments(p):
    p.add_argument("--task", default="adding", choices=TASKS)
    p.add_argument("--T", type=int, default=100, help="minimal sequence length of the adding problem")
    p.add_argument("--model", choices=long_lags.MODELS,
                   help="the network trained (default: " + ", ".join(f"{t}: {m}" for t, m in DEFAULT_MODEL.items())
                   + ")")
    p.add_argument("--lrs", default=",".join(f"{lr:g}" for lr in DEFAULT_LRS),
                   help="comma-separated learning rates of the sweep")
    p.add_argument("--hidden", type=int, help="memory cells")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--clip", type=float, help="gradient-norm threshold of sgd_clip and adam_clip")
    p.add_argument("--budget", type=int, help="maximal training sequences of a run")
    p.add_argument("--window", type=int, help="recent sequences checked by the stopping criterion")
    p.add_argument("--test-size", type=int, help=f"test sequences (default {long_lags.TEST_SIZE})")


def _make_config(args):
    config = default_config(args.task, T=args.T, model=args.model, lrs=_parse_lrs(args.lrs), quick=args.quick)
    return runner.override(config, args, ("hidden", "batch_size", "clip", "budget", "window", "test_size"))


def _run(config, models, seeds, *, out, device, threads, progress, log, command):
    return run_optimizers(config, models, seeds, device=device, threads=threads, out=out, progress=progress, log=log,
                          command=command)


def _report(data):
    return runner.criterion_report(data, "optimiser@lr")


runner.register(runner.Experiment(
    name=EXPERIMENT, help="optimisers and learning rates on the adding problem (chrono-initialised LSTM) "
                                 "and the embedded Reber grammar (plain RNN)",
    models=tuple(OPTIMIZERS), default_models=tuple(OPTIMIZERS), default_seeds=(0, 1, 2),
    add_arguments=_add_arguments, make_config=_make_config, run=_run, report=_report))
