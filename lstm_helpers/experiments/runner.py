"""The one experiment runner: what every stored experiment of the book shares.

Every experiment whose results the book stores in ``book/data/<experiment>/``
runs through this module, with one command-line convention::

    python -m lstm_helpers.experiments <experiment> --models a,b --seeds 0,1,2 [--quick] [--out DIR] \\
        [--threads N] [--device auto] [--no-progress] [experiment-specific options]
    python -m lstm_helpers.experiments migrate [--dir DIR]

``--models`` is a comma-separated list of the experiment's model names (or
``all``), ``--seeds`` a comma-separated list of non-negative integers,
``--quick`` a tiny configuration for tests, ``--out`` the folder the JSON file
``<name>.json`` is written to (default ``book/data/<experiment>/``, see
:func:`lstm_helpers.utils.data_dir`). ``migrate`` brings stored files written
by earlier versions of the package to :data:`SCHEMA_VERSION` without
changing any result.

What the runner owns
--------------------
- configuration checks at construction: each experiment's configuration is a
  dataclass whose ``__post_init__`` raises ``ValueError`` naming the valid
  choices or ranges (``lstm_helpers._checks``);
- seeding (:func:`seeded`, built on :func:`lstm_helpers.utils.set_seed`) and thread
  pinning (:func:`lstm_helpers.utils.pin_threads`, via :func:`threads`);
- the hardware record (:func:`hardware`);
- progress: the training loop's bars (``progress``) and one line per
  finished model or run (``log``);
- storage: :func:`store` writes a result with ``schema_version`` and
  ``experiment``; :func:`load` reads one back and refuses an unknown schema;
- summaries of the runs of one model (:func:`summarize`);
- the shared read-out at the last step of each sequence (:func:`last_step`);
- the command line (:func:`main`).

The stored layout
-----------------
Every stored result is one JSON object with ``schema_version``,
``experiment``, ``name``, ``config``, ``seeds`` and
``models: {model name: {"runs": [one dict per seed], "summary": {...}}}``
(``summary`` is :func:`summarize` of the runs), followed by what the
experiment adds (the hardware record, wall times, the command, ...).
Schema history: version 1 added ``schema_version`` and ``experiment`` to
the files; version 2 gave the ablation the ``models`` layout above (it had
kept a list of names in ``models``, one flat list of ``runs`` and a separate
``summary``).

Adding an experiment
--------------------
A task definition (a module of this package, such as
:mod:`~lstm_helpers.experiments.long_lags` or
:mod:`~lstm_helpers.experiments.ablation`; later an optimiser comparison or
GPU benchmarks) defines

1. a configuration dataclass checked in ``__post_init__`` with a ``name``
   property (the file stem of the stored result);
2. its models, built by ``make_model(name, input_size, hidden_size,
   output_size, ...)`` and listed in a tuple of names;
3. its training step: a function that trains one model on some seeds and
   returns one dict per run;
4. a function ``run(config, models, seeds, *, out, device, threads,
   progress, log, command) -> dict`` that assembles the result (calling
   :func:`store` when ``out`` is given);

and registers an :class:`Experiment` with :func:`register`: the
sub-command's name, the model names, the defaults, ``add_arguments(parser)``
for its own options, ``make_config(args)`` from the parsed options (``args``
carries ``quick``), the ``run`` function, ``report(data) -> str`` printed at
the end, and ``upgrade(data) -> dict`` that turns a stored file of an older
schema into the current one. :mod:`lstm_helpers.experiments` imports the
task modules, so their commands exist as soon as the package is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pathlib
import platform
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from .._checks import check_choice, check_int
from ..utils import data_dir, load_stored, pin_threads, set_seed

__all__ = [
    "SCHEMA_VERSION",
    "EXPERIMENTS",
    "Experiment",
    "register",
    "seeded",
    "threads",
    "hardware",
    "provenance",
    "last_step",
    "summarize",
    "store",
    "load",
    "migrate",
    "parse_models",
    "parse_seeds",
    "main",
]

#: Version of the layout of the stored JSON files; :func:`load` refuses any other.
SCHEMA_VERSION = 2

#: The registered experiments, by sub-command name (filled by :func:`register`).
EXPERIMENTS: dict = {}


@dataclass(frozen=True)
class Experiment:
    """One experiment as the runner sees it (see the module docstring).

    Attributes
    ----------
    name : str
        Sub-command and sub-folder of ``book/data``.
    help : str
        One line for ``--help``.
    models : tuple of str
        Valid names for ``--models``.
    default_models : tuple of str
    default_seeds : tuple of int
    add_arguments : callable
        ``add_arguments(parser)`` adds the experiment's own options.
    make_config : callable
        ``make_config(args) -> config`` from the parsed options; raises ``ValueError``.
    run : callable
        ``run(config, models, seeds, *, out, device, threads, progress, log, command) -> dict``.
    report : callable
        ``report(data) -> str``, printed after the run.
    upgrade : callable
        ``upgrade(data) -> dict``: a stored result of an older schema brought to :data:`SCHEMA_VERSION`.
    """

    name: str
    help: str
    models: tuple
    default_models: tuple
    default_seeds: tuple
    add_arguments: Callable
    make_config: Callable
    run: Callable
    report: Callable
    upgrade: Callable = field(default=lambda data: data)


def register(experiment):
    """Add ``experiment`` (an :class:`Experiment`) to :data:`EXPERIMENTS`; return it."""
    if not isinstance(experiment, Experiment):
        raise ValueError(f"register expects an Experiment, got {type(experiment).__name__}")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


# --------------------------------------------------------------------------- seeds, threads, hardware


@contextlib.contextmanager
def seeded(seed, isolated=False):
    """Seed Python, NumPy and PyTorch with :func:`lstm_helpers.utils.set_seed` for the ``with`` block.

    Parameters
    ----------
    seed : int
        A non-negative integer.
    isolated : bool
        Restore the caller's random states (Python's, NumPy's global one and
        PyTorch's CPU generator) when the block ends, so that a run leaves
        the caller's random draws untouched. False leaves the seeded state
        behind, as a bare ``set_seed(seed)`` would.

    Yields
    ------
    numpy.random.Generator
        ``numpy.random.default_rng(seed)``.
    """
    seed = check_int("seed", seed, 0)
    if not isolated:
        yield set_seed(seed)
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        try:
            yield set_seed(seed)
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def threads(n):
    """A context manager running PyTorch and BLAS on ``n`` threads (:class:`lstm_helpers.pin_threads`).

    ``n = None`` leaves the thread counts alone. Raises ``ValueError`` unless
    ``n`` is None or a positive integer.
    """
    if n is None:
        return contextlib.nullcontext()
    return pin_threads(check_int("threads", n, 1))


def _cpu_name():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware(device=None):
    """The hardware record stored with every result.

    Parameters
    ----------
    device : torch.device or str, optional
        The device the runs used; a CUDA device adds ``gpu``.

    Returns
    -------
    dict
        ``platform``, ``machine``, ``cpu``, ``cpu_count``, ``python``,
        ``torch``, ``numpy`` (and ``gpu``).
    """
    info = {"platform": platform.platform(), "machine": platform.machine(), "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__}
    if device is not None and torch.device(device).type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def provenance(device, threads, start, command=None):
    """The fields every stored result ends with: where, with what and how long it ran, and how to rerun it.

    Parameters
    ----------
    device : torch.device
        The device the runs used.
    threads : int or None
        CPU threads of the runs (stored as None on a GPU).
    start : float
        ``time.perf_counter()`` when the experiment began.
    command : str, optional
        The command line, stored for reference.

    Returns
    -------
    dict
        ``device`` (its type), ``device_name`` (the GPU's name, else the
        CPU's), ``hardware`` (:func:`hardware`), ``threads``, ``version`` (of
        the package), ``wall_seconds`` and ``command``.
    """
    from .. import __version__

    device = torch.device(device)
    record = hardware(device)
    return {"device": device.type, "device_name": record.get("gpu", record["cpu"]), "hardware": record,
            "threads": threads if device.type == "cpu" else None, "version": __version__,
            "wall_seconds": round(time.perf_counter() - start, 1), "command": command}


# --------------------------------------------------------------------------- models and summaries


def last_step(h, lengths=None):
    """The hidden state at the last step of each sequence.

    Parameters
    ----------
    h : torch.Tensor, shape (N, T, H)
        Hidden states of every step, batch first.
    lengths : torch.Tensor of int, shape (N,), optional
        Length of each sequence (1 to T); None: every sequence has length T.

    Returns
    -------
    torch.Tensor, shape (N, H)
        ``h[i, lengths[i] - 1]``. Padding after a sequence's end cannot change
        it, since the network runs forward in time.
    """
    if lengths is None:
        return h[:, -1]
    return h[torch.arange(h.shape[0], device=h.device), lengths - 1]


def _median(values):
    return float(np.median(values))


def summarize(runs, batch_size=None):
    """Summary of the runs of one model.

    Parameters
    ----------
    runs : list of dict
        One dict per seed. Runs with a stopping criterion carry ``reached``,
        ``sequences_to_criterion`` and ``wrong_test``; runs of a fixed length
        carry ``test_loss`` and ``test_accuracy``. Every run may carry ``seconds``.
    batch_size : int, optional
        Sequences per weight update, for ``updates_to_criterion_median``.

    Returns
    -------
    dict
        ``n_runs`` and ``seconds_total``; for runs with a criterion:
        ``n_reached``, ``success_rate``, ``sequences_median``,
        ``sequences_min``, ``sequences_max`` (over the runs that reached the
        criterion; None when none did), ``sequences_to_criterion_median`` and
        ``updates_to_criterion_median`` (over every run, a run that never
        reached the criterion counted as infinite, so the median is ``inf``
        when fewer than half of the runs reached it), ``wrong_test_median``,
        ``wrong_test_min``, ``wrong_test_max``; for runs with a
        ``test_loss`` (every run of a fixed length, and the long-lag runs):
        ``test_loss_median``, ``test_loss_mean``, ``test_loss_min``,
        ``test_loss_max``; for runs with a ``test_accuracy``:
        ``test_accuracy_mean``.

    Raises
    ------
    ValueError
        If ``runs`` is empty or ``batch_size`` is not a positive integer.
    """
    if not runs:
        raise ValueError("runs must hold at least one run (a dict per seed)")
    summary = {"n_runs": len(runs)}
    if "reached" in runs[0]:
        reached = [r["sequences_to_criterion"] for r in runs if r["reached"]]
        every = [r["sequences_to_criterion"] if r["reached"] else math.inf for r in runs]
        wrong = [r["wrong_test"] for r in runs]
        summary.update({
            "n_reached": len(reached),
            "success_rate": len(reached) / len(runs),
            "sequences_median": _median(reached) if reached else None,
            "sequences_min": min(reached) if reached else None,
            "sequences_max": max(reached) if reached else None,
            "sequences_to_criterion_median": _median(every),
        })
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, 1)
            summary["updates_to_criterion_median"] = _median([s / batch_size for s in every])
        summary.update({"wrong_test_median": _median(wrong), "wrong_test_min": min(wrong),
                        "wrong_test_max": max(wrong)})
    if "test_loss" in runs[0]:
        losses = np.array([r["test_loss"] for r in runs])
        summary.update({"test_loss_median": float(np.median(losses)), "test_loss_mean": float(losses.mean()),
                        "test_loss_min": float(losses.min()), "test_loss_max": float(losses.max())})
    if "test_accuracy" in runs[0]:
        summary["test_accuracy_mean"] = float(np.mean([r["test_accuracy"] for r in runs]))
    summary["seconds_total"] = round(sum(r.get("seconds", 0.0) for r in runs), 1)
    return summary


# --------------------------------------------------------------------------- storage


def _encode(value):
    """Infinite medians as the string ``"inf"``: the files stay standard JSON."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    """The inverse of :func:`_encode`; also reads the non-standard ``Infinity`` of older files."""
    if value in ("inf", "-inf"):
        return math.inf if value == "inf" else -math.inf
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _dumps(data) -> str:
    return json.dumps(_encode(data), indent=1, allow_nan=False) + "\n"


def _loads(text: str):
    return _decode(json.loads(text))


def store(data, path):
    """Write one result as JSON, with ``schema_version`` = :data:`SCHEMA_VERSION` first.

    Parameters
    ----------
    data : dict
        The result; must hold ``experiment`` (a registered name), ``name``
        and ``models`` in the stored layout (see the module docstring):
        ``{model name: {"runs": [...], "summary": {...}}}``.
    path : str or pathlib.Path
        The file; its folder is created.

    Returns
    -------
    dict
        What was written.

    Raises
    ------
    ValueError
        If a field is missing or ``models`` is not in the stored layout.
    """
    for key in ("experiment", "name", "models"):
        if key not in data:
            raise ValueError(f"a stored result needs {key!r}; got the fields {', '.join(data)}")
    _check_models(data["models"])
    data = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in data.items() if k != "schema_version"}}
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dumps(data))
    return data


def _check_models(models):
    if not isinstance(models, dict):
        raise ValueError("models of a stored result must be a dict {model name: {'runs': [...], 'summary': {...}}}, "
                         f"got {type(models).__name__}")
    for name, entry in models.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("runs"), list) or "summary" not in entry:
            raise ValueError(f"models[{name!r}] of a stored result must be a dict with 'runs' (a list) and "
                             "'summary'")


def _check_schema(data, where):
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{where} has schema_version {version!r}; this package reads schema_version "
                         f"{SCHEMA_VERSION} only (stored by an older package? run: python -m "
                         "lstm_helpers.experiments migrate)")
    return data


def load(experiment, name, folder=None):
    """Load one stored result, e.g. ``load("long_lags", "adding_T100")``.

    Parameters
    ----------
    experiment : str
        A registered experiment (the sub-folder of ``book/data``).
    name : str
        File stem of the result.
    folder : str or pathlib.Path, optional
        Where to look instead of ``book/data/<experiment>`` (:func:`lstm_helpers.utils.data_dir`).

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        If there is no such result (the message lists the stored ones) or its
        ``schema_version`` is not :data:`SCHEMA_VERSION`.
    """
    check_choice("experiment", experiment, tuple(EXPERIMENTS))
    folder = data_dir(experiment) if folder is None else pathlib.Path(folder)
    data = _decode(load_stored(experiment, name, f"{experiment} result", folder=folder))
    return _check_schema(data, f"{folder / name}.json")


def migrate(folder=None, experiment=None):
    """Bring stored results to :data:`SCHEMA_VERSION`, changing no result value.

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        A folder of stored results (default: ``book/data/<experiment>`` of
        every registered experiment).
    experiment : str, optional
        The experiment of files that do not name theirs (default: the
        folder's name).

    Returns
    -------
    list of str
        The files that changed.

    Raises
    ------
    ValueError
        If a file has a ``schema_version`` newer than this package knows.
    """
    if folder is None:
        return [p for name in EXPERIMENTS for p in migrate(data_dir(name), name)]
    folder = pathlib.Path(folder)
    changed = []
    for path in sorted(folder.glob("*.json")):
        text = path.read_text()
        data = _loads(text)
        version = data.get("schema_version", 0)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ValueError(f"{path} has schema_version {version!r}; this package knows 0 to {SCHEMA_VERSION}")
        name = data.get("experiment", experiment or folder.name)
        if name not in EXPERIMENTS:
            continue
        new = EXPERIMENTS[name].upgrade(dict(data))
        new = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in new.items() if k != "schema_version"}}
        if _dumps(new) != text:  # also rewrites non-standard JSON (Infinity) of older files
            path.write_text(_dumps(new))
            changed.append(str(path))
    return changed


# --------------------------------------------------------------------------- command line


def parse_models(text, valid):
    """``"a,b"`` -> ``["a", "b"]``; ``"all"`` -> every name of ``valid``.

    Raises ``ValueError`` naming the valid models when a name is unknown or none is given.
    """
    names = [v.strip() for v in str(text).split(",") if v.strip()]
    if "all" in names:
        return list(valid)
    bad = [n for n in names if n not in valid]
    if bad or not names:
        raise ValueError(f"--models must be one or more of {', '.join(valid)} (comma separated), or all; "
                         f"got {', '.join(bad) or 'none'}")
    return list(dict.fromkeys(names))


def parse_seeds(text):
    """``"0,1,2"`` -> ``[0, 1, 2]``; raises ``ValueError`` unless every entry is a non-negative integer."""
    parts = [v.strip() for v in str(text).split(",") if v.strip()]
    try:
        seeds = [int(v) for v in parts]
    except ValueError:
        seeds = None
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"--seeds must be comma-separated non-negative integers such as 0,1,2; got {text!r}")
    return list(dict.fromkeys(seeds))


def override(config, args, keys):
    """``config`` with each of ``keys`` replaced by the command line's value, where one was given.

    Raises
    ------
    ValueError
        If a given value is not positive (the message names the option).
    """
    from dataclasses import replace

    changes = {}
    for key in keys:
        value = getattr(args, key)
        if value is not None:
            if value <= 0:
                raise ValueError(f"--{key.replace('_', '-')} must be positive, got {value}")
            changes[key] = value
    return replace(config, **changes)


def criterion_report(data, label="model"):
    """One line per stored model: runs that met the criterion, median sequences and updates to it."""
    width = max(len(label), *(len(m) for m in data["models"])) + 2
    lines = [f"{label:<{width}}{'met':>6}{'median sequences':>18}{'median updates':>16}"
             "  (unreached runs count as inf)"]
    for model, entry in data["models"].items():
        s = entry["summary"]
        lines.append(f"{model:<{width}}{s['n_reached']:>3}/{s['n_runs']:<2}{s['sequences_to_criterion_median']:>18,.0f}"
                     f"{s['updates_to_criterion_median']:>16,.0f}")
    return "\n".join(lines)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m lstm_helpers.experiments",
                                     description="The stored experiments of the course 'LSTM, Step by Step'.")
    sub = parser.add_subparsers(dest="experiment", required=True, metavar="experiment")
    for exp in EXPERIMENTS.values():
        p = sub.add_parser(exp.name, help=exp.help)
        p.add_argument("--models", default=",".join(exp.default_models),
                       help=f"comma-separated subset of {', '.join(exp.models)}, or all")
        p.add_argument("--seeds", default=",".join(str(s) for s in exp.default_seeds),
                       help="comma-separated seeds, e.g. 0,1,2")
        p.add_argument("--quick", action="store_true", help="a tiny configuration, for tests")
        p.add_argument("--out", help=f"folder of the JSON file (default: book/data/{exp.name})")
        p.add_argument("--threads", type=int, default=1, help="CPU threads per run (0: leave as is)")
        p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
        p.add_argument("--no-progress", action="store_true", help="no progress bars")
        p.add_argument("--quiet", action="store_true", help="no line per finished run")
        exp.add_arguments(p)
    m = sub.add_parser("migrate", help="bring stored results to the current schema (no result changes)")
    m.add_argument("--dir", help="one folder of stored results (default: every folder under book/data)")
    return parser


def main(argv=None):
    """Entry point of ``python -m lstm_helpers.experiments``; returns the exit status 0.

    Bad options exit with status 2 and a message naming the valid values.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.experiment == "migrate":
        try:
            changed = migrate(args.dir)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"migrated {len(changed)} stored result(s) to schema_version {SCHEMA_VERSION}"
              + "".join(f"\n  {p}" for p in changed))
        return 0
    exp = EXPERIMENTS[args.experiment]
    try:
        models = parse_models(args.models, exp.models)
        seeds = parse_seeds(args.seeds)
        if args.threads < 0:
            raise ValueError(f"--threads must be >= 0, got {args.threads}")
        config = exp.make_config(args)
    except ValueError as exc:
        parser.error(str(exc))
    folder = pathlib.Path(args.out) if args.out else data_dir(exp.name)
    out = folder / f"{config.name}.json"
    command = "python -m lstm_helpers.experiments " + " ".join(sys.argv[1:] if argv is None else list(argv))
    log = None if args.quiet else (lambda line: print(line, flush=True))
    data = exp.run(config, models, seeds, out=out, device=args.device, threads=args.threads or None,
                   progress=not args.no_progress, log=log, command=command)
    print(exp.report(data))
    print(f"wrote {out} ({data['wall_seconds']:.1f} s)")
    return 0
